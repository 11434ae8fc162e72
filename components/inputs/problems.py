"""Input problems: how gangplank reports bad config or a bad apps.yaml.

Every check collects `Problem`s instead of stopping at the first one, so a user fixes a
broken catalogue in one round. `InputError` carries them all; it subclasses
`pulumi.RunError` so `pulumi up` prints the list without a Python traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows."""

    file: str
    """The file as the user named it (`apps.yaml`, `Pulumi.dev.yaml`)."""
    line: int | None
    """1-based line in `file`; None when the value is absent from the file."""
    subject: str
    """What the problem is about: `app 'shop' field 'host'` or `config 'gangplank:vpcId'`."""
    message: str
    """What is wrong and, where it helps, what would be right."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.subject}: {self.message}"

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.subject, self.message)


def app_subject(app: str | None, field: str) -> str:
    """The subject of a problem in apps.yaml; `app` is None above the app level."""
    app_part = f"app '{app}'" if app is not None else "catalogue"
    return f"{app_part} field '{field}'"


def config_subject(key: str) -> str:
    """The subject of a problem in a stack's config (`gangplank:<key>`)."""
    return f"config '{key}'"


class InputError(pulumi.RunError):
    """The input is invalid; nothing has been declared. `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems), key=Problem.sort_key)
        super().__init__(
            f"{len(self.problems)} problem(s) in the input; nothing was declared:\n"
            + "\n".join(str(p) for p in self.problems)
        )
