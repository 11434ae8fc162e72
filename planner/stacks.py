"""The checkout's stacks as a whole: which ones a change affects, which app stacks a platform has, CODEOWNERS.

Pure functions of the stack files (`components.inputs.stackfiles`) and, for the teams that share a host,
of the catalogue. CI runs them through `python -m planner`: `--affected-stacks` (the stacks a pull request
previews), `--app-stacks` (the matrix a deploy runs after a platform stack), `--codeowners` (the section
of `.github/CODEOWNERS` that the catalogue's `owners:` and `gangplank:platformOwners` make).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from components.inputs.catalog import load_catalogue
from components.inputs.problems import InputError
from components.inputs.settings import Settings, known_stacks, parse_settings, stack_file_name
from components.inputs.stackfiles import StackFile, app_stacks_of, read_stack_files
from components.inputs.teams import TEAM_FILE_SUFFIX, read_catalogue
from components.inputs.yamlfile import YamlFileError
from planner.stackconfig import read_stack_config

PROMOTION_ORDER = ("dev", "staging", "prod")
"""The order deploy.yml promotes the `all` stacks in; other stacks follow by name, platforms before app stacks."""
PLAN_NEUTRAL = ("*.md", "docs/*", "benchmarks/*", "tests/*", "LICENSE", ".github/CODEOWNERS")
"""Paths no stack's plan depends on: a change to them alone previews nothing."""
CODEOWNERS_BEGIN = "# BEGIN gangplank (`python -m planner --codeowners` writes this section; CI checks it)"
CODEOWNERS_END = "# END gangplank"


def ordered(names: Iterable[str], stacks: Sequence[StackFile]) -> list[str]:
    """Stacks in the order they deploy: dev, staging, prod, then the others by name, each platform before the app
    stacks that read it."""
    role = {stack.name: stack.role for stack in stacks}
    chosen = set(names)
    rank = {"all": 0, "platform": 1, "apps": 2}
    rest = sorted(chosen - set(PROMOTION_ORDER), key=lambda name: (rank.get(role.get(name, "all"), 0), name))
    return [name for name in PROMOTION_ORDER if name in chosen] + rest


def _under(path: str, directory: str) -> bool:
    return PurePosixPath(path).parent == PurePosixPath(directory.rstrip("/"))


def _platform_settings(stack: StackFile, stacks: Sequence[StackFile], project_dir: Path) -> tuple[Settings, str] | None:
    """The settings an app or `all` stack's catalogue is read with, and its environment; None when unreadable."""
    name = stack.platform_name if stack.role == "apps" else stack.name
    platform = next((s for s in stacks if s.name == name), None)
    if platform is None:
        return None
    try:
        config = read_stack_config(platform.name, project_dir)
        values = {**config.values, "gangplank:role": "all"}
        values.pop("gangplank:appsFile", None)
        return parse_settings(values, stack_file_name(platform.name), secret_keys=config.secret_keys), platform.name
    except InputError:
        return None


def host_sharing_teams(catalogue: str, team: str, stacks: Sequence[StackFile], project_dir: Path) -> set[str] | None:
    """The teams whose apps share a host with `team`'s in the catalogue directory of `project_dir` (None when the
    catalogue does not resolve: every team may then be affected)."""
    reader = next((s for s in stacks if s.apps_file.rstrip("/") == catalogue.rstrip("/") and s.role != "platform"),
                  None)
    found = _platform_settings(reader, stacks, project_dir) if reader is not None else None
    if found is None:
        return None
    settings, environment = found
    try:
        apps = load_catalogue(str(project_dir / catalogue), settings, environment, known_stacks(project_dir))
    except (InputError, YamlFileError, OSError):
        return None
    hosts_of_team = {host for app in apps if app.team == team for route in app.routes for host in route.hosts}
    return {app.team for app in apps if app.team is not None and app.team != team
            and hosts_of_team & {host for route in app.routes for host in route.hosts}}


