"""The Envoy Gateway flavor: its objects as an API server admits them, the NLB the LBC builds, what apps get.

The example stacks are planned once per module with `gangplank:flavor: envoy-gateway` and the example
catalogue less the one thing this flavor refuses (`shop-api`'s per-client connection limit).
The flavor with catalogues of its own: test_envoy_gateway_catalogues.py; the model of the Gateway API edges
itself: test_gateway_site_model.py.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from typing import Any

import pytest
import yaml

from components.flavors import get_flavor
from components.flavors.envoy_gateway import POD_PORTS, body_size_limit
from components.flavors.traffic import (
    DEREGISTRATION_DELAY_SECONDS,
    DEREGISTRATION_PROPAGATION_SECONDS,
    NGINX_SHUTDOWN_SECONDS,
    controller_spec,
    nlb_service_annotations,
)
from components.inputs.problems import InputError
from planner.rehearse import rehearse_run
from planner.run import ProgramRun, build_plan, run_program
from tests.conftest import ROOT, STACKS, gateway_site, validate_kubernetes
from tests.fakes.apiserver import admission_denials
from tests.fakes.gateway_site import INVALID_BACKEND, OK, TOO_MANY, Connection, GatewaySite
from tests.reference import ENVOY_GATEWAY_VALUES_TEMPLATE, FORECASTLE_CRD, missing_optional

FLAVOR = {"gangplank:flavor": "envoy-gateway"}
SAMPLE_SPEC = controller_spec("public", "public", replicas=1, certificate_arn="arn", security_group_id="sg",
                              allowed_cidrs=[], dualstack=True, trusted_proxy_cidrs=["10.0.0.0/20"],
                              control_plane_cidrs=["10.0.0.0/16"])
GATEWAY_KINDS = {"GatewayClass", "Gateway", "HTTPRoute", "Backend", "EnvoyProxy", "ClientTrafficPolicy",
                 "SecurityPolicy", "BackendTrafficPolicy"}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example catalogue without `rateLimit.connections` (the flavor refuses it: test below)."""
    text = (ROOT / "apps.yaml").read_text(encoding="utf-8")
    assert ", connections: 50" in text
    path = tmp_path_factory.mktemp("catalogue") / "apps.yaml"
    path.write_text(text.replace(", connections: 50", ""), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def runs(catalogue: str) -> dict[str, ProgramRun]:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return {stack: run_program(stack, catalogue, ROOT, FLAVOR) for stack in STACKS}
    finally:
        os.chdir(cwd)


def manifests(run: ProgramRun, reveal: bool = False) -> list[dict[str, Any]]:
    """Every Kubernetes object the run declares, as its manifest (built-in kinds get apiVersion and kind back)."""
    found = []
    for reg in run.monitor.registrations:
        if not reg.type.startswith("kubernetes:") or reg.type.startswith("kubernetes:helm.sh"):
            continue
        inputs = reg.revealed_inputs() if reveal else copy.deepcopy(reg.inputs)
        group_version, kind = reg.type.removeprefix("kubernetes:").rsplit(":", 1)
        group, version = group_version.split("/")
        inputs.setdefault("apiVersion", version if group == "core" else f"{group}/{version}")
        inputs.setdefault("kind", kind)
        found.append(inputs)
    return found


def of_kind(run: ProgramRun, kind: str, reveal: bool = False) -> list[dict[str, Any]]:
    return [m for m in manifests(run, reveal) if m["kind"] == kind]


# -- the API server would admit every object --------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_of_the_example_stacks_passes_schema_and_cel(runs, schemas, stack) -> None:
    checked = set()
    for manifest in manifests(runs[stack], reveal=True):
        if schemas.knows(manifest):
            assert schemas.violations(manifest) == [], (manifest["kind"], manifest["metadata"]["name"])
            checked.add(manifest["kind"])
        elif manifest["kind"] != "ForecastleApp":
            validate_kubernetes(manifest)  # built-in kinds: Kubernetes' own schemas
    assert checked >= GATEWAY_KINDS


def test_the_dashboard_bookmarks_pass_forecastles_crd(runs, schemas) -> None:
    if missing_optional(FORECASTLE_CRD):
        pytest.skip(missing_optional(FORECASTLE_CRD))
    bookmarks = of_kind(runs["dev"], "ForecastleApp")
    assert {b["metadata"]["name"] for b in bookmarks} >= {"shop", "docs", "forecastle"}
    for bookmark in bookmarks:
        assert schemas.violations(bookmark) == []


def test_a_schema_violation_and_a_cel_violation_are_caught(runs, schemas) -> None:
    [gateway] = [g for g in of_kind(runs["dev"], "Gateway") if g["metadata"]["name"] == "public"]
    wrong_type = copy.deepcopy(gateway)
    wrong_type["spec"]["listeners"][1]["port"] = "443"
    assert [str(v) for v in schemas.violations(wrong_type)] == [
        "spec.listeners[1].port: Invalid value: '443': spec.listeners[1].port in body must be of type integer"]
    same_names = copy.deepcopy(gateway)
    same_names["spec"]["listeners"][1]["name"] = "redirect"
    messages = [str(v) for v in schemas.violations(same_names)]
    assert "spec.listeners: Invalid value: Listener name must be unique within the Gateway" in messages
    # A CEL rule of Envoy Gateway's own CRD: a rate limit rule needs a selector that selects something.
    [traffic] = [p for p in of_kind(runs["dev"], "BackendTrafficPolicy") if p["metadata"]["name"] == "shop"]
    broken = copy.deepcopy(traffic)
    broken["spec"]["rateLimit"]["local"]["rules"][0]["clientSelectors"] = [{}]
    assert [str(v) for v in schemas.violations(broken)] == [
        "spec.rateLimit.local.rules[0].clientSelectors[0]: Invalid value: at least one of headers, methods, path, "
        "sourceCIDR or queryParams must be specified"]


def test_defaults_are_applied_before_the_rules_run(schemas) -> None:
    """The redirect's `statusCode` defaults to 302 (a `default` in the CRD); a rule that reads a defaulted field sees
    it. Here: a PathPrefix match without a value gets `/`, which the path rule then accepts."""
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": "n"},
             "spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix"}}],
                                 "backendRefs": [{"name": "s", "port": 80}]}]}}
    assert schemas.violations(route) == []
    route["spec"]["rules"][0]["matches"][0]["path"]["value"] = "no-slash"
    assert [v.path for v in schemas.violations(route)] == ["spec.rules[0].matches[0].path"]


