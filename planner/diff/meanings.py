"""What a replacement or a deletion means for the people who use what it replaces or deletes.

One sentence per resource type (a generic one for the others), from the resource's inputs in the
plans and the step the engine takes (create first, or delete first). The Ingress sentences follow
the two controllers' own rules for two Ingresses that claim one host and path:

- ingress-nginx refuses the second one at admission: its webhook answers `host "..." and path "..." is
  already defined in ingress ns/name` (kubernetes/ingress-nginx at dbb11b92, internal/ingress/
  controller/controller.go `checkOverlap`, called by `CheckIngress`), so the create fails and
  `pulumi up` stops with the old Ingress still in place;
- the F5 NGINX Ingress Controller admits it but serves the older one: the newer Ingress's hosts are
  "taken by other resources" and it is rejected until the older one is gone (nginx/kubernetes-
  ingress at 0eb3072d, internal/k8s/configuration.go `chooseObjectMetaWinner`: the older creation
  timestamp wins; `addProblemsForResourcesWithoutActiveHost`: "All hosts are taken by other
  resources"), while pulumi-kubernetes waits for the new Ingress's load balancer status
  (provider/pkg/await/ingress.go), up to 10 minutes.

Two HTTPRoutes that match one host and path are no conflict in the Gateway API: "If ties still exist
across multiple Routes, matching precedence MUST be determined in order of ...: The oldest Route
based on creation timestamp" (Gateway API v1.6.1, HTTPRoute CRD, `spec.rules.matches`), so the old
Route keeps serving until it is deleted, and the new one takes over then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.diff.model import ResourceDiff
from planner.markdown import code
from planner.resource_types import CERTIFICATE, HELM_RELEASE, MONITOR, RECORD, SECURITY_GROUP, VALIDATION, ZONE

PASSWORD = "random:index/randomPassword:RandomPassword"
FLAVOR_REFUSES = {"ingress-nginx": "refused", "nginx-inc": "ignored"}


def claims(ingress: Mapping[str, Any] | None) -> list[str]:
    """`host/path` for each path an Ingress routes (a master's hosts without paths: `host`)."""
    spec = (ingress or {}).get("spec") or {}
    found = []
    for rule in spec.get("rules") or []:
        host = rule.get("host") or "*"
        paths = ((rule.get("http") or {}).get("paths") or [])
        found += [f"{host}{path.get('path') or '/'}" for path in paths] or [host]
    return found


def answered_by_wildcard(name: str, wildcards: set[str]) -> str | None:
    """The wildcard record (`*.zone`) that answers `name`, one label under its zone, if the plan has one."""
    for wildcard in sorted(wildcards, key=len, reverse=True):
        zone = wildcard[2:]
        if name.endswith("." + zone) and "." not in name[: -len(zone) - 1]:
            return wildcard
    return None


def route_claims(route: Mapping[str, Any] | None) -> list[str]:
    """`host/path` for each path an HTTPRoute matches (no `matches`: a prefix match on `/`)."""
    spec = (route or {}).get("spec") or {}
    paths = [str(((match or {}).get("path") or {}).get("value") or "/") for rule in spec.get("rules") or []
             for match in (rule.get("matches") or [{}])]
    return [f"{host}{path}" for host in spec.get("hostnames") or ["*"] for path in paths or ["/"]]


def route_meaning(step: ResourceDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str | None:
    """A Gateway API HTTPRoute replaced with the new one first: the older one keeps precedence meanwhile."""
    if step.op != "replace" or step.delete_first:
        return None
    old_inputs, new_inputs = (old or {}).get("inputs") or {}, (new or {}).get("inputs") or {}
    both = [claim for claim in route_claims(new_inputs) if claim in route_claims(old_inputs)]
    if not both:
        return None
    return (f"the new HTTPRoute {code(_ingress_name(new_inputs))} is created while the old "
            f"{code(_ingress_name(old_inputs))} still exists: both match {_listed(both)}, and the Gateway API "
            "gives the older Route precedence, so the old one serves until it is deleted; no gap.")


def _ingress_name(inputs: Mapping[str, Any] | None) -> str:
    metadata = (inputs or {}).get("metadata") or {}
    return f"{metadata.get('namespace') or 'default'}/{metadata.get('name')}"


def _listed(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(code(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def context_claims(context: Mapping[str, Any], ingress_class: Any) -> set[str]:
    """What the head plan's Ingresses on a class route (`host/path`, and `host` for every host); worked out
    once per class and kept in the context."""
    cache = context.get("claims_by_class")
    if isinstance(cache, dict) and ingress_class in cache:
        return cache[ingress_class]
    found: set[str] = set()
    for resource in context.get("head_ingresses") or []:
        inputs = resource.get("inputs") or {}
        if (inputs.get("spec") or {}).get("ingressClassName") == ingress_class:
            for claim in claims(inputs):
                found |= {claim, claim.split("/", 1)[0]}
    if isinstance(cache, dict):
        cache[ingress_class] = found
    return found


def _still_served(claim: str, kept: set[str]) -> bool:
    return claim in kept if "/" in claim else claim.split("/", 1)[0] in kept


def ingress_meaning(step: ResourceDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                    flavor: str | None, context: Mapping[str, Any] | None = None) -> str:
    """A replaced or deleted Ingress: who loses what, and for how long."""
    old_inputs, new_inputs = (old or {}).get("inputs") or {}, (new or {}).get("inputs") or {}
    served = claims(old_inputs)
    cls = ((new_inputs or old_inputs).get("spec") or {}).get("ingressClassName")
    if step.op == "delete":
        kept = context_claims(context or {}, cls)
        lost = [claim for claim in served if not _still_served(claim, kept)]
        if not lost:
            return f"what it routes stays served by other Ingresses on class {code(cls)}."
        return f"{_listed(lost)} stop being served (class {code(cls)})."
    if step.delete_first:
        return (f"deleted before it is created again: {_listed(served)} answer 404 from the delete until the "
                "controller has the new Ingress (downtime).")
    both = [claim for claim in claims(new_inputs) if claim in served]
    if not both or (old_inputs.get("spec") or {}).get("ingressClassName") != cls:
        return (f"the new Ingress {code(_ingress_name(new_inputs))} is created before the old "
                f"{code(_ingress_name(old_inputs))} is deleted.")
    moment = (f"the new Ingress {code(_ingress_name(new_inputs))} is created while the old "
              f"{code(_ingress_name(old_inputs))} still exists: until the old one is deleted, two Ingresses "
              f"claim {_listed(both)} on class {code(cls)}")
    if flavor == "ingress-nginx":
        return (moment + "; ingress-nginx's admission webhook refuses the new one (`host ... and path ... is "
                "already defined`), so `pulumi up` stops here with the old one in place.")
    if flavor == "nginx-inc":
        return (moment + "; the F5 controller keeps serving the older one and rejects the new one (\"All hosts "
                "are taken by other resources\") until the old one is gone, while Pulumi waits up to 10 minutes "
                "for the new one's status.")
    return moment + "; the controller may refuse the new one."


def meaning(step: ResourceDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
            context: Mapping[str, Any]) -> str:
    """What the replacement or deletion of `step` means, in one sentence (Markdown)."""
    type_ = step.type
    inputs = (new or old or {}).get("inputs") or {}
    deleted = step.op == "delete"
    if type_.endswith(":Ingress") and type_.startswith("kubernetes:"):
        return ingress_meaning(step, old, new, context.get("flavor"), context)
    if type_.startswith("kubernetes:gateway.networking.k8s.io/") and type_.endswith(":HTTPRoute"):
        said = route_meaning(step, old, new)
        if said is not None:
            return said
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
