"""HTTP basic auth monitors: inputs, API fields, and the password kept secret end to end."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.uptimerobot.provider import MonitorProvider
from tests.components.uptimerobot.inputs import PROVIDER_BLOB, checked, sent
from tests.fakes.fixtures import configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot

PASSWORD = "Zq8-unique-probe-password-41"
AUTH = {"http_username": "uptime-probe", "http_password": PASSWORD}


def dumped(value: Any) -> str:
    """Everything a value would show if written anywhere (repr of nested dicts and lists)."""
    return json.dumps(value, default=repr) + repr(value)


@pytest.fixture
def offline_provider(monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> Iterator[MonitorProvider]:
    yield monitor_provider
    assert fake_uptimerobot.total_calls == 0, "check/diff called the API"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


# -- check -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field", "reason"),
    [
        ({"http_username": "probe"}, "http_password", "http_password is required when http_username is set"),
        ({"http_password": PASSWORD}, "http_username", "http_username is required when http_password is set"),
        ({"http_username": "pro:be", "http_password": PASSWORD}, "http_username", "must not contain ':'"),
        ({"http_username": "  ", "http_password": PASSWORD}, "http_username", "must not be blank"),
        ({"http_username": "probe", "http_password": PASSWORD * 10}, "http_password", "at most 255 characters"),
        ({"http_username": "probe", "http_password": ""}, "http_password", "must not be empty"),
        ({"http_username": "probe", "http_password": 12345678}, "http_password", "must be a string"),
    ],
)
def test_check_names_the_auth_field_and_never_shows_the_password(
    offline_provider: MonitorProvider, given: dict[str, Any], field: str, reason: str
) -> None:
    result = offline_provider.check({}, sent(**given))

    assert [f.property for f in result.failures] == [field]
    assert reason in result.failures[0].reason
    for secret in (PASSWORD, str(12345678), str(len(PASSWORD * 10))):
        assert secret not in result.failures[0].reason


def test_check_returns_the_password_marked_secret(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check({}, sent(**AUTH))

    assert result.failures == []
    assert result.inputs["http_username"] == "uptime-probe"
    assert rpc.is_rpc_secret(result.inputs["http_password"])
    assert rpc.unwrap_rpc_secret(result.inputs["http_password"]) == PASSWORD


def test_check_lets_an_unknown_password_through_in_preview(offline_provider: MonitorProvider) -> None:
    result = offline_provider.check({}, sent(http_username="probe", http_password=Unknown()))

    assert result.failures == []
    assert isinstance(result.inputs["http_password"], Unknown)


# -- diff ------------------------------------------------------------------------------------


def test_diff_sees_a_changed_password_and_no_change_for_the_same_one(offline_provider: MonitorProvider) -> None:
    inputs = checked(offline_provider, **AUTH)
    # The state's outputs, as the engine hands them to the provider: the secret decrypted.
    olds = {**{k: rpc.unwrap_rpc_secret(v) for k, v in inputs.items()}, "monitor_id": 1, "status": "UP"}

    assert offline_provider.diff("1", olds, inputs).changes is False
    changed = offline_provider.diff("1", olds, checked(offline_provider, http_username="uptime-probe",
                                                        http_password=PASSWORD + "-rotated"))
    assert (changed.changes, changed.replaces) == (True, [])
    assert offline_provider.diff("1", olds, checked(offline_provider)).changes is True  # auth removed


def test_diff_of_a_monitor_from_before_auth_existed_shows_no_change(offline_provider: MonitorProvider) -> None:
    inputs = checked(offline_provider)
    olds = {k: v for k, v in inputs.items() if k not in ("http_username", "http_password")}  # an older provider's state

    assert offline_provider.diff("1", {**olds, "monitor_id": 1}, inputs).changes is False


# -- create, read, update --------------------------------------------------------------------


def test_create_sends_http_basic_and_keeps_the_password_out_of_the_plain_outputs(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot, logs: pytest.LogCaptureFixture
) -> None:
    result = monitor_provider.create(checked(monitor_provider, **AUTH))

    stored = fake_uptimerobot.monitors[int(result.id)]
    assert (stored["authType"], stored["httpUsername"], stored["httpPassword"]) == ("HTTP_BASIC", "uptime-probe",
                                                                                     PASSWORD)
    assert result.outs["http_username"] == "uptime-probe"
    assert rpc.is_rpc_secret(result.outs["http_password"])  # serialised as a secret: encrypted in the state
    plain_outputs = {k: v for k, v in result.outs.items() if k != "http_password"}
    assert PASSWORD not in dumped(plain_outputs)
    assert stored["apiKey"] not in dumped(result.outs)
    assert PASSWORD not in logs.text


def test_read_keeps_the_written_password_while_the_monitor_has_it(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    inputs = checked(monitor_provider, **AUTH)
    created = monitor_provider.create(inputs)
    state = {k: rpc.unwrap_rpc_secret(v) for k, v in created.outs.items()}

    read = configured_provider(fake_uptimerobot).read(created.id, {**state, "__provider": PROVIDER_BLOB})

    assert read.outs == created.outs
    assert monitor_provider.diff(created.id, read.outs, inputs).changes is False


def test_read_never_copies_a_password_set_outside_pulumi(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    inputs = checked(monitor_provider, **AUTH)
    created = monitor_provider.create(inputs)
    fake_uptimerobot.monitors[int(created.id)]["httpPassword"] = "changed-in-the-ui-77"
    state = {k: rpc.unwrap_rpc_secret(v) for k, v in created.outs.items()}

    read = configured_provider(fake_uptimerobot).read(created.id, {**state, "__provider": PROVIDER_BLOB})

    assert "changed-in-the-ui-77" not in dumped(read.outs)
    assert read.outs["http_password"] is None
    assert monitor_provider.diff(created.id, read.outs, inputs).changes is True  # the next up sets it again


def test_an_import_never_takes_the_password_from_the_api(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="legacy", url="https://legacy.example.com/",
                                           authType="HTTP_BASIC", httpUsername="ops", httpPassword="from-the-ui-99")

    read = monitor_provider.read(str(monitor["id"]), {"__provider": PROVIDER_BLOB})

    assert read.outs["http_username"] == "ops"
    assert read.outs["http_password"] is None
    assert "from-the-ui-99" not in dumped(read.outs)


def test_update_rotates_the_password_and_removing_auth_clears_it(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider, **AUTH))
    rotated = checked(monitor_provider, http_username="uptime-probe", http_password="rotated-pw-2")

    updated = monitor_provider.update(created.id, created.outs, rotated)
    assert fake_uptimerobot.monitors[int(created.id)]["httpPassword"] == "rotated-pw-2"
    assert rpc.unwrap_rpc_secret(updated.outs["http_password"]) == "rotated-pw-2"

    cleared = monitor_provider.update(created.id, updated.outs, checked(monitor_provider))
    stored = fake_uptimerobot.monitors[int(created.id)]
    assert (stored["authType"], stored["httpUsername"], stored["httpPassword"]) == ("NONE", "", "")
    assert (cleared.outs["http_username"], cleared.outs["http_password"]) == (None, None)


def test_an_orphan_with_another_password_is_patched_to_the_inputs(
    fake_uptimerobot: FakeUptimeRobot,
) -> None:
    first = configured_provider(fake_uptimerobot)
    orphan = first.create(checked(first, http_username="uptime-probe", http_password="old-pw-1"))
    next_up = configured_provider(fake_uptimerobot)

    adopted = next_up.create(checked(next_up, **AUTH))

    assert adopted.id == orphan.id
    assert fake_uptimerobot.monitors[int(orphan.id)]["httpPassword"] == PASSWORD
    assert fake_uptimerobot.count("PATCH", "/monitors/{id}") == 1


def test_an_api_error_about_the_password_does_not_show_it(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    fake_uptimerobot.fail("PATCH", "/monitors/{id}", status=400, message=f"httpPassword '{PASSWORD}' is weak")
    created = monitor_provider.create(checked(monitor_provider))

    with pytest.raises(Exception) as failed:
        monitor_provider.update(created.id, created.outs, checked(monitor_provider, **AUTH))

    assert PASSWORD not in str(failed.value)
    assert "[redacted]" in str(failed.value)
