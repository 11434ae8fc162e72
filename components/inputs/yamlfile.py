"""YAML reading that remembers where every value came from.

PyYAML's C parser composes the document into nodes that carry their line; we build the data
from those nodes, keeping the line of every key and item, so a validation error can point at
`apps.yaml:12` instead of "somewhere in app 3". (The C parser reads a thousand-app catalogue
ten times faster than a pure-Python round-trip loader.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFileError(Exception):
    """The file is missing, unreadable or not valid YAML. `line` is 1-based when known."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line or 1}: {message}")


class LineDict(dict):
    """A mapping that knows its own line and the line of each of its keys."""

    line: int
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence that knows its own line and the line of each of its items."""

    line: int
    item_lines: list[int]


def load_yaml(path: str) -> Any:
    """Parse `path` keeping line numbers; duplicate keys are errors, as they are usually mistakes."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise YamlFileError(path, None, f"cannot read the file: {err}") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        return None if node is None else _build(path, node, yaml.constructor.SafeConstructor())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(part) for part in (err.context, err.problem) if part)
        raise YamlFileError(path, line, f"invalid YAML: {problem}") from None


def _build(path: str, node: yaml.Node, constructor: yaml.constructor.SafeConstructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        mapping = LineDict()
        mapping.line, mapping.key_lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in mapping:
                raise YamlFileError(path, line, f"invalid YAML: duplicate key '{key}' (first on line "
                                                f"{mapping.key_lines[key]})")
            mapping[key] = _build(path, value_node, constructor)
            mapping.key_lines[key] = line
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LineList(_build(path, item, constructor) for item in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence
    return constructor.construct_object(node, deep=True)


def line_of(node: Any, location: Sequence[str | int], default: int | None = None) -> int | None:
    """The 1-based line of the value at `location` under `node`, or of its nearest present parent."""
    line = default
    for step in location:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines[step]
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def start_line(node: Any) -> int | None:
    """The 1-based line on which a mapping or sequence starts."""
    return node.line if isinstance(node, LineDict | LineList) else None


def plain(node: Any) -> Any:
    """The same data as built-in dicts and lists, keys as strings."""
    if isinstance(node, dict):
        return {k if isinstance(k, str) else str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
