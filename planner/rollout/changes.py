"""One app added to a running stack (what app teams wait for), and a pull request's change: the
resources each adds or changes, rehearsed as `pulumi up` would make them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from planner.resource_types import MONITOR, RECORD
from planner.rollout.blockers import Blocker, blocker_json, find_blockers
from planner.rollout.figures import parallelism, rate_per_minute, step_figure
from planner.rollout.plan_reading import dns_name, is_component, label
from planner.rollout.schedule import Rollout, simulate


def _subtree(plan: Mapping[str, Any], root: str) -> set[str]:
    children: dict[str, set[str]] = {}
    for resource in plan["resources"]:
        if resource.get("parent"):
            children.setdefault(resource["parent"], set()).add(label(resource))
    found, pending = set(), [root]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, ()))
    return found


def app_additions(plan: Mapping[str, Any], root: str, hosts: set[str] | None = None) -> set[str]:
    """What adding the app whose component is `root` adds to a running stack.

    Its component's subtree, plus what it depends on that nothing else needs, and the DNS records
    named after its `hosts` (with the subtree of the component that holds them): such a resource
    counts as added when every resource that depends on it, or is its child, is added too (the
    records of a host of its own, say, but not of one it shares with another app, nor the platform
    every app uses).
    """
    resources = {label(r): r for r in plan["resources"]}
    dependents: dict[str, set[str]] = {}
    for name, resource in resources.items():
        for dep in [*(resource.get("dependencies") or []), resource.get("parent"), resource.get("provider")]:
            if dep in resources:
                dependents.setdefault(dep, set()).add(name)
    own = _subtree(plan, root)
    named = {name for name, r in resources.items() if r["type"] == RECORD
             and dns_name((r.get("inputs") or {}).get("name")) in (hosts or set())}
    closure, pending = set(named), list(own | named)
    while pending:
        current = pending.pop()
        resource = resources[current]
        for dep in [*(resource.get("dependencies") or []), resource.get("parent"), resource.get("provider")]:
            if dep in resources and dep not in closure and dep not in own:
                closure.add(dep)
                pending.append(dep)
    candidates = set()
    for name in closure:
        candidates |= _subtree(plan, name) if is_component(resources[name]) else {name}
    candidates -= own
    kept = set(candidates)
    changed = True
    while changed:
        changed = False
        for name in sorted(kept):
            parent = resources[name].get("parent")
            orphaned = parent in candidates and parent not in kept
            if orphaned or any(d not in own and d not in kept for d in dependents.get(name, ())):
                kept.discard(name)
                changed = True
    return own | kept


def add_app_rollouts(plan: Mapping[str, Any], config: Mapping[str, Any],
                     environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """For each app: the resources it adds to a running stack and the chain until its monitor exists."""
    environ = os.environ if environ is None else environ
    blockers = find_blockers(plan, config, environ)
    components = {r["name"]: label(r) for r in plan["resources"] if is_component(r)}
    entries = []
    for app in plan.get("apps") or []:
        root = components.get(str(app.get("name")))
        if root is None:
            continue
        hosts = {dns_name(h) for h in app.get("hosts") or []} | {dns_name(urlsplit(str(app.get("url"))).hostname)}
        adds = app_additions(plan, root, hosts - {""})
        existing = {label(r) for r in plan["resources"]} - adds
        relevant = [b for b in blockers if b.resource in adds]
        result = simulate(plan, relevant, parallel=parallelism(environ), rate=rate_per_minute(environ),
                          existing=existing)
        monitor = next((s for s in result.finished if s.resource in adds and s.resource.startswith(MONITOR + "::")),
                       None)
        entries.append({
            "app": app.get("name"),
            "adds": sorted(a for a in adds if result.steps[a].custom),
            "chain": result.critical_path(monitor.resource if monitor else None),
            "seconds": result.seconds,
            "monitoredAfterSeconds": round(monitor.finish) if monitor and monitor.finish is not None else None,
            "blockers": [blocker_json(b) for b in relevant],
        })
    return entries


STEP_LISTS = {"create": "created", "import": "imported", "update": "updated", "replace": "replaced",
              "replace-delete-first": "replaced", "delete": "deleted"}
"""The engine's steps (`planner.diff`) and the lists of `change_rollout` that count them."""


