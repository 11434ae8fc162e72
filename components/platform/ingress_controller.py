"""IngressController: one edge's NGINX ingress controller behind its own Network Load Balancer.

Per edge: a Namespace (with the LBC's pod readiness gates), the NLB's security group with its
rules, the flavor's Helm release (pinned chart, values from `components.flavors`), a
NetworkPolicy that admits the traffic ports only from the NLB's subnets, and the NLB facts read
back from the Service the chart created (host name) and from AWS (canonical hosted zone id),
which DNS needs. Every
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
    READINESS_GATE_LABEL,
    ControllerSpec,
    Flavor,
    controller_spec,
    network_policy_manifest,
    private_source_ranges,
)
from components.inputs.problems import Problem, config_subject
from components.inputs.settings import Edge

TYPE_TOKEN = "gangplank:platform:IngressController"
EVERYONE = ("0.0.0.0/0", "::/0")
MANAGED_BY = {"app.kubernetes.io/managed-by": "gangplank"}
SUBNET_ROLE_TAGS = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}
"""The tag by which the AWS Load Balancer Controller finds the subnets of an internet-facing (`public`) or
internal (`private`) load balancer, with the values it accepts (pkg/networking/subnet_resolver.go
ResolveViaDiscovery: `tagFilters := map[string][]string{subnetRoleTagKey: {"", "1"}}`)."""
SUBNET_ROLE_TAG_VALUES = ("", "1")


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
    """VPC of the cluster: the security group lives there; the NLB's subnets are found in it."""
    certificate_arn: pulumi.Input[str]
    """Validated ACM certificate ARN for the NLB's TLS listener (443)."""
    subnets: tuple[Subnet, ...]
    """The subnets the LBC may place the edge's NLB in (`read_nlb_subnets` for its visibility): where the NLB
    connects from, so whose PROXY header is trusted and who is admitted to the traffic ports."""
    replicas: int = 2
    """Controller pods, spread across zones, with a PodDisruptionBudget."""
    dualstack: bool = False
    """Give the NLB IPv6 addresses too (the subnets need IPv6 CIDRs)."""
    suffix: str = ""
    """Appended to the names derived from the edge (`components.platform.controllers.controller_suffix`): empty
    for a controller of the stack's flavor, `-<flavor>` for another, such as the controller an edge moves to."""


@dataclass(frozen=True)
class Subnet:
    """A subnet the NLB may be placed in, as the LBC's discovery finds it."""

    id: str
    cidr: str
    """Its IPv4 CIDR: where the NLB's network interface in it connects from."""
    ipv6_cidr: str | None
    """Its IPv6 CIDR, if any (a dualstack NLB needs one in every subnet)."""
    availability_zone: str


@dataclass(frozen=True)
class SecurityGroupRule:
    """One ingress rule of the NLB's security group (clients to the NLB), as `aws.vpc.SecurityGroupIngressRule`
    takes it; the group has no egress rules (see `security_group_rules`)."""

    port: int
    """TCP port."""
    cidr: str
    """Source CIDR, IPv4 or IPv6."""
    description: str = field(default="", compare=False)

    @property
    def ipv6(self) -> bool:
        return ipaddress.ip_network(self.cidr).version == 6

    @property
    def role(self) -> str:
        """Stable, unique suffix of the rule's resource name, e.g. `in-443-ipv4-10-0-0-0-16`."""
        family = "ipv6" if self.ipv6 else "ipv4"
        cidr = re.sub(r"[^0-9a-fA-F]+", "-", self.cidr).strip("-") or "0"
        return f"in-{self.port}-{family}-{cidr}"


# -- decisions (pure) --------------------------------------------------------------------


def client_cidrs(edge: Edge, dualstack: bool = False) -> list[str]:
    """Who may connect to the edge's NLB: its allow-list, or everyone for an open public edge.

    Only in the address families the NLB listens on: an IPv4-only NLB has no IPv6 address, so an IPv6
    rule would admit no one and only suggest otherwise.
    """
    if edge.visibility == "public" and not edge.allowed_cidrs:
        cidrs = list(EVERYONE)
    else:
        cidrs = private_source_ranges(list(edge.allowed_cidrs))
    usable = [cidr for cidr in cidrs if dualstack or ipaddress.ip_network(cidr).version == 4]
    if not usable:
        raise ValueError(f"edge '{edge.name}' admits only IPv6 clients ({', '.join(cidrs)}) but its load balancer "
                         "is IPv4-only: set gangplank:dualstack or allow IPv4 blocks")
    return usable


