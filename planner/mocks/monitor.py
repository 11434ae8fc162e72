"""The mock engine: the SDK's mock monitor, recording what the engine would be sent.

`RecordingMonitor` keeps what the SDK's mock monitor forgets: the parent, the resource options,
the explicit provider, reads (`Resource.get`), and each dynamic resource's `check` failures.
Each declared (or read) resource becomes a `Registration`, its inputs plain JSON data
(`plain_inputs`: secrets hidden, references named).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, _resolve_callbacks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from planner.mocks.common import is_unknown
from planner.mocks.serving import GangplankMocks

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SHOWN_AS = "[secret]"
UNKNOWN_SHOWN_AS = "[unknown]"


@dataclass
class Registration:
    """One declared (or read) resource as the engine would receive it."""

    urn: str
    type: str
    name: str
    id: str | None
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    """`<type>::<name>` of every resource the engine makes this one wait for."""
    secret_inputs: dict[str, Any] | None = None
    """The inputs as sent when they hold a secret, secrets included; for tests only, never rendered. (Inputs
    without one are `inputs` already; keeping every request instead held its whole protobuf arena, a ninth
    of a planner run's memory at 5,000 apps: docs/performance.md.)"""
    provider: str | None = None
    """`<type>::<name>` of the explicit provider the resource is managed by; None for the default one."""
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Top-level input -> `<type>::<name>` of the resources whose outputs it is made from (the SDK's
    `propertyDependencies`: what the engine makes unknown in a preview when one of them is replaced)."""
    read: bool = False
    """A `Resource.get` read of an existing resource, not a resource this program manages."""
    raw_state: dict[str, Any] = field(default_factory=dict)
    """What the mocks answered (outputs), as the SDK sees them; for the rehearsal, never rendered."""

    @property
    def label(self) -> str:
        return f"{self.type}::{self.name}"

    def state(self) -> dict[str, Any]:
        """The mocks' answer as plain JSON data: unknowns `[unknown]`, secrets `[secret]`."""
        return _state_as_json(self.raw_state)

    def revealed_inputs(self) -> dict[str, Any]:
        """The inputs with their secrets shown: for tests that check a Secret's format."""
        if self.secret_inputs is None:
            return copy.deepcopy(self.inputs)
        return plain_inputs(self.secret_inputs, reveal=True)


def urn_label(urn: str) -> str:
    """`<type>::<name>` of a URN (or of a provider reference `URN::id`), the form plans use."""
    qualified_type, name = urn.split("::")[2:4]
    return f"{qualified_type.split('$')[-1]}::{name}"


SHARED_STRING_MAX = 64
"""Strings up to this length are kept once however many plans repeat them (keys, kinds, classes, zone ids)."""


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
        return sys.intern(value) if len(value) <= SHARED_STRING_MAX else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_inputs(struct: struct_pb2.Struct) -> tuple[dict[str, Any], bool]:
    """`plain_inputs` of a registration's inputs, read from their Struct in one pass; and whether they hold a secret.

    The same as `plain_inputs(json_format.MessageToDict(struct))` and `_holds_secret` of that dict, without making
    the dict first (at 5,000 apps, a twentieth of a team stack's plan went to the two passes). Module functions, not
    closures: a recursive closure is a reference cycle per call (docs/sdk-contains-unknowns-cycle.md)."""
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
        return sys.intern(text) if len(text) <= SHARED_STRING_MAX else text
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


def shared_strings(value: Any) -> Any:
    """The same data with its keys and short strings interned (held once however often they repeat)."""
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: shared_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shared_strings(v) for v in value]
    if isinstance(value, str) and len(value) <= SHARED_STRING_MAX:
        return sys.intern(value)
    return value


def _holds_secret(value: Any) -> bool:
    """Whether serialized inputs hold a secret anywhere."""
    if isinstance(value, dict):
        return value.get(_SIG_KEY) == _SECRET_SIG or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _alias(alias: Any) -> Any:
    """An alias as the plan shows it: a URN, or the spec's set fields (`name`, `parentUrn`, `noParent`...)."""
    if alias.HasField("urn") or not alias.HasField("spec"):
        return alias.urn
    return {key: value for key, value in json_format.MessageToDict(alias.spec).items() if value not in ("", None)}


def _parent_label(parent_urn: str) -> str | None:
    # A child's parent URN carries the whole type chain (`pulumi:pulumi:Stack$<type>`): only the
    # stack itself is "no parent".
    if not parent_urn or urn_label(parent_urn).startswith("pulumi:pulumi:Stack::"):
        return None
    return urn_label(parent_urn)


