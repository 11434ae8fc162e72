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

from components.flavors.gateway_api import (
    APPS_LISTENER,
    EDGE_LISTENERS,
    MANAGED_BY,
    GatewayRef,
    Header,
    gateway_class_manifest,
    gateway_manifest,
    policy_target,
    redirect_route_manifest,
    response_headers_filter,
)
from components.flavors.traffic import (
    CONTROLLER_RESOURCES,
    HSTS_MAX_AGE,
    NLB_CLASS,
    AppIntent,
    ChartRef,
    ControllerSpec,
    HtpasswdFormat,
    PodPorts,
    intent_problems,
    nlb_service_annotations,
    refuse_unsupported,
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
        """Helm values (keys checked against the chart's values template by the tests)."""
        return {
            # The CRDs (and the Gateway API safe-upgrade admission policy beside them) belong to the cluster:
            # two releases rendering them would fight over their ownership (module docstring).
            "crds": {"enabled": False},
            "config": {"envoyGateway": {
                "gateway": {"controllerName": self.controller_name(spec)},
                "provider": {"type": "Kubernetes"},
            }},
        }

    def proxy_config_manifest(self, spec: ControllerSpec) -> dict[str, Any]:
        """The EnvoyProxy of the edge's GatewayClass: the proxies' Deployment and the NLB Service.

        Envoy Gateway builds the Service from `envoyService` (type, class, annotations) with one port per Gateway
        listener, targeting its container port (internal/infrastructure/kubernetes/proxy/resource_provider.go
        `Service`, v1.9.0), so the NLB's listeners are the Gateway's: 80 and 443.
        """
        name = self.proxy_name(spec)
        return {
            "apiVersion": API_VERSION, "kind": "EnvoyProxy",
            "metadata": {"name": name, "namespace": spec.namespace, "labels": dict(MANAGED_BY)},
            "spec": {"provider": {"type": "Kubernetes", "kubernetes": {
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
            }}},
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

    # -- an app's route ---------------------------------------------------------------------

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
        found = intent_problems(intent)
        if intent.rate_limit is not None and intent.rate_limit.connections is not None:
            found.append(("rate_limit", "Envoy Gateway cannot limit concurrent connections per client (its connection "
                                        "limit, ClientTrafficPolicy connection.connectionLimit, counts every client of "
                                        "a listener together): remove rateLimit.connections"))
        if intent.merge_role is not None:
            found.append(("merge_role", "Gateway API joins the routes of a host itself (no master/minion)"))
        if intent.max_body_size is not None:
            try:
                body_size_limit(intent.max_body_size)
            except ValueError as err:
                found.append(("max_body_size", str(err)))
        return found

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

        SecurityPolicy: basic auth and the client allow-list (Envoy runs basic auth before the allow-list: EG
        internal/xds/translator/httpfilters.go `newOrderedHTTPFilter`, basic_auth 8, rbac 301). BackendTraffic-
        Policy: the per-client rate limit (after both, order 302) and the largest request body.
        """
        refuse_unsupported(self.name, self.unsupported(intent))
        target = [policy_target("HTTPRoute", route)]
        metadata = {"name": route, "namespace": namespace, "labels": dict(labels)}
        policies: list[dict[str, Any]] = []
        security: dict[str, Any] = {}
        if intent.basic_auth_secret is not None:
            security["basicAuth"] = {"users": {"group": "", "kind": "Secret", "name": intent.basic_auth_secret}}
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
        if traffic:
            policies.append({"apiVersion": API_VERSION, "kind": "BackendTrafficPolicy", "metadata": dict(metadata),
                             "spec": {"targetRefs": target, **traffic}})
        return policies

    def htpasswd_line(self, user: str, password: str) -> str:
        return sha_htpasswd_line(user, password)
