"""README.md tells a newcomer the truth: its commands are the ones CI runs, its links and the
documents the code cites exist, its planner flags are the planner's, and planning needs only
`requirements.txt`."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap

import pytest

from planner.__main__ import _parser
from tests.conftest import ROOT
from tests.planner.goldens import GOLDEN

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under the `## ` heading that starts with `title`, up to the next `## `."""
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no section '## {title}'"
    return match.group(1)


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)\n```$", text, re.M | re.S)


def headings() -> set[str]:
    return {line.lstrip("#").strip() for line in README.splitlines() if re.match(r"#{1,4} ", line)}


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


# -- setup ---------------------------------------------------------------------------------


def test_quick_start_is_two_commands_and_ci_runs_them_as_written() -> None:
    setup, tests = shell_blocks(section("Quick start"))[:2]
    assert "\n" not in setup and "\n" not in tests, "each must stay one command a newcomer can paste"
    assert "-r requirements.txt" in setup and "requirements-dev" not in setup and "npm" not in setup
    assert setup.endswith("python -m planner --stack dev")
    assert "-r requirements-dev.txt" in tests and "npm ci" in tests and tests.endswith("python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup in ci and tests in ci, ".ci/run must run the README's commands exactly as written"
    assert ci.index(setup) < ci.index(tests)


def _requirements(name: str) -> set[str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return {re.split(r"[=<>\[ ;]", line.strip())[0].lower() for line in lines
            if line.strip() and not line.startswith(("#", "-r"))}


def test_planning_needs_nothing_from_requirements_dev() -> None:
    """The quick start's first command installs requirements.txt only: the planner must not import the rest."""
    dev_only = _requirements("requirements-dev.txt") - _requirements("requirements.txt")
    assert dev_only and not (dev_only & _requirements("requirements.txt"))
    normal = {re.sub(r"[-_.]+", "-", name) for name in dev_only}
    blocked = sorted(module for module, dists in importlib.metadata.packages_distributions().items()
                     if any(re.sub(r"[-_.]+", "-", dist.lower()) in normal for dist in dists))
    assert {"pytest", "jsonschema", "matplotlib"} <= set(blocked)
    script = textwrap.dedent(f"""
        import importlib.abc, runpy, sys
        BLOCKED = {blocked!r}
        class DevOnly(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is in requirements-dev.txt only")
        sys.meta_path.insert(0, DevOnly())
        sys.argv = ["python -m planner", "--stack", "dev"]
        runpy.run_module("planner", run_name="__main__")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Stack dev: ")


# -- what the README and the files cite exists -----------------------------------------------


def test_links_stay_in_the_repository_and_resolve() -> None:
    anchors = {github_anchor(h) for h in headings()}
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("#"):
            assert target[1:] in anchors, f"README.md links to a missing section: {target}"
            continue
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"README.md links outside the repository: {target}"
        assert path.exists(), f"README.md links to a missing file: {target}"


CITING = ("apps.yaml", ".github/workflows/pull-request.yml", ".github/workflows/deploy.yml", ".ci/run")


def citation_problems(text: str) -> list[str]:
    """README sections (`README.md, "Title"`) and repository files (`docs/x.md`) cited in `text` that do not exist."""
    problems = [f"README section {title!r}" for title in re.findall(r'README\.md, "([^"]+)"', text)
                if title not in headings()]
    problems += [path for path in re.findall(r"\b((?:docs|tests|planner|components)/[\w./-]+\.(?:md|py))\b", text)
                 if not (ROOT / path).exists()]
    return problems


@pytest.mark.parametrize("name", CITING)
def test_cited_documents_and_sections_exist(name: str) -> None:
    assert citation_problems((ROOT / name).read_text(encoding="utf-8")) == [], f"{name} cites what does not exist"


def test_the_citation_check_catches_what_the_files_used_to_cite() -> None:
    old = '# Field reference: README.md, "apps.yaml fields".\n# docs/pull-requests.md explains them for users.'
    assert citation_problems(old) == ["README section 'apps.yaml fields'", "docs/pull-requests.md"]


# -- the planner's section -------------------------------------------------------------------


def test_every_planner_flag_is_documented() -> None:
    text = section("The offline planner")
    for action in _parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in text, f"README.md does not document {option}"
    assert "gangplank:appsFile" in text, "--apps defaults to the stack's gangplank:appsFile"


def test_readme_shows_the_real_table() -> None:
    assert (GOLDEN / "table.txt").read_text(encoding="utf-8") in section("The offline planner"), (
        "update the sample table in README.md from tests/planner/golden/table.txt")


def test_readme_says_where_the_reference_documents_come_from() -> None:
    text = section("Running the tests")
    from tests.reference import REFERENCE_DOCUMENTS, SHARED_DIR

    for path in REFERENCE_DOCUMENTS:
        relative = path.relative_to(SHARED_DIR).as_posix()
        assert f"`{relative}`" in text
        notice = (path.parent / "NOTICE").read_text(encoding="utf-8")
        sha = re.search(r"sha256: ([0-9a-f]{64})", notice).group(1)
        script = (ROOT / "tests" / "fetch-reference-documents.sh").read_text(encoding="utf-8")
        assert f"{sha}  {relative}" in script, f"the fetch script's checksum of {relative} is not the NOTICE's"
    assert "GANGPLANK_SHARED_DIR" in text and "tests/fetch-reference-documents.sh" in text
