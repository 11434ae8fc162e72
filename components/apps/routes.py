"""An app on a Gateway API edge: its HTTPRoutes, the policies that protect them, its bookmark.

Pure functions of the resolved app and its edge; `ExposedApp` declares what they return. Per unit of
`routing.ingress_units` on a Gateway API edge:

- an HTTPRoute in the app's namespace, attached to the edge Gateway's apps listener, with the app's
  hosts (its `host`, then its `aliases`: apex hosts included) and one rule for its paths (a health
  route: one rule, its health path exactly). Several apps on one host each bring their own route;
  Gateway API joins them by its precedence rules (an exact path before a prefix, the longest prefix
  first), so path-based sharing needs no host-level object, and the host owns only its DNS records;
- the implementation's policies, named after the route (`GatewayFlavor.route_policies`).

Basic auth: the app's route reads an htpasswd Secret of the app's users only (`<app>-route-basic-auth`);
the health route one with the monitor's own login besides them (`<app>-health-basic-auth`), so that
login opens the health path and nothing else. Apps with an HTTPS backend get a BackendTLSPolicy; the
dashboard lists them through a `ForecastleApp` (Forecastle reads bookmarks from Ingress annotations,
which routes do not have).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from components.apps.routing import IngressUnit
from components.flavors.gateway_api import (
    BackendRef,
    GatewayRef,
    PathMatch,
    RouteObjects,
    RouteRule,
    backend_tls_policy_manifest,
    forwarded_https_filter,
    http_route_manifest,
)
from components.flavors.traffic import INGRESS_EDGE_LABEL, AppIntent
from components.inputs.catalog import ResolvedApp

FORECASTLE_API_VERSION = "forecastle.stakater.com/v1alpha1"
"""The ForecastleApp CRD of the Forecastle chart gangplank installs (deployments/kubernetes/chart/forecastle/crds/
forecastleApp.yaml at v1.0.159): `name`, `group` and `icon` are required; `url` set means no discovery."""


def route_secret_name(app: ResolvedApp, health: bool) -> str:
    """The htpasswd Secret a route of the app reads: the app's users; the health route's adds the monitor's."""
    return f"{app.name}-health-basic-auth" if health else f"{app.name}-route-basic-auth"


def route_intent(intent: AppIntent, app: ResolvedApp, health: bool) -> AppIntent:
    """The intent of one of the app's routes, from the app's (`exposed_app.app_intent`).

    The health route admits UptimeRobot's addresses only where the app has an allow-list at all (an app open to
    everyone stays so there), and reads the Secret that holds the monitor's login.
    """
    allowed = intent.allow_cidrs if app.app.allow_cidrs else []
    secret = route_secret_name(app, health) if app.app.auth is not None else None
    return dataclasses.replace(intent, allow_cidrs=list(allowed), basic_auth_secret=secret)


def backend_tls_ca(service: str) -> str:
    """The ConfigMap (key `ca.crt`) in the app's namespace that holds the CA of an HTTPS backend's certificate."""
    return f"{service}-ca"


def route_objects(app: ResolvedApp, unit: IngressUnit, gateway: GatewayRef, intent: AppIntent, flavor: Any,
                  backend: tuple[str, int], labels: Mapping[str, str]) -> RouteObjects:
    """One HTTPRoute of the app on a Gateway API edge, with the policies that protect it."""
    service, port = backend
    matches = ((PathMatch(app.app.health_path, "Exact"),) if unit.health
               else tuple(PathMatch(path) for path in app.app.paths))
    rule = RouteRule(matches=matches, backends=(BackendRef(service, port),),
                     filters=(forwarded_https_filter(), *flavor.rule_filters(intent)))
    route_labels = {**labels, INGRESS_EDGE_LABEL: unit.edge}
    route = http_route_manifest(unit.name, app.namespace, [gateway], unit.hosts, [rule], route_labels)
    return RouteObjects(route, flavor.route_policies(intent, unit.name, app.namespace, route_labels))


def backend_tls_manifest(app: ResolvedApp, service: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """TLS to an HTTPS backend, verified for the Service's cluster name against its CA ConfigMap."""
    return backend_tls_policy_manifest(app.name, app.namespace, service, f"{service}.{app.namespace}.svc",
                                       backend_tls_ca(service), dict(labels))


def forecastle_app_manifest(app: ResolvedApp, instance: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """The app's bookmark as a ForecastleApp (the dashboard's chart is told to read them: `crdEnabled`)."""
    return {"apiVersion": FORECASTLE_API_VERSION, "kind": "ForecastleApp",
            "metadata": {"name": app.name, "namespace": app.namespace, "labels": dict(labels)},
            "spec": {"name": app.dashboard_name, "group": app.dashboard_group, "icon": app.app.dashboard.icon or "",
                     "instance": instance, "url": app.url}}
