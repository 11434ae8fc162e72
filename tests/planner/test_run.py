"""The planner's program run: registrations may complete while the program declares, and nothing it plans changes."""

from __future__ import annotations

import asyncio
import json

import pulumi
import pytest
from pulumi.runtime.stack import wait_for_rpcs

import planner.run as planner_run
from planner.run import _DeclarationWatch, mocked_runtime, plan
from tests.conftest import FLAVORS, STACKS


def _plan_json(monkeypatch: pytest.MonkeyPatch, stack: str, every: int, **config: str) -> str:
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", every)
    return json.dumps(plan(stack, config_overrides={f"gangplank:{k}": v for k, v in config.items()}), sort_keys=True)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavor", FLAVORS)
def test_settling_after_every_declaration_plans_the_same_bytes(monkeypatch, in_project_dir, stack, flavor):
    # The example stacks are below SETTLE_EVERY: settle after each resource to exercise it at all.
    assert _plan_json(monkeypatch, stack, 1, flavor=flavor) == _plan_json(monkeypatch, stack, 10**9, flavor=flavor)


@pytest.mark.parametrize("mode", ["fresh", "update"])
def test_settling_keeps_previews_and_what_they_create_in_apply(monkeypatch, in_project_dir, mode):
    def preview(every: int) -> dict:
        monkeypatch.setattr(planner_run, "SETTLE_EVERY", every)
        return plan("dev", mode=mode)

    settled, unsettled = preview(1), preview(10**9)
    assert settled == unsettled
    assert settled["preview"]["mode"] == mode


def _bucket(name: str, **inputs: object) -> pulumi.CustomResource:
    return pulumi.CustomResource("test:index:Bucket", name, inputs)


def test_registrations_complete_while_the_program_declares(monkeypatch):
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", 1)
    with mocked_runtime("dev") as (monitor, loop), _DeclarationWatch(loop).installed():
        _bucket("first")
        _bucket("second")
        seen_before_third = len(monitor.registrations)
        _bucket("third")
        loop.run_until_complete(wait_for_rpcs())
    assert seen_before_third == 2
    assert [r.name for r in monitor.registrations] == ["first", "second", "third"]


def test_without_a_loop_the_watch_leaves_registrations_to_the_end_as_the_sdk_does(monkeypatch):
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", 1)
    with mocked_runtime("dev") as (monitor, loop), _DeclarationWatch().installed():
        _bucket("first")
        _bucket("second")
        assert monitor.registrations == []
        loop.run_until_complete(wait_for_rpcs())
    assert len(monitor.registrations) == 2


def test_a_registration_waiting_for_something_not_declared_yet_stops_the_settling(monkeypatch):
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", 1)
    monkeypatch.setattr(planner_run, "SETTLE_TIMEOUT_S", 0.2)
    with mocked_runtime("dev") as (monitor, loop), _DeclarationWatch(loop).installed() as watch:
        later: asyncio.Future = loop.create_future()
        _bucket("waits", size=pulumi.Output.from_input(later))  # resolved only after the next declaration
        _bucket("next")
        assert watch.loop is None  # gave up after the timeout: from here on, the SDK's own order
        _bucket("after")
        later.set_result(3)
        loop.run_until_complete(wait_for_rpcs())
    assert {r.name: r.inputs.get("size") for r in monitor.registrations} == {"waits": 3, "next": None, "after": None}
