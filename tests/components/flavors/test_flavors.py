"""Flavors: Helm values of the twin controllers and annotations per app intent, for each flavor.

The values are checked against the charts themselves: the F5 chart's own values.schema.json
(shared/charts, see its NOTICE) plus a walk that fails on any key path the schema does not
know (the schema alone accepts typos: it has no additionalProperties: false); ingress-nginx
against key paths read in its values.yaml. Kubernetes fragments (topology spread, resources,
annotations) are validated with kubernetes-validate inside a Pod / Ingress.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from components.flavors import FLAVORS, get_flavor, ingress_nginx, nginx_inc
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import (
    INGRESS_EDGE_LABEL,
    AppIntent,
    ControllerSpec,
    Flavor,
    RateLimitIntent,
    controller_spec,
)
from tests.conftest import FLAVORS as FLAVOR_NAMES
from tests.conftest import GATEWAY_FLAVORS, validate_kubernetes
from tests.reference import F5_VALUES_SCHEMA

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0000-4000-8000-0123456789ab"
SG = "sg-0123456789abcdef0"
VPC_CIDRS = ("10.0.0.0/16", "100.64.0.0/16")
NLB_SUBNETS = ("10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20")
"""The subnets an NLB may be placed in: what a spec trusts."""
APP_PORTS = {"nginx-inc": nginx_inc.APP_PORT, "ingress-nginx": ingress_nginx.APP_PORT}
"""The pod port of each flavor's app listener: F5 moved to 443 (nginx_inc.APP_PORT: why), ingress-nginx keeps 80."""
ALLOWED = ["10.10.0.0/16", "2001:db8::/32"]
ANN = "service.beta.kubernetes.io/aws-load-balancer-"

# ConfigMap keys the F5 controller reads (internal/configs/configmaps.go at tag v5.5.4). It
# ignores unknown keys silently, so a typo here would quietly switch a feature off.
F5_CONFIG_KEYS = frozenset({
    "proxy-protocol", "real-ip-header", "set-real-ip-from", "real-ip-recursive", "redirect-to-https",
    "http-snippets", "server-tokens", "ssl-redirect", "location-snippets", "server-snippets",
    "client-max-body-size", "add-header", "hsts", "hsts-behind-proxy", "log-format", "worker-shutdown-timeout",
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
    "controller.service.annotations", "controller.admissionWebhooks.objectSelector",
    "controller.service.ports.http", "controller.service.ports.https", "controller.service.targetPorts.http",
    "controller.service.targetPorts.https", "controller.topologySpreadConstraints", "controller.resources",
    "controller.metrics.enabled", "controller.podAnnotations", "controller.extraArgs",
    "controller.terminationGracePeriodSeconds",
})
# Maps whose keys are free (ports, annotations, ConfigMap entries) or Kubernetes types checked below.
INGRESS_NGINX_MAPS = frozenset({"controller.containerPort", "controller.config", "controller.addHeaders",
                                "controller.service.annotations", "controller.podAnnotations",
                                "controller.topologySpreadConstraints", "controller.resources",
                                "controller.admissionWebhooks.objectSelector", "controller.extraArgs"})
# ConfigMap keys documented in docs/user-guide/nginx-configuration/configmap.md at controller-v1.15.1.
INGRESS_NGINX_CONFIG_KEYS = frozenset({"use-proxy-protocol", "proxy-real-ip-cidr", "http-snippet", "ssl-redirect",
                                       "limit-req-status-code", "limit-conn-status-code", "server-tokens",
                                       "proxy-ssl-location-only", "worker-shutdown-timeout"})
# Command-line flags of the controller (pkg/flags/flags.go at controller-v1.15.1), passed as controller.extraArgs.
INGRESS_NGINX_FLAGS = frozenset({"shutdown-grace-period"})


def spec(visibility: str, dualstack: bool = False) -> ControllerSpec:
    return controller_spec(visibility, visibility, replicas=3, certificate_arn=CERT,  # type: ignore[arg-type]
                           security_group_id=SG, allowed_cidrs=ALLOWED if visibility == "private" else [],
                           dualstack=dualstack, trusted_proxy_cidrs=NLB_SUBNETS, control_plane_cidrs=VPC_CIDRS)


