"""Host: what belongs to one DNS name rather than to an app; ZoneWildcard: one name for a whole zone.

A host's alias records, their ExternalDNS ownership markers and, for flavors that join a shared
host's Ingresses through a master, the master Ingress. Several apps may share a host (path-based
routing); the host's resources exist once, whichever apps come and go.

With `gangplank:dnsRecords: wildcard` each zone gets one `*.<zone>` alias to its own edge's load
balancer (`ZoneWildcard`), and the hosts it answers for (one label under the zone, on that edge)
get no records of their own: a new app costs no Route53 call and resolves at once. Route53 answers
an explicit record before the wildcard, so hosts the wildcard cannot serve (the apex, hosts of
another edge in the zone) keep theirs.

gangplank never overwrites a DNS record it did not create: alias and marker records are written
with CREATE semantics (`allow_overwrite` unset). It marks its own records the way ExternalDNS's
TXT registry does, with an owner id of its own, so ExternalDNS leaves gangplank's records alone,
and gangplank leaves ExternalDNS's. (The two exceptions are records that are ours by
construction: ACM's validation CNAME and the public zone's NS delegation.)

ExternalDNS versions. The marker of an alias A record is `a-<host>`, read by ExternalDNS v0.22 and
later. v0.12 to v0.21 keyed an A alias on `cname-<host>` (registry/txt/registry.go at v0.21.0:
"AWS Alias records are encoded as type cname"); v0.22 reads `a-<host>` and falls back to
`cname-<host>`, warning that the old one can be removed. gangplank writes only `a-` (and `aaaa-`,
read alike by all). Its records are safe with either: an ExternalDNS that does not see a marker
takes the record for unowned, and its plan never updates or deletes a record it does not own, nor
creates one over it (plan/plan.go at v0.21.0). What v0.12-v0.21 lose is only the owner's name in
their reports ("owner id does not match" instead of the gangplank owner id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.apps.routing import HostShare
from components.flavors import is_gateway
from components.flavors.app_intent import AppIntent
from components.flavors.traffic import INGRESS_EDGE_LABEL
from components.platform.edge_traffic import record_types
from components.platform.platform import EdgeTarget, serving

OWNER_PREFIX = "gangplank"
TYPE_TOKEN = "gangplank:apps:Host"
WILDCARD_TYPE_TOKEN = "gangplank:apps:ZoneWildcard"
WILDCARD_REPLACEMENT = "_wildcard"
"""What stands for `*` in the marker of a wildcard record (`a-_wildcard.<zone>`): a `*` inside a label is no
wildcard and is refused by most DNS providers, so ExternalDNS replaces it (`--txt-wildcard-replacement`,
external-dns docs/registry/txt.md "Wildcard Replacement", registry/mapper/mapper.go `ToTXTName`). An
ExternalDNS that shares the zone recognises gangplank's wildcard when run with
`--txt-wildcard-replacement=_wildcard`; without it, it sees the wildcard as nobody's and leaves it alone. The
underscore keeps the marker apart from every host's marker: host labels cannot contain one."""
WILDCARD_EDGES = {"public": "public", "private": "private"}
"""Visibility (zone) -> the edge whose load balancer its wildcard points at: the zone's own built-in edge."""
LEGACY_PARENT_TYPE = "gangplank:apps:ExposedApp"
"""Before hosts were components, the host's first app declared its records: their old parent type."""
MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}


# -- decisions (pure) --------------------------------------------------------------------


def owner_id(stack: str) -> str:
    """The ExternalDNS owner id of a stack: distinct per stack, never ExternalDNS's own."""
    return f"{OWNER_PREFIX}-{stack}"


def ownership_record_name(record_type: str, host: str, zone: str | None = None) -> str:
    """Name of the ExternalDNS TXT registry record for a record (`a-<host>`, `aaaa-<host>`).

    ExternalDNS's registry prefixes the first label (`a-shop.dev.example.com`). For the zone apex
    that name would fall outside the zone, so there we follow ExternalDNS's documented apex rule: a
    record-type prefix that ends in a dot (`--txt-prefix=%{record_type}.`), which puts the marker
    inside the zone (`a.dev.example.com`). Source: external-dns docs/registry/txt.md. A wildcard's
    `*` is replaced first, as ExternalDNS does (`a-_wildcard.dev.example.com`, `WILDCARD_REPLACEMENT`).
    """
    if zone is not None and host == zone:
        return f"{record_type.lower()}.{host}"
    if host.startswith("*."):
        host = WILDCARD_REPLACEMENT + host[1:]
    return f"{record_type.lower()}-{host}"


