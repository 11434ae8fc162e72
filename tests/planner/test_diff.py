"""planner.diff: what a change does to a stack, as a pull-request comment (and as JSON).

The golden files in tests/planner/golden/ are rendered from a hand-written pair of plans
(tests/planner/goldens.py says what the pair holds and how to regenerate them after an
intended change: `python -m tests.planner.goldens`; review the golden diff like code).
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planner import diff as diff_module
from planner.diff import (
    MONITOR_TYPE,
    SECRET,
    PlanDiff,
    Route,
    changed_paths,
    diff_as_json,
    diff_plans,
    mermaid_flowchart,
    render_diff_markdown,
)
from planner.render import render_json
from tests.conftest import ROOT
from tests.planner.goldens import GOLDEN, INPUTS, load_plan, render_goldens


@pytest.fixture
def base() -> dict[str, Any]:
    return load_plan("base.json")


@pytest.fixture
def head() -> dict[str, Any]:
    return load_plan("head.json")


@pytest.fixture
def golden_diff(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    return diff_plans(base, head)


# -- golden --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(render_goldens()))
def test_golden_file(name: str) -> None:
    path = GOLDEN / name
    assert path.exists(), f"{path} is missing: run `python -m tests.planner.goldens`"
    assert render_goldens()[name] == path.read_text(encoding="utf-8"), (
        f"{name} differs; if the change is intended, run `python -m tests.planner.goldens` and review the diff")


def test_regenerating_the_goldens_gives_the_same_bytes(tmp_path: Path) -> None:
    """The documented command, in a fresh process with another hash seed, writes exactly the committed files."""
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    done = subprocess.run([sys.executable, "-m", "tests.planner.goldens", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    written = sorted(path.name for path in tmp_path.iterdir())
    committed = sorted(path.name for path in GOLDEN.iterdir() if path.name not in INPUTS)
    assert written == committed, "every golden file comes from the generator, and nothing else is in golden/"
    for name in written:
        assert (tmp_path / name).read_bytes() == (GOLDEN / name).read_bytes(), name


def test_empty_diff_is_one_line(base: dict[str, Any]) -> None:
    assert render_diff_markdown(diff_plans(base, base)) == "No changes to stack `dev`.\n"


# -- what the diff finds -------------------------------------------------------------------


def test_apps_added_changed_removed(golden_diff: PlanDiff) -> None:
    assert [(a.name, a.kind) for a in golden_diff.apps] == [
        ("blog", "added"), ("admin", "changed"), ("docs", "changed"), ("shop", "changed"), ("legacy", "removed")]
    admin = golden_diff.apps[1]
    fields = {c.field: (c.old, c.new) for c in admin.changes}
    assert fields["visibility"] == ("public", "private")
    assert fields["host"] == ("admin.dev.example.com", "admin.internal.dev.example.com")
    assert "name" not in fields


def test_a_monitor_interval_change_is_an_app_change_with_both_values(golden_diff: PlanDiff) -> None:
    shop = next(a for a in golden_diff.apps if a.name == "shop")
    assert [(c.field, c.old, c.new) for c in shop.changes] == [("monitor.interval", 1800, 300)]
    assert shop.resources == ("shop-ingress", "shop-monitor")
    markdown = render_diff_markdown(golden_diff)
    assert "Apps: 1 added, 3 changed, 1 removed." in markdown
    assert "`monitor.interval`: `1800` → `300`<br>its resources: `shop-ingress`, `shop-monitor`" in markdown
    assert "| `shop-monitor` | changed | `pulumi-python:dynamic/uptimerobot:Monitor` | `ExposedApp::shop` | " \
           "`interval`: `1800` → `300` |" in markdown


def test_a_field_only_one_planner_knows_is_not_a_change(base: dict[str, Any]) -> None:
    """A base planned before the inventory had `monitor`, `protections`...: no app changes for that alone."""
    old = copy.deepcopy(base)
    for app in old["apps"]:
        for field in ("monitor", "monitorSkipped", "protections", "backend", "edges", "hosts"):
            del app[field]
    assert diff_plans(old, base).apps == ()


def test_an_app_changes_when_its_own_resources_do(base: dict[str, Any]) -> None:
    """An allow-list's CIDRs can change while the app's summary fields stay the same."""
    head = copy.deepcopy(base)
    ingress = next(r for r in head["resources"] if r["name"] == "shop-ingress")
    ingress["inputs"]["metadata"]["annotations"]["nginx.org/server-snippets"] = "allow 203.0.113.0/24;"
    [shop] = diff_plans(base, head).apps
    assert (shop.name, shop.kind, shop.changes, shop.resources) == ("shop", "changed", (), ("shop-ingress",))
    # A resource of another component (a platform part) is no app's own.
    head = copy.deepcopy(base)
    next(r for r in head["resources"] if r["name"] == "platform-public-sg")["inputs"]["description"] = "x"
    assert diff_plans(base, head).apps == ()


def test_resource_counts_by_type(golden_diff: PlanDiff) -> None:
    counts = {type_: (a, c, r) for type_, a, c, r in golden_diff.resource_counts()}
    assert counts[MONITOR_TYPE] == (1, 1, 3)
    assert counts["aws:route53/zone:Zone"] == (0, 1, 0)
    assert counts["kubernetes:networking.k8s.io/v1:Ingress"] == (1, 2, 1)
    assert "kubernetes:core/v1:Secret" not in counts  # "[secret]" on both sides: no change


def test_changed_resources_name_the_input_keys(golden_diff: PlanDiff) -> None:
    changed = {r.name: r for r in golden_diff.resources_of("changed")}
    assert changed["shop-ingress"].changed_inputs == ('metadata.annotations["nginx.org/server-snippets"]',)
    assert changed["platform-public-release"].changed_inputs == ("values.controller.replicaCount",)
    assert changed["platform-private-zone"].changed_inputs == ("tags.team",)
    assert changed["platform-private-zone"].changed_options == ("protect",)
    assert changed["platform-private-zone"].unprotected


def test_every_kind_of_risk_is_flagged(golden_diff: PlanDiff) -> None:
    risks = {(r.kind, r.subject) for r in golden_diff.risks}
    assert {("visibility", "admin"), ("route", "admin"), ("monitor", "admin"), ("monitor", "docs"),
            ("monitor", "legacy"), ("zone", "platform-private-zone"), ("controller", "platform-public"),
            ("protect", "platform-private-zone")} <= risks
    # The monitors of admin, docs and legacy are already covered by their apps' lines.
    assert not {subject for kind, subject in risks if kind == "monitor"} & {"admin-monitor", "docs-monitor"}


def test_a_monitor_removed_alone_is_flagged(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["resources"] = [r for r in head["resources"] if r["name"] != "shop-monitor"]
    diff = diff_plans(base, head)
    assert [(r.kind, r.subject) for r in diff.risks] == [("monitor", "shop-monitor")]
    assert "Uptime monitor `shop-monitor`" in render_diff_markdown(diff)


def test_protected_resource_removed_is_flagged(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["resources"] = [r for r in head["resources"] if r["name"] != "platform-public-zone"]
    risks = {(r.kind, r.subject) for r in diff_plans(base, head).risks}
    assert risks == {("zone", "platform-public-zone"), ("protect", "platform-public-zone")}


def test_a_resource_moving_to_another_parent_is_flagged(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    record = next(r for r in head["resources"] if r["name"] == "shop-record")
    record["parent"] = "gangplank:apps:Host::shop.dev.example.com"  # another parent type: another URN
    diff = diff_plans(base, head)
    assert diff.resources[0].changed_options == ("parent",)
    assert [r.kind for r in diff.risks] == ["parent"]
    assert "unless an alias is declared" in render_diff_markdown(diff)


def test_twins_under_different_parents_pair_up(base: dict[str, Any]) -> None:
    """Pulumi allows one type+name under two parents: each twin must be compared with its own."""
    twin = copy.deepcopy(next(r for r in base["resources"] if r["name"] == "shop-record"))
    twin["parent"] = "gangplank:apps:ExposedApp::other"
    base = {**base, "resources": [*base["resources"], twin]}
    head = copy.deepcopy(base)
    head["resources"][-1]["inputs"]["name"] = "other.dev.example.com"
    [changed] = diff_plans(base, head).resources
    assert (changed.name, changed.parent, changed.changed_inputs) == (
        "shop-record", "gangplank:apps:ExposedApp::other", ("name",))


def test_a_base_without_planner_diffs_as_empty(head: dict[str, Any]) -> None:
    """What the PR workflow feeds in when the base branch has no planner yet."""
    diff = diff_plans({"stack": "dev", "apps": [], "resources": []}, head)
    assert {a.kind for a in diff.apps} == {"added"}
    assert len(diff.resources_of("added")) == len(head["resources"])
    assert not diff.resources_of("removed") and not diff.resources_of("changed")
    # A whole new controller is one warning line, not one per part.
    controllers = [r.message for r in diff.risks if r.kind == "controller"]
    assert controllers == ["Ingress controller `platform-private` is added (2 resources).",
                           "Ingress controller `platform-public` is added (2 resources)."]


def test_any_part_of_a_controller_counts(base: dict[str, Any]) -> None:
    """An allow-list rule is not a Helm release or a security group, but it decides who reaches the NLB."""
    rule = {"type": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "name": "platform-private-sg-in-443",
            "parent": "gangplank:platform:IngressController::platform-private", "inputs": {"cidrIpv4": "10.0.0.0/8"}}
    diff = diff_plans({**base, "resources": [*base["resources"], rule]}, base)
    assert [r.message for r in diff.risks] == [
        "Ingress controller `platform-private`: `platform-private-sg-in-443` removed. Every app behind it is affected."]


def test_missing_keys_are_tolerated() -> None:
    """Plans from an older planner may lack parent, options, id or app fields."""
    base = {"stack": "dev", "resources": [{"type": "t:m:R", "name": "a"}]}
    head = {"stack": "dev", "apps": [{"name": "x"}], "resources": [{"type": "t:m:R", "name": "a", "inputs": {"k": 1}}]}
    diff = diff_plans(base, head)
    assert [(r.name, r.kind, r.changed_inputs) for r in diff.resources] == [("a", "changed", ("k",))]
    assert "`x` | added" in render_diff_markdown(diff)


def test_a_head_in_memory_compares_equal_to_its_json(head: dict[str, Any]) -> None:
    """The CLI diffs a base read from JSON against a head built in memory (tuples, floats...)."""
    in_memory = copy.deepcopy(head)
    in_memory["resources"][0]["inputs"] = {"list": (1, 2), "n": 300.0}
    from_file = json.loads(json.dumps(in_memory))
    assert diff_plans(from_file, in_memory).is_empty


def test_output_does_not_depend_on_order(base: dict[str, Any], head: dict[str, Any]) -> None:
    shuffled = copy.deepcopy(head)
    rng = random.Random(5)
    rng.shuffle(shuffled["apps"])
    rng.shuffle(shuffled["resources"])
    assert render_diff_markdown(diff_plans(base, shuffled)) == render_diff_markdown(diff_plans(base, head))


def test_json_diff(golden_diff: PlanDiff) -> None:
    data = json.loads(render_json(diff_as_json(golden_diff)))
    assert data["counts"] == {"apps": {"added": 1, "changed": 3, "removed": 1},
                              "resources": {"added": 4, "changed": 7, "removed": 6}}
    apps = {app["name"]: app for app in data["apps"]}
    assert apps["blog"]["change"] == "added" and apps["blog"]["new"]["url"] == "https://blog.dev.example.com/"
    assert apps["legacy"]["change"] == "removed" and apps["legacy"]["old"]["monitored"] is True
    assert {"field": "monitor.interval", "old": 1800, "new": 300} in apps["shop"]["changes"]
    resources = {r["name"]: r for r in data["resources"]}
    assert resources["platform-public-release"]["inputs"] == [
        {"path": "values.controller.replicaCount", "old": 1, "new": 2}]
    assert resources["platform-private-zone"]["options"] == [{"option": "protect", "old": True, "new": None}]
    assert resources["platform-private-zone"]["unprotected"] is True
    assert resources["blog-monitor"]["new"]["friendly_name"] == "dev blog"
    assert {"visibility", "route", "monitor", "zone", "controller", "protect"} <= {r["kind"] for r in data["risks"]}


def test_json_diff_does_not_depend_on_order(base: dict[str, Any], head: dict[str, Any]) -> None:
    shuffled = copy.deepcopy(head)
    rng = random.Random(7)
    rng.shuffle(shuffled["apps"])
    rng.shuffle(shuffled["resources"])
    assert render_json(diff_as_json(diff_plans(base, shuffled))) == render_json(diff_as_json(diff_plans(base, head)))


def test_other_base_stack_is_named(base: dict[str, Any], head: dict[str, Any]) -> None:
    assert "### Stack `dev` (compared with stack `prod`)" in render_diff_markdown(
        diff_plans({**base, "stack": "prod"}, head))


@pytest.mark.parametrize(("old", "new", "paths"), [
    ({"a": 1}, {"a": 1}, []),
    ({"a": {"b": {"c": {"d": 1}}}}, {"a": {"b": {"c": {"d": 2}}}}, ["a.b.c"]),
    ({"spec": {"rules": [1]}}, {"spec": {"rules": [2]}}, ["spec.rules"]),
    ({"m": {"nginx.org/x": "1"}}, {"m": {"nginx.org/x": "2", "y": 1}}, ['m["nginx.org/x"]', "m.y"]),
    ({"a": 1}, {"b": 1}, ["a", "b"]),
    ("x", "y", ["(all)"]),
])
def test_changed_paths(old: Any, new: Any, paths: list[str]) -> None:
    assert changed_paths(old, new) == paths


# -- what the renderer prints ---------------------------------------------------------------


def test_secret_app_fields_never_show_their_other_value(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    base = copy.deepcopy(base)
    base["apps"][0]["token"] = "hunter2-in-the-base"
    head["apps"][0]["token"] = SECRET
    markdown = render_diff_markdown(diff_plans(base, head))
    assert "`token`: `[secret]` → `[secret]`" in markdown
    assert "hunter2" not in markdown


def test_changed_inputs_show_both_values(golden_diff: PlanDiff) -> None:
    markdown = render_diff_markdown(golden_diff)
    assert "`values.controller.replicaCount`: `1` → `2`" in markdown
    assert "`tags.team`: _(none)_ → `platform`<br>`option protect`: `true` → _(none)_" in markdown
    zone = next(r for r in golden_diff.resources if r.name == "platform-private-zone")
    assert [(c.field, c.old, c.new) for c in zone.option_changes] == [("protect", True, None)]


def test_a_kubernetes_secret_never_shows_its_contents(base: dict[str, Any]) -> None:
    """Even when a plan holds them in plain text (an older planner, a bug): the change shows, the value never."""
    head = copy.deepcopy(base)
    secret = next(r for r in head["resources"] if r["name"] == "admin-htpasswd")
    secret["inputs"]["data"]["htpasswd"] = "alice:$2b$10$leaked"
    diff = diff_plans(base, head)
    markdown, as_json = render_diff_markdown(diff), render_json(diff_as_json(diff))
    assert "`data.htpasswd`: `[secret]` → `[secret]`" in markdown
    assert "leaked" not in markdown and "leaked" not in as_json
    # Added or removed whole, its contents are hidden too.
    removed = diff_plans(head, {**head, "resources": [r for r in head["resources"] if r["name"] != "admin-htpasswd"]})
    assert removed.resources[0].base_inputs["data"] == SECRET
    assert "leaked" not in render_json(diff_as_json(removed))


@pytest.mark.parametrize(("old", "new"), [
    ("hunter2", SECRET),
    (SECRET, "hunter2"),
    ({"user": "alice", "password": "hunter2"}, {"user": "alice", "password": SECRET}),
    (["hunter2"], [SECRET, "x"]),
])
def test_an_input_secret_on_either_side_is_secret_on_both(base: dict[str, Any], old: Any, new: Any) -> None:
    before, after = copy.deepcopy(base), copy.deepcopy(base)
    next(r for r in before["resources"] if r["name"] == "shop-monitor")["inputs"]["tags"] = old
    next(r for r in after["resources"] if r["name"] == "shop-monitor")["inputs"]["tags"] = new
    diff = diff_plans(before, after)
    [monitor] = diff.resources
    assert monitor.input_changes and {(c.old, c.new) for c in monitor.input_changes} == {(SECRET, SECRET)}
    assert "hunter2" not in render_diff_markdown(diff) + render_json(diff_as_json(diff))


def test_long_values_are_cut_where_they_differ(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    record = next(r for r in head["resources"] if r["name"] == "shop-record")
    old_value = "x" * 150 + "-old-end"
    next(r for r in base["resources"] if r["name"] == "shop-record")["inputs"]["name"] = old_value
    record["inputs"]["name"] = "x" * 150 + "-new-end"
    markdown = render_diff_markdown(diff_plans(base, head))
    row = next(line for line in markdown.splitlines() if line.startswith("| `shop-record`"))
    assert "-old-end" in row and "-new-end" in row  # the difference is in view
    assert "x" * 100 not in row  # and the common start is cut
    # JSON keeps whole values.
    [change] = diff_as_json(diff_plans(base, head))["resources"][0]["inputs"]
    assert change == {"path": "name", "old": old_value, "new": "x" * 150 + "-new-end"}


def test_values_cannot_break_the_table_or_mention_anyone(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["apps"][0]["dashboardGroup"] = "a|b `c`\n@platform-team " + "x" * 200
    markdown = render_diff_markdown(diff_plans(base, head))
    row = next(line for line in markdown.splitlines() if line.startswith("| `shop`"))
    assert row.count(" | ") == 4, row  # five cells: the `|` in the value is escaped
    assert "`` a\\|b `c` @platform-team xxx" in row  # code span: no @-mention, no link
    assert "…" in row and "x" * 100 not in row


def test_warning_block_is_a_github_alert(golden_diff: PlanDiff) -> None:
    lines = render_diff_markdown(golden_diff).splitlines()
    start = lines.index("> [!WARNING]")
    end = lines.index("", start)
    assert all(line.startswith(">") for line in lines[start:end])
    assert len(lines[start:end]) == 3 + len(golden_diff.risks)


def test_long_diffs_are_capped(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["resources"] += [{"type": "t:m:R", "name": f"r{i:03}", "inputs": {}} for i in range(100)]
    markdown = render_diff_markdown(diff_plans(base, head))
    assert f"| … and {100 - diff_module.MAX_RESOURCE_ROWS} more |" in markdown
    assert "| `t:m:R` | 100 | 0 | 0 |" in markdown


# -- Mermaid ------------------------------------------------------------------------------

MERMAID_KEYWORDS = {"end", "graph", "flowchart", "subgraph", "class", "classdef", "style", "linkstyle",
                    "click", "default", "direction", "call", "href"}
NODE_ID = r"[A-Za-z][A-Za-z0-9_]*"
NODE = re.compile(rf'^  ({NODE_ID})\["([^"\[\]]*)"\]$')
EDGE = re.compile(rf"^  ({NODE_ID}) (-->|-\.->) ({NODE_ID})$")
CLASS = re.compile(r"^  class ([A-Za-z0-9_,]+) (added|changed|removed)$")
CLASS_DEF = re.compile(r"^  classDef (added|changed|removed) [a-z-]+:[^,;]+(,[a-z-]+:[^,;]+)*$")


def mermaid_problems(markdown: str) -> list[str]:
    """Why the Markdown's Mermaid chart would not render; [] when it is well formed.

    Checks what the renderer relies on: one closed ```mermaid fence, a `flowchart LR`
    header, one statement per line of a known form, ids that are plain words and no Mermaid
    keyword, quoted labels without quotes or brackets inside, no node declared twice, and
    every edge and class naming declared nodes.
    """
    fences = [line for line in markdown.splitlines() if line.startswith("```")]
    if len(fences) % 2:
        return ["unbalanced code fences"]
    blocks = re.findall(r"^```mermaid\n(.*?)\n```$", markdown, re.S | re.M)
    if len(blocks) != 1:
        return [f"expected one mermaid block, found {len(blocks)}"]
    lines = blocks[0].splitlines()
    problems = [] if lines[0] == "flowchart LR" else [f"header is {lines[0]!r}"]
    declared: set[str] = set()
    used: set[str] = set()
    for line in lines[1:]:
        if node := NODE.match(line):
            node_id = node.group(1)
            if node_id in declared:
                problems.append(f"{node_id} declared twice")
            if node_id.lower() in MERMAID_KEYWORDS or node_id.split("_")[0].lower() in MERMAID_KEYWORDS:
                problems.append(f"{node_id} starts with a Mermaid keyword")
            declared.add(node_id)
        elif edge := EDGE.match(line):
            used |= {edge.group(1), edge.group(3)}
        elif members := CLASS.match(line):
            used |= set(members.group(1).split(","))
        elif not CLASS_DEF.match(line):
            problems.append(f"not a statement the chart uses: {line!r}")
    problems += [f"{node_id} used but not declared" for node_id in sorted(used - declared)]
    return problems


