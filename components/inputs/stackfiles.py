"""The stacks of a checkout, as their `Pulumi.<stack>.yaml` files describe them: role, platform, teams, catalogue.

What one stack needs to know about the others: two app stacks of one platform must never declare the same
team (`team_overlaps`); the offline planner finds an app stack's platform in the same checkout; CI maps
changed files to the stacks they affect; CODEOWNERS names the platform's owners. Each file is read as it is,
without validating it (its own run does that, naming every problem): a value of the wrong shape counts as
unset here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.inputs.settings import CONFIG_NAMESPACE, STACK_REFERENCE_RE, Settings
from components.inputs.settings_parsing import known_stacks, stack_file_name
from components.inputs.yamlfile import YamlFileError, load_yaml
from components.inputs.yamllines import line_of

DEFAULT_APPS_FILE: str = Settings.model_fields["apps_file"].default


@dataclass(frozen=True)
class StackFile:
    """One stack of the checkout, as its stack file says."""

    name: str
    """The stack (`prod-shop` for `Pulumi.prod-shop.yaml`)."""
    role: str
    """`all`, `platform` or `apps` (`gangplank:role`, default `all`)."""
    platform: str | None
    """An app stack's platform stack, as written (`acme/gangplank/prod-platform`)."""
    teams: tuple[str, ...] | None
    """An app stack's teams; None for every team."""
    apps_file: str
    """The catalogue it reads (`gangplank:appsFile`, default `apps.yaml`)."""
    platform_owners: tuple[str, ...] = ()
    """`gangplank:platformOwners`."""
    teams_line: int | None = None
    """The line of `gangplank:teams` in the file (or of the role when it has none), for problems."""

    @property
    def platform_name(self) -> str | None:
        """The platform's stack name alone (`prod-platform`)."""
        match = STACK_REFERENCE_RE.fullmatch(self.platform or "")
        return match.group(3) if match else None

    @property
    def platform_project(self) -> str | None:
        match = STACK_REFERENCE_RE.fullmatch(self.platform or "")
        return match.group(2) if match else None


def _key(name: str) -> str:
    return f"{CONFIG_NAMESPACE}:{name}"


def read_stack_file(name: str, project_dir: str | Path = ".") -> StackFile | None:
    """The stack file of `name`, or None when it cannot be read (its own run says why)."""
    path = Path(project_dir) / stack_file_name(name)
    try:
        root = load_yaml(str(path))
    except YamlFileError:
        return None
    config: Any = root.get("config") if isinstance(root, dict) else None
    config = config if isinstance(config, dict) else {}

    def text(key: str, default: str | None = None) -> str | None:
        value = config.get(_key(key))
        return value if isinstance(value, str) else default

    def names(key: str) -> tuple[str, ...] | None:
        value = config.get(_key(key))
        return tuple(str(item) for item in value) if isinstance(value, list) else None

    role = text("role", "all") or "all"
    line = line_of(root, ["config", _key("teams")]) or line_of(root, ["config", _key("role")])
    return StackFile(name=name, role=role, platform=text("platformStack"), teams=names("teams"),
                     apps_file=text("appsFile", DEFAULT_APPS_FILE) or DEFAULT_APPS_FILE,
                     platform_owners=names("platformOwners") or (), teams_line=line)


def read_stack_files(project_dir: str | Path = ".") -> list[StackFile]:
    """Every readable stack file of the checkout, by name."""
    found = [read_stack_file(name, project_dir) for name in known_stacks(project_dir)]
    return [stack for stack in found if stack is not None]


def app_stacks_of(platform: str, stacks: list[StackFile]) -> list[StackFile]:
    """The app stacks whose platform is the stack `platform` (by its name), by name."""
    return [stack for stack in stacks if stack.role == "apps" and stack.platform_name == platform]


def sibling_problems(me: StackFile, stacks: list[StackFile], every_team: list[str]) -> list[str]:
    """What keeps the app stacks of `me`'s platform from declaring disjoint apps: another one that reads another
    catalogue (the rules across teams could not hold), or declares a team `me` declares too (its apps would be
    declared twice). A stack without `teams` declares every team of the catalogue (`every_team`)."""
    whole = every_team or ["(the whole catalogue: it has no team files)"]
    mine = set(me.teams if me.teams is not None else whole)
    problems = []
    for other in app_stacks_of(me.platform_name or "", stacks):
        if other.name == me.name:
            continue
        if other.apps_file.rstrip("/") != me.apps_file.rstrip("/"):
            problems.append(f"app stack '{other.name}' of the same platform reads the catalogue '{other.apps_file}', "
                            f"this one '{me.apps_file}': the app stacks of one platform share one catalogue, so that "
                            "names and hosts are unique across all of them")
            continue
        theirs = set(other.teams if other.teams is not None else whole)
        shared = sorted(mine & theirs)
        if shared:
            problems.append(f"app stack '{other.name}' of the same platform declares the team(s) "
                            f"{', '.join(shared)} too: every app would be declared by two stacks; give each team "
                            "to one app stack (gangplank:teams)")
    return problems


def declaring_stack(team: str | None, me: StackFile, stacks: list[StackFile]) -> StackFile | None:
    """The app stack of `me`'s platform (`me` as it runs first, then the others as their files say) that declares
    `team`'s apps: one that names the team in `teams`, or has no `teams` (every team); None when none does."""
    others = [stack for stack in app_stacks_of(me.platform_name or "", stacks) if stack.name != me.name]
    for stack in (me, *others):
        if stack.apps_file.rstrip("/") == me.apps_file.rstrip("/") and (stack.teams is None or team in stack.teams):
            return stack
    return None
