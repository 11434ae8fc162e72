"""ExposedApp: one apps.yaml entry becomes everything it takes to reach the app.

Per app: an Ingress per edge it is on (flavor annotations for its intent; the first carries the
Forecastle bookmark), or on a Gateway API edge an HTTPRoute with its policies (`routes`); a
Deployment and Service when it ships an image; htpasswd Secrets with generated passwords when it
asks for basic auth (`basic_auth`); and an UptimeRobot monitor when an edge open to everyone serves
it. A monitored app behind an allow-list or basic auth also gets the monitor's own route to its
health path (`routing.needs_health_route`), on every flavor, and behind basic auth the monitor's own
htpasswd Secret, which holds the monitor's login alone: UptimeRobot returns that password to anyone
who can read the account, and it opens nothing but the health path. What belongs to a host (DNS
records, a master Ingress) is a `Host`'s.

While an edge moves to another flavor, the app's Ingresses or routes on it are on both controllers (those on the
new one carry its suffix: `ExposedAppArgs.next_units`), each controller with its own htpasswd Secrets in its
flavor's format, the monitor's health route among them; a monitored app gets a second monitor through the new
controller's NLB (`move_monitor_args`), which logs in with the same monitor login and reaches the same one path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.apps.basic_auth import (
    FlavorKind,
    Placement,
    htpasswd_file,
    htpasswd_secret_name,
    htpasswd_secrets,
)
from components.apps.host import Host, served_by_wildcard, wildcard_name
from components.apps.routes import forecastle_app_manifest, route_objects
from components.apps.routing import HostShare, IngressUnit
from components.apps.shaping import (
    SERVICE_PORT_NAME,
    canary_backend,
    canary_intent,
    canary_summary,
    external_auth_intent,
    health_port_by_name,
    stickiness,
    sticky_intent,
    traffic_split,
)
from components.flavors import AnyFlavor, is_gateway
from components.flavors.gateway_api import BackendRef
from components.flavors.traffic import INGRESS_EDGE_LABEL, AppIntent, BackendTLSIntent, RateLimitIntent
from components.inputs.catalog.models import MONITOR_USER, Deploy
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.shaping import CANARY_SUFFIX
from components.platform.gateway_controller import custom_resource
from components.platform.platform import EdgeTarget
from components.uptimerobot.monitor import Monitor, MonitorArgs, ownership_tags
from components.uptimerobot.probes import probe_cidrs

MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}
PASSWORD_LENGTH = 24
# Requests let the scheduler place pods sensibly; the memory limit stops one app starving a node.
CONTAINER_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


@dataclass(frozen=True)
class ExposedAppArgs:
    """Inputs of one exposed app."""

    app: ResolvedApp
    """The catalogue entry with defaults filled."""
    targets: Mapping[str, EdgeTarget]
    """The edges of the stack by name (the app uses those of its routes)."""
    units: Sequence[IngressUnit]
    """The app's Ingresses (`routing.ingress_units`) on its edges' controllers."""
    shares: Mapping[str, HostShare]
    """Every host with the Ingresses on it: whether the app's Ingress on a host is a minion."""
    hosts: Mapping[str, Host] | None
    """Host components by name: the monitor waits for its host's DNS records (or its zone's wildcard). None: the
    hosts are declared after the app (they wait for its Ingresses on a moving edge's new controller), and
    `ExposedApp.watch` adds the monitors then."""
    stack: str
    """The stack (environment) name."""
    dashboard_instance: str
    """Forecastle instance name that lists the app."""
    next_units: Sequence[IngressUnit] = ()
    """The app's Ingresses on the controllers its edges are moving to (`EdgeTarget.moving_to`), units of the
    moving edges only; empty when none of its edges moves."""


# -- decisions (pure) --------------------------------------------------------------------


def labels(app: ResolvedApp) -> dict[str, str]:
    return {"app.kubernetes.io/name": app.name, **MANAGED_BY}


def backend(app: ResolvedApp) -> tuple[str, int]:
    """The Service and port the Ingress routes to."""
    if app.app.service is not None:
        return app.app.service.name, app.app.service.port
    assert app.app.deploy is not None  # the catalogue guarantees exactly one of the two
    return app.name, app.app.deploy.port


