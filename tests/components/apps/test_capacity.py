"""Capacity guardrails: counting a stack against `gangplank:limits`, warnings near a limit, errors past a quota."""

from __future__ import annotations

import json

import pytest

from components.apps.capacity import (
    CERTIFICATES_PER_LOAD_BALANCER,
    INGRESSES_PER_EDGE,
    NAMES_PER_CERTIFICATE,
    RECORDS_PER_ZONE,
    Usage,
    judge,
    limit_value,
    stack_usage,
)
from components.apps.dashboard import dashboard_app
from components.inputs.catalog.loading import load_catalogue
from components.inputs.problems import InputError
from components.inputs.settings import Limits
from components.inputs.settings_parsing import known_stacks
from tests.conftest import ROOT, make_settings

DEV = {"private_domain": "internal.dev.example.com", "private_allowed_cidrs": ["10.10.0.0/16", "172.20.0.0/22"],
       "edges": {"labs": {"visibility": "public", "flavor": "envoy-gateway"}}}
"""What the dev stack sets that the counts depend on (Pulumi.dev.yaml)."""


def usage_of(settings, apps_path: str = str(ROOT / "apps.yaml"), stack: str = "dev") -> dict[tuple[str, str], int]:
    apps = load_catalogue(apps_path, settings, stack, known_stacks(ROOT))
    found = stack_usage(settings, apps, dashboard_app(settings, stack))
    return {(item.limit, item.subject): item.count for item in found}


def test_the_defaults_are_the_documented_quotas():
    limits = Limits()
    assert [limit_value(limits, key) for key in (RECORDS_PER_ZONE, INGRESSES_PER_EDGE, NAMES_PER_CERTIFICATE,
                                                 CERTIFICATES_PER_LOAD_BALANCER)] == [10_000, 1_500, 10, 25]


def test_the_dev_stack_is_counted_from_its_decisions():
    usage = usage_of(make_settings(**DEV))
    # Public zone: SOA + NS, two ACM validation CNAMEs, and an alias + marker for each of its 7 hosts: 4 on the
    # public edge, 3 on labs (checkout, cart, wiki).
    assert usage[(RECORDS_PER_ZONE, "zone dev.example.com")] == 2 + 2 + 2 * 7
    # Private zone: SOA + NS, and 4 hosts (grafana, deploy, admin, the dashboard).
    assert usage[(RECORDS_PER_ZONE, "zone internal.dev.example.com")] == 2 + 2 * 4
    # shop and shop-api share a host: a minion each and the host's master (F5 flavor); so do partner-api and
    # its health route (allow-listed, monitored): docs, preview, 2 + 1, 2 + 1.
    assert usage[(INGRESSES_PER_EDGE, "edge public")] == 8
    assert usage[(INGRESSES_PER_EDGE, "edge private")] == 4
    # labs (Envoy Gateway) counts HTTPRoutes: checkout and wiki, each with its monitor's health route, and cart.
    assert usage[(INGRESSES_PER_EDGE, "edge labs")] == 5
    assert usage[(NAMES_PER_CERTIFICATE, "certificate for dev.example.com")] == 2
    assert usage[(CERTIFICATES_PER_LOAD_BALANCER, "load balancer of edge public")] == 1
    assert usage[(CERTIFICATES_PER_LOAD_BALANCER, "load balancer of edge labs")] == 1


def test_wildcard_mode_makes_a_zone_cost_what_its_wildcard_costs():
    usage = usage_of(make_settings(**DEV, dns_records="wildcard",
                                   dualstack=True))
    # SOA + NS, the validation CNAMEs, and the wildcard's A + AAAA with their markers: no per-host record for the
    # public edge's hosts. The wildcard points at the public edge's NLB: labs's 3 hosts keep their A + AAAA and
    # markers (docs/dns.md).
    assert usage[(RECORDS_PER_ZONE, "zone dev.example.com")] == 2 + 2 + 4 + 3 * 4
    # The private edge admits only IPv4 blocks: its wildcard has no AAAA (nor a marker for one).
    assert usage[(RECORDS_PER_ZONE, "zone internal.dev.example.com")] == 2 + 2


def _judged(count: int, limit: str = RECORDS_PER_ZONE, value: int = 100, mode: str = "perHost"):
    limits = Limits.model_validate({limit: value})
    return judge([Usage(limit, "zone dev.example.com", count)], limits, mode)


def test_below_the_warning_share_nothing_is_said():
    assert _judged(80) == ([], [])


