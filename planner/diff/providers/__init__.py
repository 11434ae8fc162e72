"""What each provider answers the engine's `Diff`: which changed inputs replace a resource, and which way round.

One module per provider, each with its table of the inputs that replace and where the rule comes
from (the provider's source, cited at each entry). `diff_of(type)` picks the module by the type
token's package. A type no module knows is updated in place, and the diff says that no rule is
known for it, rather than guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from planner.paths import Step, matches, steps, value_at


@dataclass(frozen=True)
class ProviderDiff:
    """The provider's answer: what changes, what of it replaces, and whether to delete first."""

    changed: tuple[str, ...]
    """The changed paths the provider reports (it may drop some: normalised, ignored or output-only)."""
    replaces: tuple[tuple[str, str], ...] = ()
    """(path, why) for each change that replaces the resource; `why` cites the rule."""
    delete_before_replace: bool = False
    """The provider asks for the old one to be deleted before the new one is created."""
    unknown_rules: bool = False
    """No replacement rules are known for this type: the changes are taken as updates."""


@dataclass(frozen=True)
class Change:
    """What the engine hands a provider's diff: both inputs and the paths that differ."""

    type: str
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    """The new inputs, with values only the engine will know as `KNOWN_AFTER_APPLY`."""
    paths: tuple[str, ...]
    """The leaf paths whose values differ (an item a list gains or loses: each of its leaves)."""
    config: Mapping[str, str]
    """The stack config (provider settings such as `kubernetes:enableSecretMutable`)."""


ProviderRule = Callable[[Change], ProviderDiff]


def replaced_by(change: Change, patterns: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(path, why) for each changed path that is, is under, or holds a replacing pattern.

    A pattern is a property path (`[*]` for any index); a change at `spec` holding `selector` matches
    `spec.selector` too, as pulumi-kubernetes matches a pattern against the changed value
    (provider/pkg/openapi/match.go, `PatchPropertiesChanged`).
    """
    found = []
    for path in change.paths:
        path_steps = steps(path)
        for pattern, why in patterns.items():
            wanted = steps(pattern)
            if matches(wanted, path_steps) or (
                    len(wanted) > len(path_steps) and matches(wanted[:len(path_steps)], path_steps)
                    and (_holds(value_at(change.new, path_steps), wanted[len(path_steps):])
                         or _holds(value_at(change.old, path_steps), wanted[len(path_steps):]))):
                found.append((path, why))
                break
    return tuple(found)


def _holds(value: Any, rest: tuple[Step | None, ...]) -> bool:
    if not rest:
        return value is not None
    step, more = rest[0], rest[1:]
    if step is None or isinstance(step, int):
        return isinstance(value, list) and any(_holds(item, more) for item in
                                               (value if step is None else value[step:step + 1]))
    return isinstance(value, dict) and step in value and _holds(value[step], more)


def diff_of(type_: str) -> ProviderRule:
    """The provider rule for a type token."""
    from planner.diff.providers import aws, helm, kubernetes, random, uptimerobot

    if type_ == uptimerobot.TYPE:
        return uptimerobot.diff
    if type_.startswith("kubernetes:helm.sh/"):
        return helm.diff
    if type_.startswith("kubernetes:"):
        return kubernetes.diff
    if type_.startswith("aws:"):
        return aws.diff
    if type_.startswith("random:"):
        return random.diff
    return unknown_type


def unknown_type(change: Change) -> ProviderDiff:
    """A type without rules here: the change is taken as an update, and the diff says so."""
    return ProviderDiff(change.paths, unknown_rules=True)
