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

The decisions are pure functions beside it: `intent.py` (what the app asks of its controller), `manifests.py` (its
Ingresses, Deployment and Service), `monitors.py` (its monitors' arguments), `inventory.py` (its entry in the
stack's outputs); this module wires them to resources.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.apps.basic_auth import Placement, htpasswd_file, htpasswd_secrets
from components.apps.host import Host
from components.apps.intent import app_intent, backend
from components.apps.inventory import inventory
from components.apps.manifests import deployment_manifest, ingress_manifest, labels, service_manifest
from components.apps.monitors import monitor_args, move_monitor_args
from components.apps.routes import forecastle_app_manifest, route_objects
from components.apps.routing import HostShare, IngressUnit
from components.apps.shaping import canary_backend
from components.flavors import AnyFlavor, is_gateway
from components.flavors.gateway_api import BackendRef
from components.inputs.catalog.models import MONITOR_USER
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.shaping import CANARY_SUFFIX
from components.platform.gateway_controller import custom_resource
from components.platform.platform import EdgeTarget
from components.uptimerobot.monitor import Monitor

PASSWORD_LENGTH = 24


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
