"""One team's stack against the whole environment in one `all` stack, at N apps in the benchmark's 8 teams.

The catalogue of `benchmarks/catalogue.py` (N apps, each of one of 8 teams) is written as a directory of
team files (`<team>.yaml`: an app's team is its namespace, which the generator gives every app of a shared
host alike), in a scratch project with the split example's platform config (`Pulumi.prod-platform.yaml`) and
one app stack per team. Then, each in a fresh process (peak memory is per run):

- **all**: the platform config with `gangplank:role: all` over the whole directory: one stack, every app;
- **platform**: the platform stack alone (every app stack's offline plan plans it first);
- **team**: the largest team's app stack, as `python -m planner --stack <team stack>` plans it: the platform
  first, then the whole catalogue checked, then that team's apps declared;
- **team +1**: the same after one more app in that team's file, and the stacks that change affects
  (`python -m planner --affected-stacks`): what a one-app pull request plans and touches.
- **SDK floor**: the team +1 plan's registrations declared again as plain resources under the SDK's own mocks
  (no parents, options or outputs; benchmarks/plan_scale.py's floor): what the Pulumi SDK alone needs for that many
  resources with its own mock engine, which answers on the executor's threads (the planner's answers on the run's
  own thread, planner/mocks/monitor.py: a plan's registrations can cost less than this floor's).
- **end to end**: `python -m planner --stack <team stack> --format json` after the change, the command a pull
  request's preview job runs, timed from outside its process: start-up, the platform plan, the team's plan, the
  JSON written. Start-up depends on whether Python finds the modules' bytecode cached (`__pycache__`): with
  `PYTHONDONTWRITEBYTECODE` set and none cached, every process compiles the ~400 modules it imports from source;
  the output says which held.

The team +1 plan runs TEAM_REPEATS times, each in a fresh process (its row is their median; the runs are listed):
the machines these figures come from drift by more than the differences measured.

Figures only: time (wall clock, from the start of the plan to its end, imports excluded; and the process's CPU
time over the same span, which a machine shared with other work changes less), peak memory (the process's max
RSS, imports included) and resources declared; for the team stack's plans, where the time goes (`PHASES`).
Exit 1 only if a run failed.

    .venv/bin/python benchmarks/team_scale.py              # N = 5000
    .venv/bin/python benchmarks/team_scale.py --quick      # N = 80, in one process (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.catalogue import TEAMS, dump_apps, generate_apps

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_N = 5000
QUICK_N = 80
PLATFORM = "bench-platform"
CATALOGUE = "teams.d"
WORKER_TIMEOUT_S = 3600
WIDTH = 100
TEAM_REPEATS = 3
"""Runs of the team +1 plan, each in a fresh process (quick mode: 1)."""
RECORDS_QUOTA = 40_000
"""The Route53 quota of record sets per zone the benchmark's account has (its default is 10,000)."""
EXTRA_APP = {"name": "zz-new-app", "visibility": "public", "host": "zz-new-app",
             "deploy": {"image": "ghcr.io/acme/zz-new-app:1.0", "port": 8080, "replicas": 2},
             "healthPath": "/healthz"}
"""The app a one-app pull request adds: public, a host of its own, an image to deploy, monitored."""


def team_stack(team: str) -> str:
    return f"bench-{team}"


def write_project(directory: Path, n: int) -> dict[str, int]:
    """A scratch project: the program, the platform's config, one app stack per team, the catalogue by team.
    Returns the apps per team."""
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, directory / name)
    platform = (ROOT / "Pulumi.prod-platform.yaml").read_text(encoding="utf-8")
    # 5,000 apps with a record per host (A and AAAA: the example is dual stack) pass Route53's default 10,000
    # record sets per zone: the account has asked for more, as such an estate must (docs/deploying.md, limits).
    platform += f"  gangplank:limits:\n    recordsPerZone: {RECORDS_QUOTA}\n"
    (directory / f"Pulumi.{PLATFORM}.yaml").write_text(platform, encoding="utf-8")
    by_team: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for app in generate_apps(n):
        by_team[app["namespace"]].append(app)
    (directory / CATALOGUE).mkdir()
    for team in TEAMS:
        with (directory / CATALOGUE / f"{team}.yaml").open("w", encoding="utf-8") as handle:
            dump_apps(by_team[team], handle)
        (directory / f"Pulumi.{team_stack(team)}.yaml").write_text(
            "config:\n  aws:region: eu-west-1\n  gangplank:role: apps\n"
            f"  gangplank:platformStack: acme/gangplank/{PLATFORM}\n  gangplank:appsFile: {CATALOGUE}\n"
            f"  gangplank:teams: [{team}]\n", encoding="utf-8")
    return {team: len(by_team[team]) for team in TEAMS}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