def backend_tls(app: ResolvedApp) -> BackendTLSIntent | None:
    """The app's `tls` settings towards its HTTPS backend, if it has any."""
    backend_spec = app.app.service or app.app.deploy
    tls = backend_spec.tls if backend_spec is not None else None
    if tls is None:
        return None
    return BackendTLSIntent(namespace=app.namespace, verify=tls.verify, server_name=tls.server_name,
                            ca_secret=tls.ca_secret)


def https_backend(app: ResolvedApp) -> str | None:
    """The Service name when the backend speaks HTTPS (the flavor then connects with TLS)."""
    backend_spec = app.app.service or app.app.deploy
    if backend_spec is None or backend_spec.protocol != "HTTPS":
        return None
    return backend(app)[0]


def merge_role(flavor: AnyFlavor, unit: IngressUnit, shares: Mapping[str, HostShare]) -> str | None:
    """A minion when the flavor joins a shared host's Ingresses through a master."""
    return "minion" if any(shares[host].needs_master(flavor) for host in unit.hosts if host in shares) else None


def app_intent(app: ResolvedApp, visibility: str, role: str | None, health: bool = False,
               kind: FlavorKind = "ingress", suffix: str = "") -> AppIntent:
    """What the app asks of the controller, in the flavor's neutral terms (`kind`: of the controller's flavor, and
    `suffix`: the controller's, `EdgeTarget.suffix`; together they name the htpasswd Secret basic auth reads in its
    flavor's format: `basic_auth`).

    `health`: the intent of the monitor's own route to the health path: it also admits UptimeRobot's probe
    addresses through the app's allow-list, and behind basic auth it takes the monitor's login alone (the
    app's own allow-list and users still apply everywhere else); it skips the external auth service (the
    monitor cannot sign in there) and reaches the app's own backend (no canary) without a sticky cookie.
    """
    limit = app.app.rate_limit
    allowed = list(app.app.allow_cidrs) + (list(probe_cidrs()) if health and app.app.allow_cidrs else [])
    return AppIntent(
        visibility=visibility,  # type: ignore[arg-type]
        https_redirect=True,
        hsts=visibility == "public",
        rate_limit=RateLimitIntent(limit.rps, limit.burst, limit.connections) if limit else None,
        basic_auth_secret=htpasswd_secret_name(app, kind, monitor=health, suffix=suffix)
        if app.app.basic_auth is not None else None,
        allow_cidrs=allowed,
        max_body_size=app.app.max_body_size,
        merge_role=role,  # type: ignore[arg-type]
        https_backend=https_backend(app),
        exact_paths=health,
        backend_tls=backend_tls(app),
        canary=None if health else canary_intent(app),
        sticky=None if health else sticky_intent(app),
        external_auth=None if health else external_auth_intent(app),
    )



def forecastle_annotations(app: ResolvedApp, instance: str) -> dict[str, str]:
    """The app's bookmark on the Forecastle dashboard."""
    annotations = {
        "forecastle.stakater.com/expose": "true",
        "forecastle.stakater.com/appName": app.dashboard_name,
        "forecastle.stakater.com/group": app.dashboard_group,
        "forecastle.stakater.com/instance": instance,
        "forecastle.stakater.com/url": app.url,
    }
    if app.app.dashboard.icon:
        annotations["forecastle.stakater.com/icon"] = app.app.dashboard.icon
    return annotations


def ingress_manifest(app: ResolvedApp, unit: IngressUnit, target: EdgeTarget, visibility: str,
                     shares: Mapping[str, HostShare], instance: str, canary: bool = False) -> dict[str, Any]:
    """One of the app's Ingresses: its hosts and paths on a controller's class, annotated for its intent.

    `target` is the controller (`platform.serving`): the Ingress's name carries its suffix. `canary`: the unit's
    canary Ingress instead (a flavor that splits with a second Ingress: ingress-nginx), named `<unit>-canary`,
    with the same hosts and paths and the canary's backend."""
    role = merge_role(target.flavor, unit, shares)
    intent = app_intent(app, visibility, role, health=unit.health, kind=target.flavor.kind, suffix=target.suffix)
    if canary:
        canary_ref = canary_backend(app)
        assert canary_ref is not None and not unit.health
        service, port = canary_ref
        annotations = target.flavor.canary_ingress_annotations(intent)
    else:
        service, port = backend(app)
        annotations = target.flavor.ingress_annotations(intent)
    if unit.first and not canary:
        annotations = {**annotations, **forecastle_annotations(app, instance)}
    # The health-path Ingress routes that one path, exactly: nothing else of the app opens to the probes.
    routes = [(app.app.health_path, "Exact")] if unit.health else [(path, "Prefix") for path in app.app.paths]
    service_port: dict[str, Any] = {"number": port}
    if unit.health and health_port_by_name(app, target.flavor):
        service_port = {"name": SERVICE_PORT_NAME}
    paths = [{"path": path, "pathType": path_type,
              "backend": {"service": {"name": service, "port": service_port}}} for path, path_type in routes]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": f"{unit.name}{target.suffix}{CANARY_SUFFIX if canary else ''}", "namespace": app.namespace,
                     "labels": {**labels(app), INGRESS_EDGE_LABEL: target.instance}, "annotations": annotations},
        "spec": {"ingressClassName": target.ingress_class,
                 "rules": [{"host": host, "http": {"paths": paths}} for host in unit.hosts]},
    }


