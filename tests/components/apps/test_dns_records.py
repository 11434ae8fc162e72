"""DNS record modes: `perHost` (records per host, today's plans) and `wildcard` (one `*.<zone>` alias per zone)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.apps.host import (
    WILDCARD_REPLACEMENT,
    ownership_record_name,
    served_by_wildcard,
    wildcard_edges,
    wildcard_name,
)
from planner.diff import diff_plans
from tests.conftest import FLAVORS, ROOT, STACKS

RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
ROUTE53 = (RECORD, ZONE)
WILDCARD = {"dnsRecords": "wildcard"}
PARTNERS_EDGE = json.dumps({"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]}})

# The example catalogue, and the same with one more public and one more private app.
ONE_MORE_APP = """
  - name: newsletter
    visibility: public
    service: {name: newsletter, port: 80}
  - name: handbook
    visibility: private
    deploy: {image: ghcr.io/acme/handbook:1.0, port: 8080}
"""


def of_type(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == type_]


def zones(plan: dict[str, Any]) -> dict[str, str]:
    """Zone id -> zone name."""
    return {r["id"]: r["inputs"]["name"] for r in of_type(plan, ZONE)}


def alias_records(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["inputs"] for r in of_type(plan, RECORD) if r["inputs"]["type"] in ("A", "AAAA")]


def with_more_apps(write_apps) -> str:
    base = (ROOT / "apps.yaml").read_text(encoding="utf-8")
    return write_apps(base.rstrip("\n") + "\n" + ONE_MORE_APP.lstrip("\n"))


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavor", FLAVORS)
def test_wildcard_mode_has_one_alias_per_zone_and_no_per_app_record(plan_stack, stack, flavor):
    plan = plan_stack(stack, flavor=flavor, **WILDCARD)
    names = zones(plan)
    edges = plan["outputs"]["platform"]["edges"]
    records = alias_records(plan)
    by_zone: dict[str, list[tuple[str, str]]] = {}
    for record in records:
        by_zone.setdefault(names[record["zoneId"]], []).append((record["name"], record["type"]))

    def types(zone: str) -> list[str]:
        # AAAA only where IPv6 clients can reach the zone's own edge (EdgeTarget.ipv6_clients).
        edge = "private" if zone.startswith("internal.") else "public"
        return ["A", "AAAA"] if edges[edge]["ipv6Clients"] else ["A"]

    # Apps on another edge of a zone (dev's `labs`) keep their own records: the wildcard points at the zone's own
    # edge (test_hosts_the_wildcard_cannot_serve_keep_their_own_records).
    elsewhere = {app["name"]: app for app in plan["apps"] if app["edges"] not in (["public"], ["private"])}
    own = {zone: [(app["host"], "A") for app in elsewhere.values() if app["zone"] == zone] for zone in names.values()}
    assert {zone: sorted(found) for zone, found in by_zone.items()} == {
        zone: sorted([(wildcard_name(zone), t) for t in types(zone)] + own[zone]) for zone in names.values()}
    lbs = plan["outputs"]["loadBalancers"]
    for record in records:
        zone = names[record["zoneId"]]
        edge = "private" if zone.startswith("internal.") else "public"
        [alias] = record["aliases"]
        assert alias["name"] == (lbs[edge] if record["name"].startswith("*.") else lbs["labs"])
        assert alias["evaluateTargetHealth"] is True
    # Every app host of the zones' own edges resolves through its zone's wildcard; none has a record of its own.
    for app in plan["apps"]:
        assert app["dnsRecord"] == (app["host"] if app["name"] in elsewhere else wildcard_name(app["zone"])), app
    assert sorted(r["name"] for r in of_type(plan, RECORD) if str(r["parent"]).startswith("gangplank:apps:Host::")) \
        == sorted(f"{app['host']}-{suffix}" for app in elsewhere.values() for suffix in ("a", "a-owner"))


@pytest.mark.parametrize("stack", STACKS)
def test_the_wildcard_carries_an_ownership_marker_external_dns_recognises(plan_stack, stack):
    plan = plan_stack(stack, **WILDCARD)
    markers = {r["inputs"]["name"]: r["inputs"] for r in of_type(plan, RECORD) if r["inputs"]["type"] == "TXT"
               and "heritage=external-dns" in r["inputs"]["records"][0]}
    for zone in zones(plan).values():
        marker = markers[f"a-{WILDCARD_REPLACEMENT}.{zone}"]
        assert marker["records"][0].startswith(f"heritage=external-dns,external-dns/owner=gangplank-{stack},")
        assert "external-dns/resource=service/ingress-" in marker["records"][0]
        assert "allowOverwrite" not in marker  # never someone else's record


@pytest.mark.parametrize("stack", STACKS)
def test_adding_apps_changes_no_route53_resource_in_wildcard_mode(plan_stack, write_apps, stack):
    before = plan_stack(stack, **WILDCARD)
    after = plan_stack(stack, with_more_apps(write_apps), **WILDCARD)
    diff = diff_plans(before, after)
    assert {app.name for app in diff.apps_of("added")} == {"newsletter", "handbook"}
    assert diff.resources_of("added"), "the new apps declare their Ingresses"
    assert [r for r in diff.resources if r.type in ROUTE53] == []


def test_adding_apps_adds_records_in_per_host_mode(plan_stack, write_apps):
    """The contrast that shows the test above can fail: per host, each new app costs records."""
    diff = diff_plans(plan_stack("dev"), plan_stack("dev", with_more_apps(write_apps)))
    added = {r.name for r in diff.resources_of("added") if r.type == RECORD}
    assert {"newsletter.dev.example.com-a", "handbook.internal.dev.example.com-a-owner"} <= added


def test_monitors_wait_for_the_wildcard(plan_stack):
    plan = plan_stack("prod", **WILDCARD)
    for monitor in of_type(plan, "pulumi-python:dynamic/uptimerobot:Monitor"):
        assert {"aws:route53/record:Record::*.apps.example.com-a",
                "aws:route53/record:Record::*.apps.example.com-aaaa"} <= set(monitor["dependencies"]), monitor["name"]


def test_hosts_the_wildcard_cannot_serve_keep_their_own_records(plan_stack, write_apps):
    apps = write_apps("""
        apps:
          - name: home
            visibility: public
            host: dev.example.com
            service: {name: home, port: 80}
          - name: portal
            edges: [partners]
            service: {name: portal, port: 80}
          - name: shop
            visibility: public
            service: {name: shop, port: 80}
    """)
    plan = plan_stack("dev", apps, edges=PARTNERS_EDGE, **WILDCARD)
    lbs = plan["outputs"]["loadBalancers"]
    records = {(r["name"], r["type"]): r for r in alias_records(plan)}
    # The apex: `*.dev.example.com` does not answer for the zone itself.
    assert records[("dev.example.com", "A")]["aliases"][0]["name"] == lbs["public"]
    # Another edge in the same zone: an explicit record, which Route53 answers before the wildcard.
    assert records[("portal.dev.example.com", "A")]["aliases"][0]["name"] == lbs["partners"]
    assert ("shop.dev.example.com", "A") not in records
    assert records[("*.dev.example.com", "A")]["aliases"][0]["name"] == lbs["public"]
    inventory = {app["name"]: app["dnsRecord"] for app in plan["apps"]}
    assert inventory == {"home": "dev.example.com", "portal": "portal.dev.example.com",
                         "shop": "*.dev.example.com"}


def test_a_shared_host_keeps_its_master_ingress_without_records(plan_stack):
    plan = plan_stack("dev", flavor="nginx-inc", **WILDCARD)
    [master] = [r for r in plan["resources"] if r["name"] == "shop.dev.example.com-master"]
    assert master["parent"] == "gangplank:apps:Host::shop.dev.example.com"
    assert [r for r in of_type(plan, RECORD) if r["parent"] == "gangplank:apps:Host::shop.dev.example.com"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_per_host_mode_is_the_default(plan_stack, stack):
    assert plan_stack(stack) == plan_stack(stack, dnsRecords="perHost")


def test_switching_to_wildcard_removes_per_host_records_and_adds_the_wildcards(plan_stack):
    diff = diff_plans(plan_stack("dev"), plan_stack("dev", **WILDCARD))
    added = {r.name for r in diff.resources_of("added")}
    removed = {r.name for r in diff.resources_of("removed") if r.type == RECORD}
    assert {"*.dev.example.com-a", "*.internal.dev.example.com-a-owner"} <= added
    assert "docs.dev.example.com-a" in removed and "grafana.internal.dev.example.com-a-owner" in removed
    # Nothing is replaced: the records that stay (ACM validation, delegation) are untouched.
    assert not [r for r in diff.resources_of("changed") if r.type == RECORD]


def test_served_by_wildcard_is_one_label_under_the_zone_on_its_edge():
    assert served_by_wildcard("shop.dev.example.com", "dev.example.com", True)
    assert not served_by_wildcard("shop.dev.example.com", "dev.example.com", False)  # another edge
    assert not served_by_wildcard("dev.example.com", "dev.example.com", True)  # the apex
    assert not served_by_wildcard("a.b.dev.example.com", "dev.example.com", True)
    assert not served_by_wildcard("shop.example.org", "dev.example.com", True)


def test_wildcard_marker_names_follow_external_dns_replacement():
    assert ownership_record_name("A", "*.dev.example.com", "dev.example.com") == "a-_wildcard.dev.example.com"
    assert ownership_record_name("AAAA", "*.dev.example.com") == "aaaa-_wildcard.dev.example.com"
    assert ownership_record_name("A", "shop.dev.example.com") == "a-shop.dev.example.com"
    assert wildcard_edges("perHost") == {}
    assert wildcard_edges("wildcard") == {"public": "public", "private": "private"}