def takes_ipv6_clients(edge: Edge, dualstack: bool) -> bool:
    """Whether an IPv6 client can reach the edge's NLB: it has IPv6 addresses and its group admits IPv6 sources.

    Only then do the edge's hosts get AAAA records: a client that prefers IPv6 (most, when they have it)
    would otherwise try the AAAA address first and wait for a timeout before falling back.
    """
    return dualstack and any(ipaddress.ip_network(cidr).version == 6 for cidr in client_cidrs(edge, dualstack))


def security_group_rules(edge: Edge, dualstack: bool = False) -> list[SecurityGroupRule]:
    """The NLB security group's rules: the listener ports (80 redirect, 443 TLS) from the edge's clients.

    No egress rules. The group comes without EC2's default allow-all egress (the AWS provider removes
    it), but the LBC also attaches its backend security group to the NLB, which keeps that default
    (`nlb_service_annotations`); security groups add up, so an egress restriction here would do
    nothing. What reaches the controller pods is decided at the pods: the LBC's backend rules and the
    controller's NetworkPolicy.
    """
    return [SecurityGroupRule(port, cidr, f"{edge.name} clients to the NLB listener {port}")
            for cidr in client_cidrs(edge, dualstack) for port in LB_PORTS]


def vpc_ipv4_cidrs(vpc: aws.ec2.GetVpcResult) -> list[str]:
    """Every IPv4 CIDR of the VPC (primary and associated): the EKS control plane's interfaces may be in any."""
    cidrs = {vpc.cidr_block} if vpc.cidr_block else set()
    for association in vpc.cidr_block_associations or []:
        if association.cidr_block and association.state in (None, "associated"):
            cidrs.add(association.cidr_block)
    return sorted(cidrs, key=lambda c: ipaddress.ip_network(c))


def subnet_role_filters(vpc_id: str, visibility: str) -> list[aws.ec2.GetSubnetsFilterArgs]:
    """The DescribeSubnets filters of the LBC's discovery for this scheme (`SUBNET_ROLE_TAGS`)."""
    return [aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
            aws.ec2.GetSubnetsFilterArgs(name=f"tag:{SUBNET_ROLE_TAGS[visibility]}",
                                         values=list(SUBNET_ROLE_TAG_VALUES))]


def trusted_subnet_cidrs(edge: Edge, vpc_id: str, subnets: list[Subnet], dualstack: bool) -> list[str]:
    """The IPv4 CIDRs the edge's NLB connects from: those of every subnet the LBC may place it in.

    Every candidate, not only the one per zone the LBC picks today: which one it picks depends on
    tags and on free addresses (docs/deploy/subnet_discovery.md), and a subnet it may move to must
    already be trusted. Raises with what to do when the load balancer could not be placed: no tagged
    subnet (the LBC >= 2.12.1 would fall back to subnets found by route table, which gangplank cannot
    name, so it asks for the tags), or, with dualstack, a subnet without IPv6.
    """
    tag = SUBNET_ROLE_TAGS[edge.visibility]
    scheme = "internet-facing" if edge.visibility == "public" else "internal"
    if not subnets:
        raise ValueError(
            f"edge '{edge.name}': no subnet of {vpc_id} is tagged {tag} (value 1 or empty), so neither the AWS Load "
            f"Balancer Controller nor gangplank can tell where its {scheme} load balancer goes; tag the subnets "
            f"for {scheme} load balancers with {tag}=1")
    if dualstack:
        missing = sorted(subnet.id for subnet in subnets if not subnet.ipv6_cidr)
        if missing:
            raise ValueError(f"edge '{edge.name}': gangplank:dualstack needs an IPv6 CIDR in every subnet tagged "
                             f"{tag}; {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} none")
    return sorted({subnet.cidr for subnet in subnets}, key=lambda c: ipaddress.ip_network(c))


def read_nlb_subnets(vpc_id: str, visibility: str, opts: pulumi.InvokeOptions) -> list[Subnet]:
    """The subnets the LBC's discovery finds for this scheme, read at plan time, in a stable order."""
    found = aws.ec2.get_subnets(filters=subnet_role_filters(vpc_id, visibility), opts=opts)
    subnets = []
    for subnet_id in sorted(found.ids or []):
        subnet = aws.ec2.get_subnet(id=subnet_id, opts=opts)
        subnets.append(Subnet(id=subnet_id, cidr=subnet.cidr_block, ipv6_cidr=subnet.ipv6_cidr_block or None,
                              availability_zone=subnet.availability_zone))
    return subnets


