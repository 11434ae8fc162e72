"""The checkout's stacks as a whole: which ones a change affects, which app stacks a platform has, CODEOWNERS.

Pure functions of the stack files (`components.inputs.stackfiles`) and, for the teams that share a host,
of the catalogue. CI runs them through `python -m planner`: `--affected-stacks` (the stacks a pull request
previews), `--app-stacks` (the matrix a deploy runs after a platform stack), `--codeowners` (the section
of `.github/CODEOWNERS` that the catalogue's `owners:` and `gangplank:platformOwners` make).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

from components.apps.preflight import environment_problems
from components.inputs.catalog.loading import load_catalogue
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.problems import InputError
from components.inputs.settings import Settings
from components.inputs.settings_parsing import known_stacks, parse_settings, stack_file_name
from components.inputs.stackfiles import StackFile, app_stacks_of, read_stack_files
from components.inputs.teams import OTHER_YAML_SUFFIXES, TEAM_FILE_SUFFIX, read_catalogue
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


def environment_settings(environment: str, stacks: Sequence[StackFile], project_dir: Path) -> Settings | None:
    """The settings the catalogue is read with in an environment (its platform or `all` stack, as `all`); None when
    unreadable."""
    platform = next((s for s in stacks if s.name == environment), None)
    if platform is None:
        return None
    try:
        config = read_stack_config(platform.name, project_dir)
        values = {**config.values, "gangplank:role": "all"}
        values.pop("gangplank:appsFile", None)
        return parse_settings(values, stack_file_name(platform.name), secret_keys=config.secret_keys)
    except InputError:
        return None


def environment_of(stack: StackFile) -> str:
    """The environment a stack's catalogue is read for: its platform stack (an app stack), or the stack itself."""
    return (stack.platform_name or stack.name) if stack.role == "apps" else stack.name


Apps = list[ResolvedApp] | None


def environment_apps(catalogue: str, environment: str, stacks: Sequence[StackFile], project_dir: Path) -> Apps:
    """The environment's apps of the catalogue directory in `project_dir`, checked as every stack that reads it in
    that environment checks them (the catalogue's rules across files and hosts' owners, names and capacity across
    apps: `preflight.environment_problems`); None when those stacks would refuse them, or they cannot be read."""
    settings = environment_settings(environment, stacks, project_dir)
    if settings is None:
        return None
    try:
        apps = load_catalogue(str(project_dir / catalogue), settings, environment, known_stacks(project_dir))
    except (InputError, YamlFileError, OSError):
        return None
    return None if environment_problems(settings, apps, environment) else apps


def host_sharing_teams(apps: Sequence[ResolvedApp], team: str) -> set[str]:
    """The teams whose apps share a host with `team`'s."""
    hosts_of_team = {host for app in apps if app.team == team for route in app.routes for host in route.hosts}
    return {app.team for app in apps if app.team is not None and app.team != team
            and hosts_of_team & {host for route in app.routes for host in route.hosts}}


def team_file_affects(path: str, readers: Sequence[StackFile], stacks: Sequence[StackFile], project: Path,
                      base: Path | None, read: Callable[[str, str, Path], Apps]) -> set[str]:
    """The stacks among `readers` (those that read the directory of `path`) that a change to the team file `path`
    affects. Every app stack checks the whole catalogue, so, per environment:

    - when the changed catalogue fails the checks every stack of the environment runs on it (a duplicate name, a
      host with no owner, a `.yml` file, capacity), every stack of the environment that reads it, which would all
      refuse it (also when the base is unreadable: their base plans failed);
    - otherwise the `all` stacks, the app stacks without `teams` (every team), the app stacks of the file's team,
      and those of every team whose apps share a host with it, before or after the change (a host's owner declares
      it, and its master Ingress joins the others' Ingresses). No other app stack's plan depends on another team's
      file: a new file of a team no stack lists, valid and sharing no host, affects none.
    """
    pure = PurePosixPath(path)
    if pure.name.startswith(".") or pure.suffix not in (TEAM_FILE_SUFFIX, *OTHER_YAML_SUFFIXES):
        return set()  # not a team file: the catalogue never reads it
    team = pure.stem
    affected: set[str] = set()
    environments: dict[tuple[str, str], list[StackFile]] = {}
    for stack in readers:
        environments.setdefault((stack.apps_file.rstrip("/"), environment_of(stack)), []).append(stack)
    for (catalogue, environment), group in environments.items():
        after = read(catalogue, environment, project)
        before = read(catalogue, environment, base) if base is not None else after
        if after is None or before is None:
            affected.update(stack.name for stack in group)
            continue
        sharing = host_sharing_teams(after, team) | host_sharing_teams(before, team)
        for stack in group:
            teams = set(stack.teams) if stack.teams is not None else None
            if stack.role != "apps" or teams is None or team in teams or teams & sharing:
                affected.add(stack.name)
    return affected


def affected_stacks(changed: Iterable[str], project_dir: str | Path = ".",
                    base_dir: str | Path | None = None) -> list[str]:
    """The stacks whose plan a change to these paths (relative to the checkout) may change or make fail, in deploy
    order.

    - `Pulumi.<stack>.yaml`: that stack, and a platform's app stacks (they read its contract);
    - a catalogue file (`apps.yaml`): every stack that reads it;
    - a file of a catalogue directory (`apps.d/<team>.yaml`): see `team_file_affects`; `base_dir` is the base
      checkout (teams that shared a host before the change);
    - documentation, tests, benchmarks (`PLAN_NEUTRAL`): none;
    - anything else (the program, requirements, workflows): every stack.
    """
    project = Path(project_dir)
    base = Path(base_dir) if base_dir is not None else None
    stacks = read_stack_files(project)
    names = {stack.name for stack in stacks}
    affected: set[str] = set()
    known: dict[tuple[str, str, Path], Apps] = {}

    def read(catalogue: str, environment: str, checkout: Path) -> Apps:  # each catalogue once per checkout
        key = (catalogue, environment, checkout)
        if key not in known:
            known[key] = environment_apps(catalogue, environment, stacks, checkout)
        return known[key]

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
            affected |= team_file_affects(path, in_directory, stacks, project, base, read)
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
