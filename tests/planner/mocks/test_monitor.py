"""planner/mocks/monitor.py: the mock engine answers on the run's own loop and leaves no event loop open."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.mocks.monitor import InlineEngineCalls
from planner.run import mocked_runtime


@pytest.fixture
def loops_made(monkeypatch) -> list[Any]:
    """Every event loop made from now on (the SDK's mock monitor makes one per engine thread)."""
    made: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.new_event_loop

    def recording() -> asyncio.AbstractEventLoop:
        made.append(new_event_loop())
        return made[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", recording)
    return made


def test_a_run_makes_one_event_loop_and_closes_it(run_stack, loops_made):
    """The engine's calls run on the run's own loop (`InlineEngineCalls`): no thread makes one of its own. A loop
    left open would warn in whichever later test collects it."""
    run_stack("dev")
    assert len(loops_made) == 1
    assert [loop for loop in loops_made if not loop.is_closed()] == []


def test_a_read_alone_leaves_no_event_loop_open(loops_made):
    """The planner's own ReadResource (a `Resource.get`) makes its thread's loop as the SDK's would: an engine
    thread that only reads leaves no loop open either."""
    import threading

    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import resource_pb2

    request = resource_pb2.ReadResourceRequest(type="aws:route53/zone:Zone", name="adopted",
                                               id="Z0123456789ABCDEFGHIJ", properties=struct_pb2.Struct())
    with mocked_runtime("dev") as (monitor, _loop):
        reader = threading.Thread(target=monitor.ReadResource, args=(request,))
        reader.start()
        reader.join(timeout=30)
        assert [reg.name for reg in monitor.read_registrations] == ["adopted"]
    assert len(loops_made) == 2 and [loop for loop in loops_made if not loop.is_closed()] == []


def test_engine_calls_run_in_the_callers_thread_and_carry_their_errors():
    calls = InlineEngineCalls()
    assert calls.submit(threading.get_ident).result() == threading.get_ident()
    failed = calls.submit(int, "not a number")
    assert isinstance(failed.exception(), ValueError)
    calls.shutdown(wait=True)


def test_the_loop_hands_its_engine_calls_to_no_thread():
    """`run_in_executor`, as the SDK's `do_rpc_call` uses it, on a loop whose default executor is InlineEngineCalls."""
    loop = asyncio.new_event_loop()
    try:
        loop.set_default_executor(InlineEngineCalls())
        assert loop.run_until_complete(loop.run_in_executor(None, threading.get_ident)) == threading.get_ident()
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def test_an_engine_call_on_the_loop_is_answered_without_waking_the_loop(monkeypatch):
    """On the run's loop, `run_in_executor` hands back the answer already there: no write to the loop's self-pipe
    and no turn of the loop per call (a concurrent future is chained through both), and a failure is carried."""
    loop = asyncio.new_event_loop()
    wakes: list[None] = []
    monkeypatch.setattr(loop, "_write_to_self", lambda: wakes.append(None))

    async def call_the_engine() -> tuple[bool, bool]:
        answered = loop.run_in_executor(None, threading.get_ident)
        failed = loop.run_in_executor(None, int, "not a number")
        ready = answered.done() and failed.done()
        assert await answered == threading.get_ident()
        with pytest.raises(ValueError):
            await failed
        return ready, isinstance(answered, asyncio.Future)

    try:
        loop.set_default_executor(InlineEngineCalls())
        assert loop.run_until_complete(call_the_engine()) == (True, True)
        assert wakes == []
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


_SPEC_FIELDS = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["", "shop-ingress"]), "type": st.sampled_from(["", "gangplank:apps:ExposedApp"]),
    "stack": st.sampled_from(["", "prod"]), "project": st.sampled_from(["", "gangplank"])}).flatmap(
    lambda fields: st.sampled_from([
        fields, {**fields, "parentUrn": "urn:pulumi:prod::gangplank::gangplank:apps:ExposedApp::shop"},
        {**fields, "parentUrn": ""}, {**fields, "noParent": True}, {**fields, "noParent": False}]))
"""An alias spec's fields, its parent (a oneof) as a URN, as none, or unset."""


@given(_SPEC_FIELDS)
def test_an_alias_spec_shows_as_its_json_form_shows_it(fields):
    """The plan shows an alias spec's set fields by their JSON names, as `json_format.MessageToDict` reads them."""
    from google.protobuf import json_format
    from pulumi.runtime.proto import alias_pb2

    from planner.mocks.monitor import _alias

    spec = alias_pb2.Alias.Spec()
    json_format.ParseDict(fields, spec)
    alias = alias_pb2.Alias(spec=spec)
    assert _alias(alias) == {key: value for key, value in json_format.MessageToDict(spec).items()
                             if value not in ("", None)}
    assert list(_alias(alias)) == [key for key in json_format.MessageToDict(spec) if key in _alias(alias)]
    assert _alias(alias_pb2.Alias(urn="urn:pulumi:prod::gangplank::x::y")) == "urn:pulumi:prod::gangplank::x::y"
