"""Tuning of the planner's own Python process: how much garbage a program run makes and collects, and
what the SDK works out for the engine that the planner's mock engine never reads (source positions).

This is the planner's business, not the program's: `__main__.py` runs under `pulumi up` exactly
as written, and a Pulumi program that swaps SDK internals or retunes the collector would surprise
every maintainer and every SDK upgrade. The planner is our tool, and it runs the program many
times per process (tests, benchmarks), so it applies `tune_planner_process()` around each run.
The SDK defect behind `stop_sdk_reference_cycles` is written up for upstream in
docs/sdk-contains-unknowns-cycle.md; the memory behind `lighten_output_properties` in
docs/performance.md ("The planner at 5,000 apps").
"""

from __future__ import annotations

import asyncio
import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi._types as sdk_types
import pulumi.resource as sdk_resource
from pulumi.output import Output, _OutputData
from pulumi.runtime import known_types, rpc
from pulumi.runtime import resource as sdk_runtime_resource
from pulumi.runtime.proto import source_pb2

# Young-generation threshold while the program declares resources (Python's default: 700).
YOUNG_THRESHOLD = 50_000

SDK_CONTAINS_UNKNOWNS = rpc.contains_unknowns
"""The SDK's own `contains_unknowns`, kept so tests can compare it with ours."""
SDK_TRANSFER_PROPERTIES = rpc.transfer_properties
"""The SDK's own `transfer_properties`, kept so tests can compare it with ours."""
SDK_COLLAPSE_ALIAS_TO_URN = sdk_resource.collapse_alias_to_urn
"""The SDK's `collapse_alias_to_urn` as `Resource.__init__` calls it, kept so tests can compare with ours."""
SDK_ALL_ALIASES = sdk_runtime_resource.all_aliases
"""The SDK's `all_aliases`, the one reader of the URNs `Resource.__init__` collapses."""
SDK_CREATE_URN = sdk_runtime_resource.create_urn
"""The SDK's `create_urn`, as its own registration code calls it."""
SDK_GET_STACK_TRACE = sdk_runtime_resource._get_stack_trace
"""The SDK's `_get_stack_trace`, which its registration code calls for every resource (tests run with it)."""
SDK_UNWRAP_TYPE = sdk_types.unwrap_type
"""The SDK's `unwrap_type` (`Input[T]`, `Output[T]`, `Optional[T]` to `T`), kept so tests can compare it with ours."""
SDK_UNWRAP_OPTIONAL_TYPE = sdk_types.unwrap_optional_type
"""The SDK's `unwrap_optional_type` (`Optional[T]` to `T`), likewise."""
SDK_RESOURCE_TYPES = sdk_types.resource_types
"""The SDK's `resource_types`, which `resolve_outputs` calls for every resource it resolves."""


def relax_garbage_collector() -> None:
    """Collect garbage far less often while the program declares its resources.

    A program run is one burst of allocation (resources, Outputs, futures) that lives until
    the end; with the default thresholds the collector walks it again and again, about half
    the run time of a stack with hundreds of apps (docs/performance.md). What the imports made
    is frozen out of collection for good. A threshold someone set on purpose (0 = collector
    off, or an already higher one) is left alone.
    """
    gc.freeze()
    young, _, _ = gc.get_threshold()
    if 0 < young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, 20, 100)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a program runs; what the run made is frozen when it ends.

    A run allocates and keeps: its resources, their Outputs and registrations live until its plan
    is built, and once the SDK's own cycles are stopped (`stop_sdk_reference_cycles`) it leaves
    little cyclic garbage. Measured with `gc.collect()` after runs with the collector off: 834
    objects for a team stack of 5,103 resources, 6,590 for the `all` stack of 38,000 at 5,000
    apps, and the same peak memory as with it on. Every young collection of a run (21 in that team
    plan, 0.25 s of its 5 s) walked survivors to find nothing. At the end, what the run made is
    frozen, so that the first collection after it does not walk it instead (it was frozen once
    the program had declared everything, before this pause), and the collector is as it was:
    one already off stays off, and a pause inside a pause leaves it paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def contains_unknowns(value: Any) -> bool:
    """Whether `value` (nested dicts and lists) holds an unknown (preview) value anywhere.

    The SDK's answer, without the SDK's reference cycle: an explicit stack instead of a
    recursive closure. Most values are neither a dict nor a list (a string, a number): they are
    answered at once, without the stack.
    """
    if not isinstance(value, dict | list):
        return known_types.is_unknown(value)
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if known_types.is_unknown(item):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def stop_sdk_reference_cycles() -> None:
    """Swap the SDK's `contains_unknowns` for :func:`contains_unknowns`.

    pulumi 3.272 defines a recursive closure on every call of `rpc.contains_unknowns`, which
    refers to itself through its cell: each call leaves a cycle of six objects that only the
    garbage collector can free. The SDK calls it for every resolved Output, about 34 times per
    resource, so at 500 apps it was 96,000 cycles, nearly all of a run's garbage, and the
    collector's time went with it (docs/performance.md). `output.py`, `invoke.py` and `rpc.py`
    itself all call it through the module attribute, so one assignment covers them.
    """
    rpc.contains_unknowns = contains_unknowns


