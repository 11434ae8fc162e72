"""One reading of YAML: a plain value as the YAML 1.2 core schema reads it, refused where YAML 1.1 reads it otherwise.

Editors and `apps.schema.json` users read YAML 1.2 (the core schema); PyYAML reads YAML 1.1, where `0120` is the
octal 80, `1:20` is sexagesimal 80, `yes`/`off` are booleans and `2026-01-02` is a date. The reader
(`yamlfile.py`) takes every plain value from here: its YAML 1.2 value, and why it is refused when the two
versions read it differently, with a hint to write it unambiguously (quote it for text).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import yaml

# YAML 1.2 core schema (YAML 1.2.2 §10.3.2): what a plain scalar means to editors and JSON Schema users.
_CORE_NULL = re.compile(r"(?:~|null|Null|NULL|)")
_CORE_TRUE = re.compile(r"(?:true|True|TRUE)")
_CORE_FALSE = re.compile(r"(?:false|False|FALSE)")
_CORE_INT10 = re.compile(r"[-+]?[0-9]+")
_CORE_INT8 = re.compile(r"0o[0-7]+")
_CORE_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_CORE_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_CORE_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_MAYBE_NOT_TEXT = frozenset("0123456789+-.~=<!&*yYnNoOtTfF")
"""First characters of every plain scalar that YAML 1.1 or 1.2 may read as other than text (the YAML 1.1
resolvers are keyed on the first character too: PyYAML's `Resolver.yaml_implicit_resolvers`)."""
_YAML11 = yaml.resolver.Resolver()
_YAML11_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_NO_VALUE = object()


def plain_scalar(text: str) -> tuple[Any, str | None]:
    """A plain (untagged, unquoted) scalar's value as YAML 1.2 reads it, and why it is refused when YAML 1.1 reads
    it differently (None when the two agree)."""
    if text and text[0] not in _MAYBE_NOT_TEXT:
        return text, None  # text in both YAML 1.1 and 1.2: neither resolves a scalar starting so to anything else
    return _both_readings(text)


@functools.lru_cache(maxsize=4096)
def _both_readings(text: str) -> tuple[Any, str | None]:
    """`plain_scalar` of a value that may not be text. Catalogues repeat these (ports, replicas, booleans) thousands
    of times, and the answer is the text's alone, immutable (a number, a boolean, None, text)."""
    core = core_value(text)
    yaml11 = _yaml11_value(text)
    if not _same(core, yaml11):
        return core, ambiguity_message(text, core, yaml11)
    return core, None


def core_value(text: str) -> Any:
    """A plain scalar as the YAML 1.2 core schema reads it."""
    if _CORE_NULL.fullmatch(text):
        return None
    if _CORE_TRUE.fullmatch(text):
        return True
    if _CORE_FALSE.fullmatch(text):
        return False
    if _CORE_INT10.fullmatch(text):
        return int(text)
    if _CORE_INT8.fullmatch(text):
        return int(text[2:], 8)
    if _CORE_INT16.fullmatch(text):
        return int(text[2:], 16)
    if _CORE_FLOAT.fullmatch(text):
        return float(text)
    if _CORE_INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _CORE_NAN.fullmatch(text):
        return math.nan
    return text


def _yaml11_value(text: str) -> Any:
    """The same plain scalar as YAML 1.1 (PyYAML's SafeLoader) reads it; _NO_VALUE if it cannot."""
    tag = _YAML11.resolve(yaml.ScalarNode, text, (True, False))
    if tag == "tag:yaml.org,2002:str":
        return text
    try:
        return _YAML11_CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, text))
    except (yaml.YAMLError, ValueError, OverflowError):
        return _NO_VALUE


def _same(core: Any, yaml11: Any) -> bool:
    if type(core) is not type(yaml11):
        return False
    if isinstance(core, float) and math.isnan(core):
        return math.isnan(yaml11)
    return bool(core == yaml11)


def ambiguity_message(text: str, core: Any, yaml11: Any) -> str:
    """Why a plain value is refused: YAML 1.1 and 1.2 read it differently."""
    old = "unreadable" if yaml11 is _NO_VALUE else _shown(yaml11)
    if isinstance(core, str) and isinstance(yaml11, bool):
        hint = f"write true or false for a yes/no value, or quote '{text}' for text"
    elif isinstance(core, int | float) and isinstance(yaml11, int | float) and not isinstance(yaml11, bool):
        hint = f"write {_shown(core)} (as YAML 1.2 reads it), or quote '{text}' for text"
    else:
        hint = f"quote it ('{text}') for text"
    return (f"'{text}' is {old} in YAML 1.1 but {_shown(core)} in YAML 1.2 (editors, apps.schema.json); "
            f"gangplank refuses values the two read differently: {hint}")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "text"
    return f"a {type(value).__name__}"
