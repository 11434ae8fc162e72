"""What a stack declares, by its role (`gangplank:role`): wiring only, the decisions live in the components.

- `all` (the default): the platform and every app of the catalogue, in one stack per environment.
- `platform`: the zones, certificates, edges and the dashboard, and the contract its app stacks read
  (`components.platform.contract`).
- `apps`: the apps of some teams (`gangplank:teams`), on the platform of `gangplank:platformStack`, read
  through a `StackReference`. It checks the whole catalogue (names, hosts and limits are the environment's)
  and declares its teams' apps and the hosts they own (`components.apps.exposure.host_team`).

In every role all input is validated before the first resource is declared. An app stack reads its
platform's contract first (a StackReference is a read, not a resource it manages), so its program is
asynchronous: `pulumi.run` awaits it after the module's top-level code (pulumi/pulumi#23945, SDK 3.254).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.apps.dashboard import Dashboard, DashboardArgs, instance_name
from components.apps.exposure import Exposure, declare_zone_wildcards, expose_apps
from components.apps.preflight import check_before_declaring
from components.inputs.appstack import AppStackSettings
from components.inputs.catalog.loading import load_catalogue
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.problems import InputError, Problem, app_subject, config_subject
from components.inputs.settings import CONFIG_NAMESPACE, Settings
from components.inputs.settings_parsing import known_stacks, stack_file_name
from components.inputs.stackfiles import (
    StackFile,
    app_stacks_of,
    declaring_stack,
    read_stack_file,
    read_stack_files,
    sibling_problems,
)
from components.inputs.teams import (
    HostClaim,
    claim_of,
    host_owner_teams,
    load_team_catalogue,
    read_catalogue,
    team_problems,
)
from components.platform.contract import (
    CONTRACT_OUTPUT,
    edge_targets,
    export_contract,
    platform_contract,
    read_contract,
)
from components.platform.platform import EdgeTarget, Platform, PlatformArgs, read_edge_subnets


def _log_warnings(warnings: Sequence[Any]) -> None:
    for warning in warnings:
        pulumi.log.warn(warning.message)  # capacity: limits the stack is near (the plan lists them too)


def _export_apps(exposure: Exposure) -> None:
    pulumi.export("apps", {name: app.inventory for name, app in exposure.apps.items()})
    pulumi.export("basicAuthPasswords", pulumi.Output.secret(
        {name: app.passwords for name, app in exposure.apps.items() if app.passwords is not None}))


def _declare_platform(settings: Settings, stack: str, subnets: Any) -> dict[str, EdgeTarget]:
    """The platform, its zones' wildcards and the dashboard, with their outputs; the edges apps are served by."""
    platform = Platform("platform", PlatformArgs(settings=settings, stack=stack, subnets=subnets))
    targets = declare_zone_wildcards(settings, platform.targets, stack)
    if settings.dashboard_enabled:
        dashboard = Dashboard("dashboard", DashboardArgs(settings=settings, stack=stack, targets=targets))
        pulumi.export("dashboardUrl", dashboard.url)
    pulumi.export("publicNameServers", platform.zones.public_name_servers)
    pulumi.export("loadBalancers", {edge: c.lb_hostname for edge, c in platform.controllers.items()})
    pulumi.export("platform", platform.summary)
    return targets


def declare_all_stack(settings: Settings, stack: str) -> None:
    """`role: all`: the platform and every app of the catalogue."""
    apps = load_catalogue(settings.apps_file, settings, stack, known_stacks())
    subnets = read_edge_subnets(settings)
    _log_warnings(check_before_declaring(settings, apps, stack, subnets, dry_run=pulumi.runtime.is_dry_run()))
    targets = _declare_platform(settings, stack, subnets)
    _export_apps(expose_apps(apps, targets, stack, instance_name(stack)))


def declare_platform_stack(settings: Settings, stack: str) -> None:
    """`role: platform`: the platform and the contract its app stacks read."""
    subnets = read_edge_subnets(settings)
    _log_warnings(check_before_declaring(settings, [], stack, subnets, dry_run=pulumi.runtime.is_dry_run()))
    targets = _declare_platform(settings, stack, subnets)
    export_contract(platform_contract(settings, stack, targets, instance_name(stack)))


async def declare_app_stack(own: AppStackSettings, stack: str) -> None:  # type: ignore[valid-type]
    """`role: apps`: its teams' apps on the platform its contract describes."""
    stack_file = stack_file_name(stack)
    reference = pulumi.StackReference(own.platform_stack)  # type: ignore[attr-defined]
    details = await reference.get_output_details(CONTRACT_OUTPUT)
    contract, settings = read_contract(details.value, own, stack_file)
    environment = contract.environment
    catalogue = app_stack_catalogue(settings, stack, environment)
    apps, teams = catalogue.apps, catalogue.teams
    declared = [app for app in apps if app.team in teams] if teams is not None else apps
    _log_warnings(check_before_declaring(settings, apps, environment, None, dry_run=pulumi.runtime.is_dry_run(),
                                         declared=declared, own_stack=stack))
    _export_apps(expose_apps(apps, edge_targets(contract), environment, contract.dashboard.instance, teams=teams))
    if catalogue.host_owners:
        organization_project = str(settings.platform_stack).rsplit("/", 1)[0]
        pulumi.export(HOST_OWNERS_OUTPUT, {host: f"{organization_project}/{owner}"
                                           for host, owner in sorted(catalogue.host_owners.items())})


