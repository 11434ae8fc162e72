"""The Kubernetes objects of an app, as pure functions of the resolved app: its Ingresses (annotated for its intent;
the first carries the Forecastle bookmark), and the Deployment and Service of an app (or canary) that ships an image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.apps.intent import app_intent, backend, merge_role
from components.apps.routing import HostShare, IngressUnit
from components.apps.shaping import SERVICE_PORT_NAME, canary_backend, health_port_by_name
from components.flavors.traffic import INGRESS_EDGE_LABEL
from components.inputs.catalog.models import Deploy
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.shaping import CANARY_SUFFIX
from components.platform.platform import EdgeTarget

MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}
# Requests let the scheduler place pods sensibly; the memory limit stops one app starving a node.
CONTAINER_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


def labels(app: ResolvedApp) -> dict[str, str]:
    return {"app.kubernetes.io/name": app.name, **MANAGED_BY}


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
