"""A monitor's own HTTP headers (`custom_http_headers`) and certificate check (`check_ssl_errors`): what the second
monitor of an app on a moving edge needs to ask the new NLB, by its own name, for the app's host."""

from __future__ import annotations

import pytest

from components.uptimerobot.provider import MonitorProvider
from tests.components.uptimerobot.inputs import checked, sent
from tests.fakes.fixtures import configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot

NLB_URL = "https://k8s-ingressp-ingressp-4d747c131f.elb.eu-west-1.amazonaws.com/healthz"


def test_headers_and_the_certificate_check_reach_the_api_and_come_back(monitor_provider: MonitorProvider,
                                                                         fake_uptimerobot: FakeUptimeRobot) -> None:
    created = monitor_provider.create(checked(monitor_provider, url=NLB_URL,
                                              custom_http_headers={"Host": "shop.dev.example.com"},
                                              check_ssl_errors=False))
    stored = fake_uptimerobot.monitors[int(created.id)]
    assert stored["customHttpHeaders"] == {"Host": "shop.dev.example.com"} and stored["checkSSLErrors"] is False
    assert created.outs["custom_http_headers"] == {"Host": "shop.dev.example.com"}
    assert created.outs["check_ssl_errors"] is False
    assert fake_uptimerobot.violations == []
    # A refresh reads the same back: no drift.
    read = configured_provider(fake_uptimerobot).read(created.id, created.outs)
    assert read.outs["custom_http_headers"] == {"Host": "shop.dev.example.com"}
    assert monitor_provider.diff(created.id, read.outs, checked(
        monitor_provider, url=NLB_URL, custom_http_headers={"host": "shop.dev.example.com"},
        check_ssl_errors=False)).changes is False


def test_a_monitor_without_them_sends_none_and_leaves_the_certificate_check_as_it_is(
        monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    stored = fake_uptimerobot.monitors[int(created.id)]
    assert "customHttpHeaders" not in stored and "checkSSLErrors" not in stored  # the fake keeps only what is sent
    assert (created.outs["custom_http_headers"], created.outs["check_ssl_errors"]) == (None, None)
    stored["checkSSLErrors"] = True  # UptimeRobot's own default, whatever it is
    fresh = configured_provider(fake_uptimerobot)
    read = fresh.read(created.id, created.outs)
    assert read.outs["check_ssl_errors"] is None
    assert fresh.diff(created.id, read.outs, checked(fresh)).changes is False


def test_headers_set_outside_pulumi_are_a_change_and_an_update_clears_them(
        monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    fake_uptimerobot.monitors[int(created.id)]["customHttpHeaders"] = {"X-Debug": "1"}
    monitor_provider = configured_provider(fake_uptimerobot)  # a new `pulumi refresh`: no listing from the create
    read = monitor_provider.read(created.id, created.outs)
    assert read.outs["custom_http_headers"] == {"X-Debug": "1"}
    assert monitor_provider.diff(created.id, read.outs, checked(monitor_provider)).changes is True
    monitor_provider.update(created.id, read.outs, checked(monitor_provider))
    assert fake_uptimerobot.monitors[int(created.id)]["customHttpHeaders"] == {}
    assert fake_uptimerobot.violations == []


@pytest.mark.parametrize("headers, says", [
    ({"Host name": "x"}, "'Host name' is not an HTTP header name"),
    ({"Host": "a\r\nX-Injected: 1"}, "must not contain line breaks or NUL"),
    ({"Host": 5}, "must be a string"),
])
def test_bad_headers_are_refused_by_check_naming_the_input(monitor_provider: MonitorProvider, headers, says) -> None:
    result = monitor_provider.check({}, sent(custom_http_headers=headers))
    [failure] = result.failures
    assert failure.property == "custom_http_headers" and says in failure.reason


def test_the_certificate_check_is_a_boolean(monitor_provider: MonitorProvider) -> None:
    [failure] = monitor_provider.check({}, sent(check_ssl_errors="no")).failures
    assert failure.property == "check_ssl_errors"
