"""Compare two offline plans and summarise the difference as a pull-request comment.

`diff_plans(base, head)` works out what a change does to one stack: apps added, changed
or removed, resources added, changed or removed (with the old and new value of every changed
field), and which of those changes are risky. `render_diff_markdown(diff)` turns that into
GitHub Markdown: tables, a `> [!WARNING]` alert for the risky parts and a Mermaid chart of the
affected apps' routes (app -> ingress class -> NLB -> hosted zone); `planner.render.render_json(diff_as_json(diff))`
into JSON for machines.

All are pure functions of the plans (the JSON contract in DESIGN.md), and deterministic:
the same plans give the same bytes, so the PR comment only changes when the plan does.
Secrets: plans show them as `"[secret]"`; a value that is, or holds, `[secret]` on either side
of a change shows as `[secret]` on both (its other value must not leak), and the contents of a
Kubernetes Secret are never shown, whatever the plan says.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from planner.markdown import MAX_VALUE_CHARS, one_line
from planner.markdown import code as _code
from planner.markdown import plain as _plain
from planner.resource_types import ZONE

__all__ = [
    "AppDiff",
    "FieldChange",
    "PlanDiff",
    "ResourceDiff",
    "Risk",
    "Route",
    "changed_paths",
    "changed_values",
    "diff_as_json",
    "diff_plans",
    "mermaid_flowchart",
    "render_diff_markdown",
]

SECRET = "[secret]"
# Inputs of these types that never show, whatever the plan holds (type -> top-level input keys).
ALWAYS_SECRET_INPUTS = {"kubernetes:core/v1:Secret": ("data", "stringData")}

MONITOR_TYPE = "pulumi-python:dynamic/uptimerobot:Monitor"
# What carries traffic for every app of a stack: touching one touches them all. Any part of an
# IngressController component counts (its SG rules decide who reaches the NLB); Helm releases and
# security groups count wherever they are (type -> the words the warning uses).
CONTROLLER_COMPONENT_SUFFIX = ":IngressController"
# An app's own component: a top-level one of this type, named after the app.
APP_COMPONENT_SUFFIX = ":ExposedApp"
CONTROLLER_TYPES = {"kubernetes:helm.sh/v3:Release": "Helm release",
                    "aws:ec2/securityGroup:SecurityGroup": "Security group"}
# App fields that decide where an app answers; changing one breaks bookmarks, clients and monitors.
ROUTE_FIELDS = ("url", "host", "dnsRecord")

# Past these sizes the comment stops being readable (and GitHub caps a comment at 65,536 characters).
MAX_RESOURCE_ROWS = 60
MAX_OPEN_ROWS = 10
MAX_RISK_LINES = 25
MAX_GRAPH_APPS = 30
MAX_CHANGED_KEYS = 6
# Depth of the input key paths reported as changed: `metadata.annotations["nginx.org/rewrites"]`
# tells a reviewer more than `metadata`, and deeper paths would turn into walls of text.
KEY_DEPTH = 3

Kind = Literal["added", "changed", "removed"]
KIND_ORDER: dict[str, int] = {"added": 0, "changed": 1, "removed": 2}


@dataclass(frozen=True)
class FieldChange:
    """One field (an app field, a resource input path or option) whose value differs; secrets masked."""

    field: str
    old: Any
    """The value in base (None when the field is new)."""
    new: Any
    """The value in head (None when the field is gone)."""


@dataclass(frozen=True)
class AppDiff:
    """An app that is added, removed or changed (an app is identified by its name)."""

    name: str
    kind: Kind
    base: Mapping[str, Any] | None
    """The app's entry in the base plan; None when added."""
    head: Mapping[str, Any] | None
    """The app's entry in the head plan; None when removed."""
    changes: tuple[FieldChange, ...] = ()
    """Changed fields, sorted by name (`monitor.interval` for a field inside `monitor`); empty unless changed."""
    resources: tuple[str, ...] = ()
    """Names of the app's own resources that change (those under its component), for a changed app."""

    @property
    def current(self) -> Mapping[str, Any]:
        """The entry that describes the app after the change (before it, for a removed app)."""
        return self.head if self.head is not None else self.base or {}


