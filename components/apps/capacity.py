"""Capacity guardrails: how much of each limit in `gangplank:limits` a stack uses, and what to do near one.

At 500-5,000 apps, what stops gangplank is not the program but the quotas behind `pulumi up`:
record sets per Route53 zone, names per ACM certificate, certificates per NLB, and how many
Ingresses one controller serves well. `stack_usage` counts them from the program's own decisions
(the hosts, Ingresses and certificates it will declare), before anything is declared; `judge`
compares them with the limits:

- past a quota AWS enforces, the stack is an input error: AWS would refuse the resource part-way
  through `pulumi up`, after everything before it was created;
- past `WARN_SHARE` of a limit, or past a limit nothing enforces (`ingressesPerEdge`), a warning
  says what to do: a quota increase, wildcard DNS, another edge.

Pure functions: the program turns errors into `Problem`s and logs warnings; the planner counts the
same limits from a plan's resources (`planner/capacity.py`) and puts the warnings in the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from components.apps.host import host_record_count, served_by_wildcard, wildcard_edges
from components.apps.routing import host_shares, ingress_units, shared_hosts
from components.flavors import get_flavor, is_gateway
from components.flavors.traffic import Flavor
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.settings import BUILT_IN_EDGES, Limits, Settings
from components.platform.certificates import certificate_names
from components.platform.controllers import stack_controllers
from components.platform.ingress_controller import takes_ipv6_clients

WARN_SHARE = 0.8
"""A stack past this share of a limit gets a warning: time to ask for a quota increase before it is needed."""
ZONE_OWN_RECORDS = 2
"""Record sets every hosted zone has from its creation: its SOA and its NS (they count toward the quota)."""
CERTIFICATES_PER_EDGE = 1
"""Each edge's NLB carries one certificate on its TLS listener: its zone's (apex + wildcard)."""

RECORDS_PER_ZONE = "recordsPerZone"
INGRESSES_PER_EDGE = "ingressesPerEdge"
NAMES_PER_CERTIFICATE = "namesPerCertificate"
CERTIFICATES_PER_LOAD_BALANCER = "certificatesPerLoadBalancer"
ENFORCED = {RECORDS_PER_ZONE: True, INGRESSES_PER_EDGE: False, NAMES_PER_CERTIFICATE: True,
            CERTIFICATES_PER_LOAD_BALANCER: True}
"""Limit -> whether AWS refuses what passes it (an input error) rather than the controller slowing down (a warning)."""
UNITS = {RECORDS_PER_ZONE: "record sets", INGRESSES_PER_EDGE: "Ingresses", NAMES_PER_CERTIFICATE: "names",
         CERTIFICATES_PER_LOAD_BALANCER: "certificates"}
SOURCES = {
    RECORDS_PER_ZONE: "Route53's quota of record sets per hosted zone",
    INGRESSES_PER_EDGE: "what one controller reloads in reasonable time",
    NAMES_PER_CERTIFICATE: "ACM's quota of domain names per certificate",
    CERTIFICATES_PER_LOAD_BALANCER: "ELB's quota of certificates per Network Load Balancer",
}


@dataclass(frozen=True)
class Usage:
    """How much of one limit one thing (a zone, an edge, a certificate, a load balancer) uses."""

    limit: str
    """The limit's key in `gangplank:limits` (`recordsPerZone`, ...)."""
    subject: str
    """What is counted, in words: `zone dev.example.com`, `edge public`, ..."""
    count: int
    """How many it holds, as planned."""
    unit: str | None = None
    """What is counted, where the limit's own word (`UNITS`) would be wrong: a Gateway API edge's controller
    serves HTTPRoutes, which `ingressesPerEdge` counts alike."""


