"""The engine's wire form of resource properties (protobuf Structs), read and written as the planner needs them.

What the SDK sends a registration (secrets, resource references and unknowns in their signed form) is read once for
the plan (`struct_inputs`: plain JSON data, secrets hidden, references named) and once for the mocks
(`deserialized_inputs`: as the SDK's `rpc.deserialize_properties` would); what the mocks answer is written back as
the SDK's serialisation would (`answer_struct`). Each gives the SDK's own result, and leaves to the SDK what is not
plain data (tests/planner/mocks hold them to it with generated inputs).
"""

from __future__ import annotations

import sys
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SHOWN_AS = "[secret]"
UNKNOWN_SHOWN_AS = "[unknown]"


def urn_label(urn: str) -> str:
    """`<type>::<name>` of a URN (or of a provider reference `URN::id`), the form plans use."""
    qualified_type, name = urn.split("::")[2:4]
    return f"{qualified_type.split('$')[-1]}::{name}"


SHARED_STRING_MAX = 64
"""Strings up to this length are kept once however many plans repeat them (keys, kinds, classes, zone ids)."""


def shared_text(text: str) -> str:
    """A short string held once however often the plan repeats it (names, kinds, hosts); a long one as it is."""
    return sys.intern(text) if len(text) <= SHARED_STRING_MAX else text


