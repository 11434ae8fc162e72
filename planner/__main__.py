"""`python -m planner`: plan a stack offline, or diff it against an earlier plan.

Exit codes: 0 planned; 1 invalid input (every problem on stderr, one per line); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components.inputs.problems import InputError
from planner.render import RENDERERS
from planner.run import plan

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
    parser.add_argument("--diff", metavar="BASE.json",
                        help="compare with an earlier `--format json` plan; prints a Markdown summary")
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
        head = plan(args.stack, args.apps)
    except InputError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s); nothing was planned.", file=sys.stderr)
        return EXIT_INVALID
    except _Invalid as err:
        print(err, file=sys.stderr)
        return EXIT_INVALID
    if base is not None:
        from planner.diff import diff_plans, render_diff_markdown

        sys.stdout.write(render_diff_markdown(diff_plans(base, head)))
    else:
        sys.stdout.write(RENDERERS[args.format](head))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
