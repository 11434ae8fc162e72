"""A catalogue directory of team files: teams, owners, catalogue order, and rules across files that name both sides."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from components.inputs.catalog.loading import load_catalogue
from components.inputs.catalog.schema import json_schema
from components.inputs.problems import InputError
from components.inputs.teams import read_catalogue, team_problems
from components.inputs.yamlfile import load_yaml
from tests.conftest import BLOG_TEAM, ROOT, STACKS, make_settings


def write_teams(directory: Path, **files: str) -> str:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return str(directory)


WEB = """
owners: ["@acme/web"]
apps:
  - name: shop
    visibility: public
    host: shop
    service: {name: shop, port: 80}
"""
API = """
apps:
  - name: shop-api
    visibility: public
    host: shop
    paths: [/api]
    service: {name: api, port: 80}
  - name: search
    visibility: public
    service: {name: search, port: 80}
"""
API_OWNS = API + "ownsHosts: [shop]\n"
"""The api team's file, owning the host it shares with web (shop.<zone>)."""


def problems(path: str, **settings: object) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_catalogue(path, make_settings(**settings), "dev", STACKS)
    return [str(problem) for problem in caught.value.problems]


def test_each_file_is_a_team_and_the_catalogue_goes_file_by_file(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": API_OWNS, "notes.txt": "not a team\n"})
    apps = load_catalogue(path, make_settings(), "dev", STACKS)
    # Files by name (api before web), then each file's own order: whatever the directory lists first.
    assert [(app.name, app.team) for app in apps] == [("shop-api", "api"), ("search", "api"), ("shop", "web")]
    assert apps[2].source == (f"{path}/web.yaml", 3)


def test_a_name_used_in_two_files_names_both_files_and_lines(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": API_OWNS.replace("name: search",
                                                                                          "name: shop")})
    [problem] = problems(path)
    assert problem == (f"{path}/web.yaml:3: app 'shop' field 'name': duplicate name; {path}/api.yaml:7 also names "
                       "an app 'shop' (names are unique across the catalogue's files)")


def test_a_route_taken_in_another_file_names_it(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB.replace("host: shop", "host: shop\n    paths: [/api]"),
                                               "api.yaml": API_OWNS})
    [problem] = problems(path)
    assert problem.startswith(f"{path}/web.yaml:6: app 'shop' field 'paths[0]': host 'shop.dev.example.com' path "
                              f"'/api' is already routed to app 'shop-api' ({path}/api.yaml:5)")


def test_an_alias_of_another_teams_host_names_its_file(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB.replace("host: shop", "host: shop\n    aliases: "
                                                                                      "[search]"),
                                               "api.yaml": API_OWNS})
    [problem] = problems(path)
    assert f"{path}/web.yaml:6: app 'shop' field 'aliases[0]': 'search.dev.example.com' is already a host of app " \
           f"'search' ({path}/api.yaml:7)" in problem


def test_a_host_on_two_edges_across_files_names_the_other_file(tmp_path):
    other = API.replace("visibility: public\n    host: shop", "edges: [partners]\n    host: shop")
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": other})
    found = problems(path, edges={"partners": {"visibility": "public"}})
    assert any(f"{path}/web.yaml:5: app 'shop' field 'host': 'shop.dev.example.com' is served by edge 'partners' "
               f"(app 'shop-api', {path}/api.yaml:2); one DNS name" in p for p in found), found


def test_one_file_keeps_its_messages(write_apps):
    """A catalogue of one file names no other file: its problems read as they always did."""
    path = write_apps(API + API.split("apps:\n", 1)[1])
    found = problems(path)
    assert any(p.endswith("duplicate name; line 2 also names an app 'shop-api'") for p in found), found


def test_every_problem_of_every_file_in_one_round(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{
        "web.yaml": WEB.replace("port: 80", "port: 0"),
        "api.yaml": "apps: [{name: x}]\n",
        "ops.yaml": "owners: [platform]\napps: []\n",
    })
    found = problems(path)
    assert any(p.startswith(f"{path}/web.yaml:") and "'service.port'" in p for p in found), found
    assert any(p.startswith(f"{path}/api.yaml:1: app 'x'") for p in found), found
    assert any(p.startswith(f"{path}/ops.yaml:1: catalogue field 'owners[0]': 'platform' is not a code owner")
               for p in found), found


@pytest.mark.parametrize(("name", "says"), [
    ("Web_Team.yaml", "'Web_Team' (the file's name) is not a team name"),
    ("web.yml", "rename it to 'web.yaml', or its apps are never read"),
])
def test_files_that_cannot_be_team_files_are_named(tmp_path, name, says):
    path = write_teams(tmp_path / "apps.d", **{name: WEB, "api.yaml": API_OWNS})
    [problem] = problems(path)
    assert problem.startswith(f"{path}/{name}: catalogue field 'team': ") and says in problem


