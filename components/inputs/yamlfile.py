"""YAML reading that remembers where every value came from, and refuses what is dangerous or ambiguous.

The data is built straight from PyYAML's event stream (the C parser's events, so a thousand-app
catalogue still reads fast), keeping the line of every key and item (`yamllines.py`), so a
validation error can point at `apps.yaml:12` instead of "somewhere in app 3". Building from events
rather than from PyYAML's composed node graph lets the loader bound what a hostile or careless
file can cost before it is paid:

- nesting deeper than `MAX_DEPTH` is refused while the events stream by, before anything is
  composed (PyYAML's C composer recurses once per level and crashes the process at ~100,000);
- every alias is counted at its expanded size, so an "alias bomb" (a few hundred bytes that
  expand to billions of values) is refused once the document would exceed `MAX_VALUES`, and
  an alias inside its own anchor (`a: &a [*a]`) is refused instead of recursing for ever;
- the file must be a regular file (a FIFO would block for ever) of at most `MAX_FILE_BYTES`,
  in UTF-8, without control characters (YAML forbids them everywhere, comments included).

**One reading of YAML.** Editors and `apps.schema.json` users read YAML 1.2 (the core schema);
PyYAML reads YAML 1.1, where `0120` is the octal 80, `1:20` is sexagesimal 80, `yes`/`off` are
booleans and `2026-01-02` is a date. gangplank reads YAML 1.2 and refuses every plain value
that the two versions read differently, with a hint to write it unambiguously (quote it for
text). So a value means the same to the planner, to `pulumi up` and to the editor (the rules:
`yamlscalars.py`).

Also refused, with the line: tags on anything but the standard ones for text (`!!str`, `!`),
because a tag such as `!secret` silently did nothing; mapping keys that are not plain values
(`? [a, b]`); duplicate keys. YAML merge keys (`<<: *base`, `<<: [*a, *b]`) work as in YAML 1.1:
the mapping's own keys win over merged ones, earlier merged mappings over later ones.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from components.inputs.yamllines import LineDict, LineList
from components.inputs.yamlscalars import plain_scalar

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest file read: a 10,000-app catalogue is about 1.5 MB; Kubernetes caps a whole object at 1.5 MB."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (apps.yaml needs 7, a stack file 6)."""
MAX_ALIAS_VALUES = 100_000
"""Most values (scalars, mappings, lists) aliases may add to a document when expanded. A whole 1,000-app
catalogue holds about 30,000 values, so this refuses only alias bombs, in microseconds."""
MAX_REPORTED = 10
"""Control characters reported one by one before the rest are summed up."""

_STR_TAGS = ("tag:yaml.org,2002:str", "!")
_COLLECTION_TAGS = {"mapping": "tag:yaml.org,2002:map", "list": "tag:yaml.org,2002:seq"}

# Characters YAML allows in a stream (YAML 1.2 §5.1 c-printable; the same set PyYAML's reader
# checks): TAB, LF, CR, printable ASCII, NEL, and Unicode outside the C1 controls and surrogates.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BACKSPACE", 0x0B: "VERTICAL TAB", 0x0C: "FORM FEED", 0x1B: "ESCAPE",
                  0x7F: "DEL"}
_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"), (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
         (b"\xfe\xff", "UTF-16 (big-endian)"), (b"\xff\xfe", "UTF-16 (little-endian)"))

_NO_VALUE = object()


@dataclass(frozen=True)
class YamlIssue:
    """One reason a file cannot be read: its 1-based line (None for the whole file) and what is wrong."""

    line: int | None
    message: str
    location: tuple[str | int, ...] = ()
    """Where in the document, when known: keys and list indexes from the top (`("apps", 0, "service")`)."""


class YamlFileError(Exception):
    """The file is missing, unreadable or not valid YAML. `issues` lists every reason found; `document` is
    the data as far as it could be read, when the problems were only in some values (else None)."""

    def __init__(self, path: str, line: int | None, message: str, issues: Sequence[YamlIssue] = (),
                 document: Any = None) -> None:
        self.path, self.line, self.message = path, line, message
        self.issues: list[YamlIssue] = list(issues) or [YamlIssue(line, message)]
        self.document = document
        super().__init__(f"{path}:{line or 1}: {message}")


