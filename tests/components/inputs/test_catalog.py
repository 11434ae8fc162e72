"""apps.yaml: every rejected input gets a message naming file, line, app and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.inputs.catalog.loading import load_catalogue
from components.inputs.catalog.resolved import resolve_host
from components.inputs.catalog.schema import SCHEMA_FILE, render_json_schema
from components.inputs.problems import InputError
from tests.conftest import ROOT, STACKS, make_settings, read_doc

GOOD = """
apps:
  - name: shop
    visibility: public
    service: {name: shop, port: 80}
"""


def problems_of(write_apps, text: str, stack: str = "dev", **settings) -> list[str]:
    path = write_apps(text)
    with pytest.raises(InputError) as caught:
        load_catalogue(path, make_settings(**settings), stack, STACKS)
    return [str(problem) for problem in caught.value.problems]


def one_problem(write_apps, text: str, **settings) -> str:
    found = problems_of(write_apps, text, **settings)
    assert len(found) == 1, found
    return found[0]


def test_valid_catalogue_resolves_defaults(write_apps):
    [app] = load_catalogue(write_apps(GOOD), make_settings(), "dev", STACKS)
    assert app.host == "shop.dev.example.com"
    assert app.namespace == "shop"
    assert app.url == "https://shop.dev.example.com/"
    assert app.monitored and app.monitor_interval == 300
    assert (app.dashboard_name, app.dashboard_group) == ("shop", "shop")


def test_private_label_resolves_in_private_zone(write_apps):
    text = GOOD.replace("public", "private")
    [app] = load_catalogue(write_apps(text), make_settings(), "dev", STACKS)
    assert app.host == "shop.internal.dev.example.com"
    assert not app.monitored


def test_duplicate_names(write_apps):
    text = GOOD + """
  - name: shop
    visibility: private
    service: {name: shop, port: 80}
"""
    assert one_problem(write_apps, text).endswith(
        "apps.yaml:6: app 'shop' field 'name': duplicate name; line 2 also names an app 'shop'")


def test_duplicate_host_and_path_label_equals_fqdn(write_apps):
    text = GOOD + """
  - name: shop-v2
    visibility: public
    host: shop.dev.example.com
    paths: ["/"]
    service: {name: shop2, port: 80}
"""
    message = one_problem(write_apps, text)
    assert ":9: app 'shop-v2' field 'paths[0]'" in message
    assert "host 'shop.dev.example.com' path '/' is already routed to app 'shop'" in message


def test_shared_host_with_different_paths_is_fine(write_apps):
    text = GOOD + """
  - name: shop-api
    visibility: public
    host: shop
    paths: ["/api"]
    service: {name: api, port: 80}