def test_an_empty_directory_is_a_problem(tmp_path):
    path = write_teams(tmp_path / "apps.d")
    assert problems(path) == [f"{path}: catalogue field 'apps': the directory holds no team file ('<team>.yaml')"]


def test_owners_are_code_owners_listed_once(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB.replace('["@acme/web"]', '["@acme/web", "@acme/web"]'),
                                               "api.yaml": API_OWNS.replace("apps:", "owners: []\napps:")})
    found = problems(path)
    assert f"{path}/web.yaml:1: catalogue field 'owners[1]': '@acme/web' is listed twice" in found
    assert any(p.startswith(f"{path}/api.yaml:1: catalogue field 'owners': an empty list") for p in found), found
    good = write_teams(tmp_path / "good.d", **{"web.yaml": WEB, "api.yaml": API_OWNS})
    assert read_catalogue(good).owners == {f"{good}/web.yaml": ["@acme/web"]}


def test_teams_the_catalogue_has_no_file_for(tmp_path):
    read = read_catalogue(write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": API_OWNS}))
    [problem] = team_problems(read, ["web", "payments"], "Pulumi.prod-web.yaml", 7)
    assert str(problem) == ("Pulumi.prod-web.yaml:7: config 'gangplank:teams' field '[1]': no team 'payments' in "
                            "the catalogue (no payments.yaml); its teams: api, web")
    single = read_catalogue(str(ROOT / "apps.yaml"))
    [problem] = team_problems(single, ["web"], "Pulumi.prod-web.yaml", 7)
    assert "the catalogue is one file, without teams" in str(problem)


def test_the_schema_takes_team_files_with_owners():
    schema = json_schema()
    for path in sorted((ROOT / "apps.d").glob("*.yaml")):
        jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(load_yaml(str(path)))))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"owners": ["not an owner"], "apps": []})


# -- who owns a host that several teams' apps serve -------------------------------------------------

def owner_of(apps: list, host: str) -> str:
    from components.apps.routing import host_shares
    from components.flavors import get_flavor

    return host_shares(apps, get_flavor("nginx-inc"))[host].owner.app


def test_a_host_several_teams_serve_needs_an_owning_team(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": API})
    assert problems(path) == [
        f"{path}/web.yaml:5: app 'shop' field 'host': 'shop.dev.example.com' is served by apps of team 'api' (app "
        f"'shop-api', {path}/api.yaml:2) and team 'web' (app 'shop', {path}/web.yaml:3), and no team owns it: its DNS "
        "records and master Ingress are declared once, by the stack of the team that owns it; add `ownsHosts: "
        "[shop]` to that team's file (docs/teams.md, \"A host two teams share\")"]


def test_a_new_team_file_never_moves_a_host(tmp_path):
    """The owning team states it; a file that sorts first and joins the host changes nothing (it used to take
    the host, its records and master Ingress, to a team no stack may declare)."""
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB, "api.yaml": API_OWNS})
    before = load_catalogue(path, make_settings(), "dev", STACKS)
    write_teams(tmp_path / "apps.d", **{"a-blog.yaml": BLOG_TEAM})
    after = load_catalogue(path, make_settings(), "dev", STACKS)
    assert owner_of(before, "shop.dev.example.com") == owner_of(after, "shop.dev.example.com") == "shop-api"
    assert [app.owns_hosts for app in after if app.name in ("blog", "shop-api")] == [(), ("shop.dev.example.com",)]


def test_the_owning_teams_first_app_owns_the_host_whatever_the_order(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB + "ownsHosts: [shop.dev.example.com]\n",
                                               "api.yaml": API})
    apps = load_catalogue(path, make_settings(), "dev", STACKS)
    assert owner_of(apps, "shop.dev.example.com") == "shop"  # web.yaml sorts after api.yaml


def test_a_host_has_one_owning_team_and_serves_it(tmp_path):
    path = write_teams(tmp_path / "apps.d", **{"web.yaml": WEB + "ownsHosts: [shop, search]\n", "api.yaml": API_OWNS})
    assert problems(path) == [
        f"{path}/web.yaml:7: catalogue field 'ownsHosts[0]': 'shop.dev.example.com' is owned by team 'api' already "
        f"({path}/api.yaml:10): a host has one owner; remove it from one of the two files",
        f"{path}/web.yaml:7: catalogue field 'ownsHosts[1]': no app of team 'web' serves 'search.dev.example.com', "
        f"which team 'api' (app 'search', {path}/api.yaml:7) serve(s): a team owns only hosts its own apps serve"]


def test_owned_hosts_are_a_team_files_own(write_apps):
    path = write_apps(WEB + "ownsHosts: [shop, Shop]\n")
    assert sorted(problems(path)) == [
        f"{path}:7: catalogue field 'ownsHosts': applies to team files only (a directory of them in "
        "gangplank:appsFile): in a catalogue of one file, every host has one owner, the stack; remove it",
        f"{path}:7: catalogue field 'ownsHosts[1]': 'shop' is listed twice"]
