"""The change's modeled `pulumi up`, after the diff: its time, its blockers, and the same counts as the diff.

`change` is `planner.rollout.changes.change_rollout(base, head, ..., steps=...)`, given the diff's own steps, so
the counts here are the heading's. A change with a blocker says BLOCKED first and lists the blockers
before the time of what does complete, and when `pulumi up` fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.diff.layout import WIDTH, wrap
from planner.markdown import code

MAX_BLOCKERS = 25
LISTS = (("created", "to create"), ("imported", "to import"), ("updated", "to update"), ("replaced", "to replace"),
         ("deleted", "to delete"))


def counts_text(change: Mapping[str, Any]) -> str:
    """`4 to create, 2 to update, 3 to replace, 6 to delete` (imports only when there are some)."""
    return ", ".join(f"{len(change.get(key) or [])} {words}" for key, words in LISTS
                     if key != "imported" or change.get(key))


def render_rollout_section(change: Mapping[str, Any], width: int = WIDTH) -> str:
    """The modeled `pulumi up` of a change, as a section after the diff ('' for a change with no step)."""
    from planner.rollout.report import duration_text

    if not any(change.get(key) for key, _ in LISTS):
        return ""
    path = " → ".join(code(name.partition("::")[2]) for name in change["criticalPath"][:8])
    more = " → …" if len(change["criticalPath"]) > 8 else ""
    chain = f" Slowest chain: {path}{more}." if path else ""
    blockers = change["blockers"]
    lines = [""]
    if blockers:
        lines += ["#### Rollout (modeled): BLOCKED", ""]
        lines += wrap(f"**BLOCKED**: this change cannot complete as planned ({len(blockers)} "
                      f"blocker{'s' if len(blockers) != 1 else ''}, first):", width=width)
        lines += ["", "> [!CAUTION]"]
        for blocker in blockers[:MAX_BLOCKERS]:
            lines += wrap(f"{code(blocker['resource'])}: {' '.join(str(blocker['reason']).split())}",
                          first="> - ", rest=">   ", width=width)
        if len(blockers) > MAX_BLOCKERS:
            lines.append(f"> - … and {len(blockers) - MAX_BLOCKERS} more.")
        lines += [""]
        fails = change.get("failsAfterSeconds")
        when = "as soon as it gets there" if fails is not None and fails < 1 else \
            f"after about **{duration_text(fails or 0)}**"
        failing = f"; `pulumi up` fails {when}, and never makes the deletes it makes last" if fails is not None else ""
        lines += wrap(f"Of this change's steps ({counts_text(change)}), what does complete takes about "
                      f"**{duration_text(change['seconds'])}**{failing}.{chain}", width=width)
    else:
        lines += ["#### Rollout (modeled)", ""]
        lines += wrap(f"`pulumi up` of this change ({counts_text(change)}): about "
                      f"**{duration_text(change['seconds'])}**.{chain}", width=width)
    return "\n".join(lines) + "\n"
