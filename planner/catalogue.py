"""What the plan of one stack cannot show by itself: the catalogue's apps that live in other stacks.

The program declares only the apps of its stack; a reader of the plan also wants to know which
apps the catalogue leaves out of it through `stacks:` (and where they are), so that "the app is
missing" and "the app is elsewhere" look different.
"""

from __future__ import annotations

from typing import Any

from components.inputs.catalog import in_stack, parse_catalogue
from components.inputs.settings import Settings
from components.inputs.yamlfile import load_yaml

DEFAULT_APPS_FILE: str = Settings.model_fields["apps_file"].default


def apps_left_out(apps_file: str, stack: str) -> list[dict[str, Any]]:
    """`[{"name", "stacks"}]` of the apps whose `stacks` leave `stack` out, in catalogue order.

    Called after the program has planned with this catalogue, so the file is known to be valid.
    """
    apps, _problems = parse_catalogue(apps_file, load_yaml(apps_file))
    return [{"name": app.name, "stacks": list(app.stacks or [])}
            for _, app in sorted(apps.items()) if not in_stack(app, stack)]
