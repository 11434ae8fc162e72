"""Monitors of protected apps can pass: probed by the fake UptimeRobot, answered by a model of the controllers.

The monitors the plan declares are created in the fake through the real provider; the fake probes
them from UptimeRobot's own (pinned) addresses with the credentials it stored, and `IngressSite`
answers as the controllers would for the plan's Ingresses and Secrets.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.uptimerobot.probes import probe_addresses
from tests.conftest import FLAVORS
from tests.fakes.site import FORBIDDEN, NOT_FOUND, OK, UNAUTHORIZED, IngressSite

CATALOGUE = """
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


@pytest.fixture(params=FLAVORS)
def probed(request, run_stack, write_apps, monitor_provider, fake_uptimerobot) -> dict[str, Any]:
    run = run_stack("dev", write_apps(CATALOGUE), flavor=request.param)
    regs = run.monitor.registrations
    site = IngressSite([r.revealed_inputs() for r in regs if r.type == "kubernetes:networking.k8s.io/v1:Ingress"],
                       [r.revealed_inputs() for r in regs if r.type == "kubernetes:core/v1:Secret"], request.param)
    monitors = {}
    for reg in regs:
        if reg.type == MONITOR:
            inputs = {k: v for k, v in reg.revealed_inputs().items() if k not in ("monitor_id", "status")}
            monitors[reg.name.removesuffix("-monitor")] = int(monitor_provider.create(inputs).id)
    return {"site": site, "monitors": monitors, "fake": fake_uptimerobot, "run": run}


def test_every_monitor_of_a_protected_app_passes(probed):
    assert sorted(probed["monitors"]) == ["both", "partner-api", "vault"]
    for app, monitor_id in probed["monitors"].items():
        for address in probe_addresses()[:: 25]:  # IPv4 and IPv6 checkers alike
            assert probed["fake"].probe(monitor_id, probed["site"], source_ip=address) == OK, (app, address)
    assert {m["status"] for m in probed["fake"].monitors.values()} == {"UP"}


def test_the_probes_open_the_health_path_and_nothing_else(probed):
    site, checker = probed["site"], probe_addresses()[0]
    partner = "partner-api.dev.example.com"
    assert site(checker, "/status", {"Host": partner}) == OK
    assert site(checker, "/", {"Host": partner}) == FORBIDDEN
    assert site(checker, "/status/admin", {"Host": partner}) == FORBIDDEN  # exact, not a prefix
    assert site("203.0.113.9", "/", {"Host": partner}) == OK  # the partners still reach the whole app
    assert site("192.0.2.1", "/status", {"Host": partner}) == FORBIDDEN  # and strangers nothing
    # Behind basic auth and an allow-list: the checker needs both its address and its password.
    assert site(checker, "/healthz", {"Host": "both.dev.example.com"}) == UNAUTHORIZED
    assert site(checker, "/", {"Host": "both.dev.example.com"}) == FORBIDDEN


def test_the_monitors_password_is_its_own_and_secret(probed):
    run = probed["run"]
    [vault] = [r for r in run.monitor.registrations if r.type == MONITOR and r.name == "vault-monitor"]
    assert vault.inputs["http_username"] == "uptimerobot" and vault.inputs["http_password"] == "[secret]"
    password = vault.revealed_inputs()["http_password"]
    assert password not in str(run.outputs) and password not in str([r.inputs for r in run.monitor.registrations])
    assert run.outputs["basicAuthPasswords"] == "[secret]"
    # The fake stored the monitor's own login, which the checker sends (and the site accepted above).
    monitor_id = probed["monitors"]["vault"]
    stored = probed["fake"].monitors[monitor_id]
    assert stored["authType"] == "HTTP_BASIC" and stored["httpUsername"] == "uptimerobot"


@pytest.fixture
def probed_during_a_move(run_stack, write_apps, monitor_provider, fake_uptimerobot) -> dict[str, Any]:
    """The catalogue on an edge moving from ingress-nginx to nginx-inc, half of its traffic on each: a site per
    controller (the Ingresses of its class), and every monitor created in the fake."""
    edges = json.dumps({"public": {"move": {"to": "nginx-inc", "weight": 50}}})
    run = run_stack("dev", write_apps(CATALOGUE), flavor="ingress-nginx", edges=edges)
    regs = run.monitor.registrations
    ingresses = [r.revealed_inputs() for r in regs if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    secrets = [r.revealed_inputs() for r in regs if r.type == "kubernetes:core/v1:Secret"]
    sites = {flavor: IngressSite([i for i in ingresses if i["spec"]["ingressClassName"] == klass], secrets, flavor)
             for flavor, klass in (("ingress-nginx", "nginx-public"), ("nginx-inc", "nginx-public-nginx-inc"))}
    monitors = {}
    for reg in regs:
        if reg.type == MONITOR:
            inputs = {k: v for k, v in reg.revealed_inputs().items() if k not in ("monitor_id", "status")}
            monitors[reg.name] = int(monitor_provider.create(inputs).id)
    return {"sites": sites, "monitors": monitors, "fake": fake_uptimerobot}


def test_during_a_move_every_monitor_passes_through_both_controllers(probed_during_a_move):
    sites, monitors, fake = (probed_during_a_move[key] for key in ("sites", "monitors", "fake"))
    assert sorted(monitors) == sorted([f"{app}-monitor" for app in ("both", "partner-api", "vault")]
                                      + [f"{app}-monitor-nginx-inc" for app in ("both", "partner-api", "vault")])
    for name, monitor_id in monitors.items():
        # The app's own monitor asks its host: Route53 sends it to either NLB. The second one asks the new NLB.
        answering = ["nginx-inc"] if name.endswith("-nginx-inc") else ["ingress-nginx", "nginx-inc"]
        for flavor in answering:
            for address in probe_addresses()[:: 50]:
                assert fake.probe(monitor_id, sites[flavor], source_ip=address) == OK, (name, flavor, address)
    stored = fake.monitors[monitors["vault-monitor-nginx-inc"]]
    assert stored["customHttpHeaders"] == {"Host": "vault.dev.example.com"} and stored["checkSSLErrors"] is False
    assert stored["url"].startswith("https://k8s-ingressp-") and stored["url"].endswith("/health")
    assert fake.violations == []


def test_a_probe_that_lost_its_host_header_fails_rather_than_passes(probed_during_a_move):
    """Were UptimeRobot to send the NLB's name as the Host, the new controller has no Ingress for it: 404, DOWN."""
    sites, monitors, fake = (probed_during_a_move[key] for key in ("sites", "monitors", "fake"))
    monitor_id = monitors["vault-monitor-nginx-inc"]
    fake.monitors[monitor_id]["customHttpHeaders"] = {}
    assert fake.probe(monitor_id, sites["nginx-inc"], source_ip=probe_addresses()[0]) == NOT_FOUND
    assert fake.monitors[monitor_id]["status"] == "DOWN"
