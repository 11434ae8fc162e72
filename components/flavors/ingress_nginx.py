"""The community ingress-nginx flavor (`ingress-nginx`): retired upstream, kept for clusters that run it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from components.flavors.app_intent import AppIntent, intent_problems, refuse_unsupported
from components.flavors.shaping import (
    ingress_nginx_canary_annotations,
    ingress_nginx_external_auth_annotations,
    ingress_nginx_problems,
    ingress_nginx_sticky_annotations,
)
from components.flavors.traffic import (
    ADMISSION_WEBHOOK_PORT,
    APP_PORT,
    BASIC_AUTH_REALM,
    CONTROLLER_RESOURCES,
    HSTS_MAX_AGE,
    INGRESS_EDGE_LABEL,
    LIMIT_STATUS,
    NLB_CLASS,
    PROMETHEUS_PORTS,
    REDIRECT_PORT,
    REDIRECT_PORT_NAME,
    ChartRef,
    ControllerSpec,
    HtpasswdFormat,
    PodPorts,
    Retirement,
    bcrypt_line,
    deregistration_delay,
    drain,
    nlb_service_annotations,
    redirect_server_snippet,
    topology_spread,
    with_version,
)

CHART = ChartRef(repo="https://kubernetes.github.io/ingress-nginx", chart="ingress-nginx", version="4.15.1")
"""The chart version gangplank is tested with."""
HTPASSWD = HtpasswdFormat(secret_type="Opaque", key="auth")
"""How this controller reads a basic-auth Secret."""
POD_PORTS = PodPorts(traffic=(APP_PORT, REDIRECT_PORT), cluster=(PROMETHEUS_PORTS["ingress-nginx"],),
                     control_plane=(ADMISSION_WEBHOOK_PORT,))
"""The ingress-nginx pod's ports for its NetworkPolicy (the admission webhook is called by the API server)."""
RETIREMENT = Retirement(announced="2025-11-11", last_fixes="March 2026", successors=("nginx-inc", "envoy-gateway"))
"""Kubernetes SIG Network and the Security Response Committee announced ingress-nginx's retirement on
2025-11-11 (kubernetes.io blog, "Ingress NGINX Retirement: What You Need to Know"): best-effort maintenance until
March 2026, then no further releases, bug fixes or security fixes, and the repository archived."""


def backend_cluster_name(service: str | None, namespace: str) -> str:
    """`<service>.<namespace>.svc`: the name a verified HTTPS backend's certificate is checked for when the app gives no
    `serverName` (the Gateway flavor's default too: envoy_gateway.route_backend)."""
    return f"{service}.{namespace}.svc"


