"""Flavors: Helm values of the twin controllers and annotations per app intent, for each flavor.

The values are checked against the charts themselves: the F5 chart's own values.schema.json
(shared/charts, see its NOTICE) plus a walk that fails on any key path the schema does not
know (the schema alone accepts typos: it has no additionalProperties: false); ingress-nginx
against key paths read in its values.yaml. Kubernetes fragments (topology spread, resources,
annotations) are validated with kubernetes-validate inside a Pod / Ingress.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from components.flavors import FLAVORS, get_flavor
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import (
    APP_PORT,
    REDIRECT_PORT,
    REDIRECT_PORT_NAME,
    AppIntent,
    ControllerSpec,
    Flavor,
    RateLimitIntent,
    controller_spec,
)
from tests.conftest import FLAVORS as FLAVOR_NAMES
from tests.conftest import validate_kubernetes
from tests.reference import F5_VALUES_SCHEMA

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0000-4000-8000-0123456789ab"
SG = "sg-0123456789abcdef0"
VPC_CIDRS = ("10.0.0.0/16", "100.64.0.0/16")
ALLOWED = ["10.10.0.0/16", "2001:db8::/32"]
ANN = "service.beta.kubernetes.io/aws-load-balancer-"

# ConfigMap keys the F5 controller reads (internal/configs/configmaps.go at tag v5.5.4). It
# ignores unknown keys silently, so a typo here would quietly switch a feature off.
F5_CONFIG_KEYS = frozenset({
    "proxy-protocol", "real-ip-header", "set-real-ip-from", "real-ip-recursive", "redirect-to-https",
    "http-snippets", "server-tokens", "ssl-redirect", "location-snippets", "server-snippets",
    "client-max-body-size", "add-header", "hsts", "hsts-behind-proxy", "log-format",
})

# Value paths of the ingress-nginx chart 4.15.1, read in charts/ingress-nginx/values.yaml at tag
# helm-chart-4.15.1 of kubernetes/ingress-nginx (the chart ships no values schema).
# `fullnameOverride`, `controller.maxUnavailable` and `controller.service.allocateLoadBalancerNodePorts`
# are commented out there and read by its templates (_helpers.tpl, controller-poddisruptionbudget.yaml,
# controller-service.yaml).
INGRESS_NGINX_PATHS = frozenset({
    "fullnameOverride", "controller.kind", "controller.replicaCount", "controller.maxUnavailable",
    "controller.ingressClassResource.name", "controller.ingressClassResource.enabled",
    "controller.ingressClassResource.default", "controller.ingressClassResource.controllerValue",
    "controller.ingressClass", "controller.watchIngressWithoutClass", "controller.electionID",
    "controller.allowSnippetAnnotations", "controller.containerPort", "controller.config",
    "controller.addHeaders", "controller.service.type", "controller.service.loadBalancerClass",
    "controller.service.externalTrafficPolicy", "controller.service.allocateLoadBalancerNodePorts",
    "controller.service.annotations", "controller.service.loadBalancerSourceRanges",
    "controller.service.ports.http", "controller.service.ports.https", "controller.service.targetPorts.http",
    "controller.service.targetPorts.https", "controller.topologySpreadConstraints", "controller.resources",
    "controller.metrics.enabled", "controller.podAnnotations",
})
# Maps whose keys are free (ports, annotations, ConfigMap entries) or Kubernetes types checked below.
INGRESS_NGINX_MAPS = frozenset({"controller.containerPort", "controller.config", "controller.addHeaders",
                                "controller.service.annotations", "controller.podAnnotations",
                                "controller.topologySpreadConstraints", "controller.resources"})
# ConfigMap keys documented in docs/user-guide/nginx-configuration/configmap.md at controller-v1.15.1.
INGRESS_NGINX_CONFIG_KEYS = frozenset({"use-proxy-protocol", "proxy-real-ip-cidr", "http-snippet", "ssl-redirect",
                                       "limit-req-status-code", "limit-conn-status-code", "server-tokens"})


def spec(visibility: str, dualstack: bool = False) -> ControllerSpec:
    return controller_spec(visibility, visibility, replicas=3, certificate_arn=CERT,  # type: ignore[arg-type]
                           security_group_id=SG, allowed_cidrs=ALLOWED if visibility == "private" else [],
                           dualstack=dualstack, trusted_proxy_cidrs=VPC_CIDRS)


def intent(**overrides: Any) -> AppIntent:
    values: dict[str, Any] = {"visibility": "public", "https_redirect": True, "hsts": True, "rate_limit": None,
                              "basic_auth_secret": None, "allow_cidrs": [], "max_body_size": None,
                              "merge_role": None}
    values.update(overrides)
    return AppIntent(**values)


@pytest.fixture(params=FLAVOR_NAMES)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    return get_flavor(request.param)


def twins(flavor: Flavor) -> dict[str, dict[str, Any]]:
    return {v: flavor.controller_values(spec(v)) for v in ("public", "private")}


# -- the F5 chart's schema ---------------------------------------------------------------


def f5_schema() -> dict[str, Any]:
    return json.loads(F5_VALUES_SCHEMA.read_text(encoding="utf-8"))


def f5_registry(schema: dict[str, Any]) -> Registry:
    """Offline stand-ins for the schema's remote `$ref`s.

    It points at nginxinc/kubernetes-json-schema `v1.36.1/_definitions.json#/definitions/...`; the
    same Kubernetes 1.36 definitions ship with kubernetes-validate (under `$defs`), so they are
    registered at that URL with `definitions` as an alias.
    """
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(schema))
    urls = {ref.split("#")[0] for ref in refs if ref.startswith("http")}
    definitions_file = resources.files("kubernetes_validate") / "kubernetes-json-schema" / "v1.36.0-local" / \
        "_definitions.json"
    definitions = json.loads(definitions_file.read_text(encoding="utf-8"))
    contents = {"$schema": definitions["$schema"], "$defs": definitions["$defs"], "definitions": definitions["$defs"]}
    return Registry().with_resources((url, Resource(contents=contents, specification=DRAFT202012)) for url in urls)


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's merge of user values over chart defaults: maps merge, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def validate_f5_values(values: dict[str, Any]) -> None:
    """What Helm does: our values over the chart defaults, validated by the chart's schema.

    The schema's single `examples` entry is the chart's values.yaml, i.e. its defaults.
    """
    schema = f5_schema()
    merged = deep_merge(schema["examples"][0], values)
    validator = jsonschema.validators.validator_for(schema)(schema, registry=f5_registry(schema))
    validator.validate(merged)


def unknown_paths(value: Any, node: dict[str, Any], resolver: Any, path: str = "",
                  free_maps: frozenset[str] = frozenset()) -> list[str]:
    """Key paths of `value` that the schema `node` does not declare (following $ref, allOf, anyOf).

    A key is known when it is in `properties`, matches `patternProperties`, or the node allows
    `additionalProperties` with a schema. Objects the schema leaves undescribed (no properties at
    all) are unknown unless listed in `free_maps`.
    """
    while "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    branches = [node] + [b for key in ("allOf", "anyOf", "oneOf") for b in node.get(key, [])]
    if path in free_maps:
        return []
    if isinstance(value, list):
        items = next((b["items"] for b in branches if isinstance(b.get("items"), dict)), None)
        if items is None:
            return [f"{path}[]"] if value and any(isinstance(v, dict) for v in value) else []
        return [p for i, v in enumerate(value) for p in unknown_paths(v, items, resolver, f"{path}[{i}]", free_maps)]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, sub in value.items():
        child = f"{path}.{key}" if path else key
        target = None
        for branch in branches:
            while "$ref" in branch:
                resolved = resolver.lookup(branch["$ref"])
                branch = resolved.contents
            if key in branch.get("properties", {}):
                target = branch["properties"][key]
            elif any(re.search(pattern, key) for pattern in branch.get("patternProperties", {})):
                target = next(s for p, s in branch["patternProperties"].items() if re.search(p, key))
            elif isinstance(branch.get("additionalProperties"), dict):
                target = branch["additionalProperties"]
            if target is not None:
                break
        if target is None:
            found.append(child)
        else:
            found += unknown_paths(sub, target, resolver, child, free_maps)
    return found


def f5_unknown_paths(values: dict[str, Any]) -> list[str]:
    schema = f5_schema()
    resolver = f5_registry(schema).resolver()
    return unknown_paths(values, schema, resolver, free_maps=frozenset({"controller.config.entries"}))


def ingress_nginx_unknown_paths(values: dict[str, Any], path: str = "") -> list[str]:
    found: list[str] = []
    for key, sub in values.items():
        child = f"{path}.{key}" if path else key
        if child in INGRESS_NGINX_MAPS or (child in INGRESS_NGINX_PATHS and not isinstance(sub, dict)):
            continue
        if isinstance(sub, dict):
            found += ingress_nginx_unknown_paths(sub, child) if any(
                p.startswith(child + ".") for p in INGRESS_NGINX_PATHS) else [child]
        else:
            found.append(child)
    return found


def chart_checks(flavor: Flavor, values: dict[str, Any]) -> None:
    """Fail unless `values` fit the flavor's chart: known paths, known ConfigMap keys, valid types."""
    if flavor.name == "nginx-inc":
        validate_f5_values(values)
        assert f5_unknown_paths(values) == []
        assert set(values["controller"]["config"]["entries"]) <= F5_CONFIG_KEYS
    else:
        assert ingress_nginx_unknown_paths(values) == []
        assert set(values["controller"]["config"]) <= INGRESS_NGINX_CONFIG_KEYS


