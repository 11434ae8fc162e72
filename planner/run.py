"""Run `__main__.py` under Pulumi's mocks and turn what it declared into a plan.

No CLI, no cloud, no credentials: the program runs exactly as `pulumi up` would run it,
except that `planner.mocks` answers for the providers. Each run gets a fresh event loop
and fresh runtime settings, so runs (and tests) never leak into one another.

`preview="fresh"` / `"update"` run it as `pulumi preview` does (the SDK's dry-run mode), with
mocks that leave unknown what the providers compute (see `planner.mocks`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.output
import pulumi.resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import Stack, wait_for_rpcs

from components.apps.preflight import OFFLINE_PLAN, stack_warnings
from components.inputs.problems import InputError, Problem, app_subject, config_subject
from components.inputs.settings import CONFIG_NAMESPACE, STACK_REFERENCE_RE
from components.inputs.settings_parsing import known_stacks, parse_settings, read_stack_yaml, stack_file_name
from components.inputs.stackfiles import read_stack_file
from components.inputs.yamlfile import YamlFileError, load_yaml
from components.inputs.yamllines import line_of, start_line
from components.platform.contract import CONTRACT_OUTPUT, PLATFORM_STACK_KEY
from planner.capacity import plan_warnings
from planner.catalogue import DEFAULT_APPS_FILE, apps_left_out
from planner.mocks.monitor import InlineEngineCalls, RecordingMonitor
from planner.mocks.serving import CheckFailure, GangplankMocks, Mode, StackOutputs
from planner.mocks.wire import UNKNOWN_SHOWN_AS, plain_inputs
from planner.plan_format import stamped
from planner.process import collector_paused, tune_planner_process
from planner.provenance import from_outputs
from planner.resource_types import MONITOR
from planner.stackconfig import StackConfig, read_stack_config

PROJECT = "gangplank"
PREVIEWS = ("fresh", "update")

# Where a dynamic resource's input comes from in apps.yaml, for naming the field of a check failure
# (components/apps/monitors.py, monitor_args). Inputs not listed are named as `monitor`.
MONITOR_INPUT_FIELDS = {
    "keyword_value": "monitor.keyword",
    "keyword_type": "monitor.keyword",
    "interval": "monitor.interval",
    "type": "monitor.type",
    "url": "healthPath",
    "friendly_name": "name",
}


@dataclass(frozen=True)
class LateDeclaration:
    """A resource whose constructor ran inside an `.apply()` callback or after the program returned."""

    resource: str
    """`<type>::<name>`."""
    how: str
    """`inside an apply callback` or `after the program's top-level code returned`."""


@dataclass
class ProgramRun:
    """What one run of the program declared."""

    stack: str
    monitor: RecordingMonitor
    outputs: dict[str, Any]
    """Stack outputs, resolved; secret ones shown as `[secret]`."""
    mode: Mode = "plan"
    config: dict[str, str] = field(default_factory=dict)
    """The stack config the program ran with (`secure:` values as a placeholder): also the limits the plan is
    counted against."""
    late: list[LateDeclaration] = field(default_factory=list)
    """Resources created inside an apply or after the program returned (hidden from previews)."""
    secret_keys: tuple[str, ...] = ()
    """The config keys stored encrypted (`secure:`), as the settings are parsed with them."""
    secret_outputs: tuple[str, ...] = ()
    """The stack outputs that are secret (a StackReference reads them as such)."""
    references: dict[str, StackOutputs] = field(default_factory=dict)
    """What the run's StackReferences read (an app stack's platform), by fully qualified stack name."""
    platform_run: ProgramRun | None = None
    """An app stack's platform, as the planner planned it to serve the StackReference (None when given outputs)."""

    @property
    def role(self) -> str:
        return self.config.get(f"{CONFIG_NAMESPACE}:role") or "all"

    @property
    def environment(self) -> str:
        """What the catalogue's `stacks:` name: the stack itself, or an app stack's platform (its contract says)."""
        for reference in self.references.values():
            contract = reference.outputs.get(CONTRACT_OUTPUT)
            if isinstance(contract, dict) and isinstance(contract.get("environment"), str):
                return contract["environment"]
        return self.stack


