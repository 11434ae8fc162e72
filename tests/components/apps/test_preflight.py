"""Checks before the first resource: a deployment without an UptimeRobot key, and resource names that collide."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest
from pulumi.runtime.stack import wait_for_rpcs

from components.apps.preflight import (
    OFFLINE_PLAN,
    VALUES_CHECKED_AGAINST,
    StackWarning,
    chart_version_warning,
    check_before_declaring,
    resource_name_problems,
)
from components.flavors import FLAVORS, get_flavor
from components.inputs.catalog.loading import load_catalogue
from components.inputs.problems import InputError
from components.platform.ingress_controller import Subnet
from planner.run import mocked_runtime
from planner.stackconfig import read_stack_config
from tests.conftest import ROOT, STACKS, make_settings

SUBNETS = {visibility: [Subnet("subnet-0123456789abcdef0", "10.10.0.0/24", None, "eu-west-1a")]
           for visibility in ("public", "private")}
ONE_PUBLIC_APP = """
apps:
  - name: shop
    visibility: public
    service: {name: shop, port: 80}
"""


def apps_of(write_apps, text: str, **settings):
    return load_catalogue(write_apps(text), make_settings(**settings), "dev", STACKS)


def test_a_deployment_with_monitors_and_no_key_stops_before_anything_is_declared(write_apps):
    apps = apps_of(write_apps, ONE_PUBLIC_APP)
    with pytest.raises(InputError) as caught:
        check_before_declaring(make_settings(), apps, "dev", SUBNETS, dry_run=False, environ={})
    [problem] = caught.value.problems
    assert str(problem).startswith("Pulumi.dev.yaml: config 'gangplank:uptimerobotApiKey': 1 app(s) get an uptime")
    assert "pulumi config set --secret gangplank:uptimerobotApiKey" in str(problem)
    assert "UPTIMEROBOT_API_KEY" in str(problem)


@pytest.mark.parametrize("case", ["preview", "environment", "config", "monitors off", "nothing monitored"])
def test_no_key_is_needed_where_no_api_call_is_made(write_apps, case):
    settings = {"config": {"uptimerobot_api_key": "k"}, "monitors off": {"monitors_enabled": False}}.get(case, {})
    text = ONE_PUBLIC_APP.replace("public", "private") if case == "nothing monitored" else ONE_PUBLIC_APP
    apps = apps_of(write_apps, text, **settings)
    warnings = check_before_declaring(make_settings(**settings), apps, "dev", SUBNETS, dry_run=case == "preview",
                                      environ={"UPTIMEROBOT_API_KEY": "k"} if case == "environment" else {})
    # Only the preview lacks a key: it is told that `pulumi up` will need one.
    assert [w.kind for w in warnings if isinstance(w, StackWarning)] == (["uptimerobotApiKey"] if case == "preview"
                                                                         else [])


def test_the_offline_planner_is_no_deployment(write_apps):
    apps = apps_of(write_apps, ONE_PUBLIC_APP)
    token = OFFLINE_PLAN.set(True)
    try:
        [warning] = check_before_declaring(make_settings(), apps, "dev", SUBNETS, dry_run=False, environ={})
    finally:
        OFFLINE_PLAN.reset(token)
    assert isinstance(warning, StackWarning) and warning.kind == "uptimerobotApiKey"
    assert warning.message.startswith("config 'gangplank:uptimerobotApiKey': 1 app(s) get an uptime monitor")


def test_the_real_program_declares_nothing_without_a_key(tmp_path: Path, monkeypatch):
    # A stack like dev whose file has no key, run as `pulumi up` runs the program (not a preview).
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    keyless = stack_file.split("  gangplank:uptimerobotApiKey:")[0]
    (tmp_path / "Pulumi.dev.yaml").write_text(keyless, encoding="utf-8")
    shutil.copy(ROOT / "apps.yaml", tmp_path / "apps.yaml")
    monkeypatch.delenv("UPTIMEROBOT_API_KEY", raising=False)
    config = read_stack_config("dev", tmp_path)
    config.values["gangplank:appsFile"] = str(tmp_path / "apps.yaml")
    with mocked_runtime("dev", config.values, config.secret_keys) as (monitor, loop):
        with pytest.raises(InputError, match="uptimerobotApiKey"):
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        loop.run_until_complete(wait_for_rpcs())
        assert monitor.registrations == []


def test_two_apps_whose_resources_would_share_a_name_are_refused(write_apps):
    text = """
