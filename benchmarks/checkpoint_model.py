"""Bytes a self-managed backend (S3, a file) is written for a first `pulumi up` and for adding one app: one
`all` stack against a platform stack and one app stack per team, at N apps in the benchmark's 8 teams.

The model, from the engine's own code (pulumi/pulumi at the mirror's HEAD):

- A self-managed ("diy") backend saves the snapshot with `backend.NewSnapshotManager` (pkg/backend/diy/
  backend.go), which writes the **whole** snapshot on every mutation (pkg/backend/snapshot.go:
  `defaultServiceLoop` calls `saveSnapshot` whenever a mutator returns true): a create, update or read step
  writes it when it begins (`doCreate`/`doRead`: the pending operation) and when it ends; a component's
  `RegisterResourceOutputs` writes it unless its outputs are unchanged; an unchanged resource's same step is
  elided (`sameSnapshotMutation.mustWrite`), and elided writes are flushed once at the end (`Close`).
  Journaling, which sends only the change of each step, is the Pulumi Cloud backend's alone (pkg/backend/
  httpstate/backend.go `NewJournalSnapshotManager`; on by default since CLI v3.225.0): pulumi/pulumi#10960.
- The diy backend marshals the checkpoint as compact JSON (diy/state.go `diyJSONMarshaler`) and, before each
  write, copies the file it replaces to `<file>.bak` (`saveCheckpoint` -> `backupTarget`): each write is an
  upload of the snapshot and a bucket-side copy of the previous one. `backupStack` keeps one more copy per
  update. `PULUMI_SKIP_CHECKPOINTS` writes only at the end, at the price of a state that knows nothing of an
  interrupted update.

The sizes come from the program's real plans: each resource's checkpoint entry (URN, type, id, inputs,
outputs, parent, provider, dependencies, timestamps) as compact JSON, in the order the program declares it.
So a first `up` writes about R^2/2 entries twice over (R resources: the snapshot grows by one entry a step),
and adding an app writes the whole stack a few dozen times.

    .venv/bin/python benchmarks/checkpoint_model.py            # N = 5000, table + benchmarks/out/checkpoints.png
    .venv/bin/python benchmarks/checkpoint_model.py --quick    # N = 40 (CI), chart in a temp dir
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.catalogue import TEAMS
from benchmarks.report import keep_chart, pyplot, save_chart
from benchmarks.team_scale import CATALOGUE, PLATFORM, add_one_app, team_stack, write_project

DEFAULT_N = 5000
QUICK_N = 40
DEFAULT_PNG = Path(__file__).resolve().parent / "out" / "checkpoints.png"
TIMESTAMP = "2026-11-22T10:00:00.000000000Z"
"""What `created` and `modified` hold in a checkpoint entry (RFC 3339 with nanoseconds)."""
PROVIDER_REFERENCE = "urn:pulumi:{stack}::gangplank::pulumi:providers:aws::default_7_51_1::" + "0" * 36
SECRET_ENVELOPE = 60
"""A secret in a checkpoint is `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"ciphertext": "..."}`: the signature keys, and the value encrypted and base64-encoded (x4/3)."""


@dataclass(frozen=True)
class Step:
    """One resource of a plan, as the snapshot manager sees its step."""

    label: str
    """`<type>::<name>`."""
    bytes: int
    """Its checkpoint entry, compact JSON."""
    component: bool
    """A component: its `RegisterResourceOutputs` writes the snapshot once more."""


def entry_bytes(registration: Any, stack: str) -> int:
    """The size of a resource's checkpoint entry (apitype.ResourceV3, compact JSON)."""
    def urn(label: str) -> str:
        return f"urn:pulumi:{stack}::gangplank::{label}"

    secrets = json.dumps(registration.inputs).count('"[secret]"')
    entry = {
        "urn": urn(registration.label), "custom": registration.custom, "id": registration.id or "",
        "type": registration.type, "inputs": registration.inputs, "outputs": registration.state(),
        "parent": urn(registration.parent) if registration.parent else urn("pulumi:pulumi:Stack::gangplank"),
        "provider": PROVIDER_REFERENCE.format(stack=stack) if registration.custom else "",
        "dependencies": [urn(dep) for dep in registration.dependencies],
        "propertyDependencies": {"*": [urn(dep) for dep in registration.dependencies]},
        "created": TIMESTAMP, "modified": TIMESTAMP,
    }
    # Secret inputs and outputs are stored encrypted: an envelope and base64 instead of the plan's placeholder.
    return len(json.dumps(entry, separators=(",", ":"))) + 2 * secrets * SECRET_ENVELOPE


