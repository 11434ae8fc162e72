"""Where a measured program run spends its time, from a py-spy sampling profile.

cProfile (`plan_scale.py --profile`) times each thread by the wall clock, so GIL waits and
garbage collections land on whatever function happened to be running. A sampling profiler
that records only the thread holding the GIL (`py-spy record --gil`) does not have that
bias. This script reads py-spy's raw output (`-f raw`: one collapsed stack per line and a
sample count) of a `plan_scale.py` program worker and sorts every busy sample into one
bucket, the first whose rule matches, from the program's own costs to the SDK's.

py-spy is not a project dependency; install it beside the project to profile by hand:

    .venv/bin/pip install --target /tmp/py-spy py-spy==0.4.3
    .venv/bin/python benchmarks/catalogue.py 500 /tmp/bench
    /tmp/py-spy/bin/py-spy record --gil -r 250 -f raw -o /tmp/bench/spy.txt -- \\
        .venv/bin/python benchmarks/plan_scale.py --worker program --apps /tmp/bench/apps-500.yaml --gc-threshold 0
    .venv/bin/python benchmarks/spy_breakdown.py /tmp/bench/spy.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

Stack = list[str]

# A leaf frame in one of these is a thread waiting (for work, for I/O, for a wake-up), not working.
WAITING_LEAVES = ("_worker (", "select (", "_write_to_self (", "wait (", "get (")
MEASURED_RUN = "_timed ("  # plan_scale's timed run; the warm-up run and the imports are outside it
POOL_THREAD = "Thread._bootstrap"  # the executor threads that call the (mock) monitor
ROOT = Path(__file__).resolve().parents[1]


def _resolve_outputs_frame() -> str:
    """The frame of `run_program` while it resolves the stack outputs: `run_program (planner/run.py:<line>)`.

    The outputs' coroutines run from the event loop, not under `_resolve_outputs` itself, so
    the line of `run_program` that awaits them is what tells their samples apart.
    """
    lines = (ROOT / "planner" / "run.py").read_text(encoding="utf-8").splitlines()
    number = next((i for i, line in enumerate(lines, 1) if "run_until_complete(_resolve_outputs())" in line), 0)
    return f"planner/run.py:{number})"


def _has(*needles: str) -> Callable[[Stack], bool]:
    return lambda stack: any(needle in frame for frame in stack for needle in needles)


def _both(first: Callable[[Stack], bool], second: Callable[[Stack], bool]) -> Callable[[Stack], bool]:
    return lambda stack: first(stack) and second(stack)


BUCKETS: list[tuple[str, Callable[[Stack], bool]]] = [
    ("catalogue: YAML load (line tracking)", _has("load_yaml (")),
    ("catalogue + settings: validation (pydantic, checks)",
     _has("load_catalogue (", "load_settings (", "load_stack_settings (", "parse_settings (")),
    ("mocks: bcrypt of RandomPassword", _has("bcrypt", "_password (")),
    ("mocks: GangplankMocks.new_resource, rest", _has("GangplankMocks")),
    ("RecordingMonitor: MessageToDict + plain_inputs",
     _both(_has("RecordingMonitor"), _has("MessageToDict (", "plain_inputs ("))),
    ("SDK MockMonitor.RegisterResource (the floor pays it too)", _has("MockMonitor.RegisterResource (")),
    ("RecordingMonitor: rest", _has("RecordingMonitor")),
    ("dynamic provider: dill serialisation (Monitor)", _has("serialize_provider (", "dill/")),
    ("planner: stack outputs resolution", _has(_resolve_outputs_frame())),
    ("SDK: source positions (_get_stack_trace)", _has("_get_stack_trace (")),
    ("SDK: URNs and aliases", _has("create_urn (", "collapse_alias_to_urn")),
    ("SDK: (de)serialising properties", _has("serialize_properties (", "serialize_property (")),
    ("SDK: type metadata (pulumi._types, typing)", _has("pulumi/_types.py", "/typing.py")),
    ("SDK: Output plumbing (from_input, apply, all)", _has("pulumi/output.py")),
    ("SDK: register_resource, rest", _has("pulumi/runtime/resource.py")),
    ("asyncio loop and thread hand-offs", _has("asyncio/", "concurrent/futures/")),
    ("program code (components/, __main__.py)", _has("components/", "__main__.py")),
]


def read_raw(path: Path) -> list[tuple[Stack, int]]:
    """py-spy's raw format: `frame;frame;...;leaf count` per line, root first."""
    stacks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            frames, _, count = line.rpartition(" ")
            stacks.append((frames.split(";"), int(count)))
    return stacks


def busy_samples(stacks: Sequence[tuple[Stack, int]]) -> list[tuple[Stack, int]]:
    """Samples of the measured run (main thread under `_timed`, or a pool thread) that were working."""
    return [(stack, count) for stack, count in stacks
            if (any(MEASURED_RUN in frame for frame in stack) or POOL_THREAD in stack[0])
            and not stack[-1].startswith(WAITING_LEAVES)]


def breakdown(stacks: Sequence[tuple[Stack, int]]) -> tuple[int, Counter[str]]:
    """Total busy samples and samples per bucket (each sample in the first bucket that matches)."""
    buckets: Counter[str] = Counter()
    busy = busy_samples(stacks)
    for stack, count in busy:
        name = next((name for name, matches in BUCKETS if matches(stack)), "other")
        buckets[name] += count
    return sum(count for _, count in busy), buckets


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python benchmarks/spy_breakdown.py PY_SPY_RAW_FILE", file=sys.stderr)
        return 2
    total, buckets = breakdown(read_raw(Path(args[0])))
    if not total:
        print("no busy samples of a measured run (was it recorded from a plan_scale.py worker?)", file=sys.stderr)
        return 1
    print(f"busy samples in the measured run: {total}")
    for name in [name for name, _ in BUCKETS] + ["other"]:
        print(f"  {100 * buckets[name] / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
