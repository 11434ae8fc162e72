"""The Envoy Gateway flavor with catalogues of its own (the example stacks' tests are in test_envoy_gateway.py): HTTPS
backends and their TLS settings, apex hosts, aliases and an app on several edges."""

from __future__ import annotations

import pytest

from components.inputs.problems import InputError
from planner.run import build_plan
from tests.components.flavors.test_envoy_gateway import manifests, of_kind
from tests.conftest import gateway_site
from tests.fakes.gateway_site import Connection

TLS_CATALOGUE = """
apps:
  - name: ledger
    visibility: public
    service: {name: ledger, port: 8443, protocol: HTTPS, tls: {verify: true, serverName: ledger.example.internal,
                                                               caSecret: ledger-ca}}
  - name: billing
    visibility: private
    deploy: {image: ghcr.io/acme/billing:1, port: 8443, protocol: HTTPS, tls: {verify: true, caSecret: billing-ca}}
  - name: legacy
    visibility: private
    service: {name: legacy, port: 443, protocol: HTTPS, tls: {serverName: legacy.example.internal}}
"""


def test_service_tls_maps_onto_backend_tls_policy_or_backend(run_stack, write_apps, schemas) -> None:
    run = run_stack("dev", write_apps(TLS_CATALOGUE), flavor="envoy-gateway")
    site = gateway_site(run)
    # verify: a BackendTLSPolicy on the Service, the app's CA Secret, serverName as SNI and checked name (by default
    # the Service's cluster name, as Gateway API requires one); the route keeps the Service (its endpoints).
    assert site.connection("ledger.dev.example.com", "/") == Connection(
        "ledger.ledger.svc:8443", tls=True, verify=True, sni="ledger.example.internal", ca=("Secret/ledger-ca",))
    assert site.connection("billing.internal.dev.example.com", "/") == Connection(
        "billing.billing.svc:8443", tls=True, verify=True, sni="billing.billing.svc", ca=("Secret/billing-ca",))
    # serverName alone: SNI, no check, through a Backend.
    assert site.connection("legacy.internal.dev.example.com", "/") == Connection(
        "legacy.legacy.svc.cluster.local:443", tls=True, verify=False, sni="legacy.example.internal")
    for manifest in [*of_kind(run, "BackendTLSPolicy"), *of_kind(run, "Backend"), *of_kind(run, "HTTPRoute")]:
        assert schemas.violations(manifest) == [], manifest["metadata"]["name"]


def test_a_ca_without_verify_is_refused_naming_the_flavor(run_stack, write_apps) -> None:
    catalogue = """
apps:
  - name: legacy
    visibility: private
    service: {name: legacy, port: 443, protocol: HTTPS, tls: {caSecret: legacy-ca}}
"""
    with pytest.raises(InputError) as refused:
        build_plan(run_stack("dev", write_apps(catalogue), flavor="envoy-gateway"))
    [problem] = refused.value.problems
    assert "apps.yaml:4: app 'legacy' field 'service.tls.caSecret': the envoy-gateway flavor" in str(problem)
    assert "verify: true" in str(problem)


CATALOGUE = """
apps:
  - name: www
    visibility: public
    host: dev.example.com
    aliases: [www]
    service: {name: www, port: 80}
  - name: portal
    edges: [public, private]
    service: {name: portal, port: 80}
    maxBodySize: 8m
"""


def test_apex_hosts_aliases_and_several_edges(run_stack, write_apps, schemas) -> None:
    run = run_stack("dev", write_apps(CATALOGUE), flavor="envoy-gateway")
    routes = {r["metadata"]["name"]: r for r in of_kind(run, "HTTPRoute") if r["metadata"]["name"] != "to-https"}
    assert routes["www"]["spec"]["hostnames"] == ["dev.example.com", "www.dev.example.com"]
    # One route per edge, each on its own edge's Gateway (the hosts of each edge's zone).
    assert {name: [p["namespace"] for p in r["spec"]["parentRefs"]] for name, r in routes.items()
            if name.startswith("portal")} == {"portal": ["gateway-public"], "portal-private": ["gateway-private"]}
    assert routes["portal-private"]["spec"]["hostnames"] == ["portal.internal.dev.example.com"]
    [traffic] = [p for p in of_kind(run, "BackendTrafficPolicy") if p["metadata"]["name"] == "portal"]
    assert traffic["spec"]["requestBuffer"] == {"limit": "8Mi"}
    for manifest in manifests(run):
        if schemas.knows(manifest):
            assert schemas.violations(manifest) == [], manifest["metadata"]["name"]
    records = [r.inputs["name"] for r in run.monitor.registrations if r.type == "aws:route53/record:Record"
               and r.inputs.get("type") == "A"]
    assert {"dev.example.com", "www.dev.example.com", "portal.dev.example.com"} <= set(records)
