"""The fake holds traffic to the OpenAPI document and rate-limits like the real service.

These prove the fake can catch a broken client; the other tests rely on it.
"""

from __future__ import annotations

import base64
import email.utils
import math
import time
from collections.abc import Mapping
from typing import Any

import pytest
import requests

from components.uptimerobot.probes import probe_addresses
from tests.fakes.clock import EPOCH, FakeClock
from tests.fakes.fixtures import TEST_API_KEY
from tests.fakes.uptimerobot.server import FakeUptimeRobot
from tests.fakes.uptimerobot.spec import Spec

AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}
VALID = {"friendlyName": "x", "type": "HTTP", "url": "https://x.example.com", "interval": 300, "timeout": 30}


def test_requests_breaking_the_spec_are_refused_and_recorded(fake_uptimerobot: FakeUptimeRobot) -> None:
    monitors = f"{fake_uptimerobot.url}/monitors"
    too_often = requests.post(monitors, json={**VALID, "interval": 10}, headers=AUTH, timeout=5)
    misnamed = requests.post(monitors, json={**VALID, "tags": ["a"]}, headers=AUTH, timeout=5)
    bad_id = requests.get(f"{monitors}/abc", headers=AUTH, timeout=5)

    assert (too_often.status_code, misnamed.status_code, bad_id.status_code) == (400, 400, 400)
    assert "less than the minimum of 30" in too_often.json()["message"][0]
    violations = "\n".join(fake_uptimerobot.violations)
    assert "minimum of 30" in violations
    assert "property tags is not declared in CreateHttpMonitorDto" in violations
    assert "/monitors/abc" in violations
    assert fake_uptimerobot.monitors == {}
    fake_uptimerobot.violations.clear()  # seen; the fixture checks for any others


def test_responses_breaking_the_spec_are_recorded(fake_uptimerobot: FakeUptimeRobot) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com")
    fake_uptimerobot.monitors[monitor["id"]]["interval"] = 5  # MonitorDto's minimum is 15

    requests.get(f"{fake_uptimerobot.url}/monitors/{monitor['id']}", headers=AUTH, timeout=5)

    assert any("interval" in v and "minimum of 15" in v for v in fake_uptimerobot.violations)
    fake_uptimerobot.violations.clear()


def test_rate_limit_headers_and_429(fake_uptimerobot: FakeUptimeRobot) -> None:
    clock = fake_uptimerobot.clock = FakeClock(EPOCH + 10.25)  # 10.25 s into a window of 30 s
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 2, 30.0

    answers = [requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[2].headers["X-RateLimit-Limit"] == "2"
    assert answers[2].headers["Retry-After"] == "20"  # 19.75 s to the window's end, in whole seconds up
    assert answers[2].headers["X-RateLimit-Reset"] == str(int(EPOCH) + 30)
    assert answers[2].json()["statusCode"] == 429
    assert fake_uptimerobot.throttled == 1
    assert fake_uptimerobot.count("GET", "/monitors") == 3
    clock.advance(19.75)  # the next window: its budget is whole again
    again = requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5)
    assert (again.status_code, again.headers["X-RateLimit-Remaining"]) == (200, "1")


def test_rate_limit_reset_is_the_end_of_a_fixed_window_in_whole_seconds(fake_uptimerobot: FakeUptimeRobot) -> None:
    clock = fake_uptimerobot.clock = FakeClock(EPOCH + 1.999)  # the last moment of a window of 2 s
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 3, 2.0

    last = requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5)
    clock.advance(0.001)
    first = requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5)

    # Windows are aligned on the epoch: the boundary is at a whole multiple of the window, whatever the requests.
    assert int(last.headers["X-RateLimit-Reset"]) == EPOCH + 2 and last.headers["X-RateLimit-Remaining"] == "2"
    assert int(first.headers["X-RateLimit-Reset"]) == EPOCH + 4 and first.headers["X-RateLimit-Remaining"] == "2"
    assert last.headers["X-RateLimit-Limit"] == "3"
    # The Date header is on the same clock, in whole seconds (RFC 9110's IMF-fixdate).
    assert last.headers["Date"] == email.utils.formatdate(EPOCH + 1, usegmt=True)
    assert first.headers["Date"] == email.utils.formatdate(EPOCH + 2, usegmt=True)


def test_without_a_clock_of_its_own_the_fake_runs_on_the_systems(fake_uptimerobot: FakeUptimeRobot) -> None:
    fake_uptimerobot.rate_window_s = 60.0
    before = math.floor(time.time() / 60) * 60
    answer = requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5)
    after = math.floor(time.time() / 60) * 60
    assert int(answer.headers["X-RateLimit-Reset"]) in {before + 60, after + 60}
    assert email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp() // 60 * 60 in {before, after}


