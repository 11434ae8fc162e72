"""Views of a plan: a table for people, JSON for machines, Markdown for pull requests and wikis.

The table answers "what will this stack look like", readable in 100 columns: the platform
(controller flavor and chart, dual stack, the dashboard, the public zone's name servers), the
edges with their load balancers, every app (edge, URL, namespace, monitor; backend and
protections), why the unmonitored apps are not monitored, the apps the catalogue keeps out of
this stack, and the resources by type, split by what they belong to. `wide=True` puts one app
on one line with every column; Markdown shows the same sections as tables.

All of it is a pure function of the plan (the JSON contract in DESIGN.md), so the same plan
gives the same bytes. Values the engine knows only after `pulumi up` (`"[unknown]"` in JSON)
show as `(unknown)`.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planner.edge_moves import move_lines, moving
from planner.markdown import code, plain, text
from planner.mocks.wire import UNKNOWN_SHOWN_AS as UNKNOWN

UNKNOWN_SHOWN = "(unknown)"
WIDTH = 100
# The built-in edges first, in the order people think of them; then a stack's own, by name.
BUILT_IN_EDGES = ("public", "private")
# What a top-level component stands for, as a column of the resource counts.
COMPONENT_GROUPS = {"ExposedApp": "apps", "Host": "hosts", "Dashboard": "dashboard", "Platform": "platform",
                    "StackReference": "reads"}


def render_json(plan: dict[str, Any]) -> str:
    """Stable bytes for the same plan: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(plan, indent=2, sort_keys=True) + "\n"


