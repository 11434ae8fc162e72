"""ExposedApp: one apps.yaml entry becomes everything it takes to reach the app.

Per app: an Ingress on its visibility's controller (flavor annotations for its intent,
Forecastle bookmark annotations), a Deployment and Service when it ships an image, an
htpasswd Secret with generated passwords when it asks for basic auth, and an UptimeRobot
monitor when it is public. Per host (declared by the host's first app): the Route53 alias
records, their ExternalDNS ownership markers, and, for flavors that merge Ingresses through
a master, the master Ingress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.apps.dns import (
    HostShare,
    host_resource_name,
    ownership_record_name,
    ownership_value,
    record_types,
)
from components.flavors.traffic import AppIntent, Flavor, RateLimitIntent
from components.inputs.catalog import ResolvedApp
from components.uptimerobot.monitor import Monitor, MonitorArgs, ownership_tags

MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}
PASSWORD_LENGTH = 24
# Requests let the scheduler place pods sensibly; the memory limit stops one app starving a node.
CONTAINER_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


@dataclass(frozen=True)
class AppTarget:
    """What an app needs to know about the platform it is exposed on."""

    flavor: Flavor
    """The controllers' flavor (annotations, htpasswd format, how shared hosts merge)."""
    ingress_class: str
    """IngressClass of the app's visibility's controller."""
    zone_id: pulumi.Input[str]
    """Hosted zone of the app's visibility."""
    lb_hostname: pulumi.Input[str]
    """DNS name of the controller's NLB (alias target)."""
    lb_zone_id: pulumi.Input[str]
    """Canonical hosted zone id of NLBs in the region (alias target zone)."""
    dualstack: bool
    """The NLB has IPv6 addresses: publish AAAA as well."""


@dataclass(frozen=True)
class ExposedAppArgs:
    """Inputs of one exposed app."""

    app: ResolvedApp
    """The catalogue entry with defaults filled."""
    target: AppTarget
    """The controller and zone the app is exposed on."""
    host_share: HostShare
    """The apps on the same host; the first declares the host's DNS records."""
    stack: str
    """The stack (environment) name."""
    dashboard_instance: str
    """Forecastle instance name that lists the app."""
    monitor_alert_contact_ids: tuple[int, ...] = ()
    """UptimeRobot alert contacts of the monitor."""


# -- decisions (pure) --------------------------------------------------------------------


def labels(app: ResolvedApp) -> dict[str, str]:
    return {"app.kubernetes.io/name": app.name, **MANAGED_BY}


def backend(app: ResolvedApp) -> tuple[str, int]:
    """The Service and port the Ingress routes to."""
    if app.app.service is not None:
        return app.app.service.name, app.app.service.port
    assert app.app.deploy is not None  # the catalogue guarantees exactly one of the two
    return app.name, app.app.deploy.port


def basic_auth_secret_name(app: ResolvedApp) -> str | None:
    return f"{app.name}-basic-auth" if app.app.auth is not None else None


def merge_role(flavor: Flavor, share: HostShare) -> str | None:
    """A minion when the flavor joins a shared host's Ingresses through a master."""
    return "minion" if share.shared and flavor.shared_host_mode == "mergeable" else None


def app_intent(app: ResolvedApp, role: str | None) -> AppIntent:
    """What the app asks of the controller, in the flavor's neutral terms."""
    limit = app.app.rate_limit
    return AppIntent(
        visibility=app.app.visibility,
        https_redirect=True,
        hsts=app.app.visibility == "public",
        rate_limit=RateLimitIntent(limit.rps, limit.burst, limit.connections) if limit else None,
        basic_auth_secret=basic_auth_secret_name(app),
        allow_cidrs=list(app.app.allow_cidrs),
        max_body_size=app.app.max_body_size,
        merge_role=role,  # type: ignore[arg-type]
    )


def master_intent(app: ResolvedApp) -> AppIntent:
    """The host-wide part of a shared host's intent (the master carries no app's limits)."""
    return AppIntent(visibility=app.app.visibility, https_redirect=True, hsts=app.app.visibility == "public",
                     rate_limit=None, basic_auth_secret=None, allow_cidrs=[], max_body_size=None,
                     merge_role="master")


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


def ingress_manifest(app: ResolvedApp, target: AppTarget, share: HostShare, instance: str) -> dict[str, Any]:
    """The app's Ingress: its host and paths on its visibility's class, annotated for its intent."""
    service, port = backend(app)
    annotations = {
        **target.flavor.ingress_annotations(app_intent(app, merge_role(target.flavor, share))),
        **forecastle_annotations(app, instance),
    }
    paths = [{"path": path, "pathType": "Prefix",
              "backend": {"service": {"name": service, "port": {"number": port}}}} for path in app.app.paths]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app),
                     "annotations": annotations},
        "spec": {"ingressClassName": target.ingress_class,
                 "rules": [{"host": app.host, "http": {"paths": paths}}]},
    }


