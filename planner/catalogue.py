"""What the plan of one stack cannot show by itself: the catalogue's apps that live in other stacks.

The program declares only the apps of its stack; a reader of the plan also wants to know which
apps the catalogue leaves out of it through `stacks:` (and where they are), so that "the app is
missing" and "the app is elsewhere" look different.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from components.inputs.catalog.loading import entry_stacks
from components.inputs.settings import Settings
from components.inputs.teams import catalogue_files

DEFAULT_APPS_FILE: str = Settings.model_fields["apps_file"].default


def apps_left_out(apps_file: str, environment: str, teams: Collection[str] | None = None) -> list[dict[str, Any]]:
    """`[{"name", "stacks"}]` of the apps whose `stacks` leave `environment` out, in catalogue order (of `teams`
    alone, for an app stack of some teams).

    Called after the program has planned with this catalogue, so the files are known to be valid (and what it needs
    of them is known from the program's reading: `entry_stacks`).
    """
    files, _ = catalogue_files(apps_file)
    return [{"name": name, "stacks": list(stacks or [])}
            for file in files if teams is None or file.team in teams
            for _, name, stacks in entry_stacks(file.path) if stacks is not None and environment not in stacks]
