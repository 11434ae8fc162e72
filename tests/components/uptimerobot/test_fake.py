"""The fake holds traffic to the OpenAPI document and rate-limits like the real service.

These prove the fake can catch a broken client; the other tests rely on it.
"""

from __future__ import annotations

import time

import requests

from tests.fakes.fixtures import TEST_API_KEY
from tests.fakes.uptimerobot import FakeUptimeRobot

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
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 2, 30.0

    answers = [requests.get(f"{fake_uptimerobot.url}/monitors", headers=AUTH, timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[2].headers["X-RateLimit-Limit"] == "2"
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 30
    assert int(answers[2].headers["X-RateLimit-Reset"]) >= time.time()
    assert answers[2].json()["statusCode"] == 429
    assert fake_uptimerobot.throttled == 1
    assert fake_uptimerobot.count("GET", "/monitors") == 3
