"""planner/mocks/providers.py answers like the providers: ids shaped like theirs, nothing they would not compute."""

from __future__ import annotations

import re

import pulumi_kubernetes as k8s
from pulumi.runtime.stack import wait_for_rpcs

from planner.run import build_plan, mocked_runtime
from tests.conftest import STACKS

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


def test_record_fqdn_expands_the_zone_name_like_the_provider():
    from pulumi.runtime.mocks import MockResourceArgs

    from planner.mocks.providers import provider_answers

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

