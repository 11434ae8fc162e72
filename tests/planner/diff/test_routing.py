"""The controllers' rules the diff says what a replaced or deleted route means by (`planner.diff.routing`), held
against the models of the controllers the tests probe (tests/fakes/site.py, tests/fakes/gateway_site.py)."""

from __future__ import annotations

from typing import Any

import pytest

from components.flavors.gateway_api import gateway_manifest
from planner.diff.meanings import deleted_route_meaning
from planner.diff.routing import (
    HTTP_ROUTE,
    Claim,
    admission,
    answering,
    joins_a_new_master,
    master_left_standing,
    route_of,
)
from tests.conftest import FLAVORS
from tests.fakes.gateway_site import GatewaySite
from tests.fakes.site import IngressSite

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HOST = "a.example.com"
REQUESTS = ("/", "/api", "/api/", "/api/v1", "/apiary", "/status", "/status/x", "/statusy", "/x", "/docs", "/docs/",
            "/docs/x", "/docsy")


def ingress(name: str, paths: list[tuple[str, str]], role: str | None = None, hosts: tuple[str, ...] = (HOST,),
            namespace: str = "team") -> dict[str, Any]:
    annotations = {"nginx.org/mergeable-ingress-type": role} if role else {}
    rules = [{"host": host, **({"http": {"paths": [
        {"path": path, "pathType": kind, "backend": {"service": {"name": name, "port": {"number": 80}}}}
        for path, kind in paths]}} if paths else {})} for host in hosts]
    return {"metadata": {"name": name, "namespace": namespace, "annotations": annotations},
            "spec": {"ingressClassName": "nginx-public", "rules": rules}}


def as_resource(manifest: dict[str, Any], type_: str = INGRESS) -> dict[str, Any]:
    return {"type": type_, "name": manifest["metadata"]["name"], "inputs": manifest}


def routes(*manifests: dict[str, Any], type_: str = INGRESS) -> list[Any]:
    return [route_of(as_resource(m, type_)) for m in manifests]


ROUTES = [ingress("root", [("/", "Prefix")]), ingress("api", [("/api", "Prefix")]),
          ingress("status", [("/status", "Exact")]), ingress("docs", [("/docs/", "Prefix")])]
"""A prefix with a trailing `/`: ingress-nginx serves `/docs/` and `/docs/...` but not `/docs`; Gateway API ignores
the trailing `/`; F5 compares plain text."""


