"""Monitors of protected apps can pass, and their credentials open nothing else: one rule on every flavor, and
on both controllers of an edge that moves from one flavor to another.

The monitors the plan declares are created in the fake UptimeRobot through the real provider; the fake
probes them from UptimeRobot's own (pinned) addresses with the credentials it stored, and the model of the
flavor's edges answers as its controller would for the plan's objects and Secrets: `IngressSite`
(tests/fakes/site.py) for the Ingress flavors, `GatewaySite` (tests/fakes/gateway_site.py) for Envoy Gateway.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from components.uptimerobot.probes import probe_addresses
from planner.mocks.common import digest
from planner.run import ProgramRun, run_program
from tests.conftest import FLAVORS, GATEWAY_FLAVORS, ROOT, controller_site, edge_site, gateway_site
from tests.fakes.site import FORBIDDEN, NOT_FOUND, OK, UNAUTHORIZED, IngressSite

CATALOGUE = """\
apps:
  - name: vault
    visibility: public
    service: {name: vault, port: 80}
    healthPath: /health
    auth: {basic: {users: [alice]}}
  - name: partner-api
    namespace: partners
    visibility: public
    service: {name: partner-gateway, port: 8443}
    healthPath: /status
    allowCidrs: [203.0.113.0/24]
  - name: both
    visibility: public
    service: {name: both, port: 80}
    healthPath: /healthz
    auth: {basic: {users: [bob]}}
    allowCidrs: [198.51.100.0/24]
"""
MONITOR = "pulumi-python:dynamic/uptimerobot:Monitor"
CHECKER = probe_addresses()[0]


@pytest.fixture(scope="module", params=FLAVORS + GATEWAY_FLAVORS)
def planned(request, tmp_path_factory) -> tuple[str, ProgramRun]:
    """The catalogue above, planned once per flavor for the module."""
    path = tmp_path_factory.mktemp("apps") / "apps.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return request.param, run_program("dev", str(path), ROOT, {"gangplank:flavor": request.param})
    finally:
        os.chdir(cwd)


def create_monitors(run: ProgramRun, provider: Any) -> dict[str, int]:
    """Every monitor of the run, created in the fake through the real provider: app -> monitor id."""
    created = {}
    for reg in run.monitor.registrations:
        if reg.type == MONITOR:
            inputs = {k: v for k, v in reg.revealed_inputs().items() if k not in ("monitor_id", "status")}
            created[reg.name.removesuffix("-monitor")] = int(provider.create(inputs).id)
    return created


def login(user: str, password: str, host: str) -> dict[str, str]:
    return {"Host": host, "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def app_password(resource: str) -> str:
    """The password the planner's mocks give a RandomPassword (planner/mocks/providers.py `password`)."""
    return (digest(resource, "password", length=64) * 2)[:24]


def test_every_monitor_of_a_protected_app_passes(planned, monitor_provider, fake_uptimerobot):
    flavor, run = planned
    site = edge_site(run, flavor)
    monitors = create_monitors(run, monitor_provider)
    assert sorted(monitors) == ["both", "partner-api", "vault"]
    for app, monitor_id in monitors.items():
        for address in probe_addresses()[:: 25]:  # IPv4 and IPv6 checkers alike
            assert fake_uptimerobot.probe(monitor_id, site, source_ip=address) == OK, (flavor, app, address)
    assert {m["status"] for m in fake_uptimerobot.monitors.values()} == {"UP"}
    assert getattr(site, "conflicts", []) == []  # no host or path an Ingress controller would leave out


def test_the_probes_open_the_health_path_and_nothing_else(planned):
    flavor, run = planned
    site = edge_site(run, flavor)
    partner = "partner-api.dev.example.com"
    assert site(CHECKER, "/status", {"Host": partner}) == OK
    assert site(CHECKER, "/", {"Host": partner}) == FORBIDDEN
    assert site(CHECKER, "/status/admin", {"Host": partner}) == FORBIDDEN  # exact, not a prefix
    assert site(CHECKER, "/statusx", {"Host": partner}) == FORBIDDEN
    assert site("203.0.113.9", "/", {"Host": partner}) == OK  # the partners still reach the whole app
    assert site("192.0.2.1", "/status", {"Host": partner}) == FORBIDDEN  # and strangers nothing
    # Behind basic auth and an allow-list: the checker needs both its address and its password. nginx checks the
    # address first (403), Envoy the login (401: EG httpfilters.go `newOrderedHTTPFilter`, basic_auth before rbac).
    assert site(CHECKER, "/healthz", {"Host": "both.dev.example.com"}) == UNAUTHORIZED
    stranger = UNAUTHORIZED if flavor in GATEWAY_FLAVORS else FORBIDDEN
    assert site(CHECKER, "/", {"Host": "both.dev.example.com"}) == stranger


