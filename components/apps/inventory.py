"""The app's entry in the stack's `apps` output: what an app owner wants to know at a glance (pure functions of the
resolved app)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from components.apps.host import served_by_wildcard, wildcard_name
from components.apps.intent import https_backend
from components.apps.shaping import canary_summary, stickiness, traffic_split
from components.inputs.catalog.resolved import ResolvedApp
from components.platform.platform import EdgeTarget


def protections(app: ResolvedApp) -> list[str]:
    """What stands between a client and the app, in a few words each (for people reading a plan)."""
    found = []
    if app.app.basic_auth is not None:
        users = len(app.app.basic_auth.users)
        found.append(f"basic auth ({users} user{'s' if users != 1 else ''})")
    if app.app.external_auth is not None:
        found.append(f"external auth ({urlsplit(app.app.external_auth.url).hostname})")
    if app.app.allow_cidrs:
        cidrs = len(app.app.allow_cidrs)
        found.append(f"allow-list ({cidrs} CIDR{'s' if cidrs != 1 else ''})")
    if app.app.rate_limit is not None:
        limit = app.app.rate_limit
        found.append(f"rate limit ({limit.rps} rps" + (f", {limit.connections} connections" if limit.connections
                                                       else "") + ")")
    return found


def backend_description(app: ResolvedApp) -> str:
    """`service shop-web:80` or `image ghcr.io/acme/docs:1, 2 replicas`, and `(HTTPS)` when the backend speaks it."""
    tls = " (HTTPS)" if https_backend(app) else ""
    if app.app.service is not None:
        return f"service {app.app.service.name}:{app.app.service.port}{tls}"
    assert app.app.deploy is not None
    replicas = app.app.deploy.replicas
    return f"image {app.app.deploy.image}, {replicas} replica{'s' if replicas != 1 else ''}{tls}"


def dns_record(app: ResolvedApp, targets: Mapping[str, EdgeTarget]) -> str:
    """The record a client resolves the app's main host through: its own, or its zone's wildcard."""
    if served_by_wildcard(app.host, app.zone_domain, targets[app.edges[0]].zone_wildcard):
        return wildcard_name(app.zone_domain)
    return app.host


def inventory(app: ResolvedApp, targets: Mapping[str, EdgeTarget], monitor_id: Any) -> dict[str, Any]:
    """The app's entry in the stack's `apps` output: what an app owner wants to know at a glance."""
    team = {"team": app.team} if app.team is not None else {}  # a catalogue of team files only
    return {
        **team,
        "visibility": app.visibility,
        "edges": list(app.edges),
        "url": app.url,
        "host": app.host,
        "hosts": [host for route in app.routes for host in route.hosts],
        "paths": list(app.app.paths),
        "namespace": app.namespace,
        "backend": "; ".join(part for part in (backend_description(app), traffic_split(app), stickiness(app))
                             if part),
        "ingressClass": targets[app.edges[0]].ingress_class,
        "dnsRecord": dns_record(app, targets),
        "zone": app.zone_domain,
        "protections": protections(app),
        # Who may reach it, besides what its edges admit: what a plan diff compares to tell an opened app.
        "allowCidrs": list(app.app.allow_cidrs),
        "monitored": app.monitored,
        "monitorId": monitor_id,
        "monitor": {"type": app.app.monitor.type, "interval": app.monitor_interval, "url": app.health_url}
        if app.monitored else None,
        "monitorSkipped": app.monitor_skipped,
        "dashboardName": app.dashboard_name,
        "dashboardGroup": app.dashboard_group,
        "basicAuthUsers": list(app.app.basic_auth.users) if app.app.basic_auth else [],
        **({"canary": canary_summary(app)} if app.app.canary is not None else {}),
    }
