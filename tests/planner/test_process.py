"""The planner's own process tuning: the collector, the SDK cycle it stops, lighter outputs, deferred alias URNs."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from planner.mocks.monitor import RecordingMonitor
from planner.process import (
    SDK_ALL_ALIASES,
    SDK_COLLAPSE_ALIAS_TO_URN,
    SDK_CONTAINS_UNKNOWNS,
    SDK_CREATE_URN,
    SDK_GET_STACK_TRACE,
    SDK_TRANSFER_PROPERTIES,
    SDK_UNWRAP_OPTIONAL_TYPE,
    SDK_UNWRAP_TYPE,
    YOUNG_THRESHOLD,
    DeferredAliasUrn,
    all_aliases,
    collapse_alias_to_urn,
    collector_paused,
    contains_unknowns,
    create_urn,
    no_stack_trace,
    once_per_type,
    relax_garbage_collector,
    stop_sdk_reference_cycles,
    transfer_properties,
)
from planner.render import render_json
from tests.conftest import resolve


@pytest.fixture(autouse=True)
def restore_gc():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_default_thresholds_are_raised():
    gc.set_threshold(700, 10, 10)
    relax_garbage_collector()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("chosen", [(0, 10, 10), (100_000, 10, 10)])
def test_a_deliberate_threshold_is_left_alone(chosen):
    gc.set_threshold(*chosen)
    relax_garbage_collector()
    assert gc.get_threshold() == chosen


def _unknown() -> Any:
    return pulumi.output.Unknown()


def _self_referencing() -> list[Any]:
    loop: list[Any] = ["a"]
    loop.append(loop)
    return loop


VALUES = [
    None, "text", 3, [], {},
    {"a": [1, {"b": "c"}], "d": {"e": None}},
    _unknown(),
    {"a": [1, {"b": _unknown()}]},
    [[[], [_unknown()]]],
    _self_referencing(),
    (_unknown(),),  # the SDK does not look inside tuples; neither may we
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_contains_unknowns_gives_the_sdks_answer(value):
    assert contains_unknowns(value) == SDK_CONTAINS_UNKNOWNS(value)


def _garbage_left_by(check: Callable[[Any], bool]) -> int:
    gc.collect()
    gc.disable()
    try:
        for value in VALUES:
            check(value)
        return gc.collect()
    finally:
        gc.enable()


def test_the_sdks_contains_unknowns_still_leaves_cycles():
    # When this fails, pulumi fixed it upstream: drop stop_sdk_reference_cycles.
    assert _garbage_left_by(SDK_CONTAINS_UNKNOWNS) >= len(VALUES)


def test_after_the_swap_the_sdks_callers_leave_no_cycles(monkeypatch):
    monkeypatch.setattr(rpc, "contains_unknowns", SDK_CONTAINS_UNKNOWNS)
    stop_sdk_reference_cycles()
    # The public helper, like output.py and invoke.py, calls through the module attribute.
    assert _garbage_left_by(pulumi.contains_unknowns) == 0
    assert rpc.contains_unknowns is contains_unknowns


def _tracked_resources() -> int:
    return sum(isinstance(o, pulumi.Resource) for o in gc.get_objects())


def _collections_during(action: Callable[[], Any]) -> tuple[int, Any]:
    made: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            made.append(info["generation"])

    gc.callbacks.append(count)
    try:
        result = action()
    finally:
        gc.callbacks.remove(count)
    return len(made), result


def test_a_program_run_makes_no_collection_and_leaves_the_collector_on(run_stack):
    gc.set_threshold(700, 10, 10)  # the interpreter's defaults: a run would collect over and over
    gc.collect()  # a young count near its threshold would collect before the run
    collections, run = _collections_during(lambda: run_stack("dev"))
    young = gc.get_count()[0]
    assert len(run.monitor.registrations) > 100
    assert collections == 0
    assert gc.isenabled()
    # What the run made is frozen: the first collection after it has nothing of the run's to walk (unfrozen, the
    # young generation would hold the run's hundreds of thousands of objects and collect them at once).
    assert young < 700


def test_a_paused_collector_stays_paused_to_the_outer_end_and_one_off_stays_off():
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_program_run_leaves_the_collector_little_to_do(run_stack):
    gc.collect()
    before = _tracked_resources()  # resources another test may still hold
    run = run_stack("dev")
    # What the program declared is frozen: later collections do not walk it again.
    assert _tracked_resources() <= before
    # And the run made little cyclic garbage: with the SDK's own contains_unknowns it leaves
    # about 190 objects per resource (16,458 for these 87), with ours about one.
    assert gc.collect() < 5 * len(run.monitor.registrations)


# -- lighter output properties ---------------------------------------------------------


class _Resource:
    """Enough of a resource for `transfer_properties`: somewhere to put its Outputs."""


@pytest.fixture
def loop(fresh_event_loop):
    """The test's loop; Outputs made on it are cancelled and forgotten afterwards, as a program run's are."""
    from pulumi.runtime import settings as runtime_settings

    yield fresh_event_loop
    for task in asyncio.all_tasks(fresh_event_loop):
        task.cancel()
    fresh_event_loop.run_until_complete(asyncio.sleep(0))
    runtime_settings.SETTINGS.outputs.clear()


async def _resolved(output: pulumi.Output) -> tuple[Any, bool, bool, set[Any]]:
    return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())


@pytest.mark.parametrize("transfer", [SDK_TRANSFER_PROPERTIES, transfer_properties], ids=["sdk", "planner"])
def test_output_properties_resolve_alike(loop, transfer):
    res, dependency = _Resource(), _Resource()
    resolvers = transfer(res, {"id": None, "urn": None, "name": None, "size": None, "token": None,
                               "later": None, "broken": None}, True)
    assert sorted(resolvers) == ["broken", "later", "name", "size", "token"]  # urn and id are made elsewhere
    resolvers["name"]("shop", True, False, {dependency}, None)
    resolvers["size"]([1, pulumi.output.Unknown()], True, False, None, None)
    resolvers["token"]("s3cr3t", True, True, set(), None)
    resolvers["later"](None, False, False, None, None)
    resolvers["broken"](None, False, False, None, ValueError("the provider failed"))
    run = loop.run_until_complete
    assert run(_resolved(res.name)) == ("shop", True, False, {res, dependency})
    assert run(_resolved(res.size))[1:] == (False, False, {res})  # an unknown inside: not known
    assert run(_resolved(res.token)) == ("s3cr3t", True, True, {res})
    assert run(_resolved(res.later)) == (None, False, False, {res})
    for failed in (res.broken.future(), res.broken.is_known(), res.broken.is_secret()):  # every view of it fails
        with pytest.raises(ValueError, match="the provider failed"):
            run(failed)


def test_the_sdks_output_properties_still_cost_a_task_each(loop):
    # When this fails, pulumi made output properties lighter upstream: drop lighten_output_properties.
    props = dict.fromkeys(f"p{i}" for i in range(20))
    before = len(asyncio.all_tasks(loop))
    SDK_TRANSFER_PROPERTIES(_Resource(), props, False)
    sdk_tasks = len(asyncio.all_tasks(loop)) - before
    transfer_properties(_Resource(), props, False)
    ours = len(asyncio.all_tasks(loop)) - before - sdk_tasks
    assert sdk_tasks >= len(props) and ours == 0


class _RefusingMonitor(RecordingMonitor):
    """A monitor whose provider refuses the resource named `broken`."""

    def RegisterResource(self, request: Any) -> Any:
        if request.name == "broken":
            raise RuntimeError("the provider refused it")
        return super().RegisterResource(request)


@pytest.mark.parametrize("transfer", [SDK_TRANSFER_PROPERTIES, transfer_properties], ids=["sdk", "planner"])
def test_a_refused_registration_fails_the_run_and_its_outputs(monkeypatch, transfer):
    """Output properties are not tracked for `wait_for_rpcs`: their registration is, and it still fails the run."""
    import pulumi_aws as aws
    from pulumi.runtime.stack import wait_for_rpcs

    from planner.run import mocked_runtime

    monkeypatch.setattr(rpc, "transfer_properties", transfer)
    with mocked_runtime("dev", monitor_class=_RefusingMonitor) as (_, loop):
        record = aws.route53.Record("broken", zone_id="Z1", name="x.example.com", type="A", records=["192.0.2.1"],
                                    ttl=60)
        with pytest.raises(Exception, match="refused"):
            loop.run_until_complete(wait_for_rpcs())
        with pytest.raises(Exception, match="refused"):
            loop.run_until_complete(record.fqdn.future())


@pytest.mark.parametrize("parts", [
    ("shop.dev.example.com-a", "aws:route53/record:Record", "urn:pulumi:dev::gangplank::gangplank:apps:Host::shop"),
    ("x", "t:m:T", "urn:pulumi:dev::gangplank::a:b:C$d:e:F::parent"),
    ("top", "t:m:T", None),
], ids=["child", "grandchild", "no parent"])
def test_create_urn_gives_the_sdks_urn(run_mocked, parts):
    def program() -> tuple[Any, Any]:
        return create_urn(*parts), SDK_CREATE_URN(*parts)

    (ours, sdk), _ = run_mocked(program)
    assert resolve(ours) == resolve(sdk)
    for getter in ("is_known", "is_secret"):
        assert asyncio.get_event_loop().run_until_complete(getattr(ours, getter)()) == \
            asyncio.get_event_loop().run_until_complete(getattr(sdk, getter)())


def test_create_urn_of_an_output_parent_is_the_sdks(run_mocked):
    def program() -> Any:
        return create_urn("c", "t:m:T", pulumi.Output.from_input("urn:pulumi:dev::gangplank::t:m:P::p"))

    urn, _ = run_mocked(program)
    assert resolve(urn) == "urn:pulumi:dev::gangplank::t:m:P$t:m:T::c"


# -- alias URNs made on demand ---------------------------------------------------------


def _aliases_of_a_child(run_mocked, collapse: Callable[..., Any]) -> list[str]:
    """The child aliases the SDK computes for an engine without alias specs, with `collapse` in Resource.__init__."""
    def program() -> list[Any]:
        import pulumi.resource as sdk_resource

        sdk_resource.collapse_alias_to_urn = collapse
        parent = pulumi.ComponentResource("test:x:Parent", "parent", opts=pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name="old-parent"), pulumi.Alias(type_="test:x:OldParent")]))
        return all_aliases([pulumi.Alias(name="old-child")], "child", "test:x:Child", parent)

    aliases, _ = run_mocked(program)
    return sorted(resolve(pulumi.Output.all(*aliases)))


def test_deferred_alias_urns_give_the_sdks_inherited_aliases(run_mocked, monkeypatch):
    import pulumi.resource as sdk_resource

    monkeypatch.setattr(sdk_resource, "collapse_alias_to_urn", SDK_COLLAPSE_ALIAS_TO_URN)
    eager = _aliases_of_a_child(run_mocked, SDK_COLLAPSE_ALIAS_TO_URN)
    deferred = _aliases_of_a_child(run_mocked, collapse_alias_to_urn)
    assert deferred == eager
    assert "urn:pulumi:dev::gangplank::test:x:Parent$test:x:Child::old-child" in eager
    assert "urn:pulumi:dev::gangplank::test:x:OldParent$test:x:Child::child" in eager


def test_a_deferred_alias_makes_no_output_until_asked(loop):
    before = len(asyncio.all_tasks(loop))
    deferred = collapse_alias_to_urn(pulumi.Alias(name="old"), "new", "test:x:Thing", None)
    assert isinstance(deferred, DeferredAliasUrn) and len(asyncio.all_tasks(loop)) == before


# -- the tuned planner plans what the SDK as released plans -----------------------------


def test_the_planner_sends_no_source_positions(run_stack):
    """The SDK's own answer when it finds no user frame; the plans stay the same bytes (below)."""
    from pulumi.runtime import resource as sdk_runtime_resource

    run_stack("dev")
    assert sdk_runtime_resource._get_stack_trace is no_stack_trace
    assert no_stack_trace() == SDK_GET_STACK_TRACE() and not no_stack_trace().frames


