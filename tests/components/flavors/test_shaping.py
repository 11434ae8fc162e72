"""Canary and A/B routing, stickiness and external auth, as the controllers answer for what a plan declares.

The dev stack is planned once per module on each flavor that expresses the three (ingress-nginx, envoy-gateway)
with a catalogue that uses them; the site models (tests/fakes/nginx_traffic.py, tests/fakes/gateway_site.py) then
answer requests as the controllers would: which backend a request with the header, the cookie or neither reaches,
the auth chain, the sticky cookie. The F5 flavor refuses each, with what it lacks.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
import re2

from components.apps.preflight import canary_monitor_problems, flavor_problems
from components.flavors.shaping import (
    CanaryIntent,
    ExternalAuthIntent,
    StickyIntent,
    duration,
    envoy_gateway_problems,
    full_match_pattern,
    ingress_nginx_problems,
    nginx_inc_problems,
)
from components.inputs.catalog.loading import load_catalogue
from components.uptimerobot.probes import probe_addresses
from planner.run import ProgramRun, build_plan, run_program
from tests.components.flavors.test_envoy_gateway import manifests
from tests.conftest import ROOT, STACKS, make_settings, validate_kubernetes
from tests.fakes.apiserver import CrdSchemas
from tests.fakes.gateway_site import GatewaySite
from tests.fakes.nginx_traffic import FORBIDDEN, FOUND, OK, UNAUTHORIZED, IngressNginxTraffic, parse_cookies
from tests.reference import crd_files

CATALOGUE = """\
apps:
  - name: shop
    visibility: public
    deploy: {image: ghcr.io/acme/shop:1.0, port: 8080}
    healthPath: /healthz
    canary:
      deploy: {image: ghcr.io/acme/shop:1.1, port: 8080, replicas: 1}
      weight: 10
      header: {name: X-Canary, value: always}
      cookie: {name: canary}
  - name: beta
    visibility: public
    service: {name: beta, port: 80}
    canary:
      service: {name: beta-next, port: 80}
      header: {name: X-Ring, pattern: "^(beta|qa)$"}
  - name: cart
    visibility: public
    service: {name: cart, port: 80}
    sticky: {cookie: {name: route, maxAge: 3600}}
  - name: wiki
    visibility: public
    service: {name: wiki, port: 80}
    healthPath: /health
    allowCidrs: [203.0.113.0/24]
    auth:
      external:
        url: https://auth.example.com/oauth2/auth
        signin: https://auth.example.com/oauth2/start
        responseHeaders: [X-Auth-Request-User]
