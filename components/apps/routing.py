"""Routing decisions: which Ingress of which app carries which host, and who shares a host.

Pure functions of the resolved catalogue. An app gets one Ingress per edge, whose rules list
every host of the app on that edge (its `host`, then its `aliases`). Flavors that join a shared
host's Ingresses through a master (F5: a minion may carry one host only) split a route into one
Ingress per host wherever one of its hosts is shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from components.flavors.traffic import Flavor
from components.inputs.catalog import ResolvedApp


@dataclass(frozen=True)
class IngressUnit:
    """One Ingress of an app."""

    resource_name: str
    """Pulumi resource name (the first Ingress keeps `<app>-ingress`, the name it always had)."""
    name: str
    """Kubernetes name, unique in the app's namespace."""
    edge: str
    """The edge whose controller serves it."""
    hosts: tuple[str, ...]
    """Its rules' hosts."""
    first: bool
    """The app's first Ingress: it carries the dashboard bookmark."""


@dataclass(frozen=True)
class HostMember:
    """One Ingress on a host: which app it belongs to, and where it lives."""

    app: str
    """The app's name."""
    namespace: str
    """The app's namespace (a master Ingress lives beside its host's first member)."""
    ingress: str
    """The Kubernetes name of the Ingress (the ExternalDNS marker names it)."""


@dataclass(frozen=True)
class HostShare:
    """A host, the edge that serves it, and the Ingresses on it, in catalogue order."""

    host: str
    edge: str
    zone_domain: str
    members: tuple[HostMember, ...]

    @property
    def owner(self) -> HostMember:
        """The first member: its namespace holds a master Ingress; the ownership marker names it."""
        return self.members[0]

    @property
    def apps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(member.app for member in self.members))

    @property
    def shared(self) -> bool:
        """More than one Ingress on the host: mergeable flavors then need a master."""
        return len(self.members) > 1


def shared_hosts(apps: Iterable[ResolvedApp]) -> set[str]:
    """Hosts that more than one app serves (path-based routing)."""
    seen: dict[str, str] = {}
    shared: set[str] = set()
    for app in apps:
        for route in app.routes:
            for host in route.hosts:
                if seen.setdefault(host, app.name) != app.name:
                    shared.add(host)
    return shared


def ingress_units(app: ResolvedApp, flavor: Flavor, shared: set[str]) -> list[IngressUnit]:
    """The app's Ingresses: one per edge, split per host where a mergeable flavor needs minions."""
    units: list[IngressUnit] = []
    base = f"{app.name}-ingress"
    for index, route in enumerate(app.routes):
        resource = base if index == 0 else f"{base}-{route.edge.name}"
        name = app.name if index == 0 else f"{app.name}-{route.edge.name}"
        split = flavor.shared_host_mode == "mergeable" and any(host in shared for host in route.hosts)
        groups: Sequence[tuple[str, ...]] = [(host,) for host in route.hosts] if split else [route.hosts]
        for position, hosts in enumerate(groups):
            suffix = "" if position == 0 else f"-{hosts[0]}"
            units.append(IngressUnit(resource + suffix, name + suffix, route.edge.name, hosts, not units))
    return units


def host_shares(apps: Sequence[ResolvedApp], flavor: Flavor) -> dict[str, HostShare]:
    """Every host of these apps with the Ingresses on it: one set of DNS records per host, whatever the
    number of apps."""
    shared = shared_hosts(apps)
    grouped: dict[str, tuple[str, str, list[HostMember]]] = {}
    for app in apps:
        zones = {route.edge.name: route.zone_domain for route in app.routes}
        for unit in ingress_units(app, flavor, shared):
            for host in unit.hosts:
                entry = grouped.setdefault(host, (unit.edge, zones[unit.edge], []))
                entry[2].append(HostMember(app.name, app.namespace, unit.name))
    return {host: HostShare(host, edge, zone, tuple(members)) for host, (edge, zone, members) in grouped.items()}