def controller(values: dict[str, Any]) -> dict[str, Any]:
    return values["controller"]


def service(values: dict[str, Any]) -> dict[str, Any]:
    return values["controller"]["service"]


def config(flavor: Flavor, values: dict[str, Any]) -> dict[str, str]:
    return controller(values)["config"]["entries"] if flavor.name == "nginx-inc" else controller(values)["config"]


# -- schema checks can fail --------------------------------------------------------------


def test_f5_schema_example_is_the_chart_defaults_and_validates() -> None:
    schema = f5_schema()
    assert schema["examples"][0]["controller"]["image"]["repository"] == "nginx/nginx-ingress"
    validate_f5_values({})


@pytest.mark.parametrize("bad, error", [
    ({"controller": {"replicaCount": "two"}}, jsonschema.ValidationError),
    ({"controller": {"kind": "pod"}}, jsonschema.ValidationError),
    ({"controller": {"service": {"externalTrafficPolicy": 5}}}, jsonschema.ValidationError),
])
def test_f5_schema_rejects_wrong_values(bad: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        validate_f5_values(bad)


def test_path_walk_reports_typos_the_schema_accepts() -> None:
    values = {"controller": {"replicaCont": 2, "service": {"annotations": {"a": "b"}, "httpPort": {"prot": 80}},
                             "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                                            "whenUnsatisfiable": "DoNotSchedule", "labelSelectr": {}}]},
              "fullnameOverride": "x"}
    validate_f5_values(values)  # the schema itself lets all of these through
    assert sorted(f5_unknown_paths(values)) == [
        "controller.replicaCont", "controller.service.httpPort.prot",
        "controller.topologySpreadConstraints[0].labelSelectr", "fullnameOverride"]
    assert ingress_nginx_unknown_paths({"controller": {"replicaCont": 2, "service": {"port": {}}}}) == [
        "controller.replicaCont", "controller.service.port"]


# -- twin controllers --------------------------------------------------------------------


def test_values_fit_the_chart(flavor: Flavor) -> None:
    for dualstack in (False, True):
        for visibility in ("public", "private"):
            chart_checks(flavor, flavor.controller_values(spec(visibility, dualstack)))


def test_twins_are_independent(flavor: Flavor) -> None:
    public, private = spec("public"), spec("private")
    for getter in (lambda s: s.ingress_class, lambda s: s.release_name, lambda s: s.namespace,
                   flavor.full_name, flavor.controller_service_name, flavor.leader_election_id):
        assert getter(public) != getter(private)
    values = twins(flavor)
    if isinstance(flavor, NginxIncFlavor):
        classes = [controller(v)["ingressClass"]["name"] for v in values.values()]
        locks = [controller(v)["reportIngressStatus"]["leaderElectionLockName"] for v in values.values()]
        # The chart hard-codes the IngressClass controller; F5 matches Ingresses by class name.
        assert {flavor.ingress_class_controller(s) for s in (public, private)} == {"nginx.org/ingress-controller"}
        assert all(controller(v)["reportIngressStatus"]["enableLeaderElection"] for v in values.values())
    else:
        classes = [controller(v)["ingressClassResource"]["name"] for v in values.values()]
        locks = [controller(v)["electionID"] for v in values.values()]
        controllers = [controller(v)["ingressClassResource"]["controllerValue"] for v in values.values()]
        assert len(set(controllers)) == 2
        assert controllers == [flavor.ingress_class_controller(s) for s in (public, private)]
        assert [v["fullnameOverride"] for v in values.values()] == ["ingress-public", "ingress-private"]
    assert classes == ["nginx-public", "nginx-private"]
    assert locks == [flavor.leader_election_id(s) for s in (public, private)]


def test_no_default_class_and_no_classless_ingresses(flavor: Flavor) -> None:
    for values in twins(flavor).values():
        if isinstance(flavor, NginxIncFlavor):
            # No watchIngressWithoutClass in this chart: F5 processes an Ingress only when its class
            # name matches, so not being the default class is what keeps class-less ones away.
            assert controller(values)["ingressClass"]["setAsDefaultIngress"] is False
            assert controller(values)["enableCustomResources"] is False
        else:
            assert controller(values)["ingressClassResource"]["default"] is False
            assert controller(values)["watchIngressWithoutClass"] is False


def test_service_names_follow_the_charts_helpers(flavor: Flavor) -> None:
    expected = {"nginx-inc": "ingress-public-nginx-ingress-controller", "ingress-nginx": "ingress-public-controller"}
    assert flavor.controller_service_name(spec("public")) == expected[flavor.name]


# -- the load balancer -------------------------------------------------------------------


@pytest.mark.parametrize("dualstack", [False, True])
def test_nlb_annotations_per_visibility(flavor: Flavor, dualstack: bool) -> None:
    for visibility, scheme in (("public", "internet-facing"), ("private", "internal")):
        svc = service(flavor.controller_values(spec(visibility, dualstack)))
        annotations = svc["annotations"]
        assert svc["type"] == "LoadBalancer"
        assert svc["loadBalancerClass"] == "service.k8s.aws/nlb"
        assert svc["externalTrafficPolicy"] == "Cluster"
        assert annotations[ANN + "scheme"] == scheme
        assert annotations[ANN + "nlb-target-type"] == "ip"
        assert annotations[ANN + "security-groups"] == SG
        assert annotations[ANN + "manage-backend-security-group-rules"] == "true"
        assert annotations[ANN + "ssl-cert"] == CERT
        assert annotations[ANN + "ssl-ports"] == "443"
        assert annotations[ANN + "ip-address-type"] == ("dualstack" if dualstack else "ipv4")
        assert svc["loadBalancerSourceRanges"] == (ALLOWED if visibility == "private" else [])


def test_client_ip_is_proxy_protocol_on_both_sides(flavor: Flavor) -> None:
    for values in twins(flavor).values():
        annotations, entries = service(values)["annotations"], config(flavor, values)
        assert annotations[ANN + "proxy-protocol"] == "*"
        assert "preserve_client_ip.enabled=false" in annotations[ANN + "target-group-attributes"]
        if isinstance(flavor, NginxIncFlavor):
            assert entries["proxy-protocol"] == "true"
            assert entries["real-ip-header"] == "proxy_protocol"
            assert entries["set-real-ip-from"] == ",".join(VPC_CIDRS)
        else:
            assert entries["use-proxy-protocol"] == "true"
            assert entries["proxy-real-ip-cidr"] == ",".join(VPC_CIDRS)
        # The redirect server sits behind the same NLB, so it must read the PROXY header too.
        assert f"listen {REDIRECT_PORT} proxy_protocol;" in redirect_snippet(flavor, values)


def redirect_snippet(flavor: Flavor, values: dict[str, Any]) -> str:
    return config(flavor, values)["http-snippets" if flavor.name == "nginx-inc" else "http-snippet"]


def test_redirect_port_split(flavor: Flavor) -> None:
    """NLB 80 -> the redirect-only server; NLB 443 (TLS) -> the normal HTTP port; no $scheme redirect."""
    for values in twins(flavor).values():
        ports = controller(values)["containerPort"]
        assert ports[REDIRECT_PORT_NAME] == REDIRECT_PORT and ports["http"] == APP_PORT
        svc = service(values)
        if isinstance(flavor, NginxIncFlavor):
            assert (svc["httpPort"]["port"], svc["httpPort"]["targetPort"]) == (80, REDIRECT_PORT)
            assert (svc["httpsPort"]["port"], svc["httpsPort"]["targetPort"]) == (443, APP_PORT)
            assert config(flavor, values)["redirect-to-https"] == "true"  # X-Forwarded-Proto: https
        else:
            assert svc["ports"] == {"http": 80, "https": 443}
            assert svc["targetPorts"] == {"http": REDIRECT_PORT_NAME, "https": "http"}
            assert config(flavor, values)["ssl-redirect"] == "false"
        snippet = redirect_snippet(flavor, values)
        assert re.search(r"server \{\s*listen 8090 proxy_protocol;.*return 308 https://\$host\$request_uri;\s*\}",
                         snippet, re.S)
        assert "$scheme" not in snippet


def test_rendered_service_ports_are_valid_kubernetes(flavor: Flavor) -> None:
    """The Service and container ports as each chart's templates render them from our values."""
    values = flavor.controller_values(spec("private"))
    svc, ports = service(values), controller(values)["containerPort"]
    if isinstance(flavor, NginxIncFlavor):  # templates/controller-service.yaml
        service_ports = [{"name": "http", "port": svc["httpPort"]["port"], "targetPort": svc["httpPort"]["targetPort"]},
                         {"name": "https", "port": svc["httpsPort"]["port"],
                          "targetPort": svc["httpsPort"]["targetPort"]}]
    else:
        service_ports = [{"name": name, "port": svc["ports"][name], "targetPort": svc["targetPorts"][name]}
                         for name in ("http", "https")]
    manifest = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": flavor.controller_service_name(spec("private")), "namespace": "ingress-private",
                             "annotations": {k: str(v) for k, v in svc["annotations"].items()}},
                "spec": {"type": svc["type"], "loadBalancerClass": svc["loadBalancerClass"],
                         "externalTrafficPolicy": svc["externalTrafficPolicy"],
                         "allocateLoadBalancerNodePorts": svc["allocateLoadBalancerNodePorts"],
                         "loadBalancerSourceRanges": svc["loadBalancerSourceRanges"],
                         "ports": [{**p, "protocol": "TCP"} for p in service_ports],
                         "selector": {"app.kubernetes.io/instance": "ingress-private"}}}
    validate_kubernetes(manifest)
    # Every Service target is a container port: by number (F5) or by name (ingress-nginx).
    for target in (p["targetPort"] for p in service_ports):
        assert target in (set(ports.values()) if isinstance(target, int) else set(ports))


