"""Exposing a list of apps: their hosts first, then each app, wired to the edges that serve them.

Both the program (the catalogue's apps) and the dashboard (Forecastle, exposed like any app) go
through `expose_apps`, so every app gets the same Ingresses, records and monitor rules. With
`gangplank:dnsRecords: wildcard`, `declare_zone_wildcards` first gives each zone its `*.<zone>`
alias and hands back edges that know it, so that hosts it answers for get no records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.apps.exposed_app import ExposedApp, ExposedAppArgs
from components.apps.host import (
    LEGACY_PARENT_TYPE,
    Host,
    HostArgs,
    ZoneWildcard,
    ZoneWildcardArgs,
    served_by_wildcard,
    wildcard_edges,
    wildcard_name,
)
from components.apps.routing import HostShare, host_shares, ingress_units, shared_hosts
from components.flavors.traffic import Flavor
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.settings import Settings
from components.platform.platform import EdgeTarget, serving


@dataclass(frozen=True)
class Exposure:
    """What `expose_apps` declared."""

    apps: dict[str, ExposedApp]
    """App name -> its component."""
    hosts: dict[str, Host]
    """Host -> its component."""


def legacy_host(share: HostShare, apps: Mapping[str, ResolvedApp]) -> bool:
    """Whether this host's records existed before hosts were components: the main host of its first app."""
    return apps[share.owner.app].host == share.host


def host_team(share: HostShare, apps: Mapping[str, ResolvedApp]) -> str | None:
    """The team whose stack declares a host (its records, its master Ingress): the team of its owning member's app
    (`HostShare.owner`: the first app on the host of the team that owns it, `ownsHosts`, else of its only team),
    whose namespace holds its master and whose Ingress its ownership marker names. So a host shared by the apps of
    two teams has one owner, the split stacks declare exactly what one stack of the environment would, and no
    file's name decides it."""
    return apps[share.owner.app].team


def needs_host(share: HostShare, target: EdgeTarget) -> tuple[bool, bool]:
    """(own records, master Ingress): what a host declares; a host with neither needs no component.

    A master is needed when any controller that serves the host joins a shared host's Ingresses through one
    (during a move, the edge's two controllers may differ)."""
    own_records = not served_by_wildcard(share.host, share.zone_domain, target.zone_wildcard)
    master = any(share.needs_master(controller.flavor) for controller in serving(target))
    return own_records, master


def edge_flavors(targets: Mapping[str, EdgeTarget], moving: bool = False) -> dict[str, Flavor]:
    """Edge -> the flavor of its controller; `moving`: of the controller it moves to, where it is moving."""
    return {edge: (target.moving_to.flavor if moving and target.moving_to is not None else target.flavor)
            for edge, target in targets.items()}


def declare_zone_wildcards(settings: Settings, targets: Mapping[str, EdgeTarget], stack: str) -> dict[str, EdgeTarget]:
    """In wildcard mode, one `*.<zone>` alias per zone to its own edge; the edges, knowing their zone's wildcard.

    In `perHost` mode nothing is declared and the edges come back as they are.
    """
    wired = dict(targets)
    for visibility, edge in wildcard_edges(settings.dns_records).items():
        zone = settings.domain_for(visibility)
        wildcard = ZoneWildcard(wildcard_name(zone), ZoneWildcardArgs(zone_domain=zone, target=targets[edge],
                                                                      stack=stack))
        wired[edge] = dataclasses.replace(targets[edge], wildcard_records=tuple(wildcard.records), zone_wildcard=True)
    return wired


def expose_apps(
    apps: Sequence[ResolvedApp],
    targets: Mapping[str, EdgeTarget],
    stack: str,
    dashboard_instance: str,
    parent: pulumi.Resource | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
    teams: Collection[str] | None = None,
) -> Exposure:
    """Declare a Host per host and an ExposedApp per app (children of `parent`, if given).

    `teams`: an app stack's teams. `apps` are then every app of the environment (hosts shared across teams are
    joined as in one stack), and only these teams' apps are declared, with the hosts they own (`host_team`).
    """
    if not apps:
        return Exposure({}, {})
    flavors = edge_flavors(targets)
    shares = host_shares(apps, flavors)
    by_name = {app.name: app for app in apps}
    visibility = {route.edge.name: route.edge.visibility for app in apps for route in app.routes}
    shared = shared_hosts(apps)
    exposed = {
        app.name: ExposedApp(app.name, ExposedAppArgs(
            app=app,
            targets=targets,
            units=ingress_units(app, flavors, shared),
            next_units=[unit for unit in ingress_units(app, edge_flavors(targets, moving=True), shared)
                        if targets[unit.edge].moving_to is not None],
            shares=shares,
            hosts=None,  # declared below, after the apps: `watch` adds the monitors then
            stack=stack,
            dashboard_instance=dashboard_instance,
        ), pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
        for app in apps if teams is None or app.team in teams
    }
    hosts = {}
    # On a moving edge, the records point at the weighted records only once the new controller serves the host.
    ready: dict[str, list[pulumi.Resource]] = {}
    for app in exposed.values():
        for host, ingresses in app.next_ingresses.items():
            ready.setdefault(host, []).extend(ingresses)
    for host, share in shares.items():
        own_records, master = needs_host(share, targets[share.edge])
        if not (own_records or master):
            continue  # the zone's wildcard answers for it, and no master Ingress joins its apps
        if teams is not None and host_team(share, by_name) not in teams:
            continue  # another team's stack declares it
        legacy = pulumi.create_urn(share.owner.app, LEGACY_PARENT_TYPE, parent=parent) \
            if legacy_host(share, by_name) else None
        hosts[host] = Host(host, HostArgs(share=share, target=targets[share.edge], visibility=visibility[share.edge],
                                          stack=stack, own_records=own_records, legacy_parent=legacy,
                                          ready=tuple(ready.get(host, ()))),
                           pulumi.ResourceOptions(parent=parent))
    for app in exposed.values():
        app.watch(hosts)
    return Exposure(exposed, hosts)