HOST_OWNERS_OUTPUT = "hostOwners"
"""An app stack's output: the hosts of its apps whose records and master Ingress another app stack declares, and
that stack (`<organization>/<project>/<stack>`). A host that changes stacks shows in the PR diff by it."""


@dataclass(frozen=True)
class AppStackCatalogue:
    """The catalogue as an app stack reads it."""

    apps: list[ResolvedApp]
    """The environment's apps, checked as a whole."""
    teams: set[str] | None
    """The teams whose apps it declares (None: every app, for a catalogue of one file)."""
    host_owners: dict[str, str] = dataclasses.field(default_factory=dict)
    """Hosts of its apps that another app stack declares (their owner's team is that stack's) -> that stack."""


def app_stack_catalogue(settings: Settings, stack: str, environment: str) -> AppStackCatalogue:
    """The environment's apps, checked as a whole, and what this app stack declares of them. Raises InputError
    listing every problem: the catalogue's, the stack's `teams`, other app stacks of the platform that would
    declare the same apps, and hosts of its apps whose owner no app stack declares."""
    stack_file = stack_file_name(stack)
    read = read_catalogue(settings.apps_file)
    every_team = sorted({file.team for file in read.files if file.team is not None})
    written = read_stack_file(stack)
    line = written.teams_line if written is not None else None
    # This stack as it runs (its config may come from elsewhere than its file), beside the others as their files say.
    me = StackFile(name=stack, role="apps", platform=settings.platform_stack,
                   teams=tuple(settings.teams) if settings.teams is not None else None, apps_file=settings.apps_file,
                   teams_line=line)
    siblings = read_stack_files()
    problems: list[Problem] = team_problems(read, settings.teams, stack_file, line)
    problems += [Problem(stack_file, line, config_subject(f"{CONFIG_NAMESPACE}:teams"), message)
                 for message in sibling_problems(me, siblings, every_team)]
    try:
        apps = (load_team_catalogue(settings.apps_file, settings, environment, known_stacks(), read)
                if every_team else load_catalogue(settings.apps_file, settings, environment, known_stacks()))
    except InputError as err:
        raise InputError([*problems, *err.problems]) from None
    if problems:
        raise InputError(problems)
    if not every_team:
        return AppStackCatalogue(apps, None)
    teams = set(settings.teams if settings.teams is not None else every_team)
    host_owners, problems = owner_stacks(apps, teams, me, siblings, read.claims)
    if problems:
        raise InputError(problems)
    return AppStackCatalogue(apps, teams, host_owners)


def owner_stacks(apps: Sequence[ResolvedApp], teams: set[str], me: StackFile, stacks: list[StackFile],
                 claims: Sequence[HostClaim]) -> tuple[dict[str, str], list[Problem]]:
    """For the hosts of this stack's apps that another team owns: the app stack that declares them (host -> its
    name), and a problem for each whose owner no app stack of the platform declares: nobody would declare its
    records and master Ingress, so the app would not be served (refused, never planned as a deletion)."""
    owner_teams = host_owner_teams(apps)
    found: dict[str, str] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for app in apps:
        if app.team not in teams:
            continue
        for route in app.routes:
            for position, host in enumerate(route.hosts):
                team = owner_teams[host]
                if team in teams or host in seen:
                    continue
                seen.add(host)
                stack = declaring_stack(team, me, stacks)
                if stack is not None:
                    found[host] = stack.name
                    continue
                claim = claim_of(claims, team, host, route.zone_domain)
                owned = f" ({claim.file}:{claim.line}, ownsHosts)" if claim is not None else ""
                declared = "; ".join(
                    f"{stack_file_name(other.name)}" + (f":{other.teams_line}" if other.teams_line else "")
                    + f" declares {', '.join(other.teams) if other.teams is not None else 'every team'}"
                    for other in [me, *(s for s in app_stacks_of(me.platform_name or "", stacks) if s.name != me.name)])
                loc: list[str | int] = ["host"] if position == 0 else ["aliases", position - 1]
                field = "host" if position == 0 else f"aliases[{position - 1}]"
                problems.append(Problem(app.source[0], app.line_of(loc), app_subject(app.name, field), (
                    f"'{host}' is owned by team '{team}'{owned}, and no app stack of the platform "
                    f"'{me.platform_name}' declares that team ({declared}): no stack would declare the host's DNS "
                    f"records and master Ingress, and the app would not be served; give team '{team}' to an app "
                    "stack (gangplank:teams), or let a team that has one own the host (ownsHosts)")))
    return found, problems