# -- availability ------------------------------------------------------------------------


def test_high_availability(flavor: Flavor) -> None:
    values = flavor.controller_values(spec("public"))
    ctrl = controller(values)
    assert ctrl["replicaCount"] == 3
    if isinstance(flavor, NginxIncFlavor):
        assert ctrl["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
        assert values["prometheus"]["create"] is True
    else:
        assert ctrl["maxUnavailable"] == 1
        assert ctrl["metrics"]["enabled"] is True
        assert ctrl["podAnnotations"]["prometheus.io/scrape"] == "true"
    zone = [c for c in ctrl["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert zone and zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert zone[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "ingress-public"
    assert ctrl["resources"]["requests"]["cpu"] and ctrl["resources"]["requests"]["memory"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
           "spec": {"topologySpreadConstraints": ctrl["topologySpreadConstraints"],
                    "containers": [{"name": "controller", "image": "nginx", "resources": ctrl["resources"],
                                    "ports": [{"name": name, "containerPort": port}
                                              for name, port in ctrl["containerPort"].items()]}]}}
    validate_kubernetes(pod)


# -- charts and names --------------------------------------------------------------------


def test_charts_are_pinned() -> None:
    assert NginxIncFlavor().chart(None).version == "2.6.4"
    assert NginxIncFlavor().chart(None).repo == "https://helm.nginx.com/stable"
    assert IngressNginxFlavor().chart(None).chart == "ingress-nginx"
    assert re.match(r"^4\.\d+\.\d+$", IngressNginxFlavor().chart(None).version)
    assert NginxIncFlavor().chart("2.6.3").version == "2.6.3"
    assert IngressNginxFlavor().chart("4.14.5").version == "4.14.5"
    with pytest.raises(ValueError, match="exact version"):
        NginxIncFlavor().chart("^2.6")
    with pytest.raises(ValueError, match="too old"):  # no nginx.org/add-header before controller 5.5
        NginxIncFlavor().chart("2.5.2")


def test_get_flavor() -> None:
    assert get_flavor("nginx-inc").shared_host_mode == "mergeable"
    assert get_flavor("ingress-nginx").shared_host_mode == "native"
    assert set(FLAVORS) == set(FLAVOR_NAMES)
    with pytest.raises(ValueError, match="known: ingress-nginx, nginx-inc"):
        get_flavor("traefik")


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["10.0.0.0/8", "::/0"]])
def test_private_spec_needs_a_real_allow_list(cidrs: list[str]) -> None:
    with pytest.raises(ValueError):
        controller_spec("private", "private", replicas=2, certificate_arn=CERT, security_group_id=SG,
                        allowed_cidrs=cidrs, dualstack=False, trusted_proxy_cidrs=VPC_CIDRS)


def test_public_spec_has_no_source_ranges() -> None:
    assert spec("public").source_ranges == []
    assert spec("private").source_ranges == ALLOWED


# -- annotations per intent --------------------------------------------------------------


def ingress_with(annotations: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "shop", "namespace": "shop", "annotations": annotations},
            "spec": {"ingressClassName": "nginx-public", "rules": [{"host": "shop.dev.example.com"}]}}