def output_of(data: asyncio.Future) -> Output[Any]:
    """`Output._from_data(data)` for a future a registration resolves, without tracking it for `wait_for_rpcs`.

    The SDK tracks every Output so that `wait_for_rpcs` waits for it, with a clean-up closure, a
    context copy and a set entry each. An output property is resolved, or failed, by its
    resource's registration RPC, which `wait_for_rpcs` awaits first (and whose failure it raises
    before it looks at any Output): by then the property's future is done.
    """
    output: Output[Any] = object.__new__(Output)
    output._data = data
    return output


class PropertyResolver:
    """A resolver as the SDK's `transfer_properties` makes them: the same arguments, the same outcome."""

    __slots__ = ("data", "resource")

    def __init__(self, resource: Any, data: asyncio.Future) -> None:
        self.resource = resource
        self.data = data

    def __call__(self, value: Any, is_known: bool, is_secret: bool, deps: Any, failed: Exception | None) -> None:
        if failed is not None:
            self.data.set_exception(failed)
            return
        resources = set(deps) if deps else set()
        resources.add(self.resource)
        self.data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


def transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, Any]:
    """The SDK's `transfer_properties` with one future per output property instead of four and a task.

    (And a small resolver object instead of a `functools.partial`, and no tracking: `output_of`.)

    pulumi 3.272 gives every output property of every resource four futures (value, known,
    secret, dependencies), an `Output` whose data is a task awaiting them, and the task's
    coroutine; a typed resource has up to thirty such properties (every output of its type, not
    only those set). That was 64 % of the memory a program holds once it has declared its
    resources (docs/performance.md). The SDK's own `resource_output`, which makes `urn` and `id`,
    already does it with one future holding an `_OutputData`; this does the same for every
    property. The resolvers take the same arguments and resolve to the same value, known,
    secret and dependencies, or to the same exception.
    """
    resolvers: dict[str, Any] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # these properties are handled elsewhere, as in the SDK
        data: asyncio.Future = asyncio.Future()
        resolvers[name] = PropertyResolver(res, data)
        res.__dict__[name] = output_of(data)
    return resolvers


def create_urn(name: Any, type_: Any, parent: Any = None, project: Any = None, stack: Any = None) -> Output[str]:
    """The SDK's `create_urn`, already resolved when its parts are plain strings.

    Every registration awaits a URN it only uses without a monitor (`mock_urn` in
    `register_resource`); the SDK makes it of seven Outputs, each a task, and every resource
    holds its prepared request across the loop turns they take. With a parent URN, type and
    name in hand it is one string: `<parent URN up to its name>$<type>::<name>`, known, not
    secret, depending on nothing, as the SDK's would resolve. Anything else goes to the SDK.
    """
    if not (isinstance(name, str) and isinstance(type_, str) and isinstance(parent, str)):
        return SDK_CREATE_URN(name, type_, parent, project, stack)
    data: asyncio.Future = asyncio.get_event_loop().create_future()
    data.set_result(_OutputData(resources=set(), value=f"{parent[: parent.rfind('::')]}${type_}::{name}",
                                is_known=True, is_secret=False))
    return output_of(data)  # resolved already: nothing for `wait_for_rpcs` to wait for


@functools.cache
def _types_of_resource_class(resource_cls: type) -> dict[str, type]:
    return SDK_RESOURCE_TYPES(resource_cls)


def resource_types(resource_cls: type) -> dict[str, type]:
    """The SDK's `resource_types`, worked out once per class.

    The SDK works it out again for every resource whose outputs it resolves: for a class with
    annotations (every component here documents its attributes so) it builds a new class and
    resolves its type hints each time, about one throw-away class per three resources, which only
    the garbage collector frees. The answer depends on the class alone; callers get a copy.
    """
    return dict(_types_of_resource_class(resource_cls))


def lighten_output_properties() -> None:
    """Swap the SDK's `transfer_properties` for :func:`transfer_properties` (`runtime/resource.py` calls it
    through the module attribute, for registered and read resources alike), its `create_urn` for
    :func:`create_urn` (the same module's registration code calls it by its global name), and its
    `resource_types` for :func:`resource_types` (`rpc.resolve_outputs` calls it through `pulumi._types`)."""
    rpc.transfer_properties = transfer_properties
    sdk_runtime_resource.create_urn = create_urn
    sdk_types.resource_types = resource_types


