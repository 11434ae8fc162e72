"""An app of one stack with every default filled (`ResolvedApp`): what components consume.

`App` is what the user wrote; `resolve_app` makes its hosts FQDNs on each of its edges and fills the
defaults of its monitor and bookmark.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from components.inputs.catalog.models import App
from components.inputs.settings import Edge, Settings
from components.inputs.yamllines import LineDict, line_of


@dataclass(frozen=True)
class AppRoute:
    """How an app is reached through one edge: the edge, its zone, and the app's hosts there."""

    edge: Edge
    """The edge (ingress controller and load balancer)."""
    zone_domain: str
    """Domain of the hosted zone the hosts live in (the edge's visibility's zone)."""
    hosts: tuple[str, ...]
    """Fully qualified hosts: the app's `host` first, then its `aliases`."""

    @property
    def host(self) -> str:
        return self.hosts[0]


@dataclass(frozen=True)
class ResolvedApp:
    """An app of one stack with every default filled: what the components consume."""

    app: App
    """The entry as written."""
    namespace: str
    """Kubernetes namespace."""
    routes: tuple[AppRoute, ...]
    """One per edge, in the order of `edges` (`visibility` is one edge)."""
    monitored: bool
    """Whether an UptimeRobot monitor is created."""
    monitor_skipped: str | None
    """Why the app has no monitor (None when it has one): a person can act on it."""
    monitor_interval: int
    """Seconds between monitor checks."""
    monitor_alert_contact_ids: tuple[int, ...]
    """UptimeRobot alert contacts of the app's monitor."""
    dashboard_name: str
    """Title on the dashboard."""
    dashboard_group: str
    """Group on the dashboard."""
    source: tuple[str, int | None] = ("", None)
    """The catalogue file and the line the entry starts on, for problems found after loading."""
    team: str | None = None
    """The team whose file holds the entry (a catalogue directory: the file's stem); None in a single file."""
    owns_hosts: tuple[str, ...] = ()
    """Hosts of the app that its team owns (`ownsHosts` in its file): where apps of other teams share them, this
    app's team's stack declares them (`components.inputs.teams.host_ownership`)."""
    node: Any = dataclass_field(default=None, compare=False, repr=False)
    """The entry as read (with the line of every field), for problems found after loading."""

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of a field of the entry (`["auth", "basic", "users", 1]`), else the entry's first line."""
        return line_of(self.node, loc, self.source[1])

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def edges(self) -> tuple[str, ...]:
        return tuple(route.edge.name for route in self.routes)

    @property
    def visibility(self) -> str:
        """The visibility of the app's first edge."""
        return self.routes[0].edge.visibility

    @property
    def host(self) -> str:
        """The app's main host: its `host` on its first edge."""
        return self.routes[0].host

    @property
    def zone_domain(self) -> str:
        return self.routes[0].zone_domain

    @property
    def url(self) -> str:
        """Main entry point: the first path on the main host, always HTTPS."""
        return f"https://{self.host}{self.app.paths[0]}"

    @functools.cached_property
    def monitor_route(self) -> AppRoute | None:
        """The route the uptime monitor checks: the first edge open to everyone. (Worked out once: the routing
        decisions ask it of every app several times; the app never changes, and the answer is kept outside its
        fields, so equality and `dataclasses.replace` are unchanged.)"""
        return next((route for route in self.routes if route.edge.open_to_everyone), None)

    @property
    def health_url(self) -> str:
        """What the uptime monitor requests."""
        route = self.monitor_route or self.routes[0]
        return f"https://{route.host}{self.app.health_path}"


def in_stack(app: App, stack: str) -> bool:
    """Whether the app exists in `stack` (its `stacks`, default every stack)."""
    return app.stacks is None or stack in app.stacks


def app_edges(app: App) -> list[str]:
    """The edges an app asks for: its `edges`, or its `visibility` as the one built-in edge of that name."""
    if app.edges is not None:
        return list(app.edges)
    return [app.visibility] if app.visibility is not None else []


def resolve_name(name: str, zone: str) -> str:
    """A host as written, made an FQDN: a label goes under `zone`; an FQDN is taken as is."""
    name = name.rstrip(".").lower()
    return name if "." in name else f"{name}.{zone}"


def resolve_host(app: App, settings: Settings, stack: str, zone: str | None = None) -> str:
    """The app's main host in `zone` (default: the zone of its first edge)."""
    if zone is None:
        zone = settings.domain_for(settings.all_edges()[app_edges(app)[0]].visibility)
    host = app.host if app.host is not None else settings.host_template.format(name=app.name, stack=stack)
    return resolve_name(host, zone)


def unreachable_reason(edges: Sequence[Edge]) -> str | None:
    """Why UptimeRobot, which probes from the internet, cannot reach an app on these edges."""
    if any(edge.open_to_everyone for edge in edges):
        return None
    if all(edge.visibility == "private" for edge in edges):
        return "private: UptimeRobot probes from the internet and cannot reach it"
    restricted = ", ".join(f"'{edge.name}'" for edge in edges if edge.visibility == "public")
    return f"its public edge {restricted} admits only its allowedCidrs, so UptimeRobot cannot reach it"


def monitor_skip_reason(app: App, edges: Sequence[Edge], settings: Settings) -> str | None:
    """Why an app gets no uptime monitor, in words a person can act on; None when it gets one."""
    if not settings.monitors_enabled:
        return "monitors are off for this stack (gangplank:monitorsEnabled)"
    if app.monitor.enabled is False:
        return "disabled in apps.yaml (monitor.enabled: false)"
    return unreachable_reason(edges)


def resolve_app(app: App, settings: Settings, stack: str, source: tuple[str, int | None] = ("", None),
                node: Any = None, team: str | None = None) -> ResolvedApp:
    stack_edges = settings.all_edges()
    edges = [stack_edges[name] for name in dict.fromkeys(app_edges(app))]
    namespace = app.namespace or app.name
    routes = []
    for edge in edges:
        zone = settings.domain_for(edge.visibility)
        hosts = [resolve_host(app, settings, stack, zone), *(resolve_name(alias, zone) for alias in app.aliases)]
        routes.append(AppRoute(edge=edge, zone_domain=zone, hosts=tuple(hosts)))
    skipped = monitor_skip_reason(app, edges, settings)
    return ResolvedApp(
        app=app,
        namespace=namespace,
        routes=tuple(routes),
        monitored=skipped is None,
        monitor_skipped=skipped,
        monitor_interval=app.monitor.interval or settings.monitor_interval,
        monitor_alert_contact_ids=tuple(app.monitor.alert_contact_ids
                                        if app.monitor.alert_contact_ids is not None
                                        else settings.monitor_alert_contact_ids),
        dashboard_name=app.dashboard.name or app.name,
        dashboard_group=app.dashboard.group or namespace,
        source=source,
        team=team,
        node=node if isinstance(node, LineDict) else None,
    )
