"""MonitorProvider against the fake: configure, check, diff, create (with adoption), read, update, delete."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from components.uptimerobot.client import DEFAULT_BASE_URL, UptimeRobotError
from components.uptimerobot.input_schema import INPUT_FIELDS
from components.uptimerobot.provider import MonitorProvider
from tests.components.uptimerobot.inputs import PROVIDER_BLOB, checked, sent
from tests.fakes.fixtures import FAST_SETTINGS, configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot


@pytest.fixture
def offline_provider(monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> Iterator[MonitorProvider]:
    """A configured provider that must not call the API (check and diff)."""
    yield monitor_provider
    assert fake_uptimerobot.total_calls == 0, "check/diff called the API"


# -- configure -----------------------------------------------------------------------------


def test_configure_prefers_stack_config_over_environment(
    fake_uptimerobot: FakeUptimeRobot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTIMEROBOT_API_KEY", "env-key-that-is-wrong")
    monkeypatch.setenv("UPTIMEROBOT_API_URL", "http://127.0.0.1:9/v3")
    provider = configured_provider(fake_uptimerobot)

    created = provider.create(checked(provider))

    assert provider.base_url == fake_uptimerobot.url
    assert int(created.id) in fake_uptimerobot.monitors


def test_configure_falls_back_to_environment(
    fake_uptimerobot: FakeUptimeRobot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTIMEROBOT_API_KEY", fake_uptimerobot.api_key)
    monkeypatch.setenv("UPTIMEROBOT_API_URL", fake_uptimerobot.url)
    provider = MonitorProvider(FAST_SETTINGS)
    provider.configure(ConfigureRequest(Config({}, project_name="gangplank")))

    created = provider.create(checked(provider))

    assert int(created.id) in fake_uptimerobot.monitors


def test_configure_defaults_to_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTIMEROBOT_API_URL", raising=False)
    provider = MonitorProvider(FAST_SETTINGS)
    provider.configure(ConfigureRequest(Config({"gangplank:uptimerobotApiKey": "k"}, project_name="gangplank")))
    assert provider.base_url == DEFAULT_BASE_URL == "https://api.uptimerobot.com/v3"


def test_without_a_key_previews_work_and_changes_fail_clearly(
    fake_uptimerobot: FakeUptimeRobot, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = MonitorProvider(FAST_SETTINGS)
    provider.configure(ConfigureRequest(Config({"gangplank:uptimerobotApiUrl": fake_uptimerobot.url}, "gangplank")))

    inputs = checked(provider)
    assert provider.diff("1", {**inputs, "monitor_id": 1, "status": "UP"}, inputs).changes is False
    with pytest.raises(UptimeRobotError, match=r"uptimerobotApiKey.*UPTIMEROBOT_API_KEY"):
        provider.create(inputs)
    assert fake_uptimerobot.total_calls == 0


# -- check -----------------------------------------------------------------------------------


def test_check_fills_defaults_and_normalises_numbers(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check({}, sent(interval=None, alert_contact_ids=[5.0], tags=None))

    assert result.failures == []
    assert result.inputs == {
        "friendly_name": "shop (dev)",
        "url": "https://shop.dev.example.com/healthz",
        "type": "HTTP",
        "interval": 300,
        "timeout": 30,
        "http_method": "GET",
        "alert_contact_ids": [5],
        "tags": [],
    }
    assert type(result.inputs["alert_contact_ids"][0]) is int
    assert "__provider" not in result.inputs  # the SDK puts it back itself


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"friendly_name": "  "}, "friendly_name"),
        ({"friendly_name": "x" * 251}, "friendly_name"),
        ({"url": None}, "url"),
        ({"url": "ftp://shop.example.com"}, "url"),
        ({"url": "shop.example.com"}, "url"),
        ({"type": "PING"}, "type"),
        ({"interval": 10.0}, "interval"),
        ({"interval": 60.5}, "interval"),
        ({"interval": True}, "interval"),
        ({"timeout": 61.0}, "timeout"),
        ({"http_method": "FETCH"}, "http_method"),
        ({"keyword_type": "ALERT_EXISTS"}, "keyword_type"),
        ({"type": "KEYWORD", "keyword_value": "ok"}, "keyword_type"),
        ({"type": "KEYWORD", "keyword_type": "ALERT_EXISTS"}, "keyword_value"),
        ({"type": "KEYWORD", "keyword_type": "ALERT_EXISTS", "keyword_value": " ok "}, "keyword_value"),
        ({"type": "KEYWORD", "keyword_type": "SOMETIMES", "keyword_value": "ok"}, "keyword_type"),
        ({"timeout": False}, "timeout"),
        ({"alert_contact_ids": [0.0]}, "alert_contact_ids"),
        ({"alert_contact_ids": [2.5]}, "alert_contact_ids"),
        ({"alert_contact_ids": [True]}, "alert_contact_ids"),
        ({"alert_contact_ids": [3.0, 3.0]}, "alert_contact_ids"),
        ({"alert_contact_ids": "3"}, "alert_contact_ids"),
        ({"tags": ["gangplank,stack:dev"]}, "tags"),
        ({"tags": ["", "x"]}, "tags"),
        ({"intervall": 60.0}, "intervall"),
        ({"status": "UP"}, "status"),
    ],
)
def test_check_reports_one_failure_naming_the_bad_field(
    offline_provider: MonitorProvider, overrides: dict[str, Any], field: str
) -> None:
    result = offline_provider.check({}, sent(**overrides))

    assert [f.property for f in result.failures] == [field]
    assert result.failures[0].reason.startswith(field)


def test_check_takes_pulumi_floats_as_whole_numbers(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check({}, sent(interval=60.0, timeout=0.0, alert_contact_ids=[5.0, 6]))

    assert result.failures == []
    numbers = [result.inputs["interval"], result.inputs["timeout"], *result.inputs["alert_contact_ids"]]
    assert numbers == [60, 0, 5, 6]
    assert {type(n) for n in numbers} == {int}


@pytest.mark.parametrize(
    ("overrides", "given"),
    [({"interval": 300.5}, "300.5"), ({"interval": True}, "True"), ({"alert_contact_ids": [3.0, 4.5]}, "4.5")],
)
def test_check_refuses_fractions_and_booleans_readably(
    offline_provider: MonitorProvider, overrides: dict[str, Any], given: str
) -> None:
    [failure] = offline_provider.check({}, sent(**overrides)).failures

    assert "whole number" in failure.reason
    assert failure.reason.endswith(f"got {given}")
    assert "pydantic" not in failure.reason


def test_check_reports_every_bad_field_at_once(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check({}, sent(url="nope", interval=5.0, timeout=-1.0, tags=[1.0]))

    assert sorted(f.property for f in result.failures) == ["interval", "tags", "timeout", "url"]


def test_check_accepts_a_keyword_monitor(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check(
        {}, sent(type="KEYWORD", keyword_type="ALERT_NOT_EXISTS", keyword_value="Service Unavailable")
    )
    assert result.failures == []
    assert result.inputs["keyword_value"] == "Service Unavailable"


def test_check_tolerates_values_unknown_during_preview(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check(
        {}, sent(url=Unknown(), type=Unknown(), keyword_value=Unknown(), tags=["gangplank", Unknown()])
    )

    assert result.failures == []
    assert isinstance(result.inputs["url"], Unknown)
    assert isinstance(result.inputs["tags"][1], Unknown)


# -- diff ------------------------------------------------------------------------------------


def _state(provider: MonitorProvider, **overrides: Any) -> dict[str, Any]:
    """Outputs as a create would have stored them."""
    inputs = checked(provider, **overrides)
    return {
        **{name: inputs.get(name) for name in INPUT_FIELDS},
        "__provider": "gASVan-older-provider-blob",
        "alert_contact_ids": sorted(inputs["alert_contact_ids"]),
        "monitor_id": 800000001,
        "status": "UP",
    }


@pytest.mark.parametrize(
    "news",
    [
        pytest.param({}, id="same"),
        pytest.param({"tags": ["stack:dev", "gangplank"], "alert_contact_ids": [3.0, 7.0]}, id="list-order"),
        pytest.param({"interval": 300}, id="int-vs-float"),
    ],
)
def test_diff_reports_no_change(offline_provider: MonitorProvider, news: dict[str, Any]) -> None:
    olds = _state(offline_provider)
    olds["status"] = "DOWN"  # live status is not an input

    result = offline_provider.diff("800000001", olds, checked(offline_provider, **news))

    assert result.changes is False
    assert result.replaces == []


@pytest.mark.parametrize(
    ("news", "replaces"),
    [
        ({"interval": 60.0}, []),
        ({"tags": ["gangplank", "stack:prod"]}, []),
        ({"alert_contact_ids": []}, []),
        ({"http_method": "HEAD"}, []),
        ({"type": "KEYWORD", "keyword_type": "ALERT_EXISTS", "keyword_value": "ok"}, ["type"]),
    ],
)
def test_diff_reports_changes_and_replaces_on_type(
    offline_provider: MonitorProvider, news: dict[str, Any], replaces: list[str]
) -> None:
    result = offline_provider.diff("800000001", _state(offline_provider), checked(offline_provider, **news))

    assert result.changes is True
    assert result.replaces == replaces


def test_diff_counts_an_unknown_value_as_a_change(offline_provider: MonitorProvider) -> None:
    news = {**checked(offline_provider), "url": Unknown()}
    assert offline_provider.diff("800000001", _state(offline_provider), news).changes is True


# -- create ----------------------------------------------------------------------------------


def test_create_returns_the_inputs_plus_id_and_status(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    result = monitor_provider.create(checked(monitor_provider))

    stored = fake_uptimerobot.monitors[int(result.id)]
    assert result.outs == {
        "friendly_name": "shop (dev)",
        "url": "https://shop.dev.example.com/healthz",
        "type": "HTTP",
        "interval": 300,
        "timeout": 30,
        "http_method": "GET",
        "keyword_type": None,
        "keyword_value": None,
        "alert_contact_ids": [3, 7],
        "tags": ["gangplank", "stack:dev"],
        "http_username": None,
        "http_password": None,
        "custom_http_headers": None,
        "check_ssl_errors": None,
        "monitor_id": stored["id"],
        "status": "STARTED",
    }
    assert result.id == str(stored["id"])
    # Numbers went to the API as integers, and the monitor's own key stayed out of the outputs.
    assert type(stored["interval"]) is int
    assert [c["alertContactId"] for c in stored["assignedAlertContacts"]] == [7, 3]
    assert stored["apiKey"] not in repr(result.outs)


def test_create_keyword_monitor(monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> None:
    inputs = checked(monitor_provider, type="KEYWORD", keyword_type="ALERT_NOT_EXISTS", keyword_value="healthy")

    outs = monitor_provider.create(inputs).outs

    assert (outs["type"], outs["keyword_type"], outs["keyword_value"]) == ("KEYWORD", "ALERT_NOT_EXISTS", "healthy")


@pytest.mark.parametrize("fault", ["lose_response", "delay"])
def test_create_adopts_the_monitor_a_lost_response_made(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot, fault: str
) -> None:
    # A look-alike in another stack must not be taken.
    other = fake_uptimerobot.add_monitor(
        friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz", tagNames=["gangplank", "stack:prod"]
    )
    if fault == "lose_response":
        fake_uptimerobot.lose_response("POST", "/monitors")
    else:
        fake_uptimerobot.delay("POST", "/monitors", FAST_SETTINGS.read_timeout_s + 1.0)

    result = monitor_provider.create(checked(monitor_provider))

    ours = fake_uptimerobot.monitors_tagged("stack:dev")
    assert [m["id"] for m in ours] == [int(result.id)]
    assert int(result.id) != other["id"]
    assert fake_uptimerobot.count("POST", "/monitors") == 1
    assert result.outs["tags"] == ["gangplank", "stack:dev"]


def test_create_resends_when_the_failed_create_made_nothing(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    fake_uptimerobot.fail("POST", "/monitors", status=502)

    result = monitor_provider.create(checked(monitor_provider))

    assert list(fake_uptimerobot.monitors) == [int(result.id)]
    assert fake_uptimerobot.count("POST", "/monitors") == 2
    # The stack's listing before the first POST, and a look for the lost one before the second.
    assert fake_uptimerobot.count("GET", "/monitors") == 2


def test_create_gives_up_after_bounded_attempts(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    fake_uptimerobot.fail("POST", "/monitors", status=503, times=10, message="maintenance")

    with pytest.raises(UptimeRobotError, match=r"gave up creating 'shop \(dev\)' after 3 attempts.*maintenance"):
        monitor_provider.create(checked(monitor_provider))

    assert fake_uptimerobot.monitors == {}
    assert fake_uptimerobot.count("POST", "/monitors") == 3


def test_create_refuses_to_guess_between_duplicates(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    twins = [
        fake_uptimerobot.add_monitor(
            friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz", tagNames=["gangplank", "stack:dev"]
        )
        for _ in range(2)
    ]

    with pytest.raises(UptimeRobotError, match=f"several monitors match 'shop \\(dev\\)' \\({twins[0]['id']}, "):
        monitor_provider.create(checked(monitor_provider))
    assert fake_uptimerobot.count("POST", "/monitors") == 0


def test_after_a_lost_create_an_unclaimed_duplicate_is_not_guessed_at(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    # A twin appears after the stack was listed (made in the UI meanwhile), then the POST is lost:
    # two candidates, the provider does not pick one.
    monitor_provider.create(checked(monitor_provider, friendly_name="other (dev)"))  # lists the stack
    twin = fake_uptimerobot.add_monitor(
        friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz", tagNames=["gangplank", "stack:dev"]
    )
    fake_uptimerobot.lose_response("POST", "/monitors")

    with pytest.raises(UptimeRobotError, match=f"several monitors match 'shop \\(dev\\)' \\({twin['id']}, "):
        monitor_provider.create(checked(monitor_provider))


# -- read ------------------------------------------------------------------------------------


def test_refresh_of_an_unchanged_monitor_shows_no_diff(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    inputs = checked(monitor_provider)
    created = monitor_provider.create(inputs)

    # A fresh provider, as in the new process a `pulumi refresh` starts.
    read = configured_provider(fake_uptimerobot).read(created.id, {**created.outs, "__provider": PROVIDER_BLOB})

    assert read.id == created.id
    assert read.outs == created.outs
    assert monitor_provider.diff(created.id, {**read.outs, "__provider": "new"}, inputs).changes is False


def test_read_of_a_deleted_monitor_says_gone(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    del fake_uptimerobot.monitors[int(created.id)]

    read = configured_provider(fake_uptimerobot).read(created.id, created.outs)

    assert read.id == ""
    assert read.outs == {}


def test_read_picks_up_changes_made_outside_pulumi(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    inputs = checked(monitor_provider)
    created = monitor_provider.create(inputs)
    fake_uptimerobot.monitors[int(created.id)]["interval"] = 60
    fake_uptimerobot.monitors[int(created.id)]["tagNames"] = ["stack:dev"]  # someone removed a tag

    read = configured_provider(fake_uptimerobot).read(created.id, created.outs)

    assert (read.outs["interval"], read.outs["tags"]) == (60, ["stack:dev"])
    assert monitor_provider.diff(created.id, read.outs, inputs).changes is True


def test_many_reads_share_listing_pages(monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> None:
    states = []
    for i in range(30):
        monitor = fake_uptimerobot.add_monitor(
            friendlyName=f"app{i} (dev)", url=f"https://app{i}.example.com", tagNames=["gangplank", "stack:dev"]
        )
        states.append({"tags": ["gangplank", "stack:dev"], "monitor_id": monitor["id"], "__provider": PROVIDER_BLOB})
    fake_uptimerobot.add_monitor(friendlyName="prod", url="https://prod.example.com", tagNames=["stack:prod"])

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda s: monitor_provider.read(str(s["monitor_id"]), s), states))

    assert [r.outs["friendly_name"] for r in results] == [f"app{i} (dev)" for i in range(30)]
    assert fake_uptimerobot.count("GET", "/monitors") == 1
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 0


def test_read_of_an_untagged_monitor_gets_it_by_id(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="legacy", url="https://legacy.example.com")

    read = monitor_provider.read(str(monitor["id"]), {"tags": []})

    assert read.outs["friendly_name"] == "legacy"
    assert fake_uptimerobot.count("GET", "/monitors") == 0
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 1


# -- update and delete -----------------------------------------------------------------------


def test_update_patches_the_monitor(monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    news = checked(monitor_provider, interval=60.0, tags=["gangplank", "stack:dev", "team:web"], alert_contact_ids=[])

    result = monitor_provider.update(created.id, created.outs, news)

    assert result.outs is not None
    assert (result.outs["interval"], result.outs["tags"], result.outs["alert_contact_ids"]) == (
        60,
        ["gangplank", "stack:dev", "team:web"],
        [],
    )
    assert result.outs["monitor_id"] == int(created.id)
    assert fake_uptimerobot.count("PATCH", "/monitors/{id}") == 1
    assert len(fake_uptimerobot.monitors) == 1


def test_update_of_a_deleted_monitor_says_to_refresh(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    fake_uptimerobot.monitors.clear()

    with pytest.raises(UptimeRobotError, match=r"HTTP 404.*pulumi refresh"):
        monitor_provider.update(created.id, created.outs, checked(monitor_provider, interval=60.0))


def test_delete_removes_the_monitor_and_tolerates_it_being_gone(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider))

    monitor_provider.delete(created.id, created.outs)
    monitor_provider.delete(created.id, created.outs)

    assert fake_uptimerobot.monitors == {}
    assert fake_uptimerobot.count("DELETE", "/monitors/{id}") == 2


def test_a_malformed_id_is_a_clear_error(monitor_provider: MonitorProvider) -> None:
    with pytest.raises(UptimeRobotError, match="monitor ids are numbers, got 'shop'"):
        monitor_provider.read("shop", {})
