"""Smoke tests of the benchmarks' quick modes: they run, print their table and real figures.

Benchmarks print figures; tests never assert on time (CI machines vary), only that each
quick mode exits 0 and prints its header, one row per size with numbers in it, and its
summary lines.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.catalogue import generate_apps, stats, write_catalogue
from components.inputs.catalog.loading import load_catalogue
from components.inputs.settings_parsing import parse_settings
from planner.stackconfig import known_stacks, read_stack_config
from tests.conftest import ROOT, STACKS

NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def run_benchmark(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A benchmark as a developer runs it: a fresh process from the project directory."""
    return subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("stack", STACKS)
def test_generated_catalogue_is_valid_for_every_example_stack(tmp_path: Path, stack: str) -> None:
    path = write_catalogue(200, tmp_path)
    config = read_stack_config(stack, ROOT)
    settings = parse_settings(config.values, f"Pulumi.{stack}.yaml", secret_keys=config.secret_keys)
    assert len(load_catalogue(str(path), settings, stack, known_stacks(ROOT))) == 200


def test_generated_catalogue_is_mixed() -> None:
    mix = stats(generate_apps(200))
    assert 0.5 <= mix.public / mix.apps <= 0.7
    assert 0.4 <= mix.deployed / mix.apps <= 0.6
    assert mix.basic_auth_apps and mix.rate_limited and mix.keyword_monitors
    assert mix.hosts < mix.apps  # some apps share a host
    # The same N gives the same catalogue: two runs measure the same input.
    assert generate_apps(50) == generate_apps(50)


@pytest.mark.slow
def test_plan_scale_quick() -> None:
    done = run_benchmark("plan_scale.py", "--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^\s+N resources res/app \| program s ms/res GC % peak MiB\s+\+MiB \| floor s", out, re.M), out
    for n in (10, 50):
        # N, resources, res/app | program s, ms/res, ...
        row = re.search(rf"^\s+{n}\s+([0-9]+)\s+{NUMBER}\s+\|\s+({NUMBER})\s+({NUMBER})\s+", out, re.M)
        assert row, f"no row for N={n}:\n{out}"
        assert int(row.group(1)) > n  # several resources per app, plus the platform's
        assert float(row.group(2)) > 0 and float(row.group(3)) > 0
    assert re.search(rf"ratio program/floor at N=50: {NUMBER}x .*typed-records floor: {NUMBER}x", out), out
    assert re.search(rf"growth, ms/resource at N=50 vs N=10: program {NUMBER}x, floor {NUMBER}x", out), out
    assert re.search(rf"fitted exponent, time ~ resources\^k: program k = -?{NUMBER}", out), out


@pytest.mark.slow
def test_plan_scale_with_tuned_floors() -> None:
    done = run_benchmark("plan_scale.py", "--sizes", "5", "--repeat", "1", "--tuned-floors")
    assert done.returncode == 0, done.stderr
    assert "floors tuned like the program" in done.stdout.splitlines()[0], done.stdout
    assert re.search(rf"^\s+5\s+[0-9]+\s+{NUMBER}\s+\|", done.stdout, re.M), done.stdout


