"""The Envoy Gateway flavor (`envoy-gateway`, chart `gateway-helm` v1.9.0): Gateway API edges.

Why Envoy Gateway (docs/edges-and-flavors.md has the comparison with NGINX Gateway Fabric 2.6): it
passes Gateway API v1.6.1's HTTP conformance, core and extended (conformance/reports/v1.6/envoy-
gateway/experimental-v1.9.0-default-report.yaml in kubernetes-sigs/gateway-api), and expresses every
protection gangplank offers with its own policies, external auth included: SecurityPolicy `basicAuth`,
`authorization` (client CIDRs) and `extAuth`, BackendTrafficPolicy `rateLimit` (per client address,
`sourceCIDR` type `Distinct`) and `requestBuffer` (largest request body).

Per edge, as the NGINX flavors: one Envoy Gateway controller (its own Helm release, namespace and
controller name, so each edge's controller takes only its own GatewayClass: the chart's documented
multi-tenancy, site/content/en/latest/tasks/operations/deployment-mode.md "Multi-tenancy"), its
GatewayClass and Gateway, an EnvoyProxy that makes the data plane's Service the NLB (annotations for
the AWS Load Balancer Controller, `traffic.nlb_service_annotations`), a ClientTrafficPolicy that reads
the client address from the NLB's proxy protocol, the platform's redirect route, and the NetworkPolicy.

Whose PROXY header counts. Envoy's proxy-protocol listener filter has no list of trusted peers (EG
`patchProxyProtocolFilter`, internal/xds/translator/listener.go; Envoy's ProxyProtocol config has no
source ranges): every connection to the traffic ports must start with one, and its address is the
client's. So the edge's NetworkPolicy is what limits who may send one: only the NLB's subnets reach
the traffic ports (`traffic.network_policy_manifest`). Where no network-policy engine enforces it,
a pod that reaches an Envoy pod directly can choose the client address that allow-lists and rate
limits see; the NGINX flavors also keep nginx's own `set_real_ip_from` list there.

Drain. A leaving proxy pod keeps accepting connections for the NLB's deregistration delay, as the NGINX
flavors' pods do (`traffic.drain`): Envoy Gateway gives every proxy pod a shutdown-manager sidecar whose
preStop hook (`envoy-gateway envoy shutdown`) fails Envoy's health checks, which makes Envoy close each
connection after its current request but keeps its listeners open (Envoy source/server/drain_manager_impl.cc
`drainClose`), then waits at least `minDrainDuration` and until no connection is left or `drainTimeout`
has passed (EG internal/cmd/envoy/shutdown_manager.go `Shutdown`); the Envoy container's own preStop hook
blocks until then, and only then is Envoy told to stop (internal/infrastructure/kubernetes/proxy/resource.go
`expectedProxyContainers`, v1.9.0). So `minDrainDuration` is the listening time and `drainTimeout` that plus
the graceful shutdown; Envoy Gateway sets `terminationGracePeriodSeconds` to `drainTimeout` + 300 s itself
(resource_provider.go `expectedTerminationGracePeriodSeconds`). The target groups' deregistration delay is
in the NLB annotations every flavor shares (`traffic.nlb_service_annotations`).

Backend TLS (apps.yaml `service.tls` / `deploy.tls`, `route_backend`). With TLS ended at the NLB a route
terminates nothing, and towards an HTTPS backend Gateway API knows one thing, BackendTLSPolicy, which always
verifies (its `validation` requires a hostname and a CA). So: `verify: true` is a BackendTLSPolicy on the
Service with the app's `caSecret` (Envoy Gateway reads a Secret's `ca.crt` as well as a ConfigMap's:
internal/gatewayapi/backendtlspolicy.go `getCaCertsFromCARefs`) and `serverName` as its hostname (SNI and the
name checked; default `<service>.<namespace>.svc`, as Gateway API requires one). The Ingress flavors'
default, TLS without verification (and without SNI unless `serverName`), is Envoy Gateway's `Backend` with
`tls.insecureSkipVerify` (and `tls.sni`): the only way Envoy Gateway connects with TLS unverified
(backendtlspolicy.go `applyBackendTLSSetting`). A Backend reaches the Service by its cluster DNS name, so
kube-proxy picks the pod per connection instead of Envoy per request, and it needs the Backend API, which
Envoy Gateway keeps off by default because a Backend can send traffic to any address (its
tasks/traffic/backend.md, "Warning"): gangplank turns it on (`extensionApis.enableBackend`) on every edge (why:
`controller_values`), and who may create Backends is then for RBAC to restrict.

Which header carries the client (`client_address_headers`). Envoy Gateway leaves Envoy's connection manager at
`use_remote_address: true` with no trusted hops unless a ClientTrafficPolicy sets `clientIPDetection` (EG
internal/xds/translator/listener.go, `useRemoteAddress := true`; gangplank sets none), so Envoy takes the
connection's remote address, which the proxy-protocol listener filter set to the NLB's PROXY address, as the
client, and appends it to whatever `X-Forwarded-For` the client sent (Envoy docs configuration/http/http_conn_man/
headers.rst, "x-forwarded-for"): there, as on F5, only the last element is the client. Envoy neither sets nor
removes `X-Real-IP` (no mention of it in envoyproxy/gateway v1.9.0 nor in Envoy's header handling), so a client's
own would reach the app as it is; every app rule therefore sets it (a route-level `set` replaces a client's
value) to `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%`, the same address, which Envoy substitutes in route-level
headers ("Custom request/response headers" in that page; EG passes the value as it is: internal/gatewayapi/
filters.go `processRequestHeaderModifierFilter` checks it against `HeaderValueRegexp` only). `X-Real-IP` is so the
header apps can trust on every flavor. (`X-Envoy-External-Address` is set only for a client Envoy deems external,
not one of a private edge's RFC 1918 addresses.)

The Gateway API custom resource definitions (standard channel v1.6.1) and Envoy Gateway's own are a
cluster precondition, like the AWS Load Balancer Controller: installed once per cluster with Envoy
Gateway's `gateway-crds-helm` chart through `helm template | kubectl apply --server-side` (its
README: Helm cannot hold these CRDs in a release, helm/helm#12277). The per-edge releases install
none (`crds.enabled: false`, `skip_crds`), so the edges share no object.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

from components.flavors.app_intent import AppIntent, BackendTLSIntent, intent_problems, refuse_unsupported
from components.flavors.gateway_api import (
    APPS_LISTENER,
    EDGE_LISTENERS,
    MANAGED_BY,
    BackendRef,
    GatewayRef,
    Header,
    RouteBackend,
    backend_tls_policy_manifest,
    gateway_class_manifest,
    gateway_manifest,
    one_gateway_policy,
    policy_target,
    redirect_route_manifest,
    response_headers_filter,
)
from components.flavors.shaping import (
    auth_backend_manifest,
    auth_endpoint,
    envoy_gateway_problems,
    ext_auth,
    sticky_load_balancer,
)
from components.flavors.traffic import (
    CONTROLLER_RESOURCES,
    HSTS_MAX_AGE,
    NLB_CLASS,
    ChartRef,
    ControllerSpec,
    HtpasswdFormat,
    PodPorts,
    Retirement,
    deregistration_delay,
    drain,
    nlb_service_annotations,
    topology_spread,
)

GROUP = "gateway.envoyproxy.io"
API_VERSION = f"{GROUP}/v1alpha1"
CHART = ChartRef(repo="oci://docker.io/envoyproxy", chart="gateway-helm", version="v1.9.0")
"""The chart version gangplank is tested with (Envoy Gateway publishes its chart to an OCI registry only)."""
HTPASSWD = HtpasswdFormat(secret_type="Opaque", key=".htpasswd")
"""SecurityPolicy `basicAuth.users`: an Opaque Secret with the htpasswd file under `.htpasswd`
(egv1a1.BasicAuthUsersSecretKey)."""
WELL_KNOWN_PORT_SHIFT = 10000
"""Envoy Gateway moves a listener port under 1024 to port + 10000 in the proxy container, so Envoy runs
without NET_BIND_SERVICE (internal/gatewayapi/listener.go servicePortToContainerPort, translator.go
`wellKnownPortShift`, v1.9.0); the Service's targetPort is that container port."""
DOWNSTREAM_ADDRESS = "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"
"""Envoy's command operator for the downstream remote address without its port: with proxy protocol, the address of
the PROXY header (Envoy docs, configuration/observability/access_log/usage.rst and http_conn_man/headers.rst)."""
CLUSTER_DOMAIN = "cluster.local"
"""The cluster DNS domain of EKS clusters (not configurable there), which a `Backend`'s FQDN endpoint names a Service
in (Envoy Gateway's own default too: internal/envoygateway/config/config.go `DefaultDNSDomain`, v1.9.0)."""
ENVOY_STATS_PORT = 19001
"""Envoy's Prometheus stats port (internal/xds/bootstrap/bootstrap.go `EnvoyStatsPort`, v1.9.0)."""
OWNING_GATEWAY_LABELS = ("gateway.envoyproxy.io/owning-gateway-name", "gateway.envoyproxy.io/owning-gateway-namespace")
"""Labels Envoy Gateway puts on a Gateway's proxy pods (internal/gatewayapi/translator.go, v1.9.0)."""
ENVOY_APP_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
                    "app.kubernetes.io/managed-by": "envoy-gateway"}