@dataclass(frozen=True)
class ResourceDiff:
    """A resource that is added, removed or changed (identified by type and name)."""

    type: str
    name: str
    kind: Kind
    parent: str | None
    """`<type>::<name>` of the parent component in head (in base, for a removed resource)."""
    input_changes: tuple[FieldChange, ...] = ()
    """The inputs that differ, by path (`spec.rules`, `metadata.annotations["x"]`), with both values."""
    option_changes: tuple[FieldChange, ...] = ()
    """Resource options that differ (`protect`, `dependsOn`, ...), and `parent` when it moved."""
    base_parent: str | None = None
    """The parent in base; differs from `parent` when the resource moved to another component."""
    unprotected: bool = False
    """Protected in base, and not in head (option dropped, or the resource left the program)."""
    move_keeps_urn: bool = True
    """For a resource that moved to another parent: its URN stays, because the parent's type is the same
    (a URN holds the parent's type, not its name) or an alias names the old parent."""
    base_inputs: Any = None
    """The inputs in base (secrets masked), for a removed resource."""
    head_inputs: Any = None
    """The inputs in head (secrets masked), for an added resource."""

    @property
    def changed_inputs(self) -> tuple[str, ...]:
        """Paths of the inputs that differ."""
        return tuple(change.field for change in self.input_changes)

    @property
    def changed_options(self) -> tuple[str, ...]:
        """Names of the options that differ (`parent` first when the resource moved)."""
        return tuple(change.field for change in self.option_changes)


RiskKind = Literal["visibility", "route", "monitor", "zone", "controller", "protect", "parent"]
RISK_ORDER: dict[str, int] = {kind: i for i, kind in enumerate(
    ("visibility", "route", "monitor", "zone", "controller", "protect", "parent"))}


@dataclass(frozen=True)
class Risk:
    """A change a reviewer should look at twice; `message` is one line of Markdown."""

    kind: RiskKind
    subject: str
    message: str


@dataclass(frozen=True)
class Route:
    """How an affected app is reached: app -> ingress class -> NLB (controller) -> hosted zone."""

    app: str
    kind: Kind
    ingress_class: str
    controller: str
    """The app's (first) edge: `public`, `private` or a configured one; each edge has its own NLB."""
    zone: str
    current: bool
    """False for the route an app had before the change (removed apps, moved apps)."""


@dataclass(frozen=True)
class PlanDiff:
    """Everything `render_diff_markdown` shows, computed by `diff_plans`."""

    stack: str
    base_stack: str
    apps: tuple[AppDiff, ...]
    resources: tuple[ResourceDiff, ...]
    risks: tuple[Risk, ...]
    routes: tuple[Route, ...]
    warnings: tuple[str, ...] = ()
    """The head plan's top-level `warnings` (capacity limits it is near or past, ...), as their messages."""

    @property
    def is_empty(self) -> bool:
        """True when neither apps nor resources differ."""
        return not self.apps and not self.resources

    def apps_of(self, kind: Kind) -> tuple[AppDiff, ...]:
        """The apps with this kind of change."""
        return tuple(app for app in self.apps if app.kind == kind)

    def resources_of(self, kind: Kind) -> tuple[ResourceDiff, ...]:
        """The resources with this kind of change."""
        return tuple(resource for resource in self.resources if resource.kind == kind)

    def resource_counts(self) -> list[tuple[str, int, int, int]]:
        """(type, added, changed, removed) per resource type, sorted by type."""
        counts: dict[str, Counter[str]] = {}
        for resource in self.resources:
            counts.setdefault(resource.type, Counter())[resource.kind] += 1
        return [(type_, c["added"], c["changed"], c["removed"]) for type_, c in sorted(counts.items())]


# -- diffing -----------------------------------------------------------------------------


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any]) -> PlanDiff:
    """Compare two plans of one stack (`python -m planner --format json` output, or `plan()`'s dict).

    Missing keys are tolerated, so a plan written by an older planner, or the empty plan
    `{"stack": "dev", "apps": [], "resources": []}` (a base that had no planner yet), diffs fine.
    """
    # A JSON round trip makes an in-memory head compare equal to a base read from a file:
    # tuples become lists, keys become strings, anything else JSON cannot hold becomes str().
    base, head = _as_json(base), _as_json(head)
    resources = _diff_resources(base.get("resources") or [], head.get("resources") or [])
    apps = _diff_apps(base.get("apps") or [], head.get("apps") or [],
                      _app_resources(resources, base.get("resources") or [], head.get("resources") or []))
    stack = str(head.get("stack") or base.get("stack") or "?")
    return PlanDiff(
        stack=stack,
        base_stack=str(base.get("stack") or stack),
        apps=apps,
        resources=resources,
        risks=_risks(apps, resources),
        routes=_routes(apps),
        warnings=plan_warning_messages(head),
    )


def plan_warning_messages(plan: Mapping[str, Any]) -> tuple[str, ...]:
    """The messages of a plan's top-level `warnings` (absent in plans without any, and in older plans)."""
    return tuple(str(entry.get("message", entry)) if isinstance(entry, Mapping) else str(entry)
                 for entry in plan.get("warnings") or [])