class DeferredAliasUrn:
    """An alias of a resource, collapsed to its URN only when something asks for the URN."""

    def __init__(self, alias: Any, name: str, type_: str, parent: Any) -> None:
        self.args = (alias, name, type_, parent)
        self._urn: Output[str] | None = None

    def urn(self) -> Output[str]:
        """The SDK's Output of the alias's URN, made on first use."""
        if self._urn is None:
            self._urn = SDK_COLLAPSE_ALIAS_TO_URN(*self.args)
        return self._urn


def collapse_alias_to_urn(alias: Any, name: str, type_: str, parent: Any) -> DeferredAliasUrn:
    """What `Resource.__init__` keeps in `_aliases`: the alias, to collapse when a child needs it.

    pulumi 3.272 collapses every alias of every resource into a URN as the resource is declared
    (about ten Outputs, each a task, per alias). The URNs serve one reader, `all_aliases`, which
    computes children's inherited aliases for engines that cannot take alias specs; engines that
    can (the planner's mock monitor, and the engine behind `pulumi up`) get the aliases themselves.
    Aliases made the largest share of a planner run's peak memory (docs/performance.md).
    """
    return DeferredAliasUrn(alias, name, type_, parent)


def all_aliases(child_aliases: Any, child_name: str, child_type: str, parent: Any) -> Any:
    """The SDK's `all_aliases`, after collapsing the parent's deferred aliases as the SDK would have."""
    if parent is not None and any(isinstance(alias, DeferredAliasUrn) for alias in parent._aliases):
        parent._aliases = [alias.urn() if isinstance(alias, DeferredAliasUrn) else alias for alias in parent._aliases]
    return SDK_ALL_ALIASES(child_aliases, child_name, child_type, parent)


def defer_alias_urns() -> None:
    """Swap the SDK's eager alias URNs for :func:`collapse_alias_to_urn` (and :func:`all_aliases`, their reader)."""
    sdk_resource.collapse_alias_to_urn = collapse_alias_to_urn
    sdk_runtime_resource.all_aliases = all_aliases


NO_STACK_TRACE = source_pb2.StackTrace()


def no_stack_trace() -> source_pb2.StackTrace:
    """An empty stack trace: what the SDK sends when it finds no user frame (`_get_stack_trace`)."""
    return NO_STACK_TRACE


def skip_source_positions() -> None:
    """Swap the SDK's `_get_stack_trace` for :func:`no_stack_trace`.

    pulumi 3.272 walks the whole Python stack on every declaration (`traceback.extract_stack`: a
    line read and a `Path.as_uri` per frame) to send the engine where in the program each resource
    was declared (the request's `sourcePosition` and `stackTrace`). The planner's mock monitor, like
    the SDK's, never reads them, and plans do not carry them. About a fifth of a team stack's plan
    (docs/performance.md, section 5). `register_resource` and `read_resource` call it by its global name.
    """
    sdk_runtime_resource._get_stack_trace = no_stack_trace


def once_per_type(sdk_function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`sdk_function` of a type annotation, worked out once per annotation object.

    Kept by identity: hashing a `typing` annotation hashes its arguments every time, which cost as much as the
    answer. The cache holds each annotation, so no other object can take its id; a run sees a few hundred."""
    answers: dict[int, tuple[Any, Any]] = {}

    def per_type(annotation: Any) -> Any:
        known = answers.get(id(annotation))
        if known is not None and known[0] is annotation:
            return known[1]
        answer = sdk_function(annotation)
        answers[id(annotation)] = (annotation, answer)
        return answer

    return per_type


def unwrap_types_once() -> None:
    """Swap the SDK's `unwrap_type` and `unwrap_optional_type` for versions that remember their answers.

    pulumi 3.272 works out what a property's annotation wraps (`Input[T]`, `Output[T]`, `Optional[T]`)
    for every value it serialises and every output it translates, through `typing.get_origin` and
    `get_args` each time: 84,000 and 137,000 calls for a team stack of 650 apps, for a few hundred
    annotations. The answer depends on the annotation alone, as for `resource_types`. `rpc.py` calls both
    through `pulumi._types`, and `unwrap_type` calls `unwrap_optional_type` by its global name."""
    sdk_types.unwrap_type = once_per_type(SDK_UNWRAP_TYPE)
    sdk_types.unwrap_optional_type = once_per_type(SDK_UNWRAP_OPTIONAL_TYPE)


def tune_planner_process() -> None:
    """What the planner does before a program run: collect less often, without the SDK's cycles, with
    lighter output properties, alias URNs made only when needed, no source positions and type annotations
    unwrapped once each."""
    relax_garbage_collector()
    stop_sdk_reference_cycles()
    lighten_output_properties()
    defer_alias_urns()
    skip_source_positions()
    unwrap_types_once()
