"""The workers of `benchmarks/plan_scale.py`, each run in its own subprocess, and how a worker measures.

- `program_worker`: the real program under the planner's mocks;
- `floor_worker`: the floors, the same registrations replayed as bare resources under the SDK's own
  `MockMonitor` (`replay`), or as many typed `aws.route53.Record`s (`records`).

Each times one run after a warm-up (`_timed`: wall time, GC time, resident memory added; `_profiled`:
cProfile of every thread) and returns its figures as JSON data for the driver (`plan_scale.py`).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.catalogue import write_catalogue

ROOT = Path(__file__).resolve().parents[1]

WARMUP_APPS = 3
STACK = "dev"
# Built-ins in which a thread only waits (for work, for the GIL's holder, for a wake-up):
# left out of the profile's own-time figures, where they would drown the real work.
WAITS = ("'get' of '_queue.SimpleQueue'", "'poll' of 'select.epoll'", "'acquire' of '_thread.lock'",
         "'send' of '_socket.socket'", "'acquire' of '_thread.RLock'")


# -- measuring, inside a worker ------------------------------------------------------------


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    """Resident memory now (Linux /proc), to tell what the measured run added to its starting point."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _set_gc(threshold: list[int] | None) -> None:
    """Apply `--gc-threshold` (the same in every worker, so program and floor compare like with like)."""
    if threshold is None:
        return
    if threshold[0] == 0:
        gc.disable()
    else:
        gc.set_threshold(*threshold)


class _GcClock:
    """Time spent in garbage collections, per generation, from the interpreter's own gc callbacks."""

    def __init__(self) -> None:
        self.per_generation = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0

    @property
    def seconds(self) -> float:
        return sum(self.per_generation)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.per_generation[info["generation"]] += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


@dataclass(frozen=True)
class Timing:
    """One timed run."""

    seconds: float
    gc_seconds: float
    added_mib: float
    full_collections: int
    full_collection_seconds: float


def _timed(work: Callable[[], Any]) -> tuple[Timing, Any]:
    """Wall time, GC time and resident memory added of one run of `work`."""
    gc.collect()  # the run starts without the warm-up's garbage
    clock = _GcClock()
    gc.callbacks.append(clock)
    baseline_mib = _current_rss_mib()
    started = time.perf_counter()
    try:
        result = work()
        # The interpreter collects a run's leftover garbage when the program exits (and
        # `pulumi up` waits for that exit), so the timed run pays it here: a collector tuned
        # to collect less often cannot push work past the end of the measurement.
        gc.collect()
    finally:
        seconds = time.perf_counter() - started
        gc.callbacks.remove(clock)
    added_mib = max(0.0, _current_rss_mib() - baseline_mib)
    return Timing(seconds, clock.seconds, added_mib, clock.collections[2], clock.per_generation[2]), result


@contextmanager
def _profiled(sink: list[pstats.Stats]) -> Iterator[None]:
    """cProfile the main thread and every thread started inside the block.

    Pulumi calls the (mock) monitor from a thread pool (`run_in_executor`), so a plain
    cProfile of the main thread would miss the mocks and the RecordingMonitor entirely.
    """
    thread_profiles: list[cProfile.Profile] = []

    def start_thread_profile(*_: Any) -> None:
        profile = cProfile.Profile()
        thread_profiles.append(profile)
        sys.setprofile(None)
        profile.enable()

    threading.setprofile(start_thread_profile)
    main = cProfile.Profile()
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        collected = pstats.Stats(main)
        for profile in thread_profiles:
            collected.add(profile)
        sink.append(collected)


def _profile_report(collected: pstats.Stats, limit: int = 25) -> str:
    """Own time per function and per source file (all threads, waits left out), then cumulative."""
    entries = []
    for (filename, line, function), (_, calls, own, cumulative, _) in collected.stats.items():  # type: ignore[attr-defined]
        if any(wait in function for wait in WAITS):
            continue
        entries.append((own, cumulative, calls, f"{_short_path(filename)}:{line}({function})"))
    total = sum(own for own, *_ in entries) or 1.0
    out = io.StringIO()
    out.write(f"busy time (own time summed over threads, waits left out): {total:.2f} s\n\n")
    out.write("own time per source file:\n")
    per_file: Counter[str] = Counter()
    for own, _, _, where in entries:
        per_file[where.rsplit(":", 1)[0]] += own
    for filename, own in per_file.most_common(limit):
        out.write(f"  {own:8.3f} s {100 * own / total:5.1f}%  {filename}\n")
    out.write("\nown time per function:\n")
    for own, _, calls, where in sorted(entries, reverse=True)[:limit]:
        out.write(f"  {own:8.3f} s {100 * own / total:5.1f}%  {calls:>8} calls  {where}\n")
    out.write("\ncumulative time per function (a thread's time includes the waits it made):\n")
    for _, cumulative, calls, where in sorted(entries, key=lambda e: e[1], reverse=True)[:limit]:
        out.write(f"  {cumulative:8.3f} s  {calls:>8} calls  {where}\n")
    return out.getvalue()


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    try:
        return str(Path(filename).relative_to(ROOT))
    except ValueError:
        return filename


