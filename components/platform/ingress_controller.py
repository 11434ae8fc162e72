"""IngressController: one edge's NGINX ingress controller behind its own Network Load Balancer.

Per edge: a Namespace, the NLB's security group with its rules, the flavor's Helm release
(pinned chart, values from `components.flavors`), and the NLB facts read back from the Service
the chart created (host name) and from AWS (canonical hosted zone id), which DNS needs. Every
stack has the edges `public` (internet-facing, open to everyone) and `private` (internal,
allow-listed CIDRs), plus any in `gangplank:edges`.

The decisions (names, security group rules) are pure functions below; the traffic design (port
split for the HTTPS redirect, proxy protocol for the client IP) is explained in
`components/flavors/traffic.py`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.flavors.traffic import (
    LB_PORTS,
    TARGET_PORTS,
    ControllerSpec,
    Flavor,
    controller_spec,
    private_source_ranges,
)
from components.inputs.settings import Edge

TYPE_TOKEN = "gangplank:platform:IngressController"
EVERYONE = ("0.0.0.0/0", "::/0")
MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}


@dataclass(frozen=True)
class IngressControllerArgs:
    """Inputs of one ingress controller."""

    edge: Edge
    """The edge: its name (class, release and namespace derive from it), visibility (internet-facing or
    internal NLB) and allow-list (who the NLB's security group admits)."""
    flavor: Flavor
    """Controller product (chart, values, annotations), from `components.flavors.get_flavor`."""
    chart_version: str | None
    """Exact chart version to install; None installs the flavor's tested default."""
    vpc_id: str
    """VPC of the cluster: the security group lives there, and its CIDRs are the NLB's addresses."""
    certificate_arn: pulumi.Input[str]
    """Validated ACM certificate ARN for the NLB's TLS listener (443)."""
    replicas: int = 2
    """Controller pods, spread across zones, with a PodDisruptionBudget."""
    dualstack: bool = False
    """Give the NLB IPv6 addresses too (the subnets need IPv6 CIDRs)."""


@dataclass(frozen=True)
class SecurityGroupRule:
    """One rule of the NLB's security group, as `aws.vpc.SecurityGroup{Ingress,Egress}Rule` takes it."""

    direction: str
    """`ingress` (clients to the NLB) or `egress` (NLB to the controller pods)."""
    port: int
    """TCP port."""
    cidr: str
    """Source (ingress) or destination (egress) CIDR, IPv4 or IPv6."""
    description: str = field(default="", compare=False)

    @property
    def ipv6(self) -> bool:
        return ipaddress.ip_network(self.cidr).version == 6

    @property
    def role(self) -> str:
        """Stable, unique suffix of the rule's resource name, e.g. `in-443-ipv4-10-0-0-0-16`."""
        family = "ipv6" if self.ipv6 else "ipv4"
        cidr = re.sub(r"[^0-9a-fA-F]+", "-", self.cidr).strip("-") or "0"
        return f"{'in' if self.direction == 'ingress' else 'out'}-{self.port}-{family}-{cidr}"


# -- decisions (pure) --------------------------------------------------------------------


def client_cidrs(edge: Edge) -> list[str]:
    """Who may connect to the edge's NLB: its allow-list, or everyone for an open public edge."""
    if edge.visibility == "public" and not edge.allowed_cidrs:
        return list(EVERYONE)
    return private_source_ranges(list(edge.allowed_cidrs))


def security_group_rules(edge: Edge, vpc_cidrs: list[str]) -> list[SecurityGroupRule]:
    """The NLB security group's rules.

    Ingress: the listener ports (80 redirect, 443 TLS) from the edge's clients.
    Egress: only what an NLB itself sends: connections to the controller pods' target ports,
    traffic and TCP health checks alike, inside the VPC, where ip targets (pods) live. Nothing
    else: the group has no other egress (the AWS provider removes the default allow-all rule).
    """
    if not vpc_cidrs:
        raise ValueError("the VPC has no CIDR block")
    rules = [SecurityGroupRule("ingress", port, cidr, f"{edge.name} clients to the NLB listener {port}")
             for cidr in client_cidrs(edge) for port in LB_PORTS]
    rules += [SecurityGroupRule("egress", port, cidr, f"NLB to controller pods (traffic and health checks) on {port}")
              for cidr in vpc_cidrs for port in TARGET_PORTS]
    return rules


def vpc_ipv4_cidrs(vpc: aws.ec2.GetVpcResult) -> list[str]:
    """Every IPv4 CIDR of the VPC (primary and associated): pods may live in any of them."""
    cidrs = {vpc.cidr_block} if vpc.cidr_block else set()
    for association in vpc.cidr_block_associations or []:
        if association.cidr_block and association.state in (None, "associated"):
            cidrs.add(association.cidr_block)
    return sorted(cidrs, key=lambda c: ipaddress.ip_network(c))


def controller_service_id(spec: ControllerSpec, flavor: Flavor) -> str:
    """`<namespace>/<name>` of the LoadBalancer Service the chart makes: the id to read it back by."""
    return f"{spec.namespace}/{flavor.controller_service_name(spec)}"


def namespace_manifest(spec: ControllerSpec) -> dict[str, object]:
    """The controller's namespace: Pod Security `baseline` enforced, `restricted` reported.

    Both charts run nginx as a non-root user with only NET_BIND_SERVICE added, which fits
    baseline; warnings on `restricted` show drift without breaking an install.
    """
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": spec.namespace,
            "labels": {
                **MANAGED_BY,
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }


# -- the component -----------------------------------------------------------------------


class IngressController(pulumi.ComponentResource):
    """An ingress controller (Helm release) behind an NLB with its own security group."""

    ingress_class: str
    """IngressClass name Ingresses use to land on this controller."""
    namespace: str
    """Namespace of the release."""
    dualstack: bool
    """The NLB has IPv6 addresses too (publish AAAA records)."""
    spec: ControllerSpec
    """What makes this controller distinct from its twin."""
    security_group_id: pulumi.Output[str]
    """The NLB's security group."""
    release: k8s.helm.v3.Release
    """The controller's Helm release: Ingresses wait for it (admission webhooks, the controller itself)."""
    lb_hostname: pulumi.Output[str]
    """DNS name of the NLB (alias record target)."""
    lb_zone_id: pulumi.Output[str]
    """Canonical hosted zone id of network load balancers in the region (alias record zone)."""

    def __init__(self, name: str, args: IngressControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        flavor = args.flavor
        chart = flavor.chart(args.chart_version)
        # Read once at plan time: the number of egress rules depends on the VPC's CIDR blocks.
        vpc_cidrs = vpc_ipv4_cidrs(aws.ec2.get_vpc(id=args.vpc_id, opts=pulumi.InvokeOptions(parent=self)))
        edge = args.edge
        rules = security_group_rules(edge, vpc_cidrs)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            # The description is immutable in EC2 (a change replaces the group): keep its wording.
            description=f"gangplank {edge.name} ingress NLB",
            tags={"Name": f"{name}-nlb", "gangplank:visibility": edge.visibility,
                  **({"gangplank:edge": edge.name} if edge.name != edge.visibility else {})},
            opts=child,
        )
        for rule in rules:
            rule_args = dict(
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=rule.port,
                to_port=rule.port,
                cidr_ipv6=rule.cidr if rule.ipv6 else None,
                cidr_ipv4=None if rule.ipv6 else rule.cidr,
                description=rule.description,
                opts=child,
            )
            if rule.direction == "ingress":
                aws.vpc.SecurityGroupIngressRule(f"{name}-sg-{rule.role}", **rule_args)
            else:
                aws.vpc.SecurityGroupEgressRule(f"{name}-sg-{rule.role}", **rule_args)

        self.spec = controller_spec(
            edge.name,
            edge.visibility,
            replicas=args.replicas,
            certificate_arn=args.certificate_arn,
            security_group_id=group.id,
            allowed_cidrs=list(edge.allowed_cidrs),
            dualstack=args.dualstack,
            trusted_proxy_cidrs=vpc_cidrs,
        )
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", **_without_kind(namespace_manifest(self.spec)),
                                          opts=child)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=self.spec.release_name,  # fixed: the chart derives every object name from it
                chart=chart.chart,
                version=chart.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
                namespace=namespace.metadata.name,
                values=flavor.controller_values(self.spec),
                # Neither flavor uses custom resources here; skipping CRDs keeps the twins from
                # both owning the same cluster-wide CRDs.
                skip_crds=True,
                max_history=10,
            ),
            # Another flavor is another chart: uninstall first, since the new release reuses the
            # release name, IngressClass name and namespace (an IngressClass's controller is immutable).
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["chart", "repositoryOpts"],
                                        delete_before_replace=True),
        )
        # The release waits for the Service's load balancer, so the host name is there to read.
        # The id is keyed on the release's id: unknown only in the preview of a first deploy, where
        # the engine then skips the read instead of failing on a Service that does not exist yet,
        # and known in the preview of an update. (Keyed on `release.status`, which pulumi-kubernetes
        # makes unknown in every preview that touches the release, every alias record would show
        # as changing whenever a controller is upgraded.)
        service_id = controller_service_id(self.spec, flavor)
        service = k8s.core.v1.Service.get(
            f"{name}-service",
            release.id.apply(lambda _: service_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
        )

        self.ingress_class = self.spec.ingress_class
        self.namespace = self.spec.namespace
        self.dualstack = args.dualstack
        self.security_group_id = group.id
        self.release = release
        self.lb_hostname = service.status.apply(_lb_hostname)
        self.lb_zone_id = aws.lb.get_hosted_zone_id_output(
            load_balancer_type="network", opts=pulumi.InvokeOutputOptions(parent=self)).id
        self.register_outputs({
            "ingress_class": self.ingress_class,
            "namespace": self.namespace,
            "security_group_id": self.security_group_id,
            "lb_hostname": self.lb_hostname,
            "lb_zone_id": self.lb_zone_id,
        })


def _without_kind(manifest: dict[str, object]) -> dict[str, object]:
    """Typed resources take metadata/spec as arguments; apiVersion and kind come with the class."""
    return {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}


def _lb_hostname(status: k8s.core.v1.outputs.ServiceStatus | None) -> str:
    ingress = (status.load_balancer.ingress or []) if status and status.load_balancer else []
    if not ingress or not ingress[0].hostname:
        raise ValueError("the controller Service has no load balancer host name: is the AWS Load Balancer "
                         "Controller installed in the cluster?")
    return ingress[0].hostname
