"""What a replacement or a deletion means for the people who use what it replaces or deletes.

One sentence per resource type (a generic one for the others), from the resource's inputs in the
plans and the step the engine takes (create first, or delete first). An Ingress or HTTPRoute is said
as its controller treats it (`planner.diff.routing`, with the upstream rules): a new one created while
the old one still claims its host and path is refused (ingress-nginx), left without a status until
`pulumi up` fails (F5, a regular or master Ingress all of whose hosts are taken), or waits its turn
(an F5 minion, an HTTPRoute); a deleted one's paths stay answered where another route of its class
covers them, as the controller matches paths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.diff.model import ResourceDiff
from planner.diff.routing import GATEWAY_API, INGRESS_AWAIT_S, Admission, Claim, Route, answering, route_of
from planner.markdown import code
from planner.resource_types import CERTIFICATE, HELM_RELEASE, MONITOR, RECORD, SECURITY_GROUP, VALIDATION, ZONE

PASSWORD = "random:index/randomPassword:RandomPassword"


def answered_by_wildcard(name: str, wildcards: set[str]) -> str | None:
    """The wildcard record (`*.zone`) that answers `name`, one label under its zone, if the plan has one."""
    for wildcard in sorted(wildcards, key=len, reverse=True):
        zone = wildcard[2:]
        if name.endswith("." + zone) and "." not in name[: -len(zone) - 1]:
            return wildcard
    return None


def _listed(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(code(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _kind(route: Route) -> str:
    return "HTTPRoute" if route.label.startswith("kubernetes:gateway.networking.k8s.io/") else "Ingress"


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith("s") else "s")


def _where(route: Route, flavor: str | None) -> str:
    return f"Gateway {code(route.attached.split('#')[0])}" if flavor == GATEWAY_API else f"class {code(route.attached)}"


def lost_claims(flavor: str | None, route: Route, kept: Sequence[Route]) -> tuple[list[Claim], list[str]]:
    """What a deleted route answered that no route of `kept` (its class's or Gateway's, after the change) answers,
    and how the rest is answered (`host/path` by `ns/name` at its path)."""
    lost, taken = [], []
    for claim in route.claims:
        found = answering(flavor, [r for r in kept if r.key != route.key], claim)
        if found is None:
            lost.append(claim)
        elif claim.path is not None and found[1].path != claim.path:
            taken.append(f"{code(str(claim))} by {code(found[0].key)} (at {code(found[1].path)})")
    return lost, taken


def deleted_route_meaning(flavor: str | None, route: Route, kept: Sequence[Route]) -> str:
    """A deleted Ingress or HTTPRoute: what stops being served, or what answers instead."""
    lost, taken = lost_claims(flavor, route, [r for r in kept if r.attached == route.attached])
    where = _where(route, flavor)
    if lost:
        verb = "stops" if len(lost) == 1 else "stop"
        return f"{_listed([str(c) for c in lost])} {verb} being served ({where})."
    if taken:
        return (f"what it routes stays served on {where}: " + "; ".join(taken[:3])
                + (f" and {len(taken) - 3} more" if len(taken) > 3 else "") + ".")
    return f"what it routes stays served by other {_plural(_kind(route))} on {where}."


def created_route_meaning(step: ResourceDiff, old: Route | None, new: Route, found: Admission | None) -> str:
    """A route replaced new-one-first (`old` is the old one), or created while older routes claim what it claims:
    the moment two routes claim one host (and path), and what the controller does about it."""
    kind = _kind(new)
    if found is None:
        if old is None:
            return f"the new {kind} {code(new.key)} is created."
        return f"the new {kind} {code(new.key)} is created before the old {code(old.key)} is deleted."
    holder = found.holder
    which = "the old" if holder == old else "the older"
    moment = (f"the new {kind} {code(new.key)} is created while {which} {code(holder.key)} still exists: until it "
              f"is deleted, two {_plural(kind)} claim {_listed(found.shared)} on {_where(new, found.flavor)}")
    if found.outcome == "refused":
        return (moment + "; ingress-nginx's admission webhook refuses the new one (`host ... and path ... is "
                "already defined`), so `pulumi up` stops here with the old one in place.")
    if found.outcome == "unserved":
        return (moment + "; the F5 controller gives each host to the oldest Ingress that names it and rejects the "
                "new one (\"All hosts are taken by other resources\") without ever setting its status, so Pulumi "
                f"waits {INGRESS_AWAIT_S // 60} minutes for that status and fails: `pulumi up` stops with the old "
                "one serving, and never deletes it.")
    if found.flavor == "nginx-inc" and new.role == "minion":
        return (moment + "; the F5 controller keeps the older minion's path (\"path ... is taken by another "
                "resource\") and gives the new one its status with the host's master, so the old one serves until "
                "it is deleted, then the new one: no gap.")
    if found.flavor == "nginx-inc":
        return (moment + "; the F5 controller keeps those hosts with the older Ingress until it is deleted, and "
                "serves the new one's other hosts meanwhile.")
    return (moment + "; the Gateway API gives the older Route precedence, so the old one serves until it is "
            "deleted, then the new one: no gap.")


def route_meaning(step: ResourceDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                  context: Mapping[str, Any]) -> str:
    """A replaced or deleted Ingress or HTTPRoute: who loses what, and for how long."""
    old_route, new_route = route_of(old), route_of(new)
    if step.op == "delete" and old_route is not None:
        return deleted_route_meaning(flavor_of_route(old_route, context), old_route, context.get("kept") or [])
    if step.delete_first and old_route is not None:
        return (f"deleted before it is created again: {_listed([str(c) for c in old_route.claims])} answer 404 from "
                f"the delete until the controller has the new {_kind(old_route)} (downtime).")
    if new_route is None:
        return "the new one is created, then the old one deleted."
    return created_route_meaning(step, old_route, new_route, (context.get("admissions") or {}).get(step.label))


def flavor_of_route(route: Route, context: Mapping[str, Any]) -> str | None:
    """The flavor of the controller that serves `route`: the Gateway API's for an HTTPRoute; for an Ingress, its
    class's edge's (`outputs.platform.edges`), else the stack's."""
    if _kind(route) == "HTTPRoute":
        return GATEWAY_API
    return (context.get("flavor_of_class") or {}).get(route.attached) or context.get("flavor")


