"""The UptimeRobot client against the fake: CRUD, pagination, errors, retries, pacing on the API's headers."""

from __future__ import annotations

import email.utils
import math
import pickle
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from components.uptimerobot.client import (
    ClientSettings,
    CreateOutcomeUnknown,
    NotFoundError,
    RateLimit,
    UptimeRobotClient,
    UptimeRobotError,
)
from tests.fakes.clock import EPOCH, FakeClock
from tests.fakes.fixtures import FAST_SETTINGS, TEST_API_KEY
from tests.fakes.uptimerobot.server import FakeUptimeRobot

HTTP_BODY = {
    "friendlyName": "shop (dev)",
    "type": "HTTP",
    "url": "https://shop.dev.example.com/healthz",
    "interval": 300,
    "timeout": 30,
    "httpMethodType": "GET",
    "tagNames": ["gangplank", "stack:dev"],
    "assignedAlertContacts": [],
}


@pytest.fixture
def clock(fake_uptimerobot: FakeUptimeRobot) -> FakeClock:
    """A clock the fake and the clients of a test share: it moves only when they wait, and records the waits."""
    fake_uptimerobot.clock = FakeClock()
    return fake_uptimerobot.clock


@pytest.fixture
def clocked_client(fake_uptimerobot: FakeUptimeRobot, clock: FakeClock) -> Iterator[UptimeRobotClient]:
    client = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, FAST_SETTINGS, clock=clock)
    yield client
    client.close()


def test_create_get_update_delete_round_trip(uptimerobot_client: UptimeRobotClient) -> None:
    created = uptimerobot_client.create_monitor(HTTP_BODY)
    assert created["friendlyName"] == "shop (dev)"
    assert [t["name"] for t in created["tags"]] == ["gangplank", "stack:dev"]

    assert uptimerobot_client.get_monitor(created["id"])["url"] == HTTP_BODY["url"]

    updated = uptimerobot_client.update_monitor(created["id"], {"interval": 60})
    assert updated["interval"] == 60

    uptimerobot_client.delete_monitor(created["id"])
    with pytest.raises(NotFoundError) as missing:
        uptimerobot_client.get_monitor(created["id"])
    assert missing.value.status == 404
    assert "not found" in str(missing.value)


