"""Likely renames: an app removed and another added that share a backend, a host or a namespace.

To Pulumi a renamed app is another app: every resource named after it is deleted and created again.
The diff says what that costs (the monitor's history, the URL and DNS records, a namespace that
must exist, two Ingresses claiming one host and path for a while) and how to keep what can be kept:
`pulumi state rename` (Pulumi CLI v3.259 docs, `pulumi state rename [resource-urn] [new-name]
[flags]`, flags `--stack`, `--yes`) renames a resource in the stack's state before `pulumi up`, which
then updates it in place instead of replacing it. Resources whose cloud identity holds the app's
name (the Kubernetes objects, named after the app) are replaced whatever their state says, so the
commands are given only for those that keep their identity: the app's component, its monitor (its
name and URL are updated in place) and its generated passwords.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.diff.apps import app_of
from planner.diff.model import AppDiff, Risk
from planner.diff.routing import Admission
from planner.diff.steps import type_chains
from planner.markdown import code
from planner.resource_types import MONITOR

PROJECT = "gangplank"
KEPT_TYPES = ("gangplank:apps:ExposedApp", MONITOR, "random:index/randomPassword:RandomPassword")
"""Types whose cloud identity does not hold the app's name: renamed in the state, they are kept."""


@dataclass(frozen=True)
class Rename:
    """A removed app and the added app that most likely replaces it."""

    old: str
    new: str
    shared: tuple[str, ...]
    """What they share: `backend`, `host` and/or `namespace`."""


def _backend(app: Mapping[str, Any]) -> str:
    """The backend without its replica count: the same Service or image however it scales."""
    return re.sub(r", \d+ replicas?", "", str(app.get("backend") or ""))


def _hosts(app: Mapping[str, Any]) -> set[str]:
    return {str(h) for h in app.get("hosts") or []} | ({str(app["host"])} if app.get("host") else set())


def likely_renames(apps: Sequence[AppDiff]) -> list[Rename]:
    """Removed and added apps paired by what they share (most shared first, each app once)."""
    removed = [a for a in apps if a.kind == "removed"]
    added = [a for a in apps if a.kind == "added"]
    candidates = []
    for old in removed:
        for new in added:
            before, after = old.base or {}, new.head or {}
            shared = []
            if _backend(before) and _backend(before) == _backend(after):
                shared.append("backend")
            if _hosts(before) & _hosts(after):
                shared.append("host")
            if before.get("namespace") and before.get("namespace") == after.get("namespace"):
                shared.append("namespace")
            if shared:
                candidates.append((-len(shared), old.name, new.name, tuple(shared)))
    found, taken = [], set()
    for _, old_name, new_name, shared in sorted(candidates):
        if old_name not in taken and new_name not in taken:
            taken |= {old_name, new_name}
            found.append(Rename(old_name, new_name, shared))
    return found


def _overlaps(head: Mapping[str, Any], app: str, found: Mapping[str, Admission]) -> list[Admission]:
    """What the controllers do with the new app's routes, created while the old app's still claim their host."""
    parents = {f"{r.get('type')}::{r.get('name')}": r.get("parent") for r in head.get("resources") or []}
    return [said for name, said in sorted(found.items()) if app_of(name, parents) == app]


OVERLAP_WORDS = {
    "refused": "; ingress-nginx's admission webhook refuses the new one, and `pulumi up` stops.",
    "unserved": "; the F5 controller keeps the host with the older Ingress and never sets the new one's status, "
                "so `pulumi up` fails when Pulumi stops waiting for it (10 minutes) and never deletes the old one.",
    "waits": "; the older one serves until it is deleted, then the new one.",
}


def state_renames(rename: Rename, base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """`pulumi state rename` commands for the old app's resources that the new app declares under new names."""
    stack = str(head.get("stack") or base.get("stack"))
    chains = type_chains(base.get("resources") or [])
    parents = {f"{r.get('type')}::{r.get('name')}": r.get("parent") for r in base.get("resources") or []}
    wanted = {(str(r.get("type")), str(r.get("name"))) for r in head.get("resources") or []}
    commands = []
    for resource in base.get("resources") or []:
        type_, name = str(resource.get("type")), str(resource.get("name"))
        if type_ not in KEPT_TYPES or app_of(f"{type_}::{name}", parents) != rename.old:
            continue
        new_name = rename.new + name[len(rename.old):] if name.startswith(rename.old) else None
        if new_name is None or (type_, new_name) not in wanted:
            continue
        urn = f"urn:pulumi:{stack}::{PROJECT}::{chains[f'{type_}::{name}']}::{name}"
        commands.append(f"pulumi state rename --stack {stack} '{urn}' {new_name}")
    # The component first: its children then name their new parent.
    return sorted(commands, key=lambda c: (":ExposedApp::" not in c, c))


def rename_risks(apps: Sequence[AppDiff], base: Mapping[str, Any], head: Mapping[str, Any],
                 context: Mapping[str, Any]) -> tuple[list[Risk], dict[str, list[str]]]:
    """A risk per likely rename with its consequences, and the state commands that keep what can be kept.

    `context`: `planner.diff.risks.context_of`, whose `admissions` say what the controllers do with the new
    app's routes while the old app's still exist (the engine deletes those last)."""
    by_name = {app.name: app for app in apps}
    risks, commands = [], {}
    for rename in likely_renames(apps):
        old, new = by_name[rename.old].base or {}, by_name[rename.new].head or {}
        said = [f"App {code(rename.old)} is removed and {code(rename.new)} added, sharing its "
                f"{' and '.join(rename.shared)}: most likely a rename, which Pulumi carries out as a delete and "
                "a create."]
        if old.get("monitored") and new.get("monitored"):
            said.append("Its uptime monitor is deleted and a new one created: the monitor's history is lost.")
        elif old.get("monitored"):
            said.append("Its uptime monitor is deleted.")
        if old.get("url") != new.get("url"):
            said.append(f"Its URL changes: {code(old.get('url'))} → {code(new.get('url'))}"
                        + (" (its DNS records are deleted and new ones created)."
                           if _hosts(old) != _hosts(new) else "."))
        if old.get("namespace") != new.get("namespace"):
            what = "Deployment and Service move" if str(new.get("backend", "")).startswith("image ") else \
                "Ingress moves"
            said.append(f"Its {what} to namespace {code(new.get('namespace'))}, which must exist (gangplank "
                        "does not create app namespaces).")
        for overlap in _overlaps(head, rename.new, context.get("admissions") or {}):
            kind = "HTTPRoute" if overlap.route.label.endswith(":HTTPRoute") else "Ingress"
            said.append(f"The new {kind} {code(overlap.route.key)} is created before the old "
                        f"{code(overlap.holder.key)} is deleted: both claim "
                        f"{', '.join(code(c) for c in overlap.shared[:3])} meanwhile{OVERLAP_WORDS[overlap.outcome]}")
        keep = state_renames(rename, base, head)
        if keep:
            said.append(f"To keep the monitor and passwords, rename them in the state before `pulumi up` "
                        f"({len(keep)} `pulumi state rename` commands below).")
            commands[rename.new] = keep
        risks.append(Risk("rename", rename.new, " ".join(said), "rename"))
    return risks, commands
