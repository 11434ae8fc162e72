"""The walk: the engine's schedule of a plan, its waves and its critical path.

`rollout(plan, ...)` walks the plan as the engine would: a resource starts when every resource it
depends on, and its parent's registration, is done (the SDK sends a registration only once the
URNs of its dependencies and parent resolved, and a registration resolves when its step
completed); at most `parallel` steps run at once; the UptimeRobot monitors share the account's
request rate. Each step takes the modeled duration of its type (`figures.FIGURES`, each with its
source).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from planner.resource_types import VALIDATION
from planner.rollout.blockers import Blocker, blocker_json, find_blockers
from planner.rollout.figures import (
    DEFAULT_PARALLEL,
    EXISTING,
    FREE_PLAN_RATE_PER_MINUTE,
    HELM_WAIT_TIMEOUT_S,
    INGRESS_AWAIT_TIMEOUT_S,
    RATE_LIMITED,
    create_timeout_s,
    parallelism,
    rate_per_minute,
    step_figure,
)
from planner.rollout.plan_reading import is_component, label


@dataclass
class Step:
    """One resource's modeled step."""

    resource: str
    seconds: float
    source: str
    deps: set[str] = field(default_factory=set)
    runs: bool = True
    """False for resources already there (done at 0) and components (done when ready)."""
    custom: bool = True
    start: float | None = None
    finish: float | None = None
    waited_for: str | None = None
    """The step whose finish let this one start (its binding dependency)."""


@dataclass
class Rollout:
    """What `rollout` found."""

    steps: dict[str, Step]
    blockers: list[Blocker]
    blocked: list[str]
    parallel: int
    rate_per_minute: int

    @property
    def finished(self) -> list[Step]:
        return [s for s in self.steps.values() if s.runs and s.finish is not None]

    @property
    def seconds(self) -> int:
        return round(max((s.finish or 0.0 for s in self.finished), default=0.0))

    def critical_path(self, end: str | None = None) -> list[str]:
        """From the first step to `end` (default: the last to finish), along binding dependencies."""
        if end is None:
            candidates = [s for s in self.finished if s.custom]
            if not candidates:
                return []
            end = max(candidates, key=lambda s: (s.finish or 0.0, s.resource)).resource
        path, label = [], end
        while label is not None:
            step = self.steps[label]
            if step.runs and step.custom:
                path.append(label)
            label = step.waited_for
        return list(reversed(path))

    def waves(self) -> list[list[str]]:
        """Dependency levels of the steps that run: wave k waits only for waves before it."""
        level: dict[str, int] = {}

        def of(label: str, seen: frozenset[str] = frozenset()) -> int:
            if label in level:
                return level[label]
            step = self.steps[label]
            below = [of(dep, seen | {label}) for dep in step.deps if dep in self.steps and dep not in seen]
            counted = step.runs and step.custom
            level[label] = (max(below, default=-1) + 1) if counted else max(below, default=-1)
            return level[label]

        waves: dict[int, list[str]] = {}
        for name, step in self.steps.items():
            if step.runs and step.custom and step.finish is not None:
                waves.setdefault(of(name), []).append(name)
        return [sorted(waves[k]) for k in sorted(waves)]

    def to_json(self) -> dict[str, Any]:
        return {
            "parallel": self.parallel,
            "uptimerobotRatePerMinute": self.rate_per_minute,
            "waves": self.waves(),
            "criticalPath": self.critical_path(),
            "criticalPathSeconds": self.seconds,
            "blockers": [blocker_json(b) for b in self.blockers],
            "blocked": self.blocked,
            "schedule": [{"resource": s.resource, "start": round(s.start or 0.0, 1),
                          "finish": round(s.finish or 0.0, 1), "seconds": s.seconds, "source": s.source}
                         for s in sorted(self.finished, key=lambda s: (s.start or 0.0, s.resource)) if s.custom],
        }


def simulate(plan: Mapping[str, Any], blockers: list[Blocker], *, parallel: int, rate: int,
             existing: set[str] | None = None, operations: Mapping[str, str] | None = None) -> Rollout:
    """The engine's schedule of the plan: `existing` resources are done at 0; `operations` says
    `create` (default) or `update` per resource; blocked resources and their dependents never run."""
    existing = existing or set()
    operations = operations or {}
    resources = {label(r): r for r in plan["resources"]}
    steps: dict[str, Step] = {}
    for name, resource in resources.items():
        deps = {d for d in resource.get("dependencies") or [] if d in resources}
        if resource.get("parent") in resources:
            deps.add(resource["parent"])
        if resource.get("provider") in resources:
            deps.add(resource["provider"])
        if name in existing:
            figure, runs = EXISTING, False
        else:
            figure, runs = step_figure(resource, operations.get(name, "create")), not is_component(resource)
        steps[name] = Step(name, figure.seconds, figure.source, deps, runs=runs, custom=not is_component(resource))
    blocked = _blocked(steps, {b for blocker in blockers for b in blocker.blocks} - existing)
    _schedule(steps, blocked, parallel, rate, resources)
    return Rollout(steps, blockers, sorted(b for b in blocked if steps[b].custom), parallel, rate)