@contextmanager
def mocked_runtime(
    stack: str,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    monitor_class: type[RecordingMonitor] = RecordingMonitor,
    mode: Mode = "plan",
    stack_references: Mapping[str, StackOutputs] | None = None,
) -> Iterator[tuple[RecordingMonitor, asyncio.AbstractEventLoop]]:
    """A fresh Pulumi runtime under the planner's mocks, on a fresh event loop; torn down on exit.

    `stack_references`: what a `StackReference` to each stack (by its fully qualified name) reads."""
    loop = asyncio.new_event_loop()
    loop.set_default_executor(InlineEngineCalls())
    asyncio.set_event_loop(loop)
    monitor: RecordingMonitor | None = None
    try:
        runtime_settings.ROOT.set(None)
        # Output tasks of an earlier run (another test, another stack) belong to a closed loop.
        runtime_settings.SETTINGS.outputs.clear()
        set_all_config(config or {}, secret_keys or [])
        mocks = GangplankMocks(mode, stack_references)
        monitor = monitor_class(mocks)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=mode != "plan", monitor=monitor)
        # set_mocks registers the root stack's outputs at once, which closes it to `pulumi.run`; the engine's
        # language host instead awaits the program `pulumi.run` registered once the module's code returned
        # (SDK runtime/stack.py, run_in_stack). Open it again, as run_in_stack's Stack() starts.
        root = runtime_settings.get_root_resource()
        if isinstance(root, Stack):
            root._async_program_registration_closed = False
        yield monitor, loop
    finally:
        # Output callbacks left behind by a failed run must not run on the next run's loop.
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        # The engine's threads may still run a call a cancelled task made (a failed or interrupted run): wait
        # for them, so that none makes its thread's event loop after the loops are closed.
        loop.run_until_complete(loop.shutdown_default_executor())
        if monitor is not None:  # the loops the engine's threads made (planner/mocks/monitor.py, LoopClosingMonitor)
            monitor.close_thread_loops(keep=loop)
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)


SETTLE_EVERY = 500
"""Declarations between two chances for the registrations so far to complete (see `_DeclarationWatch.settle`)."""
SETTLE_TIMEOUT_S = 10.0

SettleWindow = Callable[[asyncio.AbstractEventLoop, set[Any]], tuple[set[Any], set[Any]]]
"""One window of settling: run the loop until the window ends, then (the tasks done, the tasks still pending)."""


def timed_window(loop: asyncio.AbstractEventLoop, pending: set[Any]) -> tuple[set[Any], set[Any]]:
    """A window of `SETTLE_TIMEOUT_S` seconds, or until every pending task is done."""
    return loop.run_until_complete(asyncio.wait(pending, timeout=SETTLE_TIMEOUT_S))


