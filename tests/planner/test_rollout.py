"""`--rollout`: the first `pulumi up` over the dependency graph, and the preconditions that cannot hold."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest

from planner.__main__ import main
from planner.diff import render_rollout_section
from planner.resource_types import MONITOR, VALIDATION
from planner.rollout.blockers import find_blockers
from planner.rollout.changes import add_app_rollouts, change_rollout
from planner.rollout.figures import DEFAULT_PARALLEL, FIGURES, VALIDATION_TIMEOUT_S
from planner.rollout.report import render_rollout_table, rollout_report
from planner.rollout.schedule import rollout, simulate
from planner.run import build_plan
from tests.conftest import FLAVORS, STACKS

KEY = "gangplank:uptimerobotApiKey"
PUBLIC_ZONE = "aws:route53/zone:Zone::platform-zones-public"
PARENT_ZONE_ID = "Z0PARENT0ZONE0ID0000"


def planned(cached_run: Any, stack: str = "dev", flavor: str = "nginx-inc") -> tuple[dict[str, Any], dict[str, str]]:
    run = cached_run(stack, flavor, "plan")
    return copy.deepcopy(build_plan(run)), dict(run.config)


def undelegated(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without the program's delegation records (as a stack without gangplank:parentZoneId)."""
    plan["resources"] = [r for r in plan["resources"] if not (r["type"] == "aws:route53/record:Record"
                                                              and r["inputs"].get("type") == "NS")]
    return plan


def delegate(plan: dict[str, Any], provider: dict[str, Any] | None = None) -> dict[str, Any]:
    """The plan plus an NS record for the public zone in a parent zone (optionally through `provider`)."""
    zone = next(r for r in plan["resources"] if r["type"] == "aws:route53/zone:Zone" and r["name"].endswith("public"))
    record = {"type": "aws:route53/record:Record", "name": "platform-zones-delegation", "id": "x",
              "parent": zone["parent"], "dependencies": [PUBLIC_ZONE],
              "inputs": {"zoneId": PARENT_ZONE_ID, "name": zone["inputs"]["name"], "type": "NS", "ttl": 172800,
                         "records": ["ns-1.awsdns-01.net"]}}
    if provider is not None:
        plan["resources"].append(provider)
        record["provider"] = f"{provider['type']}::{provider['name']}"
        record["dependencies"].append(record["provider"])
    plan["resources"].append(record)
    return plan


def aws_provider(assume_roles: str | None) -> dict[str, Any]:
    inputs = {"region": "eu-west-1"}
    if assume_roles is not None:
        inputs["assumeRoles"] = assume_roles  # the SDK sends it JSON-encoded
    return {"type": "pulumi:providers:aws", "name": "parent-zone", "id": "p", "parent": None,
            "dependencies": [], "inputs": inputs}


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_rehearses_its_first_up(cached_run, stack, flavor):
    plan, config = planned(cached_run, stack, flavor)
    result = rollout(plan, config, {})
    report = result.to_json()
    assert {"waves", "criticalPath", "criticalPathSeconds", "blockers"} <= set(report)
    assert report["parallel"] == DEFAULT_PARALLEL
    # Every wave only waits for earlier ones.
    seen: set[str] = set()
    steps = result.steps
    for wave in report["waves"]:
        for name in wave:
            assert all(dep in seen or not steps[dep].custom or not steps[dep].runs for dep in steps[name].deps
                       if steps[dep].finish is not None), name
        seen |= set(wave)
    # The critical path is a chain: each step starts no earlier than the one before it ends.
    path = report["criticalPath"]
    assert path
    for before, after in itertools.pairwise(path):
        assert steps[after].start >= steps[before].finish
    assert report["criticalPathSeconds"] == round(steps[path[-1]].finish)


