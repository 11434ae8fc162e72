"""An app's HTTPRoute within Gateway API's bounds: every list the program fills is measured against the HTTPRoute
CRD before anything is declared, and what would pass a bound is an input error naming the file, the line, the app,
the field and the flavor (the API server would otherwise refuse the route part-way through `pulumi up`)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.apps.preflight import route_size_problems
from components.flavors.gateway_api import (
    HEADER_VALUE_MAX,
    PATH_VALUE_MAX,
    ROUTE_BOUNDS,
    ROUTE_MATCHES_MAX,
    route_bound_problems,
)
from components.inputs.catalog.loading import load_catalogue
from tests.conftest import STACKS, make_settings
from tests.reference import GATEWAY_API_CRDS


def crd_node(path: str) -> dict[str, Any]:
    """The schema node of an HTTPRoute (v1) field, by the path `route_bound_problems` names (`spec.rules[].matches`)."""
    crd = yaml.safe_load((GATEWAY_API_CRDS / "gateway.networking.k8s.io_httproutes.yaml").read_text(encoding="utf-8"))
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    node = version["schema"]["openAPIV3Schema"]
    for step in path.split("."):
        node = node["properties"][step.removesuffix("[]")]
        if step.endswith("[]"):
            node = node["items"]
    return node


@pytest.mark.parametrize("path", sorted(ROUTE_BOUNDS))
def test_each_bound_is_the_crds(path: str) -> None:
    assert crd_node(path)["maxItems"] == ROUTE_BOUNDS[path]


def test_the_route_wide_match_bound_and_the_lengths_are_the_crds() -> None:
    [total] = [rule["rule"] for rule in crd_node("spec.rules")["x-kubernetes-validations"] if "matches.size()" in
               rule["rule"]]
    assert total.endswith(f"<= {ROUTE_MATCHES_MAX}")
    assert crd_node("spec.rules[].matches[].path.value")["maxLength"] == PATH_VALUE_MAX
    assert crd_node("spec.rules[].matches[].headers[].value")["maxLength"] == HEADER_VALUE_MAX


CATALOGUE = """\
apps:
  - name: many
    visibility: public
    service: {name: many, port: 80}
    aliases: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16]
  - name: enough
    visibility: public
    service: {name: enough, port: 80}
    aliases: [b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15]
  - name: paths
    visibility: public
    service: {name: paths, port: 80}
    paths: [PATHS]
""".replace("PATHS", ", ".join(f"/p{i}" for i in range(65)))


@pytest.mark.parametrize("flavor, moving", [("envoy-gateway", False), ("ingress-nginx", True)])
def test_an_app_past_a_route_bound_is_refused_before_anything_is_declared(write_apps, flavor, moving) -> None:
    """16 aliases make 17 hostnames (the CRD allows 16), 65 paths 65 matches in a rule (64): before, both planned with
    exit 0 and `pulumi up` would have failed at the route. Whether the edge runs the flavor or moves to it."""
    path = write_apps(CATALOGUE)
    settings = make_settings(flavor=flavor, **({"edges": {"public": {"move": {"to": "envoy-gateway"}}}}
                                               if moving else {}))
    problems = [str(p) for p in route_size_problems(load_catalogue(path, settings, "dev", STACKS), settings)]
    key = "gangplank:edges.public.move.to" if moving else "gangplank:flavor"
    assert [p.split(" cannot express this: ")[0] for p in problems] == [
        f"{path}:5: app 'many' field 'aliases': the envoy-gateway flavor ({key})",
        f"{path}:13: app 'paths' field 'paths': the envoy-gateway flavor ({key})"]
    assert "17 items in spec.hostnames, where Gateway API allows 16" in problems[0]
    assert "65 items in spec.rules[].matches, where Gateway API allows 64" in problems[1]
    assert route_size_problems(load_catalogue(path, make_settings(flavor="nginx-inc"), "dev", STACKS),
                               make_settings(flavor="nginx-inc")) == []


def test_every_bounded_list_is_measured() -> None:
    rule = {"matches": [{"path": {"type": "PathPrefix", "value": "/" + "x" * PATH_VALUE_MAX},
                         "headers": [{"name": f"h{i}", "value": "v"} for i in range(17)]}],
            "filters": [{"type": "RequestHeaderModifier",
                         "requestHeaderModifier": {"set": [{"name": f"h{i}", "value": "v"} for i in range(17)]}}],
            "backendRefs": [{"name": f"s{i}", "port": 80} for i in range(17)]}
    route = {"spec": {"parentRefs": [{"name": "g"}] * 33, "hostnames": ["a"] * 17, "rules": [rule] * 17}}
    assert {path for path, _ in route_bound_problems(route)} == {
        "spec.parentRefs", "spec.hostnames", "spec.rules", "spec.rules[].matches[].headers",
        "spec.rules[].matches[].path", "spec.rules[].filters[].requestHeaderModifier.set", "spec.rules[].backendRefs"}
    root = {"path": {"value": "/"}}
    many = {"spec": {"rules": [{"matches": [root] * 64}, {"matches": [root] * 65}]}}
    assert ("spec.rules[].matches", "129 matches in its 2 rules, where Gateway API allows 128 a route") in \
        route_bound_problems(many)
