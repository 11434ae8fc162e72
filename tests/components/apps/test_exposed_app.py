"""ExposedApp under mocks, for each flavor: routes, zones, annotations, auth and the inventory."""

from __future__ import annotations

from typing import Any

import bcrypt
import pytest

from components.apps.host import ownership_record_name
from components.apps.manifests import forecastle_annotations, ingress_manifest
from components.apps.monitors import monitor_args
from components.apps.routing import host_shares, ingress_units
from components.flavors import get_flavor
from components.flavors.traffic import INGRESS_EDGE_LABEL
from components.inputs.catalog.models import App
from components.inputs.catalog.resolved import resolve_app
from components.platform.platform import EdgeTarget
from planner.mocks.common import digest
from planner.run import ProgramRun, build_plan
from tests.conftest import FLAVORS, MIXED_CATALOGUE, make_settings, of_type, validate_kubernetes
from tests.fakes.apiserver import CrdSchemas
from tests.reference import crd_files

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"


@pytest.fixture(params=FLAVORS)
def flavor_run(request, run_stack, write_apps) -> tuple[str, ProgramRun]:
    return request.param, run_stack("dev", write_apps(MIXED_CATALOGUE), flavor=request.param)



def app_ingresses(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"].removesuffix("-ingress"): r["inputs"] for r in of_type(plan, INGRESS)
            if r["name"].endswith("-ingress")}


def zone_ids(plan: dict[str, Any]) -> dict[str, str]:
    zones = {r["inputs"]["name"]: r["id"] for r in of_type(plan, ZONE)}
    return {"public": zones["dev.example.com"], "private": zones["internal.dev.example.com"]}


def test_ingress_class_host_and_paths(flavor_run):
    _, run = flavor_run
    ingresses = app_ingresses(build_plan(run))
    expected = {
        "web": ("nginx-public", "store.dev.example.com", ["/"]),
        "api": ("nginx-public", "store.dev.example.com", ["/api"]),
        "admin": ("nginx-private", "admin.internal.dev.example.com", ["/"]),
        "grafana": ("nginx-private", "grafana.internal.dev.example.com", ["/"]),
    }
    for name, (klass, host, paths) in expected.items():
        spec = ingresses[name]["spec"]
        assert spec["ingressClassName"] == klass, name
        [rule] = spec["rules"]
        assert rule["host"] == host
        assert [p["path"] for p in rule["http"]["paths"]] == paths


def test_routes_go_to_the_right_service(flavor_run):
    _, run = flavor_run
    ingresses = app_ingresses(build_plan(run))

    def backend(name: str) -> dict[str, Any]:
        return ingresses[name]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]

    assert backend("web") == {"name": "web", "port": {"number": 80}}
    assert backend("api") == {"name": "api", "port": {"number": 8080}}


def test_no_private_app_in_the_public_zone_or_class(flavor_run):
    _, run = flavor_run
    plan = build_plan(run)
    zones = zone_ids(plan)
    alias_records = [r["inputs"] for r in of_type(plan, RECORD) if r["inputs"]["type"] in ("A", "AAAA")]
    assert alias_records
    for record in alias_records:
        private = record["name"].endswith(".internal.dev.example.com")
        assert record["zoneId"] == zones["private" if private else "public"], record["name"]
        assert "allowOverwrite" not in record
    for name, ingress in app_ingresses(plan).items():
        private = ingress["spec"]["rules"][0]["host"].endswith(".internal.dev.example.com")
        assert ingress["spec"]["ingressClassName"] == ("nginx-private" if private else "nginx-public"), name


def test_a_shared_host_gets_one_record_and_joinable_ingresses(flavor_run):
    flavor, run = flavor_run
    plan = build_plan(run)
    store_records = [r for r in of_type(plan, RECORD) if r["inputs"]["name"] == "store.dev.example.com"]
    assert [r["inputs"]["type"] for r in store_records] == ["A"]
    ingresses = of_type(plan, INGRESS)
    masters = [r for r in ingresses if r["name"].endswith("-master")]
    if flavor == "nginx-inc":
        [master] = masters
        assert master["inputs"]["spec"]["rules"] == [{"host": "store.dev.example.com"}]
        assert master["inputs"]["metadata"]["annotations"]["nginx.org/mergeable-ingress-type"] == "master"
        for name in ("web", "api"):
            annotations = app_ingresses(plan)[name]["metadata"]["annotations"]
            assert annotations["nginx.org/mergeable-ingress-type"] == "minion"
        assert "nginx.org/mergeable-ingress-type" not in app_ingresses(plan)["admin"]["metadata"]["annotations"]
    else:
        assert masters == []  # ingress-nginx merges Ingresses of one host by itself


