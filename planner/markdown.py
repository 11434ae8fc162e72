"""Values inside GitHub Markdown tables, shared by the plan (`--format markdown`) and the diff.

Every value goes into a code span: no accidental links, @-mentions or emphasis; a `|` cannot
end a cell and a newline cannot end a row. Long values are cut with an ellipsis.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_VALUE_CHARS = 80


def one_line(value: Any, limit: int | None = MAX_VALUE_CHARS) -> str:
    """`value` as one line of text (JSON for structures), cut to `limit` characters."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = " ".join(text.split())  # no newlines inside a table cell
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def code(value: Any, limit: int | None = MAX_VALUE_CHARS) -> str:
    """`value` as a code span that is safe inside a table cell; a missing value as _(none)_."""
    if value is None:
        return "_(none)_"
    span = one_line(value, limit).replace("|", "\\|")
    if "`" in span:
        return f"`` {span} ``"
    return f"`{span}`"


def text(value: Any) -> str:
    """Prose (a sentence the program wrote) with Markdown's punctuation escaped, on one line."""
    words = re.sub(r"\s*[\r\n]+\s*", " ", str(value))  # spaces at the ends stay: prose joins pieces
    return re.sub(r"([\\`*_\[\]<>|~#])", r"\\\1", words)


def plain(value: Any) -> str:
    """Short words (a visibility, a kind of change) as plain text, stripped of Markdown syntax."""
    return re.sub(r"[^A-Za-z0-9 ._()-]", "", one_line(value)) or "-"
