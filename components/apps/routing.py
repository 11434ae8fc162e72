"""Routing decisions: which Ingress of which app carries which host, and who shares a host.

Pure functions of the resolved catalogue. An app gets one Ingress per edge, whose rules list
every host of the app on that edge (its `host`, then its `aliases`). Flavors that join a shared
host's Ingresses through a master (F5: a minion may carry one host only) split a route into one
Ingress per host wherever one of its hosts is shared. A monitored app with an allow-list gets one
more Ingress on its monitor's host: its health path alone, exactly matched, open to UptimeRobot's
probe addresses as well (`health_unit`), so that the monitor can pass without opening the app.

On a Gateway API flavor a unit is an HTTPRoute (`<app>-route`), one per edge: Gateway API joins a
host's routes itself. A monitored app behind basic auth or an allow-list gets a health route too
(`needs_health_route`): the monitor's own login and UptimeRobot's addresses open that path alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from components.flavors import AnyFlavor, is_gateway
from components.inputs.catalog import ResolvedApp, path_is_under


@dataclass(frozen=True)
class IngressUnit:
    """One Ingress of an app (on a Gateway API edge: one HTTPRoute)."""

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
    health: bool = False
    """The Ingress that admits the uptime monitor's probes to the health path (and nothing else)."""


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

    def needs_master(self, flavor: AnyFlavor) -> bool:
        """Whether the flavor joins this host's Ingresses through a master Ingress (and minions)."""
        return self.shared and flavor.shared_host_mode == "mergeable"


Flavors = AnyFlavor | Mapping[str, AnyFlavor]
"""One flavor for every edge, or each edge's own (`components.inputs.settings.edge_flavor`)."""


def flavor_of(flavors: Flavors, edge: str) -> AnyFlavor:
    """The flavor of `edge`'s controller."""
    return flavors[edge] if isinstance(flavors, Mapping) else flavors


def needs_probe_access(app: ResolvedApp) -> bool:
    """Whether UptimeRobot's probes must be let through an allow-list to the app's health path."""
    return app.monitored and bool(app.app.allow_cidrs)


def needs_health_route(app: ResolvedApp) -> bool:
    """Whether an app on a Gateway API edge gets a route of its own for its monitor: monitored, behind basic auth
    or an allow-list, and its health path routed to it (otherwise the route would take another app's path).

    There the monitor's own login opens the health path alone (it is in no other route's htpasswd), and
    UptimeRobot's addresses join the allow-list there only.
    """
    protected = app.app.auth is not None or bool(app.app.allow_cidrs)
    routed = any(path_is_under(app.app.health_path, path) for path in app.app.paths)
    return app.monitored and protected and routed and app.monitor_route is not None


def shared_hosts(apps: Iterable[ResolvedApp]) -> set[str]:
    """Hosts that carry more than one Ingress: several apps (path-based routing), or an app and its
    health-path Ingress."""
    count: dict[str, int] = {}
    for app in apps:
        for host in dict.fromkeys(host for route in app.routes for host in route.hosts):
            count[host] = count.get(host, 0) + 1
        if needs_probe_access(app) and app.monitor_route is not None:
            count[app.monitor_route.host] = count.get(app.monitor_route.host, 0) + 1
    return {host for host, n in count.items() if n > 1}


def ingress_units(app: ResolvedApp, flavors: Flavors, shared: set[str]) -> list[IngressUnit]:
    """The app's Ingresses (or HTTPRoutes, on a Gateway API edge): one per edge, split per host where a mergeable
    flavor needs minions."""
    units: list[IngressUnit] = []
    for index, route in enumerate(app.routes):
        flavor = flavor_of(flavors, route.edge.name)
        base = f"{app.name}-route" if is_gateway(flavor) else f"{app.name}-ingress"
        resource = base if index == 0 else f"{base}-{route.edge.name}"
        name = app.name if index == 0 else f"{app.name}-{route.edge.name}"
        split = flavor.shared_host_mode == "mergeable" and any(host in shared for host in route.hosts)
        groups: Sequence[tuple[str, ...]] = [(host,) for host in route.hosts] if split else [route.hosts]
        for position, hosts in enumerate(groups):
            suffix = "" if position == 0 else f"-{hosts[0]}"
            units.append(IngressUnit(resource + suffix, name + suffix, route.edge.name, hosts, not units))
    monitored = app.monitor_route
    gateway = monitored is not None and is_gateway(flavor_of(flavors, monitored.edge.name))
    if needs_health_route(app) if gateway else needs_probe_access(app):
        assert monitored is not None
        units.append(IngressUnit(f"{app.name}-health", f"{app.name}-health", monitored.edge.name, (monitored.host,),
                                 first=False, health=True))
    return units


def host_shares(apps: Sequence[ResolvedApp], flavors: Flavors) -> dict[str, HostShare]:
    """Every host of these apps with the Ingresses on it: one set of DNS records per host, whatever the
    number of apps. (During a move, the members are the Ingresses on the edge's current controller.)"""
    shared = shared_hosts(apps)
    grouped: dict[str, tuple[str, str, list[HostMember]]] = {}
    for app in apps:
        zones = {route.edge.name: route.zone_domain for route in app.routes}
        for unit in ingress_units(app, flavors, shared):
            for host in unit.hosts:
                entry = grouped.setdefault(host, (unit.edge, zones[unit.edge], []))
                entry[2].append(HostMember(app.name, app.namespace, unit.name))
    return {host: HostShare(host, edge, zone, tuple(members)) for host, (edge, zone, members) in grouped.items()}
