"""Reading a catalogue: a file, or a directory of team files (`components.inputs.teams`), checked and
resolved for a stack (`load_catalogue`); and the names and stacks of a file's entries (`entry_stacks`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from components.inputs.catalog.models import App
from components.inputs.catalog.resolved import ResolvedApp, in_stack, resolve_app
from components.inputs.catalog.rules import check_catalogue
from components.inputs.catalog.structure import app_name_at, parse_catalogue
from components.inputs.problems import InputError, Problem, app_subject, dotted
from components.inputs.settings import Settings
from components.inputs.yamlfile import YamlFileError, YamlIssue, parse_yaml, read_text
from components.inputs.yamllines import line_of

CACHED_FILES = 64
"""Catalogue files whose entries' names and stacks are kept after a reading (`entry_stacks`)."""


def load_catalogue(
    path: str, settings: Settings, stack: str, known_stacks: Iterable[str]
) -> list[ResolvedApp]:
    """Read, check and resolve the catalogue for `stack`: a file, or a directory of team files
    (`components.inputs.teams`). Raises InputError listing every problem."""
    if os.path.isdir(path):
        from components.inputs.teams import load_team_catalogue

        return load_team_catalogue(path, settings, stack, known_stacks)
    root, parsed, problems = read_catalogue_file(path)
    if root is None:
        raise InputError(problems)
    if isinstance(root, dict) and "ownsHosts" in root:
        problems.append(Problem(path, line_of(root, ["ownsHosts"]), app_subject(None, "ownsHosts"),
                                "applies to team files only (a directory of them in gangplank:appsFile): in a "
                                "catalogue of one file, every host has one owner, the stack; remove it"))
    problems += check_catalogue(path, root, parsed, settings, stack, set(known_stacks))
    if problems:
        raise InputError(problems)
    return [resolve_app(app, settings, stack, (path, line_of(root, ["apps", index])), root["apps"][index])
            for index, app in sorted(parsed.items()) if in_stack(app, stack)]


def read_catalogue_file(path: str) -> tuple[Any, dict[int, App], list[Problem]]:
    """One catalogue file read and its structure checked: (its data, None when it could not be read at all; its
    apps that can be read, by position; its problems). Values the YAML reader refused are set aside, with a
    problem each, and the rest is read (`parse_catalogue`).

    Each reading leaves the file's entries' names and stacks (`entry_stacks`), by path and text, for the offline
    planner, which needs them once more for the plan (`planner.catalogue.apps_left_out`) without reading again
    what the program has just read (at 5,000 apps, a second)."""
    try:
        text = read_text(path)
    except YamlFileError as err:
        return None, {}, [_yaml_problem(path, issue, None) for issue in err.issues]
    root, parsed, problems = _parse_catalogue_text(path, text)
    _ENTRY_STACKS[(path, text)] = [(index, app.name, app.stacks) for index, app in sorted(parsed.items())]
    while len(_ENTRY_STACKS) > CACHED_FILES:
        del _ENTRY_STACKS[next(iter(_ENTRY_STACKS))]
    return root, parsed, problems


EntryStacks = list[tuple[int, str, list[str] | None]]
_ENTRY_STACKS: dict[tuple[str, str], EntryStacks] = {}
"""(path, text) -> (position, name, stacks) of each well-formed entry, for the last `CACHED_FILES` readings."""


def entry_stacks(path: str) -> EntryStacks:
    """(position, name, `stacks`) of each well-formed entry of a catalogue file, in the file's order: from the last
    reading of the same text if there was one, else read now."""
    try:
        known = _ENTRY_STACKS.get((path, read_text(path)))
    except YamlFileError:
        known = None
    if known is not None:
        return known
    _, parsed, _ = read_catalogue_file(path)
    return [(index, app.name, app.stacks) for index, app in sorted(parsed.items())]


def _parse_catalogue_text(path: str, text: str) -> tuple[Any, dict[int, App], list[Problem]]:
    try:
        root = parse_yaml(text, path)
    except YamlFileError as err:
        unread = [_yaml_problem(path, issue, err.document) for issue in err.issues]
        if err.document is None:
            return None, {}, unread
        # Only some values were refused: they are set aside, and every other problem (the rules across apps
        # too, which the caller runs on what is returned) is reported with them, in one round.
        parsed, problems = parse_catalogue(path, err.document, [issue.location for issue in err.issues])
        return err.document, parsed, unread + problems
    parsed, problems = parse_catalogue(path, root)
    return root, parsed, problems


def _yaml_problem(path: str, issue: YamlIssue, document: Any) -> Problem:
    """A problem found while reading the YAML, named by app and field when the reading got that far."""
    loc = list(issue.location)
    if len(loc) >= 2 and loc[0] == "apps" and isinstance(loc[1], int):
        subject = app_subject(app_name_at(document, loc[1]), dotted(loc[2:]) or "*")
    else:
        subject = app_subject(None, str(loc[0]) if loc else "apps")
    return Problem(path, issue.line, subject, issue.message)
