"""`--rollout`'s report: the first up, each app added to a running stack, the moving edges; and its
table for people, in 100 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from planner.edge_moves import move_rollout
from planner.render import table
from planner.rollout.changes import add_app_rollouts
from planner.rollout.schedule import rollout


def duration_text(seconds: float) -> str:
    """`14 min 30 s`, `45 s`, `1 h 5 min`."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def rollout_report(plan: Mapping[str, Any], config: Mapping[str, Any],
                   environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`--rollout --format json`: the first up, then each app added to a running stack."""
    result = rollout(plan, config, environ)
    report = {"stack": plan.get("stack"), **result.to_json(), "addApp": add_app_rollouts(plan, config, environ)}
    moves = move_rollout(plan)
    if moves:
        report["edgeMoves"] = moves  # where each moving edge is, and what its next `pulumi up` changes
    return report


ROLLOUT_WIDTH = 100


def _wrapped(text: str, indent: str = "", first: str = "") -> list[str]:
    return textwrap.wrap(text, width=ROLLOUT_WIDTH, initial_indent=first or indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def short_label(name: str) -> str:
    """`aws:route53/zone:Zone::platform-zones-public` -> `Zone platform-zones-public`: the kind says enough."""
    type_, _, resource = name.partition("::")
    return f"{type_.rsplit(':', 1)[-1]} {resource}"


def render_rollout_table(report: Mapping[str, Any]) -> str:
    """The rehearsal for people, in 100 columns: a blocked rollout says BLOCKED first, then its blockers."""
    schedule = {entry["resource"]: entry for entry in report["schedule"]}
    setting = (f"(modeled, {report['parallel']} steps at once, UptimeRobot {report['uptimerobotRatePerMinute']} "
               "requests/min)")
    took = f"{duration_text(report['criticalPathSeconds'])} over {len(report['waves'])} waves"
    blockers = report["blockers"]
    lines: list[str] = []
    if blockers:
        lines += _wrapped(f"BLOCKED: the first `pulumi up` of stack {report['stack']} cannot complete as planned "
                          f"({len(blockers)} blocker{'s' if len(blockers) != 1 else ''}):")
        for blocker in blockers:
            lines += _wrapped(f"{blocker['resource']}: {' '.join(str(blocker['reason']).split())}", "    ", "  - ")
        lines += ["", *_wrapped(f"Never completes ({len(report['blocked'])}): " + ", ".join(report["blocked"]), "  ")]
        lines += ["", *_wrapped(f"What does complete takes {took}, {len(schedule)} resources {setting}.")]
    else:
        lines += _wrapped(f"First `pulumi up` of stack {report['stack']} {setting}: {took}, "
                          f"{len(schedule)} resources.")
    lines += ["", "Critical path:"]
    for name in report["criticalPath"]:
        entry = schedule[name]
        lines += _wrapped(short_label(name), " " * 27, f"  {duration_text(entry['start']):>12} "
                          f"+{duration_text(entry['finish'] - entry['start']):<10} ")
    moves = report.get("edgeMoves") or []
    if moves:
        lines += ["", "Edges moving to another flavor (each step is one `pulumi up`):"]
        for move in moves:
            lines += _wrapped(f"{move['edge']}: {move['now']}", "    ", "  ")
            lines += _wrapped(move["next"], "    ")
    apps = report.get("addApp") or []
    if apps and blockers:
        lines += ["", *_wrapped("Adding one app to the running stack: not shown while the stack's first "
                                "`pulumi up` is blocked (`--format json` has the figures).")]
    elif apps:
        rows = [(str(a["app"]), str(len(a["adds"])), duration_text(a["seconds"]),
                 duration_text(a["monitoredAfterSeconds"]) if a["monitoredAfterSeconds"] is not None else "-",
                 _chain_lines([n.split("::")[1] for n in a["chain"]]) + (["(blocked)"] if a["blockers"] else []))
                for a in apps]
        lines += ["", "Adding one app to the running stack:"]
        lines += table(("app", "adds", "done after", "monitored after", "chain"), rows)
    return "\n".join(lines) + "\n"


def _chain_lines(names: list[str], width: int = 50) -> list[str]:
    """`a -> b -> c`, over as many lines as it takes to keep the table in 100 columns."""
    lines: list[str] = []
    for name in names:
        piece = name if not lines else f"-> {name}"
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] = f"{lines[-1]} {piece}"
        else:
            lines.append(piece)
    return lines or [""]
