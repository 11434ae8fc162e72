"""What `python -m planner --rehearse --since` runs: the change between two program runs, rehearsed
(`change.rehearse_steps`), and its lines and verdict for people."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from planner.rehearse import Line
from planner.transition.change import Step, rehearse_steps


def rehearse_change(before: Any, after: Any, since: str = "before") -> list[tuple[str, list[Line]]]:
    """`rehearse_steps` for two `planner.run.ProgramRun`s in `plan` mode: the state of `before` (named `since`), then
    the change to `after`."""
    from planner.edge_moves import unsafe_move_changes
    from planner.mocks.network import MOCK_VPC_CIDR
    from planner.rollout.blockers import delegated_by_hand

    steps = [Step(name, [*run.monitor.registrations, *run.monitor.read_registrations])
             for name, run in ((since, before), (f"stack {after.stack}", after))]
    reports = rehearse_steps(steps, after.config.get("aws:region") or "us-east-1", MOCK_VPC_CIDR,
                             delegated_by_hand(after.config))
    # What no order of the engine's makes safe, but the replay cannot see (planner/edge_moves.py: why).
    name, lines = reports[-1]
    moves = [Line("rejected", f"gangplank:edges.{edge}.move", why)
             for edge, why in unsafe_move_changes({"outputs": before.outputs}, {"outputs": after.outputs})]
    return [*reports[:-1], (name, [*lines, *moves])]


def render_steps(steps: Sequence[tuple[str, Sequence[Line]]]) -> str:
    """Each step's lines and counts, then one verdict: whether AWS accepts every call and every host stays served."""
    out: list[str] = []
    for position, (name, lines) in enumerate(steps):
        counts = ", ".join(f"{sum(1 for line in lines if line.outcome == outcome)} {outcome}"
                           for outcome in ("accepted", "rejected", "skipped"))
        what = "as a first deploy" if position == 0 else "as the change from the step before"
        out += [f"== {name} ({what}): {counts}", *(str(line) for line in lines), ""]
    rejected = [line for _, lines in steps for line in lines if line.outcome == "rejected"]
    unserved = sorted({line.resource for line in rejected if line.resource.startswith("clients of ")})
    moves = [line for line in rejected if line.resource.startswith("gangplank:edges.")]
    refused = [line for line in rejected if not line.resource.startswith(("clients of ", "gangplank:edges."))]
    unchecked = sorted({line.resource.removeprefix("clients of ") for _, lines in steps for line in lines
                        if line.outcome == "skipped" and line.resource.startswith("clients of ")})
    if not rejected and unchecked:
        out += textwrap.wrap(f"AWS would accept every call, and every host stays answered at every call; whether "
                             f"its controller serves it was not checked for {len(unchecked)} host(s): "
                             + ", ".join(unchecked) + ".", width=100, break_long_words=False, break_on_hyphens=False)
    elif not rejected:
        out.append("AWS would accept every call, and every host stays answered and served at every call.")
    else:
        if refused:
            out.append(f"AWS would refuse {len(refused)} call(s).")
        for line in moves:
            out += textwrap.wrap(f"{line.resource}: {line.detail}.", width=100, break_long_words=False,
                                 break_on_hyphens=False)
        if unserved:
            out += textwrap.wrap(f"{len(unserved)} host(s) would go unanswered or unserved during a step: "
                                 + ", ".join(name.removeprefix("clients of ") for name in unserved) + ".",
                                 width=100, break_long_words=False, break_on_hyphens=False)
    return "\n".join(out) + "\n"
