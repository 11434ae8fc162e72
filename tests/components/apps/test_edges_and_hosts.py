"""A stack with a third edge, apps on several edges, apex and alias hosts, and an HTTPS backend, on both flavors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from planner.run import build_plan
from tests.conftest import FLAVORS, of_type, validate_kubernetes

EDGES = json.dumps({"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24", "198.51.100.16/28"]}})
CATALOGUE = """
apps:
  - name: shop
    edges: [public, private]
    host: shop
    aliases: [www]
    service: {name: shop, port: 80}
  - name: partner-api
    namespace: partners
    edges: [partners]
    service: {name: partner-gateway, port: 8443, protocol: HTTPS}
    healthPath: /status
  - name: home
    visibility: public
    host: dev.example.com
    service: {name: home, port: 80}
"""
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module", params=FLAVORS)
def three_edges(request, tmp_path_factory) -> tuple[str, Any]:
    from planner.run import run_program
    from tests.conftest import ROOT

    path = tmp_path_factory.mktemp("edges") / "apps.yaml"
    path.write_text(CATALOGUE.lstrip("\n"), encoding="utf-8")
    run = run_program("dev", str(path), ROOT, {"gangplank:edges": EDGES, "gangplank:flavor": request.param})
    return request.param, run



def test_three_controllers_with_distinct_classes_releases_and_namespaces(three_edges):
    flavor, run = three_edges
    plan = build_plan(run)
    releases = {r["parent"].split("::")[1]: r["inputs"] for r in of_type(plan, RELEASE)
                if r["parent"].startswith("gangplank:platform:IngressController::")}
    assert sorted(releases) == ["platform-partners", "platform-private", "platform-public"]
    assert {r["name"] for r in releases.values()} == {"ingress-public", "ingress-private", "ingress-partners"}
    assert {r["namespace"] for r in releases.values()} == {"ingress-public", "ingress-private", "ingress-partners"}
    assert plan["outputs"]["platform"]["edges"]["partners"] == {
        "visibility": "public", "flavor": flavor, "ingressClass": "nginx-partners",
        "allowedCidrs": ["203.0.113.0/24", "198.51.100.16/28"],
        # A public edge: its NLB sits in the subnets tagged kubernetes.io/role/elb (planner/mocks/network.py).
        "trustedProxyCidrs": ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"], "ipv6Clients": False}
    partners = releases["platform-partners"]["values"]
    annotations = partners["controller"]["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internet-facing"
    assert set(plan["outputs"]["loadBalancers"]) == {"public", "private", "partners"}


def test_the_partners_security_group_admits_only_the_partners(three_edges):
    _, run = three_edges
    plan = build_plan(run)
    rules = [r["inputs"] for r in of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r["parent"] == "gangplank:platform:IngressController::platform-partners"]
    assert {(r["fromPort"], r["cidrIpv4"]) for r in rules} == {
        (port, cidr) for port in (80, 443) for cidr in ("203.0.113.0/24", "198.51.100.16/28")}


def ingresses_of(plan: dict[str, Any], app: str) -> dict[str, dict[str, Any]]:
    parent = f"gangplank:apps:ExposedApp::{app}"
    return {r["name"]: r["inputs"] for r in of_type(plan, INGRESS) if r["parent"] == parent}


def test_an_app_on_public_and_private_gets_an_ingress_and_records_per_edge(three_edges):
    _, run = three_edges
    plan = build_plan(run)
    ingresses = ingresses_of(plan, "shop")
    assert sorted(ingresses) == ["shop-ingress", "shop-ingress-private"]
    public, private = ingresses["shop-ingress"], ingresses["shop-ingress-private"]
    assert public["spec"]["ingressClassName"] == "nginx-public"
    assert [rule["host"] for rule in public["spec"]["rules"]] == ["shop.dev.example.com", "www.dev.example.com"]
    assert private["spec"]["ingressClassName"] == "nginx-private"
    assert private["metadata"]["name"] == "shop-private"
    assert [rule["host"] for rule in private["spec"]["rules"]] == ["shop.internal.dev.example.com",
                                                                   "www.internal.dev.example.com"]
    # The bookmark once, on the first Ingress.
    assert "forecastle.stakater.com/expose" in public["metadata"]["annotations"]
    assert "forecastle.stakater.com/expose" not in private["metadata"]["annotations"]
    zones = {z["inputs"]["name"]: z["id"] for z in of_type(plan, "aws:route53/zone:Zone")}
    lbs = plan["outputs"]["loadBalancers"]
    alias = {r["inputs"]["name"]: r["inputs"] for r in of_type(plan, RECORD) if r["inputs"]["type"] == "A"}
    for host, zone, edge in (("shop.dev.example.com", "dev.example.com", "public"),
                             ("www.dev.example.com", "dev.example.com", "public"),
                             ("shop.internal.dev.example.com", "internal.dev.example.com", "private"),
                             ("www.internal.dev.example.com", "internal.dev.example.com", "private")):
        assert alias[host]["zoneId"] == zones[zone]
        assert alias[host]["aliases"][0]["name"] == lbs[edge]
    [app] = [a for a in plan["apps"] if a["name"] == "shop"]
    assert app["edges"] == ["public", "private"] and app["monitored"] is True
    assert app["monitor"]["url"] == "https://shop.dev.example.com/"


def test_an_app_on_the_partners_edge_is_served_by_it_and_not_monitored(three_edges):
    flavor, run = three_edges
    plan = build_plan(run)
    [ingress] = ingresses_of(plan, "partner-api").values()
    assert ingress["spec"]["ingressClassName"] == "nginx-partners"
    alias = {r["inputs"]["name"]: r["inputs"] for r in of_type(plan, RECORD) if r["inputs"]["type"] == "A"}
    assert alias["partner-api.dev.example.com"]["aliases"][0]["name"] == plan["outputs"]["loadBalancers"]["partners"]
    [app] = [a for a in plan["apps"] if a["name"] == "partner-api"]
    assert app["monitored"] is False and "'partners' admits only its allowedCidrs" in app["monitorSkipped"]
    annotations = ingress["metadata"]["annotations"]
    if flavor == "nginx-inc":
        assert annotations["nginx.org/ssl-services"] == "partner-gateway"
    else:
        assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    assert app["backend"] == "service partner-gateway:8443 (HTTPS)"


def test_an_apex_host_has_its_records_and_its_marker_inside_the_zone(three_edges):
    _, run = three_edges
    plan = build_plan(run)
    records = {(r["inputs"]["name"], r["inputs"]["type"]): r for r in of_type(plan, RECORD)}
    apex = records[("dev.example.com", "A")]
    assert apex["parent"] == "gangplank:apps:Host::dev.example.com"
    marker = records[("a.dev.example.com", "TXT")]["inputs"]
    assert marker["name"].endswith(".dev.example.com")  # inside the zone, not in example.com
    assert marker["records"] == ["heritage=external-dns,external-dns/owner=gangplank-dev,"
                                 "external-dns/resource=ingress/home/home"]
    www = records[("a-www.dev.example.com", "TXT")]["inputs"]
    assert www["records"][0].endswith("external-dns/resource=ingress/shop/shop")


def test_every_kubernetes_object_is_valid(three_edges):
    flavor, run = three_edges
    checked = 0
    for registration in run.monitor.registrations:
        if registration.type.startswith("kubernetes:") and registration.type != RELEASE:
            validate_kubernetes(registration.revealed_inputs())
            checked += 1
    # 4 namespaces (3 controllers, the dashboard), 3 controller NetworkPolicies and 5 Ingresses; on F5 also an
    # admission policy and its binding per edge
    assert checked == 12 + (6 if flavor == "nginx-inc" else 0)


def test_new_hosts_declare_no_legacy_alias(three_edges):
    _, run = three_edges
    plan = build_plan(run)
    for record in of_type(plan, RECORD):
        aliases = (record.get("options") or {}).get("aliases") or []
        # Only the main host of its first app existed before hosts were components.
        legacy = record["inputs"]["name"] in ("shop.dev.example.com", "a-shop.dev.example.com",
                                              "partner-api.dev.example.com", "a-partner-api.dev.example.com",
                                              "dev.example.com", "a.dev.example.com",
                                              "dashboard.internal.dev.example.com",
                                              "a-dashboard.internal.dev.example.com")
        if record["parent"] and record["parent"].startswith("gangplank:apps:Host::"):
            assert bool(aliases) == legacy, record["name"]
