"""A catalogue of team files: `gangplank:appsFile` naming a directory (`apps.d/`).

Every `*.yaml` file in the directory is one team's file; the team is the file's stem
(`apps.d/shop.yaml` is team `shop`), and together the files are the catalogue. A file is
written exactly like `apps.yaml` (`apps:`, and optionally `owners:`, its code owners). The
catalogue's order is the files' order by name, then each file's own order: it decides which app
of a shared host comes first (`components.apps.routing.HostShare.owner`), so the same files give
the same stack whatever the file system lists first.

Rules that span the catalogue (unique names, hosts, host + path routes, aliases) hold across
files: the files are read as one catalogue, and a problem about two entries names the file and
line of each (`components.inputs.catalog.check_catalogue`, `files`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.inputs.catalog import (
    App,
    ResolvedApp,
    check_catalogue,
    in_stack,
    read_catalogue_file,
    resolve_app,
)
from components.inputs.fieldtypes import LABEL_RE
from components.inputs.problems import InputError, Problem, app_subject, shown
from components.inputs.settings import Settings
from components.inputs.yamlfile import LineList, line_of

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
    for file in files:
        root, parsed, file_problems = read_catalogue_file(file.path)
        problems += file_problems
        if not isinstance(root, dict) or not isinstance(root.get("apps"), list):
            continue
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
    return ReadCatalogue(files, {"apps": merged}, apps, entry_files, entry_teams, owners, problems)


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
    return [resolve_app(app, settings, stack, read.source(index), read.root["apps"][index],
                        team=read.entry_teams[index])
            for index, app in sorted(read.apps.items()) if in_stack(app, stack)]
