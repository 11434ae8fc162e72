"""What a preview plan cannot know yet, for people: the table's extra section in `--preview` modes.

A preview plan (`python -m planner --preview fresh|update`) is the usual plan with values the
providers compute left unknown (`"[unknown]"` in JSON). This module says which, and why: for
`--preview update`, which resources are updated and which of their outputs are unknown until they
are (`preview.unknownOutputs`), and what is made from them; for both, which inputs of which
resources are unknown, which reads the engine skips (their id is unknown), and which resources the
program creates inside an apply (a preview whose input is unknown never sees them). Every line
fits in 100 columns unless `wide`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from planner.mocks.wire import UNKNOWN_SHOWN_AS
from planner.paths import join
from planner.render import plural, render_table

TABLE_UNKNOWN = "(unknown)"
MAX_PATHS = 4
WIDTH = 100
WHY_UNKNOWN = {
    "kubernetes:helm.sh/v3:Release": "pulumi-kubernetes makes a release's computed state unknown in the preview "
                                     "of an upgrade (helm_release.go, checkpointRelease)",
    "pulumi-python:dynamic/uptimerobot:Monitor": "a dynamic provider has no preview of an update: the engine hands "
                                                 "back the new inputs (provider_plugin.go, Update), without the "
                                                 "outputs the provider computes",
}


def unknown_paths(value: Any, path: str = "") -> list[str]:
    """Sorted paths (`aliases[0].name`) of the unknown values inside `value`."""
    if value == UNKNOWN_SHOWN_AS:
        return [path or "(all)"]
    if isinstance(value, dict):
        return [p for key in sorted(value) for p in unknown_paths(value[key], join(path, str(key)))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in unknown_paths(item, join(path, i))]
    return []


def preview_rows(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(resource, what is unknown) for every resource with an unknown input."""
    rows = []
    for resource in plan["resources"]:
        paths = unknown_paths(resource.get("inputs") or {})
        if (resource.get("options") or {}).get("read"):
            continue  # listed with the skipped reads
        if paths:
            shown = ", ".join(paths[:MAX_PATHS]) + (f" and {len(paths) - MAX_PATHS} more" if len(paths) > MAX_PATHS
                                                    else "")
            kind = str(resource["type"]).rsplit(":", 1)[-1]
            rows.append((f"{resource['name']} ({kind})", f"{shown} {TABLE_UNKNOWN}"))
    return sorted(rows)


def _wrapped(text: str, indent: str, width: int, first: str | None = None, split_words: bool = False) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=split_words,
                         break_on_hyphens=False) or [indent.rstrip()]


def updated_section(plan: Mapping[str, Any], width: int) -> list[str]:
    """`--preview update`: what is updated, which of its outputs are unknown and why, and what is made from them."""
    unknown = (plan.get("preview") or {}).get("unknownOutputs") or {}
    if not unknown:
        return []
    lines: list[str] = []
    by_type: dict[str, list[str]] = {}
    for label, outputs in unknown.items():
        type_, _, name = label.partition("::")
        by_type.setdefault(type_, []).append(f"{name}: {', '.join(outputs)}")
    for type_, entries in sorted(by_type.items()):
        kind = type_.rsplit(":", 1)[-1]
        why = WHY_UNKNOWN.get(type_, "its provider computes them when it updates it")
        lines += _wrapped(f"{plural(len(entries), kind)} updated; their computed outputs are unknown until then, "
                          f"because {why}:", "  ", width, "")
        for entry in entries:
            lines += _wrapped(entry, "      ", width, "    ")
    made = [f"apps.{app['name']}.monitorId" for app in plan.get("apps") or []
            if app.get("monitorId") == UNKNOWN_SHOWN_AS]
    inputs = preview_rows(plan)
    made_text = ", ".join(made) + " (the stack output `apps`: each app's monitor id)" if made else \
        "nothing in the stack outputs"
    rest = (", and the inputs listed below." if inputs else
            ". No input of another resource is made from them, and every other resource keeps its id and outputs, "
            "so nothing else is unknown.")
    lines += ["", *_wrapped(f"Made from them: {made_text}{rest}", "  ", width, "")]
    return lines


def render_preview_table(plan: dict[str, Any], wide: bool = False) -> str:
    """The plan's table (`wide`: one line per app), then what this preview leaves unknown and why."""
    width = 10**6 if wide else WIDTH
    preview = plan.get("preview") or {}
    mode = preview.get("mode", "?")
    ids = sum(1 for r in plan["resources"] if r.get("id") == UNKNOWN_SHOWN_AS)
    lines = [render_table(plan, wide=wide).rstrip("\n"), ""]
    if mode == "update":
        lines += _wrapped(f"Preview (update): as `pulumi preview` of an update of every Helm release and every "
                          f"uptime monitor; {ids} ids {TABLE_UNKNOWN}.", "", width)
        lines += ["", *updated_section(plan, width)]
    else:
        lines += _wrapped(f"Preview ({mode}): as `pulumi preview` of a new stack: what the providers compute is "
                          f"{TABLE_UNKNOWN} until they created it; {ids} ids {TABLE_UNKNOWN}.", "", width)
    skipped = preview.get("skippedReads") or []
    if skipped:
        lines += ["", "Reads the engine skips (their id is unknown, so their outputs are too):",
                  *(line for label in skipped for line in _wrapped(label, "    ", width, "  "))]
    late = preview.get("createdInApply") or []
    if late:
        lines += ["", "Created inside an apply or after the program returned (a preview may not show them):",
                  *(line for entry in late for line in _wrapped(f"{entry['resource']} ({entry['how']})", "    ",
                                                                width, "  "))]
    rows = preview_rows(plan)
    if rows:
        lines += ["", "Inputs unknown until the providers answer:"]
        for name, paths in rows:
            lines += _wrapped(name, "    ", width, "  ")
            lines += _wrapped(paths, "      ", width, "      ", split_words=True)  # a path longer than a line
    return "\n".join(lines) + "\n"
