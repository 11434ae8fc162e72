"""Platform: what one stack builds once and every app shares.

Two hosted zones, one certificate per zone, and one ingress controller per edge (`public`,
`private`, and any in `gangplank:edges`), each behind its own NLB. 100 apps cost these
resources once, not 100 times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.flavors import AnyFlavor, get_flavor, is_gateway
from components.flavors.gateway_api import GatewayRef
from components.inputs.problems import Problem
from components.inputs.settings import BUILT_IN_EDGES, Settings, stack_file_name
from components.platform.certificates import Certificates, CertificatesArgs
from components.platform.gateway_controller import GatewayController, GatewayControllerArgs
from components.platform.ingress_controller import (
    IngressController,
    IngressControllerArgs,
    Subnet,
    controller_service_id,
    read_nlb_subnets,
    subnet_problems,
)
from components.platform.zones import Zones, ZonesArgs


@dataclass(frozen=True)
class PlatformArgs:
    """Inputs of the shared platform."""

    settings: Settings
    """The stack's validated settings."""
    stack: str
    """The stack (environment) name."""
    subnets: Mapping[str, Sequence[Subnet]]
    """Visibility -> the subnets its NLBs go in (`read_edge_subnets`, checked before anything is declared)."""
    backend_api_edges: frozenset[str] = frozenset()
    """Gateway API edges whose controller reads implementation backend objects (`exposed_app.backend_api_edges`)."""


@dataclass(frozen=True)
class EdgeTarget:
    """What an app or host needs to know about one edge to be served by it."""

    edge: str
    """The edge's name."""
    flavor: AnyFlavor
    """The edge's flavor (annotations or routes and policies, htpasswd format, how shared hosts merge)."""
    ingress_class: str
    """IngressClass of the edge's controller (on a Gateway API edge: its GatewayClass)."""
    zone_id: pulumi.Input[str]
    """Hosted zone the edge's hosts get their records in."""
    lb_hostname: pulumi.Input[str]
    """DNS name of the edge's NLB (alias target)."""
    lb_zone_id: pulumi.Input[str]
    """Canonical hosted zone id of NLBs in the region (alias target zone)."""
    ipv6_clients: bool
    """IPv6 clients can reach the edge's NLB (it is dualstack and its security group admits IPv6 sources):
    publish AAAA as well. Otherwise a client that prefers IPv6 would wait for a timeout before falling back."""
    controllers_ready: tuple[pulumi.Resource, ...]
    """Every controller release of the stack: an Ingress waits for all of them (their admission webhooks
    judge Ingresses cluster-wide, and a controller must exist before the Ingress await can pass)."""
    controller_service: str = ""
    """`<namespace>/<name>` of the controller's LoadBalancer Service (what a wildcard's ownership marker names)."""
    wildcard_records: tuple[pulumi.Resource, ...] = ()
    """The alias records of its zone's `*.<zone>` wildcard when they point at this edge (`gangplank:dnsRecords:
    wildcard`): its one-label hosts need no records of their own. Empty: every host has its own."""
    gateway: GatewayRef | None = None
    """On a Gateway API edge, the Gateway (and listener) app routes attach to; None on an Ingress edge."""


def read_edge_subnets(settings: Settings) -> dict[str, list[Subnet]]:
    """Where the AWS Load Balancer Controller will place each scheme's NLB, read before anything is
    declared: without tagged subnets (or, dualstack, without IPv6 in them) it would refuse the
    Services after the whole platform was built (`edge_subnet_problems` says so first)."""
    visibilities = sorted({edge.visibility for edge in settings.all_edges().values()})
    return {visibility: read_nlb_subnets(settings.vpc_id, visibility, pulumi.InvokeOptions())
            for visibility in visibilities}


def edge_subnet_problems(settings: Settings, subnets: Mapping[str, Sequence[Subnet]], stack: str) -> list[Problem]:
    """What keeps the LBC from placing the edges' load balancers, as problems of the stack's config."""
    return subnet_problems(list(settings.all_edges().values()), {v: list(s) for v, s in subnets.items()},
                           settings.vpc_id, settings.dualstack, stack_file_name(stack), settings.cluster_name)


Controller = IngressController | GatewayController