def test_alias_records_point_at_the_visibility_nlb_with_an_ownership_marker(flavor_run):
    _, run = flavor_run
    plan = build_plan(run)
    records = {(r["inputs"]["name"], r["inputs"]["type"]): r["inputs"] for r in of_type(plan, RECORD)}
    public_lb = plan["outputs"]["loadBalancers"]["public"]
    private_lb = plan["outputs"]["loadBalancers"]["private"]
    [alias] = records[("store.dev.example.com", "A")]["aliases"]
    assert alias["name"] == public_lb and alias["evaluateTargetHealth"] is True
    assert records[("admin.internal.dev.example.com", "A")]["aliases"][0]["name"] == private_lb
    owner = records[(ownership_record_name("A", "store.dev.example.com"), "TXT")]
    assert owner["records"] == ["heritage=external-dns,external-dns/owner=gangplank-dev,"
                                "external-dns/resource=ingress/store/web"]


def record_types_of(plan: dict[str, Any], host: str) -> list[str]:
    return sorted(r["inputs"]["type"] for r in of_type(plan, RECORD) if r["inputs"]["name"] == host)


def test_dualstack_adds_aaaa_records_where_ipv6_clients_get_in(run_stack, write_apps):
    plan = build_plan(run_stack("dev", write_apps(MIXED_CATALOGUE), dualstack="true"))
    assert record_types_of(plan, "store.dev.example.com") == ["A", "AAAA"]
    # The private edge admits only IPv4 blocks: an AAAA record would send IPv6 clients into a timeout.
    assert record_types_of(plan, "admin.internal.dev.example.com") == ["A"]
    assert not [r for r in of_type(plan, RECORD) if r["inputs"]["name"].startswith("aaaa-admin.")]
    # An allow-list with an IPv6 block lets IPv6 clients in, and then they get an address to use.
    plan = build_plan(run_stack("dev", write_apps(MIXED_CATALOGUE), dualstack="true",
                                privateAllowedCidrs='["10.10.0.0/16", "2001:db8:10::/48"]'))
    assert record_types_of(plan, "admin.internal.dev.example.com") == ["A", "AAAA"]


def test_ownership_markers_are_keyed_on_the_record_type(flavor_run):
    """`a-<host>` as ExternalDNS v0.22+ reads it; no legacy `cname-<host>`, which v0.22 warns about per record."""
    _, run = flavor_run
    markers = [r["inputs"]["name"] for r in of_type(build_plan(run), RECORD) if r["inputs"]["type"] == "TXT"
               and "external-dns" in str(r["inputs"].get("records"))]
    assert "a-store.dev.example.com" in markers
    assert not [name for name in markers if name.startswith("cname-")]


def test_every_ingress_is_labelled_with_its_edge_and_judged_by_its_own_webhook(flavor_run):
    """ingress-nginx's webhook of an edge selects by this label; an Ingress on two edges' webhooks, or none,
    would fail when another controller is down or go unchecked."""
    flavor_name, run = flavor_run
    plan = build_plan(run)
    ingresses = of_type(plan, INGRESS)
    assert ingresses
    releases = {r["inputs"]["name"].removeprefix("ingress-"): r["inputs"]["values"]
                for r in of_type(plan, "kubernetes:helm.sh/v3:Release") if r["inputs"]["name"].startswith("ingress-")}
    for ingress in ingresses:
        labels = ingress["inputs"]["metadata"]["labels"]
        edge = labels[INGRESS_EDGE_LABEL]
        assert ingress["inputs"]["spec"]["ingressClassName"] == f"nginx-{edge}", ingress["name"]
        if flavor_name == "ingress-nginx":
            judged_by = [other for other, values in releases.items() if all(
                labels.get(k) == v for k, v in
                values["controller"]["admissionWebhooks"]["objectSelector"]["matchLabels"].items())]
            assert judged_by == [edge], ingress["name"]


