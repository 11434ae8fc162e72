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
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, _resolve_callbacks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from planner.mocks.common import is_unknown
from planner.mocks.serving import GangplankMocks
from planner.mocks.wire import (
    SECRET_SHOWN_AS,
    UNKNOWN_SHOWN_AS,
    answer_struct,
    deserialized_inputs,
    plain_inputs,
    struct_inputs,
    urn_label,
)


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


def _alias(alias: Any) -> Any:
    """An alias as the plan shows it: a URN, or the spec's set fields (`name`, `parentUrn`, `noParent`...)."""
    if alias.HasField("urn") or not alias.HasField("spec"):
        return alias.urn
    # The set fields by their JSON names, in field order, as `json_format.MessageToDict` gives them (the spec holds
    # strings and a bool, which it leaves as they are).
    return {field.json_name: value for field, value in alias.spec.ListFields() if value not in ("", None)}


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


class InlineEngineCalls(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs each call where it is submitted: the mock engine answered on the loop's thread.

    The SDK hands every call of the engine to the event loop's default executor (pulumi/runtime/
    resource.py, `do_rpc_call` through `run_in_executor(None, ...)`), for an engine that is a gRPC
    server in another process. The planner's engine is Python in this process: on a thread it only
    takes turns with the loop for the interpreter lock, and every call costs two hand-offs between
    threads; the order in which calls completed also depended on the threads' timing. Inline, a
    registration's answer is there when `run_in_executor` returns (a done asyncio future, on the
    loop's thread), in the order the program's coroutines reach the engine. asyncio accepts only a
    ThreadPoolExecutor as a loop's default executor (`BaseEventLoop.set_default_executor`), hence the
    base class; it never starts a thread.
    The engine must then never pump the loop for long: `LoopClosingMonitor.RegisterResource` answers
    registrations without the SDK's `_sync_await` (`answer_struct`). Only `run_in_executor` calls it on
    the loop's thread: an asyncio future's `result()` takes no timeout, and `map` would wait on one.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        # On the loop's thread the answer is an asyncio future already done, which `run_in_executor` hands back
        # as it is (asyncio `wrap_future`: "if isfuture(future): return future"). A concurrent future would be
        # chained to one through the loop's self-pipe: a write and a wake-up of the selector per call.
        future: Any = loop.create_future() if loop is not None else concurrent.futures.Future()
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
        answer made without pumping the event loop (`answer_struct`) and plain inputs read in one pass
        (`deserialized_inputs`)."""
        self._note_thread_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = deserialized_inputs(request.object)
        if inputs is None:
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
        inputs, has_secret = struct_inputs(request.object)
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
            secret_inputs=json_format.MessageToDict(request.object) if has_secret else None,
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
        read_inputs, has_secret = struct_inputs(request.properties)
        self.read_registrations.append(Registration(
            urn=urn, type=request.type, name=request.name,
            id=resource_id or UNKNOWN_SHOWN_AS, custom=True,
            parent=_parent_label(request.parent),
            inputs=read_inputs,
            options=options,
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            provider=urn_label(request.provider.rsplit("::", 1)[0]) if request.provider else None,
            read=True,
            raw_state=state,
            secret_inputs=json_format.MessageToDict(request.properties) if has_secret else None,
        ))
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties, id=resource_id)
