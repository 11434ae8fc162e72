"""Paths into input values, written as Pulumi writes property paths: `spec.rules[0].host`, `a["x.y"]`.

One spelling for the plan's `fromOutputs`, the diff's changed paths and the providers' replacement
rules, so that each can be matched against the others (pulumi sdk/go/common/resource/properties_path.go,
`PropertyPath.String`: a key that is not a plain name is quoted in brackets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

Step = str | int
"""A mapping key or a list index."""

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_STEP = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\[\*\]')


def join(path: str, step: Step) -> str:
    """`path` one step further: `.key`, `["odd.key"]` or `[3]`."""
    if isinstance(step, int):
        return f"{path}[{step}]"
    if _PLAIN_KEY.fullmatch(step):
        return f"{path}.{step}" if path else step
    return f"{path}[{json.dumps(step)}]"


def steps(path: str) -> tuple[Step | None, ...]:
    """The steps of a path; `[*]` (any index) is None. Raises ValueError on a path it cannot read."""
    found: list[Step | None] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"not a property path: {path!r}")
        name, index, quoted = match.groups()
        found.append(name if name is not None else int(index) if index is not None
                     else json.loads(quoted) if quoted is not None else None)
        position = match.end()
    return tuple(found)


def of_steps(path_steps: tuple[Step, ...]) -> str:
    """The path written from its steps (the inverse of `steps` for paths without `[*]`)."""
    path = ""
    for step in path_steps:
        path = join(path, step)
    return path


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar inside `value` with its path (an empty mapping or list is a leaf too)."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from leaves(value[key], join(path, str(key)))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, join(path, index))
    else:
        yield path, value


def top(path: str) -> str:
    """The top-level input a path is under (`values` for `values.controller.replicaCount`)."""
    first = steps(path)[0] if path else ""
    return str(first)


def matches(pattern: tuple[Step | None, ...], path: tuple[Step, ...]) -> bool:
    """Whether `path` is `pattern` or under it (None in the pattern matches any list index)."""
    if len(path) < len(pattern):
        return False
    return all((want is None and isinstance(have, int)) or want == have for want, have in zip(pattern, path,
                                                                                              strict=False))


def value_at(value: Any, path: str | tuple[Step | None, ...]) -> Any:
    """The value at `path` inside `value` (None where it is not there)."""
    for step in steps(path) if isinstance(path, str) else path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def with_value(value: Any, path: tuple[Step | None, ...], new: Any) -> Any:
    """A copy of `value` with the value at `path` replaced by `new` (unchanged where `path` is not there)."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, str) and isinstance(value, dict) and step in value:
        return {**value, step: with_value(value[step], rest, new)}
    if isinstance(step, int) and isinstance(value, list) and step < len(value):
        return [with_value(item, rest, new) if i == step else item for i, item in enumerate(value)]
    return value
