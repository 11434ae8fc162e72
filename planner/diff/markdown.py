"""The diff as GitHub Markdown: what a reviewer reads in the pull request's plan-diff comment.

Heading and counts (the same counts as the rollout section), the risks first (replacements and
deletions, exposure, likely renames, the rest), then the apps (an added app with its settings, a
changed one with each changed field, old and new), the resources by type and each resource's step
with its changed paths, and the chart of the affected routes. Every line fits in 100 columns unless
`width` says otherwise (`--wide`); values are code spans, cut around where old and new differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from planner.diff.layout import WIDTH, around_difference, escape_prose, shown, wrap
from planner.diff.mermaid import mermaid_flowchart
from planner.diff.model import KIND_ORDER, OP_WORDS, OPS, AppDiff, FieldChange, PlanDiff, ResourceDiff
from planner.markdown import code, plain

MAX_RESOURCE_ROWS = 60
MAX_OPEN_ROWS = 10
MAX_RISK_LINES = 25
MAX_CHANGED_KEYS = 6
GROUPS: dict[str, tuple[str, str]] = {
    "replace": ("CAUTION", "Replaced or deleted by `pulumi up`, and what it means"),
    "exposure": ("WARNING", "Who can reach the apps changes"),
    "rename": ("IMPORTANT", "Likely renames"),
    "review": ("WARNING", "Review these changes with care"),
}
STEP_WORDS = {"create": "create", "import": "import", "update": "update", "delete": "delete",
              "same": "no step", "read": "read again"}


def render_diff_markdown(diff: PlanDiff, width: int | None = WIDTH, blocked: int | None = None) -> str:
    """The diff as a PR comment section; an empty diff is one line (with the head plan's warnings).

    `blocked`: how many blockers the change's rollout has (None: the diff's own); the heading says BLOCKED.
    """
    limit = width or 10**6
    blocked = len(diff.blockers) if blocked is None else blocked
    if diff.is_empty:
        lines = [f"No changes to stack {code(diff.stack)}."]
        noops = _noops(diff, limit)
        if noops:
            lines += ["", *noops]
        if diff.warnings:
            lines += ["", *_plan_warnings(diff, limit)]
        while lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n"
    sections: list[Callable[[PlanDiff, int], list[str]]] = [
        _heading, _risk_blocks, _state_commands, _plan_warnings, _moves, _apps, _resources, _chart]
    lines: list[str] = []
    for section in sections:
        lines += section(diff, limit)
        if section is _heading and blocked:
            lines += [*wrap(f"**BLOCKED**: `pulumi up` cannot complete this change as planned ({blocked} "
                            f"blocker{'s' if blocked != 1 else ''}: see the rollout at the end).", width=limit), ""]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def counts_line(diff: PlanDiff) -> str:
    """`Apps: 1 added, 3 changed, 1 removed. Resources: 4 to create, ...` (imports only when there are some)."""
    apps = ", ".join(f"{len(diff.apps_of(k))} {k}" for k in KIND_ORDER)  # type: ignore[arg-type]
    counts = diff.op_counts()
    resources = ", ".join(f"{counts[op]} {OP_WORDS[op]}" for op in OPS if op != "import" or counts[op])
    return f"Apps: {apps}. Resources: {resources}."


def _heading(diff: PlanDiff, width: int) -> list[str]:
    against = f" (compared with stack {code(diff.base_stack)})" if diff.base_stack != diff.stack else ""
    lines = [f"### Stack {code(diff.stack)}{against}", "", *wrap(counts_line(diff), width=width), ""]
    for note in diff.notes:
        lines += [*wrap(f"_{note}_", width=width), ""]
    return lines


def _risk_blocks(diff: PlanDiff, width: int) -> list[str]:
    lines: list[str] = []
    for group, (alert, title) in GROUPS.items():
        risks = [risk for risk in diff.risks if risk.group == group]
        if not risks:
            continue
        lines += [f"> [!{alert}]", f"> **{title} ({len(risks)}):**", ">"]
        for risk in risks[:MAX_RISK_LINES]:
            lines += wrap(risk.message, first="> - ", rest=">   ", width=width)
        if len(risks) > MAX_RISK_LINES:
            lines.append(f"> - … and {len(risks) - MAX_RISK_LINES} more (all of them in `--format json`).")
        lines.append("")
    return lines


def _moves(diff: PlanDiff, width: int) -> list[str]:
    """The edges moving to another flavor after the change: their step, and what the next one changes."""
    if not diff.moves:
        return []
    lines = ["**Edges moving to another flavor:**", ""]
    for line in diff.moves:
        lines += wrap(escape_prose(line), first="- ", rest="  ", width=width)
    return [*lines, ""]


def _state_commands(diff: PlanDiff, width: int) -> list[str]:
    if not diff.state_commands:
        return []
    lines = []
    for app, commands in diff.state_commands:
        lines += wrap(f"To keep what {code(app)} can keep of the old app, before `pulumi up`:", width=width)
        lines += ["", "```sh"]
        for command in commands:
            # One argument per line: a URN is long; a shell continuation keeps it one command.
            head, urn, name = command.rsplit(" ", 2)
            lines += [f"{head} \\", *_quoted_lines(urn, width), f"  {name}"]
        lines += ["```", ""]
    return lines


def _quoted_lines(quoted: str, width: int) -> list[str]:
    """A single-quoted shell word over lines of at most `width` columns: `'a...'\\` then `'...'`: the shell
    removes each backslash-newline, and adjacent quoted strings make one word."""
    text = quoted.strip("'")
    if len(quoted) + 4 <= width:
        return [f"  {quoted} \\"]
    pieces, rest = [], text
    while len(rest) + 4 > width - 2:
        cut = max(rest.rfind("$", 0, width - 6), rest.rfind("::", 0, width - 6))
        cut = cut + (1 if rest[cut] == "$" else 2) if cut > 0 else width - 6
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return [f"  '{pieces[0]}'\\", *(f"'{piece}'\\" for piece in pieces[1:-1]), f"'{pieces[-1]}' \\"]


WARNING_KINDS: dict[str, tuple[str, str]] = {
    "capacity": ("CAUTION", "The stack is near or past a capacity limit (`gangplank:limits`)"),
    "retirement": ("WARNING", "The stack runs a controller flavor that is retired upstream"),
    "chartVersion": ("WARNING", "A controller chart version other than the one gangplank checks"),
    "uptimerobotApiKey": ("WARNING", "`pulumi up` will need an UptimeRobot API key"),
}
"""Each kind of the head plan's warnings (`planner.run.build_plan`): the alert and heading of its block."""


