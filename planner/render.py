"""Views of a plan: a table for people, JSON for machines, Markdown for pull requests."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

APP_COLUMNS = (("app", "name"), ("visibility", "visibility"), ("url", "url"),
               ("ingress class", "ingressClass"), ("monitored", "monitored"))


def render_json(plan: dict[str, Any]) -> str:
    """Stable bytes for the same plan: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(plan, indent=2, sort_keys=True) + "\n"


def _cell(value: Any) -> str:
    if value == "[unknown]":  # a preview plan's value the providers compute (planner.preview)
        return "(unknown)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


def _app_rows(plan: dict[str, Any]) -> list[list[str]]:
    return [[_cell(app.get(key)) for _, key in APP_COLUMNS] for app in plan["apps"]]


def resource_counts(plan: dict[str, Any]) -> list[tuple[str, int]]:
    """Declared resources by type token, most numerous first."""
    counts = Counter(resource["type"] for resource in plan["resources"])
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    return [line.format(*header).rstrip(), line.format(*("-" * w for w in widths)).rstrip(),
            *(line.format(*row).rstrip() for row in rows)]


def render_table(plan: dict[str, Any]) -> str:
    """One row per app, then resource counts by type: readable at a glance in a terminal."""
    apps = plan["apps"]
    public = sum(1 for app in apps if app.get("visibility") == "public")
    lines = [f"Stack {plan['stack']}: {len(apps)} apps ({public} public, {len(apps) - public} private), "
             f"{len(plan['resources'])} resources", ""]
    lines += _table([title for title, _ in APP_COLUMNS], _app_rows(plan)) if apps else ["(no apps in this stack)"]
    lines += ["", *_table(["resources", "type"], [[str(n), t] for t, n in resource_counts(plan)])]
    return "\n".join(lines) + "\n"


def render_markdown(plan: dict[str, Any]) -> str:
    """The plan as a Markdown section (for a PR description or a wiki page)."""
    apps = plan["apps"]
    lines = [f"### Stack `{plan['stack']}`: {len(apps)} apps, {len(plan['resources'])} resources", ""]
    if apps:
        lines += ["| " + " | ".join(title for title, _ in APP_COLUMNS) + " |",
                  "|" + "---|" * len(APP_COLUMNS)]
        lines += ["| " + " | ".join(row) + " |" for row in _app_rows(plan)]
    else:
        lines.append("_No apps in this stack._")
    lines += ["", "| resources | type |", "|---:|---|"]
    lines += [f"| {count} | `{type_}` |" for type_, count in resource_counts(plan)]
    return "\n".join(lines) + "\n"


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown}
