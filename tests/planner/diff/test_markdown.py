"""The diff as reviewers read it: golden files, counts that agree, 100 columns, secrets, cut values, the chart.

The golden files in tests/planner/golden/ are rendered from a hand-written pair of plans
(tests/planner/goldens.py says what the pair holds and how to regenerate them after an intended
change: `python -m tests.planner.goldens`; review the golden diff like code).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planner.diff import (
    SECRET,
    PlanDiff,
    Route,
    changed_paths,
    diff_as_json,
    diff_plans,
    mermaid_flowchart,
    render_diff_markdown,
)
from planner.diff import markdown as markdown_module
from planner.diff import mermaid as mermaid_module
from planner.diff.layout import around_difference, wrap
from planner.render import render_json
from tests.conftest import ROOT
from tests.planner.diff.conftest import width_problems
from tests.planner.goldens import CONFIG, GOLDEN, INPUTS, load_plan, render_goldens


@pytest.fixture
def base() -> dict[str, Any]:
    return load_plan("base.json")


@pytest.fixture
def head() -> dict[str, Any]:
    return load_plan("head.json")


@pytest.fixture
def golden_diff(base: dict[str, Any], head: dict[str, Any]) -> PlanDiff:
    return diff_plans(base, head, CONFIG)


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


# -- counts, risks, layout -------------------------------------------------------------------


def test_counts_agree_in_heading_table_and_rollout(golden_diff: PlanDiff) -> None:
    markdown = (GOLDEN / "diff.md").read_text(encoding="utf-8")
    counts = golden_diff.op_counts()
    words = f"{counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, " \
            f"{counts['delete']} to delete"
    assert f"Resources: {words}." in markdown
    assert f"Of this change's steps ({words})" in " ".join(markdown.split())  # blocked: see test_changes
    totals = next(line for line in markdown.splitlines() if line.startswith("| all types |"))
    assert totals == f"| all types | {counts['create']} | {counts['update']} | {counts['replace']} | " \
                     f"{counts['delete']} |"
    rollout = json.loads((GOLDEN / "diff.json").read_text(encoding="utf-8"))["rollout"]
    assert [len(rollout[key]) for key in ("created", "updated", "replaced", "deleted")] == \
        [counts[op] for op in ("create", "update", "replace", "delete")]


def test_the_heads_warnings_are_grouped_by_kind_under_their_own_headings() -> None:
    """Each kind of warning gets its block; `<...>` in prose is escaped, inside a code span it stays as typed."""
    head = {"stack": "dev", "apps": [], "resources": [], "warnings": [
        {"kind": "uptimerobotApiKey", "message": "no key: `pulumi config set --secret k <key>` before <up>"},
        {"kind": "capacity", "message": "zone dev.example.com: 14 record sets, near 14"},
        {"kind": "retirement", "message": "the ingress-nginx flavor is retired upstream"},
        {"kind": "capacity", "message": "edge public: 8 Ingresses, past 5"},
        {"kind": "chartVersion", "message": "chart nginx-ingress 2.7.0 is not 2.6.4"},
        {"kind": "future", "message": "something new"},
        {"message": "a warning of a plan from before warnings had a kind"}]}
    markdown = render_diff_markdown(diff_plans(head, head))
    assert markdown == "\n".join([
        "No changes to stack `dev`.", "",
        "> [!CAUTION]", "> **The stack is near or past a capacity limit (`gangplank:limits`):**", ">",
        "> - zone dev.example.com: 14 record sets, near 14", "> - edge public: 8 Ingresses, past 5",
        "> - a warning of a plan from before warnings had a kind", "",
        "> [!WARNING]", "> **The stack runs a controller flavor that is retired upstream:**", ">",
        "> - the ingress-nginx flavor is retired upstream", "",
        "> [!WARNING]", "> **A controller chart version other than the one gangplank checks:**", ">",
        "> - chart nginx-ingress 2.7.0 is not 2.6.4", "",
        "> [!WARNING]", "> **`pulumi up` will need an UptimeRobot API key:**", ">",
        "> - no key: `pulumi config set --secret k <key>` before &lt;up&gt;", "",
        "> [!WARNING]", "> **The stack passes with a warning (`future`):**", ">",
        "> - something new", ""])


def test_every_line_fits_in_100_columns_unless_wide(golden_diff: PlanDiff) -> None:
    assert width_problems((GOLDEN / "diff.md").read_text(encoding="utf-8")) == []
    wide = render_diff_markdown(golden_diff, width=None)
    assert width_problems(wide) != [] and "`admin-record`" in wide


def test_risks_come_first_in_alerts_by_group(golden_diff: PlanDiff) -> None:
    lines = render_diff_markdown(golden_diff).splitlines()
    alerts = [line for line in lines if line.startswith("> [!")]
    assert alerts == ["> [!CAUTION]", "> [!WARNING]", "> [!WARNING]"]
    start = lines.index("> [!CAUTION]")
    block = lines[start:lines.index("", start)]
    assert all(line.startswith(">") for line in block)
    assert block[1] == "> **Replaced or deleted by `pulumi up`, and what it means (7):**"
    assert lines.index("> [!CAUTION]") < lines.index("#### Apps")


def test_a_blocked_change_says_so_under_its_heading(golden_diff: PlanDiff) -> None:
    blocked = render_diff_markdown(golden_diff, blocked=2).splitlines()
    assert blocked[4].startswith("**BLOCKED**: `pulumi up` cannot complete this change as planned (2 blockers")


def test_secret_app_fields_never_show_their_other_value(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    base = copy.deepcopy(base)
    base["apps"][0]["token"] = "hunter2-in-the-base"
    head["apps"][0]["token"] = SECRET
    markdown = render_diff_markdown(diff_plans(base, head))
    assert "`token`: `[secret]` → `[secret]`" in markdown and "hunter2" not in markdown


def test_a_kubernetes_secret_never_shows_its_contents(base: dict[str, Any]) -> None:
    """Even when a plan holds them in plain text (an older planner, a bug): the change shows, the value never."""
    head = copy.deepcopy(base)
    secret = next(r for r in head["resources"] if r["name"] == "admin-htpasswd")
    secret["inputs"]["data"]["htpasswd"] = "alice:$2b$10$leaked"
    diff = diff_plans(base, head)
    markdown, as_json = render_diff_markdown(diff), render_json(diff_as_json(diff))
    assert "`data.htpasswd`: `[secret]` → `[secret]`" in markdown
    assert "leaked" not in markdown and "leaked" not in as_json
    removed = diff_plans(head, {**head, "resources": [r for r in head["resources"] if r["name"] != "admin-htpasswd"]})
    assert removed.resources[0].base_inputs["data"] == SECRET
    assert "leaked" not in render_json(diff_as_json(removed))


@pytest.mark.parametrize(("old", "new", "shown"), [
    ("hunter2", SECRET, (SECRET, SECRET)),
    (SECRET, "hunter2", (SECRET, SECRET)),
    ({"user": "alice", "password": "hunter2"}, {"user": "alice", "password": SECRET}, (SECRET, SECRET)),
    (None, SECRET, (None, SECRET)),
])
def test_an_input_secret_on_either_side_is_secret_on_both(base: dict[str, Any], old: Any, new: Any,
                                                          shown: tuple[Any, Any]) -> None:
    before, after = copy.deepcopy(base), copy.deepcopy(base)
    next(r for r in before["resources"] if r["name"] == "shop-monitor")["inputs"]["keyword_value"] = old
    next(r for r in after["resources"] if r["name"] == "shop-monitor")["inputs"]["keyword_value"] = new
    diff = diff_plans(before, after)
    [monitor] = diff.steps
    assert {(c.old, c.new) for c in monitor.input_changes} == {shown}
    assert "hunter2" not in render_diff_markdown(diff) + render_json(diff_as_json(diff))


def test_a_list_that_gains_an_item_masks_the_secret_item_only(base: dict[str, Any]) -> None:
    """Index by index: the secret item is `[secret]` on both sides, the item the list gains shows."""
    before, after = copy.deepcopy(base), copy.deepcopy(base)
    next(r for r in before["resources"] if r["name"] == "shop-monitor")["inputs"]["keyword_value"] = ["hunter2"]
    next(r for r in after["resources"] if r["name"] == "shop-monitor")["inputs"]["keyword_value"] = [SECRET, "x"]
    diff = diff_plans(before, after)
    [monitor] = diff.steps
    assert [(c.field, c.old, c.new) for c in monitor.input_changes] == [
        ("keyword_value[0]", SECRET, SECRET), ("keyword_value[1]", None, "x")]
    assert "hunter2" not in render_diff_markdown(diff) + render_json(diff_as_json(diff))


def test_long_values_are_cut_where_they_differ(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    old_value = "x" * 150 + "-old-end" + "y" * 150
    next(r for r in base["resources"] if r["name"] == "shop-record")["inputs"]["type"] = old_value
    next(r for r in head["resources"] if r["name"] == "shop-record")["inputs"]["type"] = \
        "x" * 150 + "-new-end" + "y" * 150
    markdown = render_diff_markdown(diff_plans(base, head))
    assert width_problems(markdown) == []
    section = markdown[markdown.index("- `shop-record`"):]
    assert "-old-end" in section and "-new-end" in section  # the difference is in view
    assert "x" * 100 not in section and "y" * 100 not in section  # the common start and end are cut
    [change] = diff_as_json(diff_plans(base, head))["resources"][0]["inputs"]
    assert change["old"] == old_value  # JSON keeps whole values


def test_around_difference_keeps_short_values_and_cuts_both_ends() -> None:
    assert around_difference("a", "b", 20) == ("a", "b")
    old, new = around_difference("p" * 50 + "OLD" + "s" * 50, "p" * 50 + "NEW" + "s" * 50, 30)
    assert old.startswith("…") and old.endswith("…") and "OLD" in old and len(old) <= 30
    assert new.startswith("…") and "NEW" in new


def test_values_cannot_break_the_markdown_or_mention_anyone(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["apps"][0]["dashboardGroup"] = "a|b `c`\n@platform-team " + "x" * 200
    markdown = render_diff_markdown(diff_plans(base, head))
    line = next(line for line in markdown.splitlines() if "dashboardGroup" in line or "a\\|b" in line
                or "platform-team" in line)
    assert "`` " in markdown and "@platform-team" not in markdown.replace("`` a\\|b `c` @platform-team", "")
    assert "x" * 100 not in markdown and len(line) <= 100


def test_wrap_never_breaks_a_code_span() -> None:
    text = "the value `a b c d e f g h` and more words " * 5
    for line in wrap(text, first="> - ", rest=">   ", width=40):
        assert line.count("`") % 2 == 0 and len(line) <= 40


def test_long_diffs_are_capped(base: dict[str, Any]) -> None:
    head = copy.deepcopy(base)
    head["resources"] += [{"type": "t:m:R", "name": f"r{i:03}", "id": f"r{i}", "inputs": {}} for i in range(100)]
    markdown = render_diff_markdown(diff_plans(base, head))
    assert f"- … and {100 - markdown_module.MAX_RESOURCE_ROWS} more" in markdown
    assert "| `t:m:R` | 100 | 0 | 0 | 0 |" in markdown


@pytest.mark.parametrize(("old", "new", "paths"), [
    ({"a": 1}, {"a": 1}, []),
    ({"a": {"b": {"c": {"d": 1}}}}, {"a": {"b": {"c": {"d": 2}}}}, ["a.b.c.d"]),
    ({"spec": {"rules": [1]}}, {"spec": {"rules": [2]}}, ["spec.rules[0]"]),
    ({"spec": {"rules": [1]}}, {"spec": {"rules": [1, 2]}}, ["spec.rules[1]"]),
    ({"r": [{"h": "a", "p": [{"v": 1}]}]}, {"r": [{"h": "a", "p": [{"v": 1}]}, {"h": "b", "p": [{"v": 2}]}]},
     ["r[1].h", "r[1].p[0].v"]),
    ({"r": [1, {"h": "b"}]}, {"r": [1]}, ["r[1].h"]),
    ({"m": None}, {"m": {"a": 1, "b": {}}}, ["m.a", "m.b"]),
    ({"m": {"nginx.org/x": "1"}}, {"m": {"nginx.org/x": "2", "y": 1}}, ['m["nginx.org/x"]', "m.y"]),
    ({"a": 1}, {"b": 1}, ["a", "b"]),
    ({"n": 300}, {"n": 300.0}, []),
    ("x", "y", ["(all)"]),
])
def test_changed_paths(old: Any, new: Any, paths: list[str]) -> None:
    assert changed_paths(old, new) == paths


def test_json_diff(golden_diff: PlanDiff) -> None:
    data = json.loads(render_json(diff_as_json(golden_diff)))
    assert (data["kind"], data["formatVersion"]) == ("diff", 2)
    assert data["counts"] == {"apps": {"added": 1, "changed": 4, "removed": 1},
                              "resources": {"create": 4, "import": 0, "update": 6, "replace": 2, "delete": 6}}
    resources = {r["name"]: r for r in data["resources"]}
    assert resources["grafana-ingress"]["step"] == "replace" and resources["grafana-ingress"]["deleteFirst"] is False
    assert resources["grafana-ingress"]["inputs"] == [
        {"path": "metadata.namespace", "old": "monitoring", "new": "observability", "replaces": True}]
    assert resources["platform-private-zone"]["unprotected"] is True
    assert resources["blog-record"]["new"]["zoneId"] == "[output of aws:route53/zone:Zone::platform-public-zone]"
    assert {"replace", "exposure", "review"} <= {r["group"] for r in data["risks"]}


# -- Mermaid ------------------------------------------------------------------------------

MERMAID_KEYWORDS = {"end", "graph", "flowchart", "subgraph", "class", "classdef", "style", "linkstyle",
                    "click", "default", "direction", "call", "href"}
NODE_ID = r"[A-Za-z][A-Za-z0-9_]*"
NODE = re.compile(rf'^  ({NODE_ID})\["([^"\[\]]*)"\]$')
EDGE = re.compile(rf"^  ({NODE_ID}) (-->|-\.->) ({NODE_ID})$")
CLASS = re.compile(r"^  class ([A-Za-z0-9_,]+) (added|changed|removed)$")
CLASS_DEF = re.compile(r"^  classDef (added|changed|removed) [a-z-]+:[^,;]+(,[a-z-]+:[^,;]+)*$")


def mermaid_problems(markdown: str) -> list[str]:
    """Why the Markdown's Mermaid chart would not render; [] when it is well formed."""
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
    assert "  app_admin --> ing_nginx_private" in lines
    assert "  app_admin -.-> ing_nginx_public" in lines
    assert "  app_legacy -.-> ing_nginx_public" in lines


