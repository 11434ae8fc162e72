"""A catalogue of team files: `gangplank:appsFile` naming a directory (`apps.d/`).

Every `*.yaml` file in the directory is one team's file; the team is the file's stem
(`apps.d/shop.yaml` is team `shop`), and together the files are the catalogue. A file is
written exactly like `apps.yaml` (`apps:`, and optionally `owners:`, its code owners). The
catalogue's order is the files' order by name, then each file's own order, so the same files give
the same stack whatever the file system lists first.

Who owns a host that apps of several teams share (its DNS records and master Ingress, which one stack
declares) is stated, never inferred from the files' names: one of the teams names it in its file's
`ownsHosts` (`host_ownership`); a shared host that no team or two teams own is refused. So adding a
team file never moves a host, and a change of owner is a visible edit of two teams' files.

Rules that span the catalogue (unique names, hosts, host + path routes, aliases) hold across
files: the files are read as one catalogue, and a problem about two entries names the file and
line of each (`components.inputs.catalog.rules.check_catalogue`, `files`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.inputs.catalog.loading import read_catalogue_file
from components.inputs.catalog.models import App
from components.inputs.catalog.resolved import ResolvedApp, in_stack, resolve_app, resolve_name
from components.inputs.catalog.rules import check_catalogue
from components.inputs.fieldtypes import LABEL_RE
from components.inputs.problems import InputError, Problem, app_subject, dotted, shown
from components.inputs.settings import Settings
from components.inputs.yamllines import LineList, line_of

TEAM_FILE_SUFFIX = ".yaml"
OTHER_YAML_SUFFIXES = (".yml",)
"""YAML files that are not read (only `*.yaml` are): a problem, since a team would silently have no apps."""


@dataclass(frozen=True)
class CatalogueFile:
    """One file of a catalogue."""

    path: str
    """The file, as the catalogue's path names it (`apps.d/shop.yaml`)."""
    team: str | None
    """The team it belongs to (a directory's file: its stem); None for a catalogue of one file."""


@dataclass(frozen=True)
class HostClaim:
    """One host a team file names in `ownsHosts`."""

    team: str
    file: str
    position: int
    """Its position in the file's `ownsHosts`."""
    line: int | None
    written: str
    """As written: a label (under the zone of the apps that serve it) or an FQDN."""


@dataclass
class ReadCatalogue:
    """A catalogue read from its files and checked for structure: every entry in catalogue order."""

    files: list[CatalogueFile]
    """Its files, in catalogue order."""
    root: dict[str, Any]
    """`{"apps": [...]}`: every entry of every readable file, as read (with lines), in catalogue order."""
    apps: dict[int, App]
    """The well-formed entries, by position in `root["apps"]`."""
    entry_files: list[str]
    """The file of each entry."""
    entry_teams: list[str | None]
    """The team of each entry."""
    owners: dict[str, list[str]]
    """File -> its `owners:`, for the files that name owners."""
    problems: list[Problem]
    """Every problem found so far (files, structure)."""
    claims: list[HostClaim] = dataclasses.field(default_factory=list)
    """The hosts the team files own (`ownsHosts`), in catalogue order; those of a file whose list is invalid are
    left out (its problems say why)."""

    def source(self, index: int) -> tuple[str, int | None]:
        """The file and line of an entry."""
        return self.entry_files[index], line_of(self.root["apps"], [index])


def is_directory(path: str) -> bool:
    return os.path.isdir(path)


def catalogue_files(path: str) -> tuple[list[CatalogueFile], list[Problem]]:
    """The files of the catalogue at `path` (a file, or a directory of team files), and what is wrong with the
    directory itself: team names that are no DNS label, `.yml` files that would be ignored, no file at all."""
    if not is_directory(path):
        return [CatalogueFile(path, None)], []
    problems: list[Problem] = []
    files = []
    for entry in sorted(Path(path).iterdir(), key=lambda p: p.name):
        shown_path = os.path.join(path, entry.name)
        if entry.name.startswith(".") or not entry.is_file():
            continue  # hidden files (editors' swap files) and sub-directories are not team files
        if entry.suffix in OTHER_YAML_SUFFIXES:
            problems.append(Problem(shown_path, None, app_subject(None, "team"),
                                    f"only '*{TEAM_FILE_SUFFIX}' files are team files: rename it to "
                                    f"'{entry.stem}{TEAM_FILE_SUFFIX}', or its apps are never read"))
            continue
        if entry.suffix != TEAM_FILE_SUFFIX:
            continue
        team = entry.stem
        if not LABEL_RE.fullmatch(team):
            problems.append(Problem(shown_path, None, app_subject(None, "team"),
                                    f"'{shown(team)}' (the file's name) is not a team name: a DNS label (a-z, 0-9 "
                                    "and '-', at most 63 characters), as `gangplank:teams` names teams"))
            continue
        files.append(CatalogueFile(shown_path, team))
    if not files and not problems:
        problems.append(Problem(path, None, app_subject(None, "apps"),
                                f"the directory holds no team file ('<team>{TEAM_FILE_SUFFIX}')"))
    return files, problems