# -- the example catalogue ----------------------------------------------------------------------


def test_the_example_catalogue_plans_but_for_one_app_refused_with_its_reason() -> None:
    with pytest.raises(InputError) as refused:
        build_plan(run_program("dev", None, ROOT, FLAVOR))
    [problem] = refused.value.problems
    # At the field's own line (`rateLimit: {rps: 20, burst: 40, connections: 50}`), named down to the sub-field.
    assert str(problem).startswith("apps.yaml:22: app 'shop-api' field 'rateLimit.connections': the envoy-gateway "
                                   "flavor")
    assert "per client" in str(problem) and "rateLimit.connections" in str(problem)


def test_every_other_example_app_is_planned(runs) -> None:
    plan = build_plan(runs["prod"])
    assert {app["name"] for app in plan["apps"]} == {"shop", "shop-api", "docs", "partner-api", "grafana", "argocd",
                                                     "admin", "status"}


# -- the edge -----------------------------------------------------------------------------------


def template_keys(node: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    keys = set()
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add((*prefix, key))
            keys |= template_keys(value, (*prefix, key))
    return keys


EXTENSION_API_SETTINGS = {"enableEnvoyPatchPolicy", "enableBackend", "disableLua", "enableLua", "enableSDSSecretRef"}
"""The keys of the template's empty `config.envoyGateway.extensionApis: {}`: the JSON fields of Envoy Gateway's
`ExtensionAPISettings` (api/v1alpha1/envoygateway_types.go, v1.9.0), which the chart passes through as they are."""


def test_helm_values_use_only_keys_of_the_charts_values_template(runs) -> None:
    text = re.sub(r"\$\{\w+\}", "placeholder", ENVOY_GATEWAY_VALUES_TEMPLATE.read_text(encoding="utf-8"))
    extension_apis = ("config", "envoyGateway", "extensionApis")
    known = template_keys(yaml.safe_load(text)) | {(*extension_apis, key) for key in EXTENSION_API_SETTINGS}
    releases = {r.inputs["name"]: r.inputs for r in runs["prod"].monitor.registrations
                if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["chart"] == "oci://docker.io/envoyproxy/gateway-helm"}
    assert len(releases) == 2
    for release in releases.values():
        assert release["skipCrds"] is True and release["version"] == "v1.9.0"
        assert template_keys(release["values"]) <= known
    # The Backend API on every edge: the platform installs the controllers without reading the catalogue (a split
    # environment), and an app with an unverified HTTPS backend (partner-api) needs it.
    for release in releases.values():
        assert release["values"]["config"]["envoyGateway"]["extensionApis"] == {"enableBackend": True}


def test_the_nlb_service_tls_proxy_protocol_and_network_policy_follow_the_traffic_design(runs) -> None:
    run = runs["prod"]
    summary = run.outputs["platform"]["edges"]
    for edge in ("public", "private"):
        [proxy] = [p for p in of_kind(run, "EnvoyProxy") if p["metadata"]["namespace"] == f"gateway-{edge}"]
        service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
        annotations = service["annotations"]
        prefix = "service.beta.kubernetes.io/aws-load-balancer-"
        assert service["loadBalancerClass"] == "service.k8s.aws/nlb" and service["type"] == "LoadBalancer"
        assert annotations[prefix + "scheme"] == ("internet-facing" if edge == "public" else "internal")
        assert annotations[prefix + "ssl-ports"] == "443" and annotations[prefix + "proxy-protocol"] == "*"
        assert annotations[prefix + "ip-address-type"] == "dualstack"
        assert set(annotations) == set(nlb_service_annotations(SAMPLE_SPEC))
        [client] = [c for c in of_kind(run, "ClientTrafficPolicy") if c["metadata"]["namespace"] == f"gateway-{edge}"]
        assert client["spec"]["proxyProtocol"] == {"optional": False}
        [policy] = [n for n in of_kind(run, "NetworkPolicy") if n["metadata"]["namespace"] == f"gateway-{edge}"]
        traffic, cluster = policy["spec"]["ingress"]
        assert [p["port"] for p in traffic["ports"]] == [10080, 10443] == list(POD_PORTS.traffic)
        assert [b["ipBlock"]["cidr"] for b in traffic["from"]] == summary[edge]["trustedProxyCidrs"]
        assert [p["port"] for p in cluster["ports"]] == [19001]
        assert policy["spec"]["podSelector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-name"] == edge


def test_the_aws_replay_accepts_both_nlbs_with_the_gateways_listeners(runs) -> None:
    lines = rehearse_run(runs["prod"])
    assert [line for line in lines if line.outcome == "rejected"] == []
    nlbs = [line.detail for line in lines if "EnvoyProxy" in line.resource]
    assert len(nlbs) == 2 and all(detail.endswith("listeners TCP:80, TLS:443") for detail in nlbs)
    assert any(detail.startswith("internet-facing dualstack NLB") for detail in nlbs)
    reads = [line for line in lines if line.resource.endswith("-gateway-service")]
    assert len(reads) == 2 and all(line.outcome == "accepted" for line in reads)


def test_the_redirect_listener_redirects_and_app_rules_say_https(runs) -> None:
    run = runs["dev"]
    routes = of_kind(run, "HTTPRoute")
    redirects = [r for r in routes if r["metadata"]["name"] == "to-https"]
    assert len(redirects) == len(of_kind(run, "Gateway")) == 3  # one per edge: public, private and labs
    for route in redirects:
        [rule] = route["spec"]["rules"]
        assert rule["filters"] == [{"type": "RequestRedirect",
                                    "requestRedirect": {"scheme": "https", "statusCode": 308}}]
        assert route["spec"]["parentRefs"][0]["sectionName"] == "redirect"
    for route in routes:
        if route["metadata"]["name"] == "to-https":
            continue
        assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == ["apps"]
        for rule in route["spec"]["rules"]:
            headers = {h["name"]: h["value"] for h in rule["filters"][0]["requestHeaderModifier"]["set"]}
            assert headers == {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
                               "X-Real-IP": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"}
            hsts = [f for f in rule["filters"] if f["type"] == "ResponseHeaderModifier"]
            edge = run.outputs["platform"]["edges"][route["metadata"]["labels"]["gangplank/edge"]]
            assert bool(hsts) == (edge["visibility"] == "public")  # public and labs


def test_shared_host_routes_by_path_and_each_app_keeps_its_protections(runs) -> None:
    run = runs["dev"]
    site = GatewaySite.from_manifests(manifests(run, reveal=True))
    host = "shop.dev.example.com"
    assert site.rule(host, "/api/orders").route["metadata"]["name"] == "shop-api"
    assert site.rule(host, "/apix").route["metadata"]["name"] == "shop"
    assert site.rule(host, "/").route["metadata"]["name"] == "shop"
    assert site("198.51.100.7", "/", {"Host": host}, port=80) == 308
    # shop-api: 20 rps, burst 40 -> at most 60 in one second from one client; another client is not affected.
    results = [site("198.51.100.7", "/api/x", {"Host": host}) for _ in range(61)]
    assert results[:60] == [OK] * 60 and results[60] == TOO_MANY
    assert site("198.51.100.8", "/api/x", {"Host": host}) == OK


def test_body_sizes_become_quantities_and_zero_means_no_limit() -> None:
    assert [body_size_limit(s) for s in ("8m", "512k", "1G", "1024", "0")] == ["8Mi", "512Ki", "1Gi", 1024, None]


def test_the_chart_version_is_checked() -> None:
    flavor = get_flavor("envoy-gateway")
    assert flavor.chart("v1.9.2").version == "v1.9.2"
    for bad in ("1.9.0", "v1.8.3", "latest"):
        with pytest.raises(ValueError):
            flavor.chart(bad)


def test_an_ingress_stack_keeps_its_dashboard_values(cached_run) -> None:
    """Only a stack with a Gateway API edge turns on Forecastle's ForecastleApp discovery: dev has one (labs)."""
    def dashboard_config(stack: str) -> dict:
        [release] = [r for r in cached_run(stack).monitor.registrations if r.name == "dashboard-release"]
        return release.inputs["values"]["forecastle"]["config"]

    assert "crdEnabled" not in dashboard_config("prod")
    assert dashboard_config("dev")["crdEnabled"] is True


def test_a_gateway_stack_lists_routes_through_forecastle_apps(runs) -> None:
    [release] = [r for r in runs["dev"].monitor.registrations if r.name == "dashboard-release"]
    assert release.inputs["values"]["forecastle"]["config"]["crdEnabled"] is True
    [shop] = [b for b in of_kind(runs["dev"], "ForecastleApp") if b["metadata"]["name"] == "shop"]
    assert shop["spec"] == {"name": "Shop", "group": "Storefront", "icon": "https://assets.example.com/icons/shop.png",
                            "instance": "gangplank-dev", "url": "https://shop.dev.example.com/"}
    assert not [i for i in manifests(runs["dev"]) if i["kind"] == "Ingress"]


def test_an_https_backend_without_tls_settings_gets_tls_unverified_as_on_the_ingress_flavors(runs, schemas) -> None:
    """apps.yaml's documented default for `protocol: HTTPS`: TLS, no certificate check, no SNI, on every flavor.
    Gateway API alone cannot say it (a BackendTLSPolicy always verifies): an Envoy Gateway `Backend` does."""
    run = runs["prod"]
    assert not of_kind(run, "BackendTLSPolicy")
    [backend] = of_kind(run, "Backend")
    assert backend["metadata"] == {**backend["metadata"], "name": "partner-api", "namespace": "partners"}
    assert schemas.violations(backend) == []
    site = gateway_site(run)
    for path in ("/", "/status"):
        connection = site.connection("partner-api.apps.example.com", path)
        assert connection == Connection("partner-gateway.partners.svc.cluster.local:8443", tls=True, verify=False,
                                        sni=None)
    # The edge without the Backend API would not route to it: what an edge missing `enableBackend` would answer.
    closed = dataclasses.replace(site, backend_api=frozenset())
    assert closed.connection("partner-api.apps.example.com", "/") is None
    assert closed("203.0.113.9", "/", {"Host": "partner-api.apps.example.com"}) == INVALID_BACKEND
    assert site("203.0.113.9", "/", {"Host": "partner-api.apps.example.com"}) == OK


# -- drain, the admission guard, the trusted subnets ----------------------------------------------


def test_proxy_pods_keep_listening_while_the_nlb_may_still_send_to_them(runs, schemas) -> None:
    """Envoy Gateway's shutdown manager keeps Envoy listening for `minDrainDuration` at least, then until its
    connections are gone or `drainTimeout` (shutdown_manager.go `Shutdown`); the pod's grace period is
    `drainTimeout` + 300 s (resource_provider.go `expectedTerminationGracePeriodSeconds`)."""
    for proxy in of_kind(runs["prod"], "EnvoyProxy"):
        shutdown = proxy["spec"]["shutdown"]
        listening = int(shutdown["minDrainDuration"].removesuffix("s"))
        drain_timeout = int(shutdown["drainTimeout"].removesuffix("s"))
        assert listening > DEREGISTRATION_PROPAGATION_SECONDS and listening >= DEREGISTRATION_DELAY_SECONDS
        assert drain_timeout == listening + NGINX_SHUTDOWN_SECONDS
        annotations = proxy["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"]
        attributes = annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"]
        assert f"deregistration_delay.timeout_seconds={DEREGISTRATION_DELAY_SECONDS}" in attributes.split(",")
        assert schemas.violations(proxy) == []


def test_only_the_edges_own_gateway_may_use_its_class(runs) -> None:
    """Envoy Gateway would apply another Gateway of the class over the edge's fixed-name proxies and NLB Service
    (infra_resource.go `checkOwnership` checks only in Gateway-namespace mode): the API server refuses it."""
    run = runs["dev"]
    policies = [r.revealed_inputs() for r in run.monitor.registrations
                if r.type.startswith("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")]
    for policy in policies:
        validate_kubernetes(policy)
    [own] = [g for g in of_kind(run, "Gateway") if g["metadata"]["name"] == "public"]
    assert admission_denials(policies, own) == []
    team = copy.deepcopy(own)
    team["metadata"] = {"name": "team", "namespace": "team"}
    [denial] = admission_denials(policies, team)
    assert "gangplank-public serves the edge's own Gateway gateway-public/public alone" in denial
    assert admission_denials(policies, {**team, "metadata": {"name": "public", "namespace": "team"}}) != []
    elsewhere = {**team, "spec": {**team["spec"], "gatewayClassName": "team-class"}}
    assert admission_denials(policies, elsewhere) == []
    assert admission_denials(policies, team, operation="UPDATE", old=elsewhere) != []  # moving onto the class
    # Apps' routes are not Gateways: they attach freely.
    [route] = [r for r in of_kind(run, "HTTPRoute") if r["metadata"]["name"] == "shop"]
    assert admission_denials(policies, route) == []


def test_trusted_subnets_leave_out_those_of_another_cluster(runs) -> None:
    """The mocked VPC has public subnets tagged for another cluster (`kubernetes.io/cluster/legacy-eks`): the LBC
    never places this cluster's NLB there, so neither the edge's NetworkPolicy nor its summary trusts them."""
    summary = runs["prod"].outputs["platform"]["edges"]
    assert summary["public"]["trustedProxyCidrs"] == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    [policy] = [n for n in of_kind(runs["prod"], "NetworkPolicy") if n["metadata"]["namespace"] == "gateway-public"]
    cidrs = [b["ipBlock"]["cidr"] for b in policy["spec"]["ingress"][0]["from"]]
    assert not {"10.0.48.0/22", "10.0.52.0/22", "10.0.56.0/22"} & set(cidrs)


def test_envoy_gateway_is_not_retired() -> None:
    assert get_flavor("envoy-gateway").retirement is None


def platform_objects(run: ProgramRun) -> set[tuple[str, str, str]]:
    """(type, namespace, name) of the Kubernetes objects and releases the edges' controllers declare."""
    found = set()
    for reg in run.monitor.registrations:
        if reg.type.startswith("kubernetes:") and "Controller::" in str(reg.parent):
            metadata = reg.inputs.get("metadata") or {}
            found.add((reg.type, str(metadata.get("namespace") or reg.inputs.get("namespace")),
                       str(metadata.get("name") or reg.inputs.get("name"))))
    return found


def test_a_gateway_edge_shares_no_object_or_name_with_an_ingress_edge(runs, cached_run) -> None:
    """Another namespace, release, class and component per edge, so that an edge can run both while it moves."""
    gateway, ingress = platform_objects(runs["dev"]), platform_objects(cached_run("dev"))
    assert gateway and ingress and not gateway & ingress
    gateway_urns = {r.urn.split("::")[-1] for r in runs["dev"].monitor.registrations if "Controller" in r.urn}
    ingress_urns = {r.urn.split("::")[-1] for r in cached_run("dev").monitor.registrations if "Controller" in r.urn}
    assert not gateway_urns & ingress_urns


# -- what the app is told of the client ---------------------------------------------------------


CLIENT, NLB_ADDRESS = "198.51.100.7", "10.0.0.10"


def test_x_real_ip_is_the_client_on_envoy_gateway_whatever_the_client_sends(runs) -> None:
    """Envoy neither sets nor strips X-Real-IP: before, a client's own reached the app on an envoy-gateway edge, where
    the docs said apps could trust it. Every app rule now sets it to the PROXY header's address; X-Forwarded-For, as
    on F5, ends with the client."""
    from tests.conftest import gateway_site

    site = gateway_site(runs["dev"])
    forged = {"Host": "shop.dev.example.com", "X-Real-IP": "203.0.113.66", "X-Forwarded-For": "10.0.0.1"}
    told = site.forwarded_headers(CLIENT, forged, nlb=NLB_ADDRESS)
    assert told == {"X-Real-IP": CLIENT, "X-Forwarded-For": f"10.0.0.1, {CLIENT}", "X-Forwarded-Proto": "https",
                    "X-Forwarded-Port": "443"}
    # The same for the monitor's health route and for an app of the private edge.
    assert site.forwarded_headers(CLIENT, {"Host": "partner-api.dev.example.com", "X-Real-IP": "1.2.3.4"},
                                  nlb=NLB_ADDRESS, path="/status")["X-Real-IP"] == CLIENT
    assert site.forwarded_headers("10.10.0.5", {"Host": "grafana.internal.dev.example.com"},
                                  nlb="10.0.64.10")["X-Real-IP"] == "10.10.0.5"
    # Without the rule's X-Real-IP (the flavor before), the client's own reaches the app.
    stripped = copy.deepcopy(site.routes)
    for route in stripped:
        for rule in route["spec"].get("rules") or []:
            for rule_filter in rule.get("filters") or []:
                if rule_filter["type"] == "RequestHeaderModifier":
                    rule_filter["requestHeaderModifier"]["set"] = [
                        h for h in rule_filter["requestHeaderModifier"]["set"] if h["name"] != "X-Real-IP"]
    before = dataclasses.replace(site, routes=stripped)
    assert before.forwarded_headers(CLIENT, forged, nlb=NLB_ADDRESS)["X-Real-IP"] == "203.0.113.66"


