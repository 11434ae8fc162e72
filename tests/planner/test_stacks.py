"""The checkout's stacks as a whole: CODEOWNERS, the stacks a change affects, a platform's app stacks, and the
offline planner finding an app stack's platform in the same checkout."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from planner.__main__ import main
from planner.stacks import affected_stacks, app_stacks, codeowners, codeowners_section
from tests.conftest import ROOT

EVERY_STACK = ["dev", "staging", "prod", "prod-platform", "prod-services", "prod-web"]


def test_the_committed_codeowners_section_is_the_generated_one():
    committed = codeowners_section((ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8"))
    assert committed == codeowners(ROOT), ("the CODEOWNERS section is stale: run `python -m planner --codeowners` "
                                           "and put its output in .github/CODEOWNERS")


def test_codeowners_gives_team_files_to_their_owners_and_the_rest_to_the_platform(capsys):
    assert main(["--codeowners"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "* @acme/platform" in lines
    assert lines.index("* @acme/platform") < lines.index("/apps.d/api.yaml @acme/api-team")
    assert "/apps.d/web.yaml @acme/web-team @acme/design" in lines
    # A team's stack file is not the team's: `gangplank:teams` decides which apps a stack may declare.
    assert not any(line.startswith("/Pulumi.") for line in lines)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "apps.d", tmp_path / "apps.d")
    shutil.copy(ROOT / "apps.yaml", tmp_path / "apps.yaml")
    return tmp_path


def test_codeowners_without_platform_owners_says_so(project):
    text = (project / "Pulumi.prod-platform.yaml").read_text(encoding="utf-8")
    (project / "Pulumi.prod-platform.yaml").write_text(text.split("  # Code owners")[0], encoding="utf-8")
    (project / "apps.d" / "api.yaml").write_text("apps: []\n", encoding="utf-8")
    section = codeowners(project)
    assert "# The platform's files have no owner: set gangplank:platformOwners on a platform stack" in section
    assert "* " not in section and "/apps.d/api.yaml" not in section


@pytest.mark.parametrize(("changed", "expected"), [
    (["apps.d/ops.yaml"], ["prod-services"]),
    # web and api share the host shop.<zone>: a change to either may move its records or master Ingress.
    (["apps.d/web.yaml"], ["prod-services", "prod-web"]),
    (["apps.yaml"], ["dev", "staging", "prod"]),
    (["Pulumi.prod-web.yaml"], ["prod-web"]),
    (["Pulumi.prod-platform.yaml"], ["prod-platform", "prod-services", "prod-web"]),
    (["Pulumi.staging.yaml", "docs/performance.md"], ["staging"]),
    (["README.md", "tests/test_readme.py", "benchmarks/plan_scale.py"], []),
    (["components/roles.py"], EVERY_STACK),
    (["apps.schema.json"], EVERY_STACK),
])
def test_a_change_affects_the_stacks_that_read_it(changed, expected):
    assert affected_stacks(changed, ROOT) == expected


def test_a_team_that_shared_a_host_before_the_change_is_affected_too(project, tmp_path):
    """In the base, web's `docs` shared ops's host `deploy`; in the change it no longer does (web.yaml changed too).
    The host's records and master Ingress may move between the two teams' stacks: a change to ops.yaml affects
    prod-web as well, which only the base shows."""
    base = tmp_path / "base"
    shutil.copytree(project, base)
    web = (base / "apps.d" / "web.yaml").read_text(encoding="utf-8")
    (base / "apps.d" / "web.yaml").write_text(web.replace("  - name: docs\n    visibility: public\n",
                                                          "  - name: docs\n    visibility: private\n    host: deploy\n"
                                                          "    paths: [/docs]\n"), encoding="utf-8")
    assert affected_stacks(["apps.d/ops.yaml"], project) == ["prod-services"]
    assert affected_stacks(["apps.d/ops.yaml"], project, base) == ["prod-services", "prod-web"]


def test_an_unreadable_catalogue_affects_every_stack_of_it(project):
    (project / "apps.d" / "web.yaml").write_text("apps: [", encoding="utf-8")
    assert affected_stacks(["apps.d/ops.yaml"], project) == ["prod-services", "prod-web"]


NEW_TEAM = """\
apps:
  - name: blog
    visibility: public
    host: blog
    service: {name: blog, port: 80}
"""
"""A new team's file that no app stack lists: its own app, on a host of its own."""