"""
    apps = load_catalogue(write_apps(text), make_settings(), "dev", STACKS)
    assert {a.host for a in apps} == {"shop.dev.example.com"}


def test_host_outside_zone(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: shop.example.org")
    message = one_problem(write_apps, text)
    assert "app 'shop' field 'host': 'shop.example.org' is outside the zone 'dev.example.com'" in message


def test_public_host_inside_private_zone(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: internal.dev.example.com")
    assert "is inside the private zone 'internal.dev.example.com'" in one_problem(write_apps, text)


def test_host_two_labels_deep_is_not_covered_by_wildcard(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: a.b.dev.example.com")
    assert "more than one label under 'dev.example.com'" in one_problem(write_apps, text)


@pytest.mark.parametrize("name", ["Shop", "shop_1", "-shop", "a" * 64])
def test_invalid_dns_label(write_apps, name):
    message = one_problem(write_apps, GOOD.replace("name: shop\n", f"name: {name}\n"))
    assert f"field 'name': '{name}' is not a DNS label" in message
    assert ":2:" in message


def test_invalid_host_label(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: Shop_Front")
    assert "field 'host'" in one_problem(write_apps, text)


def test_monitor_on_private_app(write_apps):
    text = GOOD.replace("public", "private") + "    monitor: {enabled: true}\n"
    message = one_problem(write_apps, text)
    assert ":5: app 'shop' field 'monitor.enabled': private apps cannot be monitored" in message


@pytest.mark.parametrize("where, line", [("apps", 5), ("service", 4), ("monitor", 5), ("dashboard", 5)])
def test_unknown_keys_at_any_depth(write_apps, where, line):
    texts = {
        "apps": GOOD + "    hostt: shop\n",
        "service": GOOD.replace("port: 80}", "port: 80, prot: 80}"),
        "monitor": GOOD + "    monitor: {intervall: 60}\n",
        "dashboard": GOOD + "    dashboard: {nmae: Shop}\n",
    }
    message = one_problem(write_apps, texts[where])
    assert f"apps.yaml:{line}: app 'shop' field '" in message
    assert "unknown field" in message and "did you mean" in message


def test_unknown_top_level_key(write_apps):
    assert "unknown top-level field 'aps'" in problems_of(write_apps, "aps: []\napps: []\n")[0]


@pytest.mark.parametrize("snippet, field", [
    ("    paths: /\n", "paths"),
    ("    deploy: {image: x, port: 80, replicas: two}\n", "deploy.replicas"),
    ("    rateLimit: {rps: fast}\n", "rateLimit.rps"),
    ("    auth: {basic: {users: alice}}\n", "auth.basic.users"),
    ("    dashboard: []\n", "dashboard"),
])
def test_wrong_types(write_apps, snippet, field):
    text = GOOD + snippet
    if "deploy" in snippet:
        text = text.replace("    service: {name: shop, port: 80}\n", "")
    message = one_problem(write_apps, text)
    assert f"app 'shop' field '{field}" in message


@pytest.mark.parametrize("port", [0, 65536])
def test_ports_out_of_range(write_apps, port):
    message = one_problem(write_apps, GOOD.replace("port: 80", f"port: {port}"))
    assert ":4: app 'shop' field 'service.port'" in message


@pytest.mark.parametrize("cidr", ["10.0.0.1/8", "300.0.0.0/8", "not-a-cidr"])
def test_bad_cidrs(write_apps, cidr):
    message = one_problem(write_apps, GOOD + f"    allowCidrs: [{cidr}]\n")
    assert f"field 'allowCidrs[0]': '{cidr}' is not a CIDR block" in message


def test_empty_file(write_apps):
    assert problems_of(write_apps, "\n") == [
        f"{write_apps('')}:1: catalogue field 'apps': the file is empty; expected a mapping with a list under 'apps:'"
    ]


@pytest.mark.parametrize("text, found", [("- shop\n", "a list"), ("shop\n", "a string"), ("apps: 3\n", "a number")])
def test_non_mapping_file(write_apps, text, found):
    assert found in one_problem(write_apps, text)


def test_missing_file_is_a_problem_not_a_traceback(tmp_path):
    with pytest.raises(InputError) as caught:
        load_catalogue(str(tmp_path / "nope.yaml"), make_settings(), "dev", STACKS)
    assert "nope.yaml: catalogue field 'apps': file not found" in str(caught.value.problems[0])


def test_invalid_yaml_names_the_line(write_apps):
    message = one_problem(write_apps, GOOD + "  - name: [unclosed\n")
    assert ":5:" in message or ":6:" in message
    assert "invalid YAML" in message


def test_duplicate_yaml_key(write_apps):
    assert "invalid YAML" in one_problem(write_apps, GOOD + "    visibility: private\n")


@pytest.mark.parametrize("both", [True, False])
def test_both_or_neither_service_and_deploy(write_apps, both):
    without_service = GOOD.replace("    service: {name: shop, port: 80}\n", "")
    text = GOOD + "    deploy: {image: x, port: 8080}\n" if both else without_service
    message = one_problem(write_apps, text)
    assert "field 'service': give exactly one of 'service'" in message
    assert ("found both" if both else "found neither") in message


@pytest.mark.parametrize("snippet, field", [("    paths: [api]\n", "paths[0]"),
                                            ("    healthPath: healthz\n", "healthPath")])
def test_paths_must_start_with_slash(write_apps, snippet, field):
    assert f"field '{field}'" in one_problem(write_apps, GOOD + snippet)


def test_unknown_stack(write_apps):
    message = one_problem(write_apps, GOOD + "    stacks: [dev, qa]\n")
    assert "field 'stacks[1]': no stack 'qa' (no Pulumi.qa.yaml); known stacks: dev, prod, staging" in message


def test_keyword_monitor_without_keyword(write_apps):
    message = one_problem(write_apps, GOOD + "    monitor: {type: KEYWORD}\n")
    assert "field 'monitor.keyword': a KEYWORD monitor needs the keyword" in message


@pytest.mark.parametrize("interval", [10, 29, 86401])
def test_monitor_interval_the_api_refuses(write_apps, interval):
    message = one_problem(write_apps, GOOD + f"    monitor: {{interval: {interval}}}\n")
    assert "field 'monitor.interval'" in message


def test_replicas_at_least_one(write_apps):
    text = GOOD.replace("service: {name: shop, port: 80}", "deploy: {image: x, port: 80, replicas: 0}")
    assert "field 'deploy.replicas'" in one_problem(write_apps, text)


def test_every_problem_is_listed_at_once(write_apps):
    text = """