def _state_as_json(state: dict[str, Any]) -> dict[str, Any]:
    """Mock outputs as plain JSON data (unknowns as `[unknown]`), for the rehearsal."""
    def plain(value: Any) -> Any:
        if is_unknown(value):
            return UNKNOWN_SHOWN_AS
        if rpc.is_rpc_secret(value):
            return SECRET_SHOWN_AS
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items() if k != "__provider"}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value if value is None or isinstance(value, str | int | float | bool) else json.dumps(value, default=str)

    return plain(state)


def _is_plain(value: Any) -> bool:
    """Whether `value` is JSON data of exactly the built-in types (no subclass, tuple, Output or resource)."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _is_plain(item) for key, item in value.items())
    if kind is list:
        return all(_is_plain(item) for item in value)
    return value is None or kind in (str, bool, int, float)


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
    if not _is_plain(state):
        return None
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in state.items() if value is not None})
    return struct


class InlineEngineCalls(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs each call where it is submitted: the mock engine answered on the loop's thread.

    The SDK hands every call of the engine to the event loop's default executor (pulumi/runtime/
    resource.py, `do_rpc_call` through `run_in_executor(None, ...)`), for an engine that is a gRPC
    server in another process. The planner's engine is Python in this process: on a thread it only
    takes turns with the loop for the interpreter lock, and every call costs two hand-offs between
    threads; the order in which calls completed also depended on the threads' timing. Inline, a
    registration's answer is there when `run_in_executor` returns, in the order the program's
    coroutines reach the engine. asyncio accepts only a ThreadPoolExecutor as a loop's default
    executor (`BaseEventLoop.set_default_executor`), hence the base class; it never starts a thread.
    The engine must then never pump the loop for long: `RecordingMonitor` answers registrations
    without the SDK's `_sync_await` (`answer_struct`).
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # as a pool's worker does: the caller's future carries it
            future.set_exception(error)
        return future


class LoopClosingMonitor(MockMonitor):
    """The SDK's mock monitor, with a way to close the event loops it makes on the engine's threads.

    The SDK calls a monitor on the threads of the event loop's default executor
    (pulumi/runtime/resource.py, `do_rpc_call` through `run_in_executor`), and its MockMonitor gives
    each thread an event loop (pulumi/runtime/mocks.py, `RegisterResource`, `ReadResource` and `Invoke`
    call `_ensure_event_loop`) that nothing closes. A loop and its selector hold each other, so such a
    loop outlives its thread until some later `gc.collect()`; its finalizer then warns about an
    unclosed loop (ResourceWarning) in whichever test happens to collect it: the occasional
    PytestUnraisableExceptionWarning of the test suite. `close_thread_loops` closes them when the
    run is torn down.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self._thread_loops: dict[int, asyncio.AbstractEventLoop] = {}
        self._thread_loops_lock = threading.Lock()

    def _note_thread_loop(self) -> None:
        loop = _ensure_event_loop()  # the loop the SDK's method is about to use on this thread
        with self._thread_loops_lock:
            self._thread_loops.setdefault(id(loop), loop)

    def close_thread_loops(self, keep: asyncio.AbstractEventLoop | None = None) -> None:
        """Close the loops made on the engine's threads (not `keep`, the program's own loop)."""
        with self._thread_loops_lock:
            loops, self._thread_loops = list(self._thread_loops.values()), {}
        for loop in loops:
            if loop is not keep and not loop.is_running() and not loop.is_closed():
                loop.close()

    def RegisterResource(self, request: Any) -> Any:
        """The SDK's MockMonitor.RegisterResource (pulumi 3.272, runtime/mocks.py), step for step, with a plain
        answer made without pumping the event loop (`answer_struct`)."""
        self._note_thread_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object)
        resource_id, state = self.mocks.new_resource(MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            resource_id=request.importId, custom=request.custom or False,
            transforms=_resolve_callbacks(request.transforms)))
        answer = answer_struct(state)
        if answer is None:
            answer = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=answer)

    def ReadResource(self, request: Any) -> Any:
        self._note_thread_loop()
        return super().ReadResource(request)

    def Invoke(self, request: Any) -> Any:
        self._note_thread_loop()
        return super().Invoke(request)