FULL = {"rate_limit": RateLimitIntent(20, 30, 50), "basic_auth_secret": "shop-basic-auth",
        "allow_cidrs": ["203.0.113.0/24", "2001:db8::/48"], "max_body_size": "8m"}


def test_f5_standalone_annotations() -> None:
    annotations = NginxIncFlavor().ingress_annotations(intent(**FULL))
    snippets = annotations.pop("nginx.org/location-snippets").splitlines()
    assert annotations == {
        "nginx.org/add-header": "Strict-Transport-Security:max-age=31536000:always",
        "nginx.org/limit-req-rate": "20r/s",
        "nginx.org/limit-req-burst": "30",
        "nginx.org/limit-req-no-delay": "true",
        "nginx.org/limit-req-reject-code": "429",
        "nginx.org/basic-auth-secret": "shop-basic-auth",
        "nginx.org/basic-auth-realm": "Restricted",
        "nginx.org/client-max-body-size": "8m",
    }
    assert snippets == ["limit_conn gangplank_conn_per_client 50;", "limit_conn_status 429;",
                        "allow 203.0.113.0/24;", "allow 2001:db8::/48;", "deny all;"]


def test_f5_snippets_are_enabled_and_declared() -> None:
    values = NginxIncFlavor().controller_values(spec("public"))
    # F5 rejects a whole Ingress with a snippet annotation when snippets are off.
    assert controller(values)["enableSnippets"] is True
    assert "limit_conn_zone $binary_remote_addr$host zone=gangplank_conn_per_client:10m;" in \
        config(NginxIncFlavor(), values)["http-snippets"]


