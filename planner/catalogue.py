"""What the plan of one stack cannot show by itself: the catalogue's apps that live in other stacks.

The program declares only the apps of its stack; a reader of the plan also wants to know which
apps the catalogue leaves out of it through `stacks:` (and where they are), so that "the app is
missing" and "the app is elsewhere" look different.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from components.inputs.catalog import in_stack
from components.inputs.settings import Settings
from components.inputs.teams import read_catalogue

DEFAULT_APPS_FILE: str = Settings.model_fields["apps_file"].default


def apps_left_out(apps_file: str, environment: str, teams: Collection[str] | None = None) -> list[dict[str, Any]]:
    """`[{"name", "stacks"}]` of the apps whose `stacks` leave `environment` out, in catalogue order (of `teams`
    alone, for an app stack of some teams).

    Called after the program has planned with this catalogue, so the files are known to be valid.
    """
    read = read_catalogue(apps_file)
    return [{"name": app.name, "stacks": list(app.stacks or [])}
            for index, app in sorted(read.apps.items())
            if not in_stack(app, environment) and (teams is None or read.entry_teams[index] in teams)]
