"""`python -m planner`: plan a stack offline, or diff it against an earlier plan.

Modes besides the plan itself: `--preview fresh|update` (as `pulumi preview`, unknowns shown),
`--rollout` (the first `pulumi up` rehearsed over the dependency graph), `--rehearse` (the AWS
resources replayed into moto). Exit codes: 0 planned; 1 invalid input (every problem on stderr,
one per line), or, with `--rehearse`, a resource AWS would refuse; 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from components.inputs.problems import InputError
from planner.render import RENDERERS
from planner.run import PREVIEWS, build_plan, run_program

EXIT_OK, EXIT_INVALID = 0, 1  # usage errors exit 2 from argparse itself


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planner",
        description="Show what gangplank declares for a stack, without Pulumi CLI, cloud or credentials.",
    )
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    parser.add_argument("--apps", default=None, metavar="PATH",
                        help="app catalogue (default: the stack's gangplank:appsFile, else apps.yaml)")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="table", help="output format (default: table)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--diff", metavar="BASE.json",
                       help="compare with an earlier `--format json` plan; prints a Markdown summary")
    modes.add_argument("--preview", choices=PREVIEWS,
                       help="plan as `pulumi preview` of a new stack (fresh) or of an update of every Helm release "
                            "and monitor (update): values the providers compute are unknown")
    modes.add_argument("--rollout", action="store_true",
                       help="rehearse the first `pulumi up` over the dependency graph with modeled durations "
                            "(table, or --format json)")
    modes.add_argument("--rehearse", action="store_true",
                       help="replay the plan's AWS resources into an AWS emulator (moto, in process); "
                            "exits 1 if AWS would refuse any")
    return parser


def _load_base(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            base = json.load(handle)
    except FileNotFoundError:
        raise _Invalid(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _Invalid(f"{path}: not a JSON plan: {err}") from None
    if not isinstance(base, dict) or not isinstance(base.get("resources"), list):
        raise _Invalid(f"{path}: not a JSON plan (expected an object with 'stack', 'apps' and 'resources')")
    base.setdefault("apps", [])
    return base


class _Invalid(Exception):
    """A problem with a file named on the command line."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on usage errors
    try:
        base = _load_base(args.diff) if args.diff else None
        run = run_program(args.stack, args.apps, mode=args.preview or "plan")
        head = build_plan(run)
    except InputError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s); nothing was planned.", file=sys.stderr)
        return EXIT_INVALID
    except _Invalid as err:
        print(err, file=sys.stderr)
        return EXIT_INVALID
    if base is not None:
        from planner.diff import diff_plans, render_diff_markdown, render_rollout_section
        from planner.rollout import change_rollout

        diff = diff_plans(base, head)
        sys.stdout.write(render_diff_markdown(diff))
        if not diff.is_empty:
            sys.stdout.write(render_rollout_section(change_rollout(base, head, run.config, os.environ)))
    elif args.rollout:
        from planner.rollout import render_rollout_table, rollout_report

        report = rollout_report(head, run.config, os.environ)
        sys.stdout.write(RENDERERS["json"](report) if args.format == "json" else render_rollout_table(report))
    elif args.rehearse:
        from planner.rehearse import rehearse_run, render_rehearsal

        lines = rehearse_run(run)
        sys.stdout.write(render_rehearsal(lines))
        return EXIT_INVALID if any(line.outcome == "rejected" for line in lines) else EXIT_OK
    elif args.preview and args.format == "table":
        from planner.preview import render_preview_table

        sys.stdout.write(render_preview_table(head))
    else:
        sys.stdout.write(RENDERERS[args.format](head))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