class _DeclarationWatch:
    """Notes resource constructors that run inside an apply callback or after the program returned.

    A resource made inside `.apply()` is invisible to a preview whose input is unknown (the callback
    does not run), and the SDK warns against it (pulumi/output.py, `Output.apply`). The SDK gives no
    other way to tell, so the watch wraps `Output.apply`'s callback and `Resource.__init__` for the
    length of one run, and puts both back afterwards.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None, window: SettleWindow = timed_window) -> None:
        self.window = window
        """How a window of settling ends (`timed_window`; a test ends its windows itself, and asserts what happened in
        each rather than how long a machine took)."""
        self.depth = 0
        self.returned = False
        self.late: list[LateDeclaration] = []
        self.loop = loop
        """The run's loop, to let registrations proceed while the program declares (`settle`); None: never."""
        self.declared = 0
        self.settles = 0
        """How many times registrations were let complete part-way (for tests)."""

    def settle(self) -> None:
        """Let the registrations declared so far complete before the program declares more.

        A Python program declares everything before its event loop runs, so each resource's
        pending registration (its coroutines, its inputs) waits for the last one: at 5,000 apps
        more memory than the plan itself. Running the loop part-way through the program is within
        the SDK's own semantics: it does so whenever a program calls an invoke synchronously
        (pulumi/runtime/sync_await.py `_sync_await`), though only until that invoke returns. What
        changes is when apply callbacks run: earlier than under the engine, where registrations
        finish only as the engine answers. A callback that read state the top-level code changes
        later would plan differently; none of the program's do, and tests/planner/test_run.py
        checks that every stack plans the same bytes either way. If a whole `SETTLE_TIMEOUT_S`
        passes with no registration completing (one waits for something not declared yet), the
        rest waits for the end of the run, as without settling, and stderr says so.
        """
        loop = self.loop
        if loop is None or loop.is_running() or self.returned:
            return
        self.settles += 1
        manager = runtime_settings._get_rpc_manager()
        loop.run_until_complete(asyncio.sleep(0))  # the registrations start: each adds its RPC
        pending = {task for task in manager.rpcs if not task.done()}
        while pending:
            done, pending = self.window(loop, pending)
            if not done:
                self.loop = None
                print(f"planner: {len(pending)} registration(s) made no progress in {SETTLE_TIMEOUT_S:g} s (one waits "
                      "for something not declared yet?); the rest of this run registers at its end, using more memory",
                      file=sys.stderr)
                return

    @contextmanager
    def installed(self) -> Iterator[_DeclarationWatch]:
        apply, init = pulumi.output.Output.apply, pulumi.resource.Resource.__init__
        watch = self

        @functools.wraps(apply)
        def watched_apply(output: Any, func: Any, run_with_unknowns: bool = False) -> Any:
            def callback(value: Any) -> Any:
                watch.depth += 1
                try:
                    return func(value)
                finally:
                    watch.depth -= 1

            return apply(output, callback, run_with_unknowns)

        @functools.wraps(init)
        def watched_init(resource: Any, *args: Any, **kwargs: Any) -> None:
            if watch.depth or watch.returned:
                t, name = (list(args[:2]) + [kwargs.get("t"), kwargs.get("name")][len(args[:2]):])[:2]
                how = "inside an apply callback" if watch.depth else "after the program's top-level code returned"
                watch.late.append(LateDeclaration(f"{t}::{name}", how))
            init(resource, *args, **kwargs)
            watch.declared += 1
            if watch.declared % SETTLE_EVERY == 0 and not watch.depth:
                watch.settle()

        pulumi.output.Output.apply = watched_apply  # type: ignore[method-assign]
        pulumi.resource.Resource.__init__ = watched_init  # type: ignore[method-assign]
        try:
            yield self
        finally:
            pulumi.output.Output.apply = apply  # type: ignore[method-assign]
            pulumi.resource.Resource.__init__ = init  # type: ignore[method-assign]


def run_async_program(loop: asyncio.AbstractEventLoop) -> None:
    """Await the program's `pulumi.run` entry point, if it registered one, as the engine's language host does
    after the module's top-level code (SDK runtime/stack.py, run_in_stack): its returned mapping is exported."""
    root = runtime_settings.get_root_resource()
    if not isinstance(root, Stack):
        return
    program = root._take_async_program()
    if program is not None:
        root._add_program_outputs(loop.run_until_complete(program()))


def run_program(
    stack: str,
    apps_path: str | None = None,
    project_dir: str | Path = ".",
    config_overrides: dict[str, str] | None = None,
    mode: Mode = "plan",
    stack_config: StackConfig | None = None,
    stack_references: Mapping[str, StackOutputs] | None = None,
) -> ProgramRun:
    """Run the program for `stack`. Raises `components.problems.InputError` on invalid input,
    including inputs a dynamic provider's `check` refuses (as `pulumi preview` would).

    `stack_config`: the config to run with instead of `Pulumi.<stack>.yaml`'s (another version of the file). An app
    stack's `StackReference` to its platform reads `stack_references` when given (fully qualified name ->
    outputs), else the plan of the platform stack in `project_dir` (`platform_references`)."""
    config = stack_config if stack_config is not None else read_stack_config(stack, project_dir)
    values = dict(config.values)
    if apps_path is not None:
        values["gangplank:appsFile"] = apps_path
    values.update(config_overrides or {})
    tune_planner_process()
    platform_run = None
    if stack_references is not None:
        references = dict(stack_references)
    else:
        references, platform_run = platform_references(stack, values, project_dir)
    offline = OFFLINE_PLAN.set(True)  # the program's checks: this run deploys nothing (no UptimeRobot key needed)
    # What a run makes lives until its plan is built: the collector would walk it to find nothing.
    with collector_paused(), mocked_runtime(stack, values, config.secret_keys, mode=mode,
                                            stack_references=references) as (monitor, loop), \
            _DeclarationWatch(loop).installed() as watch:
        try:
            runpy.run_path(str(Path(project_dir) / "__main__.py"), run_name="__main__")
            run_async_program(loop)
        finally:
            OFFLINE_PLAN.reset(offline)
        watch.returned = True
        loop.run_until_complete(wait_for_rpcs())
        outputs, secret_outputs = loop.run_until_complete(_resolve_outputs())
    run = ProgramRun(stack=stack, monitor=monitor, outputs=outputs, mode=mode, config=values, late=watch.late,
                     secret_keys=tuple(config.secret_keys), references=references,
                     secret_outputs=secret_outputs, platform_run=platform_run)
    failures = monitor.mocks.check_failures if isinstance(monitor.mocks, GangplankMocks) else []
    if failures:
        raise InputError(check_problems(run, failures, values.get("gangplank:appsFile") or "apps.yaml",
                                        project_dir))
    return run