def _as_json(plan: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(plan, sort_keys=True, default=str))


def _diff_apps(base: list[dict[str, Any]], head: list[dict[str, Any]],
               own_resources: Mapping[str, tuple[str, ...]]) -> tuple[AppDiff, ...]:
    before = {str(app.get("name")): app for app in base}
    after = {str(app.get("name")): app for app in head}
    diffs: list[AppDiff] = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is None:
            diffs.append(AppDiff(name, "added", None, new))
        elif new is None:
            diffs.append(AppDiff(name, "removed", old, None))
        else:
            changes = tuple(_app_field_changes(old, new))
            resources = own_resources.get(name, ())
            if changes or resources:
                diffs.append(AppDiff(name, "changed", old, new, changes, resources))
    return tuple(sorted(diffs, key=lambda d: (KIND_ORDER[d.kind], d.name)))


def _app_field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """The app's fields that differ; a field inside a mapping by its own name (`monitor.interval`).

    A field only one side has is not a change of the app: the planners that wrote the two plans
    differ (a base planned before the inventory carried `monitor`), and every app would show it.
    """
    changes = []
    for field in sorted((old.keys() & new.keys()) - {"name"}):
        before, after = old[field], new[field]
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changes += [FieldChange(f"{field}.{key}", *_masked(before.get(key), after.get(key)))
                        for key in sorted(before.keys() | after.keys()) if before.get(key) != after.get(key)]
        else:
            changes.append(FieldChange(field, *_masked(before, after)))
    return changes


