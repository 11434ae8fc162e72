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

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from components.flavors.app_intent import AppIntent
from components.flavors.traffic import ChartRef, ControllerSpec, HtpasswdFormat, PodPorts, Retirement

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
class HeaderMatch:
    """A request header a rule matches (with each of its paths)."""

    name: str
    """The header's name (case-insensitive)."""
    value: str
    """The value, or a regular expression for `RegularExpression` (RE2 in Envoy, matching the whole value)."""
    type: Literal["Exact", "RegularExpression"] = "Exact"
    """`Exact` (Core) or `RegularExpression` (Implementation-specific)."""

    def manifest(self) -> dict[str, str]:
        return {"type": self.type, "name": self.name, "value": self.value}


@dataclass(frozen=True)
class BackendRef:
    """What a rule sends to (a Service port, or an implementation's backend object); several share by weight."""

    name: str
    """The object, in the route's namespace."""
    port: int | None
    """The Service port; None for a kind that carries its own (Envoy Gateway's `Backend`)."""
    weight: int | None = None
    """Relative share of the rule's requests (Gateway API's default: 1); None leaves it out."""
    group: str = ""
    """The object's API group: `""` (core) for a Service."""
    kind: str = "Service"

    def manifest(self) -> dict[str, Any]:
        ref: dict[str, Any] = {} if (self.group, self.kind) == ("", "Service") else {"group": self.group,
                                                                                    "kind": self.kind}
        ref["name"] = self.name
        if self.port is not None:
            ref["port"] = self.port
        if self.weight is not None:
            ref["weight"] = self.weight
        return ref


@dataclass(frozen=True)
class RouteBackend:
    """Where an app's rules send requests, and the objects that say how to connect (TLS towards an HTTPS backend)."""

    ref: BackendRef
    """The rules' backend reference."""
    objects: tuple[dict[str, Any], ...] = ()
    """Manifests in the app's namespace, one per app whatever the number of its routes."""


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
    headers: tuple[HeaderMatch, ...] = ()
    """Headers every match also requires (all of them): a rule with more header matches wins over one with
    fewer for the same path (Gateway API precedence, apis/v1/httproute_types.go `Matches`)."""

    def manifest(self) -> dict[str, Any]:
        rule: dict[str, Any] = {}
        if self.name is not None:
            rule["name"] = self.name
        headers = {"headers": [header.manifest() for header in self.headers]} if self.headers else {}
        rule["matches"] = [{"path": {"type": match.type, "value": match.value}, **headers} for match in self.matches]
        if self.filters:
            rule["filters"] = [dict(f) for f in self.filters]
        rule["backendRefs"] = [backend.manifest() for backend in self.backends]
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