@dataclass(frozen=True)
class CapacityWarning:
    """A limit a stack is near or past, with what to do about it."""

    limit: str
    """The limit's key in `gangplank:limits`."""
    subject: str
    """What is near or past the limit."""
    count: int
    """How many it holds, as planned."""
    value: int
    """The limit."""
    message: str
    """One line for people: the count, the limit, its source and what to do."""

    @property
    def past(self) -> bool:
        return self.count > self.value

    def as_plan_entry(self) -> dict[str, Any]:
        """The warning in the plan JSON's top-level `warnings` list."""
        return {"kind": "capacity", "limit": self.limit, "subject": self.subject, "count": self.count,
                "value": self.value, "message": self.message}


# -- counting from the program's decisions -------------------------------------------------


def controller_subject(edge: str, moving_to: str | None = None) -> str:
    """How a controller is named in a capacity finding: `edge public`, or `edge public (nginx-inc)` for the
    controller a moving edge moves to."""
    return f"edge {edge}" + (f" ({moving_to})" if moving_to else "")


def stack_usage(settings: Settings, apps: Sequence[ResolvedApp],
                dashboard: ResolvedApp | None = None) -> list[Usage]:
    """What the stack will declare, counted against each limit (the dashboard is exposed like an app, apart).

    Each edge's controller counts its Ingresses with its own flavor (`edge_flavor`); the controller a moving edge
    moves to counts its own, and its load balancer its certificate."""
    groups = [list(apps)] + ([[dashboard]] if dashboard is not None else [])
    wildcards = wildcard_edges(settings.dns_records)
    edges = settings.all_edges()
    controllers = stack_controllers(settings)
    current: dict[str, Flavor] = {edge: get_flavor(plans[0].flavor) for edge, plans in controllers.items()}
    moving: dict[str, Flavor] = {edge: get_flavor(plans[-1].flavor) for edge, plans in controllers.items()
                                 if len(plans) > 1}

    # AAAA (and its marker) only where IPv6 clients can reach the edge, as `Host` declares them.
    record_cost = {name: host_record_count(takes_ipv6_clients(edge, settings.dualstack))
                   for name, edge in edges.items()}

    records: Counter[str] = Counter()
    for visibility in BUILT_IN_EDGES:
        zone = settings.domain_for(visibility)
        records[zone] += ZONE_OWN_RECORDS + (record_cost[wildcards[visibility]] if visibility in wildcards else 0)
    # ACM validates both certificates in the public zone: one CNAME each (apex and wildcard share it).
    records[settings.public_domain] += len(BUILT_IN_EDGES)

    subjects = {edge: controller_subject(edge) for edge in edges}
    next_subjects = {edge: controller_subject(edge, flavor.name) for edge, flavor in moving.items()}
    ingresses: Counter[str] = Counter({subject: 0 for subject in [*subjects.values(), *next_subjects.values()]})
    for group in groups:
        shared = shared_hosts(group)
        for app in group:
            for unit in ingress_units(app, current, shared):
                ingresses[subjects[unit.edge]] += 1
            for unit in ingress_units(app, {**current, **moving}, shared):
                if unit.edge in moving:
                    ingresses[next_subjects[unit.edge]] += 1
        for share in host_shares(group, current).values():
            if share.needs_master(current[share.edge]):
                ingresses[subjects[share.edge]] += 1  # the host's master Ingress
            if share.edge in moving and share.needs_master(moving[share.edge]):
                ingresses[next_subjects[share.edge]] += 1
            zone_has_wildcard = wildcards.get(edges[share.edge].visibility) == share.edge
            if not served_by_wildcard(share.host, share.zone_domain, zone_has_wildcard):
                records[share.zone_domain] += record_cost[share.edge]
    for edge in moving:
        # The edge's weighted records: an alias per controller and record type (no marker: edge_traffic.py).
        records[settings.domain_for(edges[edge].visibility)] += record_cost[edge]

    usage = [Usage(RECORDS_PER_ZONE, f"zone {zone}", count) for zone, count in records.items()]
    gateway_edges = {subjects[edge] for edge, flavor in current.items() if is_gateway(flavor)}
    gateway_edges |= {next_subjects[edge] for edge, flavor in moving.items() if is_gateway(flavor)}
    usage += [Usage(INGRESSES_PER_EDGE, subject, count, GATEWAY_ROUTES if subject in gateway_edges else None)
              for subject, count in ingresses.items()]
    for visibility in BUILT_IN_EDGES:
        apex, alternatives = certificate_names(settings.domain_for(visibility))
        usage.append(Usage(NAMES_PER_CERTIFICATE, f"certificate for {apex}", 1 + len(alternatives)))
    usage += [Usage(CERTIFICATES_PER_LOAD_BALANCER, f"load balancer of {subject}", CERTIFICATES_PER_EDGE)
              for subject in [*subjects.values(), *next_subjects.values()]]
    return usage


