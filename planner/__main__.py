"""`python -m planner`: plan a stack offline, or diff it against an earlier plan.

Exit codes: 0 planned; 1 invalid input (every problem on stderr, one per line); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components.inputs.problems import InputError
from planner.render import RENDERERS, render_table
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
    parser.add_argument("--format", choices=sorted(RENDERERS), default=None,
                        help="output format (default: table; with --diff: markdown)")
    parser.add_argument("--wide", action="store_true",
                        help="table: one line per app with every column (wider than 100 columns)")
    parser.add_argument("--diff", metavar="BASE.json",
                        help="compare with an earlier `--format json` plan: Markdown (default) or --format json")
    parser.add_argument("--allow-other-stack", action="store_true",
                        help="with --diff: accept a base plan of another stack than --stack")
    return parser


def _output_format(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The format asked for, or a usage error (exit 2) for a combination that would print something else."""
    fmt = args.format or ("markdown" if args.diff else "table")
    if args.diff and fmt == "table":
        parser.error("--diff prints Markdown (the default with --diff) or JSON (--format json), not a table")
    if args.wide and fmt != "table":
        parser.error("--wide applies to the table (--format table) only")
    if args.allow_other_stack and not args.diff:
        parser.error("--allow-other-stack applies to --diff only")
    return fmt


def _check_base_stack(path: str, base: dict[str, Any], stack: str, allowed: bool) -> None:
    """A base plan of another stack compares two environments: an error unless asked for."""
    base_stack = base.get("stack")
    if base_stack is not None and base_stack != stack and not allowed:
        raise _Invalid(f"{path}: a plan of stack '{base_stack}', not of '{stack}'; to compare two stacks, "
                       "pass --allow-other-stack")


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
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    fmt = _output_format(parser, args)
    try:
        base = _load_base(args.diff) if args.diff else None
        if base is not None:
            _check_base_stack(args.diff, base, args.stack, args.allow_other_stack)
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
        from planner.diff import diff_plans, render_diff_json, render_diff_markdown

        diff = diff_plans(base, head)
        sys.stdout.write(render_diff_json(diff) if fmt == "json" else render_diff_markdown(diff))
    elif fmt == "table":
        sys.stdout.write(render_table(head, wide=args.wide))
    else:
        sys.stdout.write(RENDERERS[fmt](head))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