def affected_stacks(changed: Iterable[str], project_dir: str | Path = ".",
                    base_dir: str | Path | None = None) -> list[str]:
    """The stacks whose plan a change to these paths (relative to the checkout) may change, in deploy order.

    - `Pulumi.<stack>.yaml`: that stack, and a platform's app stacks (they read its contract);
    - a catalogue file (`apps.yaml`): every stack that reads it;
    - a team file (`apps.d/<team>.yaml`): the `all` stacks that read the directory, the app stacks of that team,
      and those of every team whose apps share a host with the team's, before (`base_dir`, the base checkout) or
      after the change (a shared host's owner, master Ingress and records depend on both teams' apps);
    - documentation, tests, benchmarks (`PLAN_NEUTRAL`): none;
    - anything else (the program, requirements, workflows): every stack.
    """
    project = Path(project_dir)
    stacks = read_stack_files(project)
    names = {stack.name for stack in stacks}
    affected: set[str] = set()
    for path in (p.strip() for p in changed):
        if not path:
            continue
        pure = PurePosixPath(path)
        if len(pure.parts) == 1 and pure.name.startswith("Pulumi.") and pure.name.endswith(".yaml") \
                and pure.name != "Pulumi.yaml":
            name = pure.name[len("Pulumi."):-len(".yaml")]
            if name in names:
                affected.add(name)
                affected.update(stack.name for stack in app_stacks_of(name, stacks))
            continue
        readers = [s for s in stacks if s.role != "platform" and s.apps_file.rstrip("/") == path]
        if readers:
            affected.update(s.name for s in readers)
            continue
        in_directory = [s for s in stacks if s.role != "platform" and _under(path, s.apps_file)]
        if in_directory:
            if pure.suffix != TEAM_FILE_SUFFIX:
                continue  # not a team file: no stack reads it
            team = pure.stem
            sharing: set[str] | None = set()
            for directory in {s.apps_file for s in in_directory}:
                for checkout in [project, *([Path(base_dir)] if base_dir is not None else [])]:
                    found = host_sharing_teams(directory, team, stacks, checkout)
                    sharing = None if found is None or sharing is None else sharing | found
            for stack in in_directory:
                teams = set(stack.teams) if stack.teams is not None else None
                if stack.role != "apps" or teams is None or team in teams or sharing is None or teams & sharing:
                    affected.add(stack.name)
            continue
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in PLAN_NEUTRAL):
            continue
        affected.update(names)
    return ordered(affected, stacks)


def app_stacks(platform: str, project_dir: str | Path = ".") -> list[str]:
    """The app stacks whose platform is `platform`, by name (what a deploy runs after it)."""
    return [stack.name for stack in app_stacks_of(platform, read_stack_files(project_dir))]


# -- CODEOWNERS ---------------------------------------------------------------------------------


def _pattern(path: str) -> str:
    """A path as an anchored CODEOWNERS pattern (gitignore syntax: spaces and a leading `#` escaped)."""
    return "/" + path.replace(os.sep, "/").removeprefix("./").replace(" ", "\\ ").replace("#", "\\#")


def codeowners(project_dir: str | Path = ".") -> str:
    """The CODEOWNERS section of the checkout: the platform's owners first, for every file (`*`), then each
    catalogue file with `owners:` by its owners (in CODEOWNERS the last matching line wins, so a team file's
    owners replace the platform's for it, and only for it: the team's stack files stay the platform's, since
    `gangplank:teams` decides which apps a stack may declare)."""
    project = Path(project_dir)
    stacks = read_stack_files(project)
    platform = list(dict.fromkeys(owner for stack in stacks if stack.role != "apps"
                                  for owner in stack.platform_owners))
    lines = [CODEOWNERS_BEGIN]
    if platform:
        lines += ["# The platform: code, stack files, workflows (gangplank:platformOwners)", "* " + " ".join(platform)]
    else:
        lines.append("# The platform's files have no owner: set gangplank:platformOwners on a platform stack")
    catalogues = sorted({stack.apps_file for stack in stacks if stack.role != "platform"})
    team_lines = []
    for catalogue in catalogues:
        if not (project / catalogue).exists():
            continue
        read = read_catalogue(str(project / catalogue))
        for file in read.files:
            owners = read.owners.get(file.path)
            if owners:
                team_lines.append(f"{_pattern(os.path.relpath(file.path, project))} {' '.join(owners)}")
    if team_lines:
        lines += ["# Catalogue files, by their `owners:`", *team_lines]
    lines.append(CODEOWNERS_END)
    return "\n".join(lines) + "\n"


def codeowners_section(text: str) -> str | None:
    """The gangplank section of a CODEOWNERS file (None when it has none)."""
    start, end = text.find(CODEOWNERS_BEGIN), text.find(CODEOWNERS_END)
    if start < 0 or end < start:
        return None
    return text[start:end + len(CODEOWNERS_END)] + "\n"
