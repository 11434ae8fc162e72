"""Exposing a list of apps: their hosts first, then each app, wired to the edges that serve them.

Both the program (the catalogue's apps) and the dashboard (Forecastle, exposed like any app) go
through `expose_apps`, so every app gets the same Ingresses, records and monitor rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.apps.exposed_app import ExposedApp, ExposedAppArgs
from components.apps.host import LEGACY_PARENT_TYPE, Host, HostArgs
from components.apps.routing import HostShare, host_shares, ingress_units, shared_hosts
from components.inputs.catalog import ResolvedApp
from components.platform.platform import EdgeTarget


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


def expose_apps(
    apps: Sequence[ResolvedApp],
    targets: Mapping[str, EdgeTarget],
    stack: str,
    dashboard_instance: str,
    parent: pulumi.Resource | None = None,
    depends_on: Sequence[pulumi.Resource] = (),
) -> Exposure:
    """Declare a Host per host and an ExposedApp per app (children of `parent`, if given)."""
    if not apps:
        return Exposure({}, {})
    flavor = next(iter(targets.values())).flavor
    shares = host_shares(apps, flavor)
    by_name = {app.name: app for app in apps}
    visibility = {route.edge.name: route.edge.visibility for app in apps for route in app.routes}
    hosts = {}
    for host, share in shares.items():
        legacy = pulumi.create_urn(share.owner.app, LEGACY_PARENT_TYPE, parent=parent) \
            if legacy_host(share, by_name) else None
        hosts[host] = Host(host, HostArgs(share=share, target=targets[share.edge], visibility=visibility[share.edge],
                                          stack=stack, legacy_parent=legacy),
                           pulumi.ResourceOptions(parent=parent))
    shared = shared_hosts(apps)
    exposed = {
        app.name: ExposedApp(app.name, ExposedAppArgs(
            app=app,
            targets=targets,
            units=ingress_units(app, flavor, shared),
            shares=shares,
            hosts=hosts,
            stack=stack,
            dashboard_instance=dashboard_instance,
        ), pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)))
        for app in apps
    }
    return Exposure(exposed, hosts)
