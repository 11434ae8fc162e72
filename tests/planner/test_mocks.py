"""planner.mocks answers like the providers: ids shaped like theirs, nothing they would not compute."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.stack import wait_for_rpcs

from components.uptimerobot.monitor import Monitor, MonitorArgs
from planner.mocks import MOCK_VPC_CIDR, MOCK_VPC_IPV6_CIDR, GangplankMocks
from planner.run import build_plan, mocked_runtime
from tests.conftest import ROOT, STACKS

ZONE_ID = re.compile(r"^Z[A-Z0-9]{13,21}$")
SG_ID = re.compile(r"^sg-[0-9a-f]{17}$")
SG_RULE_ID = re.compile(r"^sgr-[0-9a-f]{17}$")
CERT_ARN = re.compile(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12}$")
K8S_NAMESPACED_ID = re.compile(r"^[a-z0-9-]+/[a-z0-9.-]+$")


def resources(cached_run, stack="dev", flavor="nginx-inc"):
    return build_plan(cached_run(stack, flavor, "plan"))["resources"]


def test_ids_are_shaped_like_the_providers(cached_run):
    for stack in STACKS:
        for r in resources(cached_run, stack):
            kind, rid = r["type"], r["id"]
            if kind == "aws:route53/zone:Zone":
                assert ZONE_ID.match(rid), rid
            elif kind == "aws:route53/record:Record":
                zone, rest = rid.split("_", 1)
                name, record_type = rest.rsplit("_", 1)
                assert ZONE_ID.match(zone) and record_type == r["inputs"]["type"], rid
                # terraform-provider-aws: the name is stored without its trailing dot, lower-cased.
                assert name == r["inputs"]["name"].rstrip(".").lower(), rid
            elif kind == "aws:ec2/securityGroup:SecurityGroup":
                assert SG_ID.match(rid), rid
            elif kind.startswith("aws:vpc/securityGroup"):
                assert SG_RULE_ID.match(rid), rid
            elif kind == "aws:acm/certificate:Certificate":
                assert CERT_ARN.match(rid), rid
            elif kind == "kubernetes:helm.sh/v3:Release":
                assert rid == f"{r['inputs']['namespace']}/{r['inputs']['name']}"
            elif kind.startswith("kubernetes:admissionregistration.k8s.io/") or kind.endswith(":GatewayClass"):
                # cluster-scoped (GatewayClass: dev's labs edge): the name alone
                assert rid == r["inputs"]["metadata"]["name"], (r["name"], rid)
            elif kind.startswith("kubernetes:") and kind != "kubernetes:core/v1:Namespace":
                assert K8S_NAMESPACED_ID.match(rid), (r["name"], rid)


def test_cluster_ip_services_get_no_load_balancer():
    """The old mocks gave every Service an NLB host name, and `/name` as id."""
    with mocked_runtime("dev") as (_monitor, loop):
        service = k8s.core.v1.Service("app", metadata={"name": "app", "namespace": "shop"},
                                      spec={"type": "ClusterIP", "ports": [{"port": 80}]})
        balanced = k8s.core.v1.Service("lb", metadata={"name": "lb", "namespace": "edge"},
                                       spec={"type": "LoadBalancer", "loadBalancerClass": "service.k8s.aws/nlb",
                                             "ports": [{"port": 80}]})
        other_class = k8s.core.v1.Service("other", metadata={"name": "other", "namespace": "edge"},
                                          spec={"type": "LoadBalancer", "ports": [{"port": 80}]})
        loop.run_until_complete(wait_for_rpcs())
        assert loop.run_until_complete(service.id.future()) == "shop/app"
        assert loop.run_until_complete(service.status.future()) is None
        assert loop.run_until_complete(other_class.status.future()) is None  # not the Load Balancer Controller's
        status = loop.run_until_complete(balanced.status.future())
        assert status.load_balancer.ingress[0].hostname.startswith("k8s-edge-lb-")


def test_a_read_service_has_a_load_balancer_only_if_a_chart_made_one():
    with mocked_runtime("dev") as (_monitor, loop):
        k8s.helm.v3.Release("r", name="ingress-public", namespace="ingress-public", chart="c", version="1",
                            values={"controller": {"service": {"type": "LoadBalancer",
                                                               "loadBalancerClass": "service.k8s.aws/nlb"}}})
        loop.run_until_complete(wait_for_rpcs())
        from_chart = k8s.core.v1.Service.get("from-chart", "ingress-public/ingress-public-controller")
        elsewhere = k8s.core.v1.Service.get("elsewhere", "monitoring/grafana")
        loop.run_until_complete(wait_for_rpcs())
        hostname = loop.run_until_complete(from_chart.status.future()).load_balancer.ingress[0].hostname
        # The Load Balancer Controller's name: k8s-<namespace:8>-<name:8>-<hash>, alphanumerics only.
        assert re.match(r"^k8s-ingressp-ingressp-[0-9a-f]{10}-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$", hostname)
        assert loop.run_until_complete(elsewhere.status.future()) is None
        assert loop.run_until_complete(elsewhere.spec.future()).type == "ClusterIP"


def test_a_new_certificate_is_pending_validation(cached_run):
    run = cached_run("prod", "nginx-inc", "plan")
    states = [r.state() for r in run.monitor.registrations if r.type == "aws:acm/certificate:Certificate"]
    assert states and {s["status"] for s in states} == {"PENDING_VALIDATION"}


def test_a_dynamic_resource_goes_through_its_providers_check():
    with mocked_runtime("dev") as (monitor, loop):
        Monitor("m", MonitorArgs(friendly_name="m", url="https://m.example.com/", interval=10,
                                 type="KEYWORD", keyword_type="ALERT_EXISTS", keyword_value=" ok"))
        loop.run_until_complete(wait_for_rpcs())
    failures = {f.field: f.reason for f in monitor.mocks.check_failures}
    assert set(failures) == {"interval", "keyword_value"}
    assert failures["interval"].startswith("interval must be at least 30")


def test_a_keyword_with_a_trailing_space_fails_the_offline_plan(write_apps):
    """Today only the real preview (the provider's check) refused it; the offline plan passed it."""
    path = write_apps("""
        apps:
          - name: shop
            visibility: public
            service: {name: shop, port: 80}
            monitor:
              type: KEYWORD
              keyword: "Acme Shop "
        """)
    result = subprocess.run([sys.executable, "-m", "planner", "--apps", path], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:7: app 'shop' field 'monitor.keyword': ")
    assert "keyword_value must not start or end with whitespace" in first


def test_the_check_sees_unknowns_in_previews():
    """In a preview an input may be unknown; the provider's check lets it through, as the engine's does."""
    with mocked_runtime("dev", mode="fresh") as (monitor, loop):
        namespace = k8s.core.v1.Namespace("ns", metadata={"name": "a"})
        Monitor("m", MonitorArgs(friendly_name="m", url=namespace.id.apply(lambda i: f"https://{i}.example.com/")))
        loop.run_until_complete(wait_for_rpcs())
    assert monitor.mocks.check_failures == []
    (registration,) = [r for r in monitor.registrations if r.name == "m"]
    assert registration.inputs["url"] == "[unknown]"


def test_record_fqdn_expands_the_zone_name_like_the_provider():
    from pulumi.runtime.mocks import MockResourceArgs

    from planner.mocks import provider_answers

    answers = provider_answers()
    zone = answers["aws:route53/zone:Zone"]
    record = answers["aws:route53/record:Record"]
    zone_id, _ = zone(MockResourceArgs("aws:route53/zone:Zone", "z", {"name": "dev.example.com"}))
    rid, state = record(MockResourceArgs("aws:route53/record:Record", "r",
                                         {"zoneId": zone_id, "name": "Shop.Dev.Example.com.", "type": "A"}))
    assert rid == f"{zone_id}_shop.dev.example.com_A"
    assert state["name"] == state["fqdn"] == "shop.dev.example.com"
    # A relative name gets the zone's name appended (record.go, expandRecordName); the id keeps the name as given.
    rid, state = record(MockResourceArgs("aws:route53/record:Record", "r", {"zoneId": zone_id, "name": "api",
                                                                             "type": "A"}))
    assert (rid, state["fqdn"]) == (f"{zone_id}_api_A", "api.dev.example.com")


# -- subnets (the NLBs' placement and PROXY-header trust) -------------------------------

VPC = "vpc-0a1b2c3d4e5f60718"


def call(mocks: GangplankMocks, token: str, args: dict[str, Any]) -> dict[str, Any]:
    result, _ = mocks.call(pulumi.runtime.MockCallArgs(token=token, args=args, provider=""))
    return result


def subnet_ids(mocks: GangplankMocks, *filters: tuple[str, list[str]]) -> list[str]:
    return call(mocks, "aws:ec2/getSubnets:getSubnets",
                {"filters": [{"name": name, "values": values} for name, values in filters]})["ids"]


def test_get_subnets_applies_every_filter_as_ec2_does() -> None:
    mocks = GangplankMocks()
    everything = subnet_ids(mocks, ("vpc-id", [VPC]))
    public = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/elb", ["", "1"]))
    internal = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/internal-elb", ["", "1"]))
    other_cluster = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag-key", ["kubernetes.io/cluster/legacy-eks"]))
    # Three public and three private subnets of this cluster, and three public ones tagged for another cluster.
    assert len(public) == 6 and len(internal) == len(other_cluster) == 3 and len(everything) == 9
    assert set(other_cluster) < set(public)
    assert not set(public) & set(internal) and set(public) | set(internal) == set(everything)
    # A tag filter matches the tag's value, not only its presence; another VPC has other subnets.
    assert subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/elb", ["0"])) == []
    assert not set(subnet_ids(mocks, ("vpc-id", ["vpc-0b2c3d4e5f6071829"]))) & set(everything)
    # Asking again gives the same ids: plans stay byte-for-byte deterministic.
    assert subnet_ids(GangplankMocks(), ("vpc-id", [VPC])) == everything


def test_get_subnet_describes_a_listed_subnet_and_fails_for_another() -> None:
    mocks = GangplankMocks()
    ids = subnet_ids(mocks, ("vpc-id", [VPC]))
    cidrs = []
    for subnet_id in ids:
        subnet = call(mocks, "aws:ec2/getSubnet:getSubnet", {"id": subnet_id})
        assert subnet["id"] == subnet_id and subnet["vpcId"] == VPC
        assert ipaddress.ip_network(subnet["cidrBlock"]).subnet_of(ipaddress.ip_network(MOCK_VPC_CIDR))
        assert ipaddress.ip_network(subnet["ipv6CidrBlock"]).subnet_of(ipaddress.ip_network(MOCK_VPC_IPV6_CIDR))
        cidrs.append(ipaddress.ip_network(subnet["cidrBlock"]))
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    with pytest.raises(ValueError, match="no matching EC2 Subnet"):
        call(mocks, "aws:ec2/getSubnet:getSubnet", {"id": "subnet-0000000000000000"})


def test_the_sdk_reads_the_answers(run_mocked: Any) -> None:
    """Through pulumi_aws's own result types, as the program reads them."""
    def program() -> list[aws.ec2.GetSubnetResult]:
        found = aws.ec2.get_subnets(filters=[aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[VPC])])
        return [aws.ec2.get_subnet(id=subnet_id) for subnet_id in found.ids]

    subnets, _ = run_mocked(program)
    assert len(subnets) == 9 and all(s.cidr_block and s.availability_zone.startswith("us-east-1") for s in subnets)


@pytest.fixture
def loops_made(monkeypatch) -> list[Any]:
    """Every event loop made from now on (the SDK's mock monitor makes one per engine thread)."""
    import asyncio

    made: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.new_event_loop

    def recording() -> asyncio.AbstractEventLoop:
        made.append(new_event_loop())
        return made[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", recording)
    return made


def test_a_run_leaves_no_event_loop_open(run_stack, loops_made):
    """A loop left open outlives its thread and warns in whichever later test collects it."""
    run_stack("dev")
    assert len(loops_made) > 1  # the run's own loop, and the engine threads'
    assert [loop for loop in loops_made if not loop.is_closed()] == []


def test_a_read_alone_leaves_no_event_loop_open(loops_made):
    """The planner's own ReadResource (a `Resource.get`) makes its thread's loop as the SDK's would: an engine
    thread that only reads leaves no loop open either."""
    import threading

    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import resource_pb2

    request = resource_pb2.ReadResourceRequest(type="aws:route53/zone:Zone", name="adopted",
                                               id="Z0123456789ABCDEFGHIJ", properties=struct_pb2.Struct())
    with mocked_runtime("dev") as (monitor, _loop):
        reader = threading.Thread(target=monitor.ReadResource, args=(request,))
        reader.start()
        reader.join(timeout=30)
        assert [reg.name for reg in monitor.read_registrations] == ["adopted"]
    assert len(loops_made) == 2 and [loop for loop in loops_made if not loop.is_closed()] == []
