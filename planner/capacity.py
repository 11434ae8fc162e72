"""Capacity warnings of a plan: its declared resources counted against the stack's `gangplank:limits`.

The program counts the same limits from its decisions before it declares anything (and stops on a
quota AWS would refuse, `components/apps/capacity.py`); this counts what was actually declared, so
the plan's top-level `warnings` audit the program rather than repeat it. Both are judged by the
same `judge`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from components.apps.capacity import (
    CERTIFICATES_PER_LOAD_BALANCER,
    GATEWAY_ROUTES,
    INGRESSES_PER_EDGE,
    NAMES_PER_CERTIFICATE,
    RECORDS_PER_ZONE,
    ZONE_OWN_RECORDS,
    CapacityWarning,
    Usage,
    controller_subject,
    judge,
)
from components.inputs.settings import Settings
from planner.resource_types import CERTIFICATE, GATEWAY, HELM_RELEASE, HTTP_ROUTE, INGRESS, RECORD, ZONE

CONTROLLER_PARENT = "gangplank:platform:IngressController::"
GATEWAY_CONTROLLER_PARENT = "gangplank:platform:GatewayController::"
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:")


def plan_usage(plan: Mapping[str, Any]) -> list[Usage]:
    """What the plan declares, counted against each limit (the same subjects as `stack_usage`).

    An Ingress edge counts its Ingresses (by IngressClass) and the certificates in its controller's Helm values; a
    Gateway API edge counts the apps' HTTPRoutes attached to its Gateway (not the platform's own redirect route),
    and the certificates in its controller's objects (Envoy Gateway sets the NLB's in its EnvoyProxy)."""
    resources = plan.get("resources") or []
    zones = {r["id"]: r["inputs"].get("name") for r in resources if r["type"] == ZONE}
    records: Counter[str] = Counter({name: ZONE_OWN_RECORDS for name in zones.values()})
    for r in resources:
        if r["type"] == RECORD and r["inputs"].get("zoneId") in zones:
            records[zones[r["inputs"]["zoneId"]]] += 1

    platform = (plan.get("outputs") or {}).get("platform") or {}
    subject_of_class: dict[Any, str] = {}
    subject_of_gateway: dict[str, str] = {}  # "<namespace>/<name>" of an edge's Gateway -> its subject
    for name, edge in (platform.get("edges") or {}).items():
        for controller, to in ((edge, None), (edge.get("move") or {}, (edge.get("move") or {}).get("to"))):
            if not controller:
                continue
            subject_of_class[controller.get("ingressClass")] = controller_subject(name, to)
            if controller.get("gateway"):
                subject_of_gateway[controller["gateway"]] = controller_subject(name, to)
    ingresses: Counter[str] = Counter({subject: 0 for subject in subject_of_class.values()})
    for r in resources:
        if r["type"] == INGRESS:
            klass = (r["inputs"].get("spec") or {}).get("ingressClassName")
            ingresses[subject_of_class.get(klass, f"edge {klass}")] += 1
        elif r["type"] == HTTP_ROUTE and not str(r.get("parent")).startswith(GATEWAY_CONTROLLER_PARENT):
            for gateway in {_gateway_of(ref, r) for ref in (r["inputs"].get("spec") or {}).get("parentRefs") or []}:
                if gateway in subject_of_gateway:
                    ingresses[subject_of_gateway[gateway]] += 1

    usage = [Usage(RECORDS_PER_ZONE, f"zone {zone}", count) for zone, count in records.items()]
    gateway_edges = set(subject_of_gateway.values())
    usage += [Usage(INGRESSES_PER_EDGE, subject, count, GATEWAY_ROUTES if subject in gateway_edges else None)
              for subject, count in ingresses.items()]
    usage += [Usage(NAMES_PER_CERTIFICATE, f"certificate for {r['inputs'].get('domainName')}",
                    1 + len(r["inputs"].get("subjectAlternativeNames") or []))
              for r in resources if r["type"] == CERTIFICATE]
    usage += [Usage(CERTIFICATES_PER_LOAD_BALANCER, f"load balancer of {_controller_of_release(r, subject_of_class)}",
                    len(set(_acm_arns(r["inputs"].get("values")))))
              for r in resources if r["type"] == HELM_RELEASE and str(r.get("parent")).startswith(CONTROLLER_PARENT)]
    gateway_arns: dict[str, set[str]] = {}  # a Gateway API controller -> the ACM ARNs in its objects
    gateway_subjects: dict[str, str] = {}
    for r in resources:
        parent = str(r.get("parent"))
        if parent.startswith(GATEWAY_CONTROLLER_PARENT):
            gateway_arns.setdefault(parent, set()).update(_acm_arns(r["inputs"]))
            metadata = r["inputs"].get("metadata") or {}
            if r["type"] == GATEWAY and f"{metadata.get('namespace')}/{metadata.get('name')}" in subject_of_gateway:
                gateway_subjects[parent] = subject_of_gateway[f"{metadata.get('namespace')}/{metadata.get('name')}"]
    usage += [Usage(CERTIFICATES_PER_LOAD_BALANCER, f"load balancer of {gateway_subjects[parent]}", len(arns))
              for parent, arns in gateway_arns.items() if parent in gateway_subjects]
    return usage


def _gateway_of(ref: Mapping[str, Any], route: Mapping[str, Any]) -> str:
    """`<namespace>/<name>` of the Gateway a parentRef names. Its namespace defaults to the route's: "When unspecified,
    this refers to the local namespace of the Route" (Gateway API v1.6.1, the HTTPRoute CRD's
    `spec.parentRefs[].namespace`, from apis/v1/shared_types.go `ParentReference`)."""
    namespace = ref.get("namespace") or ((route["inputs"].get("metadata") or {}).get("namespace"))
    return f"{namespace}/{ref.get('name')}"


def _controller_of_release(release: Mapping[str, Any], subject_of_class: Mapping[Any, str]) -> str:
    """The controller a release installs, as `controller_subject` names it: release `ingress-<x>` has the IngressClass
    `nginx-<x>` (`traffic.controller_spec` derives both from the edge and the controller's suffix)."""
    name = str(release["inputs"].get("name") or "")
    klass = "nginx-" + name.removeprefix("ingress-")
    if klass in subject_of_class:
        return subject_of_class[klass]
    return "edge " + str(release["parent"]).removeprefix(CONTROLLER_PARENT).split("-", 1)[-1]


def _acm_arns(value: Any) -> Iterator[str]:
    """Every ACM certificate ARN in a controller's Helm values (where its listener's certificates are set)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _acm_arns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _acm_arns(item)
    elif isinstance(value, str):
        yield from (part.strip() for part in value.split(",") if ACM_ARN.match(part.strip()))


def plan_warnings(plan: Mapping[str, Any], settings: Settings) -> list[CapacityWarning]:
    """Limits the plan is near or past: the plan's top-level `warnings`."""
    errors, warnings = judge(plan_usage(plan), settings.limits, settings.dns_records)
    return sorted(errors + warnings, key=lambda finding: (finding.limit, finding.subject))