def test_list_follows_cursor_pages_of_200(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    for i in range(450):
        fake_uptimerobot.add_monitor(friendlyName=f"m{i}", url=f"https://m{i}.example.com", tagNames=["stack:dev"])
    fake_uptimerobot.add_monitor(friendlyName="other", url="https://other.example.com", tagNames=["stack:prod"])

    listed = list(uptimerobot_client.list_monitors(tags=["stack:dev"]))

    assert len(listed) == 450
    assert len({m["id"] for m in listed}) == 450
    assert fake_uptimerobot.count("GET", "/monitors") == 3  # 200 + 200 + 50


def test_list_filters_by_url_name_and_any_of_the_tags(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    fake_uptimerobot.add_monitor(friendlyName="Shop", url="https://shop.example.com", tagNames=["a"])
    fake_uptimerobot.add_monitor(friendlyName="Shop API", url="https://shop.example.com/api", tagNames=["b"])
    fake_uptimerobot.add_monitor(friendlyName="Blog", url="https://blog.example.com", tagNames=["c"])

    def names(**filters: object) -> list[str]:
        return sorted(m["friendlyName"] for m in uptimerobot_client.list_monitors(**filters))

    assert names(url="shop.example") == ["Shop", "Shop API"]
    assert names(name="api") == ["Shop API"]
    assert names(tags=["a", "c"]) == ["Blog", "Shop"]
    with pytest.raises(ValueError):
        list(uptimerobot_client.list_monitors(page_size=500))


def test_errors_give_status_and_api_message_never_the_key(fake_uptimerobot: FakeUptimeRobot) -> None:
    wrong_key = "u999-not-the-right-key"
    client = UptimeRobotClient(wrong_key, fake_uptimerobot.url, FAST_SETTINGS)
    with pytest.raises(UptimeRobotError) as unauthorized:
        client.get_monitor(1)
    assert unauthorized.value.status == 401
    assert str(unauthorized.value) == "UptimeRobot get monitor 1 failed (HTTP 401): Invalid API key"
    assert wrong_key not in repr(client)

    # Even if the API echoed the key back, it is redacted.
    good = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, FAST_SETTINGS)
    fake_uptimerobot.fail("GET", "/monitors/{id}", status=400, message=f"token {TEST_API_KEY} is malformed")
    with pytest.raises(UptimeRobotError) as bad_request:
        good.get_monitor(1)
    assert TEST_API_KEY not in str(bad_request.value)
    assert "token [redacted] is malformed" in str(bad_request.value)


def test_client_refuses_to_be_pickled(uptimerobot_client: UptimeRobotClient) -> None:
    with pytest.raises(TypeError, match="credentials"):
        pickle.dumps(uptimerobot_client)


# -- retries -------------------------------------------------------------------------------


def test_5xx_on_get_is_retried(uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com")
    fake_uptimerobot.fail("GET", "/monitors/{id}", status=503, times=2)
    fake_uptimerobot.fail("GET", "/monitors/{id}", status=502, times=1)

    assert uptimerobot_client.get_monitor(monitor["id"])["id"] == monitor["id"]
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 4


def test_retries_are_bounded_and_the_last_error_is_reported(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    fake_uptimerobot.fail("GET", "/monitors/{id}", status=500, times=50, message="database on fire")

    with pytest.raises(UptimeRobotError) as failed:
        uptimerobot_client.get_monitor(7)

    assert failed.value.status == 500
    assert "database on fire" in str(failed.value)
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == FAST_SETTINGS.max_retries + 1


def test_patch_and_delete_are_retried_on_5xx(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com")
    fake_uptimerobot.fail("PATCH", "/monitors/{id}", status=504)
    fake_uptimerobot.fail("DELETE", "/monitors/{id}", status=503)

    assert uptimerobot_client.update_monitor(monitor["id"], {"interval": 120})["interval"] == 120
    uptimerobot_client.delete_monitor(monitor["id"])

    assert fake_uptimerobot.monitors == {}
    assert fake_uptimerobot.count("PATCH") == 2
    assert fake_uptimerobot.count("DELETE") == 2


def test_slow_get_times_out_and_is_retried(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com")
    fake_uptimerobot.delay("GET", "/monitors/{id}", FAST_SETTINGS.read_timeout_s + 1.0)

    assert uptimerobot_client.get_monitor(monitor["id"])["id"] == monitor["id"]
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 2


def test_dropped_connection_on_get_is_retried(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="x", url="https://x.example.com")
    fake_uptimerobot.lose_response("GET", "/monitors/{id}")

    assert uptimerobot_client.get_monitor(monitor["id"])["id"] == monitor["id"]
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 2


def test_unreachable_server_fails_after_bounded_retries() -> None:
    settings = ClientSettings(ceiling=None, connect_timeout_s=0.5, max_retries=2,
                              backoff_factor_s=0.01, retry_budget_s=5)
    clock = FakeClock()
    client = UptimeRobotClient(TEST_API_KEY, "http://127.0.0.1:9/v3", settings, clock=clock)  # discard port: refused
    with pytest.raises(UptimeRobotError) as failed:
        client.get_monitor(1)
    assert failed.value.status is None
    assert "ConnectionError" in str(failed.value)
    assert client.pacer.requests == 3  # the first attempt and two retries
    # urllib3's backoff: none after the first failure, then backoff_factor * 2 ** (failures - 1).
    assert clock.sleeps == [pytest.approx(0.02)]


@pytest.mark.parametrize("fault", ["lose_response", "delay", "status"])
def test_a_create_that_may_have_happened_is_never_resent(
    uptimerobot_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot, fault: str
) -> None:
    if fault == "lose_response":
        fake_uptimerobot.lose_response("POST", "/monitors")
    elif fault == "delay":
        fake_uptimerobot.delay("POST", "/monitors", FAST_SETTINGS.read_timeout_s + 1.0)
    else:
        fake_uptimerobot.fail("POST", "/monitors", status=502)

    with pytest.raises(CreateOutcomeUnknown):
        uptimerobot_client.create_monitor(HTTP_BODY)

    assert fake_uptimerobot.count("POST", "/monitors") == 1
    # The lost and the slow one did create the monitor; the 502 did not.
    assert len(fake_uptimerobot.monitors) == (0 if fault == "status" else 1)


def test_429_on_create_is_resent_because_nothing_was_created(
    clocked_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot, clock: FakeClock
) -> None:
    fake_uptimerobot.fail("POST", "/monitors", status=429, headers={"Retry-After": "1"})

    clocked_client.create_monitor(HTTP_BODY)

    assert clock.sleeps == [1.0]
    assert fake_uptimerobot.count("POST", "/monitors") == 2
    assert len(fake_uptimerobot.monitors) == 1


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        pytest.param(lambda now: {"Retry-After": "1"}, 1.0, id="retry-after-seconds"),
        pytest.param(lambda now: {"Retry-After": email.utils.formatdate(now + 2, usegmt=True)}, 2.0, id="http-date"),
        pytest.param(lambda now: {"X-RateLimit-Reset": str(math.ceil(now + 1.5))}, 2.0, id="x-ratelimit-reset"),
    ],
)
def test_429_waits_as_long_as_the_server_says(
    clocked_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot, clock: FakeClock, headers: object,
    wait: float,
) -> None:
    fake_uptimerobot.fail("GET", "/monitors", status=429, headers=headers(clock.time()))  # type: ignore[operator]

    assert list(clocked_client.list_monitors()) == []

    assert clock.sleeps == [wait]
    assert fake_uptimerobot.count("GET", "/monitors") == 2


def test_429_asking_for_more_than_the_retry_budget_fails_at_once(
    clocked_client: UptimeRobotClient, fake_uptimerobot: FakeUptimeRobot, clock: FakeClock
) -> None:
    fake_uptimerobot.fail("GET", "/monitors", status=429, headers={"Retry-After": "3600"}, message="Too Many Requests")

    with pytest.raises(UptimeRobotError) as failed:
        list(clocked_client.list_monitors())

    assert clock.sleeps == [] and clock.waits == []  # no wait at all
    assert failed.value.status == 429
    assert "asked to wait 3600s" in str(failed.value)
    assert fake_uptimerobot.count("GET", "/monitors") == 1


def test_retrying_stops_when_the_time_budget_is_spent(fake_uptimerobot: FakeUptimeRobot, clock: FakeClock) -> None:
    settings = ClientSettings(ceiling=None, max_retries=10, retry_budget_s=1.5)
    client = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, settings, clock=clock)
    fake_uptimerobot.fail("GET", "/monitors", status=429, times=10, headers={"Retry-After": "1"})

    with pytest.raises(UptimeRobotError) as failed:
        list(client.list_monitors())

    assert failed.value.status == 429
    assert clock.sleeps == [1.0]  # a second wait would end 2 s after the first refusal: past the budget of 1.5 s
    assert fake_uptimerobot.count("GET", "/monitors") == 2  # not the ten retries allowed


# -- pacing -------------------------------------------------------------------------------


def _burst(clients: list[UptimeRobotClient], calls: int, workers: int = 4) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: list(clients[i % len(clients)].list_monitors()), range(calls)))
    return time.monotonic() - started