def test_cost_model_quick() -> None:
    done = run_benchmark("cost_model.py", "--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "eu-west-1" in out and "730 h/month" in out
    assert re.search(r"^\s+apps \| gp NLBs certs records\s+\$/month \| per-app NLBs", out, re.M), out
    rows = {}
    for n in (1, 10, 100):
        row = re.search(rf"^\s+{n} \|\s+2\s+2\s+[0-9]+\s+({NUMBER}) \|\s+{n}\s+{n}\s+[0-9]+\s+({NUMBER}) \|", out, re.M)
        assert row, f"no row for N={n}:\n{out}"
        rows[n] = tuple(float(value.replace(",", "")) for value in row.groups())
    # Shared load balancers cost the same whatever N; one per app grows with N.
    assert rows[1][0] == rows[10][0] == rows[100][0]
    assert rows[1][1] < rows[10][1] < rows[100][1]
    assert re.search(r"break-even: gangplank is cheaper from N = [0-9]+ apps", out), out
    chart = re.search(r"^chart: (.+\.png)$", out, re.M)
    assert chart, out
    png = Path(chart.group(1))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_uptimerobot_budget_quick() -> None:
    done = run_benchmark("uptimerobot_budget.py", "--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^operation\s+N\s+calls\s+target", out, re.M), out
    for operation in ("create", "no-op update", "refresh", "delete"):
        assert re.search(rf"^{operation}\s+50\s+[0-9]+\s", out, re.M), f"no row for {operation}:\n{out}"
    assert "simulated clock" in out and "assumed round trip" in out
    duration = rf"{NUMBER} (?:s|min|h)"
    for plan, n in (("free", 250), (r"paid \(250 monitors\)", 250), ("free", 5000), (r"paid \(5000 monitors\)", 5000)):
        row = rf"^{plan}\s+{n}\s+[0-9]+ \|\s+{duration}\s+[0-9]+ \|\s+{duration}\s+[0-9]+\s+[0-9]+ \|\s+{NUMBER}x$"
        assert re.search(row, out, re.M), f"no wall-time row for {plan} N={n}:\n{out}"
    assert re.search(rf"measured \(provider \+ fake, real clock\):\s+{NUMBER} s", out), out
    assert re.search(rf"simulated \(same budget, round trip {NUMBER} ms\):\s+{NUMBER} s", out), out


def test_hostile_inputs_quick() -> None:
    result = run_benchmark("hostile_inputs.py", "--quick")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()[1:-1]
    assert len(rows) == 10
    for row in rows:
        assert re.search(rf"\s{NUMBER}\s+{NUMBER}\s+(refused|accepted)", row), row
    assert sum("refused" in row for row in rows) == 9 and "accepted (100 apps)" in rows[-1]


def test_api_budget_quick() -> None:
    done = run_benchmark("api_budget.py", "--quick")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Route53 5/s per account" in out.splitlines()[0], out
    assert re.search(r"^\s+N dns\s+operation\s+\| r53 chg", out, re.M), out

    def route53(n: int, mode: str, operation: str) -> int:
        row = re.search(rf"^\s+{n} {mode}\s+{operation}\s+\|((?:\s+[0-9]+){{5}}) \|", out, re.M)
        assert row, f"no row for N={n} {mode} {operation}:\n{out}"
        return int(row.group(1).split()[-1])

    for n in (10, 50):
        # Per host, Route53 work grows with the apps; with the wildcard, it is the same at any N.
        assert route53(n, "perHost", "first up") > route53(n, "wildcard", "first up")
        assert route53(n, "wildcard", "add one app") == 0 < route53(n, "perHost", "add one app")
        assert route53(n, "perHost", "no-op up") == 0
    assert route53(50, "wildcard", "first up") == route53(10, "wildcard", "first up")
    assert route53(50, "perHost", "first up") > route53(10, "perHost", "first up")
    assert re.search(r"idle hour\s*: Route53 ExternalDNS\s+[0-9]+ calls", out), out
    chart = re.search(r"^chart: (.+\.png)$", out, re.M)
    assert chart and Path(chart.group(1)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_api_budget_prices_split_deploys() -> None:
    """App stacks in parallel share the account's Route53: the wave's bound stays, each stack's grows with p."""
    from benchmarks.api_budget import ROUTE53_PER_SECOND, Budget, split_deploy

    budget = Budget(5000, "perHost", "first up", Counter({"r53 change": 8000, "r53 other": 16000, "k8s": 40000}), 3000)
    bounds = dict(split_deploy(budget, teams=8, parallel=(1, 4, 8)))
    assert bounds[1]["route53 wave"] == bounds[8]["route53 wave"] >= 24000 / ROUTE53_PER_SECOND
    assert bounds[1]["route53 per stack"] < bounds[4]["route53 per stack"] < bounds[8]["route53 per stack"]
    assert bounds[8]["k8s wave"] * 8 == pytest.approx(bounds[1]["k8s wave"])


def test_team_scale_quick() -> None:
    done = run_benchmark("team_scale.py", "--quick")
    assert done.returncode == 0, done.stderr
    rows = {m.group(1).strip(): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^(all \(one stack\)|platform|team \w+(?: \+1 app)?)\s+(\d+)\s+(\d+)\s+[0-9.]+",
                                 done.stdout, re.M)}
    assert len(rows) == 4, done.stdout
    team = next(label for label in rows if label.startswith("team") and "+1" not in label)
    assert rows["all (one stack)"][0] == 80 and rows["platform"][0] == 0
    assert rows[f"{team} +1 app"][0] == rows[team][0] + 1
    assert rows[team][1] < rows["all (one stack)"][1]
    assert re.search(r"stacks it affects: bench-\w+ \(1\)", " ".join(done.stdout.split())), done.stdout
    # Where the team plan's time goes: each phase, the SDK's rest, and the whole, which the phases add up to.
    phases = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(
        r"^(platform|catalogue|checks|declaring|plan JSON|the rest \(SDK registration\)|the whole plan)\s+"
        r"(-?[0-9.]+)\s+-?[0-9.]+$", done.stdout, re.M)}
    assert len(phases) == 7, done.stdout
    assert abs(sum(v for k, v in phases.items() if k != "the whole plan") - phases["the whole plan"]) < 0.05
    # The SDK's floor replays the team +1 plan's resources, every one of them.
    floor = re.search(r"^SDK floor, team \+1\s+-\s+(\d+)\s+[0-9.]+", done.stdout, re.M)
    assert floor and int(floor.group(1)) == rows[f"{team} +1 app"][1], done.stdout
    assert re.search(r"the SDK's floor for the same [0-9,]+ resources .*: [0-9.]+ s; the team's plan is [0-9.]+x that",
                     " ".join(done.stdout.split())), done.stdout
    # The command a pull request's preview runs, timed from outside, and whether its start-up compiled the modules.
    assert re.search(r"end to end, `python -m planner --stack bench-\w+ --format json` .*: [0-9.]+ s; Python bytecode: "
                     r"(cached|compiled from source at every start|not cached yet)", " ".join(done.stdout.split())), \
        done.stdout