def test_an_adopted_zone_is_no_blocker_and_its_stack_completes(cached_run):
    plan, config = planned(cached_run, "prod")
    result = rollout(plan, config, {})
    assert result.blockers == [] and result.blocked == []
    # The longest chain: the certificate's DNS validation, then the controllers, then the alias records.
    path = result.critical_path()
    assert path.index(f"{VALIDATION}::platform-certificates-public-validated") < \
        path.index("kubernetes:helm.sh/v3:Release::platform-public-release")
    assert result.seconds >= FIGURES[VALIDATION]["create"].seconds + FIGURES["kubernetes:helm.sh/v3:Release"][
        "create"].seconds


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_example_stacks_delegate_their_new_zone(cached_run, stack):
    plan, config = planned(cached_run, stack)
    assert find_blockers(plan, config, {}) == []
    assert rollout(plan, config, {}).blocked == []


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_new_public_zone_nothing_delegates_to_blocks_validation(cached_run, stack):
    plan, config = planned(cached_run, stack)
    result = rollout(undelegated(plan), config, {})
    (blocker,) = result.blockers
    assert blocker.resource == PUBLIC_ZONE
    assert f"{stack}.example.com is not delegated" in blocker.reason and "gangplank:parentZoneId" in blocker.reason
    assert set(blocker.blocks) == {f"{VALIDATION}::platform-certificates-public-validated",
                                   f"{VALIDATION}::platform-certificates-private-validated"}
    # The program's customTimeouts on the validation (else the provider's default, 75 minutes).
    assert blocker.timeout_s == 30 * 60 < VALIDATION_TIMEOUT_S
    # Nothing after the certificates completes: the controllers need them, and DNS needs the controllers.
    assert "kubernetes:helm.sh/v3:Release::platform-public-release" in result.blocked
    assert all(name not in result.critical_path() for name in result.blocked)
    assert result.steps[PUBLIC_ZONE].finish is not None  # the zone itself is created


def test_a_delegation_in_the_plan_or_by_hand_clears_the_blocker(cached_run):
    plan, config = planned(cached_run, "dev")
    assert find_blockers(delegate(undelegated(plan)), config, {}) == []
    plan, config = planned(cached_run, "dev")
    assert find_blockers(undelegated(plan), {**config, "gangplank:publicZoneDelegated": "true"}, {}) == []


def test_a_delegation_through_a_provider_whose_role_is_not_configured_blocks(cached_run):
    plan, config = planned(cached_run, "dev")
    blockers = find_blockers(delegate(undelegated(plan), aws_provider('[{"roleArn": null}]')), config, {})
    (blocker,) = blockers
    assert blocker.resource == "aws:route53/record:Record::platform-zones-delegation"
    assert "role that is not configured" in blocker.reason and "gangplank:parentZoneRoleArn" in blocker.reason
    plan, _ = planned(cached_run, "dev")
    role = '[{"roleArn": "arn:aws:iam::444455556666:role/dns-delegation"}]'
    assert find_blockers(delegate(undelegated(plan), aws_provider(role)), config, {}) == []
    plan, _ = planned(cached_run, "dev")
    assert find_blockers(delegate(undelegated(plan), aws_provider(None)), config, {}) == []  # no role: fine


def test_monitors_without_an_api_key_are_blocked(cached_run):
    plan, config = planned(cached_run, "prod")
    without_key = {k: v for k, v in config.items() if k != KEY}
    blockers = find_blockers(plan, without_key, {})
    monitors = sorted(r["type"] + "::" + r["name"] for r in plan["resources"] if r["type"] == MONITOR)
    assert sorted(b.resource for b in blockers) == monitors
    assert all("UPTIMEROBOT_API_KEY" in b.reason and KEY in b.reason for b in blockers)
    assert find_blockers(plan, without_key, {"UPTIMEROBOT_API_KEY": "k"}) == []
    assert find_blockers(plan, config, {}) == []
    result = rollout(plan, without_key, {})
    assert set(monitors) <= set(result.blocked)


def test_validation_records_in_a_private_zone_are_a_blocker(cached_run):
    plan, config = planned(cached_run, "prod")
    private = next(r for r in plan["resources"] if r["name"] == "platform-zones-private")
    record = next(r for r in plan["resources"] if r["name"] == "platform-certificates-public-validation")
    record["inputs"]["zoneId"] = private["id"]
    (blocker,) = find_blockers(plan, config, {})
    assert blocker.resource == f"{VALIDATION}::platform-certificates-public-validated"
    assert "private zone" in blocker.reason