def _annotations() -> list[Any]:
    """The annotations of the typed inputs and outputs the program declares, nested types included."""
    import pulumi._types as sdk_types
    import pulumi_aws as aws
    import pulumi_kubernetes as k8s

    found: list[Any] = []
    pending: list[type] = [k8s.networking.v1.IngressArgs, k8s.apps.v1.DeploymentArgs, aws.route53.RecordArgs,
                           k8s.core.v1.ServiceArgs, k8s.networking.v1.outputs.Ingress]
    seen: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        types = (sdk_types.output_type_types(cls) if sdk_types.is_output_type(cls)
                 else sdk_types.input_type_types(cls) if sdk_types.is_input_type(cls) else {})
        for annotation in types.values():
            found.append(annotation)
            inner = SDK_UNWRAP_OPTIONAL_TYPE(SDK_UNWRAP_TYPE(annotation))
            for candidate in (inner, *getattr(inner, "__args__", ())):
                if isinstance(candidate, type) and (sdk_types.is_input_type(candidate)
                                                    or sdk_types.is_output_type(candidate)):
                    pending.append(candidate)
    return found


def test_types_unwrapped_once_are_unwrapped_as_the_sdk_unwraps_them():
    annotations = _annotations()
    assert len(annotations) > 100
    unwrap, unwrap_optional = once_per_type(SDK_UNWRAP_TYPE), once_per_type(SDK_UNWRAP_OPTIONAL_TYPE)
    for annotation in annotations * 2:  # the second time from the cache
        assert unwrap(annotation) == SDK_UNWRAP_TYPE(annotation)
        assert unwrap_optional(annotation) == SDK_UNWRAP_OPTIONAL_TYPE(annotation)
    unhashable = [str]  # not an annotation the SDK expects, but it answers: so do we
    assert unwrap(unhashable) == SDK_UNWRAP_TYPE(unhashable)