def test_checkpoint_model_quick() -> None:
    done = run_benchmark("checkpoint_model.py", "--quick")
    assert done.returncode == 0, done.stderr

    def written(label: str) -> float:
        row = re.search(rf"^{re.escape(label)}\s+[0-9,]+\s+([0-9.,]+) (KB|MB|GB)", done.stdout, re.M)
        assert row, f"no row {label!r}:\n{done.stdout}"
        return float(row.group(1).replace(",", "")) * {"KB": 1e3, "MB": 1e6, "GB": 1e9}[row.group(2)]

    assert written("first up, split (all stacks)") < written("first up, one all stack")
    assert written("add one app, its team stack") < written("add one app, one all stack")
    chart = re.search(r"^chart: (.+\.png)$", done.stdout, re.M)
    assert chart and Path(chart.group(1)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_first_up_writes_the_square_of_the_stack() -> None:
    """The model: each step writes the whole snapshot twice, so twice the resources write about four times the
    bytes (pulumi/pulumi pkg/backend/snapshot.go, `defaultServiceLoop`)."""
    from benchmarks.checkpoint_model import Step, add_one, first_up

    small, large = first_up([Step("", 1000, False)] * 100), first_up([Step("", 1000, False)] * 200)
    assert small.count == 200 and 3.9 < large.uploaded / small.uploaded < 4.1
    assert add_one(200_000, [Step("", 1000, True)]).count == 5  # begin, end, outputs, root outputs, final flush
