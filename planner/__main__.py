"""`python -m planner`: plan a stack offline, or diff it against an earlier plan.

Modes besides the plan itself: `--preview fresh|update` (as `pulumi preview`, unknowns shown),
`--rollout` (the first `pulumi up` rehearsed over the dependency graph), `--rehearse` (the AWS
resources replayed into moto). Exit codes: 0 planned; 1 invalid input (every problem on stderr,
one per line), or, with `--rehearse`, a resource AWS would refuse; 2 usage error; 3 an internal
error: a bug in gangplank, never reported as invalid input (CI can tell them apart).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from components.inputs.problems import InputError, one_line, shown
from components.inputs.yamlfile import YamlFileError, read_text
from planner.plan_format import base_problem, stamped
from planner.render import RENDERERS, render_table
from planner.run import PREVIEWS, build_plan, run_program
from planner.splitting import SplitProblem, state_moves
from planner.stacks import affected_stacks, app_stacks, codeowners

EXIT_OK, EXIT_INVALID, EXIT_BUG = 0, 1, 3  # usage errors exit 2 from argparse itself
STACK_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""Pulumi stack names: alphanumerics, hyphens, underscores and periods (`pulumi stack init` refuses others)."""
PLAN_MAX_DEPTH = 100
"""Deepest nesting accepted in a base plan (the planner's own plans nest about 15 levels: Helm values)."""
PLAN_MAX_BYTES = 512 * 1024 * 1024
"""Largest base plan read (a 1,000-app plan is about 10 MB)."""


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
                        help="table: one line per app with every column; diff and preview: lines longer than "
                             "100 columns (wider than 100 columns)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--diff", metavar="BASE.json",
                       help="compare with an earlier `--format json` plan: Markdown (default) or --format json")
    modes.add_argument("--preview", choices=PREVIEWS,
                       help="plan as `pulumi preview` of a new stack (fresh) or of an update of every Helm release "
                            "and monitor (update): values the providers compute are unknown")
    modes.add_argument("--rollout", action="store_true",
                       help="rehearse the first `pulumi up` over the dependency graph with modeled durations "
                            "(table, or --format json)")
    modes.add_argument("--rehearse", action="store_true",
                       help="replay the plan's AWS resources into an AWS emulator (moto, in process); "
                            "exits 1 if AWS would refuse any")
    modes.add_argument("--state-moves", action="store_true",
                       help="the `pulumi state move` commands that split the `all` stack --stack (a platform stack "
                            "now) into it and its app stacks, checked to recreate nothing (or --format json)")
    modes.add_argument("--codeowners", action="store_true",
                       help="print the CODEOWNERS section: catalogue files by their `owners:`, everything else by "
                            "gangplank:platformOwners")
    modes.add_argument("--affected-stacks", metavar="CHANGED",
                       help="print, as JSON, the stacks a change to the paths listed in the file CHANGED (one a line; "
                            "'-': standard input) affects, in deploy order")
    modes.add_argument("--app-stacks", metavar="PLATFORM",
                       help="print, as JSON, the app stacks of the platform stack PLATFORM")
    parser.add_argument("--base", metavar="DIR",
                        help="with --affected-stacks: the base checkout, for teams that shared a host before")
    parser.add_argument("--allow-other-stack", action="store_true",
                        help="with --diff: accept a base plan of another stack than --stack")
    parser.add_argument("--since", metavar="STACK_FILE",
                        help="with --rehearse: replay the stack as this version of its stack file configures it (the "
                             "step before, e.g. `git show main:Pulumi.prod.yaml > before.yaml`), then this one as the "
                             "change `pulumi up` makes; exits 1 if AWS would refuse a call or a host would go "
                             "unanswered")
    return parser