apps:
  - name: a
    visibility: private
    service: {name: a, port: 80}
    auth: {basic: {users: [b-password-c]}}
  - name: a-password-b
    visibility: private
    service: {name: b, port: 80}
    auth: {basic: {users: [c]}}
"""
    path = write_apps(text)
    apps = load_catalogue(path, make_settings(), "dev", STACKS)
    [problem] = resource_name_problems(apps, make_settings())
    # file, the line of the user that makes the name, the app and the field; and where the other one comes from
    assert str(problem) == (f"{path}:9: app 'a-password-b' field 'auth.basic.users[0]': its RandomPassword would be "
                            "named 'a-password-b-password-c', like the one that app 'a' gets from its "
                            "'auth.basic.users[0]' (line 5); Pulumi refuses two resources of one name: rename one of "
                            "the apps, users or edges")


def test_an_edge_name_that_makes_another_apps_ingress_name_is_refused(write_apps):
    text = """
apps:
  - name: a
    edges: [public, ingress]
    service: {name: a, port: 80}
  - name: a-ingress
    visibility: public
    service: {name: b, port: 80}
"""
    settings = make_settings(edges={"ingress": {"visibility": "private", "allowed_cidrs": ["10.1.0.0/16"]}})
    apps = load_catalogue(write_apps(text), settings, "dev", STACKS)
    [problem] = resource_name_problems(apps, settings)
    assert "its Ingress would be named 'a-ingress-ingress'" in str(problem)


def test_an_intent_the_flavor_cannot_express_is_an_input_error_naming_the_flavor(write_apps, monkeypatch):
    from dataclasses import dataclass

    from components.apps import preflight
    from components.flavors.app_intent import AppIntent
    from components.flavors.nginx_inc import NginxIncFlavor

    @dataclass(frozen=True)
    class NoRateLimits(NginxIncFlavor):
        name: str = "no-rate-limits"

        def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
            found = super().unsupported(intent)
            return [*found, ("rate_limit", "it has no rate limits")] if intent.rate_limit else found

    monkeypatch.setattr(preflight, "get_flavor", lambda name: NoRateLimits())
    path = write_apps(ONE_PUBLIC_APP + "    rateLimit: {rps: 5}\n" + ONE_PUBLIC_APP.split("apps:\n")[1]
                      .replace("shop", "blog"))
    apps = load_catalogue(path, make_settings(), "dev", STACKS)
    [problem] = preflight.flavor_problems(apps, make_settings())
    assert str(problem) == (f"{path}:5: app 'shop' field 'rateLimit': the no-rate-limits flavor "
                            "(gangplank:flavor) cannot express this: it has no rate limits")
    # And the annotations refuse rather than drop it.
    with pytest.raises(ValueError, match="no-rate-limits flavor cannot express"):
        from components.apps.intent import app_intent

        NoRateLimits().ingress_annotations(app_intent(apps[0], "public", None))


def test_the_flavor_an_edge_moves_to_must_express_every_app_on_it_too(write_apps, monkeypatch):
    from dataclasses import dataclass

    from components.apps import preflight
    from components.flavors import get_flavor
    from components.flavors.app_intent import AppIntent
    from components.flavors.ingress_nginx import IngressNginxFlavor

    @dataclass(frozen=True)
    class NoRateLimits(IngressNginxFlavor):
        def unsupported(self, intent: AppIntent) -> list[tuple[str, str]]:
            found = super().unsupported(intent)
            return [*found, ("rate_limit", "it has no rate limits")] if intent.rate_limit else found

    monkeypatch.setattr(preflight, "get_flavor", lambda name: NoRateLimits() if name == "ingress-nginx"
                        else get_flavor(name))
    path = write_apps(ONE_PUBLIC_APP + "    rateLimit: {rps: 5}\n")
    steady = make_settings()
    moving = make_settings(edges={"public": {"move": {"to": "ingress-nginx", "weight": 10}}})
    assert preflight.flavor_problems(load_catalogue(path, steady, "dev", STACKS), steady) == []
    [problem] = preflight.flavor_problems(load_catalogue(path, moving, "dev", STACKS), moving)
    assert str(problem) == (f"{path}:5: app 'shop' field 'rateLimit': the ingress-nginx flavor "
                            "(gangplank:edges.public.move.to) cannot express this: it has no rate limits")


def test_backend_tls_the_flavor_an_edge_moves_to_cannot_express_is_located_at_the_tls_line(write_apps):
    """An edge moving from Envoy Gateway to F5's controller: Envoy verifies the backend, F5 cannot (the move step's
    flavor is named, and the problem is where `tls` is written, under `service` or `deploy`)."""
    from components.apps import preflight

    path = write_apps("""
