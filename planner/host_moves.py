"""A host whose records change stacks: when the team that owns a shared host changes (`ownsHosts`, docs/teams.md).

A host shared by apps of several teams is declared once, by the app stack of the team that owns it (its DNS
records, ownership markers and F5 master Ingress: the `Host` component). When ownership passes to a team of
another stack, one stack's plan deletes the host and the other's creates it. Deployed as planned, the two
`pulumi up`s race: the old owner first, the name stops resolving until the new owner runs; the new owner first,
its Route53 create fails while the old records exist (terraform-provider-aws `record.go`
`resourceRecordCreate` sends CREATE unless `allow_overwrite` is set, and gangplank sets none). The safe way is
`pulumi state move` of the host from one stack to the other before either deploys: nothing is deleted or
created, and the new owner's next `up` only updates what differs (the master's namespace, the marker's text).

An app stack's plan shows where the hosts of its apps that it does not declare live (its stack output
`hostOwners`, `components.roles.HOST_OWNERS_OUTPUT`), so one plan diff tells a host that moves to another stack
from one that goes away. Pure functions of plans (the JSON contract); the diff calls `host_move_risks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.diff.model import Risk
from planner.markdown import code

HOST_TYPE = "gangplank:apps:Host"
HOST_OWNERS_OUTPUT = "hostOwners"  # components.roles.HOST_OWNERS_OUTPUT (the planner does not import the program)


def declared_hosts(plan: Mapping[str, Any]) -> set[str]:
    """The hosts whose `Host` component the plan declares."""
    return {str(r.get("name")) for r in plan.get("resources") or [] if r.get("type") == HOST_TYPE}


def host_owners(plan: Mapping[str, Any]) -> dict[str, str]:
    """Host -> the app stack (`<organization>/<project>/<stack>`) that declares it, for the hosts of this stack's
    apps that another stack declares (absent in plans of `all` stacks and of older planners)."""
    owners = (plan.get("outputs") or {}).get(HOST_OWNERS_OUTPUT)
    return {str(host): str(stack) for host, stack in owners.items()} if isinstance(owners, Mapping) else {}


def state_move_command(host: str, source: str, dest: str) -> tuple[str, str, str]:
    """`pulumi state move` of a host's component (its children follow it) from one stack to another, in three
    words short enough for a line each: `--source ...`, `--dest ...`, the URN."""
    organization_project, _, source_stack = source.rpartition("/")
    project = organization_project.rpartition("/")[2]
    return (f"pulumi state move --source {source}", f"--dest {dest}",
            f"urn:pulumi:{source_stack}::{project}::{HOST_TYPE}::{host}")


def _command(host: str, source: str, dest: str) -> str:
    return " ".join(code(part, limit=None) for part in state_move_command(host, source, dest))


def _qualified(plan: Mapping[str, Any], other: str) -> str:
    """This plan's stack, named as `other` (a fully qualified stack name) names its own."""
    return f"{other.rpartition('/')[0]}/{plan.get('stack')}"


def host_move_risks(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Risk]:
    """A risk per host whose records move between this stack and another: deleted here while the head names the
    stack that now declares it, or created here while the base named the stack that declared it."""
    risks = []
    before, after = declared_hosts(base), declared_hosts(head)
    gone_to, came_from = host_owners(head), host_owners(base)
    for host in sorted(before - after):
        if host in gone_to:
            dest = gone_to[host]
            source = _qualified(head, dest)
            risks.append(Risk("move", host, (
                f"Host {code(host)} moves to stack {code(dest)} (its owning team changed: `ownsHosts`): this "
                f"stack deletes its DNS records and master Ingress, and that one creates them. Deployed as planned, "
                "the name stops resolving in between, or the other stack's Route53 create fails while these "
                f"records exist. Move its state first, before either stack deploys: "
                f"{_command(host, source, dest)}."), "replace"))
    for host in sorted(after - before):
        if host in came_from:
            source = came_from[host]
            dest = _qualified(head, source)
            risks.append(Risk("move", host, (
                f"Host {code(host)} moves here from stack {code(source)} (its owning team changed: `ownsHosts`): "
                "that stack deletes its DNS records and master Ingress, and this one creates them. Deployed as "
                "planned, the name stops resolving in between, or this stack's Route53 create fails while the old "
                f"records exist. Move its state first, before either stack deploys: "
                f"{_command(host, source, dest)}."), "replace"))
    return risks