def subnet_problems(edges: list[Edge], subnets: dict[str, list[Subnet]], vpc_id: str, dualstack: bool,
                    stack_file: str) -> list[Problem]:
    """What keeps the LBC from placing the edges' load balancers, as input problems of the stack's config."""
    problems = []
    for edge in edges:
        try:
            trusted_subnet_cidrs(edge, vpc_id, subnets[edge.visibility], dualstack)
        except ValueError as err:
            key = "gangplank:dualstack" if dualstack and subnets[edge.visibility] else "gangplank:vpcId"
            problems.append(Problem(stack_file, None, config_subject(key), str(err)))
    return problems


def controller_service_id(spec: ControllerSpec, flavor: Flavor) -> str:
    """`<namespace>/<name>` of the LoadBalancer Service the chart makes: the id to read it back by."""
    return f"{spec.namespace}/{flavor.controller_service_name(spec)}"


def namespace_manifest(spec: ControllerSpec) -> dict[str, object]:
    """The controller's namespace: Pod Security `baseline` enforced, `restricted` reported, readiness gates.

    Both charts run nginx as a non-root user with only NET_BIND_SERVICE added, which fits
    baseline; warnings on `restricted` show drift without breaking an install. The LBC injects its
    readiness gates into pods created in a namespace with `READINESS_GATE_LABEL` (why: there).
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
                **READINESS_GATE_LABEL,
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
    """The NLB has IPv6 addresses too."""
    ipv6_clients: bool
    """IPv6 clients can reach the NLB (dualstack, and its security group admits IPv6): publish AAAA records."""
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
        edge = args.edge
        # Read once at plan time: the VPC's CIDRs are where the EKS control plane calls webhooks from.
        vpc_cidrs = vpc_ipv4_cidrs(aws.ec2.get_vpc(id=args.vpc_id, opts=pulumi.InvokeOptions(parent=self)))
        trusted = trusted_subnet_cidrs(edge, args.vpc_id, list(args.subnets), args.dualstack)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            # The description is immutable in EC2 (a change replaces the group): keep its wording.
            description=f"gangplank {edge.name} ingress NLB" + (f" ({flavor.name})" if args.suffix else ""),
            tags={"Name": f"{name}-nlb", "gangplank:visibility": edge.visibility,
                  **({"gangplank:edge": edge.name} if edge.name != edge.visibility else {}),
                  **({"gangplank:flavor": flavor.name} if args.suffix else {})},
            opts=child,
        )
        for rule in security_group_rules(edge, args.dualstack):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-{rule.role}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=rule.port,
                to_port=rule.port,
                cidr_ipv6=rule.cidr if rule.ipv6 else None,
                cidr_ipv4=None if rule.ipv6 else rule.cidr,
                description=rule.description,
                opts=child,
            )

        self.spec = controller_spec(
            edge.name,
            edge.visibility,
            replicas=args.replicas,
            certificate_arn=args.certificate_arn,
            security_group_id=group.id,
            allowed_cidrs=list(edge.allowed_cidrs),
            dualstack=args.dualstack,
            trusted_proxy_cidrs=trusted,
            control_plane_cidrs=vpc_cidrs,
            suffix=args.suffix,
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
        # The traffic ports only from the NLB's subnets: the same CIDRs nginx trusts (traffic.py: why).
        # Not after the release: it admits the NLB wherever it is, so health checks pass from the start.
        policy = network_policy_manifest(self.spec, flavor.selector_labels(self.spec), flavor.pod_ports)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata={**policy["metadata"], "namespace": namespace.metadata.name},
            spec=policy["spec"],
            opts=child,
        )
        service_id = controller_service_id(self.spec, flavor)
        service = k8s.core.v1.Service.get(
            f"{name}-service",
            release.id.apply(lambda _: service_id),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
        )

        self.ingress_class = self.spec.ingress_class
        self.namespace = self.spec.namespace
        self.dualstack = args.dualstack
        self.ipv6_clients = takes_ipv6_clients(edge, args.dualstack)
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
