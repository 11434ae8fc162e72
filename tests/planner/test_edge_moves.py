"""Which step each edge is at and what the next one changes: in the plan table, the PR diff and `--rollout`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.diff import diff_as_json, diff_plans, render_diff_markdown
from planner.edge_moves import edge_moves, move_risks, moving, prefix_differences, unsafe_move_changes
from planner.render import render_markdown, render_table
from planner.rollout.report import render_rollout_table, rollout_report
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
    # dev's shop-api serves `/api`: F5 (the target) also sends it `/apix`, ingress-nginx does not.
    ("before", "start", "while both serve, such a request reaches the app through one NLB and not through the other: "
                        "`shop.dev.example.com/api` (`shop-api`) takes `/apix` on `nginx-inc` only"),
    ("all", "done", "such a request now goes elsewhere"),
    ("start", "half", "Paths the two controllers match differently (1): `ingress-nginx` compares whole path "
                      "elements, a trailing `/` kept, `nginx-inc` compares a prefix as plain text; while both serve"),
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
    # (The retired flavor's warning points to the guide, docs/moving-an-edge.md: no edge reads as moving.)
    assert "moving to" not in render_table(plans["before"]) and "moving to" not in render_table(plans["done"])
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


def moved(to: str | None, weight: int | None = None, flavor: str = "nginx-inc") -> dict[str, Any]:
    """A plan's outputs as far as `edge_moves` reads them: the public edge on `flavor`, moving to `to` at `weight`."""
    move = {"move": {"to": to, "weight": weight}} if to is not None else {}
    return {"outputs": {"platform": {"edges": {"public": {"flavor": flavor, **move}}}}}


@pytest.mark.parametrize("base, head, refused", [
    (moved("ingress-nginx", 50), moved("envoy-gateway", 50), "would change where it moves"),
    (moved("ingress-nginx", 0), moved("envoy-gateway", 50), "would change where it moves"),
    (moved("ingress-nginx", 50), moved("envoy-gateway", 0), "would change where it moves"),
    (moved("ingress-nginx", 0), moved("envoy-gateway", 0), None),
    (moved(None), moved("envoy-gateway", 30), "would start moving to envoy-gateway at weight 30"),
    (moved(None), moved("envoy-gateway", 0), None),
    (moved("envoy-gateway", 0), moved("envoy-gateway", 30), None),  # a shift: its routes exist and serve
    (moved(None), moved("ingress-nginx", 30), None),  # Ingresses: created once the controller took them
])
def test_a_change_of_where_an_edge_moves_is_refused_unless_both_weights_are_0(base, head, refused):
    """Before, a new `move.to` mid-move read as a neutral line in the diff and planned: the controller the edge was
    moving to is deleted while resolvers still send clients to it, and the new one takes traffic at once."""
    found = unsafe_move_changes(base, head)
    assert [why.split(":")[0].split(" in one step")[0] for _, why in found] == \
        ([] if refused is None else [next(why for _, why in found).split(":")[0].split(" in one step")[0]])
    if refused is None:
        assert found == []
        return
    [(edge, why)] = found
    assert edge == "public" and refused in why
    if "where it moves" in refused:
        # The safe sequence, in the order to run it.
        steps = why[why.index("The safe sequence"):]
        assert steps.index("weight to 0 (to: ingress-nginx)") < steps.index("to envoy-gateway at weight 0") < \
            steps.index("raise the weight")
    [risk] = move_risks(base, head)
    assert "refused" in risk[1]


def test_the_diff_names_a_change_of_target_at_weight_0_without_refusing_it():
    [(_, message)] = move_risks(moved("ingress-nginx", 0), moved("envoy-gateway", 0))
    assert message.startswith("Edge `public` changes where it moves, `ingress-nginx` (weight 0) → `envoy-gateway`")
    assert "neither takes traffic" in message and "refused" not in message


MOVING_CATALOGUE = """\
apps:
  - name: wiki
    visibility: public
    service: {name: wiki, port: 80}
    healthPath: /healthz
  - name: blog
    visibility: public
    service: {name: blog, port: 80}
"""


