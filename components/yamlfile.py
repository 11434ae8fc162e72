"""YAML reading that remembers where every value came from.

ruamel.yaml's round-trip loader keeps the line of every key and item, which lets a
validation error point at `apps.yaml:12` instead of "somewhere in app 3".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError


class YamlFileError(Exception):
    """The file is missing, unreadable or not valid YAML. `line` is 1-based when known."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line or 1}: {message}")


def load_yaml(path: str) -> Any:
    """Parse `path` keeping line numbers; duplicate keys are errors, as they are usually mistakes."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise YamlFileError(path, None, f"cannot read the file: {err}") from None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(part) for part in (err.context, err.problem) if part)
        raise YamlFileError(path, line, f"invalid YAML: {problem}") from None


def line_of(node: Any, location: Sequence[str | int], default: int | None = None) -> int | None:
    """The 1-based line of the value at `location` under `node`, or of its nearest present parent."""
    line = default
    for step in location:
        if isinstance(node, CommentedMap) and step in node:
            line = node.lc.key(step)[0] + 1
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line = node.lc.item(step)[0] + 1
            node = node[step]
        else:
            break
    return line


def start_line(node: Any) -> int | None:
    """The 1-based line on which a mapping or sequence starts."""
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line + 1
    return None


def plain(node: Any) -> Any:
    """The same data as built-in dicts and lists (the round-trip types carry layout)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
