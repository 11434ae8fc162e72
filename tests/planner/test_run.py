"""The planner's program run: registrations may complete while the program declares, and nothing it plans changes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from typing import Any

import pulumi
import pytest
from pulumi.runtime.stack import wait_for_rpcs

import planner.run as planner_run
from planner.mocks.monitor import RecordingMonitor
from planner.run import _DeclarationWatch, mocked_runtime, plan
from tests.conftest import FLAVORS, STACKS


@pytest.fixture
def settling(monkeypatch: pytest.MonkeyPatch):
    """settling(every) sets SETTLE_EVERY and returns the run's watches, to check that settling took place."""
    watches: list[_DeclarationWatch] = []
    settle = _DeclarationWatch.settle

    def recorded(watch: _DeclarationWatch) -> None:
        watches.append(watch)
        settle(watch)

    monkeypatch.setattr(_DeclarationWatch, "settle", recorded)

    def set_every(every: int) -> list[_DeclarationWatch]:
        monkeypatch.setattr(planner_run, "SETTLE_EVERY", every)
        watches.clear()
        return watches

    return set_every


def _settled_and_not(settling, stack: str, flavor: str, mode: str = "plan") -> tuple[dict, dict]:
    overrides = {"gangplank:flavor": flavor}
    watches = settling(1)  # the example stacks are below SETTLE_EVERY: settle after every resource
    settled = plan(stack, config_overrides=overrides, mode=mode)
    # It did settle, from the first declarations to the last, and never gave up.
    assert len(watches) > 50 and all(w.loop is not None for w in watches), len(watches)
    assert watches[-1].settles == len(watches)
    watches = settling(10**9)
    unsettled = plan(stack, config_overrides=overrides, mode=mode)
    assert watches == []
    return settled, unsettled


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavor", FLAVORS)
def test_settling_after_every_declaration_plans_the_same_bytes(settling, in_project_dir, stack, flavor):
    settled, unsettled = _settled_and_not(settling, stack, flavor)
    assert json.dumps(settled, sort_keys=True) == json.dumps(unsettled, sort_keys=True)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("mode", ["fresh", "update"])
def test_settling_keeps_previews_and_what_they_create_in_apply(settling, in_project_dir, stack, flavor, mode):
    settled, unsettled = _settled_and_not(settling, stack, flavor, mode)
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


def test_a_registration_waiting_for_something_not_declared_yet_stops_the_settling(monkeypatch, capsys):
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", 1)
    monkeypatch.setattr(planner_run, "SETTLE_TIMEOUT_S", 0.2)
    with mocked_runtime("dev") as (monitor, loop), _DeclarationWatch(loop).installed() as watch:
        later: asyncio.Future = loop.create_future()
        _bucket("waits", size=pulumi.Output.from_input(later))  # resolved only after the next declaration
        _bucket("next")
        assert watch.loop is None  # no progress in the timeout: from here on, the SDK's own order
        assert "made no progress in 0.2 s" in capsys.readouterr().err
        _bucket("after")
        later.set_result(3)
        loop.run_until_complete(wait_for_rpcs())
    assert {r.name: r.inputs.get("size") for r in monitor.registrations} == {"waits": 3, "next": None, "after": None}


class _GatedMonitor(RecordingMonitor):
    """A monitor that answers a registration only when the test lets one through, as a slow engine might. Like the
    real engine, it answers from elsewhere: called on the threads of a pool, not inline on the run's loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Semaphore(0)

    def RegisterResource(self, request: Any) -> Any:
        self.gate.acquire()
        return super().RegisterResource(request)


def test_slow_registrations_that_progress_keep_the_settling(monkeypatch, capsys):
    """Windows that each see a registration complete, however many it takes (with timed windows: well past the
    timeout in all), keep the settling on; test_a_registration_waiting_for_something_not_declared_yet_stops_the_settling
    is the other side. The windows are the test's: each lets one registration through and ends when one is done."""
    monkeypatch.setattr(planner_run, "SETTLE_EVERY", 40)
    done_per_window: list[int] = []

    def one_at_a_time(loop: asyncio.AbstractEventLoop, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        monitor.gate.release()
        # The timeout only guards against a hang (a failure, never a pass): the gate decides what completes.
        done, rest = loop.run_until_complete(asyncio.wait(pending, timeout=60, return_when=asyncio.FIRST_COMPLETED))
        done_per_window.append(len(done))
        return done, rest

    with mocked_runtime("dev", monitor_class=_GatedMonitor) as (monitor, loop), \
            _DeclarationWatch(loop, window=one_at_a_time).installed() as watch:
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor())
        for index in range(40):
            _bucket(f"bucket-{index}")
        assert watch.settles == 1 and watch.loop is not None and len(monitor.registrations) == 40
        loop.run_until_complete(wait_for_rpcs())
    assert len(done_per_window) >= 40 and all(done_per_window)  # one registration let through per window
    assert "made no progress" not in capsys.readouterr().err