def load_yaml(path: str) -> Any:
    """Parse `path` keeping line numbers; raises YamlFileError for anything that cannot be read safely."""
    return parse_yaml(read_text(path), path)


def read_text(path: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file as text, refusing what is not a regular UTF-8 file of at most `max_bytes`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise YamlFileError(path, None, "file not found") from None
    except OSError as err:
        raise YamlFileError(path, None, f"cannot read the file: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode)
                else "a device or socket")
        raise YamlFileError(path, None, f"cannot read the file: it is {kind}, not a regular file")
    too_large = YamlFileError(path, None, f"the file is larger than {max_bytes // (1024 * 1024)} MiB, the most "
                                          "gangplank reads")
    if info.st_size > max_bytes:
        raise too_large
    try:
        # O_NONBLOCK: should the path become a FIFO between stat and open, opening must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(info.st_size + 1)  # one byte more: a file that grew since is seen to be
            if info.st_size < len(data) <= max_bytes:  # it grew while being read: the rest, within the bound
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as err:
        raise YamlFileError(path, None, f"cannot read the file: {err.strerror or err}") from None
    if len(data) > max_bytes:
        raise too_large
    return decode_text(data, path)


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 text (an optional UTF-8 byte-order mark dropped); UTF-16/32 and bad bytes are named with their line."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise YamlFileError(path, 1, f"the file is {encoding} (it starts with a byte-order mark); "
                                         "save it as UTF-8")
    head = data[:200]
    if head.count(0) >= 4 and head.count(0) * 4 >= len(head):
        raise YamlFileError(path, 1, "the file looks like UTF-16 or UTF-32 (every other byte is NUL); "
                                     "save it as UTF-8")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise YamlFileError(path, line, f"not UTF-8: byte 0x{data[err.start]:02x} at column {column} "
                                        f"({err.reason}); save the file as UTF-8") from None


def parse_yaml(text: str, path: str) -> Any:
    """The one document in `text` as LineDict / LineList / scalars (None for an empty document)."""
    _refuse_control_characters(text, path)
    try:
        return _Builder(path).build(_LOADER(text))
    except yaml.YAMLError as err:  # MarkedYAMLError (scanner, parser) and the rest (reader)
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        parts = (getattr(err, "context", None), getattr(err, "problem", None))
        problem = " ".join(str(part) for part in parts if part) or str(err)
        raise YamlFileError(path, line, f"invalid YAML: {problem}") from None


def _refuse_control_characters(text: str, path: str) -> None:
    found = list(_NOT_PRINTABLE.finditer(text))
    if not found:
        return
    issues = []
    for match in found[:MAX_REPORTED]:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        code = ord(match.group())
        name = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
        issues.append(YamlIssue(line, f"invalid YAML: control character U+{code:04X}{name} at column {column}; "
                                      "YAML allows none (not even in a comment): delete it"))
    if len(found) > MAX_REPORTED:
        issues.append(YamlIssue(issues[-1].line, f"invalid YAML: {len(found) - MAX_REPORTED} more control "
                                                 "character(s) after these"))
    raise YamlFileError(path, issues[0].line, issues[0].message, issues)


@dataclass
class _Anchor:
    value: Any
    size: int
    """Values it holds once expanded (itself included)."""
    height: int
    """Levels of nesting it holds (0 for a scalar)."""