def test_the_api_headers_pace_every_client_of_the_key_with_no_429(
    fake_uptimerobot: FakeUptimeRobot, clock: FakeClock
) -> None:
    # The fake advertises 3 requests per 2 s; nothing on the client side says so.
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 3, 2.0
    clients = [UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, FAST_SETTINGS, clock=clock) for _ in range(2)]
    pacer = clients[0].pacer
    assert pacer is clients[1].pacer  # one account, one queue
    assert clients[0].settings.ceiling is None

    _burst(clients, 7)

    assert fake_uptimerobot.throttled == 0, "the server had to refuse calls"
    assert fake_uptimerobot.count("GET", "/monitors") == 7
    # 7 calls at 3 per 2 s span three windows: the pacer waited for two resets, each at most a window long, and
    # never slept otherwise (no 429 to retry).
    assert clock.time() >= EPOCH + 4.0 and len(pacer.waits) >= 2 and all(0 < w <= 2.0 for w in pacer.waits)
    assert pacer.waits == clock.waits and clock.sleeps == []
    assert pacer.window is not None and pacer.window.limit == 3


def test_without_pacing_the_same_burst_is_refused(fake_uptimerobot: FakeUptimeRobot, clock: FakeClock) -> None:
    # The control for the test above: the fake does enforce what it advertises (its clock stands still: one window).
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 3, 2.0
    auth = {"Authorization": f"Bearer {TEST_API_KEY}"}
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(
            lambda _: requests.get(f"{fake_uptimerobot.url}/monitors", headers=auth, timeout=5).status_code, range(7)
        ))

    assert sorted(statuses) == [200] * 3 + [429] * 4
    assert fake_uptimerobot.throttled == 4


