"""The traffic design every flavor implements, and the `Flavor` protocol.

Apps state intent (`AppIntent`, `app_intent.py`); a flavor (`nginx_inc`, `ingress_nginx`) turns it into its
product's annotations and Secret formats, and a `ControllerSpec` into Helm values. Everything
here is a pure function of plain data (Pulumi Inputs are passed through untouched), so tests
call it directly. `components/platform/ingress_controller.py` installs what the flavors decide.

How traffic flows (identical for both flavors)
----------------------------------------------
The controller Service is a Network Load Balancer made by the AWS Load Balancer Controller
(`loadBalancerClass: service.k8s.aws/nlb`, ip targets: the NLB sends straight to pod IPs).

*TLS ends at the NLB* (ACM certificate on the 443 listener), so every connection reaches nginx
as plain HTTP. Redirecting on `$scheme` would therefore loop forever: nginx would see `http` on
requests that the client made over HTTPS. Instead the two NLB listeners go to two different
controller ports (the "port split"):

    NLB :80  (TCP) -> pod :8090      a server whose only job is `return 308 https://$host$request_uri`
    NLB :443 (TLS) -> pod :80 / :443  the plain-HTTP listener that serves the apps (ingress-nginx: 80;
                                      F5: 443, see `nginx_inc.APP_PORT`)

A request on the app port has, by construction, come over HTTPS, and a request on the redirect
port never reaches an app; no decision depends on `$scheme`, so nothing can loop. The apps are
told `X-Forwarded-Proto: https` and `X-Forwarded-Port: 443` (F5: ConfigMap `redirect-to-https`,
which hard-codes the scheme, and the pod port itself, which its template reports as the port;
ingress-nginx: proxy protocol, which reports the NLB listener port 443 and makes it `https`).

*Which header carries the client address.* `X-Real-IP` is the one apps can trust on every flavor: both
templates send `proxy_set_header X-Real-IP $remote_addr`, and `$remote_addr` is the address from the
NLB's PROXY header (below); the Envoy Gateway flavor sets it on every app rule (envoy_gateway.py, "Which
header carries the client"). `X-Forwarded-For` differs: ingress-nginx (with `use-forwarded-headers`
off, its default, kept) sends `$remote_addr` alone (rootfs/etc/nginx/template/nginx.tmpl at
controller-v1.15.1, `proxy_set_header X-Forwarded-For $remote_addr`); F5 sends
`$proxy_add_x_forwarded_for` (internal/configs/version1/nginx.ingress.tmpl at v5.5.4), which is what the
*client* sent in `X-Forwarded-For` with `$remote_addr` appended: only its last element is the client.
F5 offers no way to replace the header without sending it twice (`nginx.org/proxy-set-headers` and
location snippets are emitted before the template's own line, and nginx sends both).

*Client IP*: proxy protocol v2 on both sides. The NLB prepends a PROXY v2 header to every
connection (`aws-load-balancer-proxy-protocol: "*"`, target-group attribute
`preserve_client_ip.enabled=false` set explicitly so the two mechanisms are never mixed), and
nginx listens with `proxy_protocol` and takes the client address from it (`real_ip_header
proxy_protocol`). Proxy protocol rather than preserved client IP because it also carries the
address of IPv6 clients of a dualstack NLB (preserve-client-IP does not survive the IPv6-to-IPv4
translation) and has no hairpin problem for in-VPC clients; allow-lists and rate limits then see
the real client.

*Whose PROXY header counts* (`ControllerSpec.trusted_proxy_cidrs`). Anyone who can open a
connection to a controller pod's traffic port can send a PROXY header of their own and choose
the client address that allow-lists and rate limits see. Pods live in the VPC, so trusting the
VPC would hand that choice to every pod of the cluster. The NLB connects to ip targets from its
own network interfaces, one in each subnet it is placed in, so trust is limited to those
subnets: the ones the AWS Load Balancer Controller may place the NLB in, found exactly as it
finds them (its documented subnet discovery: subnets of the VPC tagged
`kubernetes.io/role/elb` for internet-facing, `kubernetes.io/role/internal-elb` for internal load
balancers, tag value `1` or empty; pkg/networking/subnet_resolver.go). Two things then guard the
traffic ports, and they must agree:

- nginx trusts a PROXY header only from those subnets (`set-real-ip-from` / `proxy-real-ip-cidr`);
- a NetworkPolicy per controller namespace admits the traffic ports only from those subnets
  (`network_policy_manifest`; metrics stay open to the cluster).

Admitted but untrusted would not be a hole but a failure: the NLB's own header would be ignored,
so every client would look like the NLB and allow-lists would shut everyone out. Trusted but not
admitted protects nothing: only the policy stops a pod from connecting at all, and only nginx's
trust list still holds where no network-policy engine enforces the policy. One list (this
field) feeds both, so they cannot drift apart.

*Pods in the NLB's subnets.* Within a trusted subnet an address may be the NLB or a pod: neither
nginx nor an `ipBlock` can tell the two apart, so a pod placed in one of those subnets could still
reach a traffic port and forge a client address (whether an `ipBlock` matches pod addresses at all
depends on the network plugin: Calico and the VPC CNI's policy agent match them, Cilium does not).
Internet-facing NLBs live in public subnets, where EKS pods normally do not run. Internal NLBs
live in the `internal-elb` subnets, which in many clusters are also the node subnets: there the
safe setup is subnets of their own for internal load balancers (tag only those with
`kubernetes.io/role/internal-elb`), which gangplank then trusts alone. What gangplank does not do
is trust anything wider than the subnets it found, or narrow the policy to the NLB's current
network interfaces: those are unknown until the NLB exists and change when it is recreated, and a
policy left pointing at an old NLB would block the new one's health checks, which the pods'
readiness gates wait for, so the rollout could never finish.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pulumi

from components.flavors.app_intent import AppIntent, Visibility
from components.flavors.nlb import DEREGISTRATION_DELAY_SECONDS as DEREGISTRATION_DELAY_SECONDS
from components.flavors.nlb import DEREGISTRATION_PROPAGATION_SECONDS as DEREGISTRATION_PROPAGATION_SECONDS
from components.flavors.nlb import NGINX_SHUTDOWN_SECONDS as NGINX_SHUTDOWN_SECONDS
from components.flavors.nlb import NLB_CLASS as NLB_CLASS
from components.flavors.nlb import SSL_POLICY as SSL_POLICY
from components.flavors.nlb import Drain as Drain
from components.flavors.nlb import deregistration_delay as deregistration_delay
from components.flavors.nlb import drain as drain
from components.flavors.nlb import network_policy_manifest as network_policy_manifest
from components.flavors.nlb import nlb_service_annotations as nlb_service_annotations
from components.flavors.nlb import target_group_attributes as target_group_attributes
from components.flavors.nlb import topology_spread as topology_spread
from components.inputs.load_balancer import LoadBalancerSettings

# -- ports and constants shared by both flavors ------------------------------------------

APP_PORT = 80
"""Container port of ingress-nginx's normal HTTP listener, which the NLB's TLS listener (443) targets.
(The F5 flavor serves the apps on pod port 443 instead: see `nginx_inc.APP_PORT`.)"""
REDIRECT_PORT = 8090
"""Container port of the redirect-only server; the NLB's plain listener (80) targets it.
Free in both charts (F5 uses 8080/8081/9113/9114, ingress-nginx 8181/8443/10245-10254)."""
REDIRECT_PORT_NAME = "to-https"
"""Name of the redirect container port (a Kubernetes port name: at most 15 characters)."""
LB_PORTS = (80, 443)
"""Ports the NLB listens on: 80 answers with a redirect, 443 terminates TLS."""
INGRESS_EDGE_LABEL = "gangplank/edge"
"""Label on every Ingress gangplank writes: the controller it belongs to, by its edge (`ControllerSpec.instance`:
the edge's name, with the flavor appended for a controller of another flavor than the stack's). ingress-nginx's
admission webhook of a controller judges only the Ingresses with its label."""
READINESS_GATE_LABEL = {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}
"""Namespace label that makes the AWS Load Balancer Controller inject pod readiness gates
(docs/deploy/pod_readiness_gate.md): a new controller pod counts as ready only once the NLB's target
group reports it healthy, so a rolling update never leaves the NLB with only initial or draining
targets (ip targets: the NLB knows the pods, not the nodes)."""

HSTS_MAX_AGE = 31536000
"""One year, the usual HSTS max-age."""
LIMIT_STATUS = 429
"""Status code for requests over a rate or connection limit (both controllers default to 503)."""
BASIC_AUTH_REALM = "Restricted"
CONN_ZONE = "gangplank_conn_per_client"
"""F5: shared-memory zone for per-client connection limits (declared once in `http-snippets`)."""

@dataclass(frozen=True)
class Retirement:
    """A controller product that its makers stopped maintaining."""

    announced: str
    """When the retirement was announced (ISO date)."""
    last_fixes: str
    """After when there are no more releases or security fixes."""
    successors: tuple[str, ...]
    """The maintained flavors to move its edges to, the closest first (the stack warning names one the edge neither
    runs nor moves to: components/apps/preflight.py `retired_flavor_warnings`)."""


PROMETHEUS_PORTS = {"nginx-inc": 9113, "ingress-nginx": 10254}
ADMISSION_WEBHOOK_PORT = 8443
"""ingress-nginx's admission webhook container port (chart 4.15.1 `controller.admissionWebhooks.port`)."""