"""
INSIDE, OUTSIDE = "203.0.113.7", "192.0.2.1"
HOSTS = {app: f"{app}.dev.example.com" for app in ("shop", "beta", "cart", "wiki")}


def oauth2_proxy(calls: list[str]) -> Any:
    """An external auth service: a session cookie of alice's passes, `banned` is refused, anyone else is 401."""
    def answer(url: str, headers: Mapping[str, str]) -> tuple[int, Mapping[str, str]]:
        calls.append(url)
        session = parse_cookies(headers.get("Cookie", "")).get("_oauth2_proxy")
        if session == "alice":
            return 202, {"X-Auth-Request-User": "alice", "X-Auth-Request-Email": "alice@example.com"}
        return (403, {}) if session == "banned" else (401, {})
    return answer


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProgramRun]:
    folder = tmp_path_factory.mktemp("shaping")
    (folder / "nginx.yaml").write_text(CATALOGUE, encoding="utf-8")
    # Envoy Gateway has no sign-in redirect (refused below): the auth service answers for itself.
    (folder / "envoy.yaml").write_text(CATALOGUE.replace("        signin: https://auth.example.com/oauth2/start\n",
                                                         ""), encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return {"ingress-nginx": run_program("dev", str(folder / "nginx.yaml"), ROOT,
                                             {"gangplank:flavor": "ingress-nginx"}),
                "envoy-gateway": run_program("dev", str(folder / "envoy.yaml"), ROOT,
                                             {"gangplank:flavor": "envoy-gateway"})}
    finally:
        os.chdir(cwd)


@pytest.fixture
def nginx(runs) -> tuple[IngressNginxTraffic, list[str]]:
    calls: list[str] = []
    ingresses = [m for m in manifests(runs["ingress-nginx"]) if m["kind"] == "Ingress"]
    return IngressNginxTraffic(ingresses, oauth2_proxy(calls), seed=7), calls


@pytest.fixture
def envoy(runs) -> tuple[GatewaySite, list[str]]:
    calls: list[str] = []
    return GatewaySite.from_manifests(manifests(runs["envoy-gateway"], reveal=True), auth_service=oauth2_proxy(calls),
                                      random=__import__("random").Random(7)), calls


def ask(site: Any) -> Any:
    """The site model's whole answer (`Answer`), whichever the flavor."""
    return site.answer if isinstance(site, GatewaySite) else site


def backends(site: Any, app: str, headers: Mapping[str, str] | None = None, path: str = "/", times: int = 1,
             client: str = INSIDE) -> Counter[str]:
    return Counter(ask(site)(client, path, {"Host": HOSTS[app], **(headers or {})}).backend for _ in range(times))


# -- the objects ------------------------------------------------------------------------------


def test_every_object_is_admitted(runs) -> None:
    schemas = CrdSchemas(crd_files())
    kinds = Counter()
    for run in runs.values():
        for manifest in manifests(run, reveal=True):
            if schemas.knows(manifest):
                assert schemas.violations(manifest) == [], (manifest["kind"], manifest["metadata"]["name"])
            elif manifest["kind"] != "ForecastleApp":
                validate_kubernetes(manifest)
            kinds[manifest["kind"]] += 1
    assert kinds["Backend"] == 1 and kinds["Deployment"] == 4  # shop and its canary, on each flavor


def test_ingress_nginx_gets_a_canary_ingress_and_the_annotations_that_carry_the_rules(runs) -> None:
    by_name = {m["metadata"]["name"]: m for m in manifests(runs["ingress-nginx"]) if m["kind"] == "Ingress"}
    canary = by_name["shop-canary"]
    assert canary["spec"]["rules"] == [{**rule, "http": {"paths": [{**p, "backend": {"service": {
        "name": "shop-canary", "port": {"number": 8080}}}} for p in rule["http"]["paths"]]}}
        for rule in by_name["shop"]["spec"]["rules"]]
    prefix = "nginx.ingress.kubernetes.io/"
    assert {k.removeprefix(prefix): v for k, v in canary["metadata"]["annotations"].items()} == {
        "canary": "true", "canary-weight": "10", "canary-by-header": "X-Canary", "canary-by-header-value": "always",
        "canary-by-cookie": "canary"}
    wiki = by_name["wiki"]["metadata"]["annotations"]
    assert (wiki[prefix + "auth-url"], wiki[prefix + "auth-signin"], wiki[prefix + "auth-response-headers"]) == (
        "https://auth.example.com/oauth2/auth", "https://auth.example.com/oauth2/start", "X-Auth-Request-User")
    assert "shop-health-canary" not in by_name and not any(k.startswith(prefix + "auth")
                                                           for k in by_name["wiki-health"]["metadata"]["annotations"])


# -- which backend: ingress-nginx -------------------------------------------------------------


def test_ingress_nginx_header_then_cookie_then_weight(nginx) -> None:
    site, _ = nginx
    main, canary = "shop/shop", "shop/shop-canary"
    assert backends(site, "shop", {"X-Canary": "always"}, times=50) == {canary: 50}
    assert backends(site, "shop", {"x-canary": "always", "Cookie": "canary=never"}, times=50) == {canary: 50}
    assert backends(site, "shop", {"Cookie": "a=1; canary=always"}, times=50) == {canary: 50}
    # A header with another value decides nothing: the cookie does.
    assert backends(site, "shop", {"X-Canary": "yes", "Cookie": "canary=never"}, times=200) == {main: 200}
    split = backends(site, "shop", times=4000)
    assert 0.08 < split[canary] / 4000 < 0.12 and split[main] + split[canary] == 4000


def test_ingress_nginx_header_pattern_matches_anywhere_unless_anchored(nginx) -> None:
    site, _ = nginx
    assert backends(site, "beta", {"X-Ring": "qa"}, times=20) == {"beta/beta-next": 20}
    assert backends(site, "beta", {"X-Ring": "qa2"}, times=20) == {"beta/beta": 20}  # ^...$: the whole value
    assert backends(site, "beta", times=200) == {"beta/beta": 200}  # weight 0


def test_the_monitor_of_an_app_with_a_weighted_canary_watches_the_app(nginx, runs) -> None:
    site, _ = nginx
    assert backends(site, "shop", path="/healthz", times=1000) == {"shop/shop": 1000}
    # Why its Ingress names the Service port: ingress-nginx adds the canary to the app's whole upstream, so a
    # health Ingress on the same upstream (the port by number) would send probes to the canary too.
    ingresses = [m for m in manifests(runs["ingress-nginx"]) if m["kind"] == "Ingress"]
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                if path["backend"]["service"]["port"] == {"name": "http"}:
                    path["backend"]["service"]["port"] = {"number": 8080}
    same_upstream = IngressNginxTraffic(ingresses, seed=7)
    assert backends(same_upstream, "shop", path="/healthz", times=1000)["shop/shop-canary"] > 50


def test_ingress_nginx_sticky_cookie_pins_a_client_to_one_pod(nginx) -> None:
    site, _ = nginx
    first = site(INSIDE, "/", {"Host": HOSTS["cart"]})
    assert first.status == OK and list(first.cookies) == ["route"]
    assert first.cookie_attributes["route"] == {"HttpOnly": "", "Path": "/", "Secure": "", "Max-Age": "3600"}
    cookie = {"Cookie": f"route={first.cookies['route']}"}
    assert {site(INSIDE, "/", {"Host": HOSTS["cart"], **cookie}).pod for _ in range(30)} == {first.pod}
    assert len({site(INSIDE, "/", {"Host": HOSTS["cart"]}).pod for _ in range(30)}) > 1


def test_ingress_nginx_auth_chain_allow_list_then_auth_service_then_sign_in(nginx) -> None:
    site, calls = nginx
    wiki = {"Host": HOSTS["wiki"]}
    assert site(OUTSIDE, "/", wiki).status == FORBIDDEN and calls == []  # the allow-list first
    refused = site(INSIDE, "/docs/page?x=1", wiki)
    assert (refused.status, refused.location) == (FOUND, "https://auth.example.com/oauth2/start"
                                                         "?rd=https://wiki.dev.example.com/docs/page?x=1")
    assert calls == ["https://auth.example.com/oauth2/auth"]
    assert site(INSIDE, "/", {**wiki, "Cookie": "_oauth2_proxy=banned"}).status == FORBIDDEN
    allowed = site(INSIDE, "/", {**wiki, "Cookie": "_oauth2_proxy=alice"})
    assert (allowed.status, allowed.backend, dict(allowed.to_app)) == (OK, "wiki/wiki", {"X-Auth-Request-User":
                                                                                          "alice"})


def test_the_monitor_of_an_externally_authenticated_app_skips_the_auth_service(nginx, envoy, runs) -> None:
    for flavor, (site, calls) in (("ingress-nginx", nginx), ("envoy-gateway", envoy)):
        [wiki] = [app for app in build_plan(runs[flavor])["apps"] if app["name"] == "wiki"]
        assert wiki["monitor"]["url"] == "https://wiki.dev.example.com/health"
        for address in probe_addresses()[::40]:
            assert ask(site)(address, "/health", {"Host": HOSTS["wiki"]}).status == OK, (flavor, address)
        assert calls == []
        assert ask(site)(OUTSIDE, "/health", {"Host": HOSTS["wiki"]}).status == FORBIDDEN


# -- which backend: Envoy Gateway -------------------------------------------------------------


def test_envoy_gateway_header_then_cookie_then_weight(envoy) -> None:
    site, _ = envoy
    main, canary = "shop/shop", "shop/shop-canary"
    assert backends(site, "shop", {"x-canary": "always", "Cookie": "canary=never"}, times=50) == {canary: 50}
    assert backends(site, "shop", {"Cookie": "a=1; canary=always; b=2"}, times=50) == {canary: 50}
    assert backends(site, "shop", {"X-Canary": "yes", "Cookie": "canary=never"}, times=200) == {main: 200}
    assert backends(site, "shop", {"Cookie": "notcanary=always"}, times=400)[canary] < 80  # not that cookie
    split = backends(site, "shop", times=4000)
    assert 0.08 < split[canary] / 4000 < 0.12 and split[main] + split[canary] == 4000
    assert backends(site, "shop", path="/healthz", times=1000) == {main: 1000}  # the monitor's own route


def test_envoy_gateway_header_pattern_matches_as_ingress_nginx_does(envoy) -> None:
    site, _ = envoy
    assert backends(site, "beta", {"X-Ring": "qa"}, times=20) == {"beta/beta-next": 20}
    assert backends(site, "beta", {"X-Ring": "qa2"}, times=20) == {"beta/beta": 20}


@pytest.mark.parametrize(("pattern", "value"), [
    ("^(beta|qa)$", "qa"), ("^(beta|qa)$", "qa2"), ("beta", "xbetax"), ("^b", "abc"), ("[0-9]+$", "v12"),
    ("a|b", "zzz"), ("^$", ""), ("x{2,3}", "axxa"),
])
def test_a_header_pattern_means_the_same_to_pcre_search_and_to_re2_full_match(pattern, value) -> None:
    assert bool(re.search(pattern, value)) == bool(re2.fullmatch(full_match_pattern(pattern), value))


def test_envoy_gateway_sticky_cookie_pins_a_client_to_one_pod(envoy) -> None:
    site, _ = envoy
    first = site.answer(INSIDE, "/", {"Host": HOSTS["cart"]})
    assert first.cookie_attributes["route"]["Max-Age"] == "3600"
    cookie = {"Cookie": f"route={first.cookies['route']}"}
    assert {site.answer(INSIDE, "/", {"Host": HOSTS["cart"], **cookie}).pod for _ in range(30)} == {first.pod}


def test_envoy_gateway_asks_the_auth_service_before_the_allow_list(envoy) -> None:
    site, calls = envoy
    wiki = {"Host": HOSTS["wiki"]}
    # Envoy's order: ext_authz (6) before rbac (301): a stranger gets the auth service's answer first.
    assert site(OUTSIDE, "/", wiki) == UNAUTHORIZED and calls == ["https://auth.example.com:443/oauth2/auth"]
    assert site(OUTSIDE, "/", {**wiki, "Cookie": "_oauth2_proxy=alice"}) == FORBIDDEN
    allowed = site.answer(INSIDE, "/", {**wiki, "Cookie": "_oauth2_proxy=alice"})
    assert (allowed.status, dict(allowed.to_app)) == (OK, {"X-Auth-Request-User": "alice"})


# -- what each flavor refuses -----------------------------------------------------------------


CANARY = CanaryIntent("next", 80, 10, header="X-Canary", header_value="always")
STICKY = StickyIntent("route", None)
SIGN_IN = ExternalAuthIntent("https://auth.example.com/check", "https://auth.example.com/start")


def test_each_flavor_says_what_it_lacks() -> None:
    assert [field for field, _ in nginx_inc_problems(CANARY, STICKY, SIGN_IN)] == ["canary", "sticky",
                                                                                    "external_auth"]
    assert "NGINX Plus" in dict(nginx_inc_problems(None, STICKY, None))["sticky"]
    assert ingress_nginx_problems(CANARY, None) == [] and ingress_nginx_problems(
        CanaryIntent("next", 80, 10), STICKY) == []
    assert "sticky cookie to the canary" in dict(ingress_nginx_problems(CANARY, STICKY))["canary"]
    assert [f for f, _ in envoy_gateway_problems(CanaryIntent("next", 80, 10), STICKY, SIGN_IN)] == [
        "canary.weight", "external_auth.signin"]
    assert envoy_gateway_problems(CanaryIntent("next", 80, 0, cookie="c"), STICKY,
                                  ExternalAuthIntent("https://auth.example.com/check")) == []


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [number for number, line in enumerate(text.splitlines(), 1) if line.strip().startswith(needle)][nth]


@pytest.mark.parametrize("flavor", ["nginx-inc", "ingress-nginx", "envoy-gateway"])
def test_refusals_name_the_file_line_app_field_and_flavor(write_apps, flavor) -> None:
    text = CATALOGUE.replace("    sticky: {cookie: {name: route, maxAge: 3600}}\n", "") + \
        "    sticky: {cookie: {name: route}}\n"  # wiki: sticky and sign-in
    path = write_apps(text)
    settings = make_settings(flavor=flavor)
    problems = [str(p) for p in flavor_problems(load_catalogue(path, settings, "dev", STACKS), settings)]
    canary, external, sticky = (f"{path}:{line_of(text, 'canary:', 0)}: app 'shop' field 'canary'",
                                f"{path}:{line_of(text, 'external:')}: app 'wiki' field 'auth.external'",
                                f"{path}:{line_of(text, 'sticky:')}: app 'wiki' field 'sticky'")
    signin = f"{path}:{line_of(text, 'signin:')}: app 'wiki' field 'auth.external.signin'"  # the field's own line
    expected = {
        "nginx-inc": [canary, f"{path}:{line_of(text, 'canary:', 1)}: app 'beta' field 'canary'", sticky, external],
        "ingress-nginx": [],
        "envoy-gateway": [signin],
    }[flavor]
    assert [p.split(": the ")[0] for p in problems] == expected
    assert all(f"the {flavor} flavor (gangplank:flavor) cannot express this" in p for p in problems)


def test_a_monitored_existing_service_with_a_weighted_canary_is_refused_on_ingress_nginx(write_apps) -> None:
    text = CATALOGUE.replace("      header: {name: X-Ring", "      weight: 5\n      header: {name: X-Ring").replace(
        "    service: {name: beta, port: 80}\n", "    service: {name: beta, port: 80}\n    healthPath: /healthz\n")
    path = write_apps(text)
    settings = make_settings(flavor="ingress-nginx")
    apps = load_catalogue(path, settings, "dev", STACKS)
    [problem] = canary_monitor_problems(apps, settings)
    assert str(problem).startswith(f"{path}:{line_of(text, 'weight: 5')}: app 'beta' field 'canary.weight': the "
                                   "ingress-nginx flavor adds a canary to every location")
    assert canary_monitor_problems(apps, make_settings(flavor="envoy-gateway")) == []


def test_durations_fit_the_crds_pattern() -> None:
    assert [duration(s) for s in (3600, 5400, 59, 31_536_000)] == ["1h", "1h30m", "59s", "8760h"]
    assert all(re.fullmatch(r"([0-9]{1,5}(h|m|s|ms)){1,4}", duration(s)) for s in (1, 61, 3661, 31_536_000))


def test_a_canary_route_within_gateway_apis_bounds(write_apps) -> None:
    from components.apps.preflight import route_size_problems

    paths = "[" + ", ".join(f"/p{i}" for i in range(40)) + "]"
    text = CATALOGUE.replace("    healthPath: /healthz\n    canary:",
                             f"    healthPath: /p1/healthz\n    paths: {paths}\n    canary:", 1)
    path = write_apps(text)
    apps = load_catalogue(path, make_settings(flavor="envoy-gateway"), "dev", STACKS)
    [problem] = route_size_problems(apps, make_settings(flavor="envoy-gateway"))
    assert str(problem).startswith(f"{path}:{line_of(text, 'paths:')}: app 'shop' field 'paths': the envoy-gateway "
                                   "flavor (gangplank:flavor) cannot express this: its HTTPRoute on edge 'public' "
                                   "would hold 160 matches in its 4 rules, where Gateway API allows 128 a route")
    assert route_size_problems(apps, make_settings(flavor="ingress-nginx")) == []