def platform_references(stack: str, config: Mapping[str, str],
                        project_dir: str | Path = ".") -> tuple[dict[str, StackOutputs], ProgramRun | None]:
    """What an app stack's StackReference reads offline: the plan of its platform stack in the same checkout (and
    that run).

    The platform is planned as deployed (`plan` mode, whatever the app stack's mode): an app stack is previewed
    and deployed after its platform, whose outputs a real StackReference then reads, known, in previews too (the
    engine reads a StackReference in `pulumi preview`; pkg/resource/deploy/step.go, ReadStep). A platform stack
    the checkout does not have is an input error: offline there is nothing else to read.
    """
    name = config.get(PLATFORM_STACK_KEY)
    if config.get(f"{CONFIG_NAMESPACE}:role") != "apps" or not name:
        return {}, None
    stack_file = stack_file_name(stack)
    path = stack_file if str(project_dir) == "." else str(Path(project_dir) / stack_file)
    root = read_stack_yaml(path)
    line = line_of(root, ["config", PLATFORM_STACK_KEY]) if root is not None else None
    match = STACK_REFERENCE_RE.fullmatch(name)
    if match is None:
        return {}, None  # the program names what is wrong with the value
    project, platform = match.group(2), match.group(3)
    known = known_stacks(project_dir)

    def refuse(message: str) -> InputError:
        return InputError([Problem(path, line, config_subject(PLATFORM_STACK_KEY), message)])

    if project != PROJECT:
        raise refuse(f"'{name}' is a stack of the project '{project}', and this checkout is the project '{PROJECT}': "
                     "the offline planner plans an app stack's platform from the same checkout")
    if platform not in known:
        raise refuse(f"no stack '{platform}' in this checkout (no {stack_file_name(platform)}): the offline planner "
                     f"plans an app stack's platform from the same checkout; its stacks: {', '.join(known) or 'none'}")
    if platform == stack:
        raise refuse("names this stack itself: an app stack's platform is another stack (gangplank:role: platform)")
    platform_file = read_stack_file(platform, project_dir)
    if platform_file is None or platform_file.role != "platform":
        return {name: StackOutputs({}, ())}, None  # the program says what it is not: a platform stack
    run = run_program(platform, None, project_dir, mode="plan", stack_references={})
    return {name: StackOutputs(run.outputs, run.secret_outputs)}, run


def check_problems(run: ProgramRun, failures: list[CheckFailure], apps_file: str,
                   project_dir: str | Path = ".") -> list[Problem]:
    """Check failures as input problems: the app (the resource's parent component), its field, the line."""
    parents = {reg.label: reg.parent for reg in run.monitor.registrations}
    path = apps_file if Path(apps_file).is_absolute() or str(project_dir) == "." else str(Path(project_dir) / apps_file)
    try:
        root = load_yaml(path)
    except YamlFileError:
        root = None
    entries = root.get("apps") if isinstance(root, dict) else None
    problems = []
    for failure in failures:
        app = (parents.get(failure.resource) or failure.resource).rpartition("::")[2]
        field_path = MONITOR_INPUT_FIELDS.get(failure.field, "monitor")
        index = next((i for i, entry in enumerate(entries or []) if isinstance(entry, dict)
                      and entry.get("name") == app), None)
        line = None
        if index is not None:
            line = line_of(entries, [index, *field_path.split(".")], start_line(entries[index]))
        problems.append(Problem(apps_file, line, app_subject(app, field_path),
                                f"the uptime monitor's provider refuses it ({failure.resource.rpartition('::')[2]} "
                                f"input '{failure.field}'): {failure.reason}"))
    return problems


