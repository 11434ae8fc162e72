"""Input problems: how gangplank reports bad config or a bad apps.yaml.

Every check collects `Problem`s instead of stopping at the first one, so a user fixes a
broken catalogue in one round. `InputError` carries them all; it subclasses
`pulumi.RunError` so `pulumi up` prints the list without a Python traceback.

A problem is always one line: values quoted in a message may hold a newline or a control
character (`name: "shop\\n"`), so they are escaped when the problem is printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_SHOWN = 120
"""Longest value quoted in a message; longer ones are cut (a 50 MB value must not make a 50 MB line)."""


def one_line(text: str) -> str:
    """`text` with newlines and other control characters escaped (`\\n`, `\\x07`), so it prints as one line."""
    return _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A value as a message quotes it: escaped onto one line and cut to `limit` characters."""
    text = one_line(str(value))
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"


def dotted(loc: Sequence[object]) -> str:
    """A field's location as a problem names it: `auth.basic.users[1]` (pydantic's `[key]` marker, for a problem
    with a map's key rather than its value, left out)."""
    out = ""
    for step in loc:
        if step == "[key]":
            continue
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


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
        return one_line(f"{where}: {self.subject}: {self.message}")

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.file, self.line or 0, self.subject, self.message)


def app_subject(app: str | None, field: str) -> str:
    """The subject of a problem in apps.yaml; `app` is None above the app level."""
    app_part = f"app '{shown(app, 70)}'" if app is not None else "catalogue"
    return f"{app_part} field '{field}'"


def config_subject(key: str) -> str:
    """The subject of a problem in a stack's config (`gangplank:<key>`)."""
    return f"config '{shown(key, 70)}'"


class InputError(pulumi.RunError):
    """The input is invalid; nothing has been declared. `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems), key=Problem.sort_key)
        super().__init__(
            f"{len(self.problems)} problem(s) in the input; nothing was declared:\n"
            + "\n".join(str(p) for p in self.problems)
        )