def ownership_value(stack: str, resource: str) -> str:
    """The TXT value ExternalDNS reads: heritage, owner and the Kubernetes resource behind the name."""
    return f"heritage=external-dns,external-dns/owner={owner_id(stack)},external-dns/resource={resource}"


def wildcard_name(zone: str) -> str:
    """The zone's wildcard record: it answers for every name under the zone that has no record of its own."""
    return f"*.{zone}"


def wildcard_edges(mode: str) -> dict[str, str]:
    """Visibility (zone) -> the edge its wildcard points at; empty when every host has its own records."""
    return dict(WILDCARD_EDGES) if mode == "wildcard" else {}


def served_by_wildcard(host: str, zone: str, zone_has_wildcard: bool) -> bool:
    """Whether the zone's wildcard answers for `host` on an edge, so the host needs no records of its own.

    `zone_has_wildcard`: the edge serving the host is the one its zone's wildcard points at. The
    wildcard covers one label under the zone, as the certificate does; not the apex. (Route53
    would also answer deeper names from it, but the catalogue allows none.)
    """
    if not zone_has_wildcard or host == zone or not host.endswith("." + zone):
        return False
    return "." not in host[: -len(zone) - 1]


def host_record_count(dualstack: bool) -> int:
    """Record sets a name with records of its own takes in its zone: an alias and a marker per record type."""
    return 2 * len(record_types(dualstack))


def owner_resource(share: HostShare, target: EdgeTarget) -> str:
    """What the host's ownership marker names as the Kubernetes object behind the name: its first Ingress, or on a
    Gateway API edge its first HTTPRoute (informational: ExternalDNS decides ownership by the owner id alone)."""
    kind = "httproute" if is_gateway(target.flavor) else "ingress"
    return f"{kind}/{share.owner.namespace}/{share.owner.ingress}{target.suffix}"


def master_intent(visibility: str) -> AppIntent:
    """The host-wide part of a shared host's intent (the master carries no app's limits)."""
    return AppIntent(visibility=visibility, https_redirect=True, hsts=visibility == "public",  # type: ignore[arg-type]
                     rate_limit=None, basic_auth_secret=None, allow_cidrs=[], max_body_size=None,
                     merge_role="master")


def master_ingress_manifest(share: HostShare, target: EdgeTarget, visibility: str) -> dict[str, Any]:
    """The master of a shared host (mergeable flavors): the host, no paths; minions bring the paths."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": f"{share.host}{target.suffix}", "namespace": share.owner.namespace,
                     "labels": {**MANAGED_BY, INGRESS_EDGE_LABEL: target.instance},
                     "annotations": target.flavor.ingress_annotations(master_intent(visibility))},
        "spec": {"ingressClassName": target.ingress_class, "rules": [{"host": share.host}]},
    }


# -- the component -----------------------------------------------------------------------


@dataclass(frozen=True)
class HostArgs:
    """Inputs of one host."""

    share: HostShare
    """The host, its edge and the Ingresses on it."""
    target: EdgeTarget
    """The edge that serves the host (zone, load balancer, flavor)."""
    visibility: str
    """The edge's visibility (the master's HSTS)."""
    stack: str
    """The stack name (the ExternalDNS owner id)."""
    own_records: bool = True
    """Whether the host gets alias records of its own; False when its zone's wildcard answers for it."""
    legacy_parent: pulumi.Input[str] | None = None
    """URN of the ExposedApp that declared this host's resources before hosts were components, if this
    host existed then: its resources declare it as an alias, so live stacks keep them."""
    ready: tuple[pulumi.Resource, ...] = ()
    """The apps' Ingresses for this host on the controller its edge moves to: while the edge moves, its alias
    records wait for them (and for the new controller's master Ingress) before they point at the edge's weighted
    records, so the new NLB never gets a request for the host before its controller serves it."""


