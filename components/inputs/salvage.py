"""Validation that reports every problem of an entry in one run, by setting aside what is invalid.

pydantic reports every field that is invalid, but an entry with an invalid field is no model, so
the checks that need the model never see the rest of the entry: with `users: [uptimerobot, alice,
alice, "bob:x"]` only `bob:x` was reported, and the duplicate `alice` and the reserved
`uptimerobot` came a round later; a list's own rule (an allow-list's total) waits for every
item to be valid; a host outside the zone waited for a bad alias to be fixed.

`validate_salvaging` therefore validates, sets aside each invalid value (the list item, else the
nearest optional field around it: never a required one, so nothing is invented), and validates
the rest again, until a model is left or only a required field could go. The model that is left
carries a `Salvage`: what was set aside, and where the items that stay were in the file, so that
the checks that run on it report at the positions and lines the user wrote, and skip what they
cannot judge without the values set aside. Everything here works on locations as pydantic gives
them (field aliases and list indexes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]
MAX_ROUNDS = 16
"""Validations of one entry at most: each round sets aside at least one value, and a list's own rules
(length, totals) only appear once its items are valid, so real entries need two or three."""


class _SetAside:
    def __repr__(self) -> str:
        return "<set aside>"


_SET_ASIDE = _SetAside()


@dataclass
class Salvage:
    """What was set aside to validate the rest of an entry, in the entry's own locations."""

    set_aside: list[Loc] = field(default_factory=list)
    """Each value set aside: a list item (`("allowCidrs", 2)`), or a field (`("service",)`)."""
    kept: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    """For each list that lost items (by its field path), the positions in the entry of the items that stay."""

    def where_written(self, loc: Sequence[str | int]) -> list[str | int]:
        """A location in the salvaged model as a location in the entry as written."""
        out: list[str | int] = []
        keys: list[str] = []
        for step in loc:
            if isinstance(step, int) and tuple(keys) in self.kept:
                step = self.kept[tuple(keys)][step]
            elif isinstance(step, str):
                keys.append(step)
            out.append(step)
        return out

    def lost(self, name: str) -> bool:
        """Whether the field `name` of the entry was set aside whole (the model has its default instead)."""
        return (name,) in self.set_aside

    def touched(self, name: str) -> bool:
        """Whether anything in the field `name` was set aside (the model holds part of it, or its default)."""
        return any(loc[0] == name for loc in self.set_aside)


def validate_salvaging(model: type[BaseModel], data: Any, set_aside: Iterable[Sequence[str | int]] = ()
                       ) -> tuple[BaseModel | None, list[dict[str, Any]], Salvage]:
    """(the model of what is valid in `data`, or None; every error, located in `data`; what was set aside).

    `data` is plain data (dicts, lists, scalars) and is changed in place. `set_aside` are values
    refused before validation (by the YAML reader), set aside without another report.
    """
    salvage = Salvage()
    for loc in set_aside:
        target = _settable_aside(model, tuple(loc))
        if target is None:
            return None, [], salvage
        _put_aside(data, target, salvage)
    errors: list[dict[str, Any]] = []
    for _ in range(MAX_ROUNDS):
        # Nothing set aside yet (most entries): `data` itself, not a copy of it (validation does not change it).
        compact, kept = _without_set_aside(data) if salvage.set_aside else (data, {})
        try:
            instance = model.model_validate(compact)
        except ValidationError as err:
            progress, stuck = False, False
            for error in err.errors():
                loc = tuple(Salvage(kept=kept).where_written(error["loc"]))
                # An empty list made by setting its items aside is not the user's mistake: it is not reported.
                if not (error["type"] == "too_short" and _keys(loc) in kept):
                    errors.append({**error, "loc": loc})
                target = _settable_aside(model, loc)
                if target is None:
                    stuck = True  # a required field is invalid: no model, but this round's errors are all said
                else:
                    progress = _put_aside(data, target, salvage) or progress
            if stuck or not progress:
                return None, errors, salvage
            continue
        salvage.kept = kept
        return instance, errors, salvage
    return None, errors, salvage


def _keys(loc: Sequence[str | int]) -> tuple[str, ...]:
    return tuple(step for step in loc if isinstance(step, str))


def _settable_aside(model: type[BaseModel], loc: Loc) -> Loc | None:
    """The innermost value around `loc` that may go: a list item, an optional field or an unknown key."""
    found: Loc | None = None
    current: Any = model
    for depth, step in enumerate(loc, start=1):
        if isinstance(step, int):
            found = loc[:depth]
            continue
        if current is None:
            break  # below the models (inside a value): the field around it is the one to go
        spec = next((f for name, f in current.model_fields.items() if (f.alias or name) == step), None)
        if spec is None:
            return loc[:depth]  # a key the model does not know (an `extra_forbidden` error)
        if not spec.is_required():
            found = loc[:depth]
        current = _model_in(spec.annotation)
    return found


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, inside `X | None`, `list[X]` and `Annotated[...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _holds(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def _put_aside(data: Any, loc: Loc, salvage: Salvage) -> bool:
    """Mark the value at `loc` set aside; False when there is no such value (or it is aside already)."""
    node = data
    for step in loc[:-1]:
        if not _holds(node, step) or node[step] is _SET_ASIDE:
            return False
        node = node[step]
    if not _holds(node, loc[-1]) or node[loc[-1]] is _SET_ASIDE:
        return False
    node[loc[-1]] = _SET_ASIDE
    salvage.set_aside.append(loc)
    return True


Positions = dict[tuple[str, ...], list[int]]


def _without_set_aside(data: Any, keys: tuple[str, ...] = (), kept: Positions | None = None) -> tuple[Any, Positions]:
    """A copy of `data` without the values set aside, and where the items kept were, for lists that lost some."""
    kept = {} if kept is None else kept
    if isinstance(data, dict):
        return {key: _without_set_aside(value, (*keys, key), kept)[0]
                for key, value in data.items() if value is not _SET_ASIDE}, kept
    if isinstance(data, list):
        positions = [position for position, item in enumerate(data) if item is not _SET_ASIDE]
        if len(positions) < len(data):
            kept[keys] = positions
        return [_without_set_aside(data[position], keys, kept)[0] for position in positions], kept
    return data, kept