def _app_resources(resources: tuple[ResourceDiff, ...], *plans: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """App name -> its own changed resources: the app's top-level component and everything under it.

    Parents are followed as head has them (`plans` is base, head: head's entries win). A host
    shared by several apps is nobody's own: its records show in the apps' `hosts` and `dnsRecord`.
    Added and removed resources show in the app's fields already (a monitor, a backend).
    """
    parents = {f"{r.get('type')}::{r.get('name')}": _parent(r) for plan in plans for r in plan}
    owned: dict[str, list[str]] = {}
    for resource in resources:
        if resource.kind != "changed":
            continue
        label: str | None = f"{resource.type}::{resource.name}"
        seen: set[str] = set()
        while label is not None and label not in seen:
            seen.add(label)
            type_, _, name = label.partition("::")
            if type_.endswith(APP_COMPONENT_SUFFIX) and parents.get(label) is None:
                owned.setdefault(name, []).append(resource.name)
                break
            label = parents.get(label)
    return {app: tuple(sorted(names)) for app, names in owned.items()}


def _resource_keys(*plans: list[dict[str, Any]]) -> list[dict[tuple[str, ...], dict[str, Any]]]:
    """Index each plan's resources by (type, name).

    Pulumi allows one (type, name) under different parents; where a plan has such twins,
    the parent joins the key (in every plan, so the twins still pair up).
    """
    twins = {
        pair
        for resources in plans
        for pair, n in Counter((str(r.get("type")), str(r.get("name"))) for r in resources).items()
        if n > 1
    }
    indexes = []
    for resources in plans:
        index: dict[tuple[str, ...], dict[str, Any]] = {}
        for resource in resources:
            pair = (str(resource.get("type")), str(resource.get("name")))
            index[(*pair, str(resource.get("parent"))) if pair in twins else pair] = resource
        indexes.append(index)
    return indexes


def _diff_resources(base: list[dict[str, Any]], head: list[dict[str, Any]]) -> tuple[ResourceDiff, ...]:
    before, after = _resource_keys(base, head)
    diffs: list[ResourceDiff] = []
    for key in sorted(before.keys() | after.keys()):
        type_, name = key[0], key[1]
        old, new = before.get(key), after.get(key)
        if old is None:
            diffs.append(ResourceDiff(type_, name, "added", _parent(new),
                                      head_inputs=_visible_inputs(type_, (new or {}).get("inputs"))))
        elif new is None:
            diffs.append(ResourceDiff(type_, name, "removed", _parent(old), base_parent=_parent(old),
                                      unprotected=_protected(old),
                                      base_inputs=_visible_inputs(type_, old.get("inputs"))))
        else:
            # Changes are found in the inputs as planned, so a Secret's new contents still count as a change.
            inputs = tuple(FieldChange(path, *_masked_input(type_, path, before_value, after_value))
                           for path, before_value, after_value
                           in changed_values(old.get("inputs") or {}, new.get("inputs") or {}))
            old_options, new_options = old.get("options") or {}, new.get("options") or {}
            options = [FieldChange(option, *_masked(old_options.get(option), new_options.get(option)))
                       for option in sorted(old_options.keys() | new_options.keys())
                       if old_options.get(option) != new_options.get(option)]
            if _parent(old) != _parent(new):
                options.insert(0, FieldChange("parent", _parent(old), _parent(new)))
            if inputs or options:
                diffs.append(ResourceDiff(type_, name, "changed", _parent(new), inputs, tuple(options), _parent(old),
                                          unprotected=_protected(old) and not _protected(new),
                                          move_keeps_urn=_move_keeps_urn(_parent(old), new)))
    return tuple(sorted(diffs, key=lambda d: (KIND_ORDER[d.kind], d.type, d.name, d.parent or "")))


def _move_keeps_urn(base_parent: str | None, head: Mapping[str, Any]) -> bool:
    """Whether `head`, now under another parent than `base_parent`, keeps the URN it had there."""
    head_parent = _parent(head)
    if base_parent == head_parent:
        return True
    if base_parent and head_parent and base_parent.partition("::")[0] == head_parent.partition("::")[0]:
        return True  # the same parent type: the URN (type chain and name) does not change
    for alias in (head.get("options") or {}).get("aliases") or []:
        parent_urn = alias.get("parentUrn") if isinstance(alias, dict) else None
        if isinstance(parent_urn, str) and parent_urn.count("::") >= 3 and base_parent is not None:
            chain, alias_name = parent_urn.split("::")[2:4]
            if f"{chain.split('$')[-1]}::{alias_name}" == base_parent:
                return True
    return False


def _parent(resource: Mapping[str, Any] | None) -> str | None:
    parent = (resource or {}).get("parent")
    return str(parent) if parent else None


def _protected(resource: Mapping[str, Any]) -> bool:
    return bool((resource.get("options") or {}).get("protect"))


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return value == SECRET


def _masked(old: Any, new: Any) -> tuple[Any, Any]:
    """A value that is, or holds, `[secret]` on either side shows as `[secret]` on both."""
    if _holds_secret(old) or _holds_secret(new):
        return SECRET, SECRET
    return old, new


def _masked_input(type_: str, path: str, old: Any, new: Any) -> tuple[Any, Any]:
    """`_masked`, and both values of a path inside a Kubernetes Secret's contents hidden."""
    top = re.split(r"[.\[]", path, maxsplit=1)[0]
    if top in ALWAYS_SECRET_INPUTS.get(type_, ()):
        return SECRET, SECRET
    return _masked(old, new)


def _visible_inputs(type_: str, inputs: Any) -> Any:
    """Inputs as a diff may show them: the contents of a Kubernetes Secret never, whatever the plan says."""
    hidden = ALWAYS_SECRET_INPUTS.get(type_)
    if not hidden or not isinstance(inputs, dict):
        return inputs
    return {key: (SECRET if key in hidden and value is not None else value) for key, value in inputs.items()}


def changed_values(old: Any, new: Any, path: str = "", depth: int = KEY_DEPTH) -> list[tuple[str, Any, Any]]:
    """Sorted `(path, old, new)` for every path (`spec.rules`, `metadata.annotations["a/b"]`) that differs.

    Mappings are followed `depth` levels deep; lists and scalars are compared whole. A side
    that lacks the path has None. Callers mask secrets (`_masked`) before showing a value.
    """
    if old == new:
        return []
    if depth == 0 or not isinstance(old, dict) or not isinstance(new, dict):
        return [(path or "(all)", old, new)]
    found: list[tuple[str, Any, Any]] = []
    for key in sorted(old.keys() | new.keys()):
        found += changed_values(old.get(key), new.get(key), _join(path, key), depth - 1)
    return found


def changed_paths(old: Any, new: Any, path: str = "", depth: int = KEY_DEPTH) -> list[str]:
    """Sorted paths under which `old` and `new` differ (see `changed_values`)."""
    return [found for found, _, _ in changed_values(old, new, path, depth)]


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


# -- risks -------------------------------------------------------------------------------


def _risks(apps: tuple[AppDiff, ...], resources: tuple[ResourceDiff, ...]) -> tuple[Risk, ...]:
    risks: list[Risk] = []
    unmonitored: set[str] = set()
    for app in apps:
        if app.kind == "changed":
            assert app.base is not None and app.head is not None
            fields = {change.field: change for change in app.changes}
            if "visibility" in fields:
                change = fields["visibility"]
                risks.append(Risk("visibility", app.name,
                                  f"App {_code(app.name)} switches visibility: {_plain(change.old)} → "
                                  f"{_plain(change.new)} (other controller, load balancer and zone)."))
            moved = [field for field in ROUTE_FIELDS if field in fields]
            if moved:
                old_url, new_url = _masked(app.base.get("url"), app.head.get("url"))
                risks.append(Risk("route", app.name,
                                  f"App {_code(app.name)} moves: {_code(old_url)} → {_code(new_url)} "
                                  f"({', '.join(_code(f) for f in moved)} changed)."))
            if app.base.get("monitored") is True and app.head.get("monitored") is not True:
                unmonitored.add(app.name)
                risks.append(Risk("monitor", app.name, f"App {_code(app.name)} is no longer monitored."))
        elif app.kind == "removed" and (app.base or {}).get("monitored") is True:
            unmonitored.add(app.name)
            risks.append(Risk("monitor", app.name,
                              f"App {_code(app.name)} is removed, and its uptime monitor with it."))

    # One line per ingress controller, not one per part: a new controller alone has a dozen.
    by_controller: dict[str, list[ResourceDiff]] = {}
    for resource in resources:
        what = f"{_code(resource.name)} ({_code(resource.type)})"
        verb = _verb(resource)
        if resource.type == MONITOR_TYPE and resource.kind == "removed":
            owner = (resource.parent or "").rpartition("::")[2]
            if owner not in unmonitored:  # already said at the app's level
                risks.append(Risk("monitor", resource.name, f"Uptime monitor {what} is deleted."))
        controller = _controller_of(resource)
        if resource.type == ZONE:
            risks.append(Risk("zone", resource.name, f"Hosted zone {what} is {verb}."))
        elif controller is not None:
            by_controller.setdefault(controller, []).append(resource)
        elif resource.type in CONTROLLER_TYPES:
            risks.append(Risk("controller", resource.name, f"{CONTROLLER_TYPES[resource.type]} {what} is {verb}."))
        if resource.unprotected:
            risks.append(Risk("protect", resource.name, (
                f"Protected {what} is removed from the program: `pulumi up` refuses to delete it until it is "
                "unprotected." if resource.kind == "removed" else
                f"{what} loses `protect`: it can now be deleted or replaced.")))
        if "parent" in resource.changed_options and not resource.move_keeps_urn:
            risks.append(Risk("parent", resource.name,
                              f"{what} moves from parent {_code(resource.base_parent)} to {_code(resource.parent)}: "
                              "Pulumi replaces it unless an alias is declared."))
    risks += [_controller_risk(name, parts) for name, parts in by_controller.items()]
    return tuple(sorted(risks, key=lambda r: (RISK_ORDER[r.kind], r.subject, r.message)))


def _controller_risk(controller: str, parts: list[ResourceDiff]) -> Risk:
    component = next((p for p in parts if p.type.endswith(CONTROLLER_COMPONENT_SUFFIX)), None)
    if component is not None and component.kind != "changed":
        return Risk("controller", controller, f"Ingress controller {_code(controller)} is {component.kind} "
                                              f"({len(parts) - 1} resources).")
    listed = "; ".join(f"{_code(part.name)} {_verb(part)}" for part in parts[:3])
    more = f"; and {len(parts) - 3} more" if len(parts) > 3 else ""
    return Risk("controller", controller, f"Ingress controller {_code(controller)}: {listed}{more}. "
                                          "Every app behind it is affected.")


def _controller_of(resource: ResourceDiff) -> str | None:
    """The name of the ingress controller component this resource is, or is part of."""
    if resource.type.endswith(CONTROLLER_COMPONENT_SUFFIX):
        return resource.name
    for parent in (resource.parent, resource.base_parent):
        type_, _, name = (parent or "").partition("::")
        if type_.endswith(CONTROLLER_COMPONENT_SUFFIX):
            return name
    return None


def _verb(resource: ResourceDiff) -> str:
    if resource.kind != "changed":
        return resource.kind
    return "changed (" + _keys(resource) + ")"


def _keys(resource: ResourceDiff) -> str:
    keys = [*resource.changed_inputs, *(f"option {o}" for o in resource.changed_options)]
    shown = ", ".join(_code(key) for key in keys[:MAX_CHANGED_KEYS])
    return shown + (f" and {len(keys) - MAX_CHANGED_KEYS} more" if len(keys) > MAX_CHANGED_KEYS else "")


# -- routes for the chart ----------------------------------------------------------------


def _routes(apps: tuple[AppDiff, ...]) -> tuple[Route, ...]:
    routes: set[Route] = set()
    for app in apps:
        now = _route(app, app.current, current=app.kind != "removed")
        routes.add(now)
        if app.kind == "changed" and app.base is not None:
            before = _route(app, app.base, current=False)
            if (before.ingress_class, before.controller, before.zone) != (now.ingress_class, now.controller, now.zone):
                routes.add(before)
    return tuple(sorted(routes, key=lambda r: (r.app, not r.current, r.ingress_class, r.controller, r.zone)))


def _route(app: AppDiff, entry: Mapping[str, Any], current: bool) -> Route:
    visibility = str(entry.get("visibility") or "unknown")
    edges = entry.get("edges")
    # Each edge has its own NLB; plans from before edges existed name the visibility, the same name.
    edge = str(edges[0]) if isinstance(edges, list) and edges else visibility
    return Route(
        app=app.name,
        kind=app.kind,
        ingress_class=str(entry.get("ingressClass") or f"{visibility} class"),
        controller=edge,
        zone=str(entry.get("zone") or f"{visibility} zone"),
        current=current,
    )


# -- Markdown ----------------------------------------------------------------------------


def render_diff_markdown(diff: PlanDiff) -> str:
    """The diff as a PR comment section: heading, counts, warnings, apps, resources, chart.

    An empty diff is one line. Values are shown in code spans (no accidental links or
    @-mentions), cut to a readable length; tables are capped, with a line saying how many
    rows were left out. Each section is a function of the diff returning its lines (none when
    it has nothing to say); sections that need more than the two plans (the rollout) are
    rendered by their own functions and appended by the caller.
    """
    if diff.is_empty:
        caution = ["", *_plan_warnings_block(diff.warnings)][:-1] if diff.warnings else []
        return "\n".join([f"No changes to stack {_code(diff.stack)}.", *caution]) + "\n"
    lines: list[str] = []
    for section in (_heading, _warning_block, _plan_warnings, _apps_table, _resource_tables, _chart):
        lines += section(diff)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def _heading(diff: PlanDiff) -> list[str]:
    against = f" (compared with stack {_code(diff.base_stack)})" if diff.base_stack != diff.stack else ""
    apps = ", ".join(f"{len(diff.apps_of(k))} {k}" for k in KIND_ORDER)
    resources = ", ".join(f"{len(diff.resources_of(k))} {k}" for k in KIND_ORDER)
    return [f"### Stack {_code(diff.stack)}{against}", "", f"Apps: {apps}. Resources: {resources}.", ""]


def _warning_block(diff: PlanDiff) -> list[str]:
    if not diff.risks:
        return []
    lines = ["> [!WARNING]", "> **Review these changes with care:**", ">"]
    lines += [f"> - {risk.message}" for risk in diff.risks[:MAX_RISK_LINES]]
    if len(diff.risks) > MAX_RISK_LINES:
        lines.append(f"> - … and {len(diff.risks) - MAX_RISK_LINES} more.")
    return [*lines, ""]


def _plan_warnings(diff: PlanDiff) -> list[str]:
    return _plan_warnings_block(diff.warnings)


def _plan_warnings_block(warnings: tuple[str, ...]) -> list[str]:
    """The head plan's own warnings (capacity limits, a chart version, a key `pulumi up` needs), apart from the
    risks of the change itself."""
    if not warnings:
        return []
    lines = ["> [!CAUTION]", "> **The stack's plan warns (capacity limits are `gangplank:limits`):**", ">"]
    # Our own words, built from validated config (zone and edge names): only HTML is escaped.
    lines += [f"> - {html.escape(message, quote=False)}" for message in warnings[:MAX_RISK_LINES]]
    if len(warnings) > MAX_RISK_LINES:
        lines.append(f"> - … and {len(warnings) - MAX_RISK_LINES} more.")
    return [*lines, ""]


def _apps_table(diff: PlanDiff) -> list[str]:
    if not diff.apps:
        return []
    lines = ["| app | change | visibility | URL | what changed |", "|---|---|---|---|---|"]
    for app in diff.apps:
        entry = app.current
        changes = [_field_change(change) for change in app.changes]
        if app.resources:
            changes.append("its resources: " + ", ".join(_code(name) for name in app.resources))
        lines.append(f"| {_code(app.name)} | {app.kind} | {_plain(entry.get('visibility'))} | "
                     f"{_code(entry.get('url'))} | {'<br>'.join(changes)} |")
    return [*lines, ""]


def _resource_tables(diff: PlanDiff) -> list[str]:
    if not diff.resources:
        return []
    lines = ["| resource type | added | changed | removed |", "|---|---:|---:|---:|"]
    lines += [f"| {_code(type_)} | {a} | {c} | {r} |" for type_, a, c, r in diff.resource_counts()]
    rows = diff.resources[:MAX_RESOURCE_ROWS]
    # A short list is open: a reviewer sees the values without a click; a long one stays folded.
    summary = "<details open>" if len(diff.resources) <= MAX_OPEN_ROWS else "<details>"
    lines += ["", f"{summary}<summary>Resources in detail ({len(diff.resources)})</summary>", "",
              "| resource | change | type | parent | what changed |", "|---|---|---|---|---|"]
    for resource in rows:
        parent = _short_parent(resource.parent)
        lines.append(f"| {_code(resource.name)} | {resource.kind} | {_code(resource.type)} | {parent} | "
                     f"{_value_changes(resource) if resource.kind == 'changed' else ''} |")
    if len(diff.resources) > len(rows):
        lines.append(f"| … and {len(diff.resources) - len(rows)} more | | | | |")
    return [*lines, "", "</details>", ""]


def _chart(diff: PlanDiff) -> list[str]:
    if not diff.routes:
        return []
    return ["```mermaid", *mermaid_flowchart(diff.routes), "```", ""]


def _field_change(change: FieldChange, prefix: str = "") -> str:
    old, new = _around_difference(change.old, change.new)
    return f"{_code(prefix + change.field)}: {_code(old)} → {_code(new)}"


def _around_difference(old: Any, new: Any, context: int = 20) -> tuple[Any, Any]:
    """Two long values cut so that both show where they start to differ, not only their common start."""
    if old is None or new is None:
        return old, new
    before, after = one_line(old, limit=None), one_line(new, limit=None)
    if max(len(before), len(after)) <= MAX_VALUE_CHARS:
        return old, new
    same = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                min(len(before), len(after)))
    start = max(0, same - context)
    if start == 0:
        return before, after
    return "…" + before[start:], "…" + after[start:]