def test_golden_chart_is_well_formed(golden_diff: PlanDiff) -> None:
    assert mermaid_problems(render_diff_markdown(golden_diff)) == []


def test_golden_chart_routes(golden_diff: PlanDiff) -> None:
    lines = mermaid_flowchart(golden_diff.routes)
    # admin now goes through the private controller; its old public route is dotted.
    assert "  app_admin --> ing_nginx_private" in lines
    assert "  app_admin -.-> ing_nginx_public" in lines
    assert "  nlb_private --> zone_internal_dev_example_com" in lines
    assert "  app_legacy -.-> ing_nginx_public" in lines  # removed
    assert "  ing_nginx_public --> nlb_public" in lines  # still used by blog and docs


def test_chart_survives_hostile_names() -> None:
    routes = [
        Route("end", "added", 'cl"ass <b>', 'pub"lic', 'a"b.example.com', True),
        Route("a-b", "removed", "x|y", "private", "z;zone", False),
        Route("a_b", "changed", "default", "style", "graph", True),
        Route("9lives", "changed", "click", "end", "subgraph", True),
    ]
    chart = "```mermaid\n" + "\n".join(mermaid_flowchart(routes)) + "\n```\n"
    assert mermaid_problems(chart) == []
    assert "app_a_b_2" in chart  # `a-b` and `a_b` sanitise alike, and still get two nodes
    assert "#quot;" in chart