# Requests size the scheduler's placement; the memory limit stops a runaway controller starving a
# node. No CPU limit: throttling an ingress controller turns load into latency for every app.
CONTROLLER_RESOURCES = {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}

_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_USER = re.compile(r"^[^:\s]+$")


# -- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRef:
    """A Helm chart at a pinned version."""

    repo: str
    """Helm repository URL."""
    chart: str
    """Chart name in that repository."""
    version: str
    """Chart version (never a range: upgrades are deliberate)."""


@dataclass(frozen=True)
class ControllerSpec:
    """What makes one edge's controller distinct from the others. Build it with `controller_spec()`."""

    edge: str
    """The edge it serves: `public`, `private`, or a configured edge (`gangplank:edges`)."""
    visibility: Visibility
    """`public` (internet-facing NLB) or `private` (internal NLB)."""
    ingress_class: str
    """IngressClass name: `nginx-<edge>`."""
    release_name: str
    """Helm release name: `ingress-<edge>`."""
    namespace: str
    """Namespace of the release: `ingress-<edge>`."""
    replicas: int
    """Controller pods (spread across zones, with a PodDisruptionBudget)."""
    certificate_arn: pulumi.Input[str]
    """Validated ACM certificate ARN for the NLB's 443 TLS listener."""
    security_group_id: pulumi.Input[str]
    """The NLB's security group (created by `IngressController`): who may reach the listeners."""
    dualstack: bool
    """Give the NLB IPv4 and IPv6 addresses."""
    trusted_proxy_cidrs: tuple[str, ...] = ()
    """IPv4 CIDRs of the subnets the NLB may be placed in, where it connects from: the only sources whose
    PROXY header nginx trusts, and the only ones the NetworkPolicy admits to the traffic ports."""
    control_plane_cidrs: tuple[str, ...] = ()
    """The VPC's IPv4 CIDRs, where the EKS control plane's network interfaces are: the admission webhook's
    callers."""
    load_balancer: LoadBalancerSettings = field(default_factory=LoadBalancerSettings)
    """The NLB's own settings (`gangplank:loadBalancer`, the edge's `loadBalancer`)."""
    suffix: str = ""
    """Appended to the names derived from the edge: empty for a controller of the stack's flavor, `-<flavor>` for
    another (`components.platform.controllers.controller_suffix`), so an edge's two controllers during a move
    never share a name."""

    @property
    def instance(self) -> str:
        """`<edge><suffix>`: the controller among the edge's controllers (its Ingresses' `gangplank/edge` label)."""
        return f"{self.edge}{self.suffix}"