def test_the_monitors_credential_opens_only_the_health_path(planned, monitor_provider, fake_uptimerobot):
    """UptimeRobot returns the monitor's password on reads: whoever reads the account must get nothing else."""
    flavor, run = planned
    site = edge_site(run, flavor)
    monitors = create_monitors(run, monitor_provider)
    for app, health, address in (("vault", "/health", "192.0.2.1"), ("both", "/healthz", CHECKER)):
        stored = fake_uptimerobot.monitors[monitors[app]]
        host = f"{app}.dev.example.com"
        theirs = login(stored["httpUsername"], stored["httpPassword"], host)
        assert site(address, health, theirs) == OK, (flavor, app)
        for elsewhere in ("/", "/admin", f"{health}/x", f"{health}x"):
            assert site(address, elsewhere, theirs) in (UNAUTHORIZED, FORBIDDEN), (flavor, app, elsewhere)
    # The app's users still open the whole app but the monitor's path, and only the app's users do.
    alice = login("alice", app_password("vault-password-alice"), "vault.dev.example.com")
    assert site("192.0.2.1", "/", alice) == OK
    assert site("192.0.2.1", "/admin", alice) == OK
    assert site("192.0.2.1", "/health", alice) == UNAUTHORIZED
    secret = "basic-auth" if flavor in FLAVORS else "route-basic-auth"  # Secrets per kind of flavor (basic_auth.py)
    assert site.htpasswd_users("vault", f"vault-{secret}") == {"alice"}
    assert site.htpasswd_users("vault", f"vault-{secret}-monitor") == {"uptimerobot"}
    assert site.htpasswd_users("both", f"both-{secret}") == {"bob"}


def test_the_monitors_password_is_its_own_and_secret(planned, monitor_provider, fake_uptimerobot):
    _, run = planned
    [vault] = [r for r in run.monitor.registrations if r.type == MONITOR and r.name == "vault-monitor"]
    assert vault.inputs["http_username"] == "uptimerobot" and vault.inputs["http_password"] == "[secret]"
    password = vault.revealed_inputs()["http_password"]
    assert password not in str(run.outputs) and password not in str([r.inputs for r in run.monitor.registrations])
    assert run.outputs["basicAuthPasswords"] == "[secret]"
    monitors = create_monitors(run, monitor_provider)
    stored = fake_uptimerobot.monitors[monitors["vault"]]
    assert stored["authType"] == "HTTP_BASIC" and stored["httpUsername"] == "uptimerobot"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_partner_apis_probe_in_prod_reaches_its_health_location_and_passes(flavor, cached_run, monitor_provider,
                                                                         fake_uptimerobot):
    """The repository's own catalogue, as prod plans it: the allow-listed partner-api's monitor passes through
    the location of its health Ingress (on F5 the old `nginx.org/path-regex: exact` made it `= "= /status"`,
    which no request matches, so the probe fell into the app's `location /` and its `deny all`)."""
    run = cached_run("prod", flavor)
    site = controller_site(run, flavor)
    host = "partner-api.apps.example.com"
    location = site.location(host, "/status")
    assert location is not None and location.ingress_name == "partner-api-health"
    assert (location.modifier, location.literal) == ("=", "/status")
    monitor_id = create_monitors(run, monitor_provider)["partner-api"]
    assert fake_uptimerobot.probe(monitor_id, site, source_ip=CHECKER) == OK
    assert fake_uptimerobot.monitors[monitor_id]["status"] == "UP"


MOVES = (("ingress-nginx", "nginx-inc"), ("nginx-inc", "envoy-gateway"))
"""Edge moves planned mid-way: off the retired ingress-nginx to F5's controller, and from F5's to Gateway API."""


@pytest.fixture(scope="module", params=MOVES, ids=lambda move: f"{move[0]}-to-{move[1]}")
def moving(request, tmp_path_factory) -> tuple[str, str, ProgramRun]:
    """The catalogue above on a public edge moving between two flavors, half of its traffic on each."""
    current, to = request.param
    path = tmp_path_factory.mktemp("apps") / "apps.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    edges = json.dumps({"public": {"move": {"to": to, "weight": 50}}})
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return current, to, run_program("dev", str(path), ROOT, {"gangplank:flavor": current, "gangplank:edges": edges})
    finally:
        os.chdir(cwd)


