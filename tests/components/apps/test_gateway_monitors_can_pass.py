"""On a Gateway API edge, monitors of protected apps can pass, and their login opens the health path alone.

As tests/components/apps/test_monitors_can_pass.py does for the Ingress flavors: the monitors the plan declares
are created in the fake UptimeRobot through the real provider, which probes them from UptimeRobot's (pinned)
addresses with the login it stored; `GatewaySite` answers as Envoy Gateway would for the plan's routes,
policies and Secrets.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.uptimerobot.probes import probe_addresses
from tests.components.apps.test_monitors_can_pass import CATALOGUE, MONITOR
from tests.fakes.gateway_site import FORBIDDEN, OK, UNAUTHORIZED, GatewaySite

KINDS = ("HTTPRoute", "SecurityPolicy", "BackendTrafficPolicy")


@pytest.fixture
def probed(run_stack, write_apps, monitor_provider, fake_uptimerobot) -> dict[str, Any]:
    run = run_stack("dev", write_apps(CATALOGUE), flavor="envoy-gateway")
    regs = run.monitor.registrations
    objects = [r.revealed_inputs() for r in regs if r.type.rsplit(":", 1)[-1] in KINDS]
    secrets = [r.revealed_inputs() for r in regs if r.type == "kubernetes:core/v1:Secret"]
    site = GatewaySite.from_manifests([*objects, *secrets])
    monitors, logins = {}, {}
    for reg in regs:
        if reg.type == MONITOR:
            inputs = {k: v for k, v in reg.revealed_inputs().items() if k not in ("monitor_id", "status")}
            monitors[reg.name.removesuffix("-monitor")] = int(monitor_provider.create(inputs).id)
            logins[reg.name.removesuffix("-monitor")] = (inputs.get("http_username"), inputs.get("http_password"))
    return {"site": site, "monitors": monitors, "logins": logins, "fake": fake_uptimerobot, "secrets": secrets}


def basic(login: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode()


def test_every_monitor_of_a_protected_app_passes(probed) -> None:
    assert sorted(probed["monitors"]) == ["both", "partner-api", "vault"]
    for app, monitor_id in probed["monitors"].items():
        for address in probe_addresses()[:: 25]:
            assert probed["fake"].probe(monitor_id, probed["site"], source_ip=address) == OK, (app, address)
    assert {m["status"] for m in probed["fake"].monitors.values()} == {"UP"}


def test_the_monitors_login_and_the_probes_open_the_health_path_and_nothing_else(probed) -> None:
    site, checker = probed["site"], probe_addresses()[0]
    vault = {"Host": "vault.dev.example.com", "Authorization": basic(probed["logins"]["vault"])}
    assert site(checker, "/health", vault) == OK
    assert site(checker, "/", vault) == UNAUTHORIZED  # the monitor's login is not the app's
    assert site(checker, "/health/more", vault) == UNAUTHORIZED  # exact, not a prefix
    partner = {"Host": "partner-api.dev.example.com"}
    assert site(checker, "/status", partner) == OK
    assert site(checker, "/", partner) == FORBIDDEN
    assert site("203.0.113.9", "/", partner) == OK and site("192.0.2.1", "/status", partner) == FORBIDDEN
    # Basic auth runs before the allow-list in Envoy: a stranger without a login is asked for one first.
    both = {"Host": "both.dev.example.com"}
    assert site(checker, "/healthz", both) == UNAUTHORIZED
    assert site("192.0.2.1", "/", both) == UNAUTHORIZED
    assert site(checker, "/", {**both, "Authorization": basic(probed["logins"]["both"])}) == UNAUTHORIZED


def test_only_the_health_routes_secret_holds_the_monitors_login(probed) -> None:
    by_name = {s["metadata"]["name"]: s["stringData"][".htpasswd"] for s in probed["secrets"]}
    assert by_name["vault-route-basic-auth"].startswith("alice:{SHA}") and "uptimerobot" not in by_name[
        "vault-route-basic-auth"]
    assert [line.split(":")[0] for line in by_name["vault-health-basic-auth"].splitlines()] == ["alice", "uptimerobot"]
