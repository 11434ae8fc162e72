"""Moving a live `all` stack to platform + app stacks: every resource lands once, under its URN, unchanged."""

from __future__ import annotations

import copy
import json
import re
import shlex

from planner.__main__ import main
from planner.statemove import MIN_CLI_VERSION, plan_state_moves, render_state_moves, resource_urns
from tests.conftest import SPLIT_APP_STACKS, SPLIT_PLATFORM


def moves_of(split_plans, **replaced):
    plans = {**split_plans, **replaced}
    return plan_state_moves(plans["all"], plans[SPLIT_PLATFORM], {s: plans[s] for s in SPLIT_APP_STACKS})


def test_every_resource_of_the_all_stack_lands_in_exactly_one_split_stack_unchanged(split_plans):
    moves = moves_of(split_plans)
    assert moves.problems == []
    everything = [urn for urn in resource_urns(split_plans["all"]) if not urn.startswith("pulumi:")]
    assert moves.stay + sum(moves.moved.values()) == len(everything)
    # Only the top-level components are named: each takes its children along, under the same URN.
    named = [urn for urns in moves.moves.values() for urn in urns]
    assert all("$" not in urn.split("::")[0] for urn in named)
    assert {urn.split("::")[0] for urn in named} == {"gangplank:apps:ExposedApp", "gangplank:apps:Host"}
    web = moves.moves["prod-web"]
    assert "gangplank:apps:ExposedApp::shop" in web and "gangplank:apps:Host::shop.shop.example.com" not in web
    assert "gangplank:apps:Host::shop.shop.example.com" in moves.moves["prod-services"]


def test_a_resource_no_split_stack_declares_is_refused(split_plans):
    web = copy.deepcopy(split_plans["prod-web"])
    web["resources"] = [r for r in web["resources"] if r["name"] != "docs-monitor"]
    [problem] = moves_of(split_plans, **{"prod-web": web}).problems
    assert problem.startswith("gangplank:apps:ExposedApp$pulumi-python:dynamic/uptimerobot:Monitor::docs-monitor: "
                              "declared by no split stack")


def test_changed_inputs_and_duplicates_are_refused(split_plans):
    web = copy.deepcopy(split_plans["prod-web"])
    record = next(r for r in web["resources"] if r["type"] == "aws:route53/record:Record")
    record["inputs"]["ttl"] = 60
    services = copy.deepcopy(split_plans["prod-services"])
    services["resources"].append(next(r for r in web["resources"] if r["name"] == "docs"))
    problems = moves_of(split_plans, **{"prod-web": web, "prod-services": services}).problems
    assert any("declares it with other inputs: it would change once moved" in p for p in problems), problems
    assert any(p.startswith("gangplank:apps:ExposedApp::docs: declared by prod-services and prod-web")
               for p in problems), problems


def test_the_commands_use_the_clis_flags(split_plans):
    """`pulumi state move --source S --dest D --yes URN...` (pulumi/pulumi pkg/cmd/pulumi/state/state_move.go:
    `--source`, `--dest`, `--yes`, URNs as arguments), after `pulumi stack init` of each destination."""
    text = render_state_moves(moves_of(split_plans), SPLIT_PLATFORM, "acme", "gangplank", "apps.d")
    commands = [shlex.split(line) for line in text.replace("\\\n", " ").splitlines() if not line.startswith("#")]
    assert [c[:3] for c in commands] == [["pulumi", "stack", "init"]] * 2 + [["pulumi", "state", "move"]] * 2
    assert commands[0][3:] == ["acme/gangplank/prod-services"] and commands[1][3:] == ["acme/gangplank/prod-web"]
    for command, dest in zip(commands[2:], SPLIT_APP_STACKS, strict=True):
        assert command[3:8] == ["--source", f"acme/gangplank/{SPLIT_PLATFORM}", "--dest", f"acme/gangplank/{dest}",
                                "--yes"]
        assert all(re.fullmatch(rf"urn:pulumi:{SPLIT_PLATFORM}::gangplank::gangplank:apps:(ExposedApp|Host)::\S+",
                                urn) for urn in command[8:])
    assert f"Pulumi CLI {MIN_CLI_VERSION} or later" in text


def test_the_planner_prints_them(capsys):
    assert main(["--stack", SPLIT_PLATFORM, "--state-moves", "--format", "json"]) == 0
    moves = json.loads(capsys.readouterr().out)
    assert moves["source"] == f"acme/gangplank/{SPLIT_PLATFORM}"
    assert [m["dest"] for m in moves["moves"]] == [f"acme/gangplank/{s}" for s in SPLIT_APP_STACKS]
    assert all(urn.startswith(f"urn:pulumi:{SPLIT_PLATFORM}::gangplank::") for m in moves["moves"] for urn in m["urns"])


def test_only_a_platform_stack_is_split(capsys):
    assert main(["--stack", "prod", "--state-moves"]) == 1
    assert "'prod' is not a platform stack (gangplank:role: platform" in capsys.readouterr().err
