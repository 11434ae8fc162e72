"""Markdown lines that fit in 100 columns: wrapping that never breaks a code span, values cut to fit.

A diff is read in a pull request, a terminal and an e-mail: every line stays within `WIDTH`
columns (`--wide` lifts the limit). Prose wraps between words; a code span is never broken (a
value is cut to fit instead, around the place where its old and new versions differ).
"""

from __future__ import annotations

import re
from typing import Any

from planner.diff.model import KNOWN_AFTER_APPLY, is_engine_value
from planner.markdown import code, one_line

WIDTH = 100


def tokens(text: str) -> list[str]:
    """Words split at spaces, except the spaces inside a code span (a span and what sticks to it is one)."""
    found: list[str] = []
    current, position = "", 0
    while position < len(text):
        char = text[position]
        if char == "`":
            fence = re.match(r"`+", text[position:]).group(0)  # type: ignore[union-attr]
            close = text.find(fence, position + len(fence))
            end = len(text) if close == -1 else close + len(fence)
            current += text[position:end]
            position = end
        elif char == " ":
            if current:
                found.append(current)
            current, position = "", position + 1
        else:
            current += char
            position += 1
    if current:
        found.append(current)
    return found


def escape_prose(text: str) -> str:
    """`<`, `>` and `&` escaped as HTML entities outside code spans, and left alone inside them: GitHub reads
    HTML in prose, while inside a code span an entity shows literally (CommonMark 0.31.2, "Code spans":
    "entity and numeric character references are not recognized" there). A backtick run that no run of
    the same length closes is literal text (CommonMark, same section), so what follows it is prose."""
    out: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "`":
            fence = re.match(r"`+", text[position:]).group(0)  # type: ignore[union-attr]
            close = _closing(text, fence, position + len(fence))
            end = position + len(fence) if close == -1 else close + len(fence)
            out.append(text[position:end])
            position = end
            continue
        out.append({"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(char, char))
        position += 1
    return "".join(out)


def _closing(text: str, fence: str, start: int) -> int:
    """Where a backtick run of exactly `fence`'s length starts at or after `start` (-1: none)."""
    for found in re.finditer(r"`+", text[start:]):
        if len(found.group(0)) == len(fence):
            return start + found.start()
    return -1


def wrap(text: str, first: str = "", rest: str | None = None, width: int = WIDTH) -> list[str]:
    """`text` as lines of at most `width` columns, the first starting `first`, the others `rest`."""
    rest = " " * len(first) if rest is None else rest
    lines: list[str] = []
    current = first
    empty = True
    for token in tokens(text):
        if not empty and len(current) + 1 + len(token) > width:
            lines.append(current.rstrip())
            current, empty = rest, True
        current += ("" if empty else " ") + token
        empty = False
    lines.append(current.rstrip())
    return lines


def shown(value: Any, limit: int | None = 80) -> str:
    """A value in Markdown: a code span, `_(none)_`, or the words for what only the engine knows."""
    if value is None:
        return "_(none)_"
    if value == KNOWN_AFTER_APPLY:
        return "_(known after apply)_"
    if is_engine_value(value):
        source = str(value)[len("[output of "):-1]
        return f"_(output of {code(source.partition('::')[2] or source, limit)})_"
    return code(value, limit)


def around_difference(old: Any, new: Any, limit: int) -> tuple[Any, Any]:
    """Two values cut to `limit` characters each so that both show where they differ.

    The common start is cut to a little context before the first difference, and what is left after
    it is cut at the end; an unchanged end (a shared suffix) goes first. Values that fit stay whole.
    """
    if old is None or new is None or is_engine_value(old) or is_engine_value(new):
        return old, new
    before, after = one_line(old, limit=None), one_line(new, limit=None)
    if max(len(before), len(after)) <= limit:
        return old, new
    start = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                 min(len(before), len(after)))
    context = max(8, limit // 5)
    begin = max(0, start - context)
    return _window(before, begin, limit), _window(after, begin, limit)


def _window(text: str, begin: int, limit: int) -> str:
    head = "…" if begin else ""
    body = text[begin:]
    if len(head) + len(body) > limit:
        body = body[: limit - len(head) - 1] + "…"
    return head + body