def diff_steps(diff: Any) -> dict[str, str]:
    """`<type>::<name>` -> the engine's step, from a `planner.diff.PlanDiff` (resources left alone: absent)."""
    from planner.diff import OPS

    return {step.label: "replace-delete-first" if step.op == "replace" and step.delete_first else step.op
            for step in diff.resources if step.op in OPS}


def engine_steps(base: Mapping[str, Any], head: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """`<type>::<name>` -> the engine's step for it, as `planner.diff` decides it (resources left alone: absent)."""
    from planner.diff import diff_plans

    return diff_steps(diff_plans(base, head, {str(k): str(v) for k, v in config.items()}))


def change_rollout(base: Mapping[str, Any], head: Mapping[str, Any], config: Mapping[str, Any],
                   environ: Mapping[str, str] | None = None, steps: Mapping[str, str] | None = None,
                   blockers: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The modeled time of the steps `pulumi up` takes from `base` to `head`, and their blockers.

    `steps`: `<type>::<name>` -> the engine's step (`engine_steps`, worked out here when not given), so
    that the counts are the diff's: options the engine does not act on (`dependsOn`) take no time.
    `blockers`: the diff's own (`PlanDiff.blockers`: steps a controller refuses or never lets complete), listed
    first; what they block never completes, and neither do the deletes, which the engine makes last: once a
    step has failed it starts no other. `failsAfterSeconds` then says when the last blocked step fails (at once
    for a refusal, or when Pulumi stops waiting).
    """
    environ = os.environ if environ is None else environ
    steps = engine_steps(base, head, config) if steps is None else steps
    before = {label(r): r for r in base.get("resources") or []}
    after = {label(r): r for r in head["resources"]}
    operations = {name: op for name, op in steps.items() if name in after and op != "delete"}
    removed = sorted(name for name, op in steps.items() if op == "delete" and name in before)
    existing = set(after) - set(operations)
    found = [Blocker(str(b["resource"]), str(b["reason"]), tuple(b.get("blocks") or ()),
                     b.get("failsAfterSeconds")) for b in blockers]
    found += [b for b in find_blockers(head, config, environ) if b.resource in operations]
    result = simulate(head, found, parallel=parallelism(environ), rate=rate_per_minute(environ),
                      existing=existing, operations=operations)
    # Deletes run after the creates and updates, and so does the old half of a replacement made new first;
    # modeled as one parallel phase.
    finishing = [before[name] for name in removed] + [before[name] for name, op in operations.items()
                                                      if op == "replace" and name in before]
    deletes = max((step_figure(resource, "delete").seconds for resource in finishing), default=0.0)
    lists: dict[str, list[str]] = {key: [] for key in dict.fromkeys(STEP_LISTS.values())}
    for name, op in sorted(steps.items()):
        lists[STEP_LISTS[op]].append(name)
    change: dict[str, Any] = {
        **lists,
        "criticalPath": result.critical_path(),
        "seconds": result.seconds + round(deletes if not result.blocked else 0),
        "blockers": [blocker_json(b) for b in found],
    }
    if result.blocked:
        change["blocked"] = result.blocked
        failing = [_fails_at(result, b) for b in found if b.blocks]
        if failing:
            change["failsAfterSeconds"] = round(max(failing))
    return change


def _fails_at(result: Rollout, blocker: Blocker) -> float:
    """When a blocked step fails: when its dependencies are done (it starts), plus how long it waits, if at all."""
    starts = [max((result.steps[dep].finish or 0.0 for dep in result.steps[name].deps
                   if dep in result.steps and result.steps[dep].finish is not None), default=0.0)
              for name in blocker.blocks if name in result.steps]
    return max(starts, default=0.0) + (blocker.timeout_s or 0.0)
