"""Routing decisions: which Ingress of which app carries which host, and who shares a host.

Pure functions of the resolved catalogue. An app gets one Ingress per edge, whose rules list
every host of the app on that edge (its `host`, then its `aliases`). Flavors that join a shared
host's Ingresses through a master (F5: a minion may carry one host only) split a route into one
Ingress per host wherever one of its hosts is shared. A monitored app with an allow-list or basic
auth gets one more Ingress on its monitor's host: its health path alone, exactly matched, open to
UptimeRobot's probe addresses as well and, behind basic auth, to the monitor's own login alone
(`needs_health_route`), so that the monitor can pass without opening the app to the probes, and the
monitor's credential, which UptimeRobot stores and returns on reads, opens nothing but that path.

On a Gateway API flavor a unit is an HTTPRoute (`<app>-route`), one per edge: Gateway API joins a
host's routes itself; the monitor's health route is one more HTTPRoute, by the same rule.

Each edge runs its own flavor (`Flavors`); while an edge moves to another one, its units are made once per
controller, each by that controller's flavor (`placed_units`): the same rule, the health route included, on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from components.flavors import AnyFlavor, get_flavor, is_gateway
from components.inputs.catalog.resolved import ResolvedApp
from components.platform.controllers import ControllerPlan


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
    owner_index: int = 0
    """Which member owns the host: the first Ingress of the app whose team owns it (`ResolvedApp.owns_hosts`, a
    team file's `ownsHosts`), else the first."""

    @property
    def owner(self) -> HostMember:
        """The owning member (the first, unless a team owns the host): its namespace holds a master Ingress; the
        ownership marker names it; its app's team's stack declares the host."""
        return self.members[self.owner_index]

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


def canary_takes_a_share(app: ResolvedApp) -> bool:
    """Whether requests without the canary's header or cookie (the monitor's) may reach the canary: its weight. The
    monitor then gets a route of its own to the app's backend alone, so that it keeps watching the app."""
    return app.app.canary is not None and app.app.canary.weight > 0


def needs_health_route(app: ResolvedApp) -> bool:
    """Whether the monitor gets a route of its own to the app's health path: to let UptimeRobot's probes
    through an allow-list there, to accept the monitor's own login there and nowhere else, to skip an external
    auth service (the monitor cannot sign in there), or to keep watching the app and not its weighted canary."""
    return app.monitored and (bool(app.app.allow_cidrs) or app.app.auth is not None or canary_takes_a_share(app))


def shared_hosts(apps: Iterable[ResolvedApp]) -> frozenset[str]:
    """Hosts that carry more than one Ingress: several apps (path-based routing), or an app and its
    health-path Ingress."""
    group = tuple(apps)
    return _RECENT.answer(("shared", _identities(group)), group, lambda: _shared_hosts(group))


def _shared_hosts(apps: Sequence[ResolvedApp]) -> frozenset[str]:
    count: dict[str, int] = {}
    for app in apps:
        for host in dict.fromkeys(host for route in app.routes for host in route.hosts):
            count[host] = count.get(host, 0) + 1
        if needs_health_route(app) and app.monitor_route is not None:
            count[app.monitor_route.host] = count.get(app.monitor_route.host, 0) + 1
    return frozenset(host for host, n in count.items() if n > 1)


class _RecentAnswers:
    """The last few answers about a whole catalogue, by the identity of its apps.

    One run asks the same of the same apps several times: the checks (names, flavors, limits) and the declarations
    each need every host's sharing, at 5,000 apps 7 times over (`shared_hosts`) and 3 (`host_shares`, by the same
    flavors). The apps are resolved once per run and never change (frozen dataclasses), and an entry holds them, so
    the identities in its key stay theirs while it lives. The answers are read-only (a frozenset, a mapping proxy)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def answer(self, key: tuple[Any, ...], held: Any, work: Callable[[], Any]) -> Any:
        found = self.entries.get(key)
        if found is not None:
            return found[1]
        result = work()
        if len(self.entries) >= self.size:
            del self.entries[next(iter(self.entries))]  # the oldest
        self.entries[key] = (held, result)
        return result


_RECENT = _RecentAnswers(size=8)


def _identities(values: Iterable[Any]) -> tuple[int, ...]:
    return tuple(map(id, values))


def ingress_units(app: ResolvedApp, flavors: Flavors, shared: frozenset[str]) -> list[IngressUnit]:
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
    if needs_health_route(app):
        assert monitored is not None
        units.append(IngressUnit(f"{app.name}-health", f"{app.name}-health", monitored.edge.name, (monitored.host,),
                                 first=False, health=True))
    return units


def placed_units(app: ResolvedApp, controllers: Mapping[str, Sequence[ControllerPlan]],
                 shared: frozenset[str]) -> list[tuple[IngressUnit, ControllerPlan]]:
    """The app's units on every controller of its edges (`controllers.stack_controllers`): on each edge's current
    controller, and on the one a moving edge moves to, as that one's flavor makes them (a controller's names, the
    units' among them, carry its `suffix`)."""
    current = {edge: get_flavor(plans[0].flavor) for edge, plans in controllers.items()}
    moving = {edge: plans[-1] for edge, plans in controllers.items() if len(plans) > 1}
    upcoming = {**current, **{edge: get_flavor(plan.flavor) for edge, plan in moving.items()}}
    placed = [(unit, controllers[unit.edge][0]) for unit in ingress_units(app, current, shared)]
    placed += [(unit, moving[unit.edge]) for unit in ingress_units(app, upcoming, shared) if unit.edge in moving]
    return placed


def host_shares(apps: Sequence[ResolvedApp], flavors: Flavors) -> Mapping[str, HostShare]:
    """Every host of these apps with the Ingresses on it: one set of DNS records per host, whatever the
    number of apps. (During a move, the members are the Ingresses on the edge's current controller.)"""
    group = tuple(apps)
    by_edge = sorted(flavors.items()) if isinstance(flavors, Mapping) else [("", flavors)]
    key = ("shares", _identities(group), tuple((edge, id(flavor)) for edge, flavor in by_edge))
    return _RECENT.answer(key, (group, by_edge), lambda: MappingProxyType(_host_shares(group, flavors)))


def _host_shares(apps: Sequence[ResolvedApp], flavors: Flavors) -> dict[str, HostShare]:
    shared = shared_hosts(apps)
    grouped: dict[str, tuple[str, str, list[HostMember]]] = {}
    owners: dict[str, int] = {}  # host -> the index of its owning member, where a team owns it
    for app in apps:
        zones = {route.edge.name: route.zone_domain for route in app.routes}
        for unit in ingress_units(app, flavors, shared):
            for host in unit.hosts:
                entry = grouped.setdefault(host, (unit.edge, zones[unit.edge], []))
                if host in app.owns_hosts:
                    owners.setdefault(host, len(entry[2]))
                entry[2].append(HostMember(app.name, app.namespace, unit.name))
    return {host: HostShare(host, edge, zone, tuple(members), owners.get(host, 0))
            for host, (edge, zone, members) in grouped.items()}