@dataclass(frozen=True)
class IngressNginxFlavor:
    """Community ingress-nginx (`ingress-nginx`), chart 4.15.1 = controller v1.15.1.

    Twin independence: own IngressClass (`ingressClassResource.name`, not default) with its own
    controller value (`ingressClassResource.controllerValue`, passed as `--controller-class`),
    `fullnameOverride` = release name (so every namespaced and cluster-scoped object, including
    the admission webhook, is distinct), own `electionID`, `watchIngressWithoutClass: false`.
    No CRDs in this chart.

    No snippet annotations are allowed (chart default, kept): every intent has an annotation,
    except HSTS, which ingress-nginx emits only when it terminates TLS itself. HSTS is therefore
    a controller setting (`controller.addHeaders`) of the public controller: every public app
    gets it, no private app does, and an intent asking otherwise is refused.
    """

    name: str = "ingress-nginx"
    kind: Literal["ingress"] = "ingress"
    default_chart: ChartRef = CHART
    shared_host_mode: Literal["mergeable", "native"] = "native"
    canary_by_upstream: bool = True
    """ingress-nginx adds a canary to the app's upstream (`<namespace>-<service>-<port>`), not to a location: every
    location of that upstream then splits (internal/ingress/controller/controller.go mergeAlternativeBackends merges
    into the primary upstream; balancer.lua picks by `proxy_upstream_name`). The health Ingress therefore names
    the Service's port by name, an upstream of its own (`upstreamName`: the port's number, else its name)."""
    htpasswd: HtpasswdFormat = HTPASSWD
    htpasswd_from: Literal["bcrypt_hash", "password"] = "bcrypt_hash"
    pod_ports: PodPorts = POD_PORTS
    retirement: Retirement | None = RETIREMENT

    def chart(self, version: str | None) -> ChartRef:
        return with_version(self.default_chart, version)

    def full_name(self, spec: ControllerSpec) -> str:
        return spec.release_name  # fullnameOverride

    def controller_service_name(self, spec: ControllerSpec) -> str:
        """`ingress-nginx.controller.fullname`: `<fullname>-<controller.name>`."""
        return f"{self.full_name(spec)}-controller"

    def ingress_class_controller(self, spec: ControllerSpec) -> str:
        return f"k8s.io/ingress-nginx-{spec.instance}"

    def leader_election_id(self, spec: ControllerSpec) -> str:
        return f"{spec.release_name}-leader"

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]:
        """`ingress-nginx.selectorLabels` plus the controller component label."""
        return {"app.kubernetes.io/name": self.default_chart.chart, "app.kubernetes.io/instance": spec.release_name,
                "app.kubernetes.io/component": "controller"}

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]:
        """Helm values (paths checked by the tests against a list verified in the chart's values.yaml)."""
        leaving = drain(deregistration_delay(spec))
        controller: dict[str, Any] = {
            "kind": "Deployment",
            "replicaCount": spec.replicas,
            "ingressClassResource": {
                "name": spec.ingress_class,
                "enabled": True,
                "default": False,
                "controllerValue": self.ingress_class_controller(spec),
            },
            # The legacy annotation class, in case an Ingress still uses kubernetes.io/ingress.class.
            "ingressClass": spec.ingress_class,
            "watchIngressWithoutClass": False,
            "electionID": self.leader_election_id(spec),
            "allowSnippetAnnotations": False,
            # Each controller's webhook judges only its own Ingresses (`spec.instance`: those of its edge
            # and, during a move, of its flavor). The chart's webhook has no rule on the class and
            # `failurePolicy: Fail` (templates/admission-webhooks/validating-
            # webhook.yaml at helm-chart-4.15.1): unscoped, one controller being down would block every
            # Ingress of the cluster. Ingresses without gangplank's label are not judged by these.
            "admissionWebhooks": {"objectSelector": {"matchLabels": {INGRESS_EDGE_LABEL: spec.instance}}},
            "containerPort": {"http": APP_PORT, "https": 443, REDIRECT_PORT_NAME: REDIRECT_PORT},
            "config": {
                # With proxy protocol the apps are told the NLB listener's port and scheme:
                # X-Forwarded-Port is $proxy_protocol_server_port (rootfs/etc/nginx/template/nginx.tmpl)
                # and 443 there makes X-Forwarded-Proto https (rootfs/etc/nginx/lua/lua_ingress.lua),
                # both at controller-v1.15.1.
                "use-proxy-protocol": "true",
                "proxy-real-ip-cidr": ",".join(spec.trusted_proxy_cidrs),
                "http-snippet": redirect_server_snippet(),
                # Belt and braces: even an Ingress with a tls section gets no scheme-based
                # redirect (with proxy protocol, port 443 already reads as https).
                "ssl-redirect": "false",
                "limit-req-status-code": str(LIMIT_STATUS),
                "limit-conn-status-code": str(LIMIT_STATUS),
                "server-tokens": "false",
                # The other HTTPS backends of a host must not inherit one app's proxy-ssl-secret: without this,
                # the first Ingress's proxy_ssl_* also go to the server block (internal/ingress/controller/
                # controller.go getBackendServers: `if !...ProxySSLLocationOnly { server.ProxySSL = ...}`).
                "proxy-ssl-location-only": "true",
                "worker-shutdown-timeout": f"{leaving.shutdown_seconds}s",
            },
            # Drain (traffic.drain). The chart's preStop hook, /wait-shutdown, sends the controller SIGTERM and
            # waits for nginx to exit; the controller first sleeps --shutdown-grace-period (default 0) with its
            # listeners open, then runs `nginx -s quit` (internal/ingress/controller/nginx.go Stop, at
            # controller-v1.15.1). The chart's default grace period (300 s) is replaced by one that fits.
            "extraArgs": {"shutdown-grace-period": str(leaving.listen_seconds)},
            "terminationGracePeriodSeconds": leaving.grace_seconds,
            "service": {
                "type": "LoadBalancer",
                "loadBalancerClass": NLB_CLASS,
                "externalTrafficPolicy": "Cluster",  # see the F5 flavor: ip targets bypass node ports
                "allocateLoadBalancerNodePorts": False,
                "annotations": nlb_service_annotations(spec),
                "ports": {"http": 80, "https": 443},
                # The port split: NLB 80 -> redirect server, NLB 443 (TLS) -> the normal HTTP port.
                "targetPorts": {"http": REDIRECT_PORT_NAME, "https": "http"},
            },
            # The chart creates the PodDisruptionBudget when replicaCount > 1.
            "maxUnavailable": 1,
            "topologySpreadConstraints": topology_spread(self.selector_labels(spec)),
            "resources": CONTROLLER_RESOURCES,
            "metrics": {"enabled": True},
            "podAnnotations": {"prometheus.io/scrape": "true",
                               "prometheus.io/port": str(PROMETHEUS_PORTS[self.name])},
        }
        if spec.visibility == "public":
            controller["addHeaders"] = {"Strict-Transport-Security": f"max-age={HSTS_MAX_AGE}"}
        return {"fullnameOverride": spec.release_name, "controller": controller}

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
        """ingress-nginx joins a host's Ingresses itself, sends HSTS per controller only, and reads its backend
        TLS annotations only beside a CA Secret."""
        found = intent_problems(intent)
        tls = intent.backend_tls
        if tls is not None and tls.ca_secret is None and tls.server_name is not None:
            # proxyssl Parse returns at once when proxy-ssl-secret is missing, before it reads proxy-ssl-name.
            found.append(("backend_tls.server_name",
                          "ingress-nginx sends SNI to a backend (proxy-ssl-name) only together with "
                          "a CA Secret (proxy-ssl-secret): give caSecret too"))
        if intent.merge_role is not None:
            found.append(("merge_role", "ingress-nginx merges Ingresses of one host natively (no master/minion)"))
        if intent.hsts != (intent.visibility == "public"):
            found.append(("hsts", "ingress-nginx sends HSTS per controller: on for every public app, off for every "
                                  "private one (it has no per-Ingress HSTS behind a TLS-terminating load balancer)"))
        return found + ingress_nginx_problems(intent.canary, intent.sticky)

    def ingress_annotations(self, intent: AppIntent) -> dict[str, str]:
        """`nginx.ingress.kubernetes.io/*` annotations (docs/user-guide/nginx-configuration/annotations.md)."""
        refuse_unsupported(self.name, self.unsupported(intent))
        prefix = "nginx.ingress.kubernetes.io/"
        annotations: dict[str, str] = {}
        if intent.rate_limit is not None:
            limit = intent.rate_limit
            burst = limit.rps if limit.burst is None else limit.burst
            # ingress-nginx's burst is rps x an integer multiplier; round up so it is never
            # stricter than asked (20 rps, burst 30 -> multiplier 2 -> burst 40).
            annotations[prefix + "limit-rps"] = str(limit.rps)
            annotations[prefix + "limit-burst-multiplier"] = str(math.ceil(burst / limit.rps))
            if limit.connections is not None:
                annotations[prefix + "limit-connections"] = str(limit.connections)
        if intent.basic_auth_secret is not None:
            annotations[prefix + "auth-type"] = "basic"
            annotations[prefix + "auth-secret"] = intent.basic_auth_secret
            annotations[prefix + "auth-secret-type"] = "auth-file"
            annotations[prefix + "auth-realm"] = BASIC_AUTH_REALM
        if intent.allow_cidrs:
            annotations[prefix + "allowlist-source-range"] = ",".join(intent.allow_cidrs)
        if intent.max_body_size is not None:
            annotations[prefix + "proxy-body-size"] = intent.max_body_size
        if intent.https_backend is not None:
            annotations[prefix + "backend-protocol"] = "HTTPS"
        tls = intent.backend_tls
        if tls is not None and tls.ca_secret is not None:
            # internal/ingress/annotations/proxyssl/main.go at controller-v1.15.1: `namespace/name`; the Secret's
            # ca.crt becomes proxy_ssl_trusted_certificate.
            annotations[prefix + "proxy-ssl-secret"] = f"{tls.namespace}/{tls.ca_secret}"
            annotations[prefix + "proxy-ssl-verify"] = "on" if tls.verify else "off"
            name = tls.server_name or (backend_cluster_name(intent.https_backend, tls.namespace) if tls.verify
                                       else None)
            if name is not None:
                # Without proxy-ssl-name nginx checks the certificate against $proxy_host (proxy_ssl_name's default,
                # nginx docs), which is `upstream_balancer` here (nginx.tmpl `proxy_pass https://upstream_balancer`,
                # template.go buildProxyPass): no backend's certificate names it, so every request would get 502
                # (kubernetes/ingress-nginx#4928, #12883). The Service's cluster name instead, as the Gateway flavor's
                # BackendTLSPolicy, also sent as SNI.
                annotations[prefix + "proxy-ssl-name"] = name
                annotations[prefix + "proxy-ssl-server-name"] = "on"
        if intent.sticky is not None:
            annotations.update(ingress_nginx_sticky_annotations(intent.sticky))
        if intent.external_auth is not None:
            annotations.update(ingress_nginx_external_auth_annotations(intent.external_auth))
        # exact_paths needs no annotation: ingress-nginx honours `pathType: Exact` (`location = /p`).
        return annotations

    def canary_ingress_annotations(self, intent: AppIntent) -> dict[str, str]:
        """The annotations of the app's canary Ingress (same hosts and paths, the canary's backend): the canary's
        rules and, with `sticky`, the same affinity, so that a client the weight sent to the canary stays there."""
        refuse_unsupported(self.name, self.unsupported(intent))
        if intent.canary is None:
            raise ValueError("the intent has no canary")
        annotations = ingress_nginx_canary_annotations(intent.canary)
        if intent.sticky is not None:
            annotations.update(ingress_nginx_sticky_annotations(intent.sticky))
        return annotations

    def admission_policies(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """None: ingress-nginx listens with `ssl` on 443 for every server anyway and serves the apps on 80."""
        return []

    def htpasswd_line(self, user: str, bcrypt_hash: str) -> str:
        """`user:$2y$...` in the `auth` key (auth-file): the Alpine image's musl crypt() checks bcrypt."""
        return bcrypt_line(user, bcrypt_hash)


