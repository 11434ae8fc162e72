"""Gateway API objects, whatever the implementation: the platform's Gateway per edge, an app's HTTPRoute.

The role model is gangplank's own: the platform owns one Gateway per edge (in the edge's namespace),
each app owns its HTTPRoutes (in the app's namespace) and attaches them to its edges' Gateways. An
implementation flavor (`envoy_gateway`) adds its install, its proxy configuration and the policies
that carry protections; what is standard Gateway API (v1.6, standard channel) is rendered here, as
pure functions of plain data.

The traffic design is the Ingress flavors' (`traffic.py`): TLS ends at the NLB, and the two NLB
listeners reach two different Gateway listeners (the "port split"):

    NLB :80  (TCP) -> listener `redirect` (HTTP, port 80)   one platform HTTPRoute: a 308 to https
    NLB :443 (TLS) -> listener `apps`     (HTTP, port 443)  every app's HTTPRoutes, and nothing else

A request on the `apps` listener came over HTTPS by construction, and the redirect listener serves
no app, so no decision depends on the scheme and nothing can loop. Apps are told so on every rule
(`forwarded_https_filter`): the proxy itself sees plain HTTP from the NLB and would say `http`.

Rules are built from `RouteRule`s: matches, weighted backends and filters, so that canary and A/B
routing (weights, header matches) and an implementation's per-rule policies add to a rule without
changing how routes are assembled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from components.flavors.traffic import AppIntent, ChartRef, ControllerSpec, HtpasswdFormat, PodPorts

GROUP = "gateway.networking.k8s.io"
API_VERSION = f"{GROUP}/v1"
REDIRECT_LISTENER = "redirect"
"""The Gateway listener behind the NLB's plain listener (80): it only redirects to https."""
APPS_LISTENER = "apps"
"""The Gateway listener behind the NLB's TLS listener (443): the one apps attach their routes to."""
REDIRECT_STATUS = 308
"""308 keeps the method and body of a POST (HTTPRoute308RedirectStatusCode, Extended)."""
PathType = Literal["PathPrefix", "Exact"]
MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}


@dataclass(frozen=True)
class GatewayRef:
    """Where an app's route attaches: an edge's Gateway and its apps listener."""

    name: str
    """The Gateway's name."""
    namespace: str
    """The Gateway's namespace (the edge's): routes in other namespaces name it."""
    listener: str = APPS_LISTENER
    """The listener (`sectionName`) routes attach to."""


@dataclass(frozen=True)
class PathMatch:
    """One path a rule matches."""

    value: str
    """The path, starting with `/`."""
    type: PathType = "PathPrefix"
    """`PathPrefix` (element by element) or `Exact`."""


@dataclass(frozen=True)
class BackendRef:
    """A Service port a rule sends to; several share the traffic by weight."""

    name: str
    """The Service, in the route's namespace."""
    port: int
    """The Service port."""
    weight: int | None = None
    """Relative share of the rule's requests (Gateway API's default: 1); None leaves it out."""


@dataclass(frozen=True)
class RouteRule:
    """One HTTPRoute rule: what it matches, what it does to the request, where it sends it."""

    matches: tuple[PathMatch, ...]
    """Paths (any of them); each becomes one match."""
    backends: tuple[BackendRef, ...]
    """Where matching requests go."""
    filters: tuple[dict[str, Any], ...] = ()
    """HTTPRoute filters, applied in order (each filter type at most once per rule)."""
    name: str | None = None
    """A rule name, for policies that attach to one rule (`sectionName`)."""

    def manifest(self) -> dict[str, Any]:
        rule: dict[str, Any] = {}
        if self.name is not None:
            rule["name"] = self.name
        rule["matches"] = [{"path": {"type": match.type, "value": match.value}} for match in self.matches]
        if self.filters:
            rule["filters"] = [dict(f) for f in self.filters]
        rule["backendRefs"] = [{"name": backend.name, "port": backend.port,
                                **({"weight": backend.weight} if backend.weight is not None else {})}
                               for backend in self.backends]
        return rule