apps:
  - name: ledger
    visibility: public
    service:
      name: ledger
      port: 8443
      protocol: HTTPS
      tls: {verify: true, caSecret: ledger-ca}
  - name: billing
    visibility: public
    deploy:
      image: ghcr.io/acme/billing:1
      port: 8443
      protocol: HTTPS
      tls: {verify: true, caSecret: billing-ca}
""")
    steady = make_settings(flavor="envoy-gateway")
    moving = make_settings(flavor="envoy-gateway", edges={"public": {"move": {"to": "nginx-inc", "weight": 0}}})
    assert preflight.flavor_problems(load_catalogue(path, steady, "dev", STACKS), steady) == []
    problems = [str(p) for p in preflight.flavor_problems(load_catalogue(path, moving, "dev", STACKS), moving)]
    assert [p.split(" cannot express")[0] for p in problems] == [
        f"{path}:8: app 'ledger' field 'service.tls.verify': the nginx-inc flavor (gangplank:edges.public.move.to)",
        f"{path}:15: app 'billing' field 'deploy.tls.verify': the nginx-inc flavor (gangplank:edges.public.move.to)"]


def test_a_move_onto_the_retired_flavor_is_warned_like_an_edge_that_runs_it(write_apps):
    """Every controller's flavor counts, the one an edge moves to as well: moving onto ingress-nginx warns too."""
    def retired(**settings) -> list[str]:
        found = check_before_declaring(make_settings(**settings), apps_of(write_apps, ONE_PUBLIC_APP, **settings),
                                       "dev", SUBNETS, dry_run=True)
        return [warning.as_plan_entry()["flavor"] for warning in found if warning.kind == "retirement"]

    assert retired() == []
    assert retired(edges={"private": {"move": {"to": "ingress-nginx", "weight": 0}}}) == ["ingress-nginx"]
    assert retired(flavor="ingress-nginx", edges={"public": {"move": {"to": "nginx-inc", "weight": 0}}}) == \
        ["ingress-nginx"]


@pytest.mark.parametrize(("flavor", "version", "checked"), [
    ("nginx-inc", "2.7.0", "(its values.schema.json, types and key names)"),
    ("ingress-nginx", "4.16.0", "(the key paths its values.yaml and templates read (it has no values schema): names, "
                                "not types)"),
    ("envoy-gateway", "v1.10.0", "(the keys of its values template (it has no values schema): names, not types)"),
])
def test_the_chart_version_warning_says_what_each_flavors_values_are_checked_against(flavor, version, checked):
    warning = chart_version_warning(make_settings(flavor=flavor, controller_chart_version=version))
    pinned = get_flavor(flavor).default_chart
    assert warning is not None and warning.message.startswith(
        f"config 'gangplank:controllerChartVersion': chart {pinned.chart} {version} is not {pinned.version}, the "
        f"version gangplank's Helm values are checked against {checked}: ")
    assert chart_version_warning(make_settings(flavor=flavor, controller_chart_version=pinned.version)) is None


