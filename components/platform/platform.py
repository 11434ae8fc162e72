"""Platform: what one stack builds once and every app shares.

Two hosted zones, one certificate per zone, and one ingress controller per edge (`public`,
`private`, and any in `gangplank:edges`), each behind its own NLB. 100 apps cost these
resources once, not 100 times. Each edge runs its own flavor (`Settings.flavor_of`); while an edge
moves to another one (`gangplank:edges.<edge>.move`), it runs two controllers and Route53 shares its
traffic between their NLBs by weight (`controllers.py`, `edge_traffic.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.flavors import AnyFlavor, get_flavor, is_gateway
from components.flavors.gateway_api import GatewayRef
from components.inputs.problems import Problem
from components.inputs.settings import BUILT_IN_EDGES, Edge, Settings
from components.inputs.settings_parsing import stack_file_name
from components.platform.certificates import Certificates, CertificatesArgs
from components.platform.controllers import ControllerPlan, stack_controllers
from components.platform.edge_traffic import EdgeTraffic, EdgeTrafficArgs, WeightedTarget, record_types
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
    """What this controller's Ingresses wait for: the releases of the stack's current Ingress controllers (their
    admission webhooks judge Ingresses cluster-wide, and a controller must exist before the Ingress await can
    pass), and for the controller an edge moves to, its own release too; on a Gateway API edge its controller and
    Gateway."""
    controller_service: str = ""
    """`<namespace>/<name>` of the controller's LoadBalancer Service (what a wildcard's ownership marker names)."""
    wildcard_records: tuple[pulumi.Resource, ...] = ()
    """The alias records of its zone's `*.<zone>` wildcard when they point at this edge and are declared in this
    stack: what a monitor on such a host waits for. Empty in an app stack (the platform stack declares them)."""
    zone_wildcard: bool = False
    """Its zone's `*.<zone>` wildcard points at this edge (`gangplank:dnsRecords: wildcard`): its one-label hosts
    need no records of their own. False: every host has its own."""
    suffix: str = ""
    """Appended to the names of what belongs to this controller (an app's Ingresses and htpasswd Secret, a host's
    master Ingress): empty for a controller of the stack's flavor (`components.platform.controllers`)."""
    moving_to: EdgeTarget | None = None
    """While the edge moves to another flavor: the controller it moves to (its flavor, class and NLB). Every app on
    the edge then gets an Ingress on both controllers."""
    move_weight: int | None = None
    """While the edge moves: the share of its new connections, in percent, that go to `moving_to`."""
    dns_name: pulumi.Input[str] | None = None
    """What the edge's hosts' alias records point at, when not the NLB: the edge's weighted record set while it
    moves (`components.platform.edge_traffic`)."""
    dns_zone_id: pulumi.Input[str] | None = None
    """The hosted zone of `dns_name` (the edge's own zone: an alias to a record in the same zone)."""
    dns_ready: tuple[pulumi.Resource, ...] = ()
    """Records the hosts' alias records wait for before they point at `dns_name` (Route53 refuses an alias to a
    name that has no record of its type yet)."""

    gateway: GatewayRef | None = None
    """On a Gateway API edge, the Gateway (and listener) app routes attach to; None on an Ingress edge."""

    @property
    def instance(self) -> str:
        """The controller among its edge's (`ControllerSpec.instance`): its Ingresses' `gangplank/edge` label."""
        return f"{self.edge}{self.suffix}"

    def alias_target(self) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        """(DNS name, hosted zone id) the edge's hosts' alias records point at: its NLB, or its weighted records."""
        if self.dns_name is not None and self.dns_zone_id is not None:
            return self.dns_name, self.dns_zone_id
        return self.lb_hostname, self.lb_zone_id


