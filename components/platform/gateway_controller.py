"""GatewayController: one edge served through Gateway API, behind its own Network Load Balancer.

Per edge, for a Gateway API flavor (`components.flavors.gateway_api.GatewayFlavor`): a Namespace (with
the LBC's pod readiness gates), the NLB's security group and rules (the same as an Ingress edge's:
`ingress_controller.security_group_rules`), the implementation's Helm release, its proxy configuration
(the data plane's Deployment and the NLB Service), the edge's GatewayClass and Gateway (owned by the
platform), the policy that takes the client address from proxy protocol, the redirect route, the
NetworkPolicy that admits the traffic ports only from the NLB's subnets, and the NLB facts read back
from the Service the implementation made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.flavors.gateway_api import WAIT_FOR, GatewayFlavor, GatewayRef
from components.flavors.traffic import ControllerSpec, controller_spec, network_policy_manifest
from components.inputs.settings import Edge
from components.platform.ingress_controller import (
    Subnet,
    _lb_hostname,
    _without_kind,
    namespace_manifest,
    security_group_rules,
    takes_ipv6_clients,
    trusted_subnet_cidrs,
    vpc_ipv4_cidrs,
)

TYPE_TOKEN = "gangplank:platform:GatewayController"
WAIT_FOR_PROGRAMMED = {WAIT_FOR: "condition=Programmed"}
"""pulumi-kubernetes waits for this condition on any object that carries the annotation (v4.18+, its docs
"Waiting for custom resources"): a Gateway is `Programmed` once its proxies and their load balancer exist
(Gateway API GatewayConditionProgrammed), so the Service read that follows finds the NLB's host name."""


@dataclass(frozen=True)
class GatewayControllerArgs:
    """Inputs of one Gateway API edge."""

    edge: Edge
    """The edge: its name (namespace, release, class and Gateway derive from it), visibility and allow-list."""
    flavor: GatewayFlavor
    """The Gateway API implementation (chart, proxy configuration, policies)."""
    chart_version: str | None
    """Exact chart version to install; None installs the flavor's tested default."""
    vpc_id: str
    """VPC of the cluster: the security group lives there."""
    certificate_arn: pulumi.Input[str]
    """Validated ACM certificate ARN for the NLB's TLS listener (443)."""
    subnets: tuple[Subnet, ...]
    """The subnets the LBC may place the edge's NLB in: whose PROXY headers count (`ingress_controller`)."""
    replicas: int = 2
    """Proxy pods, spread across zones, with a PodDisruptionBudget."""
    dualstack: bool = False
    """Give the NLB IPv6 addresses too."""
    cluster_name: str | None = None
    """The EKS cluster's name (`gangplank:clusterName`): subnets tagged for other clusters are not the NLB's."""
    suffix: str = ""
    """Appended to the names derived from the edge (`components.platform.controllers.controller_suffix`): empty
    for a controller of the stack's flavor, `-<flavor>` for another, such as the controller an edge moves to."""


def gateway_spec(flavor: GatewayFlavor, spec: ControllerSpec) -> ControllerSpec:
    """The edge's names on a Gateway API flavor: namespace and release `<prefix>-<edge>`, class `gangplank-<edge>`
    (the GatewayClass, in the `ingress_class` field that inventories show); with the controller's suffix after the
    edge (`spec.instance`) when its flavor is not the stack's."""
    scoped = f"{flavor.namespace_prefix}-{spec.instance}"
    return dataclasses.replace(spec, ingress_class=f"gangplank-{spec.instance}", release_name=scoped,
                               namespace=scoped)


def custom_resource(name: str, manifest: dict[str, Any],
                    opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """A custom resource from its manifest (`apiVersion`, `kind`, `metadata`, then its other top-level fields)."""
    extra = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind", "metadata")}
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=manifest["kind"],
                                            metadata=manifest["metadata"], opts=opts, **extra)