class Host(pulumi.ComponentResource):
    """One host's DNS records and, for a shared host on a mergeable flavor, its master Ingress."""

    records: list[aws.route53.Record]
    """The alias records (A, and AAAA with dual stack): what a client resolves; empty when the zone's wildcard
    answers for the host."""

    def __init__(self, name: str, args: HostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        share, target = args.share, args.target

        def child(role: str, **more: object) -> tuple[str, pulumi.ResourceOptions]:
            # The same name as before; only the parent changed: the alias says where it was.
            child_name = f"{name}-{role}"
            aliases = [pulumi.Alias(name=child_name, parent=args.legacy_parent)] if args.legacy_parent else None
            return child_name, pulumi.ResourceOptions(parent=self, aliases=aliases, **more)  # type: ignore[arg-type]

        # A master per controller that joins the host's Ingresses through one (two during a move, if both do).
        ready = list(args.ready)
        for controller in serving(target):
            if share.needs_master(controller.flavor):
                master, opts = child(f"master{controller.suffix}", depends_on=list(controller.controllers_ready))
                ingress = k8s.networking.v1.Ingress(
                    master, **_k8s_args(master_ingress_manifest(share, controller, args.visibility)), opts=opts)
                if controller is not target:
                    ready.append(ingress)
        # The marker names the Ingress of the controller that serves the host today.
        self.records = alias_records(share.host, share.zone_domain, target, args.stack,
                                     owner_resource(share, target), child, ready=tuple(ready)) \
            if args.own_records else []
        self.register_outputs({"host": share.host})


@dataclass(frozen=True)
class ZoneWildcardArgs:
    """Inputs of a zone's wildcard."""

    zone_domain: str
    """The zone, e.g. `dev.example.com`: the record is `*.dev.example.com`."""
    target: EdgeTarget
    """The edge whose load balancer the wildcard points at."""
    stack: str
    """The stack name (the ExternalDNS owner id)."""


class ZoneWildcard(pulumi.ComponentResource):
    """`*.<zone>` alias records to one edge's load balancer, with their ownership markers."""

    records: list[aws.route53.Record]
    """The alias records (A, and AAAA with dual stack)."""

    def __init__(self, name: str, args: ZoneWildcardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WILDCARD_TYPE_TOKEN, name, None, opts)
        target = args.target
        # The marker names what the record points at: the Service whose load balancer it is.
        self.records = alias_records(wildcard_name(args.zone_domain), args.zone_domain, target, args.stack,
                                     f"service/{target.controller_service}",
                                     lambda role: (f"{name}-{role}", pulumi.ResourceOptions(parent=self)))
        self.register_outputs({"host": wildcard_name(args.zone_domain)})


def alias_records(host: str, zone: str, target: EdgeTarget, stack: str, resource: str,
                  child: Callable[[str], tuple[str, pulumi.ResourceOptions]],
                  ready: tuple[pulumi.Resource, ...] = ()) -> list[aws.route53.Record]:
    """Alias records of `host` to the edge's load balancer (role `a`, `aaaa`), each with its marker (`-owner`).

    `child(role)` gives each record's name and options (`<component>-<role>`, parent, aliases). While the edge
    moves, the records point at its weighted records instead, after them and after `ready` (what the new
    controller needs to serve the name)."""
    records = []
    # The edge's NLB or, while the edge moves, its weighted records (components/platform/edge_traffic.py): the
    # record keeps its name and type and only its alias changes, an in-place UPSERT that never answers empty.
    alias_name, alias_zone_id = target.alias_target()
    for record_type in record_types(target.ipv6_clients):
        record, opts = child(record_type.lower())
        if target.dns_ready or ready:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                depends_on=[*target.dns_ready, *ready]))
        records.append(aws.route53.Record(
            record,
            zone_id=target.zone_id,
            name=host,
            type=record_type,
            aliases=[aws.route53.RecordAliasArgs(name=alias_name, zone_id=alias_zone_id,
                                                 evaluate_target_health=True)],
            opts=opts,
        ))
        marker, opts = child(f"{record_type.lower()}-owner")
        aws.route53.Record(
            marker,
            zone_id=target.zone_id,
            name=ownership_record_name(record_type, host, zone),
            type="TXT",
            ttl=300,
            records=[ownership_value(stack, resource)],
            opts=opts,
        )
    return records


def _k8s_args(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