class _Frame:
    """A mapping or a list being built."""

    __slots__ = ("aliased", "anchor", "depth", "explicit", "height", "items", "key", "key_line", "kind", "line",
                 "merge_line", "merges", "position", "size")

    def __init__(self, kind: str, line: int, depth: int, anchor: str | None, position: Any) -> None:
        self.kind, self.line, self.depth, self.anchor, self.position = kind, line, depth, anchor, position
        self.items: list[tuple[Any, int]] = []  # list items, or mapping values in key order
        self.explicit: dict[Any, int] = {}  # mapping key -> its line
        self.merges: list[Any] = []  # mappings merged with `<<`, in order
        self.merge_line = 0  # the line of the `<<` key
        self.aliased: set[Any] = set()  # list indexes, or mapping keys, whose value is an alias
        self.key: Any = _NO_VALUE  # mapping: the key waiting for its value
        self.key_line = 0
        self.size, self.height = 1, 1


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.anchors: dict[str, _Anchor] = {}
        self.total = 0
        self.issues: list[YamlIssue] = []
        self.stack: list[_Frame] = []

    def fail(self, event: Any, message: str) -> None:
        """A problem that stops the reading."""
        raise YamlFileError(self.path, event.start_mark.line + 1, f"invalid YAML: {message}")

    def soft(self, event: Any, message: str) -> None:
        """A problem in one value: reading goes on, so that every such value is reported."""
        self.issues.append(YamlIssue(event.start_mark.line + 1, message, self.here()))

    def here(self) -> tuple[str | int, ...]:
        """The location of the value being read."""
        path = [frame.position for frame in self.stack[1:]]
        if self.stack:
            top = self.stack[-1]
            current = len(top.items) if top.kind == "list" else top.key
            if current is not _NO_VALUE and current is not _MERGE:
                path.append(current)
        return tuple(path)

    def build(self, loader: Any) -> Any:
        stack = self.stack
        root: Any = None
        documents = 0
        try:
            while loader.check_event():
                event = loader.get_event()
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    top = stack[-1] if stack else None
                    value = self.scalar(event, key=top is not None and top.kind == "mapping" and top.key is _NO_VALUE)
                    if event.anchor is not None:
                        self.anchors[event.anchor] = _Anchor(value, 1, 0)
                    if top is None:
                        root = value
                    else:
                        self.add(top, event, value, 1, 0, event.start_mark.line + 1)
                    continue
                if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                    name = "mapping" if kind is yaml.MappingStartEvent else "list"
                    depth = len(stack)
                    self.check_collection(event, name, stack, depth)
                    stack.append(_Frame(name, event.start_mark.line + 1, depth + 1, event.anchor,
                                        self.position_in(stack[-1]) if stack else None))
                    continue
                if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    frame = stack.pop()
                    value = self.finish(frame)
                    if frame.anchor is not None:
                        self.anchors[frame.anchor] = _Anchor(value, frame.size, frame.height)
                    produced = (value, frame.size, frame.height, frame.line)
                elif kind is yaml.AliasEvent:
                    produced = self.alias(event, stack, len(stack))
                elif kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        self.fail(event, "the file holds more than one YAML document (a second '---'); "
                                         "it must hold one")
                    continue
                else:  # stream start and end, document end
                    continue
                if not stack:
                    root = produced[0]
                    continue
                self.add(stack[-1], event, *produced, aliased=kind is yaml.AliasEvent)
        finally:
            loader.dispose()
        if self.issues:
            first = self.issues[0]
            raise YamlFileError(self.path, first.line, first.message, self.issues, document=root)
        return root

    @staticmethod
    def position_in(frame: _Frame) -> Any:
        """Where the next value goes in `frame`: a list index, or the key waiting for its value."""
        return len(frame.items) if frame.kind == "list" else frame.key

    def check_collection(self, event: Any, kind: str, stack: list[_Frame], depth: int) -> None:
        if stack and stack[-1].kind == "mapping" and stack[-1].key is _NO_VALUE:
            self.fail(event, f"a mapping key must be a plain value, found a {kind} (`? [...]` or `? {{...}}`)")
        if not event.implicit and event.tag not in (None, _COLLECTION_TAGS[kind]):
            self.soft(event, _tag_message(event.tag, f"a {kind}"))
        if depth + 1 > MAX_DEPTH:
            self.fail(event, f"nested more than {MAX_DEPTH} levels deep; gangplank's files need fewer than 10")

    def count(self, event: Any, size: int) -> None:
        """Count the values an alias adds (what is written is bounded by the file's size)."""
        self.total += size
        if self.total > MAX_ALIAS_VALUES:
            self.fail(event, f"its aliases would add more than {MAX_ALIAS_VALUES:,} values once expanded (an "
                             "alias bomb?); use fewer aliases of aliases")

    def alias(self, event: Any, stack: list[_Frame], depth: int) -> tuple[Any, int, int, int]:
        name = event.anchor
        if any(frame.anchor == name for frame in stack):
            self.fail(event, f"the alias '*{name}' is inside its own anchor '&{name}' (a recursive structure)")
        anchor = self.anchors.get(name)
        if anchor is None:
            self.fail(event, f"the alias '*{name}' names no anchor defined before it")
            raise AssertionError  # unreachable: fail raises
        if depth + anchor.height > MAX_DEPTH:
            self.fail(event, f"the alias '*{name}' nests the document more than {MAX_DEPTH} levels deep")
        self.count(event, anchor.size)
        if stack and stack[-1].kind == "mapping" and stack[-1].key is _NO_VALUE and anchor.height:
            self.fail(event, f"a mapping key must be a plain value, found the alias '*{name}' of a collection")
        return anchor.value, anchor.size, anchor.height, event.start_mark.line + 1

    def scalar(self, event: Any, key: bool) -> Any:
        value = event.value
        if event.tag is not None and event.tag not in _STR_TAGS:
            self.soft(event, _tag_message(event.tag, "a value"))
        if event.tag is not None or event.style:  # `!!str`, quoted or block: text
            return value
        if key and value == "<<":
            return _MERGE
        return self.plain(event, value)

    def plain(self, event: Any, text: str) -> Any:
        value, ambiguity = plain_scalar(text)
        if ambiguity is not None:
            self.soft(event, ambiguity)
        return value

    def add(self, frame: _Frame, event: Any, value: Any, size: int, height: int, line: int,
            aliased: bool = False) -> None:
        frame.size += size
        frame.height = max(frame.height, height + 1)
        if frame.kind == "list":
            if aliased:
                frame.aliased.add(len(frame.items))
            frame.items.append((value, line))
            return
        if frame.key is _NO_VALUE:
            key = value if isinstance(value, str) or value is _MERGE else _key_text(value)
            if key is not _MERGE and key in frame.explicit:
                self.fail(event, f"duplicate key '{key}' (first on line {frame.explicit[key]})")
            frame.key, frame.key_line = key, line
            return
        key, frame.key = frame.key, _NO_VALUE
        if key is _MERGE:
            merged = value if isinstance(value, LineList) else [value]
            for source in merged:
                if not isinstance(source, LineDict):
                    self.fail(event, "a merge key '<<' takes a mapping or a list of mappings (e.g. `<<: *base`)")
            frame.merges.extend(merged)
            frame.merge_line = frame.merge_line or frame.key_line
            return
        frame.explicit[key] = frame.key_line
        if aliased:
            frame.aliased.add(key)
        frame.items.append((value, frame.key_line))

    def finish(self, frame: _Frame) -> Any:
        if frame.kind == "list":
            items = LineList(value for value, _ in frame.items)
            items.line, items.item_lines = frame.line, [line for _, line in frame.items]
            items.borrowed = frozenset(frame.aliased)
            return items
        mapping = LineDict()
        mapping.line, mapping.key_lines, mapping.borrowed = frame.line, {}, {}
        for source in frame.merges:  # the first merged mapping wins over later ones; explicit keys over all
            for key, value in source.items():
                if key not in frame.explicit and key not in mapping:
                    mapping[key] = value
                    mapping.key_lines[key] = source.key_lines[key]
                    mapping.borrowed[key] = frame.merge_line
        for (key, key_line), (value, _) in zip(frame.explicit.items(), frame.items, strict=True):
            mapping[key] = value
            mapping.key_lines[key] = key_line
            if key in frame.aliased:
                mapping.borrowed[key] = key_line
        return mapping


class _MergeKey:
    def __repr__(self) -> str:
        return "<<"


_MERGE = _MergeKey()


def _key_text(value: Any) -> str:
    """Keys are field names: a plain `80:` or `true:` key is the text the user wrote."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tag_message(tag: str, what: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    hint = (" (a tag does not make a value secret: set secrets with `pulumi config set --secret`)"
            if "secret" in shown.lower() else "")
    return (f"the YAML tag '{shown}' on {what} is not supported; gangplank reads plain values only: remove the "
            f"tag{hint}")
