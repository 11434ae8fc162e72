"""IngressController under Pulumi mocks: the twin controllers a stack declares, for each flavor."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from components.apps.preflight import check_before_declaring
from components.flavors import get_flavor
from components.flavors.traffic import READINESS_GATE_LABEL, Flavor, controller_spec
from components.inputs.problems import InputError
from components.inputs.settings import Edge
from components.platform.ingress_controller import (
    EVERYONE,
    SUBNET_ROLE_TAGS,
    TYPE_TOKEN,
    IngressController,
    IngressControllerArgs,
    SecurityGroupRule,
    Subnet,
    client_cidrs,
    read_nlb_subnets,
    security_group_rules,
    takes_ipv6_clients,
    trusted_subnet_cidrs,
    vpc_ipv4_cidrs,
)
from components.platform.platform import Platform, PlatformArgs, read_edge_subnets
from planner.mocks.monitor import RecordingMonitor
from planner.mocks.network import MOCK_VPC_CIDR, NLB_HOSTED_ZONE_IDS, MockSubnet, mock_subnets
from planner.mocks.serving import GangplankMocks
from tests.components.flavors.chart_values import admitted, chart_checks, trusted_proxies
from tests.conftest import FLAVORS, make_settings, resolve, validate_kubernetes

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0000-4000-8000-0123456789ab"
VPC = "vpc-0a1b2c3d4e5f60718"
ALLOWED = ["10.10.0.0/16", "192.168.4.0/24", "2001:db8::/32"]
SG_TYPE = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


CLUSTER = "dev"


def tagged_subnet_cidrs(visibility: str) -> list[str]:
    """The IPv4 CIDRs of the mocked VPC's subnets tagged for this visibility's load balancers, but not for
    another cluster."""
    return sorted((s.cidr_block for s in mock_subnets(VPC) if SUBNET_ROLE_TAGS[visibility] in s.tags
                   and not any(key.startswith("kubernetes.io/cluster/") for key in s.tags)),
                  key=ipaddress.ip_network)


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
            subnets=tuple(read_nlb_subnets(VPC, visibility, pulumi.InvokeOptions())),
            replicas=2,
            dualstack=dualstack,
            cluster_name=CLUSTER,
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
                                   trusted_proxy_cidrs=tagged_subnet_cidrs(visibility),
                                   control_plane_cidrs=[MOCK_VPC_CIDR])
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
        assert "loadBalancerSourceRanges" not in service  # ignored beside our own group: the group is the gate


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
    # An IPv4-only NLB: no IPv6 rules, for everyone or from an allow-list.
    assert rules(twins, INGRESS_RULE, "public") == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")}
    private = rules(twins, INGRESS_RULE, "private")
    assert private == {(port, cidr) for cidr in ALLOWED if ":" not in cidr for port in (80, 443)}
    assert not {cidr for _, cidr in private} & set(EVERYONE)
    # No egress rules: the LBC's backend group, attached beside ours, allows all egress anyway.
    assert twins.of_type(EGRESS_RULE) == []


def test_dualstack_groups_admit_ipv6_clients(run_mocked: Any, flavor: Flavor) -> None:
    twins = declare_twins(run_mocked, flavor, dualstack=True)
    assert rules(twins, INGRESS_RULE, "public") == {(port, cidr) for cidr in EVERYONE for port in (80, 443)}
    assert rules(twins, INGRESS_RULE, "private") == {(port, cidr) for cidr in ALLOWED for port in (80, 443)}


@pytest.mark.parametrize("allowed", [["0.0.0.0/0"], ["::/0"], ["10.0.0.0/8", "0.0.0.0/0"], []])
def test_private_group_never_opens_to_everyone(allowed: list[str]) -> None:
    with pytest.raises(ValueError):
        security_group_rules(Edge("private", "private", tuple(allowed)), dualstack=True)


def test_a_public_edge_is_open_to_everyone_unless_it_has_an_allow_list() -> None:
    everyone = security_group_rules(Edge("public", "public", ()), dualstack=True)
    assert {rule.cidr for rule in everyone} == set(EVERYONE)
    partners = security_group_rules(Edge("partners", "public", ("203.0.113.0/24",)))
    assert {(rule.port, rule.cidr) for rule in partners} == {(80, "203.0.113.0/24"), (443, "203.0.113.0/24")}
    assert all("partners clients" in rule.description for rule in partners)


@pytest.mark.parametrize("edge, dualstack, clients, ipv6", [
    (Edge("public", "public", ()), False, ["0.0.0.0/0"], False),
    (Edge("public", "public", ()), True, list(EVERYONE), True),
    (Edge("private", "private", ("10.30.0.0/16",)), True, ["10.30.0.0/16"], False),  # prod's private edge
    (Edge("private", "private", ("10.30.0.0/16", "2001:db8::/56")), True, ["10.30.0.0/16", "2001:db8::/56"], True),
    (Edge("private", "private", ("10.30.0.0/16", "2001:db8::/56")), False, ["10.30.0.0/16"], False),
])
def test_ipv6_clients_only_where_the_load_balancer_takes_them(edge: Edge, dualstack: bool, clients: list[str],
                                                               ipv6: bool) -> None:
    """AAAA records follow this: an IPv6 client the group drops would wait for a timeout before falling back."""
    assert client_cidrs(edge, dualstack) == clients
    assert takes_ipv6_clients(edge, dualstack) is ipv6


def test_an_ipv6_only_allow_list_needs_a_dualstack_load_balancer() -> None:
    with pytest.raises(ValueError, match="IPv4-only"):
        client_cidrs(Edge("labs", "private", ("2001:db8::/56",)), dualstack=False)


def test_rule_names_are_unique_and_stable() -> None:
    all_rules = security_group_rules(Edge("private", "private", tuple(ALLOWED)), dualstack=True)
    assert len({rule.role for rule in all_rules}) == len(all_rules) == 3 * 2
    assert SecurityGroupRule(443, "::/0").role == "in-443-ipv6-0"
    assert SecurityGroupRule(80, "10.10.0.0/16").role == "in-80-ipv4-10-10-0-0-16"


# -- whose PROXY header counts -----------------------------------------------------------


def test_proxy_headers_are_trusted_from_the_subnets_the_lbc_places_the_nlb_in(twins: Twins, flavor: Flavor) -> None:
    for visibility in ("public", "private"):
        values = twins.one(RELEASE, visibility).inputs["values"]
        trusted = trusted_proxies(flavor, values)
        assert trusted == tagged_subnet_cidrs(visibility)
        assert MOCK_VPC_CIDR not in trusted  # not the whole VPC, where every pod lives
        assert twins.controllers[visibility].spec.trusted_proxy_cidrs == tuple(trusted)


def test_each_controller_namespace_gets_a_network_policy_that_agrees_with_nginx(twins: Twins,
                                                                                 flavor: Flavor) -> None:
    for visibility in ("public", "private"):
        (policy,) = twins.of_type(NETWORK_POLICY, visibility)
        manifest = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", **policy.inputs}
        validate_kubernetes(manifest)
        assert manifest["metadata"]["namespace"] == f"ingress-{visibility}"
        controller = twins.controllers[visibility]
        assert manifest["spec"]["podSelector"]["matchLabels"] == flavor.selector_labels(controller.spec)
        trusted = trusted_proxies(flavor, twins.one(RELEASE, visibility).inputs["values"])
        in_a_trusted_subnet = str(next(ipaddress.ip_network(trusted[-1]).hosts()))
        a_pod_elsewhere = "10.0.48.9"  # in another cluster's subnet, tagged for load balancers too
        assert not any(ipaddress.ip_address(a_pod_elsewhere) in ipaddress.ip_network(c) for c in trusted)
        for port in flavor.pod_ports.traffic:
            assert admitted(manifest, in_a_trusted_subnet, port, from_a_pod=False)
            assert not admitted(manifest, a_pod_elsewhere, port, from_a_pod=True)
        # Admitted to the traffic ports = trusted by nginx, no more and no less.
        admitted_cidrs = {peer["ipBlock"]["cidr"] for rule in manifest["spec"]["ingress"]
                          if {p["port"] for p in rule["ports"]} & set(flavor.pod_ports.traffic)
                          for peer in rule["from"]}
        assert admitted_cidrs == set(trusted)


def test_subnets_are_found_as_the_load_balancer_controller_finds_them() -> None:
    def subnet(cidr: str, ipv6: str | None = "2001:db8::/64") -> Subnet:
        return Subnet(id=f"subnet-{cidr.split('.')[2]}", cidr=cidr, ipv6_cidr=ipv6, availability_zone="eu-west-1a")

    public = Edge("public", "public", ())
    # Every candidate, in address order: the LBC picks one per zone, and may pick another later.
    assert trusted_subnet_cidrs(public, VPC, [subnet("10.0.16.0/20"), subnet("10.0.0.0/20")], False) == [
        "10.0.0.0/20", "10.0.16.0/20"]
    with pytest.raises(ValueError, match=r"no subnet of vpc-\w+ is tagged kubernetes.io/role/elb"):
        trusted_subnet_cidrs(public, VPC, [], False)
    with pytest.raises(ValueError, match=r"kubernetes\.io/role/internal-elb"):
        trusted_subnet_cidrs(Edge("private", "private", ("10.0.0.0/8",)), VPC, [], False)
    with pytest.raises(ValueError, match=r"needs an IPv6 CIDR.*subnet-16 has none"):
        trusted_subnet_cidrs(public, VPC, [subnet("10.0.0.0/20"), subnet("10.0.16.0/20", None)], True)


def test_subnets_tagged_for_another_cluster_are_never_trusted() -> None:
    """The LBC leaves out subnets tagged only for other clusters (pkg/networking/subnet_resolver.go
    isSubnetContainsEligibleClusterTag): their addresses are no NLB's, so nginx must not trust them."""
    def subnet(third: int, *tags: str) -> Subnet:
        return Subnet(id=f"subnet-{third}", cidr=f"10.0.{third}.0/24", ipv6_cidr=None, availability_zone="eu-west-1a",
                      tag_keys=tags)

    public = Edge("public", "public", ())
    candidates = [subnet(1), subnet(2, "kubernetes.io/cluster/dev"), subnet(3, "kubernetes.io/cluster/other"),
                  subnet(4, "kubernetes.io/cluster/other", "kubernetes.io/cluster/dev"),
                  subnet(5, "kubernetes.io/clusterwide")]  # the LBC tests the prefix without its slash
    assert trusted_subnet_cidrs(public, VPC, candidates, False, "dev") == ["10.0.1.0/24", "10.0.2.0/24",
                                                                          "10.0.4.0/24"]
    with pytest.raises(ValueError, match=r"subnet-2, subnet-3, subnet-4, subnet-5 carry kubernetes.io/cluster/"
                                         r"<name> tags.*set gangplank:clusterName"):
        trusted_subnet_cidrs(public, VPC, candidates, False, None)
    assert trusted_subnet_cidrs(public, VPC, [subnet(1)], False, None) == ["10.0.1.0/24"]  # no tags: no name needed
    with pytest.raises(ValueError, match=r"every subnet of vpc-\w+ tagged kubernetes.io/role/elb is tagged for "
                                         r"another cluster than 'dev'"):
        trusted_subnet_cidrs(public, VPC, [subnet(3, "kubernetes.io/cluster/other")], False, "dev")