class Platform(pulumi.ComponentResource):
    """Zones, certificates and the ingress controllers of one stack."""

    flavor: AnyFlavor
    zones: Zones
    certificates: Certificates
    controllers: dict[str, Controller]
    """Edge name -> its controller."""
    targets: dict[str, EdgeTarget]
    """Edge name -> what apps and hosts need to be served by it."""
    summary: dict[str, object]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:platform:Platform", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.flavor = get_flavor(settings.flavor)
        edges = list(settings.all_edges().values())
        subnets = args.subnets
        self.zones = Zones(f"{name}-zones", ZonesArgs(
            public_domain=settings.public_domain,
            private_domain=str(settings.private_domain),
            vpc_id=settings.vpc_id,
            stack=args.stack,
            public_zone_id=settings.public_zone_id,
            private_zone_id=settings.private_zone_id,
            parent_zone_id=settings.parent_zone_id,
            parent_zone_role_arn=settings.parent_zone_role_arn,
            public_zone_delegated=settings.public_zone_delegated,
        ), child)
        self.certificates = Certificates(f"{name}-certificates", CertificatesArgs(
            domains={visibility: settings.domain_for(visibility) for visibility in BUILT_IN_EDGES},
            validation_zone_id=self.zones.public_zone_id,
            resolvable_after=self.zones.delegation,
        ), child)
        flavors = {edge.name: get_flavor(settings.flavor_of(edge.name)) for edge in edges}
        self.controllers = {}
        for edge in edges:
            flavor = flavors[edge.name]
            common = dict(edge=edge, chart_version=settings.controller_chart_version, vpc_id=settings.vpc_id,
                          certificate_arn=self.certificates.arns[edge.visibility],
                          subnets=tuple(subnets[edge.visibility]), replicas=settings.controller_replicas,
                          dualstack=settings.dualstack, cluster_name=settings.cluster_name)
            if is_gateway(flavor):
                self.controllers[edge.name] = GatewayController(
                    f"{name}-{edge.name}-gateway", GatewayControllerArgs(
                        flavor=flavor, backend_api=edge.name in args.backend_api_edges, **common),  # type: ignore[arg-type]
                    child)
            else:
                self.controllers[edge.name] = IngressController(
                    f"{name}-{edge.name}", IngressControllerArgs(flavor=flavor, **common), child)  # type: ignore[arg-type]
        chart = self.flavor.chart(settings.controller_chart_version)
        self.summary = {
            "flavor": self.flavor.name,
            "controllerChart": f"{chart.chart} {chart.version}",
            "dualstack": settings.dualstack,
            "edges": {edge.name: {"visibility": edge.visibility,
                                  "ingressClass": self.controllers[edge.name].ingress_class,
                                  "allowedCidrs": list(edge.allowed_cidrs),
                                  "trustedProxyCidrs": list(self.controllers[edge.name].spec.trusted_proxy_cidrs),
                                  "ipv6Clients": self.controllers[edge.name].ipv6_clients,
                                  **_gateway_summary(self.controllers[edge.name])}
                      for edge in edges},
        }
        """What a person reading the plan wants to know about the platform (the stack output `platform`)."""
        # An Ingress waits for every Ingress controller (their admission webhooks judge Ingresses cluster-wide); a
        # route waits for its own edge's controller and Gateway.
        releases = tuple(c.release for c in self.controllers.values() if isinstance(c, IngressController))
        self.targets = {
            edge.name: EdgeTarget(
                edge=edge.name,
                flavor=flavors[edge.name],
                ingress_class=self.controllers[edge.name].ingress_class,
                zone_id=self.zones.zone_id(edge.visibility),
                lb_hostname=self.controllers[edge.name].lb_hostname,
                lb_zone_id=self.controllers[edge.name].lb_zone_id,
                ipv6_clients=self.controllers[edge.name].ipv6_clients,
                controllers_ready=_ready(self.controllers[edge.name], releases),
                controller_service=controller_service_id(self.controllers[edge.name].spec, flavors[edge.name]),
                gateway=getattr(self.controllers[edge.name], "gateway", None),
            )
            for edge in edges
        }
        self.register_outputs({
            "public_zone_id": self.zones.public_zone_id,
            "private_zone_id": self.zones.private_zone_id,
            **{f"{edge}_lb_hostname": c.lb_hostname for edge, c in self.controllers.items()},
        })


def _gateway_summary(controller: Controller) -> dict[str, object]:
    """What the plan says of a Gateway API edge besides an Ingress edge's facts: its Gateway."""
    if not isinstance(controller, GatewayController):
        return {}
    return {"gateway": f"{controller.gateway.namespace}/{controller.gateway.name}"}


def _ready(controller: Controller, ingress_releases: tuple[pulumi.Resource, ...]) -> tuple[pulumi.Resource, ...]:
    return controller.ready if isinstance(controller, GatewayController) else ingress_releases