def test_f5_master_and_minion() -> None:
    flavor = NginxIncFlavor()
    master = flavor.ingress_annotations(intent(merge_role="master", **FULL))
    minion = flavor.ingress_annotations(intent(merge_role="minion", **FULL))
    # internal/configs/annotations.go: masterDenylist / minionDenylist at v5.5.4.
    master_denied = {"nginx.org/rewrites", "nginx.org/ssl-services", "nginx.org/grpc-services",
                     "nginx.org/websocket-services", "nginx.org/sticky-cookie-services", "nginx.com/health-checks",
                     "nginx.org/use-cluster-ip"}
    minion_denied = {"nginx.org/proxy-hide-headers", "nginx.org/proxy-pass-headers", "nginx.org/redirect-to-https",
                     "ingress.kubernetes.io/ssl-redirect", "nginx.org/ssl-redirect", "nginx.org/http-redirect-code",
                     "nginx.org/hsts", "nginx.org/hsts-max-age", "nginx.org/hsts-include-subdomains",
                     "nginx.org/server-tokens", "nginx.org/listen-ports", "nginx.org/listen-ports-ssl",
                     "nginx.org/server-snippets", "nginx.org/ssl-ciphers", "nginx.org/app-root"}
    assert master == {"nginx.org/mergeable-ingress-type": "master",
                      "nginx.org/add-header": "Strict-Transport-Security:max-age=31536000:always"}
    assert not set(master) & master_denied
    assert minion["nginx.org/mergeable-ingress-type"] == "minion"
    assert not set(minion) & minion_denied
    # Host-level HSTS is the master's; app-level settings are the minion's.
    assert "nginx.org/add-header" not in minion
    assert {"nginx.org/limit-req-rate", "nginx.org/basic-auth-secret", "nginx.org/location-snippets",
            "nginx.org/client-max-body-size"} <= set(minion)


