"""The F5 NGINX Ingress Controller flavor (`nginx-inc`, chart `nginx-ingress`): the default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from components.flavors.app_intent import AppIntent, intent_problems, refuse_unsupported
from components.flavors.shaping import nginx_inc_problems
from components.flavors.traffic import (
    APP_PORT as FORMER_APP_PORT,
)
from components.flavors.traffic import (
    BASIC_AUTH_REALM,
    CONN_ZONE,
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
    helm_fullname,
    nlb_service_annotations,
    redirect_server_snippet,
    topology_spread,
    with_version,
)

CHART = ChartRef(repo="https://helm.nginx.com/stable", chart="nginx-ingress", version="2.6.4")
"""The chart version gangplank is tested with."""
HTPASSWD = HtpasswdFormat(secret_type="nginx.org/htpasswd", key="htpasswd")
MERGEABLE_ANNOTATION = "nginx.org/mergeable-ingress-type"
"""`master` or `minion`: the Ingresses of one host merged into one server (internal/k8s/configuration.go at
v5.5.4); planner/transition/cluster.py reads it back."""
"""How this controller reads a basic-auth Secret."""

APP_PORT = 443
"""Pod port of the listener that serves the apps (plain HTTP with proxy protocol; TLS ended at the NLB).

It is 443, not the chart's 80, because the F5 template tells every app `X-Forwarded-Port
$server_port` (internal/configs/version1/nginx.ingress.tmpl at v5.5.4, hard-coded beside
`proxy_set_header X-Forwarded-Proto https` under `redirect-to-https`) and `$server_port` is the port
nginx accepted the connection on. On 80, apps behind the NLB's 443 listener were told
`X-Forwarded-Proto: https` with `X-Forwarded-Port: 80`, and frameworks that honour the pair build
`https://host:80/...` links and redirects. Nothing else can fix the header: a second
`proxy_set_header X-Forwarded-Port` from `location-snippets` or `nginx.org/proxy-set-headers` (also
emitted before the template's own line) makes nginx send the header twice, and `ingress-template` would
mean carrying a copy of F5's whole template. Listening on 443 makes `$server_port` true.

How the listener gets there, all from the chart and ConfigMap keys F5 documents:
- `controller.defaultHTTPListenerPort: 443` moves the catch-all `default_server` (unknown hosts) to it;
  `controller.defaultHTTPSListenerPort` moves that server's TLS listener out of the way (`DEFAULT_TLS_PORT`):
  one port cannot be TLS for one server and plain for another.
- ConfigMap `server-snippets` adds `listen 443 proxy_protocol` (and `[::]:443`, as the template does for
  its own ports unless `disableIPV6`) to every Ingress's server. The per-Ingress way,
  `nginx.org/listen-ports`, would arrive only when the Ingresses are updated, after the new controller
  pods already take traffic: a window in which every host answered 404. The ConfigMap changes with
  the pods. (An Ingress's own `nginx.org/server-snippets` would replace the ConfigMap's; this flavor
  never writes that annotation.)
- The Service's 443 port targets the container port by *name* (`http`, via `service.customPorts`:
  the chart's `httpsPort.targetPort` is an integer in its schema). The LBC registers each pod with
  its own port (pkg/service/model_build_target_group.go buildTargetGroupPort: "it can actually be
  different ports for different pods"), so during the rollout from port 80 the old pods keep taking
  traffic on 80 and the new ones on 443; a number would send the new target group to old pods' 443,
  which is still their TLS default server.

One team can break this port for every app of the edge, and gangplank refuses it (`tls_admission_policy`):
an Ingress of the edge's class with `spec.tls` makes F5 mark its server SSL (internal/configs/ingress.go
`addSSLConfig`) and listen on its SSL ports, `[443]` unless the Ingress sets `nginx.org/listen-ports-ssl`
(internal/configs/config_params.go `NewDefaultConfigParams`: `SSLPorts: []int{443}`; no ConfigMap key changes
it), as `listen 443 ssl proxy_protocol` (internal/configs/version1/nginx.ingress.tmpl, the `SSLPorts` loop).
nginx keeps one set of listen options per address and port and ORs `ssl` across the servers that share it
(src/http/ngx_http.c `ngx_http_add_addresses`: `ssl = lsopt->ssl || addr[i].opt.ssl`), so port 443 would turn
TLS for every host while the NLB sends plain HTTP. Serving the apps on a port nothing sets `ssl` on would avoid
it, but then `$server_port`, which the template sends as `X-Forwarded-Port`, is that port (above): a
ValidatingAdmissionPolicy refuses such Ingresses instead.
"""
DEFAULT_TLS_PORT = 8443
"""The default server's TLS listener (`controller.defaultHTTPSListenerPort`). Nothing targets it: TLS ends at
the NLB. Free in the F5 pod (8080 status, 8081 readiness, 9113 metrics, 9114 service insight)."""
POD_PORTS = PodPorts(
    # FORMER_APP_PORT: pods from before the move to 443 serve on 80 until the rollout replaces them.
    traffic=(FORMER_APP_PORT, APP_PORT, REDIRECT_PORT),
    cluster=(PROMETHEUS_PORTS["nginx-inc"],),
)
"""The F5 pod's ports for its NetworkPolicy."""


@dataclass(frozen=True)
class NginxIncFlavor:
    """F5 NGINX Ingress Controller (`nginx-inc`), chart `nginx-ingress` 2.6.4 = controller 5.5.4.

    Twin independence: each release has its own IngressClass (`controller.ingressClass.name`,
    never the default class), release name and therefore full name (ClusterRole, ConfigMap,
    Service...), leader-election lock, namespace and NLB. The F5 chart hard-codes the class's
    controller string to `nginx.org/ingress-controller`; the controller claims an Ingress only
    when its class *name* matches `-ingress-class`, and ignores Ingresses without a class (there
    is no `watchIngressWithoutClass` in this chart: class-less Ingresses are never processed).
    Custom resources are off (apps use Ingress annotations only) and the chart's CRDs are not
    installed (`skip_crds`), so the twins share no CRD or lease.

    Snippets are enabled because two intents have no annotation in F5: the client allow-list
    (`allow ...; deny all;`) and the per-client connection limit (`limit_conn`). They are written
    only by this module. Enabling them lets anyone who can create an Ingress of these classes
    inject nginx configuration: in a multi-tenant cluster, restrict who may do so (RBAC).
    """

    name: str = "nginx-inc"
    kind: Literal["ingress"] = "ingress"
    default_chart: ChartRef = CHART
    shared_host_mode: Literal["mergeable", "native"] = "mergeable"
    canary_by_upstream: bool = False
    htpasswd: HtpasswdFormat = HTPASSWD
    htpasswd_from: Literal["bcrypt_hash", "password"] = "bcrypt_hash"
    pod_ports: PodPorts = POD_PORTS
    retirement: Retirement | None = None

    def chart(self, version: str | None) -> ChartRef:
        """The pinned chart, or `version` if given: at least 2.6.0 (controller 5.5.0), the first
        with the `nginx.org/add-header` annotation that HSTS relies on."""
        chart = with_version(self.default_chart, version)
        if tuple(int(part) for part in chart.version.split("-")[0].split(".")) < (2, 6, 0):
            raise ValueError(f"nginx-ingress chart {chart.version} is too old: gangplank needs 2.6.0 or later")
        return chart

    def full_name(self, spec: ControllerSpec) -> str:
        """`nginx-ingress.fullname` of the chart (it has no fullnameOverride in its schema)."""
        return helm_fullname(spec.release_name, self.default_chart.chart)

    def controller_service_name(self, spec: ControllerSpec) -> str:
        """`nginx-ingress.controller.service.name`: `<fullname>-<controller.name>`."""
        return f"{self.full_name(spec)}-controller"[:63].rstrip("-")

    def ingress_class_controller(self, spec: ControllerSpec) -> str:
        """Fixed by the chart's IngressClass template; F5 tells its twins apart by class name."""
        return "nginx.org/ingress-controller"

    def leader_election_id(self, spec: ControllerSpec) -> str:
        return f"{spec.release_name}-leader-election"

    def selector_labels(self, spec: ControllerSpec) -> dict[str, str]:
        """`nginx-ingress.selectorLabels` of the chart."""
        return {"app.kubernetes.io/name": self.default_chart.chart, "app.kubernetes.io/instance": spec.release_name}

    def controller_values(self, spec: ControllerSpec) -> dict[str, Any]:
        """Helm values (paths checked against the chart's values.schema.json by the tests)."""
        http_snippets = redirect_server_snippet() + (
            # Per-client connection limits (AppIntent.rate_limit.connections) count in this zone,
            # keyed by client and host so apps on different hosts never share a counter.
            f"limit_conn_zone $binary_remote_addr$host zone={CONN_ZONE}:10m;"
        )
        leaving = drain(deregistration_delay(spec))
        return {
            "controller": {
                "kind": "deployment",
                "replicaCount": spec.replicas,
                "ingressClass": {"name": spec.ingress_class, "create": True, "setAsDefaultIngress": False},
                "enableCustomResources": False,
                "enableSnippets": True,
                "reportIngressStatus": {
                    "enable": True,
                    "enableLeaderElection": True,
                    "leaderElectionLockName": self.leader_election_id(spec),
                },
                # `http` is the app listener (APP_PORT: why 443), `https` the unused default TLS one.
                "containerPort": {"http": APP_PORT, "https": DEFAULT_TLS_PORT, REDIRECT_PORT_NAME: REDIRECT_PORT},
                "defaultHTTPListenerPort": APP_PORT,
                "defaultHTTPSListenerPort": DEFAULT_TLS_PORT,
                "disableIPV6": False,  # app_listener_snippet() listens on [::] as the template does
                "config": {"entries": {
                    "proxy-protocol": "true",
                    "real-ip-header": "proxy_protocol",
                    "set-real-ip-from": ",".join(spec.trusted_proxy_cidrs),
                    # Hard-codes X-Forwarded-Proto: https towards the apps (everything on the app
                    # port came over TLS). Its own redirect fires only on a client-sent
                    # `X-Forwarded-Proto: http`, never on $scheme, so it cannot loop for a client
                    # that does not forge that header.
                    "redirect-to-https": "true",
                    "http-snippets": http_snippets,
                    "server-snippets": app_listener_snippet(),
                    "server-tokens": "false",
                    "worker-shutdown-timeout": f"{leaving.shutdown_seconds}s",
                }},
                "service": {
                    "create": True,
                    "type": "LoadBalancer",
                    "loadBalancerClass": NLB_CLASS,
                    # ip targets bypass kube-proxy and node ports entirely; the client IP comes
                    # from proxy protocol, so `Local` would only add an unused health-check port.
                    "externalTrafficPolicy": "Cluster",
                    "allocateLoadBalancerNodePorts": False,
                    "annotations": nlb_service_annotations(spec),
                    "httpPort": {"enable": True, "port": 80, "targetPort": REDIRECT_PORT},
                    # 443 targets the app listener by container-port name (APP_PORT: why).
                    "httpsPort": {"enable": False},
                    "customPorts": [{"name": "https", "port": 443, "targetPort": "http", "protocol": "TCP"}],
                },
                "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
                # Drain (traffic.drain): on SIGTERM F5 runs `nginx -s quit` at once (cmd/nginx-ingress/main.go
                # handleTermination), which closes the listeners while the NLB may still open connections to the
                # pod; the chart's `lifecycle` is empty. The kubelet's own sleep action (no shell in the image
                # needed) keeps it listening first.
                "lifecycle": {"preStop": {"sleep": {"seconds": leaving.listen_seconds}}},
                "terminationGracePeriodSeconds": leaving.grace_seconds,
                "topologySpreadConstraints": topology_spread(self.selector_labels(spec)),
                "resources": CONTROLLER_RESOURCES,
                # No usage reports leave the cluster from a platform component.
                "telemetryReporting": {"enable": False},
            },
            "prometheus": {"create": True, "port": PROMETHEUS_PORTS[self.name]},
        }

    def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
        """Everything an app can ask for has an annotation or a snippet here (snippets are on), except a canary,
        stickiness and external auth, which need NGINX Plus or custom resources (`shaping.nginx_inc_problems`), and
        checking
        a backend's certificate: v5.5.4 verifies upstream certificates of an Ingress only through an EgressMTLS
        Policy (`nginx.org/policies`), a custom resource, and gangplank keeps custom resources off; a snippet
        cannot give nginx the CA file (the controller writes only the Secrets its annotations name)."""
        found = intent_problems(intent)
        tls = intent.backend_tls
        if tls is not None and (tls.verify or tls.ca_secret is not None):
            found.append(("backend_tls.verify" if tls.verify else "backend_tls.ca_secret",
                          "F5 NGINX Ingress Controller 5.5.4 checks a backend's certificate only "
                                         "through an EgressMTLS Policy, a custom resource gangplank keeps off; "
                                         "serverName (SNI) alone is possible"))
        return found + nginx_inc_problems(intent.canary, intent.sticky, intent.external_auth)

    def canary_ingress_annotations(self, intent: AppIntent) -> dict[str, str]:
        """Never reached: `unsupported` refuses every canary."""
        refuse_unsupported(self.name, self.unsupported(intent))
        return {}

    def ingress_annotations(self, intent: AppIntent) -> dict[str, str]:
        """`nginx.org/*` annotations (names from internal/configs/annotations.go at v5.5.4).

        HSTS: F5's own `nginx.org/hsts` emits the header only when the Ingress terminates TLS
        itself (`spec.tls`) or, with `hsts-behind-proxy`, when the *client's* request carries
        `X-Forwarded-Proto: https`; behind an NLB neither holds, so it would never be sent. We
        add the header with `nginx.org/add-header` instead: every response on the app port
        went to an HTTPS client (see the module docstring). `https_redirect` adds nothing: a
        scheme-based redirect (`nginx.org/ssl-redirect`) would loop, and the port split already
        redirects.
        """
        refuse_unsupported(self.name, self.unsupported(intent))
        role = intent.merge_role
        annotations: dict[str, str] = {}
        if role is not None:
            annotations[MERGEABLE_ANNOTATION] = role
        if role != "minion" and intent.hsts:
            # Host-level: a master's add-header stays in the server block, which minions share.
            annotations["nginx.org/add-header"] = f"Strict-Transport-Security:max-age={HSTS_MAX_AGE}:always"
        if role == "master":
            return annotations  # everything below is per app, and belongs on the app's minion

        location_snippets: list[str] = []
        if intent.rate_limit is not None:
            limit = intent.rate_limit
            burst = limit.rps if limit.burst is None else limit.burst
            # Per replica, like ingress-nginx: a client's keep-alive connection stays on one pod.
            annotations["nginx.org/limit-req-rate"] = f"{limit.rps}r/s"
            annotations["nginx.org/limit-req-burst"] = str(burst)
            annotations["nginx.org/limit-req-no-delay"] = "true"
            annotations["nginx.org/limit-req-reject-code"] = str(LIMIT_STATUS)
            if limit.connections is not None:
                location_snippets += [f"limit_conn {CONN_ZONE} {limit.connections};",
                                      f"limit_conn_status {LIMIT_STATUS};"]
        if intent.basic_auth_secret is not None:
            annotations["nginx.org/basic-auth-secret"] = intent.basic_auth_secret
            annotations["nginx.org/basic-auth-realm"] = BASIC_AUTH_REALM
        if intent.allow_cidrs:
            # No annotation for this in F5 (its Policy resource needs the custom resources we keep
            # off); the client address is the real one, taken from proxy protocol.
            location_snippets += [f"allow {cidr};" for cidr in intent.allow_cidrs] + ["deny all;"]
        if intent.max_body_size is not None:
            annotations["nginx.org/client-max-body-size"] = intent.max_body_size
        if intent.https_backend is not None:
            # The Services this Ingress reaches over TLS, by name (nginx.org/ssl-services).
            annotations["nginx.org/ssl-services"] = intent.https_backend
        if intent.backend_tls is not None and intent.backend_tls.server_name is not None:
            # SNI towards the backend: the template sets proxy_ssl_name only for NGINX Service Mesh and external
            # auth locations (nginx.ingress.tmpl), so the location's own directives come from a snippet.
            location_snippets += ["proxy_ssl_server_name on;", f"proxy_ssl_name {intent.backend_tls.server_name};"]
        # `exact_paths` needs no annotation: F5 turns `pathType: Exact` into `= /p` itself (internal/configs/
        # ingress.go generateIngressPath). `nginx.org/path-regex: exact` on top would make `location = "= /p"`
        # (version1/template_helper.go makeLocationPath applies it to that path), which no request matches.
        if location_snippets:
            annotations["nginx.org/location-snippets"] = "\n".join(location_snippets)
        return annotations

    def admission_policies(self, spec: ControllerSpec) -> list[dict[str, Any]]:
        """The edge's guard against Ingresses that would turn its app port TLS (`tls_admission_policy`)."""
        return tls_admission_policy(spec)

    def htpasswd_line(self, user: str, bcrypt_hash: str) -> str:
        """`user:$2y$...`: nginx's auth_basic checks bcrypt with the image's crypt() (Debian libxcrypt)."""
        return bcrypt_line(user, bcrypt_hash)


INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def class_expression() -> str:
    """CEL: the class F5 gives an Ingress: the annotation when set and not empty, else `spec.ingressClassName`
    (internal/k8s/controller.go `HasCorrectIngressClass` at v5.5.4: "the annotation takes precedence")."""
    annotations = "object.metadata.annotations"
    return (f"(has({annotations}) && '{INGRESS_CLASS_ANNOTATION}' in {annotations} && "
            f"{annotations}['{INGRESS_CLASS_ANNOTATION}'] != '' ? {annotations}['{INGRESS_CLASS_ANNOTATION}'] : "
            "(has(object.spec.ingressClassName) ? object.spec.ingressClassName : ''))")


def tls_admission_policy(spec: ControllerSpec) -> list[dict[str, Any]]:
    """A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, Kubernetes 1.30+) and its binding: the API
    server refuses an Ingress of this edge's class with `spec.tls`: F5 would give its server SSL listeners
    (`nginx.org/listen-ports-ssl` alone adds none: the template emits SSL ports only for an SSL server), which
    would make the app port TLS for every host (`APP_PORT`: why).

    TLS ends at the NLB, with the zone's certificate, so such an Ingress could not serve TLS of its own here
    anyway. It applies when an Ingress is created or changed; one that exists already is not removed.
    """
    name = f"gangplank-{spec.ingress_class}-no-tls"
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "gangplank",
                                              INGRESS_EDGE_LABEL: spec.instance}},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": ["networking.k8s.io"], "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"], "resources": ["ingresses"]}]},
            "matchConditions": [{"name": "edge-class",
                                 "expression": f"{class_expression()} == '{spec.ingress_class}'"}],
            "validations": [
                {"expression": "!has(object.spec.tls) || size(object.spec.tls) == 0",
                 "message": f"Ingresses of class {spec.ingress_class} must not have spec.tls: TLS ends at the load "
                            "balancer, and an SSL listener on the controller's app port would turn it TLS for "
                            "every app of the edge (gangplank)",
                 "reason": "Forbidden"},
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": dict(policy["metadata"]["labels"])},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }
    return [policy, binding]


def app_listener_snippet() -> str:
    """ConfigMap `server-snippets`: every Ingress's server also listens on the app port (APP_PORT: why).

    With `proxy_protocol`, as the template's own listeners have it (ConfigMap `proxy-protocol`); the IPv6
    line mirrors the template, which adds `[::]` listeners unless `controller.disableIPV6` (not set here).
    """
    return f"listen {APP_PORT} proxy_protocol;\nlisten [::]:{APP_PORT} proxy_protocol;"


