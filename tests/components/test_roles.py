"""What each role declares: `all` as before roles existed; the split stacks together exactly what `all` does."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from components.inputs.problems import InputError
from planner.render import render_json, render_table
from planner.run import build_plan, plan, run_program
from planner.statemove import resource_urns
from tests.conftest import BLOG_TEAM, ROOT, SPLIT_APP_STACKS, SPLIT_PLATFORM


def test_role_all_said_or_not_is_one_plan(cached_run):
    said = plan("dev", None, ROOT, {"gangplank:role": "all"})
    assert render_json(said) == render_json(build_plan(cached_run("dev")))


def managed(plan_: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {urn: r for urn, r in resource_urns(plan_).items()}


def test_the_split_stacks_declare_exactly_what_the_all_stack_does(split_plans):
    everything = managed(split_plans["all"])
    declared: Counter[str] = Counter()
    split: dict[str, dict[str, Any]] = {}
    for stack in (SPLIT_PLATFORM, *SPLIT_APP_STACKS):
        for urn, resource in managed(split_plans[stack]).items():
            declared[urn] += 1
            split[urn] = resource
    assert [urn for urn, count in declared.items() if count > 1] == [], "declared by two stacks"
    assert set(split) == set(everything)
    assert [urn for urn in everything if split[urn]["inputs"] != everything[urn]["inputs"]] == []
    # ... and the app stacks read their platform, which is no resource they manage.
    for stack in SPLIT_APP_STACKS:
        [read] = [r for r in split_plans[stack]["resources"] if (r.get("options") or {}).get("read")]
        assert (read["type"], read["id"]) == ("pulumi:pulumi:StackReference", f"acme/gangplank/{SPLIT_PLATFORM}")


def test_each_stack_declares_its_own_part(split_plans):
    platform = split_plans[SPLIT_PLATFORM]
    assert "apps" not in platform["outputs"] and platform["apps"] == []
    kinds = Counter(r["type"] for r in platform["resources"])
    assert kinds["gangplank:apps:Dashboard"] == 1 and kinds["aws:route53/zone:Zone"] == 2
    assert kinds["gangplank:apps:ExposedApp"] == 1  # the dashboard's own
    web, services = split_plans["prod-web"], split_plans["prod-services"]
    assert [(a["name"], a["team"]) for a in web["apps"]] == [("shop", "web"), ("docs", "web"), ("status", "web")]
    assert {a["team"] for a in services["apps"]} == {"api", "ops"}
    for app_stack in (web, services):
        assert not any(r["type"].startswith(("aws:route53/zone", "gangplank:platform", "kubernetes:helm.sh"))
                       for r in app_stack["resources"])


def test_a_host_two_teams_share_is_declared_once_by_the_team_that_owns_it(split_plans):
    """shop.<zone>: `shop-api` (api.yaml) and `shop` (web.yaml) serve it; api.yaml owns it (`ownsHosts`), so the
    api team's stack declares the host: its records and the F5 master Ingress, which the ownership marker names;
    the web team's stack says where the host lives."""
    host = "shop.shop.example.com"
    services, web = split_plans["prod-services"], split_plans["prod-web"]
    assert f"gangplank:apps:Host::{host}" in {f"{r['type']}::{r['name']}" for r in services["resources"]}
    assert not any(r["name"].startswith(host) for r in web["resources"])
    [master] = [r for r in services["resources"] if r["name"] == f"{host}-master"]
    assert master["inputs"]["metadata"]["annotations"]["nginx.org/mergeable-ingress-type"] == "master"
    [shop] = [r for r in web["resources"] if r["name"] == "shop-ingress"]
    assert shop["inputs"]["metadata"]["annotations"]["nginx.org/mergeable-ingress-type"] == "minion"
    # The dashboard is the platform's; each app's bookmark stays on its own Ingress.
    assert shop["inputs"]["metadata"]["annotations"]["forecastle.stakater.com/instance"] == \
        f"gangplank-{SPLIT_PLATFORM}"
    assert web["outputs"]["hostOwners"] == {host: "acme/gangplank/prod-services"}
    assert "hostOwners" not in services["outputs"]


def test_the_table_shows_each_apps_team(split_plans):
    table = render_table(split_plans["prod-services"])
    assert "  app          team  edge     URL" in table
    assert any(line.split()[:2] == ["shop-api", "api"] for line in table.splitlines())
    assert render_table(split_plans[SPLIT_PLATFORM]).startswith(
        f"Platform stack {SPLIT_PLATFORM} (zones, edges, dashboard; apps are in its app stacks): ")


def test_a_fresh_preview_of_an_app_stack_knows_its_platform(run_stack):
    """The platform exists before its app stacks: a `pulumi preview` of a new app stack reads its contract, so the
    records' zones and alias targets are known (only what the app stack's own providers compute is not)."""
    fresh = build_plan(run_program("prod-web", None, ROOT, mode="fresh"))
    records = [r for r in fresh["resources"] if r["type"] == "aws:route53/record:Record"]
    assert records and all(r["inputs"]["zoneId"] != "[unknown]" for r in records)
    assert all(r["id"] == "[unknown]" for r in records)


