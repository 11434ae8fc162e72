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
from planner.resource_types import CERTIFICATE, HELM_RELEASE, INGRESS, RECORD, ZONE

CONTROLLER_PARENT = "gangplank:platform:IngressController::"
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:")


def plan_usage(plan: Mapping[str, Any]) -> list[Usage]:
    """What the plan declares, counted against each limit (the same subjects as `stack_usage`)."""
    resources = plan.get("resources") or []
    zones = {r["id"]: r["inputs"].get("name") for r in resources if r["type"] == ZONE}
    records: Counter[str] = Counter({name: ZONE_OWN_RECORDS for name in zones.values()})
    for r in resources:
        if r["type"] == RECORD and r["inputs"].get("zoneId") in zones:
            records[zones[r["inputs"]["zoneId"]]] += 1

    platform = (plan.get("outputs") or {}).get("platform") or {}
    subject_of_class = {}
    for name, edge in (platform.get("edges") or {}).items():
        subject_of_class[edge.get("ingressClass")] = controller_subject(name)
        move = edge.get("move") or {}
        if move:
            subject_of_class[move.get("ingressClass")] = controller_subject(name, move.get("to"))
    ingresses: Counter[str] = Counter({subject: 0 for subject in subject_of_class.values()})
    for r in resources:
        if r["type"] == INGRESS:
            klass = (r["inputs"].get("spec") or {}).get("ingressClassName")
            ingresses[subject_of_class.get(klass, f"edge {klass}")] += 1

    usage = [Usage(RECORDS_PER_ZONE, f"zone {zone}", count) for zone, count in records.items()]
    usage += [Usage(INGRESSES_PER_EDGE, subject, count) for subject, count in ingresses.items()]
    usage += [Usage(NAMES_PER_CERTIFICATE, f"certificate for {r['inputs'].get('domainName')}",
                    1 + len(r["inputs"].get("subjectAlternativeNames") or []))
              for r in resources if r["type"] == CERTIFICATE]
    usage += [Usage(CERTIFICATES_PER_LOAD_BALANCER, f"load balancer of {_controller_of_release(r, subject_of_class)}",
                    len(set(_acm_arns(r["inputs"].get("values")))))
              for r in resources if r["type"] == HELM_RELEASE and str(r.get("parent")).startswith(CONTROLLER_PARENT)]
    return usage


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
