"""The risks of a change, for the warning blocks at the top of the diff.

- `replace`: every replacement and deletion of a resource, with what it means for users
  (`planner.diff.meanings`), and the ones the engine refuses (a protected resource);
- `exposure`: apps open to more clients or reachable by fewer (`planner.diff.exposure`);
- `rename`: likely renames (`planner.diff.renames`);
- `review`: an app's URL moving, an app no longer monitored, a hosted zone or an ingress
  controller changed in place, protection dropped, a flavor switch, a type without known rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.diff.apps import app_of
from planner.diff.exposure import exposure_risks
from planner.diff.meanings import flavor_of_route, meaning
from planner.diff.model import AppDiff, ResourceDiff, Risk
from planner.diff.renames import rename_risks
from planner.diff.routing import (
    INGRESS_AWAIT_S,
    Admission,
    Route,
    admission,
    joins_a_new_master,
    master_left_standing,
    route_of,
)
from planner.diff.steps import label
from planner.markdown import code
from planner.resource_types import HELM_RELEASE, MONITOR, RECORD, ZONE

CONTROLLER_COMPONENT_SUFFIX = ":IngressController"
ROUTE_FIELDS = ("url", "host")
"""App fields that say where an app answers; changing one breaks bookmarks, clients and monitors. (Its
`dnsRecord` alone changes when a wildcard takes over its host: the URL stays, see `exposure`.)"""


def flavor_of(plan: Mapping[str, Any]) -> str | None:
    flavor = ((plan.get("outputs") or {}).get("platform") or {}).get("flavor")
    return str(flavor) if flavor else None


def _edges_of(plan: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((plan.get("outputs") or {}).get("platform") or {}).get("edges") or {})


def _edge_flavor(plan: Mapping[str, Any], edge: str) -> str | None:
    """The flavor an edge runs in a plan: its own (`gangplank:edges.<edge>.flavor`), else the stack's; None when
    the plan has no such edge."""
    if edge not in _edges_of(plan):
        return None
    return str((_edges_of(plan)[edge] or {}).get("flavor") or flavor_of(plan))


def context_of(base: Mapping[str, Any], head: Mapping[str, Any],
               steps: Sequence[ResourceDiff] = ()) -> dict[str, Any]:
    """What the meanings need besides a resource: the flavor (the stack's, and each Ingress class's), each
    release's edge, each edge's apps, the routes after the change (`kept`), the routes that exist while
    `pulumi up` creates new ones (`standing`), and what each controller does with those it creates."""
    edge_of = {}
    for plan in (base, head):
        for resource in plan.get("resources") or []:
            if resource.get("type") == HELM_RELEASE:
                parent = str(resource.get("parent") or "")
                if parent.partition("::")[0].endswith(CONTROLLER_COMPONENT_SUFFIX):
                    edge = parent.partition("::")[2].removeprefix("platform-")
                    edge_of[label(resource)] = edge
    apps_on_edge: dict[str, list[str]] = {}
    for app in head.get("apps") or base.get("apps") or []:
        for edge in app.get("edges") or [app.get("visibility")]:
            apps_on_edge.setdefault(str(edge), []).append(str(app.get("name")))
    wildcards = {str((r.get("inputs") or {}).get("name")) for r in head.get("resources") or []
                 if r.get("type") == RECORD and str((r.get("inputs") or {}).get("name") or "").startswith("*.")}
    context: dict[str, Any] = {
        "flavor": flavor_of(head) or flavor_of(base), "base_flavor": flavor_of(base),
        "flavor_of_class": {**classes_of(base), **classes_of(head)}, "edge_of": edge_of,
        "apps_on_edge": apps_on_edge, "wildcards": wildcards,
        "edge_flavors": {edge: (_edge_flavor(base, edge), _edge_flavor(head, edge))
                         for edge in {**_edges_of(base), **_edges_of(head)}},
        "kept": [route for r in head.get("resources") or [] if (route := route_of(r)) is not None]}
    context["standing"] = standing_routes(base, head, steps)
    context["admissions"] = admissions(steps, head, context)
    return context


def classes_of(plan: Mapping[str, Any]) -> dict[str, str]:
    """Ingress class -> the flavor of the controller that serves it (an edge's own, and the one it moves to)."""
    found = {}
    for edge in (((plan.get("outputs") or {}).get("platform") or {}).get("edges") or {}).values():
        if isinstance(edge, Mapping) and edge.get("ingressClass") and edge.get("flavor"):
            found[str(edge["ingressClass"])] = str(edge["flavor"])
        move = edge.get("move") if isinstance(edge, Mapping) else None
        if isinstance(move, Mapping) and move.get("ingressClass") and move.get("to"):
            found[str(move["ingressClass"])] = str(move["to"])
    return found


def standing_routes(base: Mapping[str, Any], head: Mapping[str, Any], steps: Sequence[ResourceDiff]) -> list[Route]:
    """The routes that exist while `pulumi up` creates the new ones: each of base's as it is after its update,
    and those deleted or replaced new-one-first as they were (the engine deletes them last); not those deleted
    before they are created again."""
    step_of = {step.label: step for step in steps}
    after = {label(r): r for r in head.get("resources") or []}
    found = []
    for resource in base.get("resources") or []:
        step = step_of.get(label(resource))
        if step is not None and step.op == "replace" and step.delete_first:
            continue
        kept = after.get(label(resource)) if step is None or step.op in ("update", "same") else None
        route = route_of(kept if kept is not None else resource)
        if route is not None:
            found.append(route)
    return found


def admissions(steps: Sequence[ResourceDiff], head: Mapping[str, Any], context: Mapping[str, Any]
               ) -> dict[str, Admission]:
    """Label -> what the controller does with each route `pulumi up` creates while older ones claim what it
    claims (a create, or a replacement that creates the new one first)."""
    after = {label(r): r for r in head.get("resources") or []}
    found = {}
    for step in steps:
        if step.op not in ("create", "replace") or step.delete_first:
            continue
        route = route_of(after.get(step.label))
        if route is None:
            continue
        said = admission(flavor_of_route(route, context), route, context.get("standing") or [])
        if said is not None:
            found[step.label] = said
    return found


def role_change_risks(steps: Sequence[ResourceDiff], base: Mapping[str, Any], head: Mapping[str, Any],
                      context: Mapping[str, Any]) -> list[Risk]:
    """An F5 minion updated into a regular Ingress while its host's master stands (`master_left_standing`); a regular
    Ingress updated into a minion of a master this change creates (`joins_a_new_master`)."""
    before = {label(r): r for r in base.get("resources") or []}
    after = {label(r): r for r in head.get("resources") or []}
    risks = []
    for step in steps:
        if step.op != "update":
            continue
        old, new = route_of(before.get(step.label)), route_of(after.get(step.label))
        if old is None or new is None:
            continue
        flavor = flavor_of_route(new, context)
        if joins_a_new_master(flavor, old, new):
            risks.append(Risk("route", step.name, (
                f"{_what(step)} becomes a minion of its host's new master Ingress, created in the same `pulumi up` "
                "with nothing ordering the two: for one sync of the F5 controller the app's paths may answer 404 (a "
                "minion is served only with its master), or the master waits for the host until the Ingress is a "
                "minion (configuration.go `buildHostsAndResources`). Seconds, not a failure.")))
            continue
        master = master_left_standing(flavor, old, new, context.get("standing") or [])
        if master is None:
            continue
        namespace, _, name = master.key.partition("/")
        risks.append(Risk("route", step.name, (
            f"{_what(step)} stops being a minion of {code(master.label.rpartition('::')[2])}, the host's master "
            "Ingress, which is deleted only at the end of `pulumi up`: until then the F5 controller gives the host to "
            "the older of the two (configuration.go `chooseObjectMetaWinner`), which the plan cannot know. If the "
            f"master is older, the app's paths answer 404 and Pulumi waits {INGRESS_AWAIT_S // 60} minutes for the "
            "Ingress's status, then fails before deleting the master. Delete it by hand while `pulumi up` waits "
            f"(`kubectl -n {namespace} delete ingress {name}`): the controller then gives the host to the Ingress and "
            "Pulumi goes on. Running `pulumi up` again does not help: the engine first awaits the failed Ingress "
            "again, before any deletion.")))
    return risks


def _what(step: ResourceDiff) -> str:
    return f"{code(step.name)} ({code(step.type.rsplit(':', 1)[-1])})"


MAX_ALIKE = 3
"""Past this many replacements or deletions of one type with the same meaning, one line says them all."""


def step_risks(steps: Sequence[ResourceDiff], base: Mapping[str, Any], head: Mapping[str, Any],
               context: Mapping[str, Any]) -> list[Risk]:
    """A risk per replaced or deleted resource (components aside: no provider is called for them);
    many of one type that mean the same thing (a wildcard's deleted records) are one risk."""
    before = {label(r): r for r in base.get("resources") or []}
    after = {label(r): r for r in head.get("resources") or []}
    alike: dict[tuple[str, str, bool, str], list[ResourceDiff]] = {}
    meanings: dict[str, str] = {}
    for step in steps:
        if step.component or step.op not in ("replace", "delete"):
            continue
        meanings[step.label] = meaning(step, before.get(step.label), after.get(step.label), context)
        kind = "refused" if step.refused else "retained" if step.retained and step.op == "delete" else step.op
        template = meanings[step.label] if kind != "delete" or step.type != RECORD else _record_template(
            meanings[step.label])
        alike.setdefault((kind, step.type, step.delete_first, template), []).append(step)
    risks = []
    for (kind, _, _, _), group in alike.items():
        if len(group) > MAX_ALIKE and kind in ("delete", "replace"):
            risks.append(_grouped(kind, group, meanings))
            continue
        for step in group:
            risks.append(_one(kind, step, meanings[step.label]))
    return risks


def _record_template(text: str) -> str:
    """A record's meaning without its name, to tell which deletions mean the same thing."""
    return text.split("`", 2)[-1] if text.startswith("`") else text


def _one(kind: str, step: ResourceDiff, meant: str) -> Risk:
    if step.op == "replace":
        how = "deleted first, then created" if step.delete_first else "created anew, then the old one deleted"
        why = "; ".join(step.replace_reasons[:2]) + (" …" if len(step.replace_reasons) > 2 else "")
        text = f"{_what(step)} is replaced ({how}): {meant} Why: {why}."
    elif kind == "retained":
        text = f"{_what(step)} leaves the program; `retainOnDelete` keeps it in the cloud, unmanaged."
    else:
        text = f"{_what(step)} is deleted: {meant}"
    if step.refused:
        return Risk("refused", step.name, f"**Refused:** {text} {step.refused}.", "replace")
    return Risk(step.op, step.name, text, "replace")


def _grouped(kind: str, group: list[ResourceDiff], meanings: Mapping[str, str]) -> Risk:
    names = ", ".join(code(step.name) for step in group[:3]) + f" and {len(group) - 3} more"
    first = group[0]
    verb = "deleted" if kind == "delete" else "replaced"
    return Risk(kind, first.name, f"{len(group)} `{first.type.rsplit(':', 1)[-1]}` resources are {verb} "
                f"({names}); for each, as for {code(first.name)}: {meanings[first.label]}", "replace")


def app_review_risks(apps: Sequence[AppDiff], steps: Sequence[ResourceDiff]) -> list[Risk]:
    """URLs that move and monitors that go, by app."""
    risks, unmonitored = [], set()
    for app in apps:
        if app.kind == "changed":
            old, new = app.base or {}, app.head or {}
            moved = [field for field in ROUTE_FIELDS if old.get(field) != new.get(field)
                     and field in old and field in new]
            if moved:
                risks.append(Risk("route", app.name, f"App {code(app.name)} moves: {code(old.get('url'))} → "
                                  f"{code(new.get('url'))} (bookmarks, clients and its monitor follow)."))
            if old.get("monitored") is True and new.get("monitored") is not True:
                unmonitored.add(app.name)
                risks.append(Risk("monitor", app.name, f"App {code(app.name)} is no longer monitored."))
        elif app.kind == "removed" and (app.base or {}).get("monitored") is True:
            unmonitored.add(app.name)
            risks.append(Risk("monitor", app.name, f"App {code(app.name)} is removed, and its uptime monitor "
                                                   "with it."))
    parents = {step.label: step.parent for step in steps}
    for step in steps:
        if step.type == MONITOR and step.op == "delete" and app_of(step.label, parents) not in unmonitored:
            risks.append(Risk("monitor", step.name, f"Uptime monitor {code(step.name)} is deleted."))
    return risks


def resource_review_risks(steps: Sequence[ResourceDiff], context: Mapping[str, Any]) -> list[Risk]:
    """Zones and controllers changed in place, protection dropped, types without known rules."""
    risks = []
    controllers: dict[str, list[ResourceDiff]] = {}
    for step in steps:
        if step.type == ZONE and step.op == "update":
            risks.append(Risk("zone", step.name, f"Hosted zone {code(step.name)} is updated ("
                              + ", ".join(code(c.field) for c in step.input_changes[:4]) + ")."))
        parent_type, _, controller = (step.parent or "").partition("::")
        if step.op == "update" and parent_type.endswith(CONTROLLER_COMPONENT_SUFFIX):
            controllers.setdefault(controller, []).append(step)
        if step.unprotected and step.op != "delete":
            risks.append(Risk("protect", step.name, f"{_what(step)} loses `protect`: it can now be deleted or "
                                                    "replaced."))
        if step.unknown_rules and step.op == "update":
            risks.append(Risk("rules", step.name, f"{_what(step)}: no replacement rules are known for "
                              f"{code(step.type)}; its change is shown as an update."))
        if any(c.field == "provider" for c in step.option_changes):
            risks.append(Risk("provider", step.name, f"{_what(step)} moves to another provider: the engine asks "
                              "the new provider (`DiffConfig`) whether it must be replaced."))
    for controller, parts in sorted(controllers.items()):
        listed = "; ".join(f"{code(p.name)} (" + ", ".join(code(c.field) for c in p.input_changes[:3])
                           + ")" for p in parts[:3])
        edge = controller.removeprefix("platform-")
        apps = context.get("apps_on_edge", {}).get(edge, [])
        risks.append(Risk("controller", controller, f"Ingress controller {code(controller)} is updated in place: "
                          f"{listed}{' …' if len(parts) > 3 else ''}. Every app on edge {code(edge)} "
                          f"({len(apps)}) goes through it."))
    if context.get("base_flavor") and context.get("flavor") and context["base_flavor"] != context["flavor"]:
        apps_on_edge = context.get("apps_on_edge", {})
        # An edge with a flavor of its own keeps its controller when the stack's flavor changes.
        kept = sorted((edge, old) for edge, (old, new) in context.get("edge_flavors", {}).items()
                      if old is not None and old == new)
        hosts = sum(len(v) for edge, v in apps_on_edge.items() if edge not in dict(kept))
        keeping = "".join(f" Edge {code(edge)} keeps {code(flavor)}, and its apps their load balancer."
                          for edge, flavor in kept)
        risks.append(Risk("controller", "flavor", f"The controllers switch from {code(context['base_flavor'])} "
                          f"to {code(context['flavor'])}: each edge's controller is replaced and its load balancer "
                          f"created again, so every app on them ({hosts} app-edge routes) moves to a new load "
                          f"balancer, and every alias record follows it.{keeping}", "replace"))
    return risks


ORDER = {kind: i for i, kind in enumerate(("refused", "replace", "delete", "exposure", "reach", "dns", "rename",
                                           "controller", "route", "monitor", "zone", "protect", "provider",
                                           "rules"))}


def blockers_of(steps: Sequence[ResourceDiff], context: Mapping[str, Any],
                head: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What stops `pulumi up` part-way: steps the engine refuses; Ingresses that ingress-nginx's webhook refuses
    at once, and those the F5 controller never gives a status, whose create fails when Pulumi stops waiting."""
    found: list[dict[str, Any]] = [{"resource": step.label, "reason": step.refused, "blocks": [step.label]}
                                   for step in steps if step.refused]
    resources = {label(r): r for r in head.get("resources") or []}
    for name, said in sorted(context.get("admissions", {}).items()):
        holder, shared = code(said.holder.key), ", ".join(code(s) for s in said.shared[:3])
        if said.outcome == "refused":
            found.append({"resource": name, "reason": (
                f"ingress-nginx's admission webhook refuses an Ingress whose host and path ({shared}) another "
                f"Ingress ({holder}) has (controller.go `checkOverlap`), and the old one is deleted only after the "
                "new one is created; delete the old one first (apply the change in two steps)."), "blocks": [name]})
        elif said.outcome == "unserved":
            timeout = _await_seconds(resources.get(name))
            found.append({"resource": name, "reason": (
                f"the F5 controller keeps {shared} with the older Ingress {holder} and never sets the new one's "
                "status (configuration.go `chooseObjectMetaWinner`, \"All hosts are taken by other resources\"); "
                f"Pulumi waits {timeout // 60} minutes for it (pulumi-kubernetes await/ingress.go), then fails, "
                f"before deleting the old one. Delete {holder} by hand once `pulumi up` has created the new one "
                "(the controller then gives it the host, and Pulumi goes on), or apply the change in two steps."),
                "blocks": [name], "failsAfterSeconds": timeout})
    return found


def _await_seconds(resource: Mapping[str, Any] | None) -> int:
    """How long pulumi-kubernetes waits for an Ingress's status: the resource's `customTimeouts.create` when set,
    else its default (await.go `Creation`: `metadata.TimeoutDuration`, else 10 minutes)."""
    from planner.rollout.figures import duration_seconds

    raw = str((((resource or {}).get("options") or {}).get("customTimeouts") or {}).get("create") or "")
    return round(duration_seconds(raw) or INGRESS_AWAIT_S)


def collect(apps: Sequence[AppDiff], steps: Sequence[ResourceDiff], base: Mapping[str, Any],
            head: Mapping[str, Any]) -> tuple[tuple[Risk, ...], dict[str, list[str]], list[dict[str, Any]]]:
    """Every risk of the change (sorted by group, kind and subject), the state commands of renames, and the
    blockers the diff finds (beside the rollout's own)."""
    context = context_of(base, head, steps)
    renames, commands = rename_risks(apps, base, head, context)
    risks = [*step_risks(steps, base, head, context), *exposure_risks(apps, steps, base, head), *renames,
             *app_review_risks(apps, steps), *resource_review_risks(steps, context),
             *role_change_risks(steps, base, head, context)]
    groups = {"replace": 0, "exposure": 1, "rename": 2, "review": 3}
    ordered = tuple(sorted(risks, key=lambda r: (groups[r.group], ORDER.get(r.kind, 99), r.subject, r.message)))
    return ordered, commands, blockers_of(steps, context, head)
