"""How the program scales with the catalogue: the real program under mocks vs the Pulumi SDK floor.

For each N it generates a catalogue of N apps (`benchmarks/catalogue.py`: the realistic mix),
then runs, each in a fresh subprocess so that peak memory is per run
(`benchmarks/plan_scale_workers.py`):

- **program**: `planner.run.run_program("dev", apps)`: the real `__main__.py` under the
  planner's mocks, exactly what `python -m planner` and the tests run;
- **floor** (replay): a bare Pulumi program under the SDK's own `MockMonitor` and trivial
  mocks that registers the same resources (same types, names and inputs, replayed from the
  program's registrations) as plain `pulumi.CustomResource`s / `ComponentResource`s, then
  waits for the RPCs the way `planner/run.py` does. Same count, same payloads, no program:
  what the SDK alone costs for this workload;
- **records** floor: the same number of `aws.route53.Record` alias records through the typed
  pulumi_aws class (what a typed resource costs the SDK; smaller payloads than Ingresses).

Each worker first does a warm-up run of a few apps in the same process, so one-time imports
(pulumi_aws, pulumi_kubernetes, the components) are not counted as per-resource time, then times
one run, up to and including a last full garbage collection: the interpreter makes one when a
program exits, and `pulumi up` waits for that exit. Each measurement is repeated `--repeat`
times, each time in a new process, program and floors in turn, and the best of each is kept
(the machine may be busy with other work). A new process each time matters: the SDK leaves
state behind per dynamic resource (see docs/performance.md), so a second run in the same
process would not measure what `pulumi up` does. Peak memory is the process's max RSS
(`resource.getrusage`, imports included); "+MiB" is what the measured run added to the
resident memory it started with. "GC %" is the share of the run spent in Python's cyclic
garbage collector (`gc.callbacks`).

Figures only: no target here fails the run (exit 1 only if a run itself failed).

    .venv/bin/python benchmarks/plan_scale.py                     # N = 10, 100, 500, 1000, 5000
    .venv/bin/python benchmarks/plan_scale.py --quick             # N = 10, 50 (CI)
    .venv/bin/python benchmarks/plan_scale.py --sizes 10,200 --repeat 1
    .venv/bin/python benchmarks/plan_scale.py --gc-threshold 0    # same, garbage collector off everywhere
    .venv/bin/python benchmarks/plan_scale.py --tuned-floors      # floors tuned like the program
    .venv/bin/python benchmarks/plan_scale.py --profile 500       # where the program's time goes
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.catalogue import generate_apps, stats, write_catalogue
from benchmarks.plan_scale_workers import ROOT, STACK, WARMUP_APPS, floor_worker, program_worker

DEFAULT_SIZES = (10, 100, 500, 1000, 5000)
QUICK_SIZES = (10, 50)
DEFAULT_REPEAT = 3
QUICK_REPEAT = 1
TARGET_RATIO = 1.5
TARGET_AT = 500
TARGET_PEAK_MIB = 1024
TARGET_PEAK_AT = 5000
WORKER_TIMEOUT_S = 3600


# -- the driver ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One measured program (the real one or a floor) at one size."""

    seconds: float
    gc_seconds: float
    peak_mib: float
    added_mib: float
    full_collections: int
    full_collection_seconds: float

    @classmethod
    def of(cls, result: dict[str, Any]) -> Side:
        return cls(result["seconds"], result["gc_seconds"], result["peak_rss_mib"], result["added_mib"],
                   result["full_collections"], result["full_collection_seconds"])

    @property
    def gc_percent(self) -> float:
        return 100 * self.gc_seconds / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Row:
    """One catalogue size: the program and its floors."""

    apps: int
    resources: int
    startup_s: float
    program: Side
    floor: Side
    records: Side

    def ms_per_resource(self, side: Side) -> float:
        return 1000 * side.seconds / self.resources

    @property
    def ratio(self) -> float:
        return self.program.seconds / self.floor.seconds

    @property
    def records_ratio(self) -> float:
        return self.program.seconds / self.records.seconds