def test_auth_secret_in_the_flavor_format_and_passwords_only_secret(flavor_run):
    flavor_name, run = flavor_run
    flavor = get_flavor(flavor_name)
    plan = build_plan(run)
    [secret] = [r for r in run.monitor.registrations if r.type == "kubernetes:core/v1:Secret"]
    assert secret.inputs["stringData"] in ("[secret]", {flavor.htpasswd.key: "[secret]"})
    revealed = secret.revealed_inputs()
    assert revealed["type"] == flavor.htpasswd.secret_type
    assert revealed["metadata"] == {"name": "admin-basic-auth", "namespace": "admin",
                                    "labels": {"app.kubernetes.io/name": "admin",
                                               "app.kubernetes.io/managed-by": "gangplank"}}
    lines = revealed["stringData"][flavor.htpasswd.key].splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["alice", "bob"]
    for user, line in zip(("alice", "bob"), lines, strict=True):
        password = digest(f"admin-password-{user}", "password", length=64)[:24]
        assert bcrypt.checkpw(password.encode(), line.split(":", 1)[1].encode())
        assert password not in str(plan)
    assert plan["outputs"]["basicAuthPasswords"] == "[secret]"


def test_deployed_app_gets_a_probed_deployment_and_a_cluster_ip_service(flavor_run):
    _, run = flavor_run
    plan = build_plan(run)
    deployments = of_type(plan, "kubernetes:apps/v1:Deployment")
    [deployment] = [r["inputs"] for r in deployments if r["name"] == "api-deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "ghcr.io/acme/api:1.0"
    assert container["readinessProbe"]["httpGet"] == {"path": "/api/health", "port": "http"}
    assert deployment["spec"]["replicas"] == 2
    [service] = [r["inputs"] for r in of_type(plan, "kubernetes:core/v1:Service") if r["name"] == "api-service"]
    assert service["spec"]["type"] == "ClusterIP"
    assert not [r for r in of_type(plan, "kubernetes:apps/v1:Deployment") if r["name"].startswith("web")]


@pytest.fixture(scope="module")
def crd_schemas() -> CrdSchemas:
    return CrdSchemas(crd_files())


def test_every_kubernetes_object_is_valid(flavor_run, crd_schemas):
    """Built-in kinds against Kubernetes' own schemas; custom ones (the Gateway API objects of dev's Envoy Gateway
    edge, `labs`) against their CRDs."""
    _, run = flavor_run
    checked = custom = 0
    for registration in run.monitor.registrations:
        if registration.type.startswith("kubernetes:") and registration.type != "kubernetes:helm.sh/v3:Release":
            manifest = registration.revealed_inputs()
            if crd_schemas.knows(manifest):
                assert crd_schemas.violations(manifest) == [], registration.name
                custom += 1
            else:
                validate_kubernetes(manifest)
            checked += 1
    assert checked >= 10 and custom >= 5


def test_monitors_only_for_public_apps_with_health_url(flavor_run):
    _, run = flavor_run
    plan = build_plan(run)
    monitors = {r["name"]: r["inputs"] for r in of_type(plan, "pulumi-python:dynamic/uptimerobot:Monitor")}
    assert sorted(monitors) == ["api-monitor", "web-monitor"]
    assert monitors["api-monitor"]["url"] == "https://store.dev.example.com/api/health"
    assert monitors["web-monitor"]["keyword_value"] == "Welcome"
    assert monitors["web-monitor"]["tags"] == ["gangplank", "stack:dev"]
    assert monitors["web-monitor"]["interval"] == 1800  # the dev stack's rare interval


def test_inventory_matches_the_catalogue(flavor_run):
    _, run = flavor_run
    plan = build_plan(run)
    inventory = {app["name"]: app for app in plan["apps"]}
    assert list(inventory) == ["web", "api", "admin", "grafana"]
    web = inventory["web"]
    assert web["url"] == "https://store.dev.example.com/"
    assert web["visibility"] == "public" and web["ingressClass"] == "nginx-public"
    assert web["dnsRecord"] == "store.dev.example.com" and web["dashboardGroup"] == "Shop"
    assert isinstance(web["monitorId"], int)
    assert inventory["admin"]["monitorId"] is None and inventory["admin"]["monitored"] is False
    assert inventory["admin"]["basicAuthUsers"] == ["alice", "bob"]
    assert inventory["grafana"]["dashboardGroup"] == "monitoring"


def test_forecastle_bookmark():
    app = resolve_app(App.model_validate({"name": "grafana", "visibility": "private", "service": {
        "name": "g", "port": 80}, "dashboard": {"icon": "https://x.example/i.png"}}), make_settings(), "dev")
    assert forecastle_annotations(app, "gangplank-dev") == {
        "forecastle.stakater.com/expose": "true",
        "forecastle.stakater.com/appName": "grafana",
        "forecastle.stakater.com/group": "grafana",
        "forecastle.stakater.com/instance": "gangplank-dev",
        "forecastle.stakater.com/url": "https://grafana.internal.dev.example.com/",
        "forecastle.stakater.com/icon": "https://x.example/i.png",
    }


@pytest.mark.parametrize("flavor_name", FLAVORS)
def test_ingress_manifest_is_valid_for_a_standalone_app(flavor_name):
    app = resolve_app(App.model_validate({"name": "shop", "visibility": "public", "service": {
        "name": "shop", "port": 80}, "rateLimit": {"rps": 5}}), make_settings(), "dev")
    flavor = get_flavor(flavor_name)
    target = EdgeTarget("public", flavor, "nginx-public", "Z1", "lb", "Z2", False, ())
    [unit] = ingress_units(app, flavor, set())
    manifest = ingress_manifest(app, unit, target, "public", host_shares([app], flavor), "gangplank-dev")
    validate_kubernetes(manifest)
    assert manifest["metadata"]["annotations"]["forecastle.stakater.com/expose"] == "true"


def test_monitor_args_for_keyword_monitor():
    app = resolve_app(App.model_validate({"name": "shop", "visibility": "public", "service": {
        "name": "shop", "port": 80}, "healthPath": "/healthz", "monitor": {"type": "KEYWORD", "keyword": "OK",
                                                                          "interval": 60}}),
        make_settings(monitor_alert_contact_ids=[7, 8]), "prod")
    args = monitor_args(app, "prod")
    assert (args.url, args.type, args.interval) == ("https://shop.dev.example.com/healthz", "KEYWORD", 60)
    assert (args.keyword_type, args.keyword_value) == ("ALERT_NOT_EXISTS", "OK")
    assert args.alert_contact_ids == [7, 8] and args.tags == ["gangplank", "stack:prod"]


EXPECTED_ANNOTATIONS = {
    "nginx-inc": {
        "api": {"nginx.org/limit-req-rate": "10r/s", "nginx.org/limit-req-burst": "20"},
        "admin": {"nginx.org/basic-auth-secret": "admin-basic-auth", "nginx.org/client-max-body-size": "4m"},
    },
    "ingress-nginx": {
        "api": {"nginx.ingress.kubernetes.io/limit-rps": "10",
                "nginx.ingress.kubernetes.io/limit-connections": "30"},
        "admin": {"nginx.ingress.kubernetes.io/auth-type": "basic",
                  "nginx.ingress.kubernetes.io/auth-secret": "admin-basic-auth",
                  "nginx.ingress.kubernetes.io/allowlist-source-range": "10.10.0.0/16",
                  "nginx.ingress.kubernetes.io/proxy-body-size": "4m"},
    },
}


def test_intent_becomes_the_flavors_annotations(flavor_run):
    flavor, run = flavor_run
    ingresses = app_ingresses(build_plan(run))
    for app, expected in EXPECTED_ANNOTATIONS[flavor].items():
        annotations = ingresses[app]["metadata"]["annotations"]
        assert expected.items() <= annotations.items(), (app, annotations)
    grafana = ingresses["grafana"]["metadata"]["annotations"]
    assert not any("limit" in key or "auth" in key for key in grafana)
    if flavor == "nginx-inc":
        admin_snippets = ingresses["admin"]["metadata"]["annotations"]["nginx.org/location-snippets"]
        assert "allow 10.10.0.0/16;" in admin_snippets and "deny all;" in admin_snippets


def test_the_example_partner_gateway_is_reached_over_tls(run_stack):
    """apps.yaml: partner-api's gateway listens on 8443 and speaks TLS itself (`protocol: HTTPS`)."""
    expected = {"nginx-inc": ("nginx.org/ssl-services", "partner-gateway"),
                "ingress-nginx": ("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS")}
    for flavor_name, (key, value) in expected.items():
        ingresses = app_ingresses(build_plan(run_stack("dev", flavor=flavor_name)))
        assert ingresses["partner-api"]["metadata"]["annotations"][key] == value