def deployment_manifest(app: ResolvedApp, canary: bool = False) -> dict[str, Any]:
    """A Deployment for an app that ships an image, probed on its health path (`canary`: the app's deployed canary,
    `<app>-canary`, whose pods only the canary's Service selects)."""
    deploy: Deploy | None = app.app.deploy
    name, pod_labels = app.name, labels(app)
    if canary:
        assert app.app.canary is not None
        deploy, name, pod_labels = app.app.canary.deploy, app.name + CANARY_SUFFIX, canary_labels(app)
    assert deploy is not None
    probe = {"httpGet": {"path": app.app.health_path, "port": "http"}, "periodSeconds": 10}
    container = {
        "name": "app",
        "image": deploy.image,
        "ports": [{"name": "http", "containerPort": deploy.port}],
        "readinessProbe": {**probe, "initialDelaySeconds": 2, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 15, "failureThreshold": 6},
        "resources": CONTAINER_RESOURCES,
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": app.namespace, "labels": pod_labels},
        "spec": {
            "replicas": deploy.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": {"labels": pod_labels},
                         "spec": {"containers": [container],
                                  "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}},
        },
    }


def canary_labels(app: ResolvedApp) -> dict[str, str]:
    """A deployed canary's labels: a name of its own, so the app's Service never selects its pods."""
    return {"app.kubernetes.io/name": app.name + CANARY_SUFFIX, "app.kubernetes.io/part-of": app.name, **MANAGED_BY}


def service_manifest(app: ResolvedApp, canary: bool = False) -> dict[str, Any]:
    """The ClusterIP Service in front of a deployed app, or of its deployed canary (no load balancer of its own)."""
    name, port = (canary_backend(app) if canary else backend(app)) or backend(app)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": app.namespace,
                     "labels": canary_labels(app) if canary else labels(app)},
        "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": name},
                 "ports": [{"name": SERVICE_PORT_NAME, "port": port, "targetPort": "http", "protocol": "TCP"}]},
    }


def monitor_args(app: ResolvedApp, stack: str, password: pulumi.Input[str] | None = None) -> MonitorArgs:
    """The app's UptimeRobot monitor: its health URL over HTTPS, tagged as owned by this stack.

    `password`: the monitor's own basic-auth password, for an app behind basic auth.
    """
    keyword = app.app.monitor.keyword
    return MonitorArgs(
        http_username=MONITOR_USER if password is not None else None,
        http_password=password,
        friendly_name=f"{app.name} ({stack})",
        url=app.health_url,
        type=app.app.monitor.type,
        interval=app.monitor_interval,
        keyword_type="ALERT_NOT_EXISTS" if keyword else None,
        keyword_value=keyword,
        alert_contact_ids=list(app.monitor_alert_contact_ids),
        tags=ownership_tags(stack),
    )