def read_catalogue(path: str) -> ReadCatalogue:
    """Every file of the catalogue read and checked for structure, its entries joined in catalogue order."""
    files, problems = catalogue_files(path)
    merged = LineList()
    merged.line, merged.item_lines = 1, []
    apps: dict[int, App] = {}
    entry_files: list[str] = []
    entry_teams: list[str | None] = []
    owners: dict[str, list[str]] = {}
    claims: list[HostClaim] = []
    for file in files:
        root, parsed, file_problems = read_catalogue_file(file.path)
        problems += file_problems
        if not isinstance(root, dict) or not isinstance(root.get("apps"), list):
            continue
        if file.team is not None and isinstance(root.get("ownsHosts"), list) and not any(
                p.subject.startswith("catalogue field 'ownsHosts") for p in file_problems):
            claims += [HostClaim(file.team, file.path, position, line_of(root, ["ownsHosts", position]),
                                 str(written)) for position, written in enumerate(root["ownsHosts"])]
        if isinstance(root.get("owners"), list) and not any(p.subject.startswith("catalogue field 'owners")
                                                             for p in file_problems):
            owners[file.path] = [str(owner) for owner in root["owners"]]
        entries = root["apps"]
        for position, entry in enumerate(entries):
            if position in parsed:
                apps[len(merged)] = parsed[position]
            if isinstance(entries, LineList) and position in entries.borrowed:  # `- *web`: an alias in its file
                merged.borrowed = merged.borrowed | {len(merged)}
            merged.append(entry)
            merged.item_lines.append(line_of(entries, [position]) or 1)
            entry_files.append(file.path)
            entry_teams.append(file.team)
    return ReadCatalogue(files, {"apps": merged}, apps, entry_files, entry_teams, owners, problems, claims)


def team_problems(read: ReadCatalogue, teams: Sequence[str] | None, stack_file: str, line: int | None) -> list[Problem]:
    """`gangplank:teams` naming a team the catalogue has no file for (its apps would silently not exist)."""
    if teams is None:
        return []
    known = sorted({file.team for file in read.files if file.team is not None})
    if not any(file.team for file in read.files):
        return [Problem(stack_file, line, "config 'gangplank:teams'",
                        "the catalogue is one file, without teams: name a directory of team files in "
                        "gangplank:appsFile, or remove gangplank:teams")]
    return [Problem(stack_file, line, f"config 'gangplank:teams' field '[{position}]'",
                    f"no team '{team}' in the catalogue (no {team}{TEAM_FILE_SUFFIX}); its teams: "
                    f"{', '.join(known) or 'none'}")
            for position, team in enumerate(teams) if team not in known]


def load_team_catalogue(path: str, settings: Settings, stack: str, known_stacks: Iterable[str],
                        read: ReadCatalogue | None = None) -> list[ResolvedApp]:
    """Read, check and resolve a catalogue directory for `stack`, every team's apps, in catalogue order.

    `read`: the directory as `read_catalogue(path)` read it already. Raises InputError listing every problem of
    every file."""
    read = read if read is not None else read_catalogue(path)
    problems = read.problems + check_catalogue(path, read.root, read.apps, settings, stack, set(known_stacks),
                                               files=read.entry_files)
    if problems:
        raise InputError(problems)
    resolved = [resolve_app(app, settings, stack, read.source(index), read.root["apps"][index],
                            team=read.entry_teams[index])
                for index, app in sorted(read.apps.items()) if in_stack(app, stack)]
    owned, problems = host_ownership(read.claims, resolved)
    if problems:
        raise InputError(problems)
    return owned


def _where(app: ResolvedApp, host: str) -> tuple[list[str | int], str]:
    """The field of `app` that gives it `host` (`host`, or `aliases[i]`) and the host as that field would write it."""
    for route in app.routes:
        if host in route.hosts:
            position = route.hosts.index(host)
            written = host[:-len(route.zone_domain) - 1] if host.endswith("." + route.zone_domain) else host
            return (["host"] if position == 0 else ["aliases", position - 1]), written
    return ["host"], host