PHASES = (
    ("platform", "planner.run", "platform_references",
     "the platform stack planned for the StackReference"),
    ("catalogue", "components.roles", "app_stack_catalogue",
     "the whole catalogue read, checked and resolved; hosts' owners; the other app stacks' files"),
    ("checks", "components.roles", "check_before_declaring",
     "checks before declaring: names and limits of the environment, its own apps' flavors"),
    ("declaring", "components.roles", "expose_apps",
     "the team's apps and hosts declared (component code, and the SDK's constructors)"),
    ("plan JSON", "planner.run", "build_plan",
     "the plan built from the recorded registrations (the team's apps left out by `stacks:`)"),
)
"""The phases of a team stack's plan, each timed around one function (module, name, what it does); the rest is the
SDK registering the declared resources with the planner's mock engine."""


class _Phases:
    """Wall time spent in each phase's function (in this process: the functions are wrapped, not the program)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys((phase for phase, *_ in PHASES), 0.0)
        self.active = False

    def install(self) -> None:
        import importlib

        for phase, module_name, function_name, _ in PHASES:
            module = importlib.import_module(module_name)
            setattr(module, function_name, self._timed(phase, getattr(module, function_name)))

    def _timed(self, phase: str, function: Any) -> Any:
        phases = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if phases.active:  # inside another phase (the platform's own checks and dashboard): counted there
                return function(*args, **kwargs)
            phases.active, started = True, time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases.active = False
                phases.seconds[phase] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        for phase in self.seconds:
            self.seconds[phase] = 0.0


def _floor_worker(project: str, stack: str) -> dict[str, Any]:
    """The Pulumi SDK's floor for a stack: its plan's registrations (types, names, inputs) declared again as plain
    resources, without parents, options or outputs, under the SDK's own MockMonitor with trivial mocks
    (`plan_scale_workers.run_bare`, the floor of benchmarks/plan_scale.py). The stack is planned first, untimed: it
    gives the registrations, warms the SDK up and leaves the program's interpreter tuning in place (as
    `plan_scale.py --tuned-floors`), so the floor differs from the plan only in what the SDK must do."""
    os.chdir(project)
    from benchmarks.plan_scale_workers import declare_replay, run_bare
    from planner.run import run_program

    run = run_program(stack, None, project)
    registrations = [{"type": r.type, "name": r.name, "custom": r.custom, "inputs": r.inputs}
                     for r in run.monitor.registrations]
    run_bare(declare_replay(registrations[:20]))
    started, cpu = time.perf_counter(), time.process_time()
    run_bare(declare_replay(registrations))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "startup": 0.0, "peak_mib": _peak_mib(), "resources": len(registrations),
            "apps": 0, "phases": {}}


def _worker(project: str, stack: str, role_all: bool) -> dict[str, Any]:
    """Plan one stack of the scratch project, timed from the start of the plan to its end."""
    os.chdir(project)
    os.environ.setdefault("UPTIMEROBOT_API_KEY", "benchmark")  # the `all` form deploys monitors: it has a key
    phases = _Phases()
    phases.install()
    from planner.run import build_plan, run_program

    # Imports are not planning: the providers' modules load on first use, so a warm-up plan of the platform
    # (every module the program uses) goes first, as in plan_scale.py; its time is the start-up a CLI run adds.
    started = time.perf_counter()
    run_program(PLATFORM, None, project)
    startup = time.perf_counter() - started
    overrides = {"gangplank:role": "all", "gangplank:appsFile": CATALOGUE} if role_all else None
    phases.reset()
    started, cpu = time.perf_counter(), time.process_time()
    plan = build_plan(run_program(stack, None, project, overrides))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    managed = [r for r in plan["resources"] if not (r.get("options") or {}).get("read")]
    return {"seconds": seconds, "cpu": cpu, "startup": startup, "peak_mib": _peak_mib(), "resources": len(managed),
            "apps": len(plan["apps"]), "phases": dict(phases.seconds)}


IN_PROCESS = False
"""Quick mode: every plan in this process (one start-up instead of four; peak memory then is the run's so far)."""


def run_worker(project: Path, stack: str, role_all: bool = False, floor: bool = False) -> dict[str, Any]:
    if IN_PROCESS:
        cwd = os.getcwd()
        try:
            return _floor_worker(str(project), stack) if floor else _worker(str(project), stack, role_all)
        finally:
            os.chdir(cwd)
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", str(project), stack]
    done = subprocess.run(args + (["--all"] if role_all else []) + (["--floor"] if floor else []),
                          capture_output=True, text=True,
                          timeout=WORKER_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {stack} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def end_to_end(project: Path, stack: str) -> float:
    """Wall-clock seconds of `python -m planner --stack <stack> --format json` in the project, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "planner", "--stack", stack, "--format", "json"], cwd=project,
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=WORKER_TIMEOUT_S, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"python -m planner --stack {stack} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return seconds


def bytecode_state() -> str:
    """Whether a new process finds the modules' bytecode cached, judged by the largest package the program imports
    (pulumi_aws.ec2, whose compile is most of a cold start-up)."""
    import importlib.util

    spec = importlib.util.find_spec("pulumi_aws")
    origin = Path(spec.origin) if spec is not None and spec.origin else None
    source = origin.parent / "ec2" / "__init__.py" if origin is not None else None
    cached = source is not None and Path(importlib.util.cache_from_source(str(source))).exists()
    if cached:
        return "cached (`__pycache__`)"
    if sys.flags.dont_write_bytecode:  # PYTHONDONTWRITEBYTECODE, which the planner's processes inherit
        return ("compiled from source at every start (PYTHONDONTWRITEBYTECODE is set and none is cached: "
                "docs/performance.md, start-up)")
    return "not cached yet (the first process writes it)"


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time (of an even number, the slower of the middle two)."""
    return sorted(runs, key=lambda row: row["seconds"])[len(runs) // 2]


def add_one_app(project: Path, team: str) -> str:
    """Append one app to the team's file (as a pull request would); the path changed, relative to the project."""
    path = project / CATALOGUE / f"{team}.yaml"
    with path.open("a", encoding="utf-8") as handle:
        # The file's `apps:` list is its last key, its items at the left margin (yaml.safe_dump): one more item.
        handle.write("- " + json.dumps({**EXTRA_APP, "namespace": team}) + "\n")
    return f"{CATALOGUE}/{team}.yaml"


def measure(n: int, scratch: Path) -> list[str]:
    counts = write_project(scratch, n)
    team = max(counts, key=lambda name: counts[name])
    lines = textwrap.wrap(f"Team scale: N={n} apps in {len(counts)} teams ("
                          + ", ".join(f"{name} {count}" for name, count in counts.items())
                          + f"); measured team: {team}", WIDTH)
    rows = [("all (one stack)", run_worker(scratch, PLATFORM, role_all=True)),
            ("platform", run_worker(scratch, PLATFORM)),
            (f"team {team}", run_worker(scratch, team_stack(team)))]
    changed = add_one_app(scratch, team)
    repeats = [run_worker(scratch, team_stack(team)) for _ in range(1 if IN_PROCESS else TEAM_REPEATS)]
    rows.append((f"team {team} +1 app", median_run(repeats)))
    # Last: in quick mode it runs in this process, and it leaves the SDK's bare mocks set.
    rows.append(("SDK floor, team +1", run_worker(scratch, team_stack(team), floor=True)))
    from planner.stacks import affected_stacks

    touched = affected_stacks([changed], scratch)
    bytecode = bytecode_state()
    whole = end_to_end(scratch, team_stack(team))
    header = f"{'plan':<24} {'apps':>5} {'resources':>9} {'seconds':>8} {'CPU s':>6} {'peak MiB':>9}"
    lines += ["", header, "-" * len(header)]
    for label, row in rows:
        apps = f"{row['apps']:>5}" if row["phases"] else f"{'-':>5}"
        lines.append(f"{label:<24} {apps} {row['resources']:>9} {row['seconds']:>8.1f} {row['cpu']:>6.1f} "
                     f"{row['peak_mib']:>9.0f}")
    lines += ["", *phase_lines([("team", rows[2][1]), ("team +1 app", rows[3][1])])]
    single, one, floor = rows[0][1], rows[3][1], rows[4][1]
    lines.append("")
    lines += textwrap.wrap("start-up of a planner process (imports, the providers' modules loaded on first use), not "
                           "in the table: " + ", ".join(f"{row['startup']:.1f} s" for _, row in rows
                                                        if row["phases"]), WIDTH)
    if len(repeats) > 1:
        lines += textwrap.wrap(f"the team +1 plan, {len(repeats)} runs each in a fresh process: "
                               + ", ".join(f"{row['seconds']:.1f}" for row in repeats)
                               + f" s (the table: their median, {one['seconds']:.1f} s)", WIDTH)
    lines += textwrap.wrap(f"end to end, `python -m planner --stack {team_stack(team)} --format json` (start-up, the "
                           f"platform's plan, the team's, the JSON written): {whole:.1f} s; Python bytecode: "
                           f"{bytecode}", WIDTH)
    lines += textwrap.wrap(f"a one-app change to {changed}: plans {one['seconds']:.1f} s and {one['resources']:,} "
                           f"resources in its team's stack, against {single['seconds']:.1f} s and "
                           f"{single['resources']:,} resources in one `all` stack "
                           f"({single['seconds'] / one['seconds']:.1f}x faster, "
                           f"{single['peak_mib'] / one['peak_mib']:.1f}x less memory); stacks it affects: "
                           f"{', '.join(touched)} ({len(touched)})", WIDTH)
    lines += textwrap.wrap(f"the SDK's floor for the same {floor['resources']:,} resources (declared as plain "
                           f"resources under its own mocks, no parents, options or outputs): {floor['seconds']:.1f} s; "
                           f"the team's plan is {one['seconds'] / floor['seconds']:.1f}x that", WIDTH)
    return lines


def phase_lines(rows: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """Where the time of the team stack's plans goes, in seconds (wall clock) per phase and plan."""
    header = f"{'where a team plan goes':<30}" + "".join(f" {label:>14}" for label, _ in rows)
    lines = [header, "-" * len(header)]
    for phase, *_ in PHASES:
        lines.append(f"{phase:<30}" + "".join(f" {row['phases'][phase]:>14.2f}" for _, row in rows))
    lines.append(f"{'the rest (SDK registration)':<30}"
                 + "".join(f" {row['seconds'] - sum(row['phases'].values()):>14.2f}" for _, row in rows))
    lines.append(f"{'the whole plan':<30}" + "".join(f" {row['seconds']:>14.2f}" for _, row in rows))
    for phase, *_, what in PHASES:
        lines += textwrap.wrap(f"{phase}: {what}", WIDTH, subsequent_indent="  ")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"N = {QUICK_N}, in one process (CI)")
    parser.add_argument("--apps", type=int, help=f"N (default {DEFAULT_N})")
    parser.add_argument("--worker", nargs=2, metavar=("PROJECT", "STACK"), help=argparse.SUPPRESS)
    parser.add_argument("--all", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = _floor_worker(*args.worker) if args.floor else _worker(args.worker[0], args.worker[1], args.all)
        print(json.dumps(result))
        return 0
    n = args.apps or (QUICK_N if args.quick else DEFAULT_N)
    global IN_PROCESS
    IN_PROCESS = args.quick
    with tempfile.TemporaryDirectory(prefix="gangplank-teams-") as scratch:
        try:
            for line in measure(n, Path(scratch)):
                print(line, flush=True)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