def _output_format(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The format asked for, or a usage error (exit 2) for a combination that would print something else."""
    fmt = args.format or ("markdown" if args.diff else "table")
    if args.diff and fmt == "table":
        parser.error("--diff prints Markdown (the default with --diff) or JSON (--format json), not a table")
    if args.wide and fmt != "table" and not (args.diff and fmt == "markdown"):
        parser.error("--wide applies to the table (--format table) and the Markdown diff only")
    if args.allow_other_stack and not args.diff:
        parser.error("--allow-other-stack applies to --diff only")
    if args.base and not args.affected_stacks:
        parser.error("--base applies to --affected-stacks only")
    if (args.codeowners or args.affected_stacks or args.app_stacks) and (args.format or args.wide or args.apps):
        parser.error("--codeowners, --affected-stacks and --app-stacks take no --format, --wide or --apps")
    if args.state_moves and (args.apps or args.wide or fmt not in ("table", "json")):
        parser.error("--state-moves prints commands (the default) or JSON (--format json), for the stacks' own "
                     "catalogue (no --apps)")
    if args.since and not args.rehearse:
        parser.error("--since applies to --rehearse only")
    return fmt


def _check_base_stack(path: str, base: dict[str, Any], stack: str, allowed: bool) -> None:
    """A base plan of another stack compares two environments: an error unless asked for."""
    base_stack = base.get("stack")
    if base_stack is not None and base_stack != stack and not allowed:
        raise _Invalid(f"{path}: a plan of stack '{shown(base_stack)}', not of '{stack}'; to compare two stacks, "
                       "pass --allow-other-stack")


class _PlanModel(BaseModel):
    # What diff_plans reads of a plan, typed; anything else a plan holds is let through.
    model_config = ConfigDict(extra="allow", strict=True)


class _PlanApp(_PlanModel):
    name: str


class _PlanResource(_PlanModel):
    type: str
    name: str
    parent: str | None = None
    inputs: dict[str, Any] = {}
    options: dict[str, Any] | None = None


class _Plan(_PlanModel):
    stack: str | None = None
    apps: list[_PlanApp] = []
    resources: list[_PlanResource]


def _load_base(path: str) -> dict[str, Any]:
    """The base plan of `--diff`, checked to be what `--format json` writes, so a truncated or foreign file
    is an input problem ("not a JSON plan: ..."), never a crash of the diff."""
    try:
        text = read_text(path, PLAN_MAX_BYTES)
    except YamlFileError as err:
        if err.message == "file not found":
            raise _Invalid(f"{path}: file not found") from None
        raise _Invalid(f"{path}{f':{err.line}' if err.line else ''}: not a JSON plan: {err.message}") from None
    try:
        base = json.loads(text)
    except json.JSONDecodeError as err:
        raise _Invalid(f"{path}:{err.lineno}: not a JSON plan: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise _Invalid(f"{path}: not a JSON plan: nested too deeply") from None
    if _depth(base) > PLAN_MAX_DEPTH:
        raise _Invalid(f"{path}: not a JSON plan: nested more than {PLAN_MAX_DEPTH} levels deep")
    if not isinstance(base, dict):
        raise _Invalid(f"{path}: not a JSON plan: expected an object with 'stack', 'apps' and 'resources', "
                       f"found {_JSON_KINDS.get(type(base).__name__, type(base).__name__)}")
    # What it is first: a diff or a rollout report is no plan, whatever its shape lacks.
    problem = base_problem(base)
    if problem is not None:
        raise _Invalid(f"{path}: not a base for --diff: {problem}")
    try:
        _Plan.model_validate(base)
    except ValidationError as err:
        first = err.errors()[0]
        where = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in first["loc"]).lstrip(".")
        more = f" (and {err.error_count() - 1} more problem(s))" if err.error_count() > 1 else ""
        raise _Invalid(f"{path}: not a JSON plan: '{where}': {_plan_message(first)}{more}") from None
    base.setdefault("apps", [])
    return base


_JSON_KINDS = {"dict": "an object", "list": "a list", "str": "a string", "int": "a number", "float": "a number",
               "bool": "a boolean", "NoneType": "null"}
_EXPECTED = {"model_type": "an object", "dict_type": "an object", "list_type": "a list", "string_type": "a string"}


def _plan_message(error: Any) -> str:
    if error["type"] == "missing":
        return "missing"
    expected = _EXPECTED.get(error["type"])
    found = _JSON_KINDS.get(type(error.get("input")).__name__, type(error.get("input")).__name__)
    return f"expected {expected}, found {found}" if expected else error["msg"]


def _depth(value: Any) -> int:
    """Nesting depth of JSON data, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > PLAN_MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class _Invalid(Exception):
    """A problem with a file or flag named on the command line."""


def _changed_paths(source: str) -> list[str]:
    """The paths listed one a line in `source` ('-': standard input)."""
    if source == "-":
        return sys.stdin.read().splitlines()
    try:
        return read_text(source).splitlines()
    except YamlFileError as err:
        raise _Invalid(f"{source}: {err.message}") from None


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    fmt = _output_format(parser, args)
    if args.rehearse and importlib.util.find_spec("moto") is None:
        # The emulator is a development tool, kept out of what `pulumi up` installs (requirements.txt).
        parser.error("--rehearse needs moto and boto3: .venv/bin/pip install -r requirements-dev.txt")
    try:
        return _run(args, fmt)
    except InputError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"{len(err.problems)} problem(s); nothing was planned.", file=sys.stderr)
        return EXIT_INVALID
    except _Invalid as err:
        print(one_line(str(err)), file=sys.stderr)
        return EXIT_INVALID
    except SplitProblem as err:
        for line in err.lines:
            print(one_line(line), file=sys.stderr)
        return EXIT_INVALID
    except Exception as err:  # a bug: say so, and never exit 1 (invalid input)
        traceback.print_exc(file=sys.stderr)
        frame = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
        where = f" at {Path(frame.filename).name}:{frame.lineno} ({frame.name})" if frame else ""
        print(f"python -m planner: internal error{where}: {type(err).__name__}: {shown(err, 300)}. This is a bug "
              "in gangplank, not a problem with your input: please report it with the traceback above.",
              file=sys.stderr)
        return EXIT_BUG