def _plan_warnings(diff: PlanDiff, width: int) -> list[str]:
    """The head plan's own warnings, apart from the risks of the change itself: one block per kind."""
    kinds = list(dict.fromkeys([*(k for k in WARNING_KINDS if any(w.kind == k for w in diff.warnings)),
                                *(w.kind for w in diff.warnings)]))
    lines: list[str] = []
    for kind in kinds:
        alert, title = WARNING_KINDS.get(kind, ("WARNING", f"The stack passes with a warning ({code(kind)})"))
        found = [w.message for w in diff.warnings if w.kind == kind]
        lines += [f"> [!{alert}]", f"> **{title}:**", ">"]
        # Our own words, built from validated config (zone and edge names): HTML is escaped in the prose, not
        # inside the code spans, where GitHub would show an entity as it is written.
        for message in found[:MAX_RISK_LINES]:
            lines += wrap(escape_prose(message), first="> - ", rest=">   ", width=width)
        if len(found) > MAX_RISK_LINES:
            lines.append(f"> - … and {len(found) - MAX_RISK_LINES} more.")
        lines.append("")
    return lines


# -- apps ------------------------------------------------------------------------------------


def _team(app: AppDiff) -> str:
    return f", team {code(app.team)}" if app.team else ""


def app_settings(entry: Mapping[str, Any]) -> list[str]:
    """What an added app is, one `label: value` per line, from its entry in the plan."""
    settings = []
    edges = entry.get("edges") or [entry.get("visibility")]
    settings.append(f"edges: {', '.join(code(e) for e in edges)} ({plain(entry.get('visibility'))})")
    hosts = [h for h in entry.get("hosts") or [] if h != entry.get("host")]
    if hosts:
        settings.append(f"more hosts: {', '.join(code(h) for h in hosts)}")
    if entry.get("paths") and entry.get("paths") != ["/"]:
        settings.append(f"paths: {', '.join(code(p) for p in entry['paths'])}")
    for key, label in (("namespace", "namespace"), ("backend", "backend"), ("dnsRecord", "DNS record")):
        if entry.get(key):
            settings.append(f"{label}: {code(entry[key])}")
    protections = entry.get("protections")
    if protections is not None:
        settings.append("protections: " + (", ".join(code(p) for p in protections) or "none"))
    if entry.get("allowCidrs"):
        settings.append(f"allow-list: {', '.join(code(c) for c in entry['allowCidrs'])}")
    if entry.get("basicAuthUsers"):
        settings.append(f"basic auth users: {', '.join(code(u) for u in entry['basicAuthUsers'])}")
    monitor = entry.get("monitor")
    if isinstance(monitor, dict):
        settings.append(f"monitor: {code(monitor.get('type'))} every {code(monitor.get('interval'))} s, "
                        f"{code(monitor.get('url'))}")
    elif entry.get("monitorSkipped"):
        settings.append(f"monitor: none ({plain(entry['monitorSkipped'])})")
    if entry.get("dashboardName"):
        settings.append(f"dashboard: {code(entry['dashboardName'])} in {code(entry.get('dashboardGroup'))}")
    return settings