def _at(app: ResolvedApp, loc: Sequence[str | int] = ()) -> str:
    line = app.line_of(loc) if loc else app.source[1]
    return f"{app.source[0]}:{line}" if line is not None else app.source[0]


def _team_apps(teams: Mapping[str | None, ResolvedApp]) -> str:
    return " and ".join(f"team '{team}' (app '{app.name}', {_at(app)})" for team, app in teams.items())


def host_ownership(claims: Sequence[HostClaim], apps: Sequence[ResolvedApp]) -> tuple[list[ResolvedApp],
                                                                                      list[Problem]]:
    """Who owns each host that several teams' apps serve: the one team that names it in `ownsHosts`.

    Returns the apps with their team's owned hosts set (`ResolvedApp.owns_hosts`: the stack of the first of them
    on a host declares its records and master Ingress), and the problems: a host that apps of several teams
    serve and no team owns (adding a team's app to another team's host would otherwise move it, or leave it to
    whichever file sorts first), a host two teams own, and a team owning a host none of its apps serves. A host
    of one team's apps alone needs no claim: it is that team's. A claim matches a host as an app's `host`
    would: a label in any zone of the catalogue's apps, an FQDN as it is; one that matches no host of this
    stack has no effect here (its apps may be in other stacks)."""
    on_host: dict[str, dict[str | None, ResolvedApp]] = {}  # host -> team -> the team's first app on it
    for app in apps:
        for route in app.routes:
            for host in route.hosts:
                on_host.setdefault(host, {}).setdefault(app.team, app)
    zones = list(dict.fromkeys(route.zone_domain for app in apps for route in app.routes))
    problems: list[Problem] = []
    owner: dict[str, HostClaim] = {}
    for claim in claims:
        subject = app_subject(None, f"ownsHosts[{claim.position}]")
        for host in dict.fromkeys(resolve_name(claim.written, zone) for zone in zones):
            teams = on_host.get(host)
            if teams is None:
                continue
            if claim.team not in teams:
                problems.append(Problem(claim.file, claim.line, subject, (
                    f"no app of team '{claim.team}' serves '{host}', which {_team_apps(teams)} serve(s): a team owns "
                    "only hosts its own apps serve")))
                continue
            first = owner.setdefault(host, claim)
            if first is not claim:
                problems.append(Problem(claim.file, claim.line, subject, (
                    f"'{host}' is owned by team '{first.team}' already ({first.file}:{first.line}): a host has one "
                    "owner; remove it from one of the two files")))
    for host, teams in on_host.items():
        if len(teams) < 2 or host in owner:
            continue
        joined = list(teams.values())[1]  # the second team's first app on the host, in catalogue order
        loc, written = _where(joined, host)
        problems.append(Problem(joined.source[0], joined.line_of(loc), app_subject(joined.name, dotted(loc)), (
            f"'{host}' is served by apps of {_team_apps(teams)}, and no team owns it: its DNS records and master "
            f"Ingress are declared once, by the stack of the team that owns it; add `ownsHosts: [{written}]` to "
            "that team's file (docs/teams.md, \"A host two teams share\")")))
    owns: dict[str, list[str]] = {}
    for app in apps:
        for host in dict.fromkeys(host for route in app.routes for host in route.hosts):
            if host in owner and owner[host].team == app.team:
                owns.setdefault(app.name, []).append(host)
    return [dataclasses.replace(app, owns_hosts=tuple(owns[app.name])) if app.name in owns else app
            for app in apps], problems


def host_owner_teams(apps: Sequence[ResolvedApp]) -> dict[str, str | None]:
    """Host -> the team whose stack declares it: the team that owns it (`owns_hosts`), else the team of its first
    app in catalogue order (a host of one team's apps). `routing.host_shares` picks the owning member alike."""
    first: dict[str, str | None] = {}
    owned: dict[str, str | None] = {}
    for app in apps:
        for route in app.routes:
            for host in route.hosts:
                first.setdefault(host, app.team)
                if host in app.owns_hosts:
                    owned.setdefault(host, app.team)
    return {host: owned.get(host, team) for host, team in first.items()}


def claim_of(claims: Sequence[HostClaim], team: str | None, host: str, zone: str) -> HostClaim | None:
    """The claim of `team` that names `host` (of `zone`), if any."""
    return next((claim for claim in claims if claim.team == team and resolve_name(claim.written, zone) == host), None)
