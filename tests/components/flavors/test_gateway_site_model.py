"""The model of the Gateway API edges (tests/fakes/gateway_site.py) itself, on objects built by hand: a rate limit
admits what nginx admits, a route attaches only where its Gateway's listener admits it, and a basic-auth line is
what Envoy reads. The Envoy Gateway flavor's own tests are in test_envoy_gateway.py."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from components.flavors.envoy_gateway import rate_limit_rules, sha_htpasswd_line
from components.flavors.gateway_api import gateway_manifest
from tests.fakes.gateway_site import OK, GatewaySite


def test_rate_limits_admit_what_nginx_admits_and_hold_the_rate_over_a_minute() -> None:
    rps, burst = 10, 20
    policy = {"kind": "BackendTrafficPolicy", "metadata": {"name": "p", "namespace": "n"},
              "spec": {"targetRefs": [{"kind": "HTTPRoute", "name": "r"}],
                       "rateLimit": {"local": {"rules": rate_limit_rules(rps, burst)}}}}
    route = {"kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "n"},
             "spec": {"parentRefs": [{"name": "edge", "namespace": "gw", "sectionName": "apps"}], "hostnames": ["h"],
                      "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]}}
    gateways = [gateway_manifest("edge", "gw", "gangplank-edge")]
    site = GatewaySite([route], [policy], [], gateways=gateways)
    # nginx `rate=10r/s burst=20 nodelay` admits 21 at once, then 10 a second: so does this.
    answers = [site("192.0.2.1", "/", {"Host": "h"}) for _ in range(burst + 1)]
    for second in range(1, 50):
        site.clock = second
        answers += [site("192.0.2.1", "/", {"Host": "h"}) for _ in range(rps)]
    assert set(answers) == {OK}
    # A client that sends as fast as it can gets at most rps + burst a second, and 60 x rps + burst a minute.
    flood = GatewaySite([route], [policy], [], gateways=gateways)
    passed = 0
    for second in range(60):
        flood.clock = second
        passed += sum(flood("192.0.2.2", "/", {"Host": "h"}) == OK for _ in range(100))
    assert passed == 60 * rps + burst


def test_htpasswd_lines_are_what_envoy_reads() -> None:
    line = sha_htpasswd_line("alice", "s3cret")
    user, digest = line.split(":")
    assert user == "alice" and digest == "{SHA}" + base64.b64encode(hashlib.sha1(b"s3cret").digest()).decode()
    with pytest.raises(ValueError):
        sha_htpasswd_line("al:ice", "x")


def test_a_route_serves_only_on_the_listener_of_the_gateway_it_names_and_that_admits_it() -> None:
    # The old model attached every route that named a listener `apps`, of any Gateway, in any namespace.
    def route(route_name: str, route_namespace: str, **parent: Any) -> dict[str, Any]:
        return {"kind": "HTTPRoute", "metadata": {"name": route_name, "namespace": route_namespace},
                "spec": {"parentRefs": [parent], "hostnames": [route_name],
                         "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]}}

    gateway = gateway_manifest("edge", "gw", "gangplank-edge")
    routes = [route("ours", "team", name="edge", namespace="gw", sectionName="apps"),
              route("other-gateway", "team", name="elsewhere", namespace="gw", sectionName="apps"),
              route("local-namespace", "team", name="edge", sectionName="apps"),  # the namespace defaults to team
              route("whole-gateway", "team", name="edge", namespace="gw"),
              route("wrong-port", "team", name="edge", namespace="gw", sectionName="apps", port=80)]
    site = GatewaySite(routes, [], [], gateways=[gateway])
    assert {name: site("192.0.2.1", "/", {"Host": name}) for name in [r["metadata"]["name"] for r in routes]} == {
        "ours": OK, "other-gateway": 404, "local-namespace": 404, "whole-gateway": OK, "wrong-port": 404}
    # The redirect listener admits routes of the Gateway's own namespace only (`from: Same`): a team's route that
    # names the whole Gateway attaches to the apps listener, not to port 80.
    assert site("192.0.2.1", "/", {"Host": "whole-gateway"}, port=80) == 404
    platform = route("redirect", "gw", name="edge", sectionName="redirect")
    platform["spec"]["rules"][0]["filters"] = [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]
    assert GatewaySite([platform], [], [], gateways=[gateway])("192.0.2.1", "/", {"Host": "x"}, port=80) == 308
    foreign = route("redirect", "team", name="edge", namespace="gw", sectionName="redirect")
    foreign["spec"]["rules"][0]["filters"] = platform["spec"]["rules"][0]["filters"]
    assert GatewaySite([foreign], [], [], gateways=[gateway])("192.0.2.1", "/", {"Host": "x"}, port=80) == 404
