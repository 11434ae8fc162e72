"""Every problem of a catalogue in one run, each at the line a user must edit (components/inputs/salvage.py)."""

from __future__ import annotations

import pytest

from components.inputs.catalog.loading import load_catalogue
from components.inputs.catalog.models import App
from components.inputs.catalog.structure import parse_catalogue
from components.inputs.problems import InputError
from components.inputs.salvage import validate_salvaging
from components.inputs.yamlfile import parse_yaml
from tests.conftest import STACKS, make_settings


def problems_of(write_apps, text: str) -> list[str]:
    path = write_apps(text)
    with pytest.raises(InputError) as caught:
        load_catalogue(path, make_settings(), "dev", STACKS)
    return [str(problem).split("apps.yaml:", 1)[1] for problem in caught.value.problems]


def test_every_problem_of_basic_auth_users_at_once(write_apps):
    found = problems_of(write_apps, """
        apps:
          - name: shop
            visibility: public
            service: {name: shop, port: 80}
            healthPath: /healthz
            auth:
              basic:
                users: [uptimerobot, alice, alice, "bob:x"]
        """)
    assert found == [
        "8: app 'shop' field 'auth.basic.users[0]': 'uptimerobot' is the uptime monitor's own user (it gets a "
        "generated password); choose another name",
        "8: app 'shop' field 'auth.basic.users[2]': user 'alice' is listed twice",
        "8: app 'shop' field 'auth.basic.users[3]': 'bob:x' is not a user name: 1 to 64 letters, digits, '.', '_', "
        "'@' and '-' (a ':' would end the name in the htpasswd file)",
    ]


def test_every_problem_of_an_allow_list_at_once_each_at_its_line(write_apps):
    found = problems_of(write_apps, """
        apps:
          - name: admin
            visibility: private
            service: {name: admin, port: 80}
            allowCidrs:
              - 10.0.0.1/8
              - 0.0.0.0/0
              - 300.1.1.1/32
        """)
    assert [line.split(": ", 2)[:2] for line in found] == [
        ["6", "app 'admin' field 'allowCidrs[0]'"], ["7", "app 'admin' field 'allowCidrs[1]'"],
        ["8", "app 'admin' field 'allowCidrs[2]'"]]
    assert "host bits set" in found[0] and "must not contain '0.0.0.0/0'" in found[1] and "not a CIDR" in found[2]


def test_a_lists_own_rule_runs_on_its_valid_items(write_apps):
    """The allow-list's total is judged on the blocks that are valid, in the same run as the invalid one."""
    found = problems_of(write_apps, """
        apps:
          - name: api
            visibility: public
            service: {name: api, port: 80}
            allowCidrs: [not-a-block, 8.0.0.0/9, 8.128.0.0/9, 9.0.0.0/9]
        """)
    assert len(found) == 2, found
    assert any("field 'allowCidrs[0]': 'not-a-block' is not a CIDR block" in line for line in found)
    assert any("field 'allowCidrs': the IPv4 blocks admit" in line for line in found)


def test_a_host_outside_the_zone_and_a_bad_alias_together(write_apps):
    found = problems_of(write_apps, """
        apps:
          - name: web
            visibility: public
            host: web.example.org
            aliases: [www, bad_alias, www]
            service: {name: web, port: 80}
        """)
    assert found == [
        "4: app 'web' field 'host': 'web.example.org' is outside the zone 'dev.example.com'",
        "5: app 'web' field 'aliases[1]': 'bad_alias' is not a DNS label (a-z, 0-9 and '-', at most 63 characters)",
        "5: app 'web' field 'aliases[2]': 'www.dev.example.com' is listed twice",
    ]


def test_rules_across_apps_see_an_app_with_an_invalid_field(write_apps):
    found = problems_of(write_apps, """
        apps:
          - name: shop
            visibility: public
            service: {name: shop, port: 80}
          - name: shop-copy
            visibility: public
            host: shop
            service: {name: shop, port: 0}
        """)
    assert len(found) == 2, found
    assert found[0] == "5: app 'shop-copy' field 'paths[0]': host 'shop.dev.example.com' path '/' is already routed " \
                       "to app 'shop'"  # the default path: at the entry's first line
    assert found[1].startswith("8: app 'shop-copy' field 'service.port': Input should be greater than or equal to 1")


def test_an_invalid_value_judges_nothing_it_was_needed_for(write_apps):
    """A field set aside as invalid is absent, not its default: no problem is made up from the default."""
    found = problems_of(write_apps, """
        apps:
          - name: shop
            visibility: sideways
            service: {name: shop, port: 80}
            monitor: {type: PING, keyword: Welcome}
          - name: api
            visibility: public
            host: "-api"
            deploy: {image: "not an image!!", port: 8080}
        """)
    assert [line.split(": ")[1] for line in found] == [
        "app 'shop' field 'visibility'", "app 'shop' field 'monitor.type'", "app 'api' field 'host'",
        "app 'api' field 'deploy.image'"], found


def test_a_duplicate_made_with_an_alias_is_reported_at_the_alias(write_apps):
    found = problems_of(write_apps, """
        apps:
          - &web
            name: web
            visibility: public
            service: {name: web, port: 80}
          - name: api
            visibility: public
            service: {name: api, port: 80}
          - *web
          - <<: *web
            host: other
        """)
    assert found == ["9: app 'web' field 'name': duplicate name; line 3 also names an app 'web'",
                     "10: app 'web' field 'name': duplicate name; line 3 also names an app 'web'"]