def test_custom_timeouts_set_how_long_a_blocked_validation_waits(cached_run):
    plan, config = planned(cached_run, "dev")
    for r in plan["resources"]:
        if r["type"] == VALIDATION:
            r.setdefault("options", {})["customTimeouts"] = {"create": "1h15m"}
    (blocker,) = find_blockers(undelegated(plan), config, {})
    assert blocker.timeout_s == 75 * 60
    for r in plan["resources"]:
        if r["type"] == VALIDATION:
            del r["options"]["customTimeouts"]
    (blocker,) = find_blockers(plan, config, {})
    assert blocker.timeout_s == VALIDATION_TIMEOUT_S


def test_monitors_share_the_accounts_rate(cached_run):
    plan, config = planned(cached_run, "prod")
    result = rollout(plan, config, {"UPTIMEROBOT_RATE_PER_MINUTE": "2"})
    starts = sorted(s.finish - s.seconds for s in result.steps.values() if s.resource.startswith(MONITOR + "::"))
    assert len(starts) >= 3
    assert all(b - a >= 30 - 1e-9 for a, b in itertools.pairwise(starts))  # 2 requests a minute


def test_parallelism_bounds_the_steps_running_at_once(cached_run):
    plan, config = planned(cached_run, "prod")
    serial = simulate(plan, [], parallel=1, rate=10_000)
    busy = [s for s in serial.finished if s.custom and s.seconds > 0]
    assert serial.seconds == pytest.approx(sum(s.seconds for s in busy), abs=1)
    assert rollout(plan, config, {"PULUMI_PARALLEL": "4"}).seconds >= rollout(plan, config, {}).seconds


def test_adding_one_app_shows_its_chain_until_its_monitor(cached_run):
    plan, config = planned(cached_run, "prod")
    apps = {entry["app"]: entry for entry in add_app_rollouts(plan, config, {})}
    assert set(apps) == {app["name"] for app in plan["apps"]}
    docs = apps["docs"]
    # Its component's resources and the records of its host, which no other app uses.
    host = next(r for r in plan["resources"] if r["type"] == "aws:route53/record:Record"
                and r["inputs"]["name"] == "docs.apps.example.com")
    assert docs["adds"] == sorted(f"{r['type']}::{r['name']}" for r in plan["resources"]
                                  if r["parent"] in ("gangplank:apps:ExposedApp::docs", host["parent"]))
    # An app on a host another app serves adds no record: shop-api shares shop's.
    assert not any(name.startswith("aws:route53/record:Record::") for name in apps["shop-api"]["adds"])
    assert docs["chain"][-1] == f"{MONITOR}::docs-monitor"
    assert [name.split("::")[1] for name in docs["chain"]] == ["docs-deployment", "docs-ingress", "docs-monitor"]
    assert docs["monitoredAfterSeconds"] == 60 + 15 + 1  # the Deployment's await, the Ingress's, one request
    assert docs["seconds"] >= docs["monitoredAfterSeconds"] and docs["blockers"] == []
    assert apps["grafana"]["monitoredAfterSeconds"] is None  # private apps are not monitored


def test_a_pull_requests_change_is_timed_and_its_blockers_shown(cached_run):
    head, config = planned(cached_run, "prod")
    docs = next(e for e in add_app_rollouts(head, config, {}) if e["app"] == "docs")
    base = copy.deepcopy(head)
    gone = {*docs["adds"], "gangplank:apps:ExposedApp::docs"}
    base["resources"] = [r for r in base["resources"] if f"{r['type']}::{r['name']}" not in gone]
    change = change_rollout(base, head, config, {})
    # The diff's steps: the app's resources and its component (which the engine steps too, in no time).
    assert change["created"] == sorted([*docs["adds"], "gangplank:apps:ExposedApp::docs"])
    assert change["updated"] == [] and change["deleted"] == [] and change["replaced"] == []
    assert change["seconds"] == docs["seconds"]
    section = render_rollout_section(change)
    assert "#### Rollout (modeled)\n" in section and "[!CAUTION]" not in section
    without_key = {k: v for k, v in config.items() if k != KEY}
    blocked = render_rollout_section(change_rollout(base, head, without_key, {}))
    assert "#### Rollout (modeled): BLOCKED" in blocked and "> [!CAUTION]" in blocked
    # The blockers first, then the time of what does complete.
    assert blocked.index("`pulumi-python:dynamic/uptimerobot:Monitor::docs-monitor`") < blocked.index("takes about")
    assert render_rollout_section(change_rollout(head, head, config, {})) == ""