"""internal/infrastructure/kubernetes/proxy/resource.go `EnvoyAppLabel`, v1.9.0."""
RATE_WINDOW_SECONDS = 60
"""The longer of the two windows a rate limit is enforced in (`rate_limit_rules`)."""
ADDRESS_FAMILIES = ("0.0.0.0/0", "::/0")
"""A `Distinct` source selector counts each address of its range apart; one per family, as a v4 range never
matches an IPv6 client's address (and a dualstack NLB's IPv6 clients arrive with theirs in the PROXY header)."""
_NGINX_SIZE = re.compile(r"^([0-9]{1,10})([kKmMgG]?)$")
POD_PORTS = PodPorts(traffic=tuple(listener.port + WELL_KNOWN_PORT_SHIFT for listener in EDGE_LISTENERS),
                     cluster=(ENVOY_STATS_PORT,))
"""The Envoy pods' ports for the edge's NetworkPolicy: the two listeners' container ports from the NLB's subnets,
the stats port from the cluster. (The controller pod is not selected: the proxies' xDS connections to it stay
open.)"""


def container_port(listener_port: int) -> int:
    """The proxy container port behind a Gateway listener port (`WELL_KNOWN_PORT_SHIFT`)."""
    return listener_port + WELL_KNOWN_PORT_SHIFT if listener_port < 1024 else listener_port


