"""Tuning of the planner's own Python process: how much garbage a program run makes and collects.

This is the planner's business, not the program's: `__main__.py` runs under `pulumi up` exactly
as written, and a Pulumi program that swaps SDK internals or retunes the collector would surprise
every maintainer and every SDK upgrade. The planner is our tool, and it runs the program many
times per process (tests, benchmarks), so it applies `tune_planner_process()` around each run.
The SDK defect behind `stop_sdk_reference_cycles` is written up for upstream in
docs/sdk-contains-unknowns-cycle.md.
"""

from __future__ import annotations

import gc
from typing import Any

from pulumi.runtime import known_types, rpc

# Young-generation threshold while the program declares resources (Python's default: 700).
YOUNG_THRESHOLD = 50_000

SDK_CONTAINS_UNKNOWNS = rpc.contains_unknowns
"""The SDK's own `contains_unknowns`, kept so tests can compare it with ours."""


def relax_garbage_collector() -> None:
    """Collect garbage far less often while the program declares its resources.

    A program run is one burst of allocation (resources, Outputs, futures) that lives until
    the end; with the default thresholds the collector walks it again and again, about half
    the run time of a stack with hundreds of apps (docs/performance.md). What the imports made
    is frozen out of collection for good. A threshold someone set on purpose (0 = collector
    off, or an already higher one) is left alone.
    """
    gc.freeze()
    young, _, _ = gc.get_threshold()
    if 0 < young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, 20, 100)


def freeze_declared_objects() -> None:
    """Take what the program has declared out of the collector's sight, once it is all declared.

    Resources, their Outputs and pending registrations live until the process exits, so every
    middle and full collection after the declarations would walk them again (about a million
    objects at 1000 apps) to find nothing. Objects that die later are still freed by reference
    counting; the collector keeps watching whatever is made from here on.
    """
    gc.freeze()


def contains_unknowns(value: Any) -> bool:
    """Whether `value` (nested dicts and lists) holds an unknown (preview) value anywhere.

    The SDK's answer, without the SDK's reference cycle: an explicit stack instead of a
    recursive closure.
    """
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if known_types.is_unknown(item):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def stop_sdk_reference_cycles() -> None:
    """Swap the SDK's `contains_unknowns` for :func:`contains_unknowns`.

    pulumi 3.272 defines a recursive closure on every call of `rpc.contains_unknowns`, which
    refers to itself through its cell: each call leaves a cycle of six objects that only the
    garbage collector can free. The SDK calls it for every resolved Output, about 34 times per
    resource, so at 500 apps it was 96,000 cycles, nearly all of a run's garbage, and the
    collector's time went with it (docs/performance.md). `output.py`, `invoke.py` and `rpc.py`
    itself all call it through the module attribute, so one assignment covers them.
    """
    rpc.contains_unknowns = contains_unknowns


def tune_planner_process() -> None:
    """What the planner does before a program run: collect less often, and without the SDK's cycles."""
    relax_garbage_collector()
    stop_sdk_reference_cycles()