def _worker(args: list[str]) -> dict[str, Any]:
    """Run this file as a worker subprocess and return the JSON it prints last."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fastest(results: list[dict[str, Any]]) -> dict[str, Any]:
    return min(results, key=lambda result: result["seconds"])


def measure(n: int, scratch: Path, repeat: int, gc_threshold: list[int] | None, tuned_floors: bool = False) -> Row:
    """Program, replay floor and records floor for a catalogue of `n` apps, each in a fresh process."""
    apps = write_catalogue(n, scratch)
    dump = scratch / f"registrations-{n}.json"
    common = ["--gc-threshold", ",".join(map(str, gc_threshold))] if gc_threshold is not None else []
    floor_args = [*common, "--tuned-floors"] if tuned_floors else common
    runs: dict[str, list[dict[str, Any]]] = {"program": [], "replay": [], "records": []}
    # Round-robin, so that a slow spell of a shared machine hits the program and its floors alike.
    for _ in range(repeat):
        program = _worker(["--worker", "program", "--apps", str(apps), "--dump", str(dump), *common])
        if program["apps_in_inventory"] != n:  # a broken run must not pass for a fast one
            raise RuntimeError(f"N={n}: the program's inventory lists {program['apps_in_inventory']} apps, not {n}")
        runs["program"].append(program)
        for floor_kind in ("replay", "records"):
            runs[floor_kind].append(_worker(["--worker", floor_kind, "--replay", str(dump), *floor_args]))
    program, floor, records = (_fastest(runs[kind]) for kind in ("program", "replay", "records"))
    return Row(apps=n, resources=program["resources"], startup_s=program["startup_s"],
               program=Side.of(program), floor=Side.of(floor), records=Side.of(records))


def render_table(rows: Sequence[Row]) -> str:
    header = (f"{'N':>5} {'resources':>9} {'res/app':>7} | {'program s':>9} {'ms/res':>6} {'GC %':>4} "
              f"{'peak MiB':>8} {'+MiB':>5} | {'floor s':>7} {'ms/res':>6} {'GC %':>4} {'peak MiB':>8} "
              f"{'+MiB':>5} | {'x floor':>7} | {'records s':>9} {'x rec':>6}")
    lines = [header, "-" * len(header)]
    for r in rows:
        p, f = r.program, r.floor
        lines.append(
            f"{r.apps:>5} {r.resources:>9} {r.resources / r.apps:>7.2f} | {p.seconds:>9.2f} "
            f"{r.ms_per_resource(p):>6.2f} {p.gc_percent:>4.0f} {p.peak_mib:>8.0f} {p.added_mib:>5.0f} | "
            f"{f.seconds:>7.2f} {r.ms_per_resource(f):>6.2f} {f.gc_percent:>4.0f} {f.peak_mib:>8.0f} "
            f"{f.added_mib:>5.0f} | {r.ratio:>6.2f}x | {r.records.seconds:>9.2f} {r.records_ratio:>5.2f}x"
        )
    return "\n".join(lines)


def scaling_exponent(rows: Sequence[Row], seconds: Callable[[Row], float]) -> float | None:
    """k in time ~ resources^k, least squares on logs: 1.0 is linear."""
    points = [(math.log(r.resources), math.log(seconds(r))) for r in rows if seconds(r) > 0]
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else None


def summary(rows: Sequence[Row]) -> list[str]:
    """The reading of the table: ratio at the target size, growth per resource, fitted exponent."""
    lines = []
    by_n = {r.apps: r for r in rows}
    at = by_n.get(TARGET_AT) or rows[-1]
    if at.apps == TARGET_AT:
        target = f"target <= {TARGET_RATIO}x at N={TARGET_AT}: {'met' if at.ratio <= TARGET_RATIO else 'NOT met'}"
    else:
        target = f"the target is at N={TARGET_AT}, not measured in this run"
    lines.append(f"ratio program/floor at N={at.apps}: {at.ratio:.2f}x ({target}); "
                 f"vs the typed-records floor: {at.records_ratio:.2f}x")
    low, high = (by_n[100], by_n[1000]) if {100, 1000} <= by_n.keys() else (rows[0], rows[-1])
    if low is not high:
        def growth(side: Callable[[Row], Side]) -> float:
            return high.ms_per_resource(side(high)) / low.ms_per_resource(side(low))

        lines.append(f"growth, ms/resource at N={high.apps} vs N={low.apps}: program "
                     f"{growth(lambda r: r.program):.2f}x, floor {growth(lambda r: r.floor):.2f}x, "
                     f"records floor {growth(lambda r: r.records):.2f}x (1.00 = linear)")
    program_k = scaling_exponent(rows, lambda r: r.program.seconds)
    floor_k = scaling_exponent(rows, lambda r: r.floor.seconds)
    if program_k is not None and floor_k is not None:
        lines.append(f"fitted exponent, time ~ resources^k: program k = {program_k:.2f}, floor k = {floor_k:.2f}")
    if (big := by_n.get(TARGET_PEAK_AT)) is not None:
        met = "met" if big.program.peak_mib <= TARGET_PEAK_MIB else "NOT met"
        lines.append(f"program at N={TARGET_PEAK_AT}: {big.program.seconds:.1f} s, peak RSS "
                     f"{big.program.peak_mib:.0f} MiB (target <= {TARGET_PEAK_MIB} MiB: {met})")
    last = rows[-1]
    if last.program.gc_seconds:
        lines.append(f"garbage collector at N={last.apps}: program {last.program.gc_seconds:.2f} s, of which "
                     f"{last.program.full_collection_seconds:.2f} s in full (generation 2) collections "
                     f"({last.program.full_collections}); floor {last.floor.gc_seconds:.2f} s, of which "
                     f"{last.floor.full_collection_seconds:.2f} s in full collections ({last.floor.full_collections})")
    lines.append(f"one-time startup (imports + a {WARMUP_APPS}-app warm-up run), not in the table: "
                 + ", ".join(f"N={r.apps}: {r.startup_s:.1f} s" for r in rows))
    return lines


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated app counts, got {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("app counts must be at least 1")
    return sizes


def _gc_threshold(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected G0[,G1[,G2]] integers, got {text!r}") from None
    if not 1 <= len(values) <= 3 or min(values) < 0:
        raise argparse.ArgumentTypeError("expected one to three non-negative integers (0 = collector off)")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"N = {', '.join(map(str, QUICK_SIZES))}, {QUICK_REPEAT} run each (CI)")
    parser.add_argument("--sizes", type=_sizes, help=f"comma-separated app counts (default {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int,
                        help=f"runs per measurement, each in a new process, best kept (default {DEFAULT_REPEAT})")
    parser.add_argument("--gc-threshold", type=_gc_threshold, metavar="G0[,G1,G2]",
                        help="gc.set_threshold in every worker (0: collector off); default: Python's")
    parser.add_argument("--tuned-floors", action="store_true",
                        help="give the floors the planner's interpreter tuning too (planner/process.py)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile the program for N apps and print hotspots")
    # Internal: how the driver starts its subprocesses.
    parser.add_argument("--worker", choices=("program", "replay", "records"), help=argparse.SUPPRESS)
    parser.add_argument("--apps", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--replay", help=argparse.SUPPRESS)
    parser.add_argument("--profiled", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT))

    if args.worker == "program":
        print(json.dumps(program_worker(args.apps, args.dump, args.gc_threshold, profile=args.profiled)))
        return 0
    if args.worker in ("replay", "records"):
        print(json.dumps(floor_worker(args.worker, args.replay, args.gc_threshold, args.tuned_floors)))
        return 0

    with tempfile.TemporaryDirectory(prefix="gangplank-scale-") as scratch:
        try:
            if args.profile is not None:
                return _print_profile(args.profile, Path(scratch), args.gc_threshold)
            return _print_scale(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES), Path(scratch),
                                repeat, args.gc_threshold, args.tuned_floors)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1


def _print_scale(sizes: Sequence[int], scratch: Path, repeat: int, gc_threshold: list[int] | None,
                 tuned_floors: bool = False) -> int:
    gc_setting = "Python's default" if gc_threshold is None else ",".join(map(str, gc_threshold))
    floors = "; floors tuned like the program" if tuned_floors else ""
    print(f"Plan scale: the program under mocks vs the Pulumi SDK floor (stack {STACK}, "
          f"python {sys.version.split()[0]}, best of {repeat}, gc threshold {gc_setting}{floors})")
    rows: list[Row] = []
    for n in sizes:
        mix = stats(generate_apps(n))
        print(f"  N={n}: {mix.public} public / {mix.private} private, {mix.deployed} deployed, "
              f"{mix.basic_auth_apps} with basic auth ({mix.basic_auth_users} users), "
              f"{mix.rate_limited} rate-limited, {mix.keyword_monitors} KEYWORD monitors, "
              f"{mix.hosts} hosts", flush=True)
        rows.append(measure(n, scratch, repeat, gc_threshold, tuned_floors))
    print()
    print(render_table(rows))
    print()
    for line in summary(rows):
        print(line)
    return 0


def _print_profile(n: int, scratch: Path, gc_threshold: list[int] | None) -> int:
    apps = write_catalogue(n, scratch)
    extra = ["--gc-threshold", ",".join(map(str, gc_threshold))] if gc_threshold is not None else []
    result = _worker(["--worker", "program", "--apps", str(apps), "--profiled", *extra])
    print(f"profile of the program for N={n} apps ({result['resources']} resources): "
          f"{result['seconds']:.2f} s under cProfile, of which {result['gc_seconds']:.2f} s in garbage "
          "collections.\ncProfile times each thread by the wall clock: a collection is charged to whatever "
          "function allocated when it started, and a call that releases the GIL (bcrypt, I/O) includes "
          "its wait to take it back.")
    print(result["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