def test_a_second_client_of_the_same_key_is_absorbed(fake_uptimerobot: FakeUptimeRobot) -> None:
    """Another process with the same key (its own budget view) eats into the window: 429s are
    honoured with Retry-After and every call of ours still succeeds."""
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 3, 1.0
    settings = ClientSettings(ceiling=None, read_timeout_s=5, max_retries=8, retry_budget_s=30)
    ours = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, settings)
    stop = threading.Event()

    def other_process() -> None:
        # Unpaced, as a tool that ignores the headers would be: one call every 0.6 s, half the budget.
        with requests.Session() as session:
            session.headers.update({"Authorization": f"Bearer {TEST_API_KEY}", "User-Agent": "other-tool"})
            for _ in range(40):
                if stop.wait(0.6):
                    return
                session.get(f"{fake_uptimerobot.url}/monitors", timeout=5)

    other = threading.Thread(target=other_process)
    other.start()
    try:
        results = [list(ours.list_monitors()) for _ in range(8)]
    finally:
        stop.set()
        other.join()

    assert results == [[]] * 8
    assert fake_uptimerobot.count("GET", "/monitors") >= 8
    # The headers show ours what the other tool used, so ours is refused at most when the
    # other took a window's last call in the instant before ours (in practice: never; the
    # unpaced tool collects the refusals).
    assert fake_uptimerobot.throttled_by_agent["gangplank-uptimerobot/1"] <= 2


def test_the_ceiling_comes_from_the_environment_and_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTIMEROBOT_RATE_PER_MINUTE", raising=False)
    assert ClientSettings().ceiling is None
    monkeypatch.setenv("UPTIMEROBOT_RATE_PER_MINUTE", "120")
    assert ClientSettings().ceiling == RateLimit(120, 60.0)
    monkeypatch.setenv("UPTIMEROBOT_RATE_PER_MINUTE", "lots")
    with pytest.raises(ValueError, match="UPTIMEROBOT_RATE_PER_MINUTE"):
        ClientSettings()


def test_a_ceiling_holds_the_client_below_the_api_budget(fake_uptimerobot: FakeUptimeRobot) -> None:
    # The fake allows 100 per second; the ceiling 4 per 0.5 s.
    fake_uptimerobot.rate_limit, fake_uptimerobot.rate_window_s = 100, 1.0
    client = UptimeRobotClient(TEST_API_KEY, fake_uptimerobot.url, ClientSettings(ceiling=RateLimit(4, 0.5)))

    elapsed = _burst([client], 12)

    assert elapsed >= 1.0  # 12 calls at 4 per 0.5 s
    assert fake_uptimerobot.throttled == 0


def test_passwords_in_a_body_never_reach_an_error(uptimerobot_client: UptimeRobotClient,
                                                  fake_uptimerobot: FakeUptimeRobot) -> None:
    password = "s3cret-Passw0rd-for-the-probe"
    fake_uptimerobot.fail("POST", "/monitors", status=400, message=f"httpPassword {password} is not allowed")
    with pytest.raises(UptimeRobotError) as refused:
        uptimerobot_client.create_monitor({**HTTP_BODY, "authType": "HTTP_BASIC", "httpUsername": "probe",
                                           "httpPassword": password})
    assert password not in str(refused.value)
    assert "[redacted]" in str(refused.value)
