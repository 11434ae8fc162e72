"""Compare two offline plans: what `pulumi up` will do to a stack, as a pull-request comment or as JSON.

`diff_plans(base, head)` works out each resource's step as the engine decides it (create, update,
replace and which way round, delete, or nothing: `planner.diff.steps`, with each provider's rules in
`planner.diff.providers`), the apps added, changed or removed, and the risks: replacements and
deletions with what they mean, apps open to more clients or reachable by fewer, likely renames.
`render_diff_markdown(diff)` turns it into GitHub Markdown, `diff_as_json(diff)` into JSON.

All are pure functions of the plans (the JSON contract in DESIGN.md) and, for provider settings, of
the stack config; deterministic: the same plans give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from planner.diff.apps import diff_apps
from planner.diff.as_json import diff_as_json
from planner.diff.markdown import render_diff_markdown
from planner.diff.mermaid import MAX_GRAPH_APPS, mermaid_flowchart, routes_of
from planner.diff.model import (
    KNOWN_AFTER_APPLY,
    OPS,
    SECRET,
    AppDiff,
    FieldChange,
    PlanDiff,
    PlanWarning,
    ResourceDiff,
    Risk,
    Route,
)
from planner.diff.risks import collect
from planner.diff.rollout_section import render_rollout_section
from planner.diff.steps import resource_steps
from planner.diff.values import changed_leaves
from planner.edge_moves import move_lines, move_risks
from planner.host_moves import host_move_risks
from planner.plan_format import LEGACY_VERSION, version_of
from planner.resource_types import MONITOR as MONITOR_TYPE

__all__ = [
    "KNOWN_AFTER_APPLY",
    "MAX_GRAPH_APPS",
    "MONITOR_TYPE",
    "OPS",
    "SECRET",
    "AppDiff",
    "FieldChange",
    "PlanDiff",
    "PlanWarning",
    "ResourceDiff",
    "Risk",
    "Route",
    "changed_paths",
    "diff_as_json",
    "diff_plans",
    "mermaid_flowchart",
    "render_diff_markdown",
    "render_rollout_section",
]


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any], config: Mapping[str, str] | None = None) -> PlanDiff:
    """Compare two plans of one stack (`python -m planner --format json` output, or `plan()`'s dict).

    `config`: the stack config the head was planned with (provider settings such as
    `kubernetes:enableSecretMutable`); none means the providers' defaults. Missing keys are
    tolerated, so a plan written by an older planner, or the empty plan `{"stack": "dev", "apps": [],
    "resources": []}` (a base that had no planner yet), diffs fine.
    """
    # A JSON round trip makes an in-memory head compare equal to a base read from a file.
    base, head = _as_json(base), _as_json(head)
    steps = resource_steps(base.get("resources") or [], head.get("resources") or [], config)
    parents = {f"{r.get('type')}::{r.get('name')}": r.get("parent")
               for plan in (base, head) for r in plan.get("resources") or []}
    apps = diff_apps(base.get("apps") or [], head.get("apps") or [], steps, parents)
    risks, commands, blockers = collect(apps, steps, base, head)
    # An edge's move step heads the review list: it decides where every app of the edge is served.
    risks = (*(Risk("move", edge, message) for edge, message in move_risks(base, head)),
             *host_move_risks(base, head), *risks)
    stack = str(head.get("stack") or base.get("stack") or "?")
    version = version_of(base)
    notes = ()
    if version == LEGACY_VERSION and base.get("resources"):
        notes = ("The base plan has no format version (a planner from before plans had one): facts it lacks "
                 "(allow-lists, what values come from outputs) are taken from this plan.",)
    return PlanDiff(
        stack=stack, base_stack=str(base.get("stack") or stack), apps=apps, resources=steps, risks=risks,
        routes=routes_of(apps), warnings=plan_warnings_of(head), moves=tuple(move_lines(head)),
        base_version=version if isinstance(version, int) else LEGACY_VERSION, notes=notes,
        state_commands=tuple((app, tuple(lines)) for app, lines in sorted(commands.items())),
        blockers=tuple(blockers))


def plan_warnings_of(plan: Mapping[str, Any]) -> tuple[PlanWarning, ...]:
    """A plan's top-level `warnings` (absent in plans without any, and in older plans); an entry without a
    `kind` (a plan from before warnings had one: they were all capacity findings) is a `capacity` one."""
    return tuple(PlanWarning(str(entry.get("kind") or "capacity"), str(entry.get("message", entry)))
                 if isinstance(entry, Mapping) else PlanWarning("capacity", str(entry))
                 for entry in plan.get("warnings") or [])


def changed_paths(old: Any, new: Any) -> list[str]:
    """Sorted paths under which `old` and `new` differ (see `planner.diff.values.changed_leaves`)."""
    return [path for path, _, _ in changed_leaves(old, new)]


def _as_json(plan: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(plan, sort_keys=True, default=str))
