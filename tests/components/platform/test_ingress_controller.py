"""IngressController under Pulumi mocks: the twin controllers a stack declares, for each flavor."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pytest

from components.flavors import get_flavor
from components.flavors.traffic import REDIRECT_PORT, Flavor, controller_spec
from components.inputs.settings import Edge
from components.platform.ingress_controller import (
    EVERYONE,
    TYPE_TOKEN,
    IngressController,
    IngressControllerArgs,
    SecurityGroupRule,
    security_group_rules,
    vpc_ipv4_cidrs,
)
from planner.mocks import MOCK_VPC_CIDR, NLB_HOSTED_ZONE_IDS, RecordingMonitor
from tests.components.flavors.test_flavors import chart_checks
from tests.conftest import FLAVORS, resolve, validate_kubernetes

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0000-4000-8000-0123456789ab"
VPC = "vpc-0a1b2c3d4e5f60718"
ALLOWED = ["10.10.0.0/16", "192.168.4.0/24", "2001:db8::/32"]
SG_TYPE = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"


class ReadRecordingMonitor(RecordingMonitor):
    """Also keeps `.get()` reads, which the engine receives as ReadResource, not RegisterResource."""

    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.reads: list[Any] = []

    def ReadResource(self, request: Any) -> Any:  # the gRPC method's name
        self.reads.append(request)
        return super().ReadResource(request)


@dataclass
class Twins:
    controllers: dict[str, IngressController]
    monitor: ReadRecordingMonitor

    def of_type(self, typ: str, visibility: str | None = None) -> list[Any]:
        parent = None if visibility is None else f"{TYPE_TOKEN}::ic-{visibility}"
        return [r for r in self.monitor.registrations if r.type == typ and (parent is None or r.parent == parent)]

    def one(self, typ: str, visibility: str) -> Any:
        (found,) = self.of_type(typ, visibility)
        return found


@pytest.fixture(params=FLAVORS)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    return get_flavor(request.param)


def declare_twins(run_mocked: Any, flavor: Flavor, dualstack: bool = False) -> Twins:
    def program() -> dict[str, IngressController]:
        return {visibility: IngressController(f"ic-{visibility}", IngressControllerArgs(
            edge=Edge(visibility, visibility, () if visibility == "public" else tuple(ALLOWED)),  # type: ignore[arg-type]
            flavor=flavor,
            chart_version=None,
            vpc_id=VPC,
            certificate_arn=CERT,
            replicas=2,
            dualstack=dualstack,
        )) for visibility in ("public", "private")}

    controllers, monitor = run_mocked(program, monitor_class=ReadRecordingMonitor)
    return Twins(controllers, monitor)


@pytest.fixture
def twins(run_mocked: Any, flavor: Flavor) -> Twins:
    return declare_twins(run_mocked, flavor)


# -- releases ----------------------------------------------------------------------------


def test_two_independent_releases_with_the_flavors_values(twins: Twins, flavor: Flavor) -> None:
    releases = twins.of_type(RELEASE)
    assert len(releases) == 2
    by_visibility = {v: twins.one(RELEASE, v).inputs for v in ("public", "private")}
    chart = flavor.default_chart
    for visibility, inputs in by_visibility.items():
        assert (inputs["chart"], inputs["version"], inputs["repositoryOpts"]["repo"]) == (
            chart.chart, chart.version, chart.repo)
        assert inputs["name"] == inputs["namespace"] == f"ingress-{visibility}"
        assert inputs["skipCrds"] is True
        group_id = twins.one(SG_TYPE, visibility).id
        expected = controller_spec(visibility, visibility, replicas=2, certificate_arn=CERT,  # type: ignore[arg-type]
                                   security_group_id=group_id,
                                   allowed_cidrs=ALLOWED if visibility == "private" else [], dualstack=False,
                                   trusted_proxy_cidrs=[MOCK_VPC_CIDR])
        # The values the provider receives are the flavor's, with the real SG id and certificate.
        assert inputs["values"] == json.loads(json.dumps(flavor.controller_values(expected)))
        chart_checks(flavor, inputs["values"])
    public, private = by_visibility["public"]["values"], by_visibility["private"]["values"]
    assert json.dumps(public) != json.dumps(private)


def test_load_balancer_per_visibility(twins: Twins) -> None:
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    for visibility, scheme in (("public", "internet-facing"), ("private", "internal")):
        service = twins.one(RELEASE, visibility).inputs["values"]["controller"]["service"]
        annotations = service["annotations"]
        assert annotations[prefix + "scheme"] == scheme
        assert annotations[prefix + "ssl-cert"] == CERT
        assert annotations[prefix + "ssl-ports"] == "443"
        assert annotations[prefix + "security-groups"] == twins.one(SG_TYPE, visibility).id
        assert service["loadBalancerSourceRanges"] == (ALLOWED if visibility == "private" else [])


# -- security groups ---------------------------------------------------------------------


def rules(twins: Twins, typ: str, visibility: str) -> set[tuple[int, str]]:
    found = set()
    group_id = twins.one(SG_TYPE, visibility).id
    for rule in twins.of_type(typ, visibility):
        inputs = rule.inputs
        assert inputs["securityGroupId"] == group_id
        assert inputs["ipProtocol"] == "tcp" and inputs["fromPort"] == inputs["toPort"]
        assert ("cidrIpv4" in inputs) != ("cidrIpv6" in inputs)
        found.add((inputs["fromPort"], inputs.get("cidrIpv4") or inputs["cidrIpv6"]))
    return found


def test_security_groups(twins: Twins) -> None:
    groups = twins.of_type(SG_TYPE)
    assert len(groups) == 2 and all(g.inputs["vpcId"] == VPC for g in groups)
    assert not any({"egress", "ingress"} & set(g.inputs) for g in groups)  # rules are separate resources
    assert rules(twins, INGRESS_RULE, "public") == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0"), (80, "::/0"),
                                                    (443, "::/0")}
    private = rules(twins, INGRESS_RULE, "private")
    assert private == {(port, cidr) for cidr in ALLOWED for port in (80, 443)}
    assert not {cidr for _, cidr in private} & set(EVERYONE)
    for visibility in ("public", "private"):
        assert rules(twins, EGRESS_RULE, visibility) == {(80, MOCK_VPC_CIDR), (REDIRECT_PORT, MOCK_VPC_CIDR)}


@pytest.mark.parametrize("allowed", [["0.0.0.0/0"], ["::/0"], ["10.0.0.0/8", "0.0.0.0/0"], []])
def test_private_group_never_opens_to_everyone(allowed: list[str]) -> None:
    with pytest.raises(ValueError):
        security_group_rules(Edge("private", "private", tuple(allowed)), [MOCK_VPC_CIDR])


def test_a_public_edge_is_open_to_everyone_unless_it_has_an_allow_list() -> None:
    everyone = security_group_rules(Edge("public", "public", ()), ["10.0.0.0/16"])
    assert {rule.cidr for rule in everyone if rule.direction == "ingress"} == set(EVERYONE)
    partners = security_group_rules(Edge("partners", "public", ("203.0.113.0/24",)), ["10.0.0.0/16"])
    assert {(rule.port, rule.cidr) for rule in partners if rule.direction == "ingress"} == {
        (80, "203.0.113.0/24"), (443, "203.0.113.0/24")}
    assert all("partners clients" in rule.description for rule in partners if rule.direction == "ingress")


def test_rule_names_are_unique_and_stable() -> None:
    all_rules = security_group_rules(Edge("private", "private", tuple(ALLOWED)), ["10.0.0.0/16", "100.64.0.0/16"])
    assert len({rule.role for rule in all_rules}) == len(all_rules) == 2 * 3 + 2 * 2
    assert SecurityGroupRule("ingress", 443, "::/0").role == "in-443-ipv6-0"
    assert SecurityGroupRule("egress", 8090, "10.0.0.0/16").role == "out-8090-ipv4-10-0-0-0-16"


def test_vpc_cidrs_include_secondary_blocks() -> None:
    @dataclass
    class Association:
        cidr_block: str
        state: str

    @dataclass
    class Vpc:
        cidr_block: str
        cidr_block_associations: list[Association]

    vpc = Vpc("10.0.0.0/16", [Association("10.0.0.0/16", "associated"), Association("100.64.0.0/16", "associated"),
                              Association("100.65.0.0/16", "disassociated")])
    assert vpc_ipv4_cidrs(vpc) == ["10.0.0.0/16", "100.64.0.0/16"]  # type: ignore[arg-type]
    assert all(ipaddress.ip_network(c).version == 4 for c in vpc_ipv4_cidrs(vpc))  # type: ignore[arg-type]


# -- reading the load balancer back ------------------------------------------------------


def test_service_is_read_back_after_the_release(twins: Twins, flavor: Flavor) -> None:
    assert len(twins.monitor.reads) == 2
    for visibility, controller in twins.controllers.items():
        read = next(r for r in twins.monitor.reads if r.name == f"ic-{visibility}-service")
        release = twins.one(RELEASE, visibility)
        assert read.type == "kubernetes:core/v1:Service"
        assert read.id == f"ingress-{visibility}/{flavor.controller_service_name(controller.spec)}"
        assert read.parent.endswith(f"{TYPE_TOKEN}::ic-{visibility}")
        assert release.urn in read.dependencies
        hostname = resolve(controller.lb_hostname)
        # The AWS Load Balancer Controller drops non-alphanumerics from the names it builds on.
        assert hostname.endswith(".elb.us-east-1.amazonaws.com") and f"k8s-{f'ingress{visibility}'[:8]}-" in hostname
        assert resolve(controller.lb_zone_id) == NLB_HOSTED_ZONE_IDS["us-east-1"]
        assert resolve(controller.security_group_id) == twins.one(SG_TYPE, visibility).id


def test_component_shape(twins: Twins) -> None:
    components = twins.of_type(TYPE_TOKEN)
    assert sorted(c.name for c in components) == ["ic-private", "ic-public"]  # RPCs finish in any order
    for visibility, controller in twins.controllers.items():
        assert controller.ingress_class == f"nginx-{visibility}"
        assert controller.namespace == f"ingress-{visibility}"
        assert controller.dualstack is False
        children = [r for r in twins.monitor.registrations if r.parent == f"{TYPE_TOKEN}::ic-{visibility}"]
        assert {r.type for r in children} == {SG_TYPE, INGRESS_RULE, EGRESS_RULE, RELEASE, NAMESPACE}
        assert all(r.name.startswith(f"ic-{visibility}-") for r in children)
    # Every resource belongs to one of the two components.
    assert all(r.parent is not None for r in twins.monitor.registrations if r.type != TYPE_TOKEN)


def test_namespaces_are_valid_kubernetes(twins: Twins) -> None:
    for visibility in ("public", "private"):
        (namespace,) = twins.of_type(NAMESPACE, visibility)
        manifest = {"apiVersion": "v1", "kind": "Namespace", **namespace.inputs}
        validate_kubernetes(manifest)
        assert manifest["metadata"]["name"] == f"ingress-{visibility}"
        assert manifest["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"


def test_dualstack_reaches_the_load_balancer(run_mocked: Any, flavor: Flavor) -> None:
    twins = declare_twins(run_mocked, flavor, dualstack=True)
    for visibility, controller in twins.controllers.items():
        assert controller.dualstack is True
        annotations = twins.one(RELEASE, visibility).inputs["values"]["controller"]["service"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-ip-address-type"] == "dualstack"


def test_private_controller_without_allow_list_is_refused(run_mocked: Any, flavor: Flavor) -> None:
    def program() -> None:
        IngressController("ic-private", IngressControllerArgs(
            edge=Edge("private", "private", ()), flavor=flavor, chart_version=None, vpc_id=VPC,
            certificate_arn=CERT))

    with pytest.raises(ValueError, match="at least one allowed CIDR"):
        run_mocked(program)