@dataclass(frozen=True)
class PodPorts:
    """The controller pod's ports by who may connect to them (the NetworkPolicy's rules)."""

    traffic: tuple[int, ...]
    """Ports the NLB connects to (traffic and TCP health checks): admitted only from the NLB's subnets."""
    cluster: tuple[int, ...]
    """Ports pods of the cluster may reach (Prometheus metrics)."""
    control_plane: tuple[int, ...] = ()
    """Ports the Kubernetes API server calls (an admission webhook): admitted from the VPC, where the EKS
    control plane's network interfaces are."""


@dataclass(frozen=True)
class HtpasswdFormat:
    """How a flavor wants the basic-auth Secret."""

    secret_type: str
    """Kubernetes Secret `type`."""
    key: str
    """Data key holding the htpasswd file."""


class Flavor(Protocol):
    """One ingress controller product: its chart, its values and its annotations."""

    name: str
    kind: Literal["ingress"]
    """What the flavor renders per app: Ingresses (`gateway_api.GatewayFlavor` renders Gateway API routes)."""
    default_chart: ChartRef
    shared_host_mode: Literal["mergeable", "native"]
    """`mergeable`: one master Ingress per shared host plus one minion per app (F5);
    `native`: the controller merges Ingresses of the same host by itself (ingress-nginx)."""
    htpasswd: HtpasswdFormat
    htpasswd_from: Literal["bcrypt_hash", "password"]
    """What an htpasswd line is made from: the password's bcrypt hash (nginx) or the password itself."""
    pod_ports: PodPorts
    """The controller pod's ports, for its NetworkPolicy."""
    retirement: Retirement | None
    """Set when the product is retired upstream: planning a stack on it warns."""
    canary_by_upstream: bool
    """Whether a canary joins every location of the app's upstream (ingress-nginx), so the monitor's health
    Ingress must reach the app through an upstream of its own."""

    def chart(self, version: str | None) -> ChartRef: ...

    def full_name(self, spec: ControllerSpec) -> str: ...

    def controller_service_name(self, spec: ControllerSpec) -> str: ...

    def ingress_class_controller(self, spec: ControllerSpec) -> str: ...

    def leader_election_id(self, spec: ControllerSpec) -> str: ...

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]: ...

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]: ...

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
        """What of `intent` this product cannot express: (the `AppIntent` field, why), [] for nothing.

        The program checks every app's intents with it before anything is declared (an input error that
        names the flavor), and `ingress_annotations` refuses such an intent rather than drop a part of it.
        """
        ...

    def ingress_annotations(self, intent: AppIntent) -> dict[str, str]: ...

    def admission_policies(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """Cluster objects that refuse Ingresses of this controller's class that would break its other apps
        (Kubernetes manifests, applied beside the release); [] when there is nothing to guard."""
        ...

    def canary_ingress_annotations(self, intent: AppIntent) -> dict[str, str]:
        """The annotations of the app's canary Ingress, for a flavor that splits with a second Ingress."""
        ...

    def htpasswd_line(self, user: str, bcrypt_hash: str) -> str: ...


# -- naming and shared pieces ------------------------------------------------------------


def controller_spec(
    edge: str,
    visibility: Visibility,
    *,
    replicas: int,
    certificate_arn: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    allowed_cidrs: list[str],
    dualstack: bool,
    trusted_proxy_cidrs: tuple[str, ...] | list[str],
    control_plane_cidrs: tuple[str, ...] | list[str],
    load_balancer: LoadBalancerSettings | None = None,
    suffix: str = "",
) -> ControllerSpec:
    """The naming decisions of one edge's controller in one place: class, release and namespace
    are all derived from the edge name and `suffix`, so the controllers of a stack never share an object.

    `allowed_cidrs`: who may reach the NLB (its security group, in `ingress_controller.py`); a
    private edge must have some, never "everyone". `trusted_proxy_cidrs`: the IPv4 CIDRs of the
    NLB's subnets (module docstring); never a whole address family.
    """
    if visibility not in ("public", "private"):
        raise ValueError(f"visibility must be 'public' or 'private', not {visibility!r}")
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, not {replicas}")
    if visibility == "private" or allowed_cidrs:
        private_source_ranges(allowed_cidrs)  # raises on an empty or open allow-list
    if not trusted_proxy_cidrs:
        raise ValueError("trusted_proxy_cidrs must name the subnets the load balancer connects from")
    for cidr in trusted_proxy_cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as err:
            raise ValueError(f"trusted_proxy_cidrs: {err}") from None
        if network.version != 4 or network.prefixlen == 0:
            raise ValueError(f"trusted_proxy_cidrs: {cidr} is not an IPv4 subnet (the NLB reaches IPv4 pods over IPv4)")
    if not control_plane_cidrs:
        raise ValueError("control_plane_cidrs must name the VPC's CIDRs")
    if suffix and not re.fullmatch(r"-[a-z0-9]([a-z0-9-]*[a-z0-9])?", suffix):
        raise ValueError(f"suffix must be '' or '-' and a DNS label, not {suffix!r}")
    return ControllerSpec(
        edge=edge,
        visibility=visibility,
        ingress_class=f"nginx-{edge}{suffix}",
        release_name=f"ingress-{edge}{suffix}",
        namespace=f"ingress-{edge}{suffix}",
        replicas=replicas,
        certificate_arn=certificate_arn,
        security_group_id=security_group_id,
        dualstack=dualstack,
        trusted_proxy_cidrs=tuple(trusted_proxy_cidrs),
        control_plane_cidrs=tuple(control_plane_cidrs),
        load_balancer=load_balancer or LoadBalancerSettings(),
        suffix=suffix,
    )


def private_source_ranges(allowed_cidrs: list[str]) -> list[str]:
    """The private NLB's allow-list, normalised; never empty and never 'everyone'."""
    if not allowed_cidrs:
        raise ValueError("a private controller needs at least one allowed CIDR")
    ranges = []
    for cidr in allowed_cidrs:
        network = ipaddress.ip_network(cidr, strict=True)
        if network.prefixlen == 0:
            raise ValueError(f"a private controller must not allow {cidr}: it would be public")
        ranges.append(str(network))
    return ranges


def redirect_server_snippet() -> str:
    """The nginx server on the redirect port: answer every request with a 308 to HTTPS.

    308 (not 301) keeps the method and body of a POST. It listens with `proxy_protocol` because
    the NLB sends the PROXY header on every target group, this one included.
    """
    return (
        "server {\n"
        f"    listen {REDIRECT_PORT} proxy_protocol;\n"
        "    server_tokens off;\n"
        "    return 308 https://$host$request_uri;\n"
        "}\n"
    )


def bcrypt_line(user: str, bcrypt_hash: str) -> str:
    if not _USER.match(user):
        raise ValueError(f"htpasswd user {user!r} must not be empty or contain ':' or white space")
    if not _BCRYPT.match(bcrypt_hash):
        raise ValueError("expected a bcrypt hash ($2a$/$2b$/$2y$); nginx checks it with the system crypt()")
    return f"{user}:{bcrypt_hash}"


def helm_fullname(release: str, chart: str) -> str:
    """Both charts' `<chart>.fullname` helper without overrides (trunc 63, trimSuffix '-')."""
    name = release if chart in release else f"{release}-{chart}"
    return name[:63].rstrip("-")


def with_version(chart: ChartRef, version: str | None) -> ChartRef:
    if version is None:
        return chart
    if not re.match(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", version):
        raise ValueError(f"chart version {version!r} must be an exact version such as {chart.version}")
    return ChartRef(repo=chart.repo, chart=chart.chart, version=version)
