"""The golden files in tests/planner/golden/: what the planner prints for a hand-written pair of plans.

`base.json` and `head.json` are the inputs (a small `dev` stack, plans of format version 2: an app
added, one removed, one switching visibility and host, one moving to another namespace, a monitor
switched off and another checking more often, a hosted zone tagged and unprotected, the controllers
scaled). Every other file there is rendered from them by `render_goldens()`: the PR diff with its
modeled rollout (`diff.md`, `diff.json`, `empty.md`) and the plan views of head (`table.txt`,
`table-wide.txt`, `plan.md`).

After an intended change to the output, regenerate them and review the change like code:

    .venv/bin/python -m tests.planner.goldens            # rewrites tests/planner/golden/
    .venv/bin/python -m tests.planner.goldens --out DIR  # writes them elsewhere
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

from planner.diff import diff_as_json, diff_plans, render_diff_markdown, render_rollout_section
from planner.render import render_json, render_markdown, render_table
from planner.rollout.changes import change_rollout, diff_steps

GOLDEN = Path(__file__).parent / "golden"
INPUTS = ("base.json", "head.json")
CONFIG = {"gangplank:uptimerobotApiKey": "[secret]"}
"""The stack config the pair is diffed with: what the rollout reads (an UptimeRobot key is configured)."""


def load_plan(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def render_goldens() -> dict[str, str]:
    """File name -> the text the planner renders for it today."""
    base, head = load_plan("base.json"), load_plan("head.json")
    diff = diff_plans(base, head, CONFIG)
    rollout = change_rollout(base, head, CONFIG, {}, diff_steps(diff), diff.blockers)
    return {
        "diff.md": render_diff_markdown(diff, blocked=len(rollout["blockers"])) + render_rollout_section(rollout),
        "diff.json": render_json({**diff_as_json(diff), "rollout": rollout}),
        "empty.md": render_diff_markdown(diff_plans(base, copy.deepcopy(base))),
        "table.txt": render_table(head),
        "table-wide.txt": render_table(head, wide=True),
        "plan.md": render_markdown(head),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.planner.goldens", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN, help="directory to write to (default: the golden files)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render_goldens().items():
        # Bytes exactly as rendered: no newline translation on any platform.
        (args.out / name).write_bytes(text.encode("utf-8"))
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