class RecordingMonitor(LoopClosingMonitor):
    """The SDK's mock monitor, keeping every registration and read in order with parent and options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.read_registrations: list[Registration] = []
        """`Resource.get` reads, kept apart: they are not resources this program manages."""
        if isinstance(mocks, GangplankMocks):
            mocks._answers.declared = self.registrations

    def _dry_run(self) -> bool:
        return bool(pulumi.runtime.is_dry_run())

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's whole type chain, and never the root stack's type.

        The SDK's MockMonitor keeps only the parent's last type and prefixes top-level resources
        with `pulumi:pulumi:Stack$`; the engine does neither (pulumi/pulumi pkg/resource/deploy/
        deployment.go `generateURN`: "don't use the root stack type; otherwise, use the full
        qualified type"). Aliases built from URNs, and URN comparisons across plans, need the real form.
        """
        if parent and (chain := parent.split("::")[2]) != "pulumi:pulumi:Stack":
            type_ = f"{chain}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        # The SDK's monitor keeps every resource's state (for `pulumi:pulumi:getResource`): the same few
        # thousand keys and values over and over, kept once each.
        kept = self.resources.get(response.urn)
        if kept is not None:
            self.resources[response.urn] = kept._replace(state=shared_strings(kept.state))
        implicit = {urn for deps in request.propertyDependencies.values() for urn in deps.urns}
        explicit = sorted(urn_label(u) for u in request.dependencies if u not in implicit)
        options: dict[str, Any] = {}
        if request.protect:
            options["protect"] = True
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        if request.ignoreChanges:
            options["ignoreChanges"] = list(request.ignoreChanges)
        if explicit:
            options["dependsOn"] = explicit
        if request.importId:
            options["import"] = request.importId
        if request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = True
        if request.replaceOnChanges:
            options["replaceOnChanges"] = sorted(request.replaceOnChanges)
        timeouts = {key: getattr(request.customTimeouts, key) for key in ("create", "update", "delete")
                    if request.HasField("customTimeouts") and getattr(request.customTimeouts, key)}
        if timeouts:
            options["customTimeouts"] = timeouts
        aliases = [_alias(alias) for alias in request.aliases] + list(request.aliasURNs)
        if aliases:
            options["aliases"] = aliases
        inputs, holds_secret = struct_inputs(request.object)
        self.registrations.append(Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            id=self._shown_id(response.id, bool(request.custom)),
            custom=bool(request.custom),
            parent=_parent_label(request.parent),
            inputs=inputs,
            options=options,
            # Every URN the engine is told this resource waits for: explicit `depends_on` and the
            # implicit ones of its Output inputs (the SDK sends their union as `dependencies`).
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            property_dependencies={key: sorted({urn_label(u) for u in deps.urns})
                                   for key, deps in sorted(request.propertyDependencies.items()) if deps.urns},
            secret_inputs=json_format.MessageToDict(request.object) if holds_secret else None,
            # A provider reference is `<urn>::<id>`; the SDK sends none for the default provider.
            provider=urn_label(request.provider.rsplit("::", 1)[0]) if request.provider else None,
            raw_state=self.resources[response.urn].state,
        ))
        return response

    def _shown_id(self, resource_id: str | None, custom: bool) -> str | None:
        if not custom:
            return None
        if resource_id:
            return resource_id
        return UNKNOWN_SHOWN_AS if self._dry_run() else None

    def ReadResource(self, request: Any) -> Any:
        """A `Resource.get`, as the engine runs it: read in previews too, skipped when the id is unknown.

        pulumi pkg/resource/deploy/step.go, ReadStep.Apply: "Read steps run during previews. The only
        time we can't run is if the ID we are given is unknown": the outputs are then empty, which the
        SDK resolves as unknown. The response carries the id the read resolved (empty: unknown), as
        the engine's ReadResourceResponse does for pulumi >= 3.27x (SDK runtime/resource.py, read_resource).
        """
        self._note_thread_loop()  # as the SDK's ReadResource, which this one replaces, makes it
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.id == rpc.UNKNOWN:
            resource_id, state = "", {}
        else:
            resource_id, state = self.mocks.new_resource(MockResourceArgs(
                typ=request.type, name=request.name, inputs=rpc.deserialize_properties(request.properties),
                provider=request.provider, resource_id=request.id, custom=True))
            resource_id = resource_id or request.id
        properties = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        options: dict[str, Any] = {"read": True}
        if request.dependencies:
            options["dependsOn"] = sorted(urn_label(u) for u in request.dependencies)
        self.read_registrations.append(Registration(
            urn=urn, type=request.type, name=request.name,
            id=resource_id or UNKNOWN_SHOWN_AS, custom=True,
            parent=_parent_label(request.parent),
            inputs=plain_inputs(read_inputs := json_format.MessageToDict(request.properties)),
            options=options,
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            provider=urn_label(request.provider.rsplit("::", 1)[0]) if request.provider else None,
            read=True,
            raw_state=state,
            secret_inputs=read_inputs if _holds_secret(read_inputs) else None,
        ))
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties, id=resource_id)