def controller_sites(run: ProgramRun, *flavors: str) -> dict[str, Any]:
    """A model of each controller of the moving public edge, answering for its own objects alone: an Ingress
    controller for the Ingresses of its class (the current one's `nginx-public`, the new one's with its suffix),
    Envoy Gateway for the routes (only its controller has any)."""
    regs = run.monitor.registrations
    ingresses = [r.revealed_inputs() for r in regs if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    secrets = [r.revealed_inputs() for r in regs if r.type == "kubernetes:core/v1:Secret"]
    sites = {}
    for position, flavor in enumerate(flavors):
        klass = "nginx-public" if position == 0 else f"nginx-public-{flavor}"
        sites[flavor] = gateway_site(run) if flavor in GATEWAY_FLAVORS else IngressSite(
            [i for i in ingresses if i["spec"]["ingressClassName"] == klass], secrets, flavor)
    return sites


def test_during_a_move_every_monitor_passes_through_both_controllers(moving, monitor_provider, fake_uptimerobot):
    current, to, run = moving
    sites, monitors = controller_sites(run, current, to), create_monitors(run, monitor_provider)
    apps = ("both", "partner-api", "vault")
    assert sorted(monitors) == sorted([*apps, *(f"{app}-monitor-{to}" for app in apps)])
    for name, monitor_id in monitors.items():
        # The app's own monitor asks its host: Route53 sends it to either NLB. The second one asks the new NLB.
        answering = [to] if name.endswith(f"-{to}") else [current, to]
        for flavor in answering:
            for address in probe_addresses()[:: 50]:
                assert fake_uptimerobot.probe(monitor_id, sites[flavor], source_ip=address) == OK, (name, flavor)
    stored = fake_uptimerobot.monitors[monitors[f"vault-monitor-{to}"]]
    assert stored["customHttpHeaders"] == {"Host": "vault.dev.example.com"} and stored["checkSSLErrors"] is False
    new_nlb = run.outputs["platform"]["edges"]["public"]["move"]["loadBalancer"]
    assert stored["url"] == f"https://{new_nlb}/health"
    # The same monitor login through either NLB (the monitor's password is generated once per app).
    assert stored["httpPassword"] == fake_uptimerobot.monitors[monitors["vault"]]["httpPassword"]
    assert fake_uptimerobot.violations == []


def test_during_a_move_the_monitors_credential_opens_only_the_health_path_on_both_controllers(
        moving, monitor_provider, fake_uptimerobot):
    """Each controller reads Secrets of its own, in its flavor's format: the app's users in one, the monitor's
    login alone in the other, which only the monitor's health route there names."""
    current, to, run = moving
    sites, monitors = controller_sites(run, current, to), create_monitors(run, monitor_provider)
    stored = fake_uptimerobot.monitors[monitors[f"vault-monitor-{to}"]]
    theirs = login(stored["httpUsername"], stored["httpPassword"], "vault.dev.example.com")
    alice = login("alice", app_password("vault-password-alice"), "vault.dev.example.com")
    for position, flavor in enumerate((current, to)):
        site = sites[flavor]
        assert site("192.0.2.1", "/health", theirs) == OK, flavor
        for elsewhere in ("/", "/admin", "/health/x"):
            assert site("192.0.2.1", elsewhere, theirs) == UNAUTHORIZED, (flavor, elsewhere)
        assert site("192.0.2.1", "/admin", alice) == OK and site("192.0.2.1", "/health", alice) == UNAUTHORIZED
        suffix = "" if position == 0 else f"-{to}"
        secret = "basic-auth" if flavor in FLAVORS else "route-basic-auth"
        assert site.htpasswd_users("vault", f"vault-{secret}{suffix}") == {"alice"}, flavor
        assert site.htpasswd_users("vault", f"vault-{secret}-monitor{suffix}") == {"uptimerobot"}, flavor


def test_a_probe_that_lost_its_host_header_fails_rather_than_passes(moving, monitor_provider, fake_uptimerobot):
    """Were UptimeRobot to send the NLB's name as the Host, the new controller has no route for it: 404, DOWN."""
    current, to, run = moving
    sites, monitors = controller_sites(run, current, to), create_monitors(run, monitor_provider)
    monitor_id = monitors[f"vault-monitor-{to}"]
    fake_uptimerobot.monitors[monitor_id]["customHttpHeaders"] = {}
    assert fake_uptimerobot.probe(monitor_id, sites[to], source_ip=probe_addresses()[0]) == NOT_FOUND
    assert fake_uptimerobot.monitors[monitor_id]["status"] == "DOWN"