def test_the_mocked_vpc_has_another_clusters_subnets_and_no_edge_trusts_them(twins: Twins, flavor: Flavor) -> None:
    others = [s for s in mock_subnets(VPC) if "kubernetes.io/cluster/legacy-eks" in s.tags]
    assert others and all(SUBNET_ROLE_TAGS["public"] in s.tags for s in others)
    for visibility in ("public", "private"):
        trusted = [ipaddress.ip_network(c) for c in twins.controllers[visibility].spec.trusted_proxy_cidrs]
        assert not any(ipaddress.ip_network(s.cidr_block).overlaps(net) for s in others for net in trusted)


class UntaggedVpcMocks(GangplankMocks):
    """A VPC whose subnets carry no load-balancer role tags."""

    def subnets(self, vpc_ids: list[str]) -> list[MockSubnet]:
        return [dataclasses.replace(subnet, tags={}) for subnet in super().subnets(vpc_ids)]


class IPv4OnlyVpcMocks(GangplankMocks):
    """A VPC without IPv6."""

    def subnets(self, vpc_ids: list[str]) -> list[MockSubnet]:
        return [dataclasses.replace(subnet, ipv6_cidr_block="") for subnet in super().subnets(vpc_ids)]


def monitor_with(mocks: type[GangplankMocks], made: list[RecordingMonitor]) -> type[RecordingMonitor]:
    class Monitor(RecordingMonitor):
        def __init__(self, _: Any) -> None:
            super().__init__(mocks())
            made.append(self)

    return Monitor


