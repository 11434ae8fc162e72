"""One rule for basic auth on every flavor: the app's Secret holds its users, the monitor's Secret its login alone."""

from __future__ import annotations

from typing import Any

import pytest

from components.apps.basic_auth import htpasswd_secrets
from components.apps.exposed_app import app_intent
from components.apps.routing import needs_health_route
from components.flavors import get_flavor
from components.inputs.catalog import MONITOR_USER, App, ResolvedApp, resolve_app
from tests.conftest import make_settings

SETTINGS = make_settings(edges={"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]}})


def resolved(**fields: Any) -> ResolvedApp:
    entry = {"name": "vault", "visibility": "public", "service": {"name": "vault", "port": 80},
             "healthPath": "/healthz", **fields}
    return resolve_app(App.model_validate(entry), SETTINGS, "dev")


def by_edge(app: ResolvedApp, *flavors: str) -> dict[str, Any]:
    """The app's edges, each with the flavor given in order (the last repeats)."""
    names = list(flavors) + [flavors[-1]] * len(app.routes)
    return {route.edge.name: get_flavor(name) for route, name in zip(app.routes, names, strict=False)}


def summary(app: ResolvedApp, *flavors: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(s.resource_name, s.name, s.flavor.name, s.logins) for s in htpasswd_secrets(app, by_edge(app, *flavors))]


@pytest.mark.parametrize(("flavor", "prefix"), [("nginx-inc", ""), ("ingress-nginx", ""), ("envoy-gateway", "route-")])
def test_a_monitored_app_behind_basic_auth_gets_its_users_and_the_monitors_login_apart(flavor: str,
                                                                                    prefix: str) -> None:
    app = resolved(auth={"basic": {"users": ["alice", "bob"]}})
    assert needs_health_route(app)
    assert summary(app, flavor) == [
        (f"vault-{prefix}htpasswd", f"vault-{prefix}basic-auth", flavor, ("alice", "bob")),
        (f"vault-{prefix}htpasswd-monitor", f"vault-{prefix}basic-auth-monitor", flavor, (MONITOR_USER,))]
    # The routes name them: the app's routes its users, the monitor's health route its login alone.
    kind = get_flavor(flavor).kind
    assert app_intent(app, "public", None, kind=kind).basic_auth_secret == f"vault-{prefix}basic-auth"
    assert app_intent(app, "public", None, health=True, kind=kind).basic_auth_secret == \
        f"vault-{prefix}basic-auth-monitor"


def test_an_unmonitored_app_gets_no_monitor_login_and_an_app_without_auth_no_secret() -> None:
    quiet = resolved(auth={"basic": {"users": ["alice"]}}, monitor={"enabled": False})
    assert summary(quiet, "nginx-inc") == [("vault-htpasswd", "vault-basic-auth", "nginx-inc", ("alice",))]
    listed = resolved(allowCidrs=["198.51.100.0/24"])
    assert needs_health_route(listed) and summary(listed, "envoy-gateway") == []
    assert app_intent(listed, "public", None, health=True, kind="gateway").basic_auth_secret is None


def test_edges_of_both_kinds_each_get_their_format_and_the_monitor_its_login_where_it_probes() -> None:
    """An edge moving from an Ingress product to Gateway API: both Secrets, neither renamed; the monitor's login
    only in the format of the edge it probes through (its health route is there)."""
    app = resolved(edges=["public", "partners"], host="vault", auth={"basic": {"users": ["alice"]}})
    assert app.monitor_route is not None and app.monitor_route.edge.name == "public"
    assert summary(app, "envoy-gateway", "nginx-inc") == [
        ("vault-route-htpasswd", "vault-route-basic-auth", "envoy-gateway", ("alice",)),
        ("vault-htpasswd", "vault-basic-auth", "nginx-inc", ("alice",)),
        ("vault-route-htpasswd-monitor", "vault-route-basic-auth-monitor", "envoy-gateway", (MONITOR_USER,))]


def test_two_formats_under_one_name_are_refused() -> None:
    app = resolved(edges=["public", "partners"], host="vault", auth={"basic": {"users": ["alice"]}})
    with pytest.raises(ValueError, match="nginx-inc and ingress-nginx read different htpasswd formats"):
        htpasswd_secrets(app, by_edge(app, "nginx-inc", "ingress-nginx"))