@pytest.fixture
def moving_dev(tmp_path, monkeypatch) -> Any:
    """A copy of the project whose dev stack's public edge moves (`write(to, weight)` writes the move; returns the
    file's name)."""
    import shutil

    from tests.conftest import ROOT

    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "apps.yaml").write_text(MOVING_CATALOGUE, encoding="utf-8")
    dev = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def write(to: str, weight: int, path: str = "Pulumi.dev.yaml") -> str:
        # Beside the stack's own edges (dev's labs), under its one `gangplank:edges` key.
        move = f"  gangplank:edges:\n    public:\n      move: {{to: {to}, weight: {weight}}}\n"
        (tmp_path / path).write_text(dev.replace("  gangplank:edges:\n", move, 1), encoding="utf-8")
        return path

    return write


def test_the_pr_diff_and_the_rehearsal_refuse_a_new_target_mid_move(moving_dev, capsys):
    from planner.__main__ import main

    moving_dev("ingress-nginx", 50)
    assert main(["--stack", "dev", "--format", "json"]) == 0
    (Path("base.json")).write_text(capsys.readouterr().out, encoding="utf-8")
    before = moving_dev("ingress-nginx", 50, "before.yaml")
    moving_dev("envoy-gateway", 50)
    assert main(["--stack", "dev", "--diff", "base.json"]) == 1
    err = capsys.readouterr().err.splitlines()
    move_line = Path("Pulumi.dev.yaml").read_text(encoding="utf-8").splitlines().index(
        "      move: {to: envoy-gateway, weight: 50}") + 1
    assert err[0].startswith(f"Pulumi.dev.yaml:{move_line}: config 'gangplank:edges' field 'public.move': edge "
                             "'public' would change where it moves from ingress-nginx (weight 50) to envoy-gateway "
                             "(weight 50)")
    assert err[-1] == "1 problem(s); nothing was planned."
    assert main(["--stack", "dev", "--rehearse", "--since", before]) == 1
    out = capsys.readouterr().out
    verdict = out[out.index("\n\n", out.rindex("== ")):]
    assert "gangplank:edges.public.move: edge 'public' would change where it moves" in " ".join(verdict.split())
    # Besides the rule, the replay itself sees clients sent to ingress-nginx's deleted NLB and Ingresses.
    assert "clients whose resolvers cached wiki.dev.example.com before this change" in out
    assert max(len(line) for line in verdict.splitlines()) <= 100
    # The safe way: weight 0, then the new target at 0.
    moving_dev("ingress-nginx", 0)
    assert main(["--stack", "dev", "--rehearse", "--since", before]) == 0
    zero = moving_dev("ingress-nginx", 0, "zero.yaml")
    moving_dev("envoy-gateway", 0)
    assert main(["--stack", "dev", "--rehearse", "--since", zero]) == 0
    assert capsys.readouterr().out.rstrip().endswith("every host stays answered and served at every call.")


def test_the_planners_gateway_api_flavors_are_the_programs():
    from components.flavors import FLAVORS, is_gateway
    from planner.edge_moves import GATEWAY_API_FLAVORS

    assert set(GATEWAY_API_FLAVORS) == {name for name, flavor in FLAVORS.items() if is_gateway(flavor)}


def test_the_prefix_paths_two_controllers_match_differently_are_found():
    plan = {"apps": [{"name": "api", "edges": ["public"], "hosts": ["a.example.com"], "paths": ["/api", "/docs/", "/"]},
                     {"name": "elsewhere", "edges": ["private"], "hosts": ["b.example.com"], "paths": ["/x"]}]}

    def found(flavor: str, other: str) -> list[tuple[str, str, str]]:
        return [(d.route, d.request, d.answered_by) for d in prefix_differences(plan, "public", flavor, other)]

    # F5 compares plain text (`/api` takes `/apix`; `/docs/` not `/docs`); Gateway API whole elements, a trailing `/`
    # ignored; ingress-nginx whole elements, a trailing `/` kept. `/` matches everything everywhere.
    assert found("nginx-inc", "envoy-gateway") == [("a.example.com/api", "/apix", "nginx-inc"),
                                                   ("a.example.com/docs/", "/docs", "envoy-gateway")]
    assert found("ingress-nginx", "envoy-gateway") == [("a.example.com/docs/", "/docs", "envoy-gateway")]
    assert found("ingress-nginx", "nginx-inc") == [("a.example.com/api", "/apix", "nginx-inc")]
    assert found("nginx-inc", "nginx-inc") == []