# -- app stacks of one platform, in a project of their own ----------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the split example (program, platform and app stack files, catalogue) to change."""
    for name in ("__main__.py", "Pulumi.yaml", f"Pulumi.{SPLIT_PLATFORM}.yaml", "Pulumi.prod-web.yaml",
                 "Pulumi.prod-services.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "apps.d", tmp_path / "apps.d")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def add_stack(project: Path, name: str, lines: str) -> None:
    (project / f"Pulumi.{name}.yaml").write_text("config:\n  aws:region: eu-west-1\n  gangplank:role: apps\n"
                                                 f"  gangplank:platformStack: acme/gangplank/{SPLIT_PLATFORM}\n"
                                                 + textwrap.indent(textwrap.dedent(lines), "  "), encoding="utf-8")


def problems_of(stack: str, project: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        run_program(stack, None, project)
    return [str(problem) for problem in caught.value.problems]


def test_a_new_team_on_a_shared_host_changes_no_other_stack(project, split_plans):
    """Before hosts had stated owners, `a-blog.yaml` (sorting first) took `shop`: no stack declared team a-blog, so
    prod-services planned the host's records and master deleted, and no plan failed."""
    (project / "apps.d" / "a-blog.yaml").write_text(BLOG_TEAM, encoding="utf-8")
    for stack in SPLIT_APP_STACKS:
        assert render_json(plan(stack, None, project)) == render_json(split_plans[stack]), stack


def test_a_host_whose_owner_no_app_stack_declares_is_refused(project):
    (project / "apps.d" / "a-blog.yaml").write_text(BLOG_TEAM + "ownsHosts: [shop]\n", encoding="utf-8")
    api = project / "apps.d" / "api.yaml"
    api.write_text(api.read_text(encoding="utf-8").replace("ownsHosts: [shop]\n", ""), encoding="utf-8")
    assert problems_of("prod-web", project) == [
        "apps.d/web.yaml:9: app 'shop' field 'host': 'shop.shop.example.com' is owned by team 'a-blog' "
        "(apps.d/a-blog.yaml:7, ownsHosts), and no app stack of the platform 'prod-platform' declares that team "
        "(Pulumi.prod-web.yaml:8 declares web; Pulumi.prod-services.yaml:8 declares api, ops): no stack would declare "
        "the host's DNS records and master Ingress, and the app would not be served; give team 'a-blog' to an app "
        "stack (gangplank:teams), or let a team that has one own the host (ownsHosts)"]
    [problem] = problems_of("prod-services", project)
    assert problem.startswith("apps.d/api.yaml:13: app 'shop-api' field 'host': 'shop.shop.example.com' is owned by "
                              "team 'a-blog' (apps.d/a-blog.yaml:7, ownsHosts)"), problem


def test_a_host_that_changes_stacks_is_named_in_both_diffs(project):
    """The owner moves from api (prod-services) to a-blog (prod-blog): each stack's diff says where the host goes,
    and how to move its state instead of deleting and creating its records in two racing deploys."""
    from planner.diff import diff_plans

    (project / "apps.d" / "a-blog.yaml").write_text(BLOG_TEAM, encoding="utf-8")
    add_stack(project, "prod-blog", "gangplank:appsFile: apps.d\ngangplank:teams: [a-blog]\n")
    base = {stack: plan(stack, None, project) for stack in ("prod-services", "prod-blog")}
    (project / "apps.d" / "a-blog.yaml").write_text(BLOG_TEAM + "ownsHosts: [shop]\n", encoding="utf-8")
    api = project / "apps.d" / "api.yaml"
    api.write_text(api.read_text(encoding="utf-8").replace("ownsHosts: [shop]\n", ""), encoding="utf-8")
    command = ("`pulumi state move --source acme/gangplank/prod-services` `--dest acme/gangplank/prod-blog` "
               "`urn:pulumi:prod-services::gangplank::gangplank:apps:Host::shop.shop.example.com`")
    for stack, says in (("prod-services", "moves to stack `acme/gangplank/prod-blog`"),
                        ("prod-blog", "moves here from stack `acme/gangplank/prod-services`")):
        diff = diff_plans(base[stack], plan(stack, None, project))
        [risk] = [risk for risk in diff.risks if risk.kind == "move"]
        assert (risk.subject, risk.group) == ("shop.shop.example.com", "replace")
        assert says in risk.message and command in risk.message, risk.message


def test_an_app_its_flavor_cannot_express_stops_its_own_stack_only(project, split_plans):
    """Each app is checked against its edge's flavor by the stack that declares it: another team's app does not
    stop this team's stack (the catalogue's rules, names and limits are still checked as a whole)."""
    ops = project / "apps.d" / "ops.yaml"
    ops.write_text(ops.read_text(encoding="utf-8").replace(
        "    service: {name: argocd-server, port: 80}\n",
        "    service: {name: argocd-server, port: 80}\n    sticky: {cookie: {name: route}}\n"), encoding="utf-8")
    [problem] = problems_of("prod-services", project)
    assert problem.startswith("apps.d/ops.yaml:17: app 'argocd' field 'sticky': the nginx-inc flavor "
                              "(gangplank:flavor) cannot express this: "), problem
    assert render_json(plan("prod-web", None, project)) == render_json(split_plans["prod-web"])


def test_two_app_stacks_never_declare_one_team(project):
    add_stack(project, "prod-web2", "gangplank:appsFile: apps.d\ngangplank:teams: [web, api]\n")
    found = problems_of("prod-web2", project)
    assert "Pulumi.prod-web2.yaml:6: config 'gangplank:teams': app stack 'prod-services' of the same platform " \
           "declares the team(s) api too: every app would be declared by two stacks; give each team to one app " \
           "stack (gangplank:teams)" in found
    assert any("app stack 'prod-web' of the same platform declares the team(s) web too" in p for p in found)


def test_an_app_stack_of_every_team_overlaps_the_others(project):
    add_stack(project, "prod-all-teams", "gangplank:appsFile: apps.d\n")
    found = problems_of("prod-all-teams", project)
    assert any("'prod-services' of the same platform declares the team(s) api, ops too" in p for p in found), found


def test_app_stacks_of_one_platform_share_one_catalogue(project):
    shutil.copytree(project / "apps.d", project / "other.d")
    add_stack(project, "prod-other", "gangplank:appsFile: other.d\ngangplank:teams: [web]\n")
    found = problems_of("prod-other", project)
    assert any("reads the catalogue 'apps.d', this one 'other.d': the app stacks of one platform share one "
               "catalogue" in p for p in found), found


def test_a_team_without_a_file_is_named(project):
    add_stack(project, "prod-pay", "gangplank:appsFile: apps.d\ngangplank:teams: [payments]\n")
    assert problems_of("prod-pay", project) == [
        "Pulumi.prod-pay.yaml:6: config 'gangplank:teams' field '[0]': no team 'payments' in the catalogue (no "
        "payments.yaml); its teams: api, ops, web"]


def test_an_app_stack_checks_the_whole_catalogue(project):
    """Another team's broken file stops this team's stack too: names and hosts are the environment's."""
    (project / "apps.d" / "ops.yaml").write_text("apps:\n  - name: docs\n    visibility: public\n"
                                                 "    service: {name: d, port: 80}\n", encoding="utf-8")
    found = problems_of("prod-web", project)
    assert any(p.startswith("apps.d/web.yaml:") and "duplicate name; apps.d/ops.yaml:2 also names an app 'docs'"
               in p for p in found), found


def test_two_app_stacks_over_one_file_would_both_declare_everything(project):
    shutil.copy(ROOT / "apps.yaml", project / "apps.yaml")
    add_stack(project, "prod-one", "gangplank:appsFile: apps.yaml\n")
    add_stack(project, "prod-two", "gangplank:appsFile: apps.yaml\n")
    found = problems_of("prod-one", project)
    assert any("app stack 'prod-two' of the same platform declares the team(s) (the whole catalogue: it has no "
               "team files) too" in p for p in found), found


SCENARIOS = {
    "gateway-api": {"gangplank:flavor": "envoy-gateway"},
    "edge-moving": {"gangplank:edges": json.dumps({"public": {"move": {"to": "ingress-nginx", "weight": 30}}})},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_split_declares_what_all_does_on_any_edge(project, monkeypatch, scenario):
    """The contract states what the app stacks need of any edge: a Gateway API edge's Gateway (their routes attach
    to it); a moving edge's next controller, its weight and weighted records (their Ingresses, second monitors and
    records follow it), as one stack of the environment would declare them."""
    from planner.mocks.serving import StackOutputs
    from planner.statemove import plan_state_moves

    monkeypatch.setenv("UPTIMEROBOT_API_KEY", "test-key")  # the `all` form deploys monitors
    api = project / "apps.d" / "api.yaml"  # Envoy Gateway limits connections per listener, not per client
    api.write_text(api.read_text(encoding="utf-8").replace(", connections: 50}", "}"), encoding="utf-8")
    platform_config = SCENARIOS[scenario]
    platform = run_program(SPLIT_PLATFORM, None, project, platform_config, stack_references={})
    references = {f"acme/gangplank/{SPLIT_PLATFORM}": StackOutputs(platform.outputs, platform.secret_outputs)}
    apps = {stack: build_plan(run_program(stack, None, project, stack_references=references))
            for stack in SPLIT_APP_STACKS}
    everything = build_plan(run_program(SPLIT_PLATFORM, None, project, {**platform_config, "gangplank:role": "all",
                                                                         "gangplank:appsFile": "apps.d"},
                                        stack_references={}))
    moves = plan_state_moves(everything, build_plan(platform), apps)
    assert moves.problems == [] and sum(moves.moved.values()) > 0
    web = apps["prod-web"]["resources"]
    if scenario == "gateway-api":
        routes = [r for r in web if r["type"] == "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"]
        gateways = {edge["gateway"]["name"] for edge in platform.outputs["contract"]["edges"].values()}
        assert routes and all(ref["name"] in gateways for r in routes for ref in r["inputs"]["spec"]["parentRefs"])
    else:
        assert {"shop-monitor", "shop-monitor-ingress-nginx"} <= {r["name"] for r in web}