def sha_htpasswd_line(user: str, password: str) -> str:
    """`user:{SHA}<base64 of SHA-1>`: the only htpasswd format Envoy's basic_auth filter reads (EG
    internal/gatewayapi/securitypolicy.go `validateHtpasswdFormat`, v1.9.0: "only the SHA format is supported").

    Unsalted SHA-1 is weak for passwords a person chooses; gangplank's are generated (24 random letters and
    digits, about 143 bits), which no dictionary or brute force reaches, and the Secret stays a Secret.
    """
    if not re.fullmatch(r"[^:\s]+", user):
        raise ValueError(f"htpasswd user {user!r} must not be empty or contain ':' or white space")
    digest = base64.b64encode(hashlib.sha1(password.encode(), usedforsecurity=False).digest()).decode()
    return f"{user}:{{SHA}}{digest}"


def body_size_limit(size: str) -> str | int | None:
    """nginx's size syntax (`8m`: binary units) as a Kubernetes quantity (`8Mi`); None for `0`, nginx's "no limit"."""
    found = _NGINX_SIZE.match(size)
    if found is None:
        raise ValueError(f"{size!r} is not an nginx size such as 8m")
    number, unit = int(found.group(1)), found.group(2).lower()
    if number == 0:
        return None
    return f"{number}{ {'k': 'Ki', 'm': 'Mi', 'g': 'Gi'}[unit]}" if unit else number