@pytest.mark.parametrize("mocks, config, key, message", [
    (UntaggedVpcMocks, {}, "gangplank:vpcId", "tag the subnets for internet-facing load balancers with "
                                              "kubernetes.io/role/elb=1"),
    (IPv4OnlyVpcMocks, {"dualstack": True}, "gangplank:dualstack", "needs an IPv6 CIDR in every subnet"),
])
def test_a_vpc_the_lbc_cannot_place_the_nlbs_in_stops_the_plan(run_mocked: Any, mocks: type[GangplankMocks],
                                                              config: dict[str, Any], key: str, message: str) -> None:
    def program() -> None:  # as __main__.py: read the subnets, check, and only then declare
        settings = make_settings(**config)
        subnets = read_edge_subnets(settings)
        check_before_declaring(settings, [], "dev", subnets, dry_run=True)
        Platform("platform", PlatformArgs(settings=settings, stack="dev", subnets=subnets))

    made: list[RecordingMonitor] = []
    with pytest.raises(InputError) as caught:
        run_mocked(program, monitor_class=monitor_with(mocks, made))
    assert all(problem.file == "Pulumi.dev.yaml" and problem.subject == f"config '{key}'"
               for problem in caught.value.problems)
    assert {"public", "private"} == {p.message.split("'")[1] for p in caught.value.problems}
    assert message in str(caught.value)
    # Found before anything was declared: not even the platform component.
    assert made[0].registrations == []


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


POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
POLICY_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"


def test_component_shape(twins: Twins, flavor: Flavor) -> None:
    guards = {POLICY, POLICY_BINDING} if flavor.name == "nginx-inc" else set()
    components = twins.of_type(TYPE_TOKEN)
    assert sorted(c.name for c in components) == ["ic-private", "ic-public"]  # RPCs finish in any order
    for visibility, controller in twins.controllers.items():
        assert controller.ingress_class == f"nginx-{visibility}"
        assert controller.namespace == f"ingress-{visibility}"
        assert controller.dualstack is False
        children = [r for r in twins.monitor.registrations if r.parent == f"{TYPE_TOKEN}::ic-{visibility}"]
        assert {r.type for r in children} == {SG_TYPE, INGRESS_RULE, RELEASE, NAMESPACE, NETWORK_POLICY, *guards}
        assert all(r.name.startswith(f"ic-{visibility}-") for r in children)
    # Every resource belongs to one of the two components.
    assert all(r.parent is not None for r in twins.monitor.registrations if r.type != TYPE_TOKEN)


def test_f5_edges_get_a_valid_admission_policy_for_their_own_class(twins: Twins, flavor: Flavor) -> None:
    for visibility in ("public", "private"):
        found = twins.of_type(POLICY, visibility) + twins.of_type(POLICY_BINDING, visibility)
        if flavor.name != "nginx-inc":
            assert found == []
            continue
        policy, binding = twins.one(POLICY, visibility), twins.one(POLICY_BINDING, visibility)
        for reg, kind in ((policy, "ValidatingAdmissionPolicy"), (binding, "ValidatingAdmissionPolicyBinding")):
            validate_kubernetes({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, **reg.inputs})
        assert f"'nginx-{visibility}'" in policy.inputs["spec"]["matchConditions"][0]["expression"]
        assert binding.inputs["spec"]["policyName"] == policy.inputs["metadata"]["name"]
        assert binding.inputs["spec"]["validationActions"] == ["Deny"]


def test_namespaces_are_valid_kubernetes(twins: Twins) -> None:
    for visibility in ("public", "private"):
        (namespace,) = twins.of_type(NAMESPACE, visibility)
        manifest = {"apiVersion": "v1", "kind": "Namespace", **namespace.inputs}
        validate_kubernetes(manifest)
        assert manifest["metadata"]["name"] == f"ingress-{visibility}"
        assert manifest["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
        # The LBC injects readiness gates here: a rollout waits for new pods to be healthy NLB targets.
        assert manifest["metadata"]["labels"].items() >= READINESS_GATE_LABEL.items()
        assert READINESS_GATE_LABEL == {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}


def test_dualstack_reaches_the_load_balancer(run_mocked: Any, flavor: Flavor) -> None:
    twins = declare_twins(run_mocked, flavor, dualstack=True)
    for visibility, controller in twins.controllers.items():
        assert controller.dualstack is True
        assert controller.ipv6_clients is True  # ALLOWED holds an IPv6 block
        annotations = twins.one(RELEASE, visibility).inputs["values"]["controller"]["service"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-ip-address-type"] == "dualstack"


def test_private_controller_without_allow_list_is_refused(run_mocked: Any, flavor: Flavor) -> None:
    def program() -> None:
        IngressController("ic-private", IngressControllerArgs(
            edge=Edge("private", "private", ()), flavor=flavor, chart_version=None, vpc_id=VPC,
            certificate_arn=CERT, subnets=tuple(read_nlb_subnets(VPC, "private", pulumi.InvokeOptions())),
            cluster_name=CLUSTER))

    with pytest.raises(ValueError, match="at least one allowed CIDR"):
        run_mocked(program)
