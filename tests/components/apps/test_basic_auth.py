"""One rule for basic auth on every flavor and every controller: the app's Secret holds its users, the monitor's
Secret its login alone, each controller of an edge (two while it moves) its own pair in its own format."""

from __future__ import annotations

from typing import Any

import pytest

from components.apps.basic_auth import Placement, htpasswd_secrets
from components.apps.intent import app_intent
from components.apps.routing import needs_health_route, placed_units, shared_hosts
from components.flavors import get_flavor
from components.inputs.catalog.models import MONITOR_USER, App
from components.inputs.catalog.resolved import ResolvedApp, resolve_app
from components.platform.controllers import stack_controllers
from tests.conftest import make_settings

PARTNERS = {"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]}}


def resolved(settings: Any, **fields: Any) -> ResolvedApp:
    entry = {"name": "vault", "visibility": "public", "service": {"name": "vault", "port": 80},
             "healthPath": "/healthz", **fields}
    return resolve_app(App.model_validate(entry), settings, "dev")


def summary(app: ResolvedApp, settings: Any) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The app's Secrets as the program decides them: its units on every controller of the stack's edges."""
    placed = placed_units(app, stack_controllers(settings), shared_hosts([app]))
    placements = [Placement(get_flavor(plan.flavor), plan.suffix, unit.health) for unit, plan in placed]
    return [(s.resource_name, s.name, s.flavor.name, s.logins) for s in htpasswd_secrets(app, placements)]


@pytest.mark.parametrize(("flavor", "prefix"), [("nginx-inc", ""), ("ingress-nginx", ""), ("envoy-gateway", "route-")])
def test_a_monitored_app_behind_basic_auth_gets_its_users_and_the_monitors_login_apart(flavor: str,
                                                                                    prefix: str) -> None:
    settings = make_settings(flavor=flavor)
    app = resolved(settings, auth={"basic": {"users": ["alice", "bob"]}})
    assert needs_health_route(app)
    assert summary(app, settings) == [
        (f"vault-{prefix}htpasswd", f"vault-{prefix}basic-auth", flavor, ("alice", "bob")),
        (f"vault-{prefix}htpasswd-monitor", f"vault-{prefix}basic-auth-monitor", flavor, (MONITOR_USER,))]
    # The routes name them: the app's routes its users, the monitor's health route its login alone.
    kind = get_flavor(flavor).kind
    assert app_intent(app, "public", None, kind=kind).basic_auth_secret == f"vault-{prefix}basic-auth"
    assert app_intent(app, "public", None, health=True, kind=kind).basic_auth_secret == \
        f"vault-{prefix}basic-auth-monitor"


def test_an_unmonitored_app_gets_no_monitor_login_and_an_app_without_auth_no_secret() -> None:
    settings = make_settings()
    quiet = resolved(settings, auth={"basic": {"users": ["alice"]}}, monitor={"enabled": False})
    assert summary(quiet, settings) == [("vault-htpasswd", "vault-basic-auth", "nginx-inc", ("alice",))]
    gateway = make_settings(flavor="envoy-gateway")
    listed = resolved(gateway, allowCidrs=["198.51.100.0/24"])
    assert needs_health_route(listed) and summary(listed, gateway) == []
    assert app_intent(listed, "public", None, health=True, kind="gateway").basic_auth_secret is None


def test_edges_of_both_kinds_each_get_their_format_and_the_monitor_its_login_where_it_probes() -> None:
    """An edge of its own flavor (Gateway API) beside one of the stack's: both Secrets, the Gateway API one with its
    controller's suffix; the monitor's login only on the controller it probes through (its health route is there)."""
    settings = make_settings(edges={**PARTNERS, "public": {"flavor": "envoy-gateway"}})
    app = resolved(settings, edges=["public", "partners"], host="vault", auth={"basic": {"users": ["alice"]}})
    assert app.monitor_route is not None and app.monitor_route.edge.name == "public"
    assert summary(app, settings) == [
        ("vault-route-htpasswd-envoy-gateway", "vault-route-basic-auth-envoy-gateway", "envoy-gateway", ("alice",)),
        ("vault-htpasswd", "vault-basic-auth", "nginx-inc", ("alice",)),
        ("vault-route-htpasswd-monitor-envoy-gateway", "vault-route-basic-auth-monitor-envoy-gateway",
         "envoy-gateway", (MONITOR_USER,))]
    assert app_intent(app, "public", None, health=True, kind="gateway", suffix="-envoy-gateway").basic_auth_secret \
        == "vault-route-basic-auth-monitor-envoy-gateway"


@pytest.mark.parametrize(("to", "prefix"), [("ingress-nginx", ""), ("envoy-gateway", "route-")])
def test_an_edge_mid_move_gets_a_pair_per_controller_in_its_format_and_renames_nothing(to: str, prefix: str) -> None:
    """Moving from F5's controller to ingress-nginx (both Ingress flavors, whose htpasswd formats differ) or to
    Gateway API: the current controller keeps the Secrets it had, the new one gets its own, suffixed."""
    settings = make_settings(edges={"public": {"move": {"to": to, "weight": 50}}})
    app = resolved(settings, auth={"basic": {"users": ["alice"]}})
    assert summary(app, settings) == [
        ("vault-htpasswd", "vault-basic-auth", "nginx-inc", ("alice",)),
        (f"vault-{prefix}htpasswd-{to}", f"vault-{prefix}basic-auth-{to}", to, ("alice",)),
        ("vault-htpasswd-monitor", "vault-basic-auth-monitor", "nginx-inc", (MONITOR_USER,)),
        (f"vault-{prefix}htpasswd-monitor-{to}", f"vault-{prefix}basic-auth-monitor-{to}", to, (MONITOR_USER,))]
    assert get_flavor(to).htpasswd != get_flavor("nginx-inc").htpasswd  # why one Secret could not serve both


def test_two_formats_under_one_name_are_refused() -> None:
    settings = make_settings()
    app = resolved(settings, auth={"basic": {"users": ["alice"]}})
    placements = [Placement(get_flavor("nginx-inc"), "", False), Placement(get_flavor("ingress-nginx"), "", False)]
    with pytest.raises(ValueError, match="nginx-inc and ingress-nginx read different htpasswd formats"):
        htpasswd_secrets(app, placements)