def _blocked(steps: dict[str, Step], roots: set[str]) -> set[str]:
    dependents: dict[str, set[str]] = {}
    for step in steps.values():
        for dep in step.deps:
            dependents.setdefault(dep, set()).add(step.resource)
    blocked, pending = set(), [r for r in roots if r in steps]
    while pending:
        current = pending.pop()
        if current not in blocked:
            blocked.add(current)
            pending.extend(dependents.get(current, ()))
    return blocked


def _schedule(steps: dict[str, Step], blocked: set[str], parallel: int, rate: int,
              resources: Mapping[str, Mapping[str, Any]]) -> None:
    """List scheduling in time: ready steps start in plan order while a slot is free."""
    order = {name: i for i, name in enumerate(resources)}
    waiting = {name: {d for d in step.deps if d in steps} for name, step in steps.items() if name not in blocked}
    dependents: dict[str, set[str]] = {}
    for name, deps in waiting.items():
        for dep in deps:
            dependents.setdefault(dep, set()).add(name)
    ready: list[tuple[float, int, str]] = []
    running: list[tuple[float, int, str]] = []
    now, next_call = 0.0, 0.0
    spacing = 60.0 / rate

    def release(name: str, at: float) -> None:
        step = steps[name]
        step.finish = at
        for other in sorted(dependents.get(name, ()), key=order.__getitem__):
            pending = waiting.get(other)
            if pending is None:
                continue
            pending.discard(name)
            # Releases come in time order: the last dependency to finish is the one it waited for.
            steps[other].waited_for = name
            if not pending:
                heapq.heappush(ready, (at, order[other], other))

    for name, deps in waiting.items():
        if not deps:
            heapq.heappush(ready, (0.0, order[name], name))
    while ready or running:
        deferred = []
        while ready:
            item = heapq.heappop(ready)
            at, _, name = item
            step = steps[name]
            limited = name.split("::")[0] in RATE_LIMITED
            if not step.runs or (step.seconds == 0 and not limited):
                # Components and resources already there complete as soon as they are ready.
                step.start = max(at, now)
                release(name, step.start)
            elif len(running) < parallel:
                step.start = max(at, now)
                begin = step.start
                if limited:
                    begin = max(begin, next_call)
                    next_call = begin + spacing
                heapq.heappush(running, (begin + step.seconds, order[name], name))
            else:
                deferred.append(item)  # no free slot: it starts when a running step finishes
        for item in deferred:
            heapq.heappush(ready, item)
        if not running:
            break
        now, _, name = heapq.heappop(running)
        release(name, now)


def longest_first_up_s(plan: Mapping[str, Any]) -> float:
    """The longest a first `pulumi up` of the plan can run before it ends by itself, succeeding or not.

    The modeled critical path, with each wait on it that has a timeout stretched to that timeout:
    the certificate validation (its `customTimeouts.create`), the controllers' Helm install, and
    the Ingress await. A deploy job's time limit must be longer, or a slow but healthy first
    deploy is cut in the middle of an update.
    """
    modeled = simulate(plan, [], parallel=DEFAULT_PARALLEL, rate=FREE_PLAN_RATE_PER_MINUTE)
    validations = [r for r in plan["resources"] if r["type"] == VALIDATION]
    stretch = {VALIDATION: max((create_timeout_s(r) for r in validations), default=0.0),
               "kubernetes:helm.sh/v3:Release": HELM_WAIT_TIMEOUT_S,
               "kubernetes:networking.k8s.io/v1:Ingress": INGRESS_AWAIT_TIMEOUT_S}
    by_label = {label(r): r for r in plan["resources"]}
    extra = 0.0
    for name in modeled.critical_path():
        resource = by_label.get(name)
        if resource is not None and resource["type"] in stretch:
            extra += max(0.0, stretch[resource["type"]] - step_figure(resource, "create").seconds)
    return modeled.seconds + extra


def rollout(plan: Mapping[str, Any], config: Mapping[str, Any],
            environ: Mapping[str, str] | None = None) -> Rollout:
    """The first `pulumi up` of the plan's stack, rehearsed."""
    environ = os.environ if environ is None else environ
    blockers = find_blockers(plan, config, environ)
    return simulate(plan, blockers, parallel=parallelism(environ), rate=rate_per_minute(environ))