def test_ingress_nginx_annotations() -> None:
    annotations = IngressNginxFlavor().ingress_annotations(intent(**FULL))
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations == {
        prefix + "limit-rps": "20",
        prefix + "limit-burst-multiplier": "2",  # burst 30 over 20 rps, rounded up
        prefix + "limit-connections": "50",
        prefix + "auth-type": "basic",
        prefix + "auth-secret": "shop-basic-auth",
        prefix + "auth-secret-type": "auth-file",
        prefix + "auth-realm": "Restricted",
        prefix + "allowlist-source-range": "203.0.113.0/24,2001:db8::/48",
        prefix + "proxy-body-size": "8m",
    }


def test_ingress_nginx_hsts_is_per_controller() -> None:
    flavor = IngressNginxFlavor()
    assert "addHeaders" not in controller(flavor.controller_values(spec("private")))
    assert controller(flavor.controller_values(spec("public")))["addHeaders"] == {
        "Strict-Transport-Security": "max-age=31536000"}
    assert flavor.ingress_annotations(intent(visibility="private", hsts=False)) == {}
    for wrong in (intent(visibility="private", hsts=True), intent(visibility="public", hsts=False)):
        with pytest.raises(ValueError, match="per controller"):
            flavor.ingress_annotations(wrong)
    with pytest.raises(ValueError, match="natively"):
        flavor.ingress_annotations(intent(merge_role="minion"))