def _value_changes(resource: ResourceDiff) -> str:
    """`interval`: `600` → `120`<br>…, at most MAX_CHANGED_KEYS of them."""
    changes = [*(_field_change(c) for c in resource.input_changes),
               *(_field_change(c, "option ") for c in resource.option_changes)]
    shown = "<br>".join(changes[:MAX_CHANGED_KEYS])
    more = len(changes) - MAX_CHANGED_KEYS
    return shown + (f"<br>… and {more} more" if more > 0 else "")


def _short_parent(parent: str | None) -> str:
    """`gangplank:apps:ExposedApp::shop` -> `ExposedApp::shop`: the package prefix only adds width."""
    if not parent:
        return "-"
    type_, _, name = parent.partition("::")
    return _code(f"{type_.split(':')[-1]}::{name}")


# -- JSON --------------------------------------------------------------------------------


def diff_as_json(diff: PlanDiff) -> dict[str, Any]:
    """The diff as JSON data: what `--format json --diff` prints. Values are whole (never cut), secrets masked.

    `apps` and `resources` list every change with its kind (`added`, `changed`, `removed`);
    a changed one has its `changes` (`field` or `path`, `old`, `new`), an added one its `new`
    entry or inputs, a removed one its `old`. `risks` are the warning lines (Markdown text).
    """
    def changes(items: tuple[FieldChange, ...], key: str) -> list[dict[str, Any]]:
        return [{key: change.field, "old": change.old, "new": change.new} for change in items]

    apps = []
    for app in diff.apps:
        entry: dict[str, Any] = {"name": app.name, "change": app.kind}
        if app.kind == "changed":
            entry["changes"] = changes(app.changes, "field")
            entry["resources"] = list(app.resources)
        elif app.kind == "added":
            entry["new"] = app.head
        else:
            entry["old"] = app.base
        apps.append(entry)
    resources = []
    for resource in diff.resources:
        item: dict[str, Any] = {"type": resource.type, "name": resource.name, "parent": resource.parent,
                                "change": resource.kind}
        if resource.kind == "changed":
            item["inputs"] = changes(resource.input_changes, "path")
            item["options"] = changes(resource.option_changes, "option")
        elif resource.kind == "added":
            item["new"] = resource.head_inputs
        else:
            item["old"] = resource.base_inputs
        if resource.unprotected:
            item["unprotected"] = True
        resources.append(item)
    return {
        "stack": diff.stack,
        "baseStack": diff.base_stack,
        "counts": {"apps": {k: len(diff.apps_of(k)) for k in KIND_ORDER},
                   "resources": {k: len(diff.resources_of(k)) for k in KIND_ORDER}},
        "apps": apps,
        "resources": resources,
        "risks": [{"kind": r.kind, "subject": r.subject, "message": r.message} for r in diff.risks],
    }