@dataclass(frozen=True)
class Listener:
    """A Gateway listener: plain HTTP on a port, for routes of the given namespaces."""

    name: str
    port: int
    from_namespaces: Literal["All", "Same"]
    """Which namespaces' routes may attach (`allowedRoutes.namespaces.from`)."""

    def manifest(self) -> dict[str, Any]:
        return {"name": self.name, "port": self.port, "protocol": "HTTP",
                "allowedRoutes": {"namespaces": {"from": self.from_namespaces},
                                  "kinds": [{"group": GROUP, "kind": "HTTPRoute"}]}}


EDGE_LISTENERS = (Listener(REDIRECT_LISTENER, 80, "Same"), Listener(APPS_LISTENER, 443, "All"))
"""An edge's listeners: the redirect one takes only the platform's route (its own namespace); the apps one takes
routes from every namespace, as an IngressClass takes Ingresses from every namespace."""


@dataclass(frozen=True)
class Header:
    name: str
    value: str


# -- manifests -------------------------------------------------------------------------------


def gateway_class_manifest(name: str, controller_name: str, parameters: dict[str, str] | None) -> dict[str, Any]:
    """The edge's GatewayClass: its own controller name, so each edge's controller takes only its own Gateway."""
    spec: dict[str, Any] = {"controllerName": controller_name,
                            "description": "gangplank edge; managed by gangplank"}
    if parameters is not None:
        spec["parametersRef"] = dict(parameters)
    return {"apiVersion": API_VERSION, "kind": "GatewayClass", "metadata": {"name": name, "labels": dict(MANAGED_BY)},
            "spec": spec}


def gateway_manifest(name: str, namespace: str, class_name: str,
                     listeners: Sequence[Listener] = EDGE_LISTENERS) -> dict[str, Any]:
    """The edge's Gateway (platform-owned). No listener hostname: every host of the edge's zone is served,
    as the zone's wildcard certificate on the NLB covers them all."""
    return {"apiVersion": API_VERSION, "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
            "spec": {"gatewayClassName": class_name, "listeners": [listener.manifest() for listener in listeners]}}


def parent_ref(gateway: GatewayRef) -> dict[str, str]:
    return {"group": GROUP, "kind": "Gateway", "namespace": gateway.namespace, "name": gateway.name,
            "sectionName": gateway.listener}


def redirect_route_manifest(gateway: GatewayRef, name: str = "to-https") -> dict[str, Any]:
    """The platform's route on the redirect listener: every request, any host, answered with a 308 to https.

    The redirect keeps host, path and query; with scheme `https` and no port, the Location uses https's
    well-known port and leaves it out (HTTPRequestRedirectFilter `port`, apis/v1/httproute_types.go).
    """
    return {"apiVersion": API_VERSION, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": gateway.namespace, "labels": dict(MANAGED_BY)},
            "spec": {"parentRefs": [parent_ref(GatewayRef(gateway.name, gateway.namespace, REDIRECT_LISTENER))],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                "filters": [{"type": "RequestRedirect",
                                             "requestRedirect": {"scheme": "https",
                                                                 "statusCode": REDIRECT_STATUS}}]}]}}


def http_route_manifest(name: str, namespace: str, parents: Sequence[GatewayRef], hostnames: Sequence[str],
                        rules: Sequence[RouteRule], labels: dict[str, str]) -> dict[str, Any]:
    """An app's HTTPRoute on its edge's Gateway: its hosts, its rules."""
    return {"apiVersion": API_VERSION, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"parentRefs": [parent_ref(parent) for parent in parents],
                     "hostnames": list(hostnames),
                     "rules": [rule.manifest() for rule in rules]}}


def request_headers_filter(headers: Sequence[Header]) -> dict[str, Any]:
    """`RequestHeaderModifier` (Core) that sets headers, replacing what a client sent under those names."""
    return {"type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": h.name, "value": h.value} for h in headers]}}