def shared_host(flavor: str, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ingresses that share one host as gangplank writes them: on F5 a master and minions (it serves one regular
    Ingress per host), on ingress-nginx as they are."""
    if flavor != "nginx-inc":
        return manifests
    minions = [{**m, "metadata": {**m["metadata"], "annotations": {"nginx.org/mergeable-ingress-type": "minion"}}}
               for m in manifests]
    return [ingress("a-master", [], role="master"), *minions]


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("chosen", [ROUTES, ROUTES[1:]], ids=["with-root", "without-root"])
def test_who_answers_a_path_is_who_the_controller_model_picks(flavor, chosen):
    """F5 compares a prefix as a plain string (`/api` answers `/apiary`), ingress-nginx by whole path elements."""
    manifests = shared_host(flavor, chosen)
    site = IngressSite(manifests, [], flavor)
    assert site.conflicts == []
    for path in REQUESTS:
        found = answering(flavor, routes(*manifests), Claim(HOST, path, exact=True))
        location = site.location(HOST, path)
        assert (found[0].key.split("/")[1] if found else None) == (location.ingress_name if location else None), path
    if flavor == "nginx-inc":  # F5 serves no minion without its host's master
        assert IngressSite(manifests[1:], [], flavor).location(HOST, "/api") is None
        assert answering(flavor, routes(*manifests[1:]), Claim(HOST, "/api", exact=True)) is None


def test_who_answers_a_path_on_a_gateway_is_who_the_gateway_model_picks():
    def route(name: str, kind: str, value: str) -> dict[str, Any]:
        return {"kind": "HTTPRoute", "metadata": {"name": name, "namespace": "team"},
                "spec": {"hostnames": [HOST], "parentRefs": [{"name": "public", "namespace": "gw",
                                                              "sectionName": "apps"}],
                         "rules": [{"matches": [{"path": {"type": kind, "value": value}}]}]}}

    manifests = [route("root", "PathPrefix", "/"), route("api", "PathPrefix", "/api/"),
                 route("status", "Exact", "/status"), route("docs", "PathPrefix", "/docs/")]
    for chosen in (manifests, manifests[1:]):
        site = GatewaySite.from_manifests([*chosen, gateway_manifest("public", "gw", "gangplank-public")])
        for path in REQUESTS:
            found = answering("gateway-api", routes(*chosen, type_=HTTP_ROUTE), Claim(HOST, path, exact=True))
            rule = site.rule(HOST, path)
            assert (found[0].key if found else None) == (rule.key if rule else None), path


def test_a_deleted_route_says_what_answers_instead_or_what_stops():
    kept = routes(ROUTES[0])
    [status] = routes(ROUTES[2])
    assert deleted_route_meaning("nginx-inc", status, kept) == (
        "what it routes stays served on class `nginx-public`: `a.example.com/status` by `team/root` (at `/`).")
    [api] = routes(ROUTES[1])
    assert deleted_route_meaning("ingress-nginx", api, routes(ROUTES[2])) == (
        "`a.example.com/api` stops being served (class `nginx-public`).")
    both = route_of(as_resource(ingress("both", [("/api", "Prefix"), ("/status", "Prefix")])))
    assert deleted_route_meaning("ingress-nginx", both, []) == (
        "`a.example.com/api`, `a.example.com/status` stop being served (class `nginx-public`).")


def verdicts(flavor: str, manifests: list[dict[str, Any]]) -> tuple[str | None, bool]:
    """(the planner's outcome for the last Ingress, created after the others; whether the model gives it a status)."""
    *older, new = routes(*manifests)
    found = admission(flavor, new, older)
    site = IngressSite(manifests, [], flavor)
    return (found.outcome if found else None), new.key in site.with_status


def test_f5_leaves_a_new_ingress_unserved_only_when_every_host_of_it_is_taken():
    old = ingress("grafana", [("/", "Prefix")], namespace="monitoring")
    moved = ingress("grafana", [("/", "Prefix")], namespace="observability")
    assert verdicts("nginx-inc", [old, moved]) == ("unserved", False)  # pulumi up waits, then fails
    wider = ingress("grafana", [("/", "Prefix")], hosts=(HOST, "b.example.com"), namespace="observability")
    assert verdicts("nginx-inc", [old, wider]) == ("waits", True)  # it holds b.example.com: it has a status
    other = ingress("other", [("/", "Prefix")], hosts=("b.example.com",))
    assert verdicts("nginx-inc", [old, other]) == (None, True)
    # A minion whose path an older minion holds gets its status with the master, and waits its turn.
    master = ingress("a-master", [], role="master")
    minion = ingress("shop", [("/", "Prefix")], role="minion", namespace="shop")
    assert verdicts("nginx-inc", [master, minion, ingress("shop", [("/", "Prefix")], role="minion",
                                                            namespace="shop-web")]) == ("waits", True)
    # A new master while the old one holds the host: unserved, like a regular Ingress.
    assert verdicts("nginx-inc", [master, minion, ingress("a-master", [], role="master", namespace="new")]) == (
        "unserved", False)


def test_ingress_nginx_refuses_the_same_host_and_path_unless_one_is_a_canary():
    old = ingress("grafana", [("/", "Prefix")], namespace="monitoring")
    moved = ingress("grafana", [("/", "Exact")], namespace="observability")
    *older, new = routes(old, moved)
    assert admission("ingress-nginx", new, older).outcome == "refused"  # the path string, whatever its type
    canary = ingress("grafana-canary", [("/", "Prefix")])
    canary["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary"] = "true"
    *older, new = routes(old, canary)
    assert admission("ingress-nginx", new, older) is None
    *older, new = routes(old, ingress("grafana", [("/api", "Prefix")], namespace="observability"))
    assert admission("ingress-nginx", new, older) is None  # another path of the host: no overlap


def test_a_minion_turned_regular_beside_its_standing_master_is_named_as_the_f5_model_serves_it():
    master = ingress("a-master", [], role="master")
    health = ingress("health", [("/status", "Exact")], role="minion")
    [old, new] = routes(ingress("api", [("/", "Prefix")], role="minion"), ingress("api", [("/", "Prefix")]))
    standing = routes(master, health)
    assert master_left_standing("nginx-inc", old, new, standing) == standing[0]
    assert master_left_standing("ingress-nginx", old, new, standing) is None  # it has no masters
    assert master_left_standing("nginx-inc", old, new, routes(health)) is None  # no master left: nothing to lose to
    assert master_left_standing("nginx-inc", new, new, standing) is None  # was regular already
    # Why the diff cannot say more: the F5 model serves the app only when its Ingress is the older of the two.
    served = {order: IngressSite(manifests, [], "nginx-inc").location(HOST, "/x")
              for order, manifests in {"master older": [master, health, ingress("api", [("/", "Prefix")])],
                                       "ingress older": [ingress("api", [("/", "Prefix")]), master, health]}.items()}
    assert served["master older"] is None and served["ingress older"].ingress_name == "api"


def test_a_regular_ingress_turned_minion_waits_for_its_new_master_as_the_f5_model_serves_it():
    [old, new] = routes(ingress("api", [("/", "Prefix")]), ingress("api", [("/", "Prefix")], role="minion"))
    assert joins_a_new_master("nginx-inc", old, new)
    assert not joins_a_new_master("ingress-nginx", old, new) and not joins_a_new_master("nginx-inc", new, new)
    minion = ingress("api", [("/", "Prefix")], role="minion")
    # Before the master exists the minion answers nothing; once it does, the minion's paths are served.
    assert IngressSite([minion], [], "nginx-inc").location(HOST, "/x") is None
    assert IngressSite([ingress("a-master", [], role="master"), minion], [], "nginx-inc").location(
        HOST, "/x").ingress_name == "api"