# -- Mermaid -----------------------------------------------------------------------------


def mermaid_flowchart(routes: Iterable[Route]) -> list[str]:
    """`flowchart LR` lines (without the fence): app -> ingress class -> NLB -> zone.

    Node ids are letters, digits and `_` only (made unique when two names sanitise alike);
    labels are quoted and stripped of what would end a quoted label. Routes an app leaves
    are dotted. Capped at MAX_GRAPH_APPS apps, with a note node saying how many were left out.
    """
    routes = sorted(routes, key=lambda r: (r.app, not r.current, r.ingress_class, r.controller, r.zone))
    names = sorted({route.app for route in routes})
    shown = set(names[:MAX_GRAPH_APPS])
    ids = _NodeIds()
    nodes: dict[str, str] = {}
    classes: dict[str, str] = {}
    edges: dict[tuple[str, str], bool] = {}  # (from, to) -> solid

    def node(kind: str, key: str, label: str) -> str:
        node_id = ids.get(kind, key)
        nodes[node_id] = label
        return node_id

    for route in routes:
        if route.app not in shown:
            continue
        app = node("app", route.app, f"{route.app} ({route.kind})")
        classes[app] = route.kind
        ingress_class = node("ing", route.ingress_class, f"class {route.ingress_class}")
        nlb = node("nlb", route.controller, f"{route.controller} NLB")
        zone = node("zone", route.zone, route.zone)
        for edge in ((app, ingress_class), (ingress_class, nlb), (nlb, zone)):
            edges[edge] = edges.get(edge, False) or route.current
    if len(names) > len(shown):
        nodes[ids.get("note", "more")] = f"… and {len(names) - len(shown)} more apps"

    lines = ["flowchart LR"]
    lines += [f'  {node_id}["{_label(label)}"]' for node_id, label in nodes.items()]
    lines += [f"  {a} {'-->' if solid else '-.->'} {b}" for (a, b), solid in edges.items()]
    for kind in KIND_ORDER:
        members = sorted(node_id for node_id, k in classes.items() if k == kind)
        if members:
            lines.append(f"  class {','.join(members)} {kind}")
    lines += [
        "  classDef added fill:#dafbe1,stroke:#1a7f37",
        "  classDef changed fill:#fff8c5,stroke:#9a6700",
        "  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 2",
    ]
    return lines