def test_stale_reads_show_the_monitor_before_its_latest_write(fake_uptimerobot: FakeUptimeRobot) -> None:
    monitors = f"{fake_uptimerobot.url}/monitors"
    created = requests.post(monitors, json=VALID, headers=AUTH, timeout=5).json()
    requests.patch(f"{monitors}/{created['id']}", json={"interval": 60}, headers=AUTH, timeout=5)
    fake_uptimerobot.serve_stale("/monitors/{id}")
    fake_uptimerobot.serve_stale("/monitors")

    stale_get = requests.get(f"{monitors}/{created['id']}", headers=AUTH, timeout=5).json()
    stale_list = requests.get(monitors, headers=AUTH, timeout=5).json()["data"]
    fresh = requests.get(f"{monitors}/{created['id']}", headers=AUTH, timeout=5).json()

    assert (stale_get["interval"], stale_list[0]["interval"], fresh["interval"]) == (300, 300, 60)
    assert fake_uptimerobot.stale_served == 2


def test_a_stale_replica_has_not_seen_a_new_monitor(fake_uptimerobot: FakeUptimeRobot) -> None:
    created = requests.post(f"{fake_uptimerobot.url}/monitors", json=VALID, headers=AUTH, timeout=5).json()
    fake_uptimerobot.serve_stale("/monitors/{id}")

    assert requests.get(f"{fake_uptimerobot.url}/monitors/{created['id']}", headers=AUTH, timeout=5).status_code == 404
    assert requests.get(f"{fake_uptimerobot.url}/monitors/{created['id']}", headers=AUTH, timeout=5).status_code == 200


def test_basic_auth_is_stored_and_returned(fake_uptimerobot: FakeUptimeRobot) -> None:
    body = {**VALID, "authType": "HTTP_BASIC", "httpUsername": "probe", "httpPassword": "pw-1"}

    created = requests.post(f"{fake_uptimerobot.url}/monitors", json=body, headers=AUTH, timeout=5).json()

    assert (created["authType"], created["httpUsername"], created["httpPassword"]) == ("HTTP_BASIC", "probe", "pw-1")


# -- probe -----------------------------------------------------------------------------------


def basic_auth_site(user: str, password: str, allowed: set[str]) -> Any:
    """An app behind an allow-list and basic auth, as the program-side tests model one."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def site(source_ip: str, path: str, headers: Mapping[str, str]) -> int:
        if source_ip not in allowed:
            return 403
        if path != "/healthz":
            return 404
        return 200 if headers.get("Authorization") == expected else 401

    return site


def test_probe_comes_from_a_published_address_with_the_monitors_credentials(fake_uptimerobot: FakeUptimeRobot) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com/healthz",
                                           authType="HTTP_BASIC", httpUsername="probe", httpPassword="pw-1")
    everyone = set(probe_addresses())
    seen: list[tuple[str, str, dict[str, str]]] = []

    def recording(source_ip: str, path: str, headers: Mapping[str, str]) -> int:
        seen.append((source_ip, path, dict(headers)))
        return basic_auth_site("probe", "pw-1", everyone)(source_ip, path, headers)

    assert fake_uptimerobot.probe(monitor["id"], recording) == 200
    assert fake_uptimerobot.monitors[monitor["id"]]["status"] == "UP"
    (source_ip, path, headers), = seen
    assert source_ip in everyone and path == "/healthz"
    assert headers["Host"] == "x.example.com" and "UptimeRobot" in headers["User-Agent"]

    fake_uptimerobot.monitors[monitor["id"]]["httpPassword"] = "wrong"
    assert fake_uptimerobot.probe(monitor["id"], basic_auth_site("probe", "pw-1", everyone)) == 401
    assert fake_uptimerobot.monitors[monitor["id"]]["status"] == "DOWN"


def test_probe_without_auth_sends_no_credentials_and_an_allow_list_decides(fake_uptimerobot: FakeUptimeRobot) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com/healthz?full=1")
    first = probe_addresses()[0]
    got: list[dict[str, str]] = []

    def site(source_ip: str, path: str, headers: Mapping[str, str]) -> int:
        got.append(dict(headers))
        return 200 if source_ip == first and path == "/healthz?full=1" else 403

    assert fake_uptimerobot.probe(monitor["id"], site, source_ip=first) == 200
    other = probe_addresses()[1]
    assert fake_uptimerobot.probe(monitor["id"], site, source_ip=other) == 403
    assert all("Authorization" not in h for h in got)
    with pytest.raises(ValueError, match="not one of UptimeRobot's pinned probe addresses"):
        fake_uptimerobot.probe(monitor["id"], site, source_ip="10.0.0.1")
    with pytest.raises(KeyError):
        fake_uptimerobot.probe(12345, site)


def test_probe_addresses_are_drawn_repeatably(uptimerobot_spec: Spec) -> None:
    def sources(seed: int) -> list[str]:
        fake = FakeUptimeRobot(uptimerobot_spec, probe_seed=seed)
        monitor = fake.add_monitor(friendlyName="x", url="https://x.example.com/")
        for _ in range(20):
            fake.probe(monitor["id"], lambda ip, path, headers: 200)
        return [ip for _, ip, _, _ in fake.probes]

    assert sources(1) == sources(1)
    assert sources(1) != sources(2)
    assert len(set(sources(1))) > 5
