"""What the flavor tests share: a controller spec and an app intent to render, the checks of rendered Helm values
against each chart, and readers of those values (moved out of test_flavors, which other test modules imported).

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
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from components.flavors import ingress_nginx, nginx_inc
from components.flavors.app_intent import AppIntent, RateLimitIntent
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import ControllerSpec, Flavor, controller_spec
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

INGRESS_NGINX_PATHS_CHART = "4.15.1"
"""The chart version INGRESS_NGINX_PATHS were read at (tests/components/apps/test_preflight.py holds the flavor's
pinned chart to it: the chart-version warning says its values are checked against these paths)."""
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
