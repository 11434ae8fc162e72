"""planner/mocks/monitor.py: the mock engine leaves no event loop open on the engine's threads."""

from __future__ import annotations

from typing import Any

import pytest

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


def test_a_run_leaves_no_event_loop_open(run_stack, loops_made):
    """A loop left open outlives its thread and warns in whichever later test collects it."""
    run_stack("dev")
    assert len(loops_made) > 1  # the run's own loop, and the engine threads'
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