def test_a_duplicate_of_an_app_made_with_an_alias_names_the_alias_line(write_apps):
    """Two apps taken from one anchor outside the list (an `x-` key): each is where its alias is, not the anchor."""
    found = problems_of(write_apps, """
        x-web: &web
          name: web
          visibility: public
          service: {name: web, port: 80}
        apps:
          - name: api
            visibility: public
            service: {name: api, port: 80}
          - *web
          - *web
        """)
    assert found == ["10: app 'web' field 'name': duplicate name; line 9 also names an app 'web'"]


def test_a_bad_value_in_an_anchor_is_reported_where_it_is_written(write_apps):
    found = problems_of(write_apps, """
        x-backend: &backend {name: web, port: 0}
        apps:
          - name: web
            visibility: public
            service: *backend
          - name: web2
            visibility: public
            service: *backend
        """)
    assert {line.split(": ", 2)[0] for line in found} == {"1"}, found
    assert len(found) == 2  # one for each app that uses it


def test_top_level_x_keys_hold_anchors_without_being_apps(write_apps):
    path = write_apps("""
        x-defaults: &defaults
          visibility: public
          healthPath: /healthz
        x-notes: [anything, goes, here]
        apps:
          - <<: *defaults
            name: shop
            service: {name: shop, port: 80}
        """)
    [app] = load_catalogue(path, make_settings(), "dev", STACKS)
    assert (app.name, app.app.health_path) == ("shop", "/healthz")


def test_other_top_level_keys_are_still_refused(write_apps):
    [problem] = problems_of(write_apps, "xdefaults: 1\napps: []\n")
    assert problem == "1: catalogue field 'xdefaults': unknown top-level field 'xdefaults'; the file's fields are " \
                      "'apps', 'owners' and 'ownsHosts' (and 'x-' fields to hold YAML anchors)"


def test_a_value_the_yaml_reader_refuses_does_not_hide_the_rest(write_apps):
    found = problems_of(write_apps, """
        apps:
          - name: shop
            visibility: public
            service: {name: shop, port: 0120}
            host: shop.example.org
        """)
    assert len(found) == 2, found
    assert found[0].startswith("4: app 'shop' field 'service.port': '0120' is the number 80 in YAML 1.1")
    assert found[1] == "5: app 'shop' field 'host': 'shop.example.org' is outside the zone 'dev.example.com'"


def test_salvage_sets_aside_list_items_and_optional_fields_only():
    data = {"name": "shop", "visibility": "public", "service": {"name": "shop", "port": "80"},
            "paths": ["/", "bad"], "stacks": ["Dev"]}
    app, errors, salvage = validate_salvaging(App, data)
    assert isinstance(app, App)
    assert sorted(e["loc"] for e in errors) == [("paths", 1), ("service", "port"), ("stacks", 0)]
    assert sorted(salvage.set_aside) == [("paths", 1), ("service",), ("stacks",), ("stacks", 0)]
    assert app.paths == ["/"] and app.service is None and app.stacks is None
    assert salvage.lost("service") and not salvage.lost("paths") and salvage.touched("paths")


def test_salvage_maps_positions_back_to_the_file():
    app, _, salvage = validate_salvaging(App, {"name": "shop", "visibility": "public", "deploy": {
        "image": "x", "port": 80}, "aliases": ["Bad!", "www", "-x", "api"]})
    assert app is not None and app.aliases == ["www", "api"]
    assert salvage.where_written(["aliases", 1]) == ["aliases", 3]


def test_an_entry_without_a_valid_name_is_not_salvaged_but_fully_reported():
    root = parse_yaml("apps:\n  - name: Bad\n    visibility: sideways\n    service: {name: s, port: 80}\n", "a.yaml")
    apps, problems = parse_catalogue("a.yaml", root)
    assert apps == {}
    assert [p.subject for p in problems] == ["app 'Bad' field 'name'", "app 'Bad' field 'visibility'"]


def test_a_list_set_aside_whole_makes_up_no_conflict(write_apps):
    """`paths: []` is refused; its default `/` must not then collide with another app's `/` on the same host."""
    found = problems_of(write_apps, """
        apps:
          - name: web
            visibility: public
            host: shop
            service: {name: web, port: 80}
          - name: api
            visibility: public
            host: shop
            paths: []
            service: {name: api, port: 80}
          - name: old
            visibility: public
            host: x.example.org
            stacks: [Dev]
            service: {name: old, port: 80}
        """)
    assert [line.split(": ")[1] for line in found] == ["app 'api' field 'paths'", "app 'old' field 'stacks[0]'"], found


def test_in_a_team_file_a_duplicate_made_with_an_alias_is_reported_at_the_alias(tmp_path):
    team = tmp_path / "apps.d"
    team.mkdir()
    (team / "web.yaml").write_text("apps:\n  - &web\n    name: web\n    visibility: public\n"
                                   "    service: {name: web, port: 80}\n  - *web\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_catalogue(str(team), make_settings(), "dev", STACKS)
    [problem] = caught.value.problems
    assert (problem.file.endswith("web.yaml"), problem.line) == (True, 6), str(problem)