def field_lines(change: FieldChange, indent: str, width: int, prefix: str = "") -> list[str]:
    """`- `path`: `old` → `new`` on one line if it fits, else the values on lines of their own."""
    limit = max(20, width - len(indent) - 8)
    old, new = around_difference(change.old, change.new, limit)
    mark = " (replaces)" if change.replaces else ""
    one = f"{indent}- {code(prefix + change.field, None)}: {shown(old, limit)} → {shown(new, limit)}{mark}"
    if len(one) <= width:
        return [one]
    return [f"{indent}- {code(short_path(prefix + change.field, width - len(indent) - len(mark) - 7), None)}{mark}:",
            f"{indent}  {shown(old, limit)} →", f"{indent}  {shown(new, limit)}"]


def short_path(path: str, limit: int) -> str:
    """`path` in at most `limit` characters: its end (where it says what changed) kept, its middle elided, as
    `values.controller…["service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-80"]`; the
    whole path is in `--wide` and in the JSON diff."""
    if len(path) <= limit:
        return path
    keep = max(limit - 1, 8)
    head = min(len(path) // 4, keep // 3)
    return path[:head] + "…" + path[len(path) - (keep - head):]


def _apps(diff: PlanDiff, width: int) -> list[str]:
    if not diff.apps:
        return []
    lines = ["#### Apps", ""]
    steps = {step.name: step.op for step in diff.resources}
    for app in diff.apps:
        entry = app.current
        if app.kind == "added":
            lines += wrap(f"{code(app.name)}: **added**{_team(app)}, {code(entry.get('url'))}", first="- ",
                          width=width)
            for setting in app_settings(entry):
                lines += wrap(setting, first="  - ", rest="    ", width=width)
        elif app.kind == "removed":
            lines += wrap(f"{code(app.name)}: **removed**{_team(app)} (was {code(entry.get('url'))})", first="- ",
                          width=width)
        else:
            lines += wrap(f"{code(app.name)}: changed{_team(app)}, {code(entry.get('url'))}", first="- ",
                          width=width)
            for change in app.changes:
                lines += field_lines(change, "  ", width)
            if app.resources:
                owned = ", ".join(f"{code(name)} ({STEP_WORDS.get(steps.get(name, ''), steps.get(name))})"
                                  for name in app.resources)
                lines += wrap(f"its resources: {owned}", first="  - ", rest="    ", width=width)
    return [*lines, ""]


# -- resources -------------------------------------------------------------------------------


def _step_words(resource: ResourceDiff) -> str:
    if resource.op == "replace":
        first = "deleting the old one first" if resource.delete_first else "creating the new one first"
        return f"**replace**, {first}"
    return f"**{STEP_WORDS[resource.op]}**" if resource.op in OPS else STEP_WORDS[resource.op]


def _short_parent(parent: str | None) -> str:
    """`gangplank:apps:ExposedApp::shop` -> `ExposedApp::shop`: the package prefix only adds width."""
    if not parent:
        return ""
    type_, _, name = parent.partition("::")
    return f", under {code(type_.split(':')[-1] + '::' + name)}"


def resource_lines(resource: ResourceDiff, width: int) -> list[str]:
    """One resource's step and its changed paths (at most MAX_CHANGED_KEYS)."""
    lines = wrap(f"{code(resource.name)} ({code(resource.type)}{_short_parent(resource.parent)}): "
                 f"{_step_words(resource)}" + (" — refused by the engine" if resource.refused else ""),
                 first="- ", width=width)
    changes = [*resource.input_changes, *resource.option_changes]
    for change in changes[:MAX_CHANGED_KEYS]:
        lines += field_lines(change, "  ", width, "option " if change in resource.option_changes else "")
    if len(changes) > MAX_CHANGED_KEYS:
        lines.append(f"  - … and {len(changes) - MAX_CHANGED_KEYS} more")
    return lines


def _resources(diff: PlanDiff, width: int) -> list[str]:
    lines: list[str] = []
    steps = diff.steps
    if steps:
        ops = [op for op in OPS if op != "import" or diff.op_counts()["import"]]
        lines += ["#### Resources", "", "| resource type | " + " | ".join(ops) + " |",
                  "|---|" + "---:|" * len(ops)]
        lines += [f"| {code(type_)} | " + " | ".join(str(counts[op]) for op in ops) + " |"
                  for type_, counts in diff.resource_counts()]
        totals = diff.op_counts()
        lines.append("| all types | " + " | ".join(str(totals[op]) for op in ops) + " |")
        shown_steps = steps[:MAX_RESOURCE_ROWS]
        summary = "<details open>" if len(steps) <= MAX_OPEN_ROWS else "<details>"
        lines += ["", f"{summary}<summary>Each resource's step ({len(steps)})</summary>", ""]
        for resource in shown_steps:
            lines += resource_lines(resource, width)
        if len(steps) > len(shown_steps):
            lines.append(f"- … and {len(steps) - len(shown_steps)} more (all of them in `--format json`)")
        lines += ["", "</details>", ""]
    return lines + _noops(diff, width)


def _noops(diff: PlanDiff, width: int) -> list[str]:
    """Resources that differ between the plans but get no step: why the engine leaves them alone."""
    same = [r for r in diff.resources if r.op == "same"]
    if not same:
        return []
    ignored = sorted({option for r in same for option in r.ignored_options})
    recorded = sorted({c.field for r in same for c in r.option_changes})
    why = []
    if ignored:
        why.append(f"{', '.join(code(o) for o in ignored)} (the engine orders steps by it, and takes none)")
    if recorded:
        why.append(f"{', '.join(code(o) for o in recorded)} (recorded in the state, nothing changes in the cloud)")
    names = ", ".join(code(r.name) for r in same[:8]) + (f" and {len(same) - 8} more" if len(same) > 8 else "")
    return [*wrap(f"No step for {len(same)} resource{'s' if len(same) != 1 else ''} whose options change: "
                  f"{'; '.join(why)}: {names}.", width=width), ""]


def _chart(diff: PlanDiff, width: int) -> list[str]:
    if not diff.routes:
        return []
    return ["```mermaid", *mermaid_flowchart(diff.routes), "```", ""]