def move_monitor_args(app: ResolvedApp, stack: str, target: EdgeTarget,
                      password: pulumi.Input[str] | None = None) -> MonitorArgs:
    """The second monitor of an app on a moving edge: its health path through the NLB of the controller the edge
    moves to (`target`), whatever the weights.

    UptimeRobot probes a URL; the URL names the new NLB by its own DNS name, and the app's host goes in the
    `Host` header (`customHttpHeaders`, API v3), which is what nginx routes by (TLS ends at the NLB, so no SNI
    reaches nginx). The NLB's TLS listener has one certificate, the zone's (apex and wildcard), and presents it
    whatever name the client asked for (ELB: "If the hostname provided by a client doesn't match any certificate
    in the certificate list, the load balancer selects the default certificate"); it does not name the NLB, so
    certificate errors are not checked here (`checkSSLErrors: false`): the app's first monitor checks the
    certificate on the app's own name. Were UptimeRobot to send the URL's host instead of the given one, the
    controller would answer 404 from its default server: the monitor fails (a false alarm), it never passes
    falsely.

    `password`: the monitor's own, as for its first monitor: the new controller's health route reads the monitor's
    Secret on that controller (`basic_auth`), which holds that login alone, so it opens the health path there too
    and nothing else.
    """
    path = urlsplit(app.health_url)
    base = monitor_args(app, stack, password)
    url = pulumi.Output.concat("https://", target.lb_hostname, path.path or "/",
                               f"?{path.query}" if path.query else "")
    return dataclasses.replace(base, friendly_name=f"{app.name} via {target.flavor.name} ({stack})", url=url,
                               custom_http_headers={"Host": str(path.hostname)}, check_ssl_errors=False)


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


def _k8s_args(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}


ROUTE_ROLES = {"SecurityPolicy": "security", "BackendTrafficPolicy": "traffic", "Backend": "auth"}
"""Resource name suffix of each policy kind an app route may bring (`<route>-<role>`)."""
BACKEND_ROLES = {"BackendTLSPolicy": "backend-tls", "Backend": "backend"}
"""Resource name suffix of each object that says how a Gateway API edge connects to the app (`<app>-<role>`)."""


# -- the component -----------------------------------------------------------------------