apps:
  - name: Bad
    visibility: sideways
    service: {name: s, port: 80}
  - name: ok
    visibility: private
    service: {name: s, port: 80}
    monitor: {enabled: true}
  - name: ok
    visibility: public
    host: x.example.org
    service: {name: s, port: 80}
"""
    found = problems_of(write_apps, text)
    assert len(found) == 5, found
    assert any("'Bad' field 'name'" in p for p in found)
    assert any("'Bad' field 'visibility'" in p for p in found)
    assert any("'ok' field 'monitor.enabled'" in p for p in found)
    assert any("'ok' field 'name': duplicate" in p for p in found)
    assert any("'ok' field 'host'" in p for p in found)


def test_app_outside_stack_is_left_out(write_apps):
    apps = load_catalogue(write_apps(GOOD + "    stacks: [prod]\n"), make_settings(), "dev", STACKS)
    assert apps == []


def test_host_template_names_the_default_host(write_apps):
    settings = make_settings(host_template="{name}-{stack}")
    [app] = load_catalogue(write_apps(GOOD), settings, "dev", STACKS)
    assert app.host == "shop-dev.dev.example.com"
    assert resolve_host(app.app, settings, "prod") == "shop-prod.dev.example.com"


def test_schema_file_is_current():
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == render_json_schema(), "apps.schema.json is stale: run `python -m components.inputs.catalog`"


def test_schema_accepts_the_example_catalogue_and_rejects_typos():
    import jsonschema
    import yaml

    schema = json.loads(render_json_schema())
    example = yaml.safe_load(Path(ROOT / "apps.yaml").read_text())
    jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"apps": [{"name": "x", "visibility": "public", "hostt": "y"}]}, schema)


def test_example_catalogue_references_its_schema():
    assert (ROOT / "apps.yaml").read_text().startswith("# yaml-language-server: $schema=./apps.schema.json")


def test_every_field_is_documented_in_the_reference():
    from components.inputs.catalog.models import App

    reference = read_doc("apps-yaml.md")
    for name, field in App.model_fields.items():
        assert field.description, f"App.{name} has no docstring"
        assert f"| `{field.alias or name}` |" in reference, f"docs/apps-yaml.md does not document field {field.alias}"


@pytest.mark.parametrize("snippet, field", [
    ("    service: {name: shop, port: true}\n", "service.port"),
    ("    service: {name: shop, port: '80'}\n", "service.port"),
    ("    service: {name: shop, port: 80}\n    monitor: {enabled: 'yes'}\n", "monitor.enabled"),
])
def test_no_silent_type_coercion(write_apps, snippet, field):
    text = GOOD.replace("    service: {name: shop, port: 80}\n", "") + snippet
    assert f"field '{field}'" in one_problem(write_apps, text)


def test_duplicate_basic_auth_user(write_apps):
    text = GOOD + "    auth: {basic: {users: [al, bo, al]}}\n    monitor: {enabled: false}\n"
    message = one_problem(write_apps, text)
    assert "field 'auth.basic.users[2]': user 'al' is listed twice" in message


def test_a_monitored_app_behind_basic_auth_needs_a_health_path_of_its_own(write_apps):
    """The monitor's login opens the health path alone, through a route of its own: the health path cannot be
    one of the app's paths (its default, `/`, is)."""
    message = one_problem(write_apps, GOOD + "    auth: {basic: {users: [al]}}\n")
    assert "field 'healthPath': '/' is one of the app's paths; behind basic auth the monitor's own login" in message
    [app] = load_catalogue(write_apps(GOOD + "    auth: {basic: {users: [al]}}\n    healthPath: /healthz\n"),
                           make_settings(), "dev", STACKS)
    assert app.monitored


