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
    LB_PORTS,
    PROMETHEUS_PORTS,
    REDIRECT_PORT,
    REDIRECT_PORT_NAME,
    AppIntent,
    ControllerSpec,
    Flavor,
    RateLimitIntent,
    controller_spec,
    network_policy_manifest,
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


# -- the load balancer -------------------------------------------------------------------


def rendered_service_ports(flavor: Flavor, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The controller Service's ports as the chart's template renders them from our values.

    F5: templates/controller-service.yaml at v5.5.4 (`customPorts` verbatim, then `httpPort` and
    `httpsPort` when enabled). ingress-nginx: templates/controller-service.yaml at helm-chart-4.15.1
    (`ports.<name>` with `targetPorts.<name>`).
    """
    svc = service(values)
    if isinstance(flavor, NginxIncFlavor):
        ports = [dict(port) for port in svc.get("customPorts", [])]
        for name in ("httpPort", "httpsPort"):
            if svc[name].get("enable"):
                ports.append({"name": svc[name].get("name", name.removesuffix("Port")), "port": svc[name]["port"],
                              "targetPort": svc[name]["targetPort"], "protocol": "TCP"})
        return ports
    return [{"name": name, "port": svc["ports"][name], "targetPort": svc["targetPorts"][name], "protocol": "TCP"}
            for name in ("http", "https")]


def pod_port(values: dict[str, Any], target: int | str) -> int:
    """The container port a Service targetPort reaches on a pod made from these values (names resolve per pod)."""
    return target if isinstance(target, int) else controller(values)["containerPort"][target]


def listener_target(flavor: Flavor, values: dict[str, Any], lb_port: int) -> int | str:
    [port] = [p for p in rendered_service_ports(flavor, values) if p["port"] == lb_port]
    return port["targetPort"]


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


def test_no_setting_the_load_balancer_controller_ignores(flavor: Flavor) -> None:
    """With our own security group the LBC ignores loadBalancerSourceRanges and its annotation (LBC
    docs/guide/service/annotations.md, pkg/service/model_build_managed_sg.go): the group is the gate."""
    for visibility in ("public", "private"):
        svc = service(flavor.controller_values(spec(visibility)))
        assert svc["annotations"][ANN + "security-groups"] == SG
        assert "loadBalancerSourceRanges" not in svc
        assert "service.beta.kubernetes.io/load-balancer-source-ranges" not in svc["annotations"]


def test_client_ip_is_proxy_protocol_on_both_sides(flavor: Flavor) -> None:
    for values in twins(flavor).values():
        annotations, entries = service(values)["annotations"], config(flavor, values)
        assert annotations[ANN + "proxy-protocol"] == "*"
        assert "preserve_client_ip.enabled=false" in annotations[ANN + "target-group-attributes"]
        if isinstance(flavor, NginxIncFlavor):
            assert entries["proxy-protocol"] == "true"
            assert entries["real-ip-header"] == "proxy_protocol"
        else:
            assert entries["use-proxy-protocol"] == "true"
        # The redirect server sits behind the same NLB, so it must read the PROXY header too.
        assert f"listen {REDIRECT_PORT} proxy_protocol;" in redirect_snippet(flavor, values)


def trusted_proxies(flavor: Flavor, values: dict[str, Any]) -> list[str]:
    """Whose PROXY header nginx believes: F5 `set-real-ip-from`, ingress-nginx `proxy-real-ip-cidr`."""
    key = "set-real-ip-from" if isinstance(flavor, NginxIncFlavor) else "proxy-real-ip-cidr"
    return config(flavor, values)[key].split(",")


def test_proxy_headers_are_trusted_from_the_load_balancers_subnets_only(flavor: Flavor) -> None:
    """Not from the VPC, where every pod lives and could claim any client address."""
    for visibility in ("public", "private"):
        values = flavor.controller_values(spec(visibility))
        assert trusted_proxies(flavor, values) == list(NLB_SUBNETS)
        assert not set(trusted_proxies(flavor, values)) & set(VPC_CIDRS)


@pytest.mark.parametrize("cidrs", [(), ("0.0.0.0/0",), ("10.0.0.0/20", "2001:db8::/64"), ("10.0.0.1/20",)])
def test_a_spec_refuses_a_trust_list_wider_than_subnets(cidrs: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="trusted_proxy_cidrs"):
        controller_spec("public", "public", replicas=2, certificate_arn=CERT, security_group_id=SG, allowed_cidrs=[],
                        dualstack=False, trusted_proxy_cidrs=cidrs, control_plane_cidrs=VPC_CIDRS)


def redirect_snippet(flavor: Flavor, values: dict[str, Any]) -> str:
    return config(flavor, values)["http-snippets" if flavor.name == "nginx-inc" else "http-snippet"]


def test_redirect_port_split(flavor: Flavor) -> None:
    """NLB 80 -> the redirect-only server; NLB 443 (TLS) -> the app listener; no $scheme redirect."""
    for values in twins(flavor).values():
        assert controller(values)["containerPort"][REDIRECT_PORT_NAME] == REDIRECT_PORT
        assert pod_port(values, listener_target(flavor, values, 80)) == REDIRECT_PORT
        assert pod_port(values, listener_target(flavor, values, 443)) == APP_PORTS[flavor.name]
        if isinstance(flavor, NginxIncFlavor):
            assert config(flavor, values)["redirect-to-https"] == "true"  # X-Forwarded-Proto: https
        else:
            assert service(values)["ports"] == {"http": 80, "https": 443}
            assert config(flavor, values)["ssl-redirect"] == "false"
        snippet = redirect_snippet(flavor, values)
        assert re.search(r"server \{\s*listen 8090 proxy_protocol;.*return 308 https://\$host\$request_uri;\s*\}",
                         snippet, re.S)
        assert "$scheme" not in snippet


def forwarded_port_seen_by_apps(flavor: Flavor, values: dict[str, Any]) -> int:
    """`X-Forwarded-Port` of a request that came in on the NLB's TLS listener (443), per each template.

    F5 (internal/configs/version1/nginx.ingress.tmpl at v5.5.4): `$server_port`, the pod port the
    connection arrived on, i.e. where the Service's 443 port targets. ingress-nginx
    (rootfs/etc/nginx/template/nginx.tmpl at controller-v1.15.1): with proxy protocol,
    `$proxy_protocol_server_port`, the NLB listener port in the PROXY header.
    """
    if isinstance(flavor, NginxIncFlavor):
        return pod_port(values, listener_target(flavor, values, 443))
    assert config(flavor, values)["use-proxy-protocol"] == "true"
    return 443


def test_apps_are_told_the_port_the_client_used(flavor: Flavor) -> None:
    """`X-Forwarded-Proto: https` with `X-Forwarded-Port: 80` makes frameworks build https://host:80/ links."""
    for values in twins(flavor).values():
        assert forwarded_port_seen_by_apps(flavor, values) == 443


def test_f5_serves_the_apps_on_pod_port_443() -> None:
    """What makes `$server_port` 443: every server of the F5 config listens on the port the NLB targets."""
    values = NginxIncFlavor().controller_values(spec("public"))
    ctrl, entries = controller(values), config(NginxIncFlavor(), values)
    app_port = pod_port(values, listener_target(NginxIncFlavor(), values, 443))
    # The catch-all server (unknown hosts) on the app port, plain; its TLS listener somewhere nothing targets.
    assert ctrl["defaultHTTPListenerPort"] == app_port == nginx_inc.APP_PORT
    assert ctrl["defaultHTTPSListenerPort"] not in (app_port, REDIRECT_PORT, *LB_PORTS)
    assert ctrl["containerPort"]["https"] == ctrl["defaultHTTPSListenerPort"]
    assert ctrl["disableIPV6"] is False
    # Every Ingress's server listens there too, with proxy protocol, in both address families.
    assert entries["server-snippets"].splitlines() == [f"listen {app_port} proxy_protocol;",
                                                       f"listen [::]:{app_port} proxy_protocol;"]
    # Nothing else of F5's may listen on 443 (TLS passthrough and the service-mesh server are off).
    assert ctrl["enableCustomResources"] is False and "enableTLSPassthrough" not in ctrl
    # An Ingress's own server-snippets would replace the ConfigMap's; listen-ports would listen twice.
    intents = [intent(merge_role=role, **FULL) for role in ("master", "minion", None)]
    forbidden = {"nginx.org/server-snippets", "nginx.org/listen-ports", "nginx.org/listen-ports-ssl"}
    for written in (NginxIncFlavor().ingress_annotations(i) for i in intents):
        assert not forbidden & set(written)


def test_f5_moves_the_app_port_without_a_gap() -> None:
    """The Service targets the app listener by name, so during the rollout from pod port 80 each pod is
    registered at its own port (LBC model_build_target_group.go buildTargetGroupPort), and the old pods'
    port stays admitted by the NetworkPolicy until they are gone."""
    values = NginxIncFlavor().controller_values(spec("private"))
    target = listener_target(NginxIncFlavor(), values, 443)
    assert target == "http"
    before = {**controller(values)["containerPort"], "http": 80}  # the pods of the earlier release
    assert pod_port({"controller": {"containerPort": before}}, target) == 80
    assert {80, nginx_inc.APP_PORT, REDIRECT_PORT} <= set(NginxIncFlavor().pod_ports.traffic)


def test_rendered_service_ports_are_valid_kubernetes(flavor: Flavor) -> None:
    """The Service and container ports as each chart's templates render them from our values."""
    values = flavor.controller_values(spec("private"))
    svc, ports = service(values), controller(values)["containerPort"]
    service_ports = rendered_service_ports(flavor, values)
    assert sorted(p["port"] for p in service_ports) == sorted(LB_PORTS)
    manifest = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": flavor.controller_service_name(spec("private")), "namespace": "ingress-private",
                             "annotations": {k: str(v) for k, v in svc["annotations"].items()}},
                "spec": {"type": svc["type"], "loadBalancerClass": svc["loadBalancerClass"],
                         "externalTrafficPolicy": svc["externalTrafficPolicy"],
                         "allocateLoadBalancerNodePorts": svc["allocateLoadBalancerNodePorts"],
                         "ports": service_ports,
                         "selector": {"app.kubernetes.io/instance": "ingress-private"}}}
    validate_kubernetes(manifest)
    # Every Service target is a container port: by number or by name.
    for target in (p["targetPort"] for p in service_ports):
        assert target in (set(ports.values()) if isinstance(target, int) else set(ports))
    # The NLB connects only to ports its NetworkPolicy admits (traffic and TCP health checks alike).
    assert {pod_port(values, p["targetPort"]) for p in service_ports} <= set(flavor.pod_ports.traffic)


