"""planner/mocks/wire.py: the planner reads what the SDK sends, and answers, as the SDK itself would."""

from __future__ import annotations

import asyncio
import collections
import enum
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime import rpc

from planner.mocks.wire import answer_struct, deserialized_inputs, plain_inputs, struct_inputs

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


class _Replicas(enum.IntEnum):
    TWO = 2


@pytest.mark.parametrize("value", [(1, 2), _Kind.INGRESS, _Replicas.TWO, pulumi.output.Unknown(),
                                   {1: "a key that is no string"}, {_Kind.INGRESS: "a key of a str subclass"},
                                   collections.OrderedDict(a=1)],
                         ids=["tuple", "str enum", "int enum", "unknown", "int key", "str subclass key",
                              "dict subclass"])
def test_anything_but_plain_data_is_left_to_the_sdk(value):
    """The SDK serialises these its own way (an enum by its value, an Unknown as the sentinel): no guess here."""
    assert answer_struct({"spec": {"value": value}}) is None


def test_an_answer_that_is_no_plain_dict_is_left_to_the_sdk():
    assert answer_struct(collections.OrderedDict(spec={})) is None


SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET = {SIG_KEY: "1b47061264138c4ac30d75fd1eb44270"}
REFERENCE = {SIG_KEY: "5cf8f73096256a8f31e491e813e4eb8e"}
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


def _holds_secret(value: Any) -> bool:
    """Whether sent inputs hold a secret anywhere the plan keeps: the test's oracle, from the dict. (A `__provider`
    value is dropped at every level, by `plain_inputs` too: a secret inside one is in neither the plan's inputs
    nor those revealed to tests.)"""
    if isinstance(value, dict):
        return value.get(SIG_KEY) == SECRET[SIG_KEY] or any(
            _holds_secret(item) for key, item in value.items() if key != "__provider")
    if isinstance(value, list):
        return any(map(_holds_secret, value))
    return False


@given(st.dictionaries(st.text(max_size=8), _SENT, max_size=5))
def test_inputs_are_read_from_their_struct_as_from_its_dict(sent):
    """`struct_inputs` gives what the monitor used to make in two passes: plain_inputs of MessageToDict."""
    struct = struct_pb2.Struct()
    struct.update(sent)
    as_dict = json_format.MessageToDict(struct)
    assert struct_inputs(struct) == (plain_inputs(as_dict), _holds_secret(as_dict))


def _signed_or_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return SIG_KEY in value or any(map(_signed_or_unknown, value.values()))
    if isinstance(value, list):
        return any(map(_signed_or_unknown, value))
    return value == rpc.UNKNOWN


@given(st.dictionaries(st.text(max_size=8), _SENT, max_size=5))
def test_plain_inputs_deserialise_as_the_sdk_deserialises_them(sent):
    """The mocks get what the SDK's MockMonitor gives them; a secret, a reference or an unknown is left to the SDK."""
    struct = struct_pb2.Struct()
    struct.update(sent)
    ours = deserialized_inputs(struct)
    if _signed_or_unknown(sent):
        assert ours is None
    else:
        assert ours == rpc.deserialize_properties(struct)
