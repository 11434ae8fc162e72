"""What a JSON document of the planner is, and whether `--diff` can take it as its base.

Every JSON document the planner writes says what it is (`kind`) and in which format
(`formatVersion`): a plan (`--format json`), a preview plan (`--preview ... --format json`), a diff
(`--diff ... --format json`) or a rollout report (`--rollout --format json`). Only a plan is a base:
a preview's values are unknown where the providers compute them, a diff or a rollout holds no
resources to compare.

Documents written before the format had a version carry neither key. They are told apart by
their shape; an unversioned plan is read as format version 1, whose keys are a subset of version
2's (what only one side has is not a change), so the first pull request after versions came in
still diffs against its base branch's plan. When the version changes again, the planner that
changes it must keep reading the one before (`READABLE_VERSIONS`), or the first pull request
after it cannot diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

FORMAT_VERSION = 2
"""Version 2: `formatVersion` and `kind`; resources' `propertyDependencies` and `fromOutputs`; apps'
`allowCidrs`."""
LEGACY_VERSION = 1
"""What a plan without `formatVersion` is read as."""
READABLE_VERSIONS = (LEGACY_VERSION, FORMAT_VERSION)
"""Plan versions `--diff` reads as a base."""

Kind = Literal["plan", "preview", "diff", "rollout"]

_WHAT: dict[str, str] = {
    "preview": "a preview plan (`--preview`): values the providers compute are unknown in it, so every "
               "resource made from them would show as changed; diff against a plan made without --preview",
    "diff": "the output of `--diff --format json`, not a plan; diff against the base's "
            "`python -m planner --format json`",
    "rollout": "a rollout report (`--rollout --format json`), not a plan; diff against the base's "
               "`python -m planner --format json`",
}


def kind_of(document: Mapping[str, Any]) -> str:
    """What a planner document is: its `kind`, or for an unversioned one, what its shape says."""
    kind = document.get("kind")
    if isinstance(kind, str):
        return kind
    if "preview" in document:
        return "preview"
    resources = document.get("resources")
    if "counts" in document or "baseStack" in document or (
            isinstance(resources, list) and any(isinstance(r, dict) and "change" in r for r in resources)):
        return "diff"
    if "criticalPath" in document or "waves" in document:
        return "rollout"
    return "plan"


def version_of(document: Mapping[str, Any]) -> int | Any:
    """The document's format version (`LEGACY_VERSION` when it has none)."""
    return document.get("formatVersion", LEGACY_VERSION)


def base_problem(document: Mapping[str, Any]) -> str | None:
    """Why `document` cannot be the base of `--diff` (None: it can)."""
    kind = kind_of(document)
    if kind != "plan":
        return _WHAT.get(kind, f"a document of kind '{kind}', not a plan")
    version = version_of(document)
    if version not in READABLE_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_VERSIONS)
        return (f"a plan of format version {version}; this planner reads versions {readable} (it writes "
                f"{FORMAT_VERSION}): plan the base with a planner of the same version")
    return None


def stamped(document: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """`document` with its kind and this planner's format version."""
    return {**document, "kind": kind, "formatVersion": FORMAT_VERSION}