@pytest.mark.parametrize("rps, burst, multiplier, f5_burst", [(10, None, "1", "10"), (20, 40, "2", "40"),
                                                              (20, 0, "0", "0"), (20, 5, "1", "5")])
def test_burst(rps: int, burst: int | None, multiplier: str, f5_burst: str) -> None:
    limit = RateLimitIntent(rps, burst, None)
    nginx_inc = NginxIncFlavor().ingress_annotations(intent(rate_limit=limit))
    ingress_nginx = IngressNginxFlavor().ingress_annotations(intent(rate_limit=limit))
    assert nginx_inc["nginx.org/limit-req-burst"] == f5_burst
    assert "nginx.org/location-snippets" not in nginx_inc  # no connection limit asked
    assert ingress_nginx["nginx.ingress.kubernetes.io/limit-burst-multiplier"] == multiplier
    assert "nginx.ingress.kubernetes.io/limit-connections" not in ingress_nginx


def test_redirect_intent_adds_no_scheme_redirect(flavor: Flavor) -> None:
    annotations = flavor.ingress_annotations(intent(visibility="private", hsts=False))
    assert not any("redirect" in key for key in annotations)
    with pytest.raises(ValueError, match="plain HTTP"):
        flavor.ingress_annotations(intent(https_redirect=False))


def test_annotations_are_valid_kubernetes(flavor: Flavor) -> None:
    roles = ("master", "minion", None) if flavor.shared_host_mode == "mergeable" else (None,)
    for role in roles:
        for visibility in ("public", "private"):
            annotations = flavor.ingress_annotations(intent(visibility=visibility, hsts=visibility == "public",
                                                            merge_role=role, **FULL))
            assert all(isinstance(v, str) for v in annotations.values())
            validate_kubernetes(ingress_with(annotations))


def test_htpasswd(flavor: Flavor) -> None:
    digest = "$2b$04$" + "A" * 53
    assert flavor.htpasswd_line("alice", digest) == f"alice:{digest}"
    expected = {"nginx-inc": ("nginx.org/htpasswd", "htpasswd"), "ingress-nginx": ("Opaque", "auth")}
    assert (flavor.htpasswd.secret_type, flavor.htpasswd.key) == expected[flavor.name]
    for user, hashed in (("al:ice", digest), ("", digest), ("alice", "{SHA}abc"), ("alice", "plain")):
        with pytest.raises(ValueError):
            flavor.htpasswd_line(user, hashed)
