"""250 monitors created, refreshed and deleted under a rate limit the client learns from the headers.

The fake advertises 100 calls per 1 s window (the headers count in whole seconds, as the real
ones do, so the window cannot shrink further); nothing on the client side knows the budget.
Faults are sprinkled in; none may reach the user, no monitor may be duplicated, and the
server never has to refuse a call for the rate.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from components.uptimerobot import provider as provider_module
from components.uptimerobot.client import ClientSettings
from components.uptimerobot.monitor import ownership_tags
from tests.fakes.fixtures import TEST_API_KEY, configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot
from tests.fakes.uptimerobot.spec import Spec

N = 250
LIMIT = 100
WINDOW_S = 1.0
WORKERS = 4  # the SDK's dynamic provider server runs four worker threads


@pytest.mark.slow
def test_250_monitors_created_refreshed_and_deleted_within_the_rate_limit(
    uptimerobot_spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider_module, "ADOPT_SETTLE_S", 0.0)
    monkeypatch.setattr(provider_module, "READ_SETTLE_S", 0.0)
    settings = ClientSettings(ceiling=None, read_timeout_s=5, backoff_factor_s=0.05, retry_budget_s=30)
    with FakeUptimeRobot(uptimerobot_spec, api_key=TEST_API_KEY, rate_limit=LIMIT, rate_window_s=WINDOW_S) as fake:
        fake.fail("POST", "/monitors", status=503, times=3)
        fake.lose_response("POST", "/monitors", times=2)
        fake.fail("GET", "/monitors", status=502)
        fake.fail("DELETE", "/monitors/{id}", status=500, times=2)
        provider = configured_provider(fake, settings)
        inputs = []
        for i in range(N):
            checked = provider.check({}, {"friendly_name": f"app{i:03} (dev)", "url": f"https://app{i:03}.example.com/",
                                          "tags": ownership_tags("dev")})
            assert checked.failures == []
            inputs.append(checked.inputs)
        phases: dict[str, tuple[int, float]] = {}

        def phase(name: str, work: Any, items: list[Any]) -> list[Any]:
            before, started = fake.total_calls, time.monotonic()
            with ThreadPoolExecutor(WORKERS) as pool:
                results = list(pool.map(work, items))  # any exception here is an error the user would see
            phases[name] = (fake.total_calls - before, time.monotonic() - started)
            return results

        created = phase("create", provider.create, inputs)
        stored_after_create = len(fake.monitors)
        refresher = configured_provider(fake, settings)  # refresh runs in a new process: cold cache
        read = phase("refresh", lambda c: refresher.read(c.id, c.outs), created)
        phase("delete", lambda c: provider.delete(c.id, c.outs), created)

        print(f"\nUptimeRobot calls for {N} monitors ({LIMIT} per {WINDOW_S}s, {fake.faults_fired} faults injected):")
        for name, (calls, seconds) in phases.items():
            print(f"  {name:8} {calls:4} calls  {seconds:5.1f}s")
        print(f"  total    {fake.total_calls:4} calls, {fake.throttled} answered 429")

        assert stored_after_create == N  # no duplicates, including after the lost responses
        assert len({c.id for c in created}) == N
        assert [r.outs for r in read] == [c.outs for c in created]
        assert fake.monitors == {}
        assert fake.pending_faults() == 0
        assert phases["refresh"][0] <= math.ceil(N / 200) + 2
        assert fake.throttled == 0
        assert fake.violations == []