def serving(target: EdgeTarget) -> tuple[EdgeTarget, ...]:
    """The controllers that serve an edge: its own, and during a move the one it moves to."""
    return (target,) if target.moving_to is None else (target, target.moving_to)


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
    """Zones, certificates and the controllers of one stack: one per edge, two while an edge moves."""

    flavor: AnyFlavor
    zones: Zones
    certificates: Certificates
    controllers: dict[str, Controller]
    """Edge name -> the controller that serves it (while it moves: the one it moves off)."""
    moving_to: dict[str, Controller]
    """Edge name -> the controller it is moving to, for the edges that are moving."""
    traffic: dict[str, EdgeTraffic]
    """Edge name -> its weighted records, for the edges that are moving."""
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
        plans = stack_controllers(settings)
        self.controllers, self.moving_to, self.traffic = {}, {}, {}
        for edge in edges:
            for plan in plans[edge.name]:
                controller = _controller(name, edge, plan, settings, self.certificates, subnets, child)
                (self.moving_to if plan.role == "to" else self.controllers)[edge.name] = controller
        chart = self.flavor.chart(settings.controller_chart_version)
        self.summary = {
            "flavor": self.flavor.name,
            "controllerChart": f"{chart.chart} {chart.version}",
            "dualstack": settings.dualstack,
            "edges": {edge.name: edge_summary(edge, plans[edge.name], self.controllers[edge.name],
                                              self.moving_to.get(edge.name)) for edge in edges},
        }
        """What a person reading the plan wants to know about the platform (the stack output `platform`)."""
        # An Ingress waits for every Ingress controller that may judge it (their admission webhooks judge Ingresses
        # cluster-wide); a route waits for its own edge's controller and Gateway. The controller an edge moves to
        # judges only its own (ingress-nginx's webhook is scoped by the Ingresses' `gangplank/edge` label, its
        # `instance`): its Ingresses wait for every controller, the others do not wait for it (and their plans stay
        # as they were while a move starts).
        releases = tuple(c.release for c in self.controllers.values() if isinstance(c, IngressController))
        every_release = releases + tuple(c.release for c in self.moving_to.values() if isinstance(c, IngressController))
        self.targets = {}
        for edge in edges:
            current, *moving = plans[edge.name]
            target = self._target(edge, current, self.controllers[edge.name], releases)
            if moving:
                [plan] = moving
                nxt = self._target(edge, plan, self.moving_to[edge.name], every_release)
                traffic = EdgeTraffic(f"{name}-{edge.name}-traffic", EdgeTrafficArgs(
                    edge=edge.name,
                    zone_domain=settings.domain_for(edge.visibility),
                    zone_id=self.zones.zone_id(edge.visibility),
                    targets=[WeightedTarget(current, target.lb_hostname, target.lb_zone_id),
                             WeightedTarget(plan, nxt.lb_hostname, nxt.lb_zone_id)],
                    record_types=record_types(target.ipv6_clients),
                ), child)
                self.traffic[edge.name] = traffic
                target = dataclasses.replace(target, moving_to=nxt, move_weight=plan.weight, dns_name=traffic.name,
                                             dns_zone_id=self.zones.zone_id(edge.visibility),
                                             dns_ready=tuple(traffic.records))
                self.summary["edges"][edge.name]["move"]["dnsName"] = traffic.name  # type: ignore[index]
            self.targets[edge.name] = target
        self.register_outputs({
            "public_zone_id": self.zones.public_zone_id,
            "private_zone_id": self.zones.private_zone_id,
            **{f"{edge}_lb_hostname": c.lb_hostname for edge, c in self.controllers.items()},
            **{f"{edge}_next_lb_hostname": c.lb_hostname for edge, c in self.moving_to.items()},
        })

    def _target(self, edge: Edge, plan: ControllerPlan, controller: Controller,
                ingress_releases: tuple[pulumi.Resource, ...]) -> EdgeTarget:
        flavor = get_flavor(plan.flavor)
        return EdgeTarget(
            edge=edge.name,
            flavor=flavor,
            ingress_class=controller.ingress_class,
            zone_id=self.zones.zone_id(edge.visibility),
            lb_hostname=controller.lb_hostname,
            lb_zone_id=controller.lb_zone_id,
            ipv6_clients=controller.ipv6_clients,
            controllers_ready=_ready(controller, ingress_releases),
            controller_service=controller_service_id(controller.spec, flavor),
            gateway=getattr(controller, "gateway", None),
            suffix=plan.suffix,
        )


def _controller(name: str, edge: Edge, plan: ControllerPlan, settings: Settings, certificates: Certificates,
                subnets: Mapping[str, Sequence[Subnet]], child: pulumi.ResourceOptions) -> Controller:
    """One controller of an edge: an IngressController, or a GatewayController on a Gateway API flavor.

    Both controllers of a moving edge know the cluster (`gangplank:clusterName`: which subnets their NLBs may use)."""
    flavor = get_flavor(plan.flavor)
    # gangplank:controllerChartVersion pins the chart of the stack's flavor; others: their tested one.
    version = settings.controller_chart_version if plan.flavor == settings.flavor else None
    common = dict(edge=edge, chart_version=version, vpc_id=settings.vpc_id,
                  certificate_arn=certificates.arns[edge.visibility], subnets=tuple(subnets[edge.visibility]),
                  replicas=settings.controller_replicas, dualstack=settings.dualstack, suffix=plan.suffix,
                  cluster_name=settings.cluster_name)
    if is_gateway(flavor):
        return GatewayController(f"{name}-{edge.name}{plan.suffix}-gateway",
                                 GatewayControllerArgs(flavor=flavor, **common),  # type: ignore[arg-type]
                                 child)
    return IngressController(f"{name}-{edge.name}{plan.suffix}",
                             IngressControllerArgs(flavor=flavor, **common), child)  # type: ignore[arg-type]


def edge_summary(edge: Edge, plans: Sequence[ControllerPlan], controller: Controller,
                 moving_to: Controller | None) -> dict[str, Any]:
    """An edge in the stack output `platform`: who it admits, its controller's flavor and class (on a Gateway API edge
    its Gateway too) and, while it moves, the controller it moves to, with its NLB, weight and the subnets it
    trusts (`move`; `dnsName` is added by the platform: the weighted record set that hosts point at)."""
    summary: dict[str, Any] = {
        "visibility": edge.visibility,
        "flavor": plans[0].flavor,
        "ingressClass": controller.ingress_class,
        "allowedCidrs": list(edge.allowed_cidrs),
        "trustedProxyCidrs": list(controller.spec.trusted_proxy_cidrs),
        "ipv6Clients": controller.ipv6_clients,
        **_gateway_summary(controller),
    }
    if moving_to is not None:
        plan = plans[1]
        summary["move"] = {"to": plan.flavor, "weight": plan.weight, "ingressClass": moving_to.ingress_class,
                           "loadBalancer": moving_to.lb_hostname,
                           "trustedProxyCidrs": list(moving_to.spec.trusted_proxy_cidrs), **_gateway_summary(moving_to)}
    return summary


def _gateway_summary(controller: Controller) -> dict[str, object]:
    """What the plan says of a Gateway API edge besides an Ingress edge's facts: its Gateway."""
    if not isinstance(controller, GatewayController):
        return {}
    return {"gateway": f"{controller.gateway.namespace}/{controller.gateway.name}"}


def _ready(controller: Controller, ingress_releases: tuple[pulumi.Resource, ...]) -> tuple[pulumi.Resource, ...]:
    return controller.ready if isinstance(controller, GatewayController) else ingress_releases
