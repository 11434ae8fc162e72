"""The data a YAML file is read into, with the line of every key and item, and the questions asked of it.

`yamlfile.parse_yaml` builds it: mappings as `LineDict`, sequences as `LineList`, scalars as they are. Validation
asks `line_of` where a value came from, so an error can point at `apps.yaml:12` instead of "somewhere in app 3".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LineDict(dict):
    """A mapping that knows its own line and the line of each of its keys."""

    line: int
    key_lines: dict[Any, int]
    borrowed: dict[Any, int] = {}  # noqa: RUF012 (never changed: each mapping read gets its own)
    """Keys whose value this mapping takes from an anchor (`key: *a`, or a key merged with `<<: *a`), with the
    line where it takes it (the key's, or the merge key's): the value's own lines are the anchor's."""


class LineList(list):
    """A sequence that knows its own line and the line of each of its items."""

    line: int
    item_lines: list[int]
    borrowed: frozenset[int] = frozenset()
    """Items that are aliases (`- *a`): their `item_lines` are the alias's, their values' lines the anchor's."""


def line_of(node: Any, location: Sequence[str | int], default: int | None = None, *,
            where_used: bool = False) -> int | None:
    """The 1-based line of the value at `location` under `node`, or of its nearest present parent.

    A value copied from an anchor has two places: the anchor, where its content is written, and the
    alias (`- *web`, `service: *svc`) or merge key (`<<: *web`) where this entry takes it. By default
    the line is the content's (a bad port is fixed at the anchor); with `where_used` it is where the
    entry takes the value (a second app made with `- *web` is a duplicate at the alias, not at the anchor).
    """
    line = default
    for step in location:
        if isinstance(node, LineDict) and step in node:
            if where_used and step in node.borrowed:
                return node.borrowed[step]
            line = node.key_lines[step]
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            if where_used and step in node.borrowed:
                return line
            node = node[step]
        else:
            break
    return line


def start_line(node: Any) -> int | None:
    """The 1-based line on which a mapping or sequence starts."""
    return node.line if isinstance(node, LineDict | LineList) else None


def plain(node: Any) -> Any:
    """The same data as built-in dicts and lists, keys as strings, integral floats as ints (`2.0` is `2`,
    as in JSON and JSON Schema)."""
    if isinstance(node, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node
