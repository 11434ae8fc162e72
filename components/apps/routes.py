"""An app on a Gateway API edge: its HTTPRoutes, the policies that protect them, its bookmark.

Pure functions of the resolved app and its edge; `ExposedApp` declares what they return. Per unit of
`routing.ingress_units` on a Gateway API edge:

- an HTTPRoute in the app's namespace, attached to the edge Gateway's apps listener, with the app's
  hosts (its `host`, then its `aliases`: apex hosts included) and one rule for its paths (the monitor's
  health route, `<app>-health`: one rule, its health path exactly). Several apps on one host each bring
  their own route; Gateway API joins them by its precedence rules (an exact path before a prefix, the
  longest prefix first), so path-based sharing needs no host-level object, and the host owns only its
  DNS records;
- the implementation's policies, named after the route (`GatewayFlavor.route_policies`), from the same
  intent as an Ingress's annotations (`intent.app_intent`): basic auth reads the Secret
  `basic_auth.htpasswd_secrets` names for the route (the app's users; on the health route, the monitor's
  login alone), and the health route's allow-list adds UptimeRobot's addresses.

Per app, once: how the proxy connects to an HTTPS backend (`GatewayFlavor.route_backend`), and its
bookmark as a `ForecastleApp` (Forecastle reads bookmarks from Ingress annotations, which routes do not
have).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from components.apps.routing import IngressUnit
from components.flavors.app_intent import AppIntent
from components.flavors.gateway_api import (
    BackendRef,
    GatewayFlavor,
    GatewayRef,
    HeaderMatch,
    PathMatch,
    RouteObjects,
    RouteRule,
    forwarded_https_filter,
    http_route_manifest,
)
from components.flavors.shaping import CANARY_ALWAYS, CANARY_NEVER, CanaryIntent, cookie_pattern, full_match_pattern
from components.flavors.traffic import INGRESS_EDGE_LABEL
from components.inputs.catalog.resolved import ResolvedApp

FORECASTLE_API_VERSION = "forecastle.stakater.com/v1alpha1"
"""The ForecastleApp CRD of the Forecastle chart gangplank installs (deployments/kubernetes/chart/forecastle/crds/
forecastleApp.yaml at v1.0.159): `name`, `group` and `icon` are required; `url` set means no discovery."""


def route_objects(app: ResolvedApp, unit: IngressUnit, gateway: GatewayRef, intent: AppIntent, flavor: GatewayFlavor,
                  backend: BackendRef, labels: Mapping[str, str],
                  canary_backend: BackendRef | None = None) -> RouteObjects:
    """One HTTPRoute of the app on a Gateway API edge, with the policies that protect it (`canary_backend`: where
    the app's canary is reached, for the rules of `intent.canary`; the health route has none)."""
    matches = ((PathMatch(app.app.health_path, "Exact"),) if unit.health
               else tuple(PathMatch(path) for path in app.app.paths))
    filters = (forwarded_https_filter(flavor.client_address_headers), *flavor.rule_filters(intent))
    rules = (canary_rules(matches, backend, canary_backend, intent.canary, filters)
             if intent.canary is not None and canary_backend is not None
             else [RouteRule(matches=matches, backends=(backend,), filters=filters)])
    route_labels = {**labels, INGRESS_EDGE_LABEL: unit.edge}
    route = http_route_manifest(unit.name, app.namespace, [gateway], unit.hosts, rules, route_labels)
    return RouteObjects(route, flavor.route_policies(intent, unit.name, app.namespace, route_labels))


def canary_rules(matches: tuple[PathMatch, ...], main: BackendRef, target: BackendRef, canary: CanaryIntent,
                 filters: tuple[dict[str, Any], ...]) -> list[RouteRule]:
    """The app's rules with a canary, in the order of ingress-nginx's choice (components/flavors/shaping.py): the
    header, then the cookie, then the weight.

    Gateway API picks, for one path, the rule with the most header matches, and between rules of one route that
    tie, the first (apis/v1/httproute_types.go `Matches`, precedence). So: the header rule (canary), the cookie
    rules (`always`: canary, `never`: the app), each one header match, in that order; then the weighted rule
    without header matches, whose backends Envoy picks by weight. A request whose header does not match falls to
    the cookie rules, one with neither to the weight.
    """
    rules = []
    if canary.header is not None:
        header = (HeaderMatch(canary.header, canary.header_value) if canary.header_value is not None
                  else HeaderMatch(canary.header, full_match_pattern(canary.header_pattern or ""), "RegularExpression"))
        rules.append(RouteRule(matches=matches, backends=(target,), filters=filters, headers=(header,)))
    if canary.cookie is not None:
        for value, backend in ((CANARY_ALWAYS, target), (CANARY_NEVER, main)):
            cookie = HeaderMatch("Cookie", cookie_pattern(canary.cookie, value), "RegularExpression")
            rules.append(RouteRule(matches=matches, backends=(backend,), filters=filters, headers=(cookie,)))
    split = (dataclasses.replace(main, weight=100 - canary.weight), dataclasses.replace(target, weight=canary.weight))
    rules.append(RouteRule(matches=matches, backends=split, filters=filters))
    return rules


def forecastle_app_manifest(app: ResolvedApp, instance: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """The app's bookmark as a ForecastleApp (the dashboard's chart is told to read them: `crdEnabled`)."""
    return {"apiVersion": FORECASTLE_API_VERSION, "kind": "ForecastleApp",
            "metadata": {"name": app.name, "namespace": app.namespace, "labels": dict(labels)},
            "spec": {"name": app.dashboard_name, "group": app.dashboard_group, "icon": app.app.dashboard.icon or "",
                     "instance": instance, "url": app.url}}