def test_chart_is_capped() -> None:
    routes = [Route(f"app{i:02}", "added", "nginx-public", "public", "dev.example.com", True) for i in range(40)]
    chart = "```mermaid\n" + "\n".join(mermaid_flowchart(routes)) + "\n```\n"
    assert mermaid_problems(chart) == []
    assert f"and {40 - diff_module.MAX_GRAPH_APPS} more apps" in chart
    assert "app_app39" not in chart


def test_mermaid_checker_catches_mistakes() -> None:
    """The checker above must be able to fail."""
    bad = '```mermaid\nflowchart LR\n  end_x["a"]\n  a --> b\n  c["say "hi""]\n```\n'
    assert len(mermaid_problems(bad)) == 4


# -- with the real program -------------------------------------------------------------------


def test_real_plan_against_its_own_json_is_empty(plan_stack: Any) -> None:
    head = plan_stack("dev")
    assert render_diff_markdown(diff_plans(json.loads(json.dumps(head)), head)) == "No changes to stack `dev`.\n"


def test_cli_diff_shows_an_app_missing_from_the_base(plan_stack: Any, tmp_path: Path, capsys: Any) -> None:
    """`python -m planner --diff BASE.json`, with a base that lacks one app."""
    from planner.__main__ import main

    plan = plan_stack("dev")
    gone = plan["apps"][0]["name"]
    plan["apps"] = plan["apps"][1:]
    plan["resources"] = [r for r in plan["resources"]
                         if r["name"] != gone and not str(r.get("parent") or "").endswith(f"::{gone}")]
    base = tmp_path / "base-dev.json"
    base.write_text(json.dumps(plan), encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(base)]) == 0
    out = capsys.readouterr().out
    assert f"| `{gone}` | added |" in out
    assert mermaid_problems(out) == []