def _untuned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the program with the SDK as released (the collector is still relaxed, and collects during the run: it
    changes no result), its engine called on the default executor's threads and answering through the SDK's own
    serialisation."""
    import concurrent.futures
    import contextlib

    import pulumi._types as sdk_types
    import pulumi.resource as sdk_resource
    from pulumi.runtime import resource as sdk_runtime_resource

    import planner.mocks.monitor
    import planner.run

    monkeypatch.setattr(planner.run, "tune_planner_process", relax_garbage_collector)
    monkeypatch.setattr(planner.run, "collector_paused", contextlib.nullcontext)
    monkeypatch.setattr(rpc, "contains_unknowns", SDK_CONTAINS_UNKNOWNS)
    monkeypatch.setattr(rpc, "transfer_properties", SDK_TRANSFER_PROPERTIES)
    monkeypatch.setattr(sdk_resource, "collapse_alias_to_urn", SDK_COLLAPSE_ALIAS_TO_URN)
    monkeypatch.setattr(sdk_runtime_resource, "all_aliases", SDK_ALL_ALIASES)
    monkeypatch.setattr(sdk_runtime_resource, "create_urn", SDK_CREATE_URN)
    monkeypatch.setattr(sdk_runtime_resource, "_get_stack_trace", SDK_GET_STACK_TRACE)
    monkeypatch.setattr(sdk_types, "unwrap_type", SDK_UNWRAP_TYPE)
    monkeypatch.setattr(sdk_types, "unwrap_optional_type", SDK_UNWRAP_OPTIONAL_TYPE)
    monkeypatch.setattr(planner.run, "InlineEngineCalls", concurrent.futures.ThreadPoolExecutor)
    monkeypatch.setattr(planner.mocks.monitor, "answer_struct", lambda state: None)
    monkeypatch.setattr(planner.mocks.monitor, "deserialized_inputs", lambda struct: None)


@pytest.mark.parametrize("stack, config", [("dev", {}), ("prod", {}), ("dev", {"dnsRecords": "wildcard"}),
                                           ("staging", {"flavor": "ingress-nginx"})])
def test_the_tuned_planner_plans_the_same_bytes(plan_stack, monkeypatch, stack, config):
    tuned = render_json(plan_stack(stack, **config))
    with monkeypatch.context() as patch:
        _untuned(patch)
        released = render_json(plan_stack(stack, **config))
    assert tuned == released