def rate_limit_rules(rps: int, burst: int | None) -> list[dict[str, Any]]:
    """Per-client local rate limit rules that admit what nginx's `limit_req rate=rps burst=burst nodelay` admits.

    An Envoy Gateway rule is a token bucket of `requests` tokens refilled with `requests` per `unit` (EG
    internal/xds/translator/local_ratelimit.go: MaxTokens = TokensPerFill = requests, FillInterval = unit), so
    one rule cannot hold a burst apart from a rate. Two do: a request passes only if every matching rule has
    a token (Envoy source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc `requestAllowed`).
    Per second, rps + burst: a client may send its burst at once; per minute, 60 x rps + burst: over a minute it
    averages rps. Never stricter than nginx for a client within its limits; a client may front-load a
    minute's allowance at up to rps + burst a second. Counted per proxy replica, as nginx counts per pod.
    """
    extra = rps if burst is None else burst
    windows = ((rps + extra, "Second"), (RATE_WINDOW_SECONDS * rps + extra, "Minute"))
    return [{"clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": family}}],
             "limit": {"requests": requests, "unit": unit}}
            for family in ADDRESS_FAMILIES for requests, unit in windows]


@dataclass(frozen=True)
class EnvoyGatewayFlavor:
    """Envoy Gateway (`envoy-gateway`), chart `gateway-helm` v1.9.0: a Gateway per edge, an HTTPRoute per app."""

    name: str = "envoy-gateway"
    kind: Literal["gateway"] = "gateway"
    default_chart: ChartRef = CHART
    shared_host_mode: Literal["mergeable", "native"] = "native"
    """Gateway API merges the routes of one host across HTTPRoutes by its precedence rules: no master."""
    htpasswd: HtpasswdFormat = HTPASSWD
    htpasswd_from: Literal["bcrypt_hash", "password"] = "password"
    """The htpasswd line is made from the password itself (SHA-1), not from a bcrypt hash."""
    pod_ports: PodPorts = POD_PORTS
    retirement: Retirement | None = None
    """Maintained upstream (v1.9.0, 2026)."""
    client_address_headers: tuple[Header, ...] = (Header("X-Real-IP", DOWNSTREAM_ADDRESS),)
    """`X-Real-IP`, as nginx sends it (module docstring, "Which header carries the client")."""
    namespace_prefix: str = "gateway"
    """Namespace and release of an edge: `gateway-<edge>` (never the Ingress flavors' `ingress-<edge>`, so both
    can run side by side while an edge moves)."""

    def chart(self, version: str | None) -> ChartRef:
        """The pinned chart, or `version` (`v1.9.1`); at least v1.9.0, whose CRDs gangplank validates against."""
        if version is None:
            return self.default_chart
        found = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?", version)
        if found is None:
            raise ValueError(f"chart version {version!r} must be an exact version such as {CHART.version}")
        if tuple(int(part) for part in found.groups()[:3]) < (1, 9, 0):
            raise ValueError(f"gateway-helm chart {version} is too old: gangplank needs v1.9.0 or later")
        return ChartRef(repo=CHART.repo, chart=CHART.chart, version=version)

    # -- names ------------------------------------------------------------------------------

    def controller_name(self, spec: ControllerSpec) -> str:
        """The edge's controller name: its GatewayClass names it, its controller takes only that class."""
        return f"{GROUP}/gangplank-{spec.edge}"

    def gateway(self, spec: ControllerSpec) -> GatewayRef:
        """The edge's Gateway, where apps attach their routes."""
        return GatewayRef(name=spec.edge, namespace=spec.namespace, listener=APPS_LISTENER)

    def proxy_name(self, spec: ControllerSpec) -> str:
        """The EnvoyProxy, and the proxies' Deployment and Service: `envoy-<edge>`, fixed, so the program can read
        the Service back (Envoy Gateway names them after a hash of the Gateway otherwise)."""
        return f"envoy-{spec.edge}"

    def controller_service_name(self, spec: ControllerSpec) -> str:
        return self.proxy_name(spec)

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]:
        """The labels of the edge Gateway's proxy pods."""
        gateway = self.gateway(spec)
        return {**ENVOY_APP_LABELS, OWNING_GATEWAY_LABELS[0]: gateway.name, OWNING_GATEWAY_LABELS[1]: gateway.namespace}

    # -- the edge ---------------------------------------------------------------------------

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]:
        """Helm values (keys checked against the chart's values template by the tests).

        The Backend API is on (`extensionApis.enableBackend`, api/v1alpha1/envoygateway_types.go
        `ExtensionAPISettings`, v1.9.0): an HTTPS backend without verification is a `Backend` (module docstring,
        "Backend TLS"), as is an app's external auth service (`shaping.auth_backend_manifest`), and the controller
        reads those only with it. On for every edge, not only those with
        such an app today: in a split environment the platform stack that installs the controller does not read
        the teams' catalogue (docs/teams.md), and an app stack must not need a platform change to add an app.
        A `Backend` can send to any address, so who may create them is for RBAC (docs/edges-and-flavors.md).
        """
        config: dict[str, Any] = {
            "gateway": {"controllerName": self.controller_name(spec)},
            "provider": {"type": "Kubernetes"},
            "extensionApis": {"enableBackend": True},
        }
        return {
            # The CRDs (and the Gateway API safe-upgrade admission policy beside them) belong to the cluster:
            # two releases rendering them would fight over their ownership (module docstring).
            "crds": {"enabled": False},
            "config": {"envoyGateway": config},
        }

    def proxy_config_manifest(self, spec: ControllerSpec) -> dict[str, Any]:
        """The EnvoyProxy of the edge's GatewayClass: the proxies' Deployment and the NLB Service.

        Envoy Gateway builds the Service from `envoyService` (type, class, annotations) with one port per Gateway
        listener, targeting its container port (internal/infrastructure/kubernetes/proxy/resource_provider.go
        `Service`, v1.9.0), so the NLB's listeners are the Gateway's: 80 and 443.
        """
        name = self.proxy_name(spec)
        leaving = drain(deregistration_delay(spec))
        kubernetes = {
            "envoyDeployment": {
                "name": name,
                "replicas": spec.replicas,
                "pod": {"topologySpreadConstraints": topology_spread(self.selector_labels(spec))},
                "container": {"resources": CONTROLLER_RESOURCES},
            },
            "envoyPDB": {"maxUnavailable": 1},
            "envoyService": {
                "name": name,
                "type": "LoadBalancer",
                "loadBalancerClass": NLB_CLASS,
                # ip targets bypass kube-proxy and node ports (see the F5 flavor).
                "externalTrafficPolicy": "Cluster",
                "allocateLoadBalancerNodePorts": False,
                "annotations": nlb_service_annotations(spec),
            },
        }
        return {
            "apiVersion": API_VERSION, "kind": "EnvoyProxy",
            "metadata": {"name": name, "namespace": spec.namespace, "labels": dict(MANAGED_BY)},
            "spec": {
                "provider": {"type": "Kubernetes", "kubernetes": kubernetes},
                # Drain (module docstring): listen for the deregistration delay, then finish requests in flight.
                "shutdown": {"minDrainDuration": f"{leaving.listen_seconds}s",
                             "drainTimeout": f"{leaving.listen_seconds + leaving.shutdown_seconds}s"},
            },
        }

    def edge_manifests(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """GatewayClass, Gateway, ClientTrafficPolicy and redirect route of the edge, in the order they depend."""
        gateway = self.gateway(spec)
        class_name = spec.ingress_class
        parameters = {"group": GROUP, "kind": "EnvoyProxy", "name": self.proxy_name(spec), "namespace": spec.namespace}
        client_traffic = {
            "apiVersion": API_VERSION, "kind": "ClientTrafficPolicy",
            "metadata": {"name": gateway.name, "namespace": gateway.namespace, "labels": dict(MANAGED_BY)},
            "spec": {"targetRefs": [policy_target("Gateway", gateway.name)],
                     # Required on every connection (`optional` false): the NLB sends one on every target group.
                     "proxyProtocol": {"optional": False}},
        }
        return [gateway_class_manifest(class_name, self.controller_name(spec), parameters),
                gateway_manifest(gateway.name, gateway.namespace, class_name),
                client_traffic,
                redirect_route_manifest(gateway)]

    def admission_policies(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """The edge's guard against other teams' objects: one Gateway per edge class (`one_gateway_policy`).

        F5's problem, one team's `spec.tls` turning the shared app port TLS (`nginx_inc.tls_admission_policy`),
        does not arise here: TLS is a property of a Gateway listener (`listeners[].tls`), never of a route, and
        the edge's Gateway is the platform's, with plain HTTP listeners; teams write HTTPRoutes, which carry no
        TLS, and cannot add listeners to it (ListenerSets attach only where a Gateway's `allowedListeners` lets
        them, default `None`, which gangplank keeps: gateway.networking.k8s.io_gateways.yaml v1.6.1).

        What does arise is the proxies' fixed names: the edge's EnvoyProxy names the Deployment and Service
        `envoy-<edge>` (`proxy_name`, so the program can read the NLB back), and Envoy Gateway gives every Gateway
        of a class that names them those very names, checking whose they are only in its Gateway-namespace mode
        (internal/infrastructure/kubernetes/infra_resource.go `checkOwnership`, `applyIfOwned`, v1.9.0). One
        team's Gateway of the edge's class would be applied over the edge's proxies and NLB Service; so the API
        server refuses any Gateway of that class but the edge's own.
        """
        return one_gateway_policy(spec.ingress_class, self.gateway(spec), spec.instance)

    # -- an app's route ---------------------------------------------------------------------

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
        found = intent_problems(intent)
        if intent.rate_limit is not None and intent.rate_limit.connections is not None:
            found.append(("rate_limit.connections",
                          "Envoy Gateway cannot limit concurrent connections per client (its connection "
                          "limit, ClientTrafficPolicy connection.connectionLimit, counts every client of "
                          "a listener together): remove rateLimit.connections"))
        if intent.merge_role is not None:
            found.append(("merge_role", "Gateway API joins the routes of a host itself (no master/minion)"))
        tls = intent.backend_tls
        if tls is not None and not tls.verify and tls.ca_secret is not None:
            found.append(("backend_tls.ca_secret",
                          "Envoy Gateway reads caSecret only to verify the backend (verify: true); "
                          "unverified TLS is a Backend with insecureSkipVerify, which takes no CA"))
        if intent.max_body_size is not None:
            try:
                body_size_limit(intent.max_body_size)
            except ValueError as err:
                found.append(("max_body_size", str(err)))
        return found + envoy_gateway_problems(intent.canary, intent.sticky, intent.external_auth)

    def rule_filters(self, intent: AppIntent) -> list[dict[str, Any]]:
        """Filters beside the forwarded-https one on each rule of an app's route: HSTS for public apps."""
        refuse_unsupported(self.name, self.unsupported(intent))
        if not intent.hsts:
            return []
        # Every response on the apps listener went to an HTTPS client (the port split).
        return [response_headers_filter([Header("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}")])]

    def route_policies(self, intent: AppIntent, route: str, namespace: str,
                       labels: dict[str, str]) -> list[dict[str, Any]]:
        """The policies that carry an app route's protections, in the route's namespace, named after it.

        SecurityPolicy: external auth, basic auth and the client allow-list (Envoy asks the auth service first,
        then checks basic auth, then the allow-list: EG internal/xds/translator/httpfilters.go
        `newOrderedHTTPFilter`, ext_authz 6, basic_auth 8, rbac 301), with the Backend of the auth service before
        it. BackendTrafficPolicy: the per-client rate limit (after all three, order 302), the largest request body
        and the sticky cookie's consistent hash.
        """
        refuse_unsupported(self.name, self.unsupported(intent))
        target = [policy_target("HTTPRoute", route)]
        metadata = {"name": route, "namespace": namespace, "labels": dict(labels)}
        policies: list[dict[str, Any]] = []
        security: dict[str, Any] = {}
        if intent.basic_auth_secret is not None:
            security["basicAuth"] = {"users": {"group": "", "kind": "Secret", "name": intent.basic_auth_secret}}
        if intent.external_auth is not None:
            security["extAuth"] = ext_auth(intent.external_auth, auth_backend_name(route), GROUP)
            policies.append(auth_backend_manifest(auth_backend_name(route), namespace,
                                                  auth_endpoint(intent.external_auth.url), labels, API_VERSION))
        if intent.allow_cidrs:
            security["authorization"] = {"defaultAction": "Deny", "rules": [
                {"name": "allow-list", "action": "Allow", "principal": {"clientCIDRs": list(intent.allow_cidrs)}}]}
        if security:
            policies.append({"apiVersion": API_VERSION, "kind": "SecurityPolicy", "metadata": dict(metadata),
                             "spec": {"targetRefs": target, **security}})
        traffic: dict[str, Any] = {}
        if intent.rate_limit is not None:
            traffic["rateLimit"] = {"local": {"rules": rate_limit_rules(intent.rate_limit.rps,
                                                                       intent.rate_limit.burst)}}
        limit = body_size_limit(intent.max_body_size) if intent.max_body_size is not None else None
        if limit is not None:
            # The whole request is read before it goes on (as nginx does by default), and one over the limit
            # is answered 413.
            traffic["requestBuffer"] = {"limit": limit}
        if intent.sticky is not None:
            traffic["loadBalancer"] = sticky_load_balancer(intent.sticky)
        if traffic:
            policies.append({"apiVersion": API_VERSION, "kind": "BackendTrafficPolicy", "metadata": dict(metadata),
                             "spec": {"targetRefs": target, **traffic}})
        return policies


    def route_backend(self, intent: AppIntent, service: str, port: int, namespace: str, name: str,
                      labels: dict[str, str]) -> RouteBackend:
        """The app's Service, plain (HTTP); verified TLS through a BackendTLSPolicy on it; or unverified TLS through
        a `Backend` named `name` that reaches the Service by its cluster DNS name (module docstring)."""
        refuse_unsupported(self.name, self.unsupported(intent))
        if intent.https_backend is None:
            return RouteBackend(BackendRef(service, port))
        tls = intent.backend_tls or BackendTLSIntent(namespace=namespace)
        if tls.verify:
            assert tls.ca_secret is not None  # intent_problems refuses verify without a CA
            hostname = tls.server_name or f"{service}.{namespace}.svc"
            return RouteBackend(BackendRef(service, port), (
                backend_tls_policy_manifest(name, namespace, service, hostname, [("Secret", tls.ca_secret)], labels),))
        backend = {
            "apiVersion": API_VERSION, "kind": "Backend",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"endpoints": [{"fqdn": {"hostname": f"{service}.{namespace}.svc.{CLUSTER_DOMAIN}", "port": port}}],
                     "tls": {"insecureSkipVerify": True, **({"sni": tls.server_name} if tls.server_name else {})}},
        }
        return RouteBackend(BackendRef(name, None, group=GROUP, kind="Backend"), (backend,))

    def htpasswd_line(self, user: str, password: str) -> str:
        return sha_htpasswd_line(user, password)


def auth_backend_name(route: str) -> str:
    """The Backend through which a route's SecurityPolicy reaches its external auth service."""
    return f"{route}-auth"