def plain_inputs(value: Any, reveal: bool = False) -> Any:
    """Inputs as JSON data: secrets hidden, references named, the dynamic provider blob dropped.

    `reveal=True` unwraps secrets instead: tests use it to check a Secret's format; plans never do.
    Keys and short strings are interned: a plan of thousands of resources repeats the same few
    thousand, and holding each once halves the memory the registrations take.
    """
    if isinstance(value, dict):
        signature = value.get(_SIG_KEY)
        if signature == _SECRET_SIG:
            return plain_inputs(value.get("value"), reveal) if reveal else SECRET_SHOWN_AS
        if signature == _RESOURCE_SIG:
            return value.get("id") or urn_label(value.get("urn", "::::?::?"))
        return {sys.intern(k): plain_inputs(v, reveal) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [plain_inputs(v, reveal) for v in value]
    if isinstance(value, str):
        if value == rpc.UNKNOWN:
            return UNKNOWN_SHOWN_AS
        return shared_text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_inputs(struct: struct_pb2.Struct) -> tuple[dict[str, Any], bool]:
    """`plain_inputs` of a registration's inputs, read from their Struct in one pass; and whether they hold a secret
    (where `plain_inputs` keeps it: not in a `__provider` value, dropped at every level).

    The same as `plain_inputs(json_format.MessageToDict(struct))`, and whether that dict holds a secret anywhere,
    without making the dict first (at 5,000 apps, a twentieth of a team stack's plan went to the two passes). Module
    functions, not closures: a recursive closure is a reference cycle per call (docs/sdk-contains-unknowns-cycle.md)."""
    secrets: list[bool] = []
    return _plain_struct(struct, secrets), bool(secrets)


def _plain_struct(struct: struct_pb2.Struct, secrets: list[bool]) -> Any:
    fields = struct.fields
    signature = fields.get(_SIG_KEY)
    if signature is not None and signature.WhichOneof("kind") == "string_value":
        if signature.string_value == _SECRET_SIG:
            secrets.append(True)
            return SECRET_SHOWN_AS
        if signature.string_value == _RESOURCE_SIG:  # as plain_inputs names a reference: its id, or its URN's
            reference = json_format.MessageToDict(struct)
            return reference.get("id") or urn_label(reference.get("urn", "::::?::?"))
    return {sys.intern(key): _plain_value(value, secrets) for key, value in fields.items() if key != "__provider"}


def _plain_value(value: struct_pb2.Value, secrets: list[bool]) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        if text == rpc.UNKNOWN:
            return UNKNOWN_SHOWN_AS
        return shared_text(text)
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return _plain_struct(value.struct_value, secrets)
    if kind == "list_value":
        return [_plain_value(item, secrets) for item in value.list_value.values]
    return None


class _NotPlain(Exception):
    """Not plain data: an answer holds more than JSON data of the built-in types, or a Struct holds a signature
    (secret, resource, asset, output) or an unknown. The SDK's serialisation, or its reading, decides."""


def answer_struct(state: dict[str, Any]) -> struct_pb2.Struct | None:
    """The mocks' answer as the Struct a registration gets back, when it is plain data; None otherwise.

    The SDK's MockMonitor makes it with `rpc.serialize_properties`, a coroutine it runs to the end by
    pumping the event loop (pulumi/runtime/mocks.py `RegisterResource`, `_sync_await`). For plain data,
    which is what the planner's mocks answer (deserialised inputs and computed values), that comes to
    the Struct of the same data without its top-level `None`s (rpc.py `serialize_properties`: "We treat
    properties that serialize to None as if they don't exist"; a nested `None` stays a null), built here
    without the event loop: so the engine's calls can run on the loop's own thread (`InlineEngineCalls`).
    Anything else (an Output, a resource, an asset, a tuple) goes to the SDK.
    """
    if type(state) is not dict:
        return None
    struct = struct_pb2.Struct()
    try:
        _fill_struct(struct, state, top=True)
    except _NotPlain:
        return None
    return struct


def _fill_struct(struct: struct_pb2.Struct, mapping: dict[Any, Any], top: bool = False) -> None:
    """Write plain data as protobuf's `Struct.update` does, in one pass that refuses anything else: JSON data of
    exactly the built-in types (no subclass, tuple, Output or resource). Module functions, not closures."""
    fields = struct.fields
    for key, value in mapping.items():
        if type(key) is not str:
            raise _NotPlain
        if value is None and top:
            continue
        _fill_value(fields[key], value)


def _fill_value(target: struct_pb2.Value, value: Any) -> None:
    kind = type(value)
    if kind is str:
        target.string_value = value
    elif kind is bool:
        target.bool_value = value
    elif kind is int or kind is float:
        target.number_value = value
    elif kind is dict:
        inner = target.struct_value
        inner.SetInParent()  # an empty mapping is still a mapping, as `Struct.update` writes it
        _fill_struct(inner, value)
    elif kind is list:
        items = target.list_value
        items.SetInParent()
        for item in value:
            _fill_value(items.values.add(), item)
    elif value is None:
        target.null_value = struct_pb2.NULL_VALUE
    else:
        raise _NotPlain


def deserialized_inputs(struct: struct_pb2.Struct) -> dict[str, Any] | None:
    """The SDK's `rpc.deserialize_properties` of inputs that are plain data; None when they hold anything else.

    For plain data the SDK's reading comes to the values themselves, numbers as floats, with every null in a
    mapping dropped and every null in a list kept (rpc.py `deserialize_properties`: "We treat values that
    deserialize to None as if they don't exist"; `deserialize_property` of a ListValue). A signature (a secret,
    a resource, an asset, an output value) or the unknown sentinel (an `Unknown` in a preview) is the SDK's
    business. One pass over the Struct instead of the SDK's, which reads each value through its Python
    `Struct.items()`. Keys and short strings are interned, as in `plain_inputs`: the mocks' answers are made from
    these inputs, and the SDK's mock monitor keeps every resource's answer for `getResource`."""
    try:
        return _deserialized_struct(struct)
    except _NotPlain:
        return None


def _deserialized_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    fields = struct.fields
    if _SIG_KEY in fields:
        raise _NotPlain
    values = {}
    for key, value in fields.items():
        plain = _deserialized_value(value)
        if plain is not None:
            values[sys.intern(key)] = plain
    return values


def _deserialized_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        if text == rpc.UNKNOWN:
            raise _NotPlain
        return shared_text(text)
    if kind == "number_value":
        return value.number_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return _deserialized_struct(value.struct_value)
    if kind == "list_value":
        return [_deserialized_value(item) for item in value.list_value.values]
    return None