def test_chart_survives_hostile_names() -> None:
    routes = [Route("end", "added", 'cl"ass <b>', 'pub"lic', 'a"b.example.com', True),
              Route("a-b", "removed", "x|y", "private", "z;zone", False),
              Route("a_b", "changed", "default", "style", "graph", True),
              Route("9lives", "changed", "click", "end", "subgraph", True)]
    chart = "```mermaid\n" + "\n".join(mermaid_flowchart(routes)) + "\n```\n"
    assert mermaid_problems(chart) == [] and "app_a_b_2" in chart and "#quot;" in chart


def test_chart_is_capped_and_its_class_lines_fit() -> None:
    routes = [Route(f"application-{i:02}", "added", "nginx-public", "public", "dev.example.com", True)
              for i in range(40)]
    chart = "```mermaid\n" + "\n".join(mermaid_flowchart(routes)) + "\n```\n"
    assert mermaid_problems(chart) == [] and width_problems(chart) == []
    assert f"and {40 - mermaid_module.MAX_GRAPH_APPS} more apps" in chart


def test_mermaid_checker_catches_mistakes() -> None:
    bad = '```mermaid\nflowchart LR\n  end_x["a"]\n  a --> b\n  c["say "hi""]\n```\n'
    assert len(mermaid_problems(bad)) == 4


def test_a_changed_path_longer_than_the_line_keeps_its_end_within_100_columns(base: dict[str, Any]) -> None:
    """An annotation's key can be longer than the line: the path keeps what names the change (its end), and
    `--wide` shows it whole."""
    head = copy.deepcopy(base)
    key = "service.beta.kubernetes.io/aws-load-balancer-listener-attributes.TCP-80"
    release = next(r for r in head["resources"] if r["type"] == "kubernetes:helm.sh/v3:Release")
    release["inputs"]["values"]["controller"].setdefault("service", {}).setdefault("annotations", {})[key] = "350"
    diff = diff_plans(base, head)
    text = render_diff_markdown(diff)
    assert width_problems(text) == []
    assert any(line.strip().endswith('listener-attributes.TCP-80"]`:') and "…" in line for line in text.splitlines())
    assert f'annotations["{key}"]' in render_diff_markdown(diff, width=None)