# -- workers (each runs in its own subprocess) -------------------------------------------


def program_worker(apps_path: str, dump_path: str | None, gc_threshold: list[int] | None,
                    profile: bool = False) -> dict[str, Any]:
    """Run the real program on `apps_path`; optionally dump its registrations for the replay floor."""
    from planner.run import run_program

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        warmup = write_catalogue(WARMUP_APPS, Path(scratch))
        run_program(STACK, str(warmup), ROOT)
    startup_s = time.perf_counter() - started

    _set_gc(gc_threshold)
    profiles: list[pstats.Stats] = []
    if profile:
        with _profiled(profiles):
            timing, run = _timed(lambda: run_program(STACK, apps_path, ROOT))
    else:
        timing, run = _timed(lambda: run_program(STACK, apps_path, ROOT))

    # The run's peak, before the benchmark's own dump for the replay floor (at 5,000 apps a string of
    # a hundred megabytes) can raise it.
    peak_rss_mib = _peak_rss_mib()
    registrations = run.monitor.registrations
    inventory = run.outputs.get("apps") or {}
    if dump_path:
        with Path(dump_path).open("w", encoding="utf-8") as dump:
            json.dump([{"type": r.type, "name": r.name, "custom": r.custom, "inputs": r.inputs}
                       for r in registrations], dump)
    result: dict[str, Any] = {
        **asdict(timing),
        "peak_rss_mib": peak_rss_mib,
        "startup_s": startup_s,
        "resources": len(registrations),
        "apps_in_inventory": len(inventory) if isinstance(inventory, dict) else -1,
        "by_type": dict(Counter(r.type for r in registrations).most_common()),
    }
    if profiles:
        result["profile"] = _profile_report(profiles[0])
    return result


class _PlainMocks:
    """The least a mock can do: echo the inputs, id from the name."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", args.inputs

    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def run_bare(declare: Callable[[], None]) -> None:
    """Declare resources under the SDK's own MockMonitor and wait for every RPC, as planner/run.py does."""
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import wait_for_rpcs

    class Mocks(_PlainMocks, pulumi.runtime.Mocks):
        pass

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runtime_settings.ROOT.set(None)
        # As planner/run.py does: the warm-up run's outputs belong to its closed loop.
        runtime_settings.SETTINGS.outputs.clear()
        pulumi.runtime.set_mocks(Mocks(), project="gangplank", stack=STACK, preview=False)
        declare()
        loop.run_until_complete(wait_for_rpcs())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)


def declare_replay(registrations: list[dict[str, Any]]) -> Callable[[], None]:
    def declare() -> None:
        import pulumi

        for reg in registrations:
            if reg["custom"]:
                pulumi.CustomResource(reg["type"], reg["name"], dict(reg["inputs"]))
            else:
                pulumi.ComponentResource(reg["type"], reg["name"])

    return declare


def _declare_records(count: int) -> Callable[[], None]:
    def declare() -> None:
        import pulumi_aws as aws

        for index in range(count):
            host = f"app-{index:04d}.dev.example.com"
            aws.route53.Record(
                f"{host}-a", zone_id="Z0123456789ABCDEFGHIJ", name=host, type="A",
                aliases=[aws.route53.RecordAliasArgs(
                    name="k8s-ingress-public-0123456789.elb.eu-west-1.amazonaws.com",
                    zone_id="Z2IFOLAFXWLO4F", evaluate_target_health=True)],
            )

    return declare


def floor_worker(kind: str, replay_path: str, gc_threshold: list[int] | None, tuned: bool = False) -> dict[str, Any]:
    """Time the bare program for the registrations dumped by the program worker.

    `tuned`: the floor also gets the planner's interpreter tuning (`planner/process.py`),
    to compare the SDK work alone, with no difference in garbage collection.
    """
    # The same SDK imports as the program's, so that peak memory compares like with like.
    import pulumi_aws  # noqa: F401
    import pulumi_kubernetes  # noqa: F401
    import pulumi_random  # noqa: F401

    registrations = json.loads(Path(replay_path).read_text(encoding="utf-8"))
    if kind == "replay":
        declare, warmup = declare_replay(registrations), declare_replay(registrations[: WARMUP_APPS * 5])
    else:
        declare, warmup = _declare_records(len(registrations)), _declare_records(WARMUP_APPS)
    run_bare(warmup)
    _set_gc(gc_threshold)
    if tuned:
        from planner.process import relax_garbage_collector, stop_sdk_reference_cycles

        relax_garbage_collector()
        stop_sdk_reference_cycles()
    timing, _ = _timed(lambda: run_bare(declare))
    return {**asdict(timing), "peak_rss_mib": _peak_rss_mib(), "resources": len(registrations)}
