"""Values as a diff may show them: changed paths, secrets masked, engine values marked.

Secrets: plans show them as `"[secret]"`; a value that is, or holds, `[secret]` shows as `[secret]`
on both sides of a change (its other value must not leak), except that a side without the value
stays without it (`(none)` → `[secret]` for an added secret). The contents of a Kubernetes Secret
never show, whatever the plan says.

Engine values: a plan's ids, ARNs, name servers and host names are the mocks' stand-ins. Where a
plan says an input is made from another resource's computed outputs (`fromOutputs`), the diff
shows `[known after apply]` if that resource is created or replaced in this change, and
`[output of <resource>]` otherwise: never the stand-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.diff.model import KNOWN_AFTER_APPLY, SECRET, output_of
from planner.paths import join, steps, with_value

ALWAYS_SECRET_INPUTS = {"kubernetes:core/v1:Secret": ("data", "stringData")}
"""Inputs of these types that never show, whatever the plan holds (type -> top-level input keys)."""


def holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_secret(item) for item in value)
    return value == SECRET


def masked(old: Any, new: Any) -> tuple[Any, Any]:
    """A value that is, or holds, `[secret]` on either side shows as `[secret]` on both (a missing side stays)."""
    if holds_secret(old) or holds_secret(new):
        return (None if old is None else SECRET), (None if new is None else SECRET)
    return old, new


def masked_input(type_: str, path: str, old: Any, new: Any) -> tuple[Any, Any]:
    """`masked`, and both values of a path inside a Kubernetes Secret's contents hidden."""
    top = str(steps(path)[0]) if path and path != "(all)" else ""
    if top in ALWAYS_SECRET_INPUTS.get(type_, ()):
        return (None if old is None else SECRET), (None if new is None else SECRET)
    return masked(old, new)


def visible_inputs(type_: str, inputs: Any, engine: Mapping[str, str] | None = None) -> Any:
    """Inputs as a diff may show them whole: a Secret's contents hidden, engine values marked.

    `engine`: input path -> what to show instead of the plan's value (`engine_values`).
    """
    if not isinstance(inputs, dict):
        return inputs
    hidden = ALWAYS_SECRET_INPUTS.get(type_, ())
    shown = {key: (SECRET if key in hidden and value is not None else value) for key, value in inputs.items()}
    for path, value in (engine or {}).items():
        shown = with_value(shown, steps(path), value)
    return shown


def engine_values(resource: Mapping[str, Any], unknown: set[str]) -> dict[str, str]:
    """Input path -> `[known after apply]` or `[output of ...]`, for the values a plan made from outputs."""
    found = {}
    for path, sources in (resource.get("fromOutputs") or {}).items():
        pending = [source for source in sources if source in unknown]
        found[path] = KNOWN_AFTER_APPLY if pending else output_of(sources[0])
    return found


def same(old: Any, new: Any) -> bool:
    """Equal as the engine compares property values (a whole float equals its int)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new or (type(old) is type(new) and old == new)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(same(a, b) for a, b in zip(old, new, strict=True))
    return old == new


def changed_leaves(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Sorted `(path, old, new)` for every leaf that differs (`spec.rules[1].host`, `a["b/c"]`).

    Mappings are followed to their leaves, lists index by index, as `pulumi preview --diff` shows a
    list (pulumi sdk/go/common/resource/properties_diff.go `ArrayDiff`: Adds, Deletes and Updates by
    index) and as `kubectl diff` shows the nested fields: an item a list gains or loses shows each
    of its leaves, with `(none)` on the side that lacks it (`spec.rules[1].host: (none) → ...`). An
    empty mapping or list that appears or goes is a leaf itself. A side that lacks the path has None.
    """
    if same(old, new):
        return []
    if isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
        found: list[tuple[str, Any, Any]] = []
        before, after = old or {}, new or {}
        for key in sorted(before.keys() | after.keys()):
            found += changed_leaves(before.get(key), after.get(key), join(path, str(key)))
        return found
    if isinstance(old, list | None) and isinstance(new, list | None) and (old or new):
        found = []
        before, after = old or [], new or []
        for index in range(max(len(before), len(after))):
            found += changed_leaves(before[index] if index < len(before) else None,
                                    after[index] if index < len(after) else None, join(path, index))
        return found
    return [(path or "(all)", old, new)]