# -- words ---------------------------------------------------------------------------------


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 app`, `2 apps`, `0 apps`."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def shown(value: Any) -> str:
    """A value as a person reads it: `(unknown)` for what only the engine will know, `-` for nothing."""
    if value == UNKNOWN:
        return UNKNOWN_SHOWN
    if value is None or value == [] or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value)
    return str(value)


def every(seconds: Any) -> str:
    """`every 30m` for 1800, `every 90s`, `every 1h`: short, so that the table keeps to 100 columns."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
        return f"every {shown(seconds)}s"
    if seconds % 3600 == 0:
        return f"every {seconds // 3600}h"
    if seconds % 60 == 0:
        return f"every {seconds // 60}m"
    return f"every {seconds}s"


def headline(plan: Mapping[str, Any]) -> str:
    """`Stack dev: 8 apps (5 public, 3 private), 96 resources`; a platform stack's: `Platform stack prod-platform
    (edges, zones, dashboard; its apps are in app stacks): 40 resources`."""
    if "contract" in (plan.get("outputs") or {}):
        return (f"Platform stack {plan.get('stack')} (zones, edges, dashboard; apps are in its app stacks): "
                f"{plural(len(plan.get('resources') or []), 'resource')}")
    apps = plan.get("apps") or []
    by_visibility = Counter(str(app.get("visibility")) for app in apps)
    split = ", ".join(f"{by_visibility[v]} {v}" for v in sorted(by_visibility, key=_visibility_order))
    return (f"Stack {plan.get('stack')}: {plural(len(apps), 'app')}" + (f" ({split})" if apps else "")
            + f", {plural(len(plan.get('resources') or []), 'resource')}")


def has_teams(plan: Mapping[str, Any]) -> bool:
    """Whether the plan's apps come from a catalogue of team files (each app then says its team)."""
    return any("team" in app for app in plan.get("apps") or [])


def team_of(app: Mapping[str, Any]) -> list[str]:
    """The app's team as a cell of its own, for plans of team catalogues (none otherwise)."""
    return [shown(app.get("team"))] if "team" in app else []


def _visibility_order(visibility: str) -> tuple[int, str]:
    return (BUILT_IN_EDGES.index(visibility) if visibility in BUILT_IN_EDGES else len(BUILT_IN_EDGES), visibility)


# -- what the sections show (shared by the table and Markdown) -------------------------------


Segments = list[tuple[str, bool]]
"""A value as pieces of text, each marked literal (a name, a URL: code in Markdown) or not (words)."""


def joined(segments: Segments) -> str:
    return "".join(piece for piece, _ in segments)


def platform_facts(plan: Mapping[str, Any]) -> list[tuple[str, Segments]]:
    """(label, value) lines about the stack's shared parts; only what the plan knows."""
    outputs = plan.get("outputs") or {}
    platform = outputs.get("platform") or {}
    facts: list[tuple[str, Segments]] = []
    if platform:
        controllers: Segments = [(shown(platform.get("flavor")), True)]
        if platform.get("controllerChart"):
            controllers += [(" (chart ", False), (shown(platform["controllerChart"]), True), (")", False)]
        dual = platform.get("dualstack")
        controllers.append((", " + (UNKNOWN_SHOWN if dual == UNKNOWN else
                                    "IPv4 and IPv6 (dual stack)" if dual else "IPv4 only"), False))
        facts.append(("controllers", controllers))
    if "dashboardUrl" in outputs:
        facts.append(("dashboard", [(shown(outputs["dashboardUrl"]), True)]))
    elif platform:
        facts.append(("dashboard", [("none (", False), ("gangplank:dashboardEnabled", True), (" is false)", False)]))
    name_servers = outputs.get("publicNameServers")
    if name_servers:
        servers = name_servers if isinstance(name_servers, list) else [name_servers]
        facts.append(("name servers", [piece for i, server in enumerate(servers)
                                       for piece in ([(", ", False)] if i else []) + [(shown(server), True)]]))
    return facts


def edge_rows(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per edge: name, class, visibility, the CIDRs it admits (none: everyone), its load balancer, its apps."""
    outputs = plan.get("outputs") or {}
    edges = (outputs.get("platform") or {}).get("edges") or {}
    balancers = outputs.get("loadBalancers") or {}
    served = Counter(edge for app in plan.get("apps") or [] for edge in app.get("edges") or [])
    stack_flavor = (outputs.get("platform") or {}).get("flavor")
    rows = []
    for name in sorted(edges, key=_visibility_order):
        edge = edges[name] or {}
        # An edge's own flavor is named where it is not the stack's (`controllers` says that one).
        own = edge.get("flavor") if edge.get("flavor") not in (None, stack_flavor) else None
        rows.append({
            "edge": name,
            "class": shown(edge.get("ingressClass")) + (f" ({own})" if own else ""),
            "visibility": shown(edge.get("visibility")),
            "cidrs": [shown(cidr) for cidr in edge.get("allowedCidrs") or []],
            "loadBalancer": shown(balancers[name]) if name in balancers else None,
            "apps": plural(served[name], "app"),
        })
    return rows


def admits(cidrs: Sequence[str], literal: Callable[[str], str] = str) -> str:
    """`everyone`, or `only 10.0.0.0/16, 172.20.0.0/22`."""
    return "only " + ", ".join(literal(cidr) for cidr in cidrs) if cidrs else "everyone"


def monitor_text(app: Mapping[str, Any], with_reason: bool) -> str:
    """`KEYWORD every 30 min`; for an app without a monitor `no`, or `no: <why>`."""
    monitor = app.get("monitor")
    if isinstance(monitor, dict):
        return f"{shown(monitor.get('type'))} {every(monitor.get('interval'))}"
    if monitor == UNKNOWN:
        return UNKNOWN_SHOWN
    if app.get("monitored") is True:  # a plan from before the inventory said how
        return "yes"
    reason = app.get("monitorSkipped")
    return f"no: {reason}" if with_reason and reason else "no"


def unmonitored_by_reason(plan: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """(why, apps) for the apps without a monitor, in the order the reasons first appear."""
    reasons: dict[str, list[str]] = {}
    for app in plan.get("apps") or []:
        if app.get("monitor") is None and app.get("monitored") is not True:
            reasons.setdefault(str(app.get("monitorSkipped") or "no reason given"), []).append(str(app.get("name")))
    return list(reasons.items())


def left_out(plan: Mapping[str, Any], literal: Callable[[str], str] = str) -> list[str]:
    """`status (in prod)` for every catalogue app that this stack leaves out through `stacks:`."""
    return [f"{literal(str(entry.get('name')))} (in "
            + (", ".join(literal(str(stack)) for stack in entry.get("stacks") or []) or "no stack") + ")"
            for entry in plan.get("appsLeftOut") or []]


def resource_groups(plan: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, int, Counter[str]]]]:
    """Resources by type, each count split by the top-level component it belongs to.

    Returns the group names (`apps`, `hosts`, `dashboard`, `platform`, then any other) and
    `(type, total, per group)` rows, most numerous type first. This is what explains the
    numbers: 9 `ExposedApp` are 8 apps and the dashboard's own.
    """
    resources = plan.get("resources") or []
    by_label = {f"{r.get('type')}::{r.get('name')}": r for r in resources}

    def group_of(resource: Mapping[str, Any]) -> str:
        seen = set()
        while resource.get("parent") in by_label and resource.get("parent") not in seen:
            seen.add(resource["parent"])
            resource = by_label[resource["parent"]]
        kind = str(resource.get("type")).rsplit(":", 1)[-1]
        return COMPONENT_GROUPS.get(kind, kind.lower())

    counts: dict[str, Counter[str]] = {}
    for resource in resources:
        counts.setdefault(str(resource.get("type")), Counter())[group_of(resource)] += 1
    known = list(COMPONENT_GROUPS.values())
    present = {group for per in counts.values() for group in per}
    groups = [g for g in known if g in present] + sorted(present - set(known))
    rows = [(type_, sum(per.values()), per) for type_, per in counts.items()]
    return groups, sorted(rows, key=lambda row: (-row[1], row[0]))


# -- the table -------------------------------------------------------------------------------

Cell = str | Sequence[str]


def warning_lines(plan: dict[str, Any]) -> list[str]:
    """The plan's top-level warnings (capacity limits it is near or past, ...), one line each; none without any."""
    warnings = plan.get("warnings") or []
    lines = ["", f"Warnings ({len(warnings)}):"] if warnings else []
    for entry in warnings:
        lines += textwrap.wrap(str(entry.get("message")), width=100, initial_indent="- ", subsequent_indent="  ",
                               break_long_words=False, break_on_hyphens=False)
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[Cell]], indent: str = "  ",
           right: Sequence[int] = ()) -> list[str]:
    """A plain-text table; a cell given as a list of lines makes its row that many lines high."""
    cells = [[[c] if isinstance(c, str) else list(c) or [""] for c in row] for row in rows]
    widths = [len(title) for title in header]
    for row in cells:
        for column, lines in enumerate(row):
            widths[column] = max(widths[column], *(len(line) for line in lines))

    def line(values: Sequence[str]) -> str:
        parts = [value.rjust(widths[i]) if i in right else value.ljust(widths[i]) for i, value in enumerate(values)]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(header), line(["-" * width for width in widths])]
    for row in cells:
        for n in range(max(len(lines) for lines in row)):
            out.append(line([lines[n] if n < len(lines) else "" for lines in row]))
    return out


BACKEND_WIDTH = 52
"""The backend column's width, so that app, backend and protections fit 100 columns together."""


def backend_lines(backend: Any) -> list[str]:
    """An app's backend, its canary split and its stickiness (`; `-separated in the plan), one per line, each
    wrapped under itself."""
    lines = []
    for part in shown(backend).split("; "):
        items = part.split(", ")
        current = items[0]
        for item in items[1:]:
            if len(current) + 2 + len(item) <= BACKEND_WIDTH:
                current += ", " + item
            else:
                lines.append(current + ",")
                current = "  " + item
        lines.append(current)
    return lines


def _wrapped(label: str, text: str, width: int = WIDTH) -> list[str]:
    """`label  text`, the text wrapped under itself (never inside a word or a host name)."""
    return textwrap.wrap(text, width=width, initial_indent=label, subsequent_indent=" " * len(label),
                         break_long_words=False, break_on_hyphens=False) or [label.rstrip()]


def render_table(plan: dict[str, Any], wide: bool = False) -> str:
    """The stack at a glance, readable in 100 columns (`wide`: one line per app, every column)."""
    width = 10**6 if wide else WIDTH
    lines = [headline(plan), ""]
    facts = platform_facts(plan)
    if facts:
        label_width = max(len(label) for label, _ in facts) + 2
        for label, value in facts:
            lines += _wrapped(f"  {label.ljust(label_width)}", joined(value), width)
        lines.append("")
    edges = edge_rows(plan)
    moves = {move.edge: move for move in moving(plan)}
    if edges:
        lines.append(f"{plural(len(edges), 'edge')}:")
        if wide:
            lines += table(["edge", "class", "visibility", "admits", "load balancer", "apps"],
                            [[e["edge"], e["class"], e["visibility"], admits(e["cidrs"]), e["loadBalancer"] or "-",
                              e["apps"]] for e in edges])
            lines += [f"  {line}" for line in move_lines(plan)]
        else:
            name_width = max(len(e["edge"]) for e in edges) + 2
            for e in edges:
                lines += _wrapped(f"  {e['edge'].ljust(name_width)}",
                                  f"class {e['class']}, {e['visibility']} zone, admits {admits(e['cidrs'])}; "
                                  f"{e['apps']}")
                if e["loadBalancer"] is not None:
                    lines += _wrapped(" " * (name_width + 2), f"NLB {e['loadBalancer']}")
                move = moves.get(e["edge"])
                if move is not None:
                    indent = " " * (name_width + 2)
                    lines += _wrapped(indent, f"moving to {move.to}, whose NLB is")
                    lines += _wrapped(indent, f"NLB {shown(move.load_balancer)}")
                    lines += _wrapped(indent, f"{move.now()}; {move.next_step()}")
        lines.append("")
    lines += _apps_section(plan, wide)
    lines += _resources_section(plan)
    lines += warning_lines(plan)
    return "\n".join(lines) + "\n"


def _apps_section(plan: dict[str, Any], wide: bool) -> list[str]:
    apps = plan.get("apps") or []
    lines = []
    if not apps and "contract" in (plan.get("outputs") or {}):
        pass  # a platform stack: its headline says where the apps are
    elif not apps:
        lines += ["(no apps in this stack)", ""]
    elif wide:
        lines += [f"{plural(len(apps), 'app')}:"]
        lines += table(
            ["app", *(["team"] if has_teams(plan) else []), "edges", "class", "URL", "hosts", "namespace", "backend",
             "protections", "monitor"],
            [[str(a.get("name")), *team_of(a), shown(a.get("edges") or a.get("visibility")),
              shown(a.get("ingressClass")), shown(a.get("url")), shown(a.get("hosts")), shown(a.get("namespace")),
              shown(a.get("backend")), shown(a.get("protections")), monitor_text(a, with_reason=True)] for a in apps])
        lines.append("")
    else:
        lines += [f"{plural(len(apps), 'app')}:"]
        lines += table(["app", *(["team"] if has_teams(plan) else []), "edge", "URL", "namespace", "monitor"],
                        [[str(a.get("name")), *team_of(a), shown(a.get("edges") or a.get("visibility")),
                          shown(a.get("url")), shown(a.get("namespace")), monitor_text(a, with_reason=False)]
                         for a in apps])
        lines.append("")
        lines += table(["app", "backend", "protections"],
                        [[str(a.get("name")), backend_lines(a.get("backend")), list(a.get("protections") or ["-"])]
                         for a in apps])
        lines.append("")
        reasons = unmonitored_by_reason(plan)
        if reasons:
            lines.append("Not monitored:")
            for reason, names in reasons:
                lines += _wrapped("  ", f"{', '.join(names)} — {reason}")
            lines.append("")
    out = left_out(plan)
    if out:
        lines += _wrapped("", f"Left out of {plan.get('stack')} by their `stacks:` ({plural(len(out), 'app')}): "
                              f"{', '.join(out)}")
        lines.append("")
    return lines


def _resources_section(plan: dict[str, Any]) -> list[str]:
    groups, rows = resource_groups(plan)
    if not rows:
        return ["(no resources)"]
    total = sum(count for _, count, _ in rows)
    table_rows: list[list[Cell]] = [[type_cell(type_), str(count), *(str(per[g] or "-") for g in groups)]
                                    for type_, count, per in rows]
    sums = Counter[str]()
    for _, _, per in rows:
        sums.update(per)
    table_rows.append(["all types", str(total), *(str(sums[g]) for g in groups)])
    lines = [f"{plural(total, 'resource')} by type, and what they belong to:"]
    lines += table(["type", "total", *groups], table_rows, right=range(1, 2 + len(groups)))
    return lines


TYPE_CELL_MAX = 60
"""Type tokens longer than this take two lines in the table (e.g. `kubernetes:admissionregistration.k8s.io/v1:`
then `ValidatingAdmissionPolicyBinding`), so that it keeps to 100 columns."""


def type_cell(type_: str) -> Cell:
    """A type token as a table cell: split after its module when it is too long for one line."""
    if len(type_) <= TYPE_CELL_MAX:
        return type_
    module, _, name = type_.rpartition(":")
    return [f"{module}:", f"  {name}"]


# -- Markdown --------------------------------------------------------------------------------


def _mdtable(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _md(value: str) -> str:
    """A shown value as a code span, or a dash."""
    return "-" if value == "-" else code(value, limit=None)


def _md_monitor(app: Mapping[str, Any]) -> str:
    """`` `KEYWORD` every 1 min ``, or `no:` and why, as words."""
    monitor = app.get("monitor")
    if isinstance(monitor, dict):
        return f"{code(shown(monitor.get('type')))} {every(monitor.get('interval'))}"
    return text(monitor_text(app, with_reason=True))


def render_markdown(plan: dict[str, Any]) -> str:
    """The same sections as the table, as GitHub Markdown (for a PR description or a wiki page)."""
    lines = [f"### {headline(plan)}", ""]
    facts = platform_facts(plan)
    if facts:
        lines += [f"- {label}: " + "".join(code(piece, limit=None) if literal else text(piece)
                                           for piece, literal in value) for label, value in facts] + [""]
    edges = edge_rows(plan)
    if edges:
        lines += _mdtable(["edge", "class", "visibility", "admits", "load balancer", "apps"],
                           [[code(e["edge"]), code(e["class"]), plain(e["visibility"]), admits(e["cidrs"], code),
                             _md(e["loadBalancer"] or "-"), e["apps"]] for e in edges])
        lines.append("")
        lines += [f"- {text(line)}" for line in move_lines(plan)] + ([""] if moving(plan) else [])
    apps = plan.get("apps") or []
    if apps:
        lines += _mdtable(
            ["app", *(["team"] if has_teams(plan) else []), "edges", "URL", "namespace", "backend", "protections",
             "monitor"],
            [[code(a.get("name")), *(_md(cell) for cell in team_of(a)),
              _md(shown(a.get("edges") or a.get("visibility"))), _md(shown(a.get("url"))),
              _md(shown(a.get("namespace"))), _md(shown(a.get("backend"))),
              "<br>".join(code(p) for p in a.get("protections") or []) or "-",
              _md_monitor(a)] for a in apps])
        lines.append("")
    else:
        lines += ["_No apps in this stack._", ""]
    out = left_out(plan, code)
    if out:
        lines += [f"Left out of {code(plan.get('stack'))} by their `stacks:` ({plural(len(out), 'app')}): "
                  + ", ".join(out) + ".", ""]
    groups, rows = resource_groups(plan)
    total = sum(count for _, count, _ in rows)
    lines += [f"{plural(total, 'resource')} by type, and what they belong to:", ""]
    lines += _mdtable(["type", "total", *groups],
                       [[code(type_), str(count), *(str(per[g] or "-") for g in groups)] for type_, count, per in rows],
                       right=range(1, 2 + len(groups)))
    lines += warning_lines(plan)
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": render_table, "json": render_json, "markdown": render_markdown}
