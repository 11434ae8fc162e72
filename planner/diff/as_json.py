"""The diff as JSON: what `--diff ... --format json` prints (a document of kind `diff`, never a base).

Values are whole (never cut); secrets masked (`"[secret]"`); values only the engine knows are
`"[known after apply]"` or `"[output of <type>::<name>]"`, never the mocks' stand-ins.
"""

from __future__ import annotations

from typing import Any

from planner.diff.model import KIND_ORDER, OPS, FieldChange, PlanDiff
from planner.plan_format import stamped


def _changes(items: tuple[FieldChange, ...], key: str) -> list[dict[str, Any]]:
    return [{key: change.field, "old": change.old, "new": change.new,
             **({"replaces": True} if change.replaces else {})} for change in items]


def diff_as_json(diff: PlanDiff) -> dict[str, Any]:
    """`apps` and `resources` list every change: an app's `change` (added, changed, removed), a resource's
    `step` (create, import, update, replace, delete, same, read) and `change` (added, changed, removed);
    `risks` are the warning lines (Markdown), with their `group`."""
    apps = []
    for app in diff.apps:
        entry: dict[str, Any] = {"name": app.name, "change": app.kind}
        if app.kind == "changed":
            entry["changes"] = _changes(app.changes, "field")
            entry["resources"] = list(app.resources)
        elif app.kind == "added":
            entry["new"] = app.head
        else:
            entry["old"] = app.base
        apps.append(entry)
    resources = []
    for resource in diff.resources:
        item: dict[str, Any] = {"type": resource.type, "name": resource.name, "parent": resource.parent,
                                "step": resource.op, "change": resource.kind}
        if resource.op in ("create", "import"):
            item["new"] = resource.head_inputs
        elif resource.op == "delete":
            item["old"] = resource.base_inputs
        else:
            item["inputs"] = _changes(resource.input_changes, "path")
            item["options"] = _changes(resource.option_changes, "option")
        if resource.op == "replace":
            item["deleteFirst"] = resource.delete_first
            item["replaceReasons"] = list(resource.replace_reasons)
        for key, value in (("refused", resource.refused), ("retained", resource.retained),
                           ("unprotected", resource.unprotected), ("ignoredOptions", list(resource.ignored_options)),
                           ("unknownRules", resource.unknown_rules)):
            if value:
                item[key] = value
        resources.append(item)
    return stamped({
        "stack": diff.stack,
        "baseStack": diff.base_stack,
        "baseFormatVersion": diff.base_version,
        "counts": {"apps": {k: len(diff.apps_of(k)) for k in KIND_ORDER},  # type: ignore[arg-type]
                   "resources": {op: n for op, n in diff.op_counts().items() if op in OPS}},
        "apps": apps,
        "resources": resources,
        "risks": [{"kind": r.kind, "group": r.group, "subject": r.subject, "message": r.message} for r in diff.risks],
        "stateCommands": {app: list(lines) for app, lines in diff.state_commands},
        "notes": list(diff.notes),
        **({"moves": list(diff.moves)} if diff.moves else {}),
    }, "diff")
