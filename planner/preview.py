"""What a preview plan cannot know yet, for people: the table's extra section in `--preview` modes.

A preview plan (`python -m planner --preview fresh|update`) is the usual plan with values the
providers compute left unknown (`"[unknown]"` in JSON). This module lists where they are: which
inputs of which resources are unknown, which reads the engine skips (their id is unknown), and
which resources the program creates inside an apply (a preview whose input is unknown never sees
them).
"""

from __future__ import annotations

from typing import Any

from planner.mocks import UNKNOWN_SHOWN_AS
from planner.render import render_table

TABLE_UNKNOWN = "(unknown)"
MAX_PATHS = 4


def unknown_paths(value: Any, path: str = "") -> list[str]:
    """Sorted paths (`aliases[0].name`) of the unknown values inside `value`."""
    if value == UNKNOWN_SHOWN_AS:
        return [path or "(all)"]
    if isinstance(value, dict):
        return [p for key in sorted(value) for p in unknown_paths(value[key], f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in unknown_paths(item, f"{path}[{i}]")]
    return []


def preview_rows(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource, what is unknown) for every resource with an unknown input or id."""
    rows = []
    for resource in plan["resources"]:
        paths = unknown_paths(resource.get("inputs") or {})
        if (resource.get("options") or {}).get("read"):
            continue  # listed with the skipped reads
        if paths:
            shown = ", ".join(paths[:MAX_PATHS]) + (f" and {len(paths) - MAX_PATHS} more" if len(paths) > MAX_PATHS
                                                    else "")
            rows.append((f"{resource['name']} ({resource['type']})", f"{shown} {TABLE_UNKNOWN}"))
    return sorted(rows)


def render_preview_table(plan: dict[str, Any], wide: bool = False) -> str:
    """The plan's table (`wide`: one line per app), then what this preview leaves unknown."""
    preview = plan.get("preview") or {}
    lines = [render_table(plan, wide=wide).rstrip("\n"), "", f"Preview ({preview.get('mode', '?')}): "
             f"{sum(1 for r in plan['resources'] if r.get('id') == UNKNOWN_SHOWN_AS)} ids {TABLE_UNKNOWN}."]
    skipped = preview.get("skippedReads") or []
    if skipped:
        lines += ["", "Reads the engine skips (their id is unknown, so their outputs are too):",
                  *(f"  {label}" for label in skipped)]
    late = preview.get("createdInApply") or []
    if late:
        lines += ["", "Created inside an apply or after the program returned (a preview may not show them):",
                  *(f"  {entry['resource']} ({entry['how']})" for entry in late)]
    rows = preview_rows(plan)
    if rows:
        width = max(len(name) for name, _ in rows)
        lines += ["", "Inputs unknown until the providers answer:",
                  *(f"  {name:<{width}}  {paths}" for name, paths in rows)]
    return "\n".join(lines) + "\n"