# -- who may reach the controller pods ---------------------------------------------------


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


def test_network_policy_admits_the_traffic_ports_from_the_load_balancer_only(flavor: Flavor) -> None:
    controller_spec_ = spec("private")
    policy = network_policy_manifest(controller_spec_, flavor.selector_labels(controller_spec_), flavor.pod_ports)
    validate_kubernetes(policy)
    assert policy["metadata"]["namespace"] == "ingress-private"
    assert policy["spec"]["podSelector"]["matchLabels"] == flavor.selector_labels(controller_spec_)
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    nlb, pod_elsewhere = "10.0.16.25", "10.0.200.7"  # in an NLB subnet; in the VPC, outside them
    for port in flavor.pod_ports.traffic:
        assert admitted(policy, nlb, port, from_a_pod=False)
        assert not admitted(policy, pod_elsewhere, port, from_a_pod=True)
        assert not admitted(policy, "203.0.113.9", port, from_a_pod=False)
    metrics = PROMETHEUS_PORTS[flavor.name]
    assert admitted(policy, pod_elsewhere, metrics, from_a_pod=True)
    assert not admitted(policy, "203.0.113.9", metrics, from_a_pod=False)


def test_network_policy_and_nginx_trust_the_same_addresses(flavor: Flavor) -> None:
    """Why they must agree: traffic.py. Admitted-but-untrusted breaks every allow-list, trusted-but-admitted-
    from-elsewhere lets pods forge client addresses."""
    controller_spec_ = spec("public")
    policy = network_policy_manifest(controller_spec_, flavor.selector_labels(controller_spec_), flavor.pod_ports)
    [traffic_rule] = [r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} ==
                      set(flavor.pod_ports.traffic)]
    admitted_cidrs = [peer["ipBlock"]["cidr"] for peer in traffic_rule["from"]]
    assert admitted_cidrs == trusted_proxies(flavor, flavor.controller_values(controller_spec_)) == list(NLB_SUBNETS)


def test_the_admission_webhook_stays_reachable_for_the_api_server() -> None:
    flavor = IngressNginxFlavor()
    policy = network_policy_manifest(spec("private"), flavor.selector_labels(spec("private")), flavor.pod_ports)
    control_plane_eni = "100.64.3.4"  # an EKS control-plane interface in the VPC
    assert admitted(policy, control_plane_eni, ingress_nginx.ADMISSION_WEBHOOK_PORT, from_a_pod=False)
    assert not admitted(policy, control_plane_eni, ingress_nginx.APP_PORT, from_a_pod=False)
    assert NginxIncFlavor().pod_ports.control_plane == ()  # F5 runs no admission webhook here


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