def plan_steps(project: Path, stack: str, overrides: dict[str, str] | None = None) -> tuple[list[Step], int]:
    """The steps of a stack's first `up`, in declaration order, and its reads (an app stack's StackReference)."""
    from planner.run import run_program

    run = run_program(stack, None, project, overrides)
    steps = [Step(r.label, entry_bytes(r, stack), not r.custom) for r in run.monitor.registrations]
    return steps, len(run.monitor.read_registrations)


@dataclass
class Writes:
    """The checkpoint writes of one update."""

    uploaded: int = 0
    """Bytes the engine sends: every write is the whole snapshot."""
    copied: int = 0
    """Bytes the bucket copies: the file each write replaces, kept as `.bak`; one more backup per update."""
    count: int = 0

    def write(self, size: int, previous: int) -> None:
        self.uploaded += size
        self.copied += previous
        self.count += 1

    @property
    def total(self) -> int:
        return self.uploaded + self.copied


def first_up(steps: Sequence[Step], reads: int = 0) -> Writes:
    """A first `up` from an empty stack: each step's begin and end write, each component's outputs."""
    writes, size, last = Writes(), 0, 0
    for _ in range(reads):  # the StackReference is read first; its entry is small: counted as the empty snapshot
        for _ in range(2):
            writes.write(size, last)
            last = size
    for step in steps:
        writes.write(size + step.bytes, last)  # begin: the pending operation holds the new state
        size += step.bytes
        writes.write(size, size)  # end: the resource is in the snapshot (it replaces the begin write's file)
        last = size
        if step.component:
            writes.write(size, size)
    writes.copied += size  # backupStack, once per update
    return writes


def add_one(existing: int, added: Sequence[Step], reads: int = 0) -> Writes:
    """An update of a stack of `existing` bytes that adds these steps; every other step is an elided same."""
    writes, size = Writes(), existing
    for _ in range(reads):
        writes.write(size, size)
        writes.write(size, size)
    for step in added:
        writes.write(size + step.bytes, size)
        size += step.bytes
        writes.write(size, size)
        if step.component:
            writes.write(size, size)
    writes.write(size, size)  # the root stack's outputs (the `apps` inventory) changed
    writes.write(size, size)  # Close: the elided same steps' writes are flushed
    writes.copied += size  # backupStack
    return writes


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def model(n: int, scratch: Path) -> dict[str, Any]:
    """Plan the environment both ways at N apps and price its writes."""
    counts = write_project(scratch, n)
    os.chdir(scratch)
    os.environ.setdefault("UPTIMEROBOT_API_KEY", "benchmark")
    single, _ = plan_steps(scratch, PLATFORM, {"gangplank:role": "all", "gangplank:appsFile": CATALOGUE})
    platform, _ = plan_steps(scratch, PLATFORM)
    teams = {team: plan_steps(scratch, team_stack(team)) for team in TEAMS}
    team = max(counts, key=lambda name: counts[name])
    add_one_app(scratch, team)
    grown, reads = plan_steps(scratch, team_stack(team))
    before = {step.label for step in teams[team][0]}
    added = [step for step in grown if step.label not in before]
    single_bytes = sum(step.bytes for step in single)
    team_bytes = sum(step.bytes for step in teams[team][0])
    split_first = [first_up(platform)] + [first_up(steps, r) for steps, r in teams.values()]
    return {
        "n": n, "team": team, "apps": counts[team], "added": len(added),
        "resources": {"all": len(single), "platform": len(platform), **{t: len(s) for t, (s, _) in teams.items()}},
        "state": {"all": single_bytes, "team": team_bytes},
        "first up": {"single": first_up(single), "split": split_first},
        "add one": {"single": add_one(single_bytes, added), "split": add_one(team_bytes, added, reads)},
        "per resource": single_bytes / len(single), "resources per app": len(single) / n,
    }