def test_real_monitor_interval_change_shows_in_apps_and_resources(plan_stack: Any, write_apps: Any) -> None:
    """docs' monitor checking every 120 s instead of 600: an app change, with both values, in view."""
    import yaml

    catalogue = yaml.safe_load((ROOT / "apps.yaml").read_text(encoding="utf-8"))
    docs = next(app for app in catalogue["apps"] if app["name"] == "docs")
    assert docs["monitor"]["interval"] == 600
    docs["monitor"]["interval"] = 120
    diff = diff_plans(plan_stack("dev"), plan_stack("dev", write_apps(yaml.safe_dump(catalogue))))
    assert [(a.name, a.kind, [(c.field, c.old, c.new) for c in a.changes]) for a in diff.apps] == [
        ("docs", "changed", [("monitor.interval", 600, 120)])]
    markdown = render_diff_markdown(diff)
    assert "Apps: 0 added, 1 changed, 0 removed." in markdown
    assert "<details open>" in markdown  # one resource: its values are in view without a click
    assert "| `docs-monitor` | changed | `pulumi-python:dynamic/uptimerobot:Monitor` | `ExposedApp::docs` | " \
           "`interval`: `600` → `120` |" in markdown


def test_the_route_chart_names_the_edge_an_app_is_served_by():
    base = {"stack": "dev", "apps": [], "resources": []}
    head = {"stack": "dev", "resources": [], "apps": [
        {"name": "api", "visibility": "public", "edges": ["partners"], "ingressClass": "nginx-partners",
         "zone": "dev.example.com", "url": "https://api.dev.example.com/"}]}
    chart = "\n".join(mermaid_flowchart(diff_plans(base, head).routes))
    assert '["partners NLB"]' in chart and '["class nginx-partners"]' in chart


@pytest.mark.parametrize("head_parent, aliases, warned", [
    ("gangplank:apps:Host::shop.dev.example.com", [], True),
    ("gangplank:apps:Host::shop.dev.example.com",
     [{"parentUrn": "urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp::shop"}], False),
    ("gangplank:apps:ExposedApp::shop-api", [], False),  # same parent type: the URN holds no parent name
])
def test_a_move_to_another_parent_is_a_risk_only_when_the_urn_changes(head_parent, aliases, warned):
    record = {"type": "aws:route53/record:Record", "name": "shop.dev.example.com-a", "inputs": {"type": "A"}}
    base = {"stack": "dev", "apps": [], "resources": [{**record, "parent": "gangplank:apps:ExposedApp::shop"}]}
    head = {"stack": "dev", "apps": [], "resources": [{**record, "parent": head_parent,
                                                       **({"options": {"aliases": aliases}} if aliases else {})}]}
    risks = [risk for risk in diff_plans(base, head).risks if risk.kind == "parent"]
    assert bool(risks) == warned