@pytest.mark.parametrize("backend, tls, field, why", [
    ("service: {name: shop, port: 443, tls: {serverName: shop.svc}}", None, "service.tls",
     "applies to a backend that speaks HTTPS: set protocol: HTTPS"),
    ("service: {name: shop, port: 443, protocol: HTTPS, tls: {verify: true}}", None, "service.tls.verify",
     "needs caSecret"),
    ("deploy: {image: x, port: 8443, protocol: HTTPS, tls: {verify: true, serverName: 'a b', caSecret: ca}}", None,
     "deploy.tls.serverName", "String should match pattern"),
])
def test_backend_tls_settings_are_checked(write_apps, backend, tls, field, why):
    message = one_problem(write_apps, GOOD.replace("service: {name: shop, port: 80}", backend))
    assert f"field '{field}'" in message and why in message


def test_deployed_app_name_must_start_with_a_letter(write_apps):
    text = GOOD.replace("service: {name: shop, port: 80}", "deploy: {image: x, port: 80}").replace(
        "name: shop", "name: 1shop")
    assert "field 'name': '1shop' must start with a letter" in one_problem(write_apps, text)


def test_wildcard_host_is_not_a_label(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: '*.dev.example.com'")
    assert "'*' in '*.dev.example.com' is not a DNS label" in one_problem(write_apps, text)


@pytest.mark.parametrize("text, found", [("apps:\n", "found nothing (null)"), ("apps: {name: a}\n", "a mapping")])
def test_apps_must_be_a_list(write_apps, text, found):
    assert found in one_problem(write_apps, text)


@pytest.mark.parametrize("visibility, cidr, refused", [
    ("private", "192.168.7.0/24", True), ("private", "10.10.4.0/24", False), ("private", "10.0.0.0/8", False),
    ("public", "192.168.7.0/24", False)])
def test_allow_list_outside_the_edges_allow_list_is_unreachable(write_apps, visibility, cidr, refused):
    text = GOOD.replace("public", visibility) + f"    allowCidrs: [{cidr}]\n    healthPath: /healthz\n"
    if refused:
        message = one_problem(write_apps, text)
        assert f":5: app 'shop' field 'allowCidrs[0]': '{cidr}' can never reach the app" in message
        assert "admits only 10.10.0.0/16" in message
    else:
        assert load_catalogue(write_apps(text), make_settings(), "dev", STACKS)


def test_allow_list_through_a_restricted_public_edge(write_apps):
    from components.inputs.settings import EdgeSettings

    settings = make_settings(edges={"partners": EdgeSettings(visibility="public", allowed_cidrs=["203.0.113.0/24"])})
    text = GOOD.replace("visibility: public", "edges: [partners]") + "    allowCidrs: [198.51.100.0/24]\n"
    path = write_apps(text)
    with pytest.raises(InputError) as caught:
        load_catalogue(path, settings, "dev", STACKS)
    assert "its edge 'partners' admits only 203.0.113.0/24" in str(caught.value.problems[0])


def test_an_uppercase_host_is_lowercased(write_apps):
    [app] = load_catalogue(write_apps(GOOD + "    host: Shop\n"), make_settings(), "dev", STACKS)
    assert app.host == "shop.dev.example.com"


@pytest.mark.parametrize("host, says", [("shop.", "ends with a dot"), ("\u212aube", "non-ASCII character"),
                                        ("sh op", "is not a DNS label"), ("a" * 64, "is not a DNS label")])
def test_hosts_that_would_change_or_break(write_apps, host, says):
    message = one_problem(write_apps, GOOD + f"    host: '{host}'\n")
    assert ":5: app 'shop' field 'host'" in message and says in message


def test_empty_stacks_is_refused(write_apps):
    message = one_problem(write_apps, GOOD + "    stacks: []\n")
    assert "field 'stacks': an empty list puts the app in no stack" in message


def test_entry_rules_come_with_structure_problems(write_apps):
    found = problems_of(write_apps, GOOD + "    deploy: {image: x, port: 80}\n    edges: [public, public]\n")
    assert any("field 'service': give exactly one" in line for line in found)
    assert any("field 'visibility': give exactly one" in line for line in found)
    assert any("field 'edges[1]': edge 'public' is listed twice" in line for line in found)

# -- edges and hosts ---------------------------------------------------------------------

PARTNERS = {"partners": {"visibility": "public", "allowed_cidrs": ["203.0.113.0/24"]},
            "finance": {"visibility": "private", "allowed_cidrs": ["10.40.0.0/16"]}}


def test_an_app_on_two_edges_gets_a_host_in_each_zone(write_apps):
    text = GOOD.replace("visibility: public", "edges: [public, private]\n    aliases: [www]")
    [app] = load_catalogue(write_apps(text), make_settings(), "dev", STACKS)
    assert [(r.edge.name, r.hosts) for r in app.routes] == [
        ("public", ("shop.dev.example.com", "www.dev.example.com")),
        ("private", ("shop.internal.dev.example.com", "www.internal.dev.example.com"))]
    assert app.monitored and app.health_url == "https://shop.dev.example.com/"


@pytest.mark.parametrize("snippet, field, message", [
    ("    edges: [public]\n", "visibility", "give exactly one of 'visibility' (public or private) and 'edges'"),
    ("", "edges[0]", "no edge 'nowhere' in stack dev; its edges: public, private, finance, partners"),
])
def test_edges_must_be_the_stacks_and_exclusive_with_visibility(write_apps, snippet, field, message):
    text = GOOD.replace("    service:", snippet + "    service:") if snippet else \
        GOOD.replace("visibility: public", "edges: [nowhere]")
    found = one_problem(write_apps, text, edges=PARTNERS)
    assert f"field '{field}'" in found and message in found


def test_an_app_on_an_allow_listed_edge_cannot_be_monitored(write_apps):
    text = GOOD.replace("visibility: public", "edges: [partners]") + "    monitor: {enabled: true}\n"
    found = one_problem(write_apps, text, edges=PARTNERS)
    assert "field 'monitor.enabled': cannot be monitored: its public edge 'partners' admits only its " \
           "allowedCidrs" in found
    [app] = load_catalogue(write_apps(GOOD.replace("visibility: public", "edges: [partners]")),
                           make_settings(edges=PARTNERS), "dev", STACKS)
    assert not app.monitored and "partners" in app.monitor_skipped


def test_one_host_is_served_by_one_edge(write_apps):
    text = GOOD + """
  - name: shop-partners
    edges: [partners]
    host: shop
    paths: [/partners]
    service: {name: shop, port: 80}
"""
    found = one_problem(write_apps, text, edges=PARTNERS)
    assert "app 'shop-partners' field 'host': 'shop.dev.example.com' is served by edge 'public' (app 'shop'); " \
           "one DNS name points to one load balancer" in found


def test_an_alias_is_the_apps_own(write_apps):
    text = GOOD + """
  - name: blog
    visibility: public
    aliases: [shop]
    service: {name: blog, port: 80}
"""
    found = one_problem(write_apps, text)
    assert "app 'blog' field 'aliases[0]': 'shop.dev.example.com' is already a host of app 'shop'" in found


def test_an_fqdn_host_cannot_serve_two_zones(write_apps):
    text = GOOD.replace("visibility: public", "edges: [public, private]\n    host: shop.dev.example.com")
    found = one_problem(write_apps, text)
    assert "field 'host'" in found and "give a label so that each zone gets its own name" in found


def test_the_apex_is_a_host(write_apps):
    text = GOOD.replace("visibility: public", "visibility: public\n    host: dev.example.com")
    [app] = load_catalogue(write_apps(text), make_settings(), "dev", STACKS)
    assert app.host == "dev.example.com" and app.url == "https://dev.example.com/"


def test_monitor_settings_on_an_app_that_is_never_monitored_are_an_error(write_apps):
    text = GOOD.replace("public", "private") + "    monitor: {interval: 60}\n"
    found = one_problem(write_apps, text)
    assert "field 'monitor': monitor settings have no effect: the app is never monitored (private" in found


def test_an_app_routes_its_alerts_to_its_own_team(write_apps):
    text = GOOD + "    monitor: {alertContactIds: [42]}\n"
    [app] = load_catalogue(write_apps(text), make_settings(monitor_alert_contact_ids=[7]), "dev", STACKS)
    assert app.monitor_alert_contact_ids == (42,)
    [default] = load_catalogue(write_apps(GOOD), make_settings(monitor_alert_contact_ids=[7]), "dev", STACKS)
    assert default.monitor_alert_contact_ids == (7,)


@pytest.mark.parametrize("why, settings, text", [
    ("private", {}, GOOD.replace("public", "private")),
    ("disabled", {}, GOOD + "    monitor: {enabled: false}\n"),
    ("off for this stack", {"monitors_enabled": False}, GOOD),
])
def test_why_an_app_is_not_monitored(write_apps, why, settings, text):
    [app] = load_catalogue(write_apps(text), make_settings(**settings), "dev", STACKS)
    assert not app.monitored and why in app.monitor_skipped
