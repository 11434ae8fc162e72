"""planner/mocks/monitor.py: the mock engine answers on the event loop's thread, with what the SDK's would answer."""

from __future__ import annotations

import asyncio
import enum
import threading
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from planner.mocks.monitor import InlineEngineCalls, answer_struct

PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 53), max_value=2 ** 53)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12) | st.just(rpc.UNKNOWN),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=24)
"""JSON data as the planner's mocks answer it: deserialised inputs (the unknown sentinel too), computed values."""


def _sdk_answer(state: dict[str, Any]) -> Any:
    """The Struct the SDK's MockMonitor answers for `state` (runtime/mocks.py, `RegisterResource`)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(state, {}))
    finally:
        loop.close()


@given(st.dictionaries(st.text(max_size=8), PLAIN, max_size=6))
def test_a_plain_answer_is_the_struct_the_sdk_makes(state):
    assert answer_struct(state) == _sdk_answer(state)


def test_a_nested_none_stays_and_a_top_level_none_goes():
    struct = answer_struct({"status": None, "spec": {"ports": [None, 80], "selector": None}})
    assert "status" not in struct and struct["spec"]["selector"] is None and list(struct["spec"]["ports"]) == [None, 80]


class _Kind(enum.StrEnum):
    INGRESS = "Ingress"


@pytest.mark.parametrize("value", [(1, 2), _Kind.INGRESS, pulumi.output.Unknown(), {1: "a key that is no string"}],
                         ids=["tuple", "str enum", "unknown", "int key"])
def test_anything_but_plain_data_is_left_to_the_sdk(value):
    """The SDK serialises these its own way (an enum by its value, an Unknown as the sentinel): no guess here."""
    assert answer_struct({"spec": {"value": value}}) is None


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