async def _resolve_outputs() -> tuple[dict[str, Any], tuple[str, ...]]:
    """The stack outputs as the engine receives them (secrets marked), shown as a plan shows inputs, and the names
    of those that are secret.

    `serialize_property` only awaits the Outputs inside an output; wrapping the whole value in
    `Output.from_input` would build an Output per nested value, which at hundreds of apps
    was a sixth of a planner run (docs/performance.md).
    """
    root = runtime_settings.get_root_resource()
    outputs, secret = {}, []
    for name, value in sorted(getattr(root, "outputs", {}).items()):
        serialized = await rpc.serialize_property(value, [], None)
        if rpc.is_rpc_secret(serialized):
            secret.append(name)
        outputs[name] = plain_inputs(serialized)
    return outputs, tuple(secret)


def build_plan(run: ProgramRun) -> dict[str, Any]:
    """The plan in the planner's JSON contract (see DESIGN.md)."""
    inventory = run.outputs.get("apps") or {}
    apps = [{"name": name, **entry} for name, entry in inventory.items()] if isinstance(inventory, dict) else []
    resources = []
    registrations = [*run.monitor.registrations, *run.monitor.read_registrations]
    sources = from_outputs(registrations)
    # Registration order depends on how async work interleaves; URN order does not.
    # Reads are listed with the resources (option `read: true`), so what depends on them shows.
    for reg in sorted(registrations, key=lambda r: (r.urn, r.read)):
        entry: dict[str, Any] = {"type": reg.type, "name": reg.name, "id": reg.id, "parent": reg.parent,
                                 "inputs": reg.inputs}
        if reg.options:
            entry["options"] = reg.options
        entry["dependencies"] = reg.dependencies
        if reg.property_dependencies:
            entry["propertyDependencies"] = reg.property_dependencies
        if reg.label in sources:
            entry["fromOutputs"] = sources[reg.label]
        if reg.provider:
            entry["provider"] = reg.provider
        resources.append(entry)
    plan: dict[str, Any] = stamped({"stack": run.stack, "apps": apps, "resources": resources,
                                    "outputs": run.outputs}, "plan" if run.mode == "plan" else "preview")
    if run.mode != "plan":
        plan["preview"] = {
            "mode": run.mode,
            "skippedReads": sorted(reg.label for reg in run.monitor.read_registrations if reg.id == UNKNOWN_SHOWN_AS),
            "createdInApply": [{"resource": late.resource, "how": late.how} for late in run.late],
        }
        mocks = run.monitor.mocks
        if run.mode == "update" and isinstance(mocks, GangplankMocks):
            plan["preview"]["unknownOutputs"] = dict(sorted(mocks.unknown_outputs.items()))
    if run.config and run.role != "platform":  # the catalogue the program read: gangplank:appsFile, or --apps
        teams = run.config.get(f"{CONFIG_NAMESPACE}:teams")
        plan["appsLeftOut"] = apps_left_out(run.config.get("gangplank:appsFile") or DEFAULT_APPS_FILE,
                                            run.environment, json.loads(teams) if teams else None)
    if run.config and run.role != "apps":
        # Only when there is something to say: a plan without warnings keeps the bytes it always had. (An app
        # stack's plan holds neither the zones nor the edges: the program checks the environment's limits.)
        settings = parse_settings(run.config, stack_file_name(run.stack), secret_keys=run.secret_keys)
        monitors = sum(reg.type == MONITOR for reg in run.monitor.registrations)
        warnings = [*plan_warnings(plan, settings), *stack_warnings(settings, monitors, os.environ, deploying=False)]
        if warnings:
            plan["warnings"] = [warning.as_plan_entry() for warning in warnings]
    return plan


def plan(stack: str, apps_path: str | None = None, project_dir: str | Path = ".",
         config_overrides: dict[str, str] | None = None, mode: Mode = "plan") -> dict[str, Any]:
    """Run the program and return its plan."""
    return build_plan(run_program(stack, apps_path, project_dir, config_overrides, mode))
