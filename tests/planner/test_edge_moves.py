"""Which step each edge is at and what the next one changes: in the plan table, the PR diff and `--rollout`."""

from __future__ import annotations

from typing import Any

import pytest

from planner.diff import diff_as_json, diff_plans, render_diff_markdown
from planner.edge_moves import edge_moves, move_risks, moving
from planner.render import render_markdown, render_table
from planner.rollout import render_rollout_table, rollout_report
from planner.run import build_plan
from tests.conftest import MOVE_FROM, MOVE_STEPS, MOVE_TO


@pytest.fixture(scope="module")
def plans(move_runs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step: build_plan(run) for step, run in move_runs.items()}


def test_each_step_reads_as_its_stage(plans):
    stages = {step: [(m.edge, m.flavor, m.to, m.weight, m.stage) for m in edge_moves(plans[step])]
              for step in MOVE_STEPS}
    private = ("private", MOVE_FROM, None, None, "steady")
    labs = ("labs", "envoy-gateway", None, None, "steady")  # dev's own edge of another flavor: it stays
    assert stages == {
        "before": [("public", MOVE_FROM, None, None, "steady"), private, labs],
        "start": [("public", MOVE_FROM, MOVE_TO, 0, "start"), private, labs],
        "half": [("public", MOVE_FROM, MOVE_TO, 50, "shift"), private, labs],
        "all": [("public", MOVE_FROM, MOVE_TO, 100, "all"), private, labs],
        "done": [("public", MOVE_TO, None, None, "steady"), private, labs],
    }
    [start] = moving(plans["start"])
    assert "raise gangplank:edges.public.move.weight" in start.next_step()
    [last] = moving(plans["all"])
    assert last.next_step().startswith("next: set gangplank:edges.public.flavor to nginx-inc and remove its move")


def test_old_plans_without_per_edge_flavors_have_no_moves():
    assert edge_moves({"outputs": {"platform": {"edges": {"public": {"visibility": "public"}}}}}) == []
    assert move_risks({}, {"resources": []}) == []


@pytest.mark.parametrize("base, head, says", [
    ("before", "start", "Edge `public` starts moving `ingress-nginx` → `nginx-inc` at weight 0"),
    ("start", "half", "Edge `public` shifts traffic to `nginx-inc`: weight 0 → 50"),
    ("all", "done", "Edge `public` finishes its move to `nginx-inc`"),
    ("half", "done", "Its weight was 50, not 100: clients whose resolvers still hold `ingress-nginx`'s addresses"),
    ("half", "before", "abandons its move to `nginx-inc`"),
    ("before", "done", "switches `ingress-nginx` → `nginx-inc` in one step"),
    ("before", "half", "The new NLB takes 50% of new connections at once: start at 0"),
])
def test_the_diff_says_what_a_step_of_the_move_does(plans, base, head, says):
    diff = diff_plans(plans[base], plans[head])
    moves = [risk.message for risk in diff.risks if risk.kind == "move"]
    assert len(moves) == 1 and says in moves[0], moves
    assert diff.risks[0].kind == "move"  # first: it explains the rest of the change
    markdown = render_diff_markdown(diff)
    # The comment wraps at 100 columns, risk lines inside a `> ` block: read it as one text.
    assert says in " ".join(line.lstrip("> ").strip() for line in markdown.splitlines())
    if head in ("start", "half", "all"):
        assert "**Edges moving to another flavor:**" in markdown
        assert diff_as_json(diff)["moves"] == [next(line for line in diff.moves)]
    else:
        assert "moves" not in diff_as_json(diff)


def test_a_finished_move_with_the_full_weight_warns_of_nothing_more(plans):
    [message] = [risk.message for risk in diff_plans(plans["all"], plans["done"]).risks if risk.kind == "move"]
    assert "not 100" not in message


def test_the_table_shows_the_step_and_the_next_one_in_100_columns(plans):
    table = render_table(plans["half"])
    assert "moving to nginx-inc, whose NLB is" in table
    assert "weight 50: 50% of new connections go to nginx-inc's" in table
    assert "next: raise gangplank:edges.public.move.weight towards 100" in table
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "moving" not in render_table(plans["before"]) and "moving" not in render_table(plans["done"])
    # An edge whose flavor is not the stack's says so beside its class.
    assert "  public   class nginx-public-nginx-inc (nginx-inc), public zone" in render_table(plans["done"])
    assert "class nginx-private, private zone" in render_table(plans["done"])
    assert "- Edge public: moving ingress-nginx → nginx-inc, weight 50" in render_markdown(plans["half"])


def test_rollout_reports_each_moving_edge(plans):
    report = rollout_report(plans["start"], {}, {})
    assert [(m["edge"], m["stage"], m["to"], m["weight"]) for m in report["edgeMoves"]] == [
        ("public", "start", "nginx-inc", 0)]
    table = render_rollout_table(report)
    assert "Edges moving to another flavor (each step is one `pulumi up`):" in table
    assert max(len(line) for line in table[table.index("Edges moving"):].split("\n\n")[0].splitlines()) <= 100
    assert "edgeMoves" not in rollout_report(plans["done"], {}, {})