def one_gateway_policy(class_name: str, gateway: GatewayRef, edge: str) -> list[dict[str, Any]]:
    """A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes 1.30+) and its binding: the API server
    refuses a Gateway of the edge's GatewayClass other than the edge's own (`gateway`), when it is created or its
    class changed to this one. Why an implementation needs it: its `admission_policies`.

    It reads the namespace from `request.namespace` (a namespaced create always has one) and the class from
    `spec.gatewayClassName` (required by the Gateway CRD)."""
    name = f"{class_name}-one-gateway"
    labels = {**MANAGED_BY, "gangplank/edge": edge}
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [GROUP], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
                "resources": ["gateways"]}]},
            "matchConditions": [{"name": "edge-class",
                                 "expression": f"object.spec.gatewayClassName == '{class_name}'"}],
            "validations": [
                {"expression": f"request.namespace == '{gateway.namespace}' && object.metadata.name == "
                               f"'{gateway.name}'",
                 "message": f"GatewayClass {class_name} serves the edge's own Gateway {gateway.namespace}/"
                            f"{gateway.name} alone: another Gateway of it would take over the edge's proxies and "
                            "load balancer; attach an HTTPRoute to that Gateway instead (gangplank)",
                 "reason": "Forbidden"},
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return [policy, binding]


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


WAIT_FOR = "pulumi.com/waitFor"
"""The annotation with which pulumi-kubernetes (v4.18+, pinned 4.34.2 in requirements.txt) waits, after creating or
updating any object, until its expressions hold (provider/pkg/metadata/overrides.go `ReadyCondition`: a string or a
JSON array of strings, each `jsonpath={...}=value` or `condition=Type`; provider/pkg/jsonpath/jsonpath.go `Parse`
takes kubectl's strict JSONPath syntax, and `Matches` compares the *first* value the path selects)."""


def accepted_wait(parents: Sequence[GatewayRef]) -> dict[str, str]:
    """`pulumi.com/waitFor` for an app's HTTPRoute: it counts as created (and what depends on it, the hosts' records
    during a move, may go ahead) only once each parent Gateway's controller has written `Accepted: True` for it in
    `status.parents` (Gateway API RouteParentStatus: one entry per parentRef, which it echoes; apis/v1/
    shared_types.go RouteConditionAccepted). Before that the route is only stored by the API server, and a route
    the controller refuses (a listener that does not allow it, a hostname it cannot serve) keeps `pulumi up` at it
    instead of letting the hosts point at a load balancer that answers 404.

    Each parent is selected by its name, namespace and listener, so the condition of another controller's parent
    entry never counts. What it cannot wait for: Envoy receiving the route's configuration, which Envoy Gateway
    publishes beside, not before, the status (internal/gatewayapi/runner/runner.go: `XdsIR.Store`, then the status
    stores, v1.9.0); hence a move onto a Gateway API flavor starts at weight 0 (planner/edge_moves.py). On an update
    the condition may still be the old generation's (the JSONPath condition checks only a top-level
    `status.observedGeneration`, which routes do not have: provider/pkg/await/condition/jsonpath.go `Satisfied`)."""
    expressions = [
        "jsonpath={.status.parents[?(" + f'@.parentRef.name=="{parent.name}" && @.parentRef.namespace=="'
        f'{parent.namespace}" && @.parentRef.sectionName=="{parent.listener}"' + ')].conditions[?(@.type=="Accepted")]'
        ".status}=True" for parent in parents]
    return {WAIT_FOR: expressions[0] if len(expressions) == 1 else json.dumps(expressions)}


def http_route_manifest(name: str, namespace: str, parents: Sequence[GatewayRef], hostnames: Sequence[str],
                        rules: Sequence[RouteRule], labels: dict[str, str]) -> dict[str, Any]:
    """An app's HTTPRoute on its edge's Gateway: its hosts, its rules; created once its Gateway accepted it
    (`accepted_wait`)."""
    return {"apiVersion": API_VERSION, "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                         "annotations": accepted_wait(parents)},
            "spec": {"parentRefs": [parent_ref(parent) for parent in parents],
                     "hostnames": list(hostnames),
                     "rules": [rule.manifest() for rule in rules]}}


ROUTE_BOUNDS: dict[str, int] = {
    "spec.parentRefs": 32, "spec.hostnames": 16, "spec.rules": 16, "spec.rules[].matches": 64,
    "spec.rules[].matches[].headers": 16, "spec.rules[].filters": 16, "spec.rules[].backendRefs": 16,
    "spec.rules[].filters[].requestHeaderModifier.set": 16, "spec.rules[].filters[].responseHeaderModifier.set": 16,
}
"""The most items an HTTPRoute's lists may hold: `maxItems` of gateway.networking.k8s.io_httproutes.yaml (v1.6.1,
standard channel), for the lists gangplank's routes fill; tests check each against the CRD."""
ROUTE_MATCHES_MAX = 128
"""The CEL rule on `spec.rules` of the same CRD: "the total number of matches across all rules in a route must be
less than 128" (the rule itself: `<= 128`)."""
PATH_VALUE_MAX, HEADER_VALUE_MAX = 1024, 4096
"""`maxLength` of a match's path value and of a header match's value in the same CRD."""


def route_bound_problems(route: dict[str, Any]) -> list[tuple[str, str]]:
    """Where an HTTPRoute manifest passes the CRD's bounds (`ROUTE_BOUNDS`, `ROUTE_MATCHES_MAX`, `PATH_VALUE_MAX`,
    `HEADER_VALUE_MAX`): (the list's path in the manifest, e.g. `spec.hostnames`, and what is too many or too long),
    [] for none. The API server would refuse such a route, part-way through `pulumi up`."""
    spec = route.get("spec") or {}
    found: list[tuple[str, str]] = []

    def bound(path: str, items: Sequence[Any]) -> None:
        if len(items) > ROUTE_BOUNDS[path]:
            found.append((path, f"{len(items)} items in {path}, where Gateway API allows {ROUTE_BOUNDS[path]}"))

    bound("spec.parentRefs", spec.get("parentRefs") or [])
    bound("spec.hostnames", spec.get("hostnames") or [])
    rules = spec.get("rules") or []
    bound("spec.rules", rules)
    for rule in rules:
        bound("spec.rules[].matches", rule.get("matches") or [])
        bound("spec.rules[].filters", rule.get("filters") or [])
        bound("spec.rules[].backendRefs", rule.get("backendRefs") or [])
        for match in rule.get("matches") or []:
            bound("spec.rules[].matches[].headers", match.get("headers") or [])
            value = (match.get("path") or {}).get("value", "")
            if len(value) > PATH_VALUE_MAX:
                found.append(("spec.rules[].matches[].path", f"a path of {len(value)} characters, where Gateway API "
                                                             f"allows {PATH_VALUE_MAX}"))
            for header in match.get("headers") or []:
                if len(header.get("value", "")) > HEADER_VALUE_MAX:
                    found.append(("spec.rules[].matches[].headers", f"a header match of {len(header['value'])} "
                                                                    f"characters, where Gateway API allows "
                                                                    f"{HEADER_VALUE_MAX}"))
        for modifier in ("requestHeaderModifier", "responseHeaderModifier"):
            for rule_filter in rule.get("filters") or []:
                bound(f"spec.rules[].filters[].{modifier}.set", (rule_filter.get(modifier) or {}).get("set") or [])
    matches = sum(len(rule.get("matches") or []) for rule in rules)
    if matches > ROUTE_MATCHES_MAX:
        found.append(("spec.rules[].matches", f"{matches} matches in its {len(rules)} rules, where Gateway API allows "
                                              f"{ROUTE_MATCHES_MAX} a route"))
    return list(dict.fromkeys(found))


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


def forwarded_https_filter(client_address: Sequence[Header] = ()) -> dict[str, Any]:
    """Every app rule tells the app the scheme and port the client used: https on 443, and (`client_address`, the
    flavor's `client_address_headers`) who the client is.

    The proxy sees plain HTTP from the NLB, so left to itself it says `http` (Envoy: x-forwarded-proto is the
    downstream connection's scheme unless xff_num_trusted_hops is set, envoy docs/root/configuration/http/
    http_conn_man/headers.rst, "x-forwarded-proto"), and apps that redirect to https on `http` would loop.
    A route-level `set` is applied when the request is forwarded, after the connection manager's own
    header handling ("Custom request/response headers" in the same page), and replaces a value a client
    forged. Setting the port too keeps frameworks that pair the two from building `https://host:80` links. One
    filter for all of them: a rule may hold one RequestHeaderModifier (the CRD's CEL rule "RequestHeaderModifier filter
    cannot be repeated").
    """
    return request_headers_filter([*FORWARDED_HTTPS, *client_address])


def backend_tls_policy_manifest(name: str, namespace: str, service: str, hostname: str,
                                ca_refs: Sequence[tuple[str, str]], labels: dict[str, str]) -> dict[str, Any]:
    """The proxy connects to `service` with TLS, sends `hostname` as SNI and verifies the backend's certificate for it
    against the CA certificates of `ca_refs` ((kind, name) of core objects in `namespace`: `ConfigMap` is core
    Gateway API, `Secret` an implementation's extension). Gateway API has no TLS without verification: `validation`
    requires `hostname` and a CA (gateway.networking.k8s.io_backendtlspolicies.yaml v1.6.1)."""
    return {"apiVersion": API_VERSION, "kind": "BackendTLSPolicy",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": service}],
                     "validation": {"hostname": hostname,
                                    "caCertificateRefs": [{"group": "", "kind": kind, "name": ref}
                                                          for kind, ref in ca_refs]}}}


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
    retirement: Retirement | None
    """Set when the product is retired upstream: planning a stack on it warns (as for `traffic.Flavor`)."""
    namespace_prefix: str
    """The edge's namespace and release are `<prefix>-<edge>`."""
    client_address_headers: tuple[Header, ...]
    """Headers every app rule sets to the client's address (replacing what a client sent under those names), so that
    apps have one they can trust (`forwarded_https_filter`)."""

    def chart(self, version: str | None) -> ChartRef: ...

    def controller_service_name(self, spec: ControllerSpec) -> str: ...

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]: ...

    def gateway(self, spec: ControllerSpec) -> GatewayRef: ...

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]:
        """Helm values of the edge's controller."""
        ...

    def proxy_config_manifest(self, spec: ControllerSpec) -> dict[str, Any]: ...

    def edge_manifests(self, spec: ControllerSpec) -> list[dict[str, Any]]: ...

    def admission_policies(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """Cluster objects that refuse other teams' objects that would break the edge's apps ([] for none), as for
        `traffic.Flavor`."""
        ...

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]: ...

    def route_backend(self, intent: AppIntent, service: str, port: int, namespace: str, name: str,
                      labels: dict[str, str]) -> RouteBackend:
        """Where the app's rules send to, and how the proxy connects there (`intent.https_backend`,
        `intent.backend_tls`); `name` names the objects it needs, in `namespace`."""
        ...

    def rule_filters(self, intent: AppIntent) -> list[dict[str, Any]]: ...

    def route_policies(self, intent: AppIntent, route: str, namespace: str,
                       labels: dict[str, str]) -> list[dict[str, Any]]: ...

    def htpasswd_line(self, user: str, password: str) -> str: ...
