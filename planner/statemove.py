"""Moving a live `all` stack to a platform stack and app stacks, with nothing recreated: `pulumi state move`.

An environment deployed as one `all` stack splits without touching the cloud: the `all` stack becomes the
platform stack (`gangplank:role: platform`, same name, so the zones, certificates and controllers stay where
they are), and the resources of each team's apps move into that team's app stack. `plan_state_moves`
compares the `all` plan with the split plans resource by resource and refuses unless every resource of the
`all` plan lands in exactly one split stack under the same URN with the same inputs; `render_state_moves`
prints the commands, in order.

`pulumi state move` (pulumi/pulumi pkg/cmd/pulumi/state/state_move.go; since CLI v3.124.0, reparenting
fixed in v3.224.0 and providers that depend on resources left behind in v3.226.0, so use 3.226.0 or later):

- `--source`, `--dest`: the stacks; URNs of the source as arguments; `--yes` skips the prompt.
- every child of a moved resource moves with it (`ChildrenOf` is transitive: resource/graph/dependency_graph.go),
  so moving a top-level component moves its whole tree. `--include-parents` is not needed: the moved
  components' parent is the root stack, which the command never moves (it re-parents to the destination's).
- a moved resource keeps its name and parent; its URN is rewritten to the destination stack with the same
  parent type chain (`rewriteURNs`). So the app stack's program, which declares the same components at the
  top level, finds each resource under its URN: no create, no delete.
- providers are copied, not moved (`pulumi:providers:*` cannot be named). The default providers of the app
  stack have the same config (`aws:*`, `kubernetes:*`); the dynamic provider of the monitors gets the app
  stack's config, which the engine treats as an update of the provider, never a replacement (it implements no
  DiffConfig: sdk/go/common/resource/plugin/provider_plugin.go, DiffConfig, "should not be replaced").
- dependencies on resources left in the source (an Ingress on a controller release, a record on a zone)
  are dropped and listed; the app stack's program no longer declares them (the platform is another stack).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

UNMOVED = ("pulumi:pulumi:Stack", "pulumi:providers:")
"""The root stack and providers: never moved (the command refuses providers; it copies them)."""
MIN_CLI_VERSION = "3.226.0"


@dataclass(frozen=True)
class StateMoves:
    """How the resources of an `all` plan map onto the split plans."""

    moves: dict[str, list[str]]
    """App stack -> the URNs (type chain and name) of the top-level resources to move into it, in plan order."""
    stay: int
    """Resources that stay in the platform stack (the `all` stack itself)."""
    moved: dict[str, int]
    """App stack -> how many resources move into it (the named ones and their children)."""
    problems: list[str] = field(default_factory=list)
    """Why the split would recreate or duplicate something: each resource of the `all` plan that lands in no split
    stack, in two, with other inputs, or apart from its parent."""


def resource_urns(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan's managed resources by URN without stack and project: `<type chain>::<name>` (reads left out)."""
    resources = [r for r in plan.get("resources") or [] if not (r.get("options") or {}).get("read")]
    by_label = {f"{r['type']}::{r['name']}": r for r in resources}
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:
        chain, parent = [resource["type"]], resource.get("parent")
        while parent in by_label:
            chain.insert(0, by_label[parent]["type"])
            parent = by_label[parent].get("parent")
        found["$".join(chain) + "::" + resource["name"]] = resource
    return found


def _parent_urn(urn: str, urns: Mapping[str, Mapping[str, Any]]) -> str | None:
    chain, _, _ = urn.partition("::")
    parent = urns[urn].get("parent")
    if parent is None:
        return None
    parent_chain = chain.rsplit("$", 1)[0]
    return f"{parent_chain}::{parent.split('::', 1)[1]}"