def meaning(step: ResourceDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
            context: Mapping[str, Any]) -> str:
    """What the replacement or deletion of `step` means, in one sentence (Markdown)."""
    type_ = step.type
    inputs = (new or old or {}).get("inputs") or {}
    deleted = step.op == "delete"
    if route_of(new or old) is not None:
        return route_meaning(step, old, new, context)
    if type_ == MONITOR:
        return ("its history (uptime, response times, incidents) is lost" + ("." if deleted else
                ", and the new monitor gets a new id."))
    if type_ == RECORD:
        name = inputs.get("name")
        wildcard = answered_by_wildcard(str(name or ""), context.get("wildcards") or set())
        if deleted and wildcard and inputs.get("type") in ("A", "AAAA"):
            return f"{code(name)} is answered by the zone's wildcard {code(wildcard)} instead (same load balancer)."
        if deleted and wildcard and inputs.get("type") == "TXT":
            return "the ownership marker of a record the wildcard replaces goes with it."
        if deleted:
            return f"{code(name)} ({inputs.get('type')}) stops resolving once resolvers' caches expire."
        return (f"the DNS record {code(name)} ({inputs.get('type')}) is recreated: the new one is created, "
                "then the old one deleted.")
    if type_ == ZONE:
        return ("every record in the zone goes with it" + ("" if deleted else
                ", and a public zone's name servers change (the parent's delegation must follow)") + ".")
    if type_ == CERTIFICATE:
        if deleted:
            return "the load balancers' TLS listeners lose it."
        return ("a new certificate is requested and validated through DNS again (commonly 5-15 minutes) "
                "before the load balancers' TLS listeners use it.")
    if type_ == VALIDATION:
        return "ACM's validation of the certificate is waited for again."
    if type_ == SECURITY_GROUP:
        return ("the load balancer's allow-list is a new security group; the old one is deleted once the "
                "load balancer no longer uses it." if not deleted else "the load balancer loses its allow-list.")
    if type_ == HELM_RELEASE:
        edge = context.get("edge_of", {}).get(step.label)
        apps = context.get("apps_on_edge", {}).get(edge, []) if edge else []
        whom = f"every app on edge {code(edge)} ({len(apps)})" if edge else "everything it serves"
        if deleted:
            return f"the controller is uninstalled: {whom} stops being served, and its load balancer is deleted."
        return (f"the controller is uninstalled{' first' if step.delete_first else ''} and installed again: "
                f"{whom} is unreachable until the new one is ready, and its load balancer is deleted and "
                "created again with a new host name, to which every alias record of the edge moves.")
    if type_ == PASSWORD:
        return ("the user's password " + ("goes." if deleted else
                "is generated again: the old one stops working once the htpasswd Secret is updated "
                "(`pulumi stack output basicAuthPasswords --show-secrets`)."))
    if type_ == "kubernetes:core/v1:Secret" and step.delete_first:
        return ("deleted before it is created again: the Ingresses that use it for basic auth have no user "
                "file meanwhile.")
    if type_ == "kubernetes:apps/v1:Deployment":
        if deleted:
            return "its pods are deleted."
        if step.delete_first:
            return "all its pods are deleted before new ones start (downtime)."
        namespace = ((inputs.get("metadata") or {}).get("namespace"))
        return f"new pods start in namespace {code(namespace)} (which must exist) before the old ones go."
    if type_ == "kubernetes:core/v1:Namespace":
        return "everything in the namespace is deleted with it."
    if type_ == "kubernetes:core/v1:Secret" and deleted:
        return "the basic-auth users in it go with it."
    if deleted:
        return "nothing else depends on it in the plan."
    if step.delete_first:
        return "deleted before it is created again: a gap while neither exists."
    return "the new one is created, then the old one deleted."