def test_near_a_quota_warns_with_what_to_do():
    errors, [warning] = _judged(81)
    assert errors == []
    assert (warning.limit, warning.count, warning.value, warning.past) == (RECORDS_PER_ZONE, 81, 100, False)
    assert "near gangplank:limits.recordsPerZone = 100" in warning.message
    assert "Records per hosted zone" in warning.message and "gangplank:dnsRecords" in warning.message
    entry = warning.as_plan_entry()
    assert entry == {"kind": "capacity", "limit": RECORDS_PER_ZONE, "subject": "zone dev.example.com", "count": 81,
                     "value": 100, "message": warning.message}


def test_wildcard_mode_is_not_suggested_to_a_wildcard_stack():
    _, [warning] = _judged(95, mode="wildcard")
    assert "gangplank:dnsRecords" not in warning.message


def test_past_a_quota_aws_enforces_is_an_error():
    [error], warnings = _judged(101)
    assert warnings == [] and error.past
    assert "Route53 refuses record sets past the quota" in error.message


def test_past_the_controller_limit_is_a_warning_only():
    errors, [warning] = _judged(2_000, INGRESSES_PER_EDGE, 1_500)
    assert errors == [] and warning.past and "another edge" in warning.message


@pytest.mark.parametrize("limit", [NAMES_PER_CERTIFICATE, CERTIFICATES_PER_LOAD_BALANCER])
def test_certificate_quotas_are_enforced(limit):
    [error], _ = _judged(30, limit, 25)
    assert "Service Quotas" in error.message


# -- the program and the planner, end to end ---------------------------------------------


LOW_LIMITS = {
    # dev: 18 record sets in dev.example.com, 8 Ingresses on the public edge, 2 names per certificate, and one
    # certificate per load balancer: each near (or, for the controller, past) these limits, none past a quota.
    RECORDS_PER_ZONE: 20, INGRESSES_PER_EDGE: 5, NAMES_PER_CERTIFICATE: 2, CERTIFICATES_PER_LOAD_BALANCER: 1,
}


def test_a_stack_configured_near_each_limit_plans_with_warnings(plan_stack):
    plan = plan_stack("dev", limits=json.dumps(LOW_LIMITS))
    found = {(w["limit"], w["subject"]): w for w in plan["warnings"]}
    assert found[(RECORDS_PER_ZONE, "zone dev.example.com")]["count"] == 18
    assert (RECORDS_PER_ZONE, "zone internal.dev.example.com") not in found  # 10 of 20: not near
    assert found[(INGRESSES_PER_EDGE, "edge public")]["count"] == 8
    assert "past gangplank:limits.ingressesPerEdge" in found[(INGRESSES_PER_EDGE, "edge public")]["message"]
    assert {subject for limit, subject in found if limit == NAMES_PER_CERTIFICATE} == {
        "certificate for dev.example.com", "certificate for internal.dev.example.com"}
    assert {subject for limit, subject in found if limit == CERTIFICATES_PER_LOAD_BALANCER} == {
        "load balancer of edge public", "load balancer of edge private", "load balancer of edge labs"}
    assert all(w["message"] and w["value"] == LOW_LIMITS[w["limit"]] for w in plan["warnings"])


def test_a_plan_within_its_limits_has_no_warnings_key(plan_stack):
    assert "warnings" not in plan_stack("dev")


@pytest.mark.parametrize("limit, value, subject", [
    (RECORDS_PER_ZONE, 11, "zone dev.example.com"),
    (NAMES_PER_CERTIFICATE, 1, "certificate for dev.example.com"),
])
def test_a_stack_past_a_quota_is_an_input_error_before_anything_is_declared(run_stack, limit, value, subject):
    with pytest.raises(InputError) as caught:
        run_stack("dev", limits=json.dumps({limit: value}))
    [problem] = [p for p in caught.value.problems if subject in p.message]
    assert problem.file == "Pulumi.dev.yaml"
    assert problem.subject == f"config 'gangplank:limits' field '{limit}'"
    assert "Service Quotas" in problem.message


def test_a_gateway_edge_is_warned_of_in_httproutes_and_an_ingress_edge_in_ingresses():
    settings = make_settings(**DEV, limits={"ingressesPerEdge": 5})
    found = {item.subject: item for item in
             stack_usage(settings, load_catalogue(str(ROOT / "apps.yaml"), settings, "dev", known_stacks(ROOT)),
                         dashboard_app(settings, "dev")) if item.limit == INGRESSES_PER_EDGE}
    _, warnings = judge(found.values(), settings.limits, settings.dns_records)
    messages = {warning.subject: warning.message for warning in warnings}
    # labs (Envoy Gateway) serves HTTPRoutes: its users would look for no Ingress; public (F5) serves Ingresses.
    assert messages["edge labs"].startswith("edge labs: 5 HTTPRoutes, near")
    assert "with this many HTTPRoutes" in messages["edge labs"] and "Ingress" not in messages["edge labs"]
    assert messages["edge public"].startswith("edge public: 8 Ingresses, past")
