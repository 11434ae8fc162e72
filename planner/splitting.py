"""`python -m planner --stack <platform> --state-moves`: plan an environment both ways and print the moves.

The platform stack's own file describes the split form; its `all` form is the same config with
`gangplank:role: all` and the app stacks' catalogue: what the live stack runs before the split. Both are
planned offline, `planner.statemove` maps one onto the other, and the commands are printed only when the
mapping is exact (every resource in exactly one split stack, same URN, same inputs).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from components.inputs.settings import CONFIG_NAMESPACE, STACK_REFERENCE_RE
from components.inputs.stackfiles import app_stacks_of, read_stack_files
from components.uptimerobot.provider import API_KEY_ENV
from planner.mocks.serving import StackOutputs
from planner.run import PROJECT, build_plan, run_program
from planner.statemove import full_urn, plan_state_moves, qualified, render_state_moves


class SplitProblem(Exception):
    """The environment cannot be split as its stack files say (each line one reason)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


@contextmanager
def _monitor_key_assumed() -> Iterator[None]:
    """The `all` form is the live stack, which deployed its monitors with a key: plan it as such, without one.

    (A platform stack needs none, so its file may have dropped it; the key is never part of a resource's inputs.)
    """
    had = API_KEY_ENV in os.environ
    if not had:
        os.environ[API_KEY_ENV] = "assumed-for-the-all-form"
    try:
        yield
    finally:
        if not had:
            os.environ.pop(API_KEY_ENV, None)


def state_moves(platform: str, project_dir: str | Path = ".", as_json: bool = False) -> str:
    """The commands (or JSON) that split the `all` stack `platform` into it and its app stacks."""
    stacks = read_stack_files(project_dir)
    me = next((stack for stack in stacks if stack.name == platform), None)
    if me is None or me.role != "platform":
        raise SplitProblem([f"--state-moves: '{platform}' is not a platform stack (gangplank:role: platform in "
                            f"Pulumi.{platform}.yaml): name the stack that becomes the platform"])
    apps = app_stacks_of(platform, stacks)
    if not apps:
        raise SplitProblem([f"--state-moves: no app stack names '{platform}' as its gangplank:platformStack"])
    catalogues = sorted({app.apps_file for app in apps})
    if len(catalogues) > 1:
        raise SplitProblem([f"--state-moves: the app stacks of '{platform}' read {', '.join(catalogues)}: one "
                            "catalogue per environment"])
    match = STACK_REFERENCE_RE.fullmatch(apps[0].platform or "")
    assert match is not None  # app_stacks_of matched its stack name
    organization, project = match.group(1), match.group(2)
    platform_run = run_program(platform, None, project_dir, stack_references={})
    references = {app.platform: StackOutputs(platform_run.outputs, platform_run.secret_outputs)
                  for app in apps if app.platform}
    app_plans = {app.name: build_plan(run_program(app.name, None, project_dir, stack_references=references))
                 for app in apps}
    with _monitor_key_assumed():
        all_plan = build_plan(run_program(platform, None, project_dir, {f"{CONFIG_NAMESPACE}:role": "all",
                                                                        f"{CONFIG_NAMESPACE}:appsFile": catalogues[0]},
                                          stack_references={}))
    moves = plan_state_moves(all_plan, build_plan(platform_run), app_plans)
    if moves.problems:
        raise SplitProblem([f"--state-moves: the split stacks do not declare exactly what the `all` stack "
                            f"'{platform}' does ({len(moves.problems)} problem(s)); nothing to move safely:",
                            *moves.problems])
    if as_json:
        return json.dumps({
            "source": qualified(platform, organization, project or PROJECT),
            "stay": moves.stay,
            "moves": [{"dest": qualified(name, organization, project), "resources": moves.moved[name],
                       "urns": [full_urn(urn, platform, project) for urn in moves.moves[name]]}
                      for name in sorted(moves.moves)],
        }, indent=2, sort_keys=True) + "\n"
    return render_state_moves(moves, platform, organization, project, catalogues[0])