class _NodeIds:
    """Stable, Mermaid-safe node ids: `app_shop`, `zone_dev_example_com`, `zone_dev_example_com_2`.

    Sanitising alone could give two names one id (`a-b`, `a_b`); the counter keeps them apart,
    and since callers add nodes in sorted order the ids are deterministic.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._taken: set[str] = set()

    def get(self, kind: str, key: str) -> str:
        if (kind, key) not in self._ids:
            # The kind prefix keeps ids from starting with a digit or a Mermaid keyword (`end`,
            # `class`, `style`...), which would break the chart.
            base = kind + "_" + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_") or "x")
            node_id, n = base, 1
            while node_id in self._taken:
                n += 1
                node_id = f"{base}_{n}"
            self._ids[(kind, key)] = node_id
            self._taken.add(node_id)
        return self._ids[(kind, key)]


def _label(text: str) -> str:
    """Text for a quoted Mermaid label: a `"` would end it; entity codes render the same characters."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


# -- rollout (planner.rollout.change_rollout) ----------------------------------------------


def render_rollout_section(change: Mapping[str, Any]) -> str:
    """The modeled `pulumi up` time of a change and its blockers, as a section after the diff.

    `change` is `planner.rollout.change_rollout(base, head, ...)`: a pure function of the plans, the
    stack config's keys and the environment; kept apart from `render_diff_markdown` on purpose.
    """
    from planner.rollout import duration_text

    touched = len(change["created"]) + len(change["updated"]) + len(change["deleted"])
    if not touched:
        return ""
    path = " → ".join(_code(name.partition("::")[2]) for name in change["criticalPath"][:8])
    more = " → …" if len(change["criticalPath"]) > 8 else ""
    lines = ["", "#### Rollout (modeled)", "",
             f"`pulumi up` of this change: about **{duration_text(change['seconds'])}** "
             f"({len(change['created'])} created, {len(change['updated'])} updated, {len(change['deleted'])} deleted)"
             + (f"; slowest chain: {path}{more}." if path else "."), ""]
    if change["blockers"]:
        lines += ["> [!CAUTION]", "> **This change cannot complete as planned:**", ">"]
        lines += [f"> - {_code(b['resource'])}: {' '.join(str(b['reason']).split())}"
                  for b in change["blockers"][:MAX_RISK_LINES]]
        if len(change["blockers"]) > MAX_RISK_LINES:
            lines.append(f"> - … and {len(change['blockers']) - MAX_RISK_LINES} more.")
        lines.append("")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