def intent(**overrides: Any) -> AppIntent:
    values: dict[str, Any] = {"visibility": "public", "https_redirect": True, "hsts": True, "rate_limit": None,
                              "basic_auth_secret": None, "allow_cidrs": [], "max_body_size": None,
                              "merge_role": None}
    values.update(overrides)
    return AppIntent(**values)


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
        assert set(values["controller"].get("extraArgs", {})) <= INGRESS_NGINX_FLAGS


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


def label_selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector with only matchLabels, as the API server evaluates a webhook's objectSelector."""
    assert set(selector) <= {"matchLabels"}
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_each_admission_webhook_judges_only_its_own_edges_ingresses() -> None:
    """Unscoped, each ingress-nginx webhook (failurePolicy Fail) judged every Ingress of the cluster: one
    controller down and no Ingress could be created anywhere."""
    flavor = IngressNginxFlavor()
    edges = ("public", "private", "partners")
    selectors = {edge: controller(flavor.controller_values(spec_for(edge)))["admissionWebhooks"]["objectSelector"]
                 for edge in edges}
    for edge in edges:
        ingress_labels = {"app.kubernetes.io/managed-by": "gangplank", INGRESS_EDGE_LABEL: edge}
        judged_by = [other for other in edges if label_selector_matches(selectors[other], ingress_labels)]
        assert judged_by == [edge]
        # An Ingress someone else made, without gangplank's label, is judged by none of them.
        assert not label_selector_matches(selectors[edge], {"app": "theirs"})
    assert "failurePolicy" not in controller(flavor.controller_values(spec("public")))["admissionWebhooks"]


def spec_for(edge: str) -> ControllerSpec:
    visibility = "private" if edge == "private" else "public"
    return controller_spec(edge, visibility, replicas=2, certificate_arn=CERT, security_group_id=SG,  # type: ignore[arg-type]
                           allowed_cidrs=ALLOWED if visibility == "private" else [], dualstack=False,
                           trusted_proxy_cidrs=NLB_SUBNETS, control_plane_cidrs=VPC_CIDRS)


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
    assert set(FLAVORS) == set(FLAVOR_NAMES) | set(GATEWAY_FLAVORS)
    with pytest.raises(ValueError, match="known: envoy-gateway, ingress-nginx, nginx-inc"):
        get_flavor("traefik")


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["10.0.0.0/8", "::/0"]])
def test_private_spec_needs_a_real_allow_list(cidrs: list[str]) -> None:
    with pytest.raises(ValueError):
        controller_spec("private", "private", replicas=2, certificate_arn=CERT, security_group_id=SG,
                        allowed_cidrs=cidrs, dualstack=False, trusted_proxy_cidrs=NLB_SUBNETS,
                        control_plane_cidrs=VPC_CIDRS)

FULL = {"rate_limit": RateLimitIntent(20, 30, 50), "basic_auth_secret": "shop-basic-auth",
        "allow_cidrs": ["203.0.113.0/24", "2001:db8::/48"], "max_body_size": "8m"}
"""An intent with every protection, for the annotation and port tests."""


# -- shared with other test modules -------------------------------------------------------


def trusted_proxies(flavor: Flavor, values: dict[str, Any]) -> list[str]:
    """Whose PROXY header nginx believes: F5 `set-real-ip-from`, ingress-nginx `proxy-real-ip-cidr`."""
    key = "set-real-ip-from" if isinstance(flavor, NginxIncFlavor) else "proxy-real-ip-cidr"
    return config(flavor, values)[key].split(",")


def admitted(policy: dict[str, Any], source: str, port: int, from_a_pod: bool) -> bool:
    """NetworkPolicy semantics for one TCP connection to a selected pod: any rule admitting source and port.

    `from_a_pod`: the source is a pod of the cluster (matched by `namespaceSelector: {}`); an `ipBlock`
    matches it by address too, as Calico and the VPC CNI's policy agent do.
    """
    for rule in policy["spec"]["ingress"]:
        if not any(p["port"] == port and p["protocol"] == "TCP" for p in rule["ports"]):
            continue
        for peer in rule["from"]:
            if "ipBlock" in peer and ipaddress.ip_address(source) in ipaddress.ip_network(peer["ipBlock"]["cidr"]):
                return True
            if peer.get("namespaceSelector") == {} and "podSelector" not in peer and from_a_pod:
                return True
    return False