def _run(args: argparse.Namespace, fmt: str) -> int:
    if args.codeowners:
        sys.stdout.write(codeowners())
        return EXIT_OK
    if args.affected_stacks:
        sys.stdout.write(json.dumps(affected_stacks(_changed_paths(args.affected_stacks), ".", args.base)) + "\n")
        return EXIT_OK
    if args.app_stacks:
        sys.stdout.write(json.dumps(app_stacks(args.app_stacks)) + "\n")
        return EXIT_OK
    for flag, value in (("--stack", args.stack), ("--apps", args.apps), ("--diff", args.diff)):
        if value is not None and not value.strip():
            raise _Invalid(f"{flag}: an empty value; give a {'stack name' if flag == '--stack' else 'file path'}")
    if not STACK_NAME_RE.fullmatch(args.stack):
        raise _Invalid(f"--stack: '{shown(args.stack)}' is not a stack name (letters, digits, '-', '_' and '.', "
                       "as Pulumi allows)")
    if args.state_moves:
        sys.stdout.write(state_moves(args.stack, as_json=fmt == "json"))
        return EXIT_OK
    base = _load_base(args.diff) if args.diff else None
    if base is not None:
        _check_base_stack(args.diff, base, args.stack, args.allow_other_stack)
    run = run_program(args.stack, args.apps, mode=args.preview or "plan")
    head = build_plan(run)
    if base is not None:
        from components.inputs.settings_parsing import read_stack_yaml, stack_file_name
        from planner.diff import diff_as_json, diff_plans, render_diff_markdown, render_rollout_section
        from planner.edge_moves import move_change_problems
        from planner.rollout.changes import change_rollout, diff_steps

        # A change of a move that cuts clients off is invalid input as a change (the program sees one step alone).
        if moves := move_change_problems(base, head, stack_file_name(args.stack), read_stack_yaml(
                stack_file_name(args.stack))):
            raise InputError(moves)
        diff = diff_plans(base, head, run.config)
        rollout = None if diff.is_empty else change_rollout(base, head, run.config, os.environ, diff_steps(diff),
                                                                 diff.blockers)
        width = None if args.wide else 100
        if fmt == "json":
            sys.stdout.write(RENDERERS["json"]({**diff_as_json(diff), **({"rollout": rollout} if rollout else {})}))
        else:
            sys.stdout.write(render_diff_markdown(diff, width, len(rollout["blockers"]) if rollout else 0))
            if rollout is not None:
                sys.stdout.write(render_rollout_section(rollout, width or 10**6))
    elif args.rollout:
        from planner.rollout.report import render_rollout_table, rollout_report

        report = rollout_report(head, run.config, os.environ)
        sys.stdout.write(RENDERERS["json"](stamped(report, "rollout")) if fmt == "json"
                         else render_rollout_table(report))
    elif args.rehearse and args.since:
        from planner.stackconfig import read_stack_file
        from planner.transition.cli import rehearse_change, render_steps

        if not args.since.strip():
            raise _Invalid("--since: an empty value; give a file path")
        before = run_program(args.stack, args.apps, stack_config=read_stack_file(args.since))
        steps = rehearse_change(before, run, since=args.since)
        sys.stdout.write(render_steps(steps))
        return EXIT_INVALID if any(line.outcome == "rejected" for _, lines in steps for line in lines) else EXIT_OK
    elif args.rehearse:
        from planner.rehearse import rehearse_run, render_rehearsal

        lines = rehearse_run(run)
        sys.stdout.write(render_rehearsal(lines))
        return EXIT_INVALID if any(line.outcome == "rejected" for line in lines) else EXIT_OK
    elif args.preview and fmt == "table":
        from planner.preview import render_preview_table

        sys.stdout.write(render_preview_table(head, wide=args.wide))
    elif fmt == "table":
        sys.stdout.write(render_table(head, wide=args.wide))
    else:
        sys.stdout.write(RENDERERS[fmt](head))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
