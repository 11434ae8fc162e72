"""The shared platform as the plan shows it: zones, certificates, twin controllers."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from components.platform.certificates import certificate_names, validation_record
from tests.conftest import FLAVORS, STACKS, of_type

ZONE = "aws:route53/zone:Zone"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"



@pytest.fixture(scope="module", params=[(s, f) for s in STACKS for f in FLAVORS], ids=lambda p: f"{p[0]}-{p[1]}")
def stack_plan(request) -> dict[str, Any]:
    from planner.run import plan
    from tests.conftest import ROOT

    stack, flavor = request.param
    return {**plan(stack, None, ROOT, {"gangplank:flavor": flavor}), "flavor": flavor}


def test_zones_are_protected_and_private_is_in_the_vpc(stack_plan):
    zones = {z["inputs"]["name"]: z for z in of_type(stack_plan, ZONE)}
    assert len(zones) == 2
    for zone in zones.values():
        assert zone["options"]["protect"] is True
    private = next(z for name, z in zones.items() if name.startswith("internal."))
    assert private["inputs"]["vpcs"][0]["vpcId"].startswith("vpc-")
    public = next(z for name, z in zones.items() if not name.startswith("internal."))
    assert "vpcs" not in public["inputs"]


def test_prod_adopts_its_existing_public_zone(stack_plan):
    public = next(z for z in of_type(stack_plan, ZONE) if not z["inputs"]["name"].startswith("internal."))
    if stack_plan["stack"] == "prod":
        assert public["options"]["import"] == "Z0123456789ABCDEFGHIJ"
    else:
        assert "import" not in public.get("options", {})


def test_one_certificate_per_zone_covers_every_app_host(stack_plan):
    certificates = of_type(stack_plan, CERT)
    assert len(certificates) == 2
    patterns = [name for c in certificates for name in [c["inputs"]["domainName"],
                                                        *c["inputs"]["subjectAlternativeNames"]]]
    for cert in certificates:
        assert cert["inputs"]["validationMethod"] == "DNS"
    for app in stack_plan["apps"]:
        host = app["url"].split("/")[2]
        assert any(fnmatch.fnmatchcase(host, p) and host.count(".") == p.count(".") for p in patterns), host


def test_validation_records_in_the_public_zone_once_per_certificate(stack_plan):
    public_zone = next(z["id"] for z in of_type(stack_plan, ZONE) if not z["inputs"]["name"].startswith("internal."))
    validation_records = [r for r in of_type(stack_plan, RECORD) if r["name"].endswith("-validation")]
    assert len(validation_records) == 2
    for record in validation_records:
        assert record["inputs"]["zoneId"] == public_zone
        assert record["inputs"]["type"] == "CNAME"
    validations = of_type(stack_plan, VALIDATION)
    assert len(validations) == 2
    fqdns = {r["inputs"]["name"].rstrip(".") for r in validation_records}
    assert {v["inputs"]["validationRecordFqdns"][0].rstrip(".") for v in validations} == fqdns


def test_two_controllers_with_distinct_classes(stack_plan):
    releases = [r for r in of_type(stack_plan, RELEASE) if r["parent"].startswith("gangplank:platform:")]
    edges = stack_plan["outputs"]["platform"]["edges"]
    assert len(releases) == len(edges) == (3 if stack_plan["stack"] == "dev" else 2)  # dev: labs too
    assert len({r["inputs"]["name"] for r in releases}) == len(edges)
    assert len({r["inputs"]["namespace"] for r in releases}) == len(edges)
    classes = {app["ingressClass"] for app in stack_plan["apps"]}
    assert classes == {edge["ingressClass"] for edge in edges.values()}
    assert {"nginx-public", "nginx-private"} <= classes


def test_platform_resources_do_not_grow_with_apps(stack_plan):
    shared = [r for r in stack_plan["resources"] if r["type"] in (ZONE, CERT, RELEASE)
              and (r["parent"] or "").startswith("gangplank:platform:")]
    edges = stack_plan["outputs"]["platform"]["edges"]
    # 2 zones, 2 certificates, a controller release per edge (dev: labs too), whatever the number of apps
    assert len(shared) == 2 + 2 + len(edges)


def test_certificate_names_are_apex_and_wildcard():
    assert certificate_names("dev.example.com") == ("dev.example.com", ["*.dev.example.com"])


def test_apex_and_wildcard_share_one_validation_record():
    options = [
        {"domain_name": "dev.example.com", "resource_record_name": "_a.dev.example.com.",
         "resource_record_type": "CNAME", "resource_record_value": "_b.acm-validations.aws."},
        {"domain_name": "*.dev.example.com", "resource_record_name": "_a.dev.example.com.",
         "resource_record_type": "CNAME", "resource_record_value": "_b.acm-validations.aws."},
    ]
    assert validation_record(options, "dev.example.com") == {
        "name": "_a.dev.example.com.", "type": "CNAME", "value": "_b.acm-validations.aws."}
    with pytest.raises(ValueError, match=r"no validation record for other\.example\.com"):
        validation_record(options, "other.example.com")


def test_validation_waits_no_longer_than_the_deploy_can_and_may_take_over_an_identical_record(stack_plan):
    from components.platform.certificates import VALIDATION_TIMEOUT

    for validation in of_type(stack_plan, VALIDATION):
        assert validation["options"]["customTimeouts"] == {"create": VALIDATION_TIMEOUT}
    for record in (r for r in of_type(stack_plan, RECORD) if r["name"].endswith("-validation")):
        # ACM's CNAME for a domain is the same for every certificate of the account: an earlier one's
        # record in an adopted zone is this one's, so CREATE must not fail on it.
        assert record["inputs"]["allowOverwrite"] is True


def test_every_ingress_waits_for_every_controller_and_every_monitor_for_its_dns(stack_plan):
    releases = {f"{RELEASE}::{r['name']}" for r in of_type(stack_plan, RELEASE)
                if r["parent"].startswith("gangplank:platform:IngressController::")}
    assert len(releases) == 2
    ingresses = of_type(stack_plan, "kubernetes:networking.k8s.io/v1:Ingress")
    masters = [i for i in ingresses if i["name"].endswith("-master")]
    assert bool(masters) == (stack_plan["flavor"] == "nginx-inc")  # shop and shop-api share a host
    assert any(i["name"] == "forecastle-ingress" for i in ingresses)
    for ingress in ingresses:  # apps, masters and the dashboard's alike
        assert releases <= set(ingress["dependencies"]), ingress["name"]
    records_by_host: dict[str, set[str]] = {}
    for record in of_type(stack_plan, RECORD):
        if record["inputs"]["type"] in ("A", "AAAA"):
            records_by_host.setdefault(record["inputs"]["name"], set()).add(f"{RECORD}::{record['name']}")
    monitors = of_type(stack_plan, "pulumi-python:dynamic/uptimerobot:Monitor")
    assert monitors
    for monitor in monitors:
        host = monitor["inputs"]["url"].split("/")[2]
        assert records_by_host[host] <= set(monitor["dependencies"]), monitor["name"]  # A and AAAA alike
        app = monitor["name"].removesuffix("-monitor")
        # Its app's Ingress, or on a Gateway API edge (dev's labs) its HTTPRoute.
        assert {f"kubernetes:networking.k8s.io/v1:Ingress::{app}-ingress",
                f"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::{app}-route-envoy-gateway"} \
            & set(monitor["dependencies"]), monitor["name"]


def test_dns_records_wait_for_the_load_balancer_read_back_after_the_release(stack_plan):
    for record in of_type(stack_plan, RECORD):
        if record["inputs"]["type"] in ("A", "AAAA"):
            assert any(d.startswith("kubernetes:core/v1:Service::platform-") for d in record["dependencies"])
