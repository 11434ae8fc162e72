"""Pytest fixtures for the UptimeRobot fake: the server, and a client and provider pointed at it.

Every fixture here fails the test at teardown if the fake saw a request or sent a
response that breaks the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.uptimerobot import client as client_module
from components.uptimerobot import provider as provider_module
from components.uptimerobot.client import ClientSettings, UptimeRobotClient
from components.uptimerobot.provider import API_KEY_CONFIG, API_URL_CONFIG, MonitorProvider
from tests.fakes.uptimerobot.server import FakeUptimeRobot
from tests.fakes.uptimerobot.spec import Spec, load_spec

# Only the fixtures: tests/conftest.py star-imports this module.
__all__ = ["fake_uptimerobot", "monitor_provider", "uptimerobot_client", "uptimerobot_spec"]

TEST_API_KEY = "u1234567-0123456789abcdef0123456789ab"

#: Client settings for tests: no ceiling (the fake's headers pace), short timeouts and backoff.
FAST_SETTINGS = ClientSettings(
    ceiling=None,
    connect_timeout_s=2.0,
    read_timeout_s=1.0,
    max_retries=4,
    backoff_factor_s=0.01,
    backoff_max_s=0.1,
    retry_budget_s=10.0,
)


def configured_provider(fake: FakeUptimeRobot, settings: ClientSettings = FAST_SETTINGS) -> MonitorProvider:
    """A provider configured as `pulumi up` does it: from stack config, through configure()."""
    provider = MonitorProvider(settings)
    config = Config({API_KEY_CONFIG: fake.api_key, API_URL_CONFIG: fake.url}, project_name="gangplank")
    provider.configure(ConfigureRequest(config))
    return provider


@pytest.fixture(scope="session")
def uptimerobot_spec() -> Spec:
    return load_spec()


@pytest.fixture
def fake_uptimerobot(uptimerobot_spec: Spec, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUptimeRobot]:
    """A running fake with a generous rate limit; tests that need a tight one set it.

    The fake applies a write before it answers (or drops the answer), and its replica lags
    only when a test says so: the provider's settling pauses are set to nothing.
    """
    monkeypatch.delenv("UPTIMEROBOT_API_KEY", raising=False)
    monkeypatch.delenv("UPTIMEROBOT_API_URL", raising=False)
    monkeypatch.delenv("UPTIMEROBOT_RATE_PER_MINUTE", raising=False)
    monkeypatch.setattr(provider_module, "ADOPT_SETTLE_S", 0.0)
    monkeypatch.setattr(provider_module, "READ_SETTLE_S", 0.0)
    with FakeUptimeRobot(uptimerobot_spec, api_key=TEST_API_KEY, rate_limit=1000, rate_window_s=1.0) as fake:
        url = fake.url
        try:
            yield fake
        finally:
            forget_pacers(url)
    assert fake.violations == [], "the fake saw traffic that breaks the OpenAPI document"


def forget_pacers(base_url: str) -> None:
    """Drop the process's pacers of a fake that stops: the next fake may get its port, and must not inherit what
    this one's answers announced (a period with nothing left would hold its first request)."""
    with client_module._PACERS_LOCK:
        for key in [key for key in client_module._PACERS if key[0] == base_url.rstrip("/")]:
            del client_module._PACERS[key]


@pytest.fixture
def uptimerobot_client(fake_uptimerobot: FakeUptimeRobot) -> Iterator[UptimeRobotClient]:
    client = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, FAST_SETTINGS)
    yield client
    client.close()


@pytest.fixture
def monitor_provider(fake_uptimerobot: FakeUptimeRobot) -> MonitorProvider:
    return configured_provider(fake_uptimerobot)
