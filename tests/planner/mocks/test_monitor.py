"""planner/mocks/monitor.py: the mock engine leaves no event loop open, on the run's thread or any other."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from planner.mocks.monitor import _holds_secret, plain_inputs, struct_inputs
from planner.run import mocked_runtime


@pytest.fixture
def loops_made(monkeypatch) -> list[Any]:
    """Every event loop made from now on (the SDK's mock monitor makes one per engine thread)."""
    import asyncio

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


SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
REFERENCE = {"4dabf18193072939515e22adb298388d": "5cf8f73096256a8f31e491e813e4eb8e"}
_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 53), max_value=2 ** 53)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=70) | st.just(rpc.UNKNOWN))
_SENT = st.recursive(
    _SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(["a", "b", "__provider", "metadata"]) | st.text(max_size=6),
                                     inner, max_size=4)
                   | inner.map(lambda value: {**SECRET, "value": value})
                   | st.fixed_dictionaries({"urn": st.just("urn:pulumi:dev::gangplank::aws:route53/zone:Zone::public")},
                                           optional={"id": st.sampled_from(["", "Z123", rpc.UNKNOWN])})
                   .map(lambda ref: {**REFERENCE, **ref})),
    max_leaves=20)
"""Inputs as the SDK sends them: JSON data, secrets and resource references in their wire form, unknowns."""


@given(st.dictionaries(st.text(max_size=8), _SENT, max_size=5))
def test_inputs_are_read_from_their_struct_as_from_its_dict(sent):
    """`struct_inputs` gives what the monitor used to make in two passes: plain_inputs of MessageToDict."""
    struct = struct_pb2.Struct()
    struct.update(sent)
    as_dict = json_format.MessageToDict(struct)
    assert struct_inputs(struct) == (plain_inputs(as_dict), _holds_secret(as_dict))