def render(result: dict[str, Any]) -> list[str]:
    first, add = result["first up"], result["add one"]
    split_total = sum(w.total for w in first["split"])
    split_uploaded = sum(w.uploaded for w in first["split"])
    largest = max(first["split"], key=lambda w: w.total)
    return [
        *textwrap.wrap(f"Checkpoint writes to a self-managed backend at N={result['n']} apps in {len(TEAMS)} teams: "
                       f"one `all` stack ({result['resources']['all']:,} resources, state "
                       f"{human(result['state']['all'])}) vs a platform stack ({result['resources']['platform']} "
                       f"resources) and {len(TEAMS)} app stacks (the largest, {result['team']}: {result['apps']} "
                       f"apps, {result['resources'][result['team']]:,} resources, state "
                       f"{human(result['state']['team'])})", 100),
        "",
        f"{'operation':<34} {'writes':>7} {'uploaded':>11} {'with .bak copies':>17}",
        f"{'first up, one all stack':<34} {first['single'].count:>7,} {human(first['single'].uploaded):>11} "
        f"{human(first['single'].total):>17}",
        f"{'first up, split (all stacks)':<34} {sum(w.count for w in first['split']):>7,} "
        f"{human(split_uploaded):>11} {human(split_total):>17}",
        f"{'first up, split (largest stack)':<34} {largest.count:>7,} {human(largest.uploaded):>11} "
        f"{human(largest.total):>17}",
        f"{'add one app, one all stack':<34} {add['single'].count:>7,} {human(add['single'].uploaded):>11} "
        f"{human(add['single'].total):>17}",
        f"{'add one app, its team stack':<34} {add['split'].count:>7,} {human(add['split'].uploaded):>11} "
        f"{human(add['split'].total):>17}",
        "",
        *textwrap.wrap(f"first up: the split stacks write {first['single'].total / split_total:.1f}x less in all; "
                       f"adding one app ({result['added']} resources): "
                       f"{add['single'].total / add['split'].total:.1f}x less, in one stack of {len(TEAMS) + 1}", 100),
    ]


def chart(result: dict[str, Any], path: Path) -> Path:
    """Bytes written (uploads and copies) by a first `up` and by adding one app, against N: one stack vs split,
    from the measured mean entry size and resources per app; the measured N marked."""
    plt = pyplot()

    per_resource, per_app = result["per resource"], result["resources per app"]
    sizes = [100, 200, 500, 1000, 2000, 5000, 10000]

    def uniform(resources: int) -> list[Step]:
        return [Step("", int(per_resource), False)] * resources

    single_first = [first_up(uniform(int(n * per_app))).total for n in sizes]
    split_first = [len(TEAMS) * first_up(uniform(int(n * per_app / len(TEAMS)))).total for n in sizes]
    added = [Step("", int(per_resource), False)] * max(1, result["added"])
    single_add = [add_one(int(n * per_app * per_resource), added).total for n in sizes]
    split_add = [add_one(int(n * per_app * per_resource / len(TEAMS)), added, 1).total for n in sizes]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(sizes, [b / 1e9 for b in single_first], "o-", label="one `all` stack")
    left.plot(sizes, [b / 1e9 for b in split_first], "s-", label=f"{len(TEAMS)} team stacks (sum)")
    left.set(xscale="log", yscale="log", xlabel="apps", ylabel="GB written",
             title="First `pulumi up`: checkpoint bytes written")
    right.plot(sizes, [b / 1e9 for b in single_add], "o-", label="one `all` stack")
    right.plot(sizes, [b / 1e9 for b in split_add], "s-", label="the app's team stack")
    right.set(xscale="log", yscale="log", xlabel="apps", ylabel="GB written", title="Adding one app")
    n = result["n"]
    left.plot([n, n], [result["first up"]["single"].total / 1e9,
                       sum(w.total for w in result["first up"]["split"]) / 1e9], "k*", label=f"measured, N={n}")
    right.plot([n, n], [result["add one"]["single"].total / 1e9, result["add one"]["split"].total / 1e9], "k*",
               label=f"measured, N={n}")
    for axis in (left, right):
        axis.legend(fontsize=8)
        axis.grid(True, which="both", alpha=0.3)
    fig.suptitle("Self-managed backend (diy): the whole snapshot is written on every step "
                 "(pulumi/pulumi pkg/backend/snapshot.go)", fontsize=9)
    fig.tight_layout()
    return save_chart(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"N = {QUICK_N} (CI), chart in a temp dir")
    parser.add_argument("--apps", type=int, help=f"N (default {DEFAULT_N})")
    parser.add_argument("--png", type=Path, help=f"chart path (default {DEFAULT_PNG})")
    args = parser.parse_args(argv)
    n = args.apps or (QUICK_N if args.quick else DEFAULT_N)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="gangplank-checkpoints-") as scratch:
        try:
            result = model(n, Path(scratch))
        finally:
            os.chdir(cwd)
        for line in render(result):
            print(line)
        png = args.png or (Path(scratch) / "checkpoints.png" if args.quick else DEFAULT_PNG)
        chart(result, png)
        if args.quick and args.png is None:
            png = keep_chart(png)
    print(f"chart: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