# -- judging -------------------------------------------------------------------------------


def limit_value(limits: Limits, limit: str) -> int:
    """The configured value of a limit, by its camelCase key."""
    for name, field in Limits.model_fields.items():
        if (field.alias or name) == limit:
            return int(getattr(limits, name))
    raise KeyError(limit)


def judge(usage: Iterable[Usage], limits: Limits, dns_records: str) -> tuple[list[CapacityWarning],
                                                                               list[CapacityWarning]]:
    """(past a quota AWS enforces: input errors, near or past a limit: warnings), each sorted by limit and subject."""
    errors, warnings = [], []
    for item in usage:
        value = limit_value(limits, item.limit)
        if item.count <= value * WARN_SHARE:
            continue
        finding = CapacityWarning(item.limit, item.subject, item.count, value,
                                  _message(item, value, dns_records))
        (errors if finding.past and ENFORCED[item.limit] else warnings).append(finding)
    order = lambda finding: (finding.limit, finding.subject)  # noqa: E731
    return sorted(errors, key=order), sorted(warnings, key=order)


GATEWAY_ROUTES = "HTTPRoutes"
"""What `ingressesPerEdge` counts on a Gateway API edge, in a warning's words."""


def _message(item: Usage, value: int, dns_records: str) -> str:
    where = "past" if item.count > value else "near"
    head = (f"{item.subject}: {item.count:,} {item.unit or UNITS[item.limit]}, {where} gangplank:limits.{item.limit} = "
            f"{value:,} ({SOURCES[item.limit]})")
    return f"{head}. {_advice(item.limit, item.count > value, dns_records, item.unit or UNITS[item.limit])}"


def _advice(limit: str, past: bool, dns_records: str, unit: str) -> str:
    if limit == RECORDS_PER_ZONE:
        refusal = "Route53 refuses record sets past the quota, so `pulumi up` would stop part-way. " if past else ""
        wildcard = ("" if dns_records == "wildcard" else
                    " or set gangplank:dnsRecords to wildcard (one alias per zone instead of two record sets per host)")
        return (f"{refusal}Request a higher quota (Service Quotas: Route 53, \"Records per hosted zone\") and set "
                f"gangplank:limits.{limit} to it,{wildcard}, or move apps to an edge of the other zone.")
    if limit == INGRESSES_PER_EDGE:
        return (f"A controller with this many {unit} takes minutes to reload and to start a new pod: move "
                "some apps to another edge (gangplank:edges, then `edges:` in apps.yaml), or raise the limit "
                "once the controller has been load-tested with this many.")
    if limit == NAMES_PER_CERTIFICATE:
        refusal = "ACM refuses the certificate. " if past else ""
        return (f"{refusal}Request a higher quota (Service Quotas: AWS Certificate Manager, \"Domain names per "
                f"ACM certificate\", up to 100) and set gangplank:limits.{limit} to it.")
    refusal = "ELB refuses the listener's certificates. " if past else ""
    return (f"{refusal}Request a higher quota (Service Quotas: Elastic Load Balancing, \"Certificates per "
            f"Network Load Balancer\") and set gangplank:limits.{limit} to it, or serve some names from another "
            "edge.")
