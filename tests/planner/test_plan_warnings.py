"""What a plan passes with but `pulumi up` needs to know: plan `warnings` with a kind, and the program's log."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from planner.__main__ import main
from tests.conftest import ROOT, STACKS

KEY = "gangplank:uptimerobotApiKey"


@pytest.fixture
def keyless_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project with a new stack `qa` like dev but without an UptimeRobot key, as a newcomer makes one."""
    for name in ("__main__.py", "Pulumi.yaml", "apps.yaml", *(f"Pulumi.{stack}.yaml" for stack in STACKS)):
        shutil.copy(ROOT / name, tmp_path / name)
    dev = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    (tmp_path / "Pulumi.qa.yaml").write_text(dev.split(f"  {KEY}:")[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UPTIMEROBOT_API_KEY", raising=False)
    return "qa"


def test_a_new_stack_without_a_key_plans_diffs_and_rehearses(keyless_stack, capsys, caplog):
    with caplog.at_level(logging.WARNING):
        assert main(["--stack", keyless_stack, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    [warning] = plan["warnings"]
    assert warning["kind"] == "uptimerobotApiKey" and warning["subject"] == f"config '{KEY}'"
    assert "4 app(s) get an uptime monitor" in warning["message"] and "`pulumi up` will" in warning["message"]
    assert any(warning["message"] in record.getMessage() for record in caplog.records), "not logged as pulumi up would"
    Path("base.json").write_text(json.dumps(plan), encoding="utf-8")
    assert main(["--stack", keyless_stack, "--diff", "base.json"]) == 0
    # The PR comment says so too, under a heading of its own, the command as it is to be typed.
    assert capsys.readouterr().out == (
        "No changes to stack `qa`.\n\n"
        "> [!WARNING]\n"
        "> **`pulumi up` will need an UptimeRobot API key:**\n"
        ">\n"
        "> - config 'gangplank:uptimerobotApiKey': 4 app(s) get an uptime monitor and there is no UptimeRobot\n"
        ">   API key: plans, diffs and previews need none, `pulumi up` will\n"
        ">   (`pulumi config set --secret gangplank:uptimerobotApiKey <key>`, or the UPTIMEROBOT_API_KEY\n"
        ">   environment variable)\n")
    assert main(["--stack", keyless_stack, "--rehearse"]) == 0


def test_the_example_stacks_plan_without_warnings(cached_run):
    from planner.run import build_plan

    assert "warnings" not in build_plan(cached_run("dev"))


def test_a_chart_version_other_than_the_checked_one_warns(plan_stack, caplog):
    with caplog.at_level(logging.WARNING):
        plan = plan_stack("dev", controllerChartVersion="2.7.0")
    [warning] = plan["warnings"]
    assert warning["kind"] == "chartVersion" and warning["subject"] == "config 'gangplank:controllerChartVersion'"
    assert "nginx-ingress 2.7.0 is not 2.6.4, the version whose values gangplank checks" in warning["message"]
    assert any("2.7.0 is not 2.6.4" in record.getMessage() for record in caplog.records)
    assert "warnings" not in plan_stack("dev", controllerChartVersion="2.6.4")
