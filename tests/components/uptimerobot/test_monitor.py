"""The Monitor resource under Pulumi mocks: type token, inputs, outputs; and its helpers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.uptimerobot.monitor import Monitor, MonitorArgs, ownership_tags
from components.uptimerobot.provider import MonitorProvider
from planner.mocks.monitor import LoopClosingMonitor


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return "800000123", {**args.inputs, "monitor_id": 800000123, "status": "UP"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def mocks(fresh_event_loop: asyncio.AbstractEventLoop) -> Iterator[RecordingMocks]:
    # The shared conftest gives each test a fresh event loop; the engine's threads make their own (closed after).
    recording = RecordingMocks()
    monitor = LoopClosingMonitor(recording)
    pulumi.runtime.set_mocks(recording, project="gangplank", stack="dev", preview=False, monitor=monitor)
    yield recording
    fresh_event_loop.run_until_complete(fresh_event_loop.shutdown_default_executor())
    monitor.close_thread_loops(keep=fresh_event_loop)


def test_ownership_tags() -> None:
    assert ownership_tags("prod") == ["gangplank", "stack:prod"]


def test_monitor_args_defaults_are_the_providers() -> None:
    args = MonitorArgs(friendly_name="shop (dev)", url="https://shop.example.com/")
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}

    result = MonitorProvider().check({}, {k: v for k, v in given.items() if v is not None})

    assert result.failures == []
    assert {k: result.inputs[k] for k in ("type", "interval", "timeout", "http_method")} == {
        k: given[k] for k in ("type", "interval", "timeout", "http_method")
    }


@pulumi.runtime.test
def test_monitor_registers_the_dynamic_type_and_exposes_outputs(mocks: RecordingMocks) -> pulumi.Output[Any]:
    monitor = Monitor(
        "shop-monitor",
        MonitorArgs(
            friendly_name="shop (dev)",
            url="https://shop.dev.example.com/healthz",
            alert_contact_ids=[3],
            tags=ownership_tags("dev"),
        ),
    )

    def check(values: list[Any]) -> None:
        monitor_id, status, url, tags = values
        (registered,) = mocks.resources
        assert registered.typ == "pulumi-python:dynamic/uptimerobot:Monitor"
        assert registered.name == "shop-monitor"
        inputs = registered.inputs
        assert inputs["friendly_name"] == "shop (dev)"
        assert inputs["interval"] == 300
        assert inputs["tags"] == ["gangplank", "stack:dev"]
        assert "__provider" in inputs
        assert not {"keyword_type", "keyword_value", "monitor_id", "status"} & set(inputs)  # None is not sent
        assert (monitor_id, status, url, tags) == (
            800000123, "UP", "https://shop.dev.example.com/healthz", ["gangplank", "stack:dev"]
        )

    return pulumi.Output.all(monitor.monitor_id, monitor.status, monitor.url, monitor.tags).apply(check)


def test_declaring_monitors_leaves_the_pickler_as_it_was(run_mocked):
    """Without the restore, each Monitor nests the SDK's pickler patch once more until RecursionError."""
    import pickle

    from components.uptimerobot.monitor import Monitor, MonitorArgs

    before = (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict)

    def program() -> None:
        for index in range(3):
            Monitor(f"m{index}", MonitorArgs(friendly_name=f"m{index}", url=f"https://m{index}.example.com/"))

    run_mocked(program)
    assert (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict) == before


def test_the_password_is_a_secret_input_and_a_declared_secret_output(run_mocked):
    """Even a plain string password goes to the engine as a secret, and its output is declared secret."""
    import json

    from planner.mocks.monitor import RecordingMonitor

    class SecretOutputsMonitor(RecordingMonitor):
        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.secret_outputs: dict[str, list[str]] = {}

        def RegisterResource(self, request: Any) -> Any:
            if request.custom:
                self.secret_outputs[request.name] = list(request.additionalSecretOutputs)
            return super().RegisterResource(request)

    def program() -> None:
        Monitor("locked", MonitorArgs(friendly_name="locked (dev)", url="https://locked.example.com/",
                                      http_username="probe", http_password="plain-text-pw-31"))
        Monitor("open", MonitorArgs(friendly_name="open (dev)", url="https://open.example.com/"))

    _, monitor = run_mocked(program, monitor_class=SecretOutputsMonitor)

    assert monitor.secret_outputs == {"locked": ["http_password"], "open": ["http_password"]}
    locked = next(r for r in monitor.registrations if r.name == "locked")
    assert locked.inputs["http_username"] == "probe"
    assert locked.inputs["http_password"] == "[secret]"
    assert "plain-text-pw-31" not in json.dumps(locked.inputs)
    open_ = next(r for r in monitor.registrations if r.name == "open")
    assert "http_password" not in open_.inputs and "http_username" not in open_.inputs  # None is not sent