def response_headers_filter(headers: Sequence[Header]) -> dict[str, Any]:
    """`ResponseHeaderModifier` (Extended) that sets headers on every response of the rule."""
    return {"type": "ResponseHeaderModifier",
            "responseHeaderModifier": {"set": [{"name": h.name, "value": h.value} for h in headers]}}


FORWARDED_HTTPS = (Header("X-Forwarded-Proto", "https"), Header("X-Forwarded-Port", "443"))
"""What apps are told on the apps listener: the client's connection was HTTPS on 443 (module docstring)."""


def forwarded_https_filter() -> dict[str, Any]:
    """Every app rule tells the app the scheme and port the client used: https on 443.

    The proxy sees plain HTTP from the NLB, so left to itself it says `http` (Envoy: x-forwarded-proto is the
    downstream connection's scheme unless xff_num_trusted_hops is set, envoy docs/root/configuration/http/
    http_conn_man/headers.rst, "x-forwarded-proto"), and apps that redirect to https on `http` would loop.
    A route-level `set` is applied when the request is forwarded, after the connection manager's own
    header handling ("Custom request/response headers" in the same page), and replaces a value a client
    forged. Setting the port too keeps frameworks that pair the two from building `https://host:80` links.
    """
    return request_headers_filter(FORWARDED_HTTPS)


def backend_tls_policy_manifest(name: str, namespace: str, service: str, hostname: str,
                                ca_config_map: str, labels: dict[str, str]) -> dict[str, Any]:
    """The proxy connects to `service` with TLS, verifying its certificate for `hostname` against the CA bundle in
    ConfigMap `ca_config_map` (key `ca.crt`): Gateway API has no TLS without verification (BackendTLSPolicy
    `validation` requires `hostname` and a CA, gateway.networking.k8s.io_backendtlspolicies.yaml v1.6.1)."""
    return {"apiVersion": API_VERSION, "kind": "BackendTLSPolicy",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": service}],
                     "validation": {"hostname": hostname,
                                    "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": ca_config_map}]}}}


def policy_target(kind: str, name: str, section: str | None = None, group: str = GROUP) -> dict[str, str]:
    """A policy's `targetRefs` entry (Gateway API policy attachment)."""
    return {"group": group, "kind": kind, "name": name, **({"sectionName": section} if section else {})}


@dataclass(frozen=True)
class RouteObjects:
    """What an app's route on one Gateway API edge consists of, besides the HTTPRoute itself."""

    route: dict[str, Any]
    """The HTTPRoute."""
    policies: list[dict[str, Any]] = field(default_factory=list)
    """The implementation's policies that carry the route's protections (in the route's namespace)."""


class GatewayFlavor(Protocol):
    """One Gateway API implementation: its install per edge, and the policies that carry an app's protections."""

    name: str
    kind: Literal["gateway"]
    """What the flavor renders per app: Gateway API routes (`traffic.Flavor` renders Ingresses)."""
    default_chart: ChartRef
    shared_host_mode: Literal["mergeable", "native"]
    """Always `native`: Gateway API joins the routes of one host by itself."""
    htpasswd: HtpasswdFormat
    htpasswd_from: Literal["bcrypt_hash", "password"]
    pod_ports: PodPorts
    namespace_prefix: str
    """The edge's namespace and release are `<prefix>-<edge>`."""

    def chart(self, version: str | None) -> ChartRef: ...

    def controller_service_name(self, spec: ControllerSpec) -> str: ...

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]: ...

    def gateway(self, spec: ControllerSpec) -> GatewayRef: ...

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]: ...

    def proxy_config_manifest(self, spec: ControllerSpec) -> dict[str, Any]: ...

    def edge_manifests(self, spec: ControllerSpec) -> list[dict[str, Any]]: ...

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]: ...

    def rule_filters(self, intent: AppIntent) -> list[dict[str, Any]]: ...

    def route_policies(self, intent: AppIntent, route: str, namespace: str,
                       labels: dict[str, str]) -> list[dict[str, Any]]: ...

    def htpasswd_line(self, user: str, password: str) -> str: ...