class ExposedApp(pulumi.ComponentResource):
    """Everything that makes one app reachable, observable and listed."""

    url: str
    passwords: pulumi.Output[dict[str, str]] | None
    """Basic-auth user -> generated password (secret), when the app asks for basic auth."""
    monitor_id: pulumi.Output[int] | None
    inventory: dict[str, Any]
    """The app's entry in the stack's `apps` output."""

    def __init__(self, name: str, args: ExposedAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:apps:ExposedApp", name, None, opts)
        app = args.app
        child = pulumi.ResourceOptions(parent=self)
        self.url = app.url

        depends: list[pulumi.Resource] = []
        if app.app.deploy is not None:
            depends.append(k8s.apps.v1.Deployment(f"{name}-deployment", **_k8s_args(deployment_manifest(app)),
                                                  opts=child))
            depends.append(k8s.core.v1.Service(f"{name}-service", **_k8s_args(service_manifest(app)), opts=child))
        if app.app.canary is not None and app.app.canary.deploy is not None:
            depends.append(k8s.apps.v1.Deployment(f"{name}-canary-deployment",
                                                  **_k8s_args(deployment_manifest(app, canary=True)), opts=child))
            depends.append(k8s.core.v1.Service(f"{name}-canary-service",
                                               **_k8s_args(service_manifest(app, canary=True)), opts=child))

        # Each unit on its edge's controller; a unit of a moving edge also on the controller it moves to, as the
        # first is on the current one (`next_units`, computed with that controller's flavor). Never the bookmark.
        placed: list[tuple[IngressUnit, EdgeTarget]] = [(unit, args.targets[unit.edge]) for unit in args.units]
        placed += [(dataclasses.replace(unit, first=False), args.targets[unit.edge].moving_to)  # type: ignore[misc]
                   for unit in args.next_units if args.targets[unit.edge].moving_to is not None]
        routed = [(unit, target) for unit, target in placed if is_gateway(target.flavor)]

        self.passwords = None
        self.monitor_password: pulumi.Output[str] | None = None
        if app.app.basic_auth is not None:
            depends += self._basic_auth(name, app, [Placement(target.flavor, target.suffix, unit.health)
                                                    for unit, target in placed])

        visibility = {route.edge.name: route.edge.visibility for route in app.routes}
        route_backend = self._route_backend(name, app, routed[0][1], depends) if routed else None
        canary_route_backend = (self._route_backend(name, app, routed[0][1], depends, canary=True)
                                if routed and app.app.canary is not None else None)
        ingresses: list[pulumi.Resource] = []
        next_ingresses: list[pulumi.Resource] = []
        self.next_ingresses: dict[str, list[pulumi.Resource]] = {}
        """Host -> the app's Ingresses (or routes) for it on the controllers its edges move to: the host's records
        wait for them before they send any traffic there."""
        for unit, target in placed:
            if is_gateway(target.flavor):
                assert route_backend is not None
                ingress = self._route(app, unit, target, visibility[unit.edge], args, depends, route_backend,
                                      canary_route_backend)
            else:
                ingress = k8s.networking.v1.Ingress(
                    f"{unit.resource_name}{target.suffix}",
                    **_k8s_args(ingress_manifest(app, unit, target, visibility[unit.edge], args.shares,
                                                 args.dashboard_instance)),
                    # Every controller first: admission webhooks judge Ingresses cluster-wide, and the
                    # Ingress await only passes once a controller has taken the Ingress.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[*depends, *target.controllers_ready]),
                )
                if app.app.canary is not None and not unit.health:
                    # After the app's Ingress: ingress-nginx adds a canary only to the locations of an Ingress it has.
                    k8s.networking.v1.Ingress(
                        f"{unit.resource_name}{target.suffix}{CANARY_SUFFIX}",
                        **_k8s_args(ingress_manifest(app, unit, target, visibility[unit.edge], args.shares,
                                                     args.dashboard_instance, canary=True)),
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[*depends, *target.controllers_ready,
                                                                             ingress]))
            if target is args.targets[unit.edge]:
                ingresses.append(ingress)
            else:
                next_ingresses.append(ingress)
                for host in unit.hosts:
                    self.next_ingresses.setdefault(host, []).append(ingress)
        self._args, self._ingresses, self._next_ingress_list = args, ingresses, next_ingresses
        self.monitor_id = None
        if args.hosts is not None:
            self.watch(args.hosts)

    def watch(self, hosts: Mapping[str, Host]) -> None:
        """The app's uptime monitors (after its hosts' DNS records), its inventory, and its outputs registered."""
        args, app, name = self._args, self._args.app, self._args.app.name
        ingresses, next_ingresses = self._ingresses, self._next_ingress_list
        if app.monitored:
            monitor_host = app.health_url.split("/")[2]
            host = hosts.get(monitor_host)
            # After its DNS records: a probe that asks too early caches NXDOMAIN at the resolver. A host
            # without records of its own resolves through its zone's wildcard, which the probe then waits for.
            records = list(host.records) if host is not None else []
            if not records and app.monitor_route is not None:
                records = list(args.targets[app.monitor_route.edge.name].wildcard_records)
            monitor = Monitor(f"{name}-monitor", monitor_args(app, args.stack, self.monitor_password),
                              opts=pulumi.ResourceOptions(parent=self, depends_on=[*ingresses, *records]))
            self.monitor_id = monitor.monitor_id
            moving_to = args.targets[app.monitor_route.edge.name].moving_to if app.monitor_route else None
            if moving_to is not None:
                # Through the NLB of the controller the edge moves to, at every weight (move_monitor_args: what).
                Monitor(f"{name}-monitor-{moving_to.flavor.name}",
                        move_monitor_args(app, args.stack, moving_to, self.monitor_password),
                        opts=pulumi.ResourceOptions(parent=self, depends_on=next_ingresses))

        self.inventory = inventory(app, args.targets, self.monitor_id)
        self.register_outputs({"url": self.url, "monitor_id": self.monitor_id, "passwords": self.passwords})

    def _route_backend(self, name: str, app: ResolvedApp, target: EdgeTarget,
                       depends: list[pulumi.Resource], canary: bool = False) -> BackendRef:
        """Where the app's routes send to, and the objects that say how (once per app: TLS to an HTTPS backend);
        `canary`: the same for its canary (which speaks the app's protocol, with the app's `tls`), its objects
        named `<app>-canary`."""
        service, port = (canary_backend(app) if canary else None) or backend(app)
        intent = app_intent(app, app.visibility, None, kind="gateway")
        own = f"{app.name}{CANARY_SUFFIX}" if canary else app.name
        connection = target.flavor.route_backend(intent, service, port, app.namespace, own, labels(app))
        prefix = f"{name}{CANARY_SUFFIX}" if canary else name
        for manifest in connection.objects:
            depends.append(custom_resource(f"{prefix}-{BACKEND_ROLES[manifest['kind']]}", manifest,
                                           pulumi.ResourceOptions(parent=self)))
        return connection.ref

    def _route(self, app: ResolvedApp, unit: IngressUnit, target: EdgeTarget, visibility: str,
               args: ExposedAppArgs, depends: list[pulumi.Resource], route_backend: BackendRef,
               canary_route_backend: BackendRef | None = None) -> pulumi.Resource:
        """One HTTPRoute of the app on a Gateway API edge, its policies, and (first unit) its bookmark; on the
        controller a moving edge moves to, named with its suffix, as the Secrets it reads."""
        assert target.gateway is not None
        intent = app_intent(app, visibility, None, health=unit.health, kind="gateway", suffix=target.suffix)
        if target.suffix:
            unit = dataclasses.replace(unit, name=f"{unit.name}{target.suffix}",
                                       resource_name=f"{unit.resource_name}{target.suffix}")
        objects = route_objects(app, unit, target.gateway, intent, target.flavor, route_backend, labels(app),
                                canary_route_backend)
        after = pulumi.ResourceOptions(parent=self, depends_on=[*depends, *target.controllers_ready])
        route = custom_resource(unit.resource_name, objects.route, after)
        for policy in objects.policies:
            custom_resource(f"{unit.resource_name}-{ROUTE_ROLES[policy['kind']]}", policy,
                            pulumi.ResourceOptions(parent=self, depends_on=[*depends, *target.controllers_ready]))
        if unit.first:
            custom_resource(f"{app.name}-dashboard", forecastle_app_manifest(app, args.dashboard_instance, labels(app)),
                            pulumi.ResourceOptions(parent=self))
        return route

    def _basic_auth(self, name: str, app: ResolvedApp, placements: Sequence[Placement]) -> list[k8s.core.v1.Secret]:
        """One generated password per user, and one for a monitored app's uptime monitor (`MONITOR_USER`), written
        into the htpasswd Secrets `basic_auth.htpasswd_secrets` decides (the app's users alone; the monitor's login
        alone, named only by its health route) for each controller that serves the app, in its flavor's format
        (two controllers while an edge moves: the same passwords in both).

        nginx reads bcrypt lines, which the random provider hashes and keeps in state, so the Secret does not
        change on every run as a freshly salted hash would; Envoy reads `{SHA}` lines of the password. The
        monitor's password goes to the monitor only, as a secret, and is not among the app's `passwords`.
        """
        assert app.app.basic_auth is not None
        child = pulumi.ResourceOptions(parent=self)
        passwords = {
            user: random.RandomPassword(f"{name}-password-{user}", length=PASSWORD_LENGTH, special=False, opts=child)
            for user in app.app.basic_auth.users
        }
        self.passwords = pulumi.Output.secret({user: password.result for user, password in passwords.items()})
        secrets = htpasswd_secrets(app, placements)
        if any(MONITOR_USER in secret.logins for secret in secrets):
            passwords[MONITOR_USER] = random.RandomPassword(f"{name}-monitor-password", length=PASSWORD_LENGTH,
                                                            special=False, opts=child)
            self.monitor_password = passwords[MONITOR_USER].result
        return [self._htpasswd(secret.resource_name, secret.name, app, secret.flavor,
                               {login: passwords[login] for login in secret.logins}) for secret in secrets]

    def _htpasswd(self, resource: str, secret: str, app: ResolvedApp, flavor: AnyFlavor,
                  passwords: dict[str, random.RandomPassword]) -> k8s.core.v1.Secret:
        """An htpasswd Secret of exactly these logins, in the flavor's format (from bcrypt hashes or the passwords)."""
        logins = tuple(passwords)
        sources = [passwords[user].bcrypt_hash if flavor.htpasswd_from == "bcrypt_hash" else passwords[user].result
                   for user in logins]
        htpasswd = pulumi.Output.all(*sources).apply(lambda values: htpasswd_file(flavor, logins, list(values)))
        return k8s.core.v1.Secret(
            resource,
            metadata={"name": secret, "namespace": app.namespace, "labels": labels(app)},
            type=flavor.htpasswd.secret_type,
            string_data={flavor.htpasswd.key: pulumi.Output.secret(htpasswd)},
            opts=pulumi.ResourceOptions(parent=self),
        )
