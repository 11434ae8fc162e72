"""Run `__main__.py` under Pulumi's mocks and turn what it declared into a plan.

No CLI, no cloud, no credentials: the program runs exactly as `pulumi up` would run it,
except that `planner.mocks` answers for the providers. Each run gets a fresh event loop
and fresh runtime settings, so runs (and tests) never leak into one another.
"""

from __future__ import annotations

import asyncio
import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import wait_for_rpcs

from planner.mocks import GangplankMocks, RecordingMonitor, plain_inputs
from planner.process import freeze_declared_objects, tune_planner_process
from planner.stackconfig import read_stack_config

PROJECT = "gangplank"


@dataclass
class ProgramRun:
    """What one run of the program declared."""

    stack: str
    monitor: RecordingMonitor
    outputs: dict[str, Any]
    """Stack outputs, resolved; secret ones shown as `[secret]`."""


@contextmanager
def mocked_runtime(
    stack: str,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    monitor_class: type[RecordingMonitor] = RecordingMonitor,
) -> Iterator[tuple[RecordingMonitor, asyncio.AbstractEventLoop]]:
    """A fresh Pulumi runtime under the planner's mocks, on a fresh event loop; torn down on exit."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runtime_settings.ROOT.set(None)
        # Output tasks of an earlier run (another test, another stack) belong to a closed loop.
        runtime_settings.SETTINGS.outputs.clear()
        set_all_config(config or {}, secret_keys or [])
        monitor = monitor_class(GangplankMocks())
        pulumi.runtime.set_mocks(GangplankMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
        yield monitor, loop
    finally:
        # Output callbacks left behind by a failed run must not run on the next run's loop.
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)


def run_program(
    stack: str,
    apps_path: str | None = None,
    project_dir: str | Path = ".",
    config_overrides: dict[str, str] | None = None,
) -> ProgramRun:
    """Run the program for `stack`. Raises `components.problems.InputError` on invalid input."""
    config = read_stack_config(stack, project_dir)
    values = dict(config.values)
    if apps_path is not None:
        values["gangplank:appsFile"] = apps_path
    values.update(config_overrides or {})
    tune_planner_process()
    with mocked_runtime(stack, values, config.secret_keys) as (monitor, loop):
        runpy.run_path(str(Path(project_dir) / "__main__.py"), run_name="__main__")
        # Everything the program declared lives until the run ends: later collections need not walk it.
        freeze_declared_objects()
        loop.run_until_complete(wait_for_rpcs())
        outputs = loop.run_until_complete(_resolve_outputs())
    return ProgramRun(stack=stack, monitor=monitor, outputs=outputs)


async def _resolve_outputs() -> dict[str, Any]:
    """The stack outputs as the engine receives them (secrets marked), shown as a plan shows inputs.

    `serialize_property` only awaits the Outputs inside an output; wrapping the whole value in
    `Output.from_input` would build an Output per nested value, which at hundreds of apps
    was a sixth of a planner run (docs/performance.md).
    """
    root = runtime_settings.get_root_resource()
    return {name: plain_inputs(await rpc.serialize_property(value, [], None))
            for name, value in sorted(getattr(root, "outputs", {}).items())}


def build_plan(run: ProgramRun) -> dict[str, Any]:
    """The plan in the planner's JSON contract (see DESIGN.md)."""
    inventory = run.outputs.get("apps") or {}
    apps = [{"name": name, **entry} for name, entry in inventory.items()] if isinstance(inventory, dict) else []
    resources = []
    # Registration order depends on how async work interleaves; URN order does not.
    for reg in sorted(run.monitor.registrations, key=lambda r: r.urn):
        entry: dict[str, Any] = {"type": reg.type, "name": reg.name, "id": reg.id, "parent": reg.parent,
                                 "inputs": reg.inputs}
        if reg.options:
            entry["options"] = reg.options
        entry["dependencies"] = reg.dependencies
        if reg.provider:
            entry["provider"] = reg.provider
        resources.append(entry)
    return {"stack": run.stack, "apps": apps, "resources": resources, "outputs": run.outputs}


def plan(stack: str, apps_path: str | None = None, project_dir: str | Path = ".",
         config_overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the program and return its plan."""
    return build_plan(run_program(stack, apps_path, project_dir, config_overrides))