def test_cli_rollout_json_and_table(capsys):
    assert main(["--stack", "prod", "--rollout", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "prod" and report["criticalPathSeconds"] > 0 and report["addApp"]
    assert main(["--stack", "dev", "--rollout"]) == 0
    table = capsys.readouterr().out
    assert "Critical path:" in table and "Adding one app" in table and "BLOCKED" not in table
    assert report["kind"] == "rollout" and all(len(line) <= 100 for line in table.splitlines())


def test_a_blocked_first_up_headlines_blocked_and_its_blockers_first(cached_run):
    plan, config = planned(cached_run, "dev")
    without_key = {k: v for k, v in config.items() if k != KEY}
    table = render_rollout_table(rollout_report(plan, without_key, {}))
    lines = table.splitlines()
    assert lines[0].startswith("BLOCKED: the first `pulumi up` of stack dev cannot complete as planned")
    assert lines[1].startswith("  - pulumi-python:dynamic/uptimerobot:Monitor::")
    assert table.index("Never completes") < table.index("What does complete takes") < table.index("Critical path")
    # No per-app times for a stack whose first run does not complete.
    assert "app          adds" not in table and "not shown while the stack's first" in table
    assert all(len(line) <= 100 for line in lines)


def test_cli_diff_shows_the_rollout_section(cached_run, tmp_path, capsys):
    head, _ = planned(cached_run, "prod")
    base = copy.deepcopy(head)
    base["resources"] = [r for r in base["resources"] if r["name"] != "status-monitor"]
    path = tmp_path / "base.json"
    path.write_text(json.dumps(base), encoding="utf-8")
    assert main(["--stack", "prod", "--diff", str(path)]) == 0
    out = capsys.readouterr().out
    assert "#### Rollout (modeled)" in out and "(1 to create, 0 to update, 0 to replace, 0 to delete)" in out
    assert "Resources: 1 to create, 0 to update, 0 to replace, 0 to delete." in out  # the same counts


@pytest.mark.parametrize("raw", ["fast", "0", "-5"])
def test_a_rate_ceiling_the_provider_would_refuse_is_an_input_error_not_the_free_rate(raw):
    from components.inputs.problems import InputError
    from planner.rollout.figures import rate_per_minute

    with pytest.raises(InputError, match="UPTIMEROBOT_RATE_PER_MINUTE"):
        rate_per_minute({"UPTIMEROBOT_RATE_PER_MINUTE": raw})
    assert rate_per_minute({"UPTIMEROBOT_RATE_PER_MINUTE": " 120 "}) == 120
    assert rate_per_minute({}) == 10


def test_every_kind_a_gateway_api_edge_declares_has_a_figure_of_its_own(cached_run):
    # An HTTPRoute is awaited until Accepted (its waitFor annotation); the policies are one API call. With no figure
    # they were timed as "no figure for this type: a default".
    plan, config = planned(cached_run)
    kinds = {r["type"] for r in plan["resources"] if r["type"].startswith("kubernetes:gateway.")}
    route_type = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    assert {route_type, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"} <= kinds
    assert kinds <= set(FIGURES), kinds - set(FIGURES)
    steps = rollout(plan, config, {}).steps
    routes = {name.partition("::")[2]: step for name, step in steps.items() if name.startswith(route_type + "::")}
    app_route = next(step for name, step in routes.items() if not name.endswith("-redirect"))
    assert "Accepted" in app_route.source and app_route.seconds == FIGURES[route_type]["create"].seconds
    # The platform's redirect route carries no waitFor: nothing waits for its status.
    [redirect] = [step for name, step in routes.items() if name.endswith("-redirect")]
    assert redirect.source.startswith("one API call") and redirect.seconds == 1
