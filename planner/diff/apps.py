"""Apps added, changed or removed: the plans' app inventories compared, and each app's own resources.

An app is identified by its name. A changed app lists its fields that differ (a field inside a
mapping by its own name: `monitor.interval`) and its own resources the engine changes (those under
its top-level `ExposedApp` component): an app whose resources change only in what the engine does
not act on (`dependsOn`) is not changed. A field only one plan has is not a change: the planners
that wrote them differ. `monitorId` is the monitor's id, which only UptimeRobot knows: it shows as
`[known after apply]` when the monitor is created or replaced, never as the mocks' number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.diff.model import KIND_ORDER, KNOWN_AFTER_APPLY, OPS, AppDiff, FieldChange, ResourceDiff, output_of
from planner.diff.values import masked
from planner.resource_types import MONITOR

APP_COMPONENT_SUFFIX = ":ExposedApp"
ENGINE_FIELDS = {"monitorId": MONITOR}
"""App fields the inventory takes from a resource's computed outputs (field -> that resource's type)."""


def app_of(label: str | None, parents: Mapping[str, str | None]) -> str | None:
    """The app whose top-level `ExposedApp` holds `label` (following parents), if any."""
    seen: set[str] = set()
    while label is not None and label not in seen:
        seen.add(label)
        type_, _, name = label.partition("::")
        if type_.endswith(APP_COMPONENT_SUFFIX) and parents.get(label) is None:
            return name
        label = parents.get(label)
    return None


def own_resources(steps: Sequence[ResourceDiff], parents: Mapping[str, str | None]) -> dict[str, tuple[str, ...]]:
    """App name -> names of its own resources that the engine creates, changes or deletes."""
    owned: dict[str, list[str]] = {}
    for step in steps:
        if step.op not in OPS:
            continue
        app = app_of(step.label, parents)
        if app is not None:
            owned.setdefault(app, []).append(step.name)
    return {app: tuple(sorted(names)) for app, names in owned.items()}


def _engine_field(field: str, old: Any, new: Any, source: ResourceDiff | None, app: str) -> tuple[Any, Any]:
    """An engine-computed app field as the diff shows it: the resource it comes from, or known after apply."""
    pending = source is not None and source.op in ("create", "replace")
    label = source.label if source is not None else f"{ENGINE_FIELDS[field]}::{app}-monitor"
    shown_old = None if old is None else output_of(label)
    shown_new = None if new is None else KNOWN_AFTER_APPLY if pending else output_of(label)
    return shown_old, shown_new


def engine_sources(steps: Sequence[ResourceDiff], parents: Mapping[str, str | None]) -> dict[tuple[str, str],
                                                                                             ResourceDiff]:
    """(app, field) -> the step of the resource an engine-computed app field comes from (one pass over steps)."""
    found = {}
    for step in steps:
        if step.op not in OPS:
            continue
        for field, type_ in ENGINE_FIELDS.items():
            app = app_of(step.label, parents) if step.type == type_ else None
            if app is not None:
                found[(app, field)] = step
    return found


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any],
                  sources: Mapping[tuple[str, str], ResourceDiff]) -> list[FieldChange]:
    """The app's fields that differ, with both values (secrets masked, engine values marked)."""
    app = str(new.get("name"))
    changes = []
    for field in sorted((old.keys() & new.keys()) - {"name"}):
        before, after = old[field], new[field]
        if field in ENGINE_FIELDS:
            before, after = _engine_field(field, before, after, sources.get((app, field)), app)
        if before == after:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            # Each changed field of a mapping by its own path, also when the mapping comes or goes (a monitor).
            old_map = before if isinstance(before, dict) else {}
            new_map = after if isinstance(after, dict) else {}
            if not isinstance(before, dict | None) or not isinstance(after, dict | None):
                changes.append(FieldChange(field, *masked(before, after)))
                continue
            changes += [FieldChange(f"{field}.{key}", *masked(old_map.get(key), new_map.get(key)))
                        for key in sorted(old_map.keys() | new_map.keys()) if old_map.get(key) != new_map.get(key)]
        else:
            changes.append(FieldChange(field, *masked(before, after)))
    return changes


def diff_apps(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]],
              steps: Sequence[ResourceDiff], parents: Mapping[str, str | None]) -> tuple[AppDiff, ...]:
    """Every app that is added, removed, or changed in its fields or its own resources."""
    before = {str(app.get("name")): app for app in base}
    after = {str(app.get("name")): app for app in head}
    owned = own_resources(steps, parents)
    sources = engine_sources(steps, parents)
    diffs: list[AppDiff] = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is None:
            diffs.append(AppDiff(name, "added", None, new))
        elif new is None:
            diffs.append(AppDiff(name, "removed", old, None))
        else:
            changes = tuple(field_changes(old, new, sources))
            if changes or owned.get(name):
                diffs.append(AppDiff(name, "changed", old, new, changes, owned.get(name, ())))
    return tuple(sorted(diffs, key=lambda d: (KIND_ORDER[d.kind], d.name)))
