"""Dashboard: Forecastle, the stack's page of bookmarks to every app.

Forecastle lists the Ingresses that carry its annotations (ExposedApp adds them). It is
exposed like any private app, through an ExposedApp of its own, so it gets the same Ingress,
DNS record and TLS as the apps it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.apps.exposure import expose_apps
from components.flavors import get_flavor, is_gateway
from components.inputs.catalog.models import DASHBOARD_APP_NAME, App
from components.inputs.catalog.resolved import ResolvedApp, resolve_app
from components.inputs.settings import Settings
from components.platform.platform import EdgeTarget

CHART_REPO = "https://stakater.github.io/stakater-charts"
CHART = "forecastle"
# Forecastle publishes its chart with the app's version.
DEFAULT_CHART_VERSION = "v1.0.159"
NAME = DASHBOARD_APP_NAME
NAMESPACE = "forecastle"


def instance_name(stack: str) -> str:
    """Forecastle lists only Ingresses annotated with its instance: one dashboard per stack."""
    return f"gangplank-{stack}"


def dashboard_app(settings: Settings, stack: str) -> ResolvedApp:
    """The dashboard as a private app on the stack's dashboard host."""
    app = App.model_validate({
        "name": NAME,
        "namespace": NAMESPACE,
        "visibility": "private",
        "host": settings.dashboard_host,
        "service": {"name": NAME, "port": 80},
        "dashboard": {"name": "Dashboard", "group": "Platform"},
    })
    return resolve_app(app, settings, stack)


def chart_values(stack: str, crd_apps: bool = False) -> dict[str, Any]:
    """Forecastle watches every namespace, for this stack's instance only; its Ingress is ours.

    Its objects land in the release namespace (`NAMESPACE`): the chart's templates read a top-level
    `namespace` value or `.Release.Namespace`, never `forecastle.namespace` (deployments/kubernetes/chart/
    forecastle/templates at v1.0.159), so that key is not set.

    `crd_apps`: some edge serves apps through Gateway API routes, which carry no annotations; their bookmarks
    are ForecastleApp objects, which Forecastle lists only with `crdEnabled` (pkg/handlers/appsHandler.go at
    v1.0.159: the flag's zero value, false, applies when the config leaves it out).
    """
    values: dict[str, Any] = {
        "forecastle": {
            "deployment": {"replicas": 2},
            "config": {
                "namespaceSelector": {"any": True},
                "title": f"Apps ({stack})",
                "instanceName": instance_name(stack),
            },
            "ingress": {"enabled": False},
        },
    }
    if crd_apps:
        values["forecastle"]["config"]["crdEnabled"] = True
    return values


def lists_crd_apps(settings: Settings) -> bool:
    """Whether any edge of the stack is a Gateway API edge (its apps' bookmarks are ForecastleApps)."""
    return any(is_gateway(get_flavor(settings.flavor_of(edge))) for edge in settings.all_edges())


@dataclass(frozen=True)
class DashboardArgs:
    """Inputs of the dashboard."""

    settings: Settings
    """The stack's settings (dashboard host, private domain)."""
    stack: str
    """The stack name; also names the Forecastle instance."""
    targets: dict[str, EdgeTarget]
    """The stack's edges; the dashboard is on `private`."""
    chart_version: str = DEFAULT_CHART_VERSION
    """Forecastle chart version."""


class Dashboard(pulumi.ComponentResource):
    """Forecastle installed with Helm and exposed on the private controller."""

    url: str

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:apps:Dashboard", name, None, opts)
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", metadata={"name": NAMESPACE},
                                          opts=pulumi.ResourceOptions(parent=self))
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=NAME,
            namespace=NAMESPACE,
            chart=CHART,
            version=args.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            values=chart_values(args.stack, lists_crd_apps(args.settings)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        app = dashboard_app(args.settings, args.stack)
        self.url = app.url
        expose_apps([app], args.targets, args.stack, instance_name(args.stack), parent=self, depends_on=[release])
        self.register_outputs({"url": self.url})
