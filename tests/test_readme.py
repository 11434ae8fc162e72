"""README.md and the reference pages under docs/ tell a newcomer the truth: the README's commands
are the ones CI runs, the links and the documents the code cites exist, the planner's flags are
documented, and planning needs only `requirements.txt`."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from planner.__main__ import _parser
from tests.conftest import DOCS, ROOT, read_doc

README = read_doc("README.md")
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
"""Every page a reader can reach from the README."""


def section(title: str, text: str = README) -> str:
    """The text under the `## ` heading that starts with `title`, up to the next `## `."""
    match = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## {title}'"
    return match.group(1)


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)\n```$", text, re.M | re.S)


def headings(text: str = README) -> set[str]:
    """The headings of a page, outside code blocks (a `# comment` in a YAML sample is none)."""
    found, fenced = set(), False
    for line in text.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,4} ", line):
            found.add(line.lstrip("#").strip())
    return found


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


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_links_stay_in_the_repository_and_resolve(page: Any) -> None:
    text = page.read_text(encoding="utf-8")
    name = page.relative_to(ROOT)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.is_relative_to(ROOT), f"{name} links outside the repository: {target}"
        assert path.exists(), f"{name} links to a missing file: {target}"
        if anchor and path.suffix == ".md":
            anchors = {github_anchor(h) for h in headings(path.read_text(encoding="utf-8"))}
            assert anchor in anchors, f"{name} links to a missing section: {target}"


def test_the_readme_links_every_reference_page() -> None:
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    pages = {path.name for path in DOCS.glob("*.md")} - {"sdk-contains-unknowns-cycle.md"}
    assert pages <= linked, f"README.md does not link {sorted(pages - linked)}"


def test_the_readme_stays_short() -> None:
    """The README is the front door (what it is, the two commands, the daily workflow, where to go
    next); reference belongs in docs/."""
    assert len(README.splitlines()) <= 150


CITING = ("apps.yaml", ".github/workflows/pull-request.yml", ".github/workflows/deploy.yml", ".ci/run",
          "tests/reference.py", "tests/fetch-reference-documents.sh", "docs/performance.md",
          *sorted(path.name for path in ROOT.glob("Pulumi.*.yaml")), *sorted(
              path.relative_to(ROOT).as_posix() for path in (ROOT / "apps.d").glob("*.yaml")))


def citation_problems(text: str) -> list[str]:
    """Sections (`README.md, "Title"`, `docs/x.md, "Title"`) and repository files (`docs/x.md`) cited in
    `text` that do not exist."""
    problems = [f"README section {title!r}" for title in re.findall(r'README\.md, "([^"]+)"', text)
                if title not in headings()]
    for page, title in re.findall(r'\b(docs/[\w-]+\.md), "([^"]+)"', text):
        path = ROOT / page
        if path.exists() and title not in headings(path.read_text(encoding="utf-8")):
            problems.append(f"{page} section {title!r}")
    problems += [path for path in re.findall(r"\b((?:docs|tests|planner|components)/[\w./-]+\.(?:md|py))\b", text)
                 if not (ROOT / path).exists()]
    return problems


@pytest.mark.parametrize("name", CITING)
def test_cited_documents_and_sections_exist(name: str) -> None:
    assert citation_problems((ROOT / name).read_text(encoding="utf-8")) == [], f"{name} cites what does not exist"


def test_the_citation_check_catches_what_the_files_used_to_cite() -> None:
    old = ('# Field reference: README.md, "apps.yaml fields".\n# docs/pull-request.md explains them for users.\n'
           '# docs/apps-yaml.md, "The fields" lists them.')
    assert citation_problems(old) == ["README section 'apps.yaml fields'", "docs/apps-yaml.md section 'The fields'",
                                      "docs/pull-request.md"]


# -- the planner's page -------------------------------------------------------------------


def test_every_planner_flag_is_documented() -> None:
    text = read_doc("planner.md")
    for action in _parser()._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in text, f"docs/planner.md does not document {option}"
    assert "gangplank:appsFile" in text, "--apps defaults to the stack's gangplank:appsFile"


def test_the_testing_page_says_where_the_reference_documents_come_from() -> None:
    from tests.reference import DOCUMENTS

    text = read_doc("testing.md")
    for folder in sorted({document.path.rsplit("/", 1)[0] for document in DOCUMENTS}):
        assert f"`{folder}/`" in text, f"docs/testing.md does not name the reference folder {folder}/"
    for source in {document.source for document in DOCUMENTS}:
        assert source.repo in text and source.revision[:8] in text, f"docs/testing.md does not cite {source.repo}"
    for name in ("GANGPLANK_SHARED_DIR", "GANGPLANK_REFERENCE_CACHE", "tests/fetch-reference-documents.sh",
                 "tests/reference.py", ".reference-documents/"):
        assert name in text, f"docs/testing.md does not mention {name}"


def test_the_prices_name_the_example_stacks_region() -> None:
    """The cost figures the docs quote are cost_model.py's, priced in the region the example stacks deploy to."""
    from benchmarks import cost_model

    regions = {re.search(r"^  aws:region: (\S+)$", (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"),
                         re.M).group(1) for stack in ("dev", "staging", "prod")}
    assert regions == {cost_model.REGION}
    at_100 = cost_model.compare(100)
    for page in ("README.md", "testing.md"):
        text = read_doc(page)
        assert f"({cost_model.REGION}," in text and "us-east-1" not in text, page
        assert f"${at_100.gangplank.monthly:,.2f}" in text and f"${at_100.per_app.monthly:,.2f}" in text, page