def plan_state_moves(all_plan: Mapping[str, Any], platform_plan: Mapping[str, Any],
                     app_plans: Mapping[str, Mapping[str, Any]]) -> StateMoves:
    """Where each resource of the `all` plan goes: it stays in the platform stack, or moves to an app stack."""
    everything = resource_urns(all_plan)
    stacks = {platform_plan.get("stack", "platform"): resource_urns(platform_plan),
              **{name: resource_urns(plan) for name, plan in app_plans.items()}}
    platform = str(platform_plan.get("stack", "platform"))
    problems: list[str] = []
    destination: dict[str, str] = {}
    for urn, resource in everything.items():
        if urn.startswith(UNMOVED):
            continue
        homes = [stack for stack, urns in stacks.items() if urn in urns]
        if not homes:
            problems.append(f"{urn}: declared by no split stack: `pulumi up` of the platform stack would delete it")
            continue
        if len(homes) > 1:
            problems.append(f"{urn}: declared by {' and '.join(homes)}: two stacks would manage one object")
            continue
        other = stacks[homes[0]][urn]
        if other.get("inputs") != resource.get("inputs"):
            problems.append(f"{urn}: {homes[0]} declares it with other inputs: it would change once moved")
        destination[urn] = homes[0]
    for stack, urns in stacks.items():
        for urn in urns:
            if urn not in everything and not urn.startswith(UNMOVED):
                problems.append(f"{urn}: new in {stack}, not in the `all` plan: it would be created")
    moves: dict[str, list[str]] = {name: [] for name in app_plans}
    moved: dict[str, int] = {name: 0 for name in app_plans}
    stay = 0
    for urn, home in destination.items():
        parent = _parent_urn(urn, everything)
        if home == platform:
            stay += 1
        else:
            moved[home] += 1
        if parent is not None and destination.get(parent) != home:
            problems.append(f"{urn}: goes to {home}, its parent {parent} to {destination.get(parent)}: "
                            "a move takes a resource's children along")
        elif parent is None and home != platform:
            moves[home].append(urn)
    return StateMoves(moves={k: v for k, v in moves.items() if v}, stay=stay, moved=moved, problems=problems)


def qualified(stack: str, organization: str, project: str) -> str:
    return f"{organization}/{project}/{stack}"


def full_urn(urn: str, stack: str, project: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type chain>::<name>`, as the engine names it."""
    return f"urn:pulumi:{stack}::{project}::{urn}"


def render_state_moves(moves: StateMoves, platform: str, organization: str, project: str,
                       catalogue: str) -> str:
    """The ordered commands that move an `all` stack's apps into its app stacks, with what to do around them."""
    source = qualified(platform, organization, project)
    lines = [
        f"# Split the `all` stack {source} into the platform stack {platform} and its app stacks,",
        f"# with nothing recreated (Pulumi CLI {MIN_CLI_VERSION} or later: `pulumi state move`).",
        f"# {moves.stay} resources stay in {platform}; "
        + ", ".join(f"{count} move to {name}" for name, count in sorted(moves.moved.items())) + ".",
        "#",
        "# 1. Before: pause the deploy workflow, and deploy the stack as it is today (gangplank:role all, with",
        f"#    gangplank:appsFile {catalogue}) so that its state is what these moves were planned from.",
        "# 2. Create the app stacks (and set their secrets, e.g. gangplank:uptimerobotApiKey):",
    ]
    for name in sorted(moves.moved):
        lines.append(f"pulumi stack init {shlex.quote(qualified(name, organization, project))}")
    lines.append("# 3. Move each team's resources; each component takes its children along.")
    for name in sorted(moves.moves):
        urns = [shlex.quote(full_urn(urn, platform, project)) for urn in moves.moves[name]]
        lines.append(f"pulumi state move --source {shlex.quote(source)} "
                     f"--dest {shlex.quote(qualified(name, organization, project))} --yes \\")
        lines += [f"  {urn} \\" for urn in urns[:-1]] + [f"  {urns[-1]}"]
    lines += [
        f"# 4. Only now merge the change that makes {platform} a platform stack and adds its app stacks (their",
        "#    first `pulumi up` must find their resources moved), then `pulumi preview` every stack: none creates,",
        "#    replaces or deletes anything (an app stack updates its monitors' provider config once: the dynamic",
        "#    provider has the app stack's config now). Then resume the deploy workflow.",
    ]
    return "\n".join(lines) + "\n"


def problems_text(problems: Sequence[str]) -> str:
    return "\n".join(problems)