def test_what_the_warning_says_is_checked_is_checked_at_the_pinned_versions():
    """Each flavor's claim names a reference the tests really read, at the flavor's pinned chart."""
    from tests.components.flavors.chart_values import INGRESS_NGINX_PATHS_CHART
    from tests.reference import ENVOY_GATEWAY_VALUES_TEMPLATE, F5_VALUES_SCHEMA

    assert set(VALUES_CHECKED_AGAINST) == set(FLAVORS)
    assert F5_VALUES_SCHEMA.name == f"nginx-ingress-{get_flavor('nginx-inc').default_chart.version}.values.schema.json"
    assert get_flavor("ingress-nginx").default_chart.version == INGRESS_NGINX_PATHS_CHART
    assert ENVOY_GATEWAY_VALUES_TEMPLATE.name == \
        f"envoy-gateway-helm-{get_flavor('envoy-gateway').default_chart.version}.values.tmpl.yaml"


@pytest.mark.parametrize("settings, subject, says, never", [
    ({"flavor": "ingress-nginx"}, "gangplank:flavor",
     "edge public (gangplank:flavor): set gangplank:edges.public.move to {to: nginx-inc, weight: 0}",
     "set gangplank:flavor"),
    ({"edges": {"public": {"flavor": "ingress-nginx"}}}, "gangplank:edges.public.flavor",
     "edge public (gangplank:edges.public.flavor): set gangplank:edges.public.move to {to: nginx-inc, weight: 0}",
     "set gangplank:flavor to nginx-inc"),  # already its value
    ({"edges": {"public": {"move": {"to": "ingress-nginx", "weight": 0}}}}, "gangplank:edges.public.move.to",
     "abandon that move (weight 0, then remove `move`), or aim it at envoy-gateway", "to: nginx-inc"),
    ({"flavor": "ingress-nginx", "edges": {"public": {"move": {"to": "nginx-inc", "weight": 50}}}},
     "gangplank:flavor", "edge public is moving off it to nginx-inc: finish that move",
     "set gangplank:edges.public.move"),
])
def test_the_way_off_the_retired_flavor_is_a_move_through_the_key_that_put_the_edge_there(settings, subject, says,
                                                                                          never):
    """The old advice, "set gangplank:flavor to nginx-inc", switches the controller in one step (the rehearsal refuses
    it: hosts unanswered), names gangplank:flavor for an edge put there by its own key, and repeats values already
    set."""
    from components.apps import preflight

    [warning] = preflight.retired_flavor_warnings(make_settings(**settings))
    assert warning.subject == f"config '{subject}'"
    assert says in warning.message and never not in warning.message
    assert "docs/moving-an-edge.md" in warning.message and "not by changing the flavor in one step" in warning.message


def test_a_refusal_names_the_key_that_put_the_flavor_on_the_edge(write_apps):
    """The stack's flavor, an edge's own `flavor` (even when it names the stack's), or the move's `to`: the line
    to change is the one the refusal names."""
    text = ONE_PUBLIC_APP + "    sticky: {cookie: {name: route}}\n"

    def key_named(**settings) -> str:
        from components.apps import preflight

        [problem] = preflight.flavor_problems(apps_of(write_apps, text, **settings), make_settings(**settings))
        return str(problem).split(" flavor (")[1].split(")")[0]

    assert key_named() == "gangplank:flavor"
    assert key_named(edges={"public": {"flavor": "nginx-inc"}}) == "gangplank:edges.public.flavor"
    assert key_named(flavor="envoy-gateway", edges={"public": {"flavor": "nginx-inc"}}) == \
        "gangplank:edges.public.flavor"
