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

from collections.abc import Sequence
from typing import Any

import pulumi

from components.apps.dashboard import Dashboard, DashboardArgs, instance_name
from components.apps.exposure import Exposure, declare_zone_wildcards, expose_apps
from components.apps.preflight import check_before_declaring
from components.inputs.appstack import AppStackSettings
from components.inputs.catalog import ResolvedApp, load_catalogue
from components.inputs.problems import InputError, Problem, config_subject
from components.inputs.settings import CONFIG_NAMESPACE, Settings, known_stacks, stack_file_name
from components.inputs.stackfiles import StackFile, read_stack_file, read_stack_files, sibling_problems
from components.inputs.teams import load_team_catalogue, read_catalogue, team_problems
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
    apps, teams = app_stack_catalogue(settings, stack, environment)
    declared = [app for app in apps if app.team in teams] if teams is not None else apps
    _log_warnings(check_before_declaring(settings, apps, environment, None, dry_run=pulumi.runtime.is_dry_run(),
                                         declared=declared, own_stack=stack))
    _export_apps(expose_apps(apps, edge_targets(contract), environment, contract.dashboard.instance, teams=teams))


def app_stack_catalogue(settings: Settings, stack: str, environment: str) -> tuple[list[ResolvedApp], set[str] | None]:
    """The environment's apps, checked as a whole, and the teams this app stack declares (None: every app, for a
    catalogue of one file). Raises InputError listing every problem: the catalogue's, the stack's `teams`, and
    other app stacks of the platform that would declare the same apps."""
    stack_file = stack_file_name(stack)
    read = read_catalogue(settings.apps_file)
    every_team = sorted({file.team for file in read.files if file.team is not None})
    written = read_stack_file(stack)
    line = written.teams_line if written is not None else None
    # This stack as it runs (its config may come from elsewhere than its file), beside the others as their files say.
    me = StackFile(name=stack, role="apps", platform=settings.platform_stack,
                   teams=tuple(settings.teams) if settings.teams is not None else None, apps_file=settings.apps_file)
    problems: list[Problem] = team_problems(read, settings.teams, stack_file, line)
    problems += [Problem(stack_file, line, config_subject(f"{CONFIG_NAMESPACE}:teams"), message)
                 for message in sibling_problems(me, read_stack_files(), every_team)]
    try:
        apps = (load_team_catalogue(settings.apps_file, settings, environment, known_stacks(), read)
                if every_team else load_catalogue(settings.apps_file, settings, environment, known_stacks()))
    except InputError as err:
        raise InputError([*problems, *err.problems]) from None
    if problems:
        raise InputError(problems)
    if not every_team:
        return apps, None
    return apps, set(settings.teams if settings.teams is not None else every_team)