class GatewayController(pulumi.ComponentResource):
    """A Gateway API implementation for one edge, behind an NLB with its own security group."""

    ingress_class: str
    """The edge's GatewayClass."""
    namespace: str
    dualstack: bool
    ipv6_clients: bool
    spec: ControllerSpec
    gateway: GatewayRef
    """Where the edge's app routes attach."""
    security_group_id: pulumi.Output[str]
    release: k8s.helm.v3.Release
    ready: tuple[pulumi.Resource, ...]
    """What an app's route waits for: the controller and the Gateway it attaches to."""
    lb_hostname: pulumi.Output[str]
    lb_zone_id: pulumi.Output[str]

    def __init__(self, name: str, args: GatewayControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        flavor, edge = args.flavor, args.edge
        chart = flavor.chart(args.chart_version)
        vpc_cidrs = vpc_ipv4_cidrs(aws.ec2.get_vpc(id=args.vpc_id, opts=pulumi.InvokeOptions(parent=self)))
        trusted = trusted_subnet_cidrs(edge, args.vpc_id, list(args.subnets), args.dualstack, args.cluster_name)

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            # The description is immutable in EC2 (a change replaces the group): keep its wording.
            description=f"gangplank {edge.name} gateway NLB" + (f" ({flavor.name})" if args.suffix else ""),
            tags={"Name": f"{name}-nlb", "gangplank:visibility": edge.visibility, "gangplank:edge": edge.name,
                  "gangplank:flavor": flavor.name},
            opts=child,
        )
        for rule in security_group_rules(edge, args.dualstack):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-sg-{rule.role}", security_group_id=group.id, ip_protocol="tcp", from_port=rule.port,
                to_port=rule.port, cidr_ipv6=rule.cidr if rule.ipv6 else None,
                cidr_ipv4=None if rule.ipv6 else rule.cidr, description=rule.description, opts=child)

        self.spec = gateway_spec(flavor, controller_spec(
            edge.name, edge.visibility, replicas=args.replicas, certificate_arn=args.certificate_arn,
            security_group_id=group.id, allowed_cidrs=list(edge.allowed_cidrs), dualstack=args.dualstack,
            trusted_proxy_cidrs=trusted, control_plane_cidrs=vpc_cidrs, suffix=args.suffix,
            load_balancer=edge.load_balancer))
        spec = self.spec
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", **_without_kind(namespace_manifest(spec)), opts=child)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        oci = chart.repo.startswith("oci://")
        release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=spec.release_name,
                chart=f"{chart.repo}/{chart.chart}" if oci else chart.chart,
                version=chart.version,
                repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
                namespace=namespace.metadata.name,
                values=flavor.controller_values(spec),
                skip_crds=True,  # the CRDs are the cluster's (the flavor's module docstring)
                max_history=10,
            ),
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["chart", "repositoryOpts"],
                                        delete_before_replace=True),
        )
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])
        proxy = custom_resource(f"{name}-proxy-config", flavor.proxy_config_manifest(spec), after_release)
        objects: dict[str, k8s.apiextensions.CustomResource] = {}
        for manifest in flavor.edge_manifests(spec):
            kind = manifest["kind"]
            if kind == "Gateway":
                manifest = {**manifest, "metadata": {**manifest["metadata"], "annotations": dict(WAIT_FOR_PROGRAMMED)}}
            role = {"GatewayClass": "class", "Gateway": "gateway", "ClientTrafficPolicy": "client-traffic",
                    "HTTPRoute": "redirect"}[kind]
            objects[kind] = custom_resource(f"{name}-{role}", manifest,
                                    pulumi.ResourceOptions(parent=self, depends_on=[release, proxy, *objects.values()]))
        policy = network_policy_manifest(spec, flavor.selector_labels(spec), flavor.pod_ports)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata={**policy["metadata"], "namespace": namespace.metadata.name},
            spec=policy["spec"],
            opts=in_namespace,
        )
        # Guards the flavor needs against other teams' objects (Envoy Gateway: one Gateway per edge class).
        for manifest in flavor.admission_policies(spec):
            resource = (k8s.admissionregistration.v1.ValidatingAdmissionPolicy
                        if manifest["kind"] == "ValidatingAdmissionPolicy"
                        else k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding)
            role = "admission-policy" if manifest["kind"] == "ValidatingAdmissionPolicy" else "admission-policy-binding"
            resource(f"{name}-{role}", metadata=manifest["metadata"], spec=manifest["spec"], opts=child)
        gateway = objects["Gateway"]
        # Read once the Gateway is Programmed (`WAIT_FOR_PROGRAMMED`); keyed on its id so that a preview of a first
        # deploy skips the read instead of failing on a Service that does not exist yet.
        service_id = f"{spec.namespace}/{flavor.controller_service_name(spec)}"
        service = k8s.core.v1.Service.get(f"{name}-service", gateway.id.apply(lambda _: service_id),
                                          opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]))

        self.ingress_class = spec.ingress_class
        self.namespace = spec.namespace
        self.dualstack = args.dualstack
        self.ipv6_clients = takes_ipv6_clients(edge, args.dualstack)
        self.gateway = flavor.gateway(spec)
        self.security_group_id = group.id
        self.release = release
        self.ready = (release, gateway)
        self.lb_hostname = service.status.apply(_lb_hostname)
        self.lb_zone_id = aws.lb.get_hosted_zone_id_output(
            load_balancer_type="network", opts=pulumi.InvokeOutputOptions(parent=self)).id
        self.register_outputs({"gateway_class": self.ingress_class, "namespace": self.namespace,
                               "security_group_id": self.security_group_id, "lb_hostname": self.lb_hostname,
                               "lb_zone_id": self.lb_zone_id})