@pytest.mark.parametrize(("name", "edit", "expected"), [
    # Valid, sharing no host: no stack's plan changes, none would refuse it.
    ("blog.yaml", lambda text: text, []),
    # Every app stack checks the whole catalogue, so a rule across files fails them all.
    ("blog.yaml", lambda text: text.replace("name: blog", "name: shop"), ["prod-services", "prod-web"]),
    # A path on ops's host `deploy` makes it shared with no owning team: refused by every stack of the environment.
    ("blog.yaml", lambda text: text.replace("public\n    host: blog", "private\n    host: deploy\n    paths: [/blog]"),
     ["prod-services", "prod-web"]),
    # Owning it instead: ops's stack (prod-services) refuses a host whose owner no app stack declares.
    ("blog.yaml", lambda text: "ownsHosts: [deploy]\n" + text.replace("public\n    host: blog",
                                                                       "private\n    host: deploy\n    paths: [/b]"),
     ["prod-services"]),
    # A path on `shop`, which api owns: the stacks of both teams on the host (the owner's master joins it).
    ("blog.yaml", lambda text: text.replace("host: blog", "host: shop\n    paths: [/blog]"),
     ["prod-services", "prod-web"]),
    # Files the catalogue refuses, and files it never reads.
    ("blog.yml", lambda text: text, ["prod-services", "prod-web"]),
    ("Blog.yaml", lambda text: text, ["prod-services", "prod-web"]),
    (".blog.yaml.swp", lambda text: text, []),
    ("README.txt", lambda text: text, []),
])
def test_a_new_team_file_affects_the_stacks_it_changes_or_fails(project, name, edit, expected):
    (project / "apps.d" / name).write_text(edit(NEW_TEAM), encoding="utf-8")
    assert affected_stacks([f"apps.d/{name}"], project, ROOT) == expected


def test_a_new_team_file_past_the_environments_quota_affects_every_app_stack(project):
    """Limits are the environment's: a new team's records past the zone's quota make every app stack refuse."""
    from components.apps.capacity import stack_usage
    from components.apps.dashboard import dashboard_app
    from components.inputs.stackfiles import read_stack_files
    from planner.stacks import environment_apps, environment_settings

    settings = environment_settings("prod-platform", read_stack_files(project), project)
    apps = environment_apps("apps.d", "prod-platform", read_stack_files(project), project)
    assert settings is not None and apps is not None
    [records] = [usage.count for usage in stack_usage(settings, apps, dashboard_app(settings, "prod-platform"))
                 if usage.subject == "zone shop.example.com"]
    platform = project / "Pulumi.prod-platform.yaml"
    platform.write_text(platform.read_text(encoding="utf-8") + f"  gangplank:limits:\n    recordsPerZone: {records}\n",
                        encoding="utf-8")
    assert affected_stacks(["apps.d/ops.yaml"], project) == ["prod-services"]  # at the quota, not past it
    (project / "apps.d" / "blog.yaml").write_text(NEW_TEAM, encoding="utf-8")
    assert affected_stacks(["apps.d/blog.yaml"], project) == ["prod-services", "prod-web"]


def test_the_planner_lists_affected_and_app_stacks(tmp_path, capsys):
    changed = tmp_path / "changed.txt"
    changed.write_text("apps.d/ops.yaml\n\n", encoding="utf-8")
    assert main(["--affected-stacks", str(changed)]) == 0
    assert json.loads(capsys.readouterr().out) == ["prod-services"]
    assert main(["--app-stacks", "prod-platform"]) == 0
    assert json.loads(capsys.readouterr().out) == ["prod-services", "prod-web"] == app_stacks("prod-platform", ROOT)


# -- an app stack's platform, offline -------------------------------------------------------------


def write_app_stack(directory: Path, platform: str) -> None:
    (directory / "Pulumi.team.yaml").write_text(textwrap.dedent(f"""\
        config:
          aws:region: eu-west-1
          gangplank:role: apps
          gangplank:platformStack: {platform}
          gangplank:appsFile: apps.d
        """), encoding="utf-8")


@pytest.mark.parametrize(("platform", "says"), [
    ("acme/gangplank/qa-platform", "no stack 'qa-platform' in this checkout (no Pulumi.qa-platform.yaml): the "
                                   "offline planner plans an app stack's platform from the same checkout; its stacks:"),
    ("acme/other/prod-platform", "'acme/other/prod-platform' is a stack of the project 'other', and this checkout is "
                                 "the project 'gangplank'"),
])
def test_a_platform_the_checkout_does_not_have_is_refused(project, monkeypatch, capsys, platform, says):
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    write_app_stack(project, platform)
    monkeypatch.chdir(project)
    assert main(["--stack", "team"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Pulumi.team.yaml:4: config 'gangplank:platformStack': {says}"), err


def test_a_platform_that_is_no_platform_stack_is_named(project, monkeypatch, capsys):
    shutil.copy(ROOT / "__main__.py", project / "__main__.py")
    write_app_stack(project, "acme/gangplank/prod")
    monkeypatch.chdir(project)
    assert main(["--stack", "team"]) == 1
    assert "the stack 'acme/gangplank/prod' exports no 'contract': it is not a gangplank platform stack" in \
        capsys.readouterr().err