def master_ingress_manifest(app: ResolvedApp, target: AppTarget) -> dict[str, Any]:
    """The master of a shared host (mergeable flavors): the host, no paths; minions bring the paths."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": app.host, "namespace": app.namespace, "labels": MANAGED_BY,
                     "annotations": target.flavor.ingress_annotations(master_intent(app))},
        "spec": {"ingressClassName": target.ingress_class, "rules": [{"host": app.host}]},
    }


def deployment_manifest(app: ResolvedApp) -> dict[str, Any]:
    """A Deployment for an app that ships an image, probed on its health path."""
    deploy = app.app.deploy
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
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app)},
        "spec": {
            "replicas": deploy.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app.name}},
            "template": {"metadata": {"labels": labels(app)},
                         "spec": {"containers": [container],
                                  "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}},
        },
    }


def service_manifest(app: ResolvedApp) -> dict[str, Any]:
    """The ClusterIP Service in front of a deployed app (no load balancer of its own)."""
    _, port = backend(app)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app.name, "namespace": app.namespace, "labels": labels(app)},
        "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": app.name},
                 "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]},
    }


def monitor_args(app: ResolvedApp, stack: str, alert_contact_ids: tuple[int, ...]) -> MonitorArgs:
    """The app's UptimeRobot monitor: its health URL over HTTPS, tagged as owned by this stack."""
    keyword = app.app.monitor.keyword
    return MonitorArgs(
        friendly_name=f"{app.name} ({stack})",
        url=app.health_url,
        type=app.app.monitor.type,
        interval=app.monitor_interval,
        keyword_type="ALERT_NOT_EXISTS" if keyword else None,
        keyword_value=keyword,
        alert_contact_ids=list(alert_contact_ids),
        tags=ownership_tags(stack),
    )


def _k8s_args(manifest: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}


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
        app, target, share = args.app, args.target, args.host_share
        child = pulumi.ResourceOptions(parent=self)
        self.url = app.url

        depends: list[pulumi.Resource] = []
        if app.app.deploy is not None:
            depends.append(k8s.apps.v1.Deployment(f"{name}-deployment", **_k8s_args(deployment_manifest(app)),
                                                  opts=child))
            depends.append(k8s.core.v1.Service(f"{name}-service", **_k8s_args(service_manifest(app)), opts=child))

        self.passwords = None
        if app.app.auth is not None:
            depends.append(self._basic_auth(name, app, target.flavor))

        ingress = k8s.networking.v1.Ingress(
            f"{name}-ingress", **_k8s_args(ingress_manifest(app, target, share, args.dashboard_instance)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        if share.owner == app.name:
            self._host_records(app, target, share, args.stack)

        self.monitor_id = None
        if app.monitored:
            monitor = Monitor(f"{name}-monitor", monitor_args(app, args.stack, args.monitor_alert_contact_ids),
                              opts=pulumi.ResourceOptions(parent=self, depends_on=[ingress]))
            self.monitor_id = monitor.monitor_id

        self.inventory = {
            "visibility": app.visibility,
            "url": app.url,
            "host": app.host,
            "paths": list(app.app.paths),
            "namespace": app.namespace,
            "ingressClass": target.ingress_class,
            "dnsRecord": app.host,
            "zone": app.zone_domain,
            "monitored": app.monitored,
            "monitorId": self.monitor_id,
            "dashboardName": app.dashboard_name,
            "dashboardGroup": app.dashboard_group,
            "basicAuthUsers": list(app.app.auth.basic.users) if app.app.auth else [],
        }
        self.register_outputs({"url": self.url, "monitor_id": self.monitor_id, "passwords": self.passwords})

    def _basic_auth(self, name: str, app: ResolvedApp, flavor: Flavor) -> k8s.core.v1.Secret:
        """One generated password per user, bcrypt-hashed by the random provider into an htpasswd Secret.

        The provider keeps the hash in state, so the Secret does not change on every run as a
        freshly salted hash would.
        """
        assert app.app.auth is not None
        users = list(app.app.auth.basic.users)
        passwords = {
            user: random.RandomPassword(f"{name}-password-{user}", length=PASSWORD_LENGTH, special=False,
                                        opts=pulumi.ResourceOptions(parent=self))
            for user in users
        }
        htpasswd = pulumi.Output.all(*(passwords[user].bcrypt_hash for user in users)).apply(
            lambda hashes: "".join(flavor.htpasswd_line(user, digest) + "\n"
                                   for user, digest in zip(users, hashes, strict=True))
        )
        self.passwords = pulumi.Output.secret({user: password.result for user, password in passwords.items()})
        return k8s.core.v1.Secret(
            f"{name}-htpasswd",
            metadata={"name": basic_auth_secret_name(app), "namespace": app.namespace, "labels": labels(app)},
            type=flavor.htpasswd.secret_type,
            string_data={flavor.htpasswd.key: pulumi.Output.secret(htpasswd)},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _host_records(self, app: ResolvedApp, target: AppTarget, share: HostShare, stack: str) -> None:
        """The host's alias records, their ownership markers and, if needed, the master Ingress."""
        stem = host_resource_name(share.host)
        child = pulumi.ResourceOptions(parent=self)
        if share.shared and target.flavor.shared_host_mode == "mergeable":
            k8s.networking.v1.Ingress(f"{stem}-master", **_k8s_args(master_ingress_manifest(app, target)),
                                      opts=child)
        for record_type in record_types(target.dualstack):
            aws.route53.Record(
                f"{stem}-{record_type.lower()}",
                zone_id=target.zone_id,
                name=app.host,
                type=record_type,
                aliases=[aws.route53.RecordAliasArgs(name=target.lb_hostname, zone_id=target.lb_zone_id,
                                                     evaluate_target_health=True)],
                opts=child,
            )
            aws.route53.Record(
                f"{stem}-{record_type.lower()}-owner",
                zone_id=target.zone_id,
                name=ownership_record_name(record_type, app.host),
                type="TXT",
                ttl=300,
                records=[ownership_value(stack, f"ingress/{app.namespace}/{app.name}")],
                opts=child,
            )
