"""Where each edge is in a move to another flavor, and what its next step changes: for the plan table, the PR diff
and `--rollout`.

A move (`gangplank:edges.<edge>.move`, docs/moving-an-edge.md) is a sequence of `pulumi up`s, each read from
the stack output `platform.edges.<edge>` (`flavor`, and `move: {to, weight, ingressClass, loadBalancer,
dnsName}` while it moves):

1. `start`: `move: {to, weight: 0}`: the new controller and NLB run beside the current ones, every app has an
   Ingress on both, the hosts point at the edge's weighted records, the monitors watch both NLBs. The new
   NLB takes traffic only if the current one fails its health checks.
2. `shift`: `weight` 1-99: that share of new connections goes to the new NLB. Only the edge's weighted
   records change.
3. `all`: `weight: 100`: every new connection goes to the new NLB; the current one keeps those whose resolvers
   cached its addresses (an ELB alias answers with a 60 s TTL).
4. `finish`: `flavor: <to>` and no `move`: the hosts point at the new NLB directly, and the old controller, its
   NLB, Ingresses, weighted records and the second monitors are deleted, after every host points away from them.

Pure functions of plans (the JSON contract); the diff module calls `move_risks` and `move_lines`, the table
and `--rollout` call `edge_moves`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Stage = Literal["steady", "start", "shift", "all"]
ALIAS_TTL_S = 60
"""An alias to an ELB is answered with the load balancer's own TTL, 60 s (Route53 Developer Guide, "Choosing between
alias and non-alias records": the TTL of an alias record is the target's)."""


@dataclass(frozen=True)
class EdgeMove:
    """An edge as a plan shows it: the flavor it runs and, while it moves, where to and at what weight."""

    edge: str
    flavor: str
    to: str | None = None
    weight: int | None = None
    load_balancer: str | None = None
    """The NLB of the controller it moves to."""

    @property
    def stage(self) -> Stage:
        if self.to is None:
            return "steady"
        if not self.weight:
            return "start"
        return "all" if self.weight >= 100 else "shift"

    def now(self) -> str:
        """Where the edge is, in a few words."""
        if self.to is None:
            return f"runs {self.flavor}"
        if self.stage == "start":
            return (f"moving {self.flavor} → {self.to}, weight 0: {self.to} runs beside it and is watched, and "
                    "takes traffic only if the current NLB fails its health checks")
        return (f"moving {self.flavor} → {self.to}, weight {self.weight}: {self.weight}% of new connections go to "
                f"{self.to}'s NLB")

    def next_step(self) -> str:
        """What the next `pulumi up` of the move changes, and which config says so."""
        key = f"gangplank:edges.{self.edge}"
        if self.to is None:
            return ""
        if self.stage == "all":
            return (f"next: set {key}.flavor to {self.to} and remove its move: the hosts' records point at {self.to}'s "
                    f"NLB directly, then {self.flavor}'s controller, NLB, Ingresses, the edge's weighted records "
                    "and the second monitors are deleted")
        if self.stage == "start":
            return (f"next: raise {key}.move.weight (e.g. 10): only the edge's two weighted records change "
                    "(four with AAAA); to abandon, remove the move")
        return (f"next: raise {key}.move.weight towards 100 (or lower it to go back); only the edge's weighted "
                "records change")


def edge_moves(plan: Mapping[str, Any]) -> list[EdgeMove]:
    """Every edge of the plan with its flavor and move (edges of plans from before per-edge flavors: none)."""
    edges = ((plan.get("outputs") or {}).get("platform") or {}).get("edges") or {}
    found = []
    for name in sorted(edges, key=lambda edge: (edge not in ("public", "private"), edge != "public", edge)):
        edge = edges[name] or {}
        if "flavor" not in edge:
            continue
        move = edge.get("move") or {}
        found.append(EdgeMove(name, str(edge["flavor"]), move.get("to"), move.get("weight"),
                              move.get("loadBalancer")))
    return found


def moving(plan: Mapping[str, Any]) -> list[EdgeMove]:
    """The edges that are moving."""
    return [edge for edge in edge_moves(plan) if edge.to is not None]


def move_lines(plan: Mapping[str, Any]) -> list[str]:
    """One line per moving edge: where it is and what its next step changes (Markdown-free)."""
    return [f"Edge {edge.edge}: {edge.now()}; {edge.next_step()}." for edge in moving(plan)]


GATEWAY_API_FLAVORS = ("envoy-gateway",)
"""The flavors that serve an edge through Gateway API (components/flavors: `is_gateway`), kept here as names so that
the planner's plan readers need not import the program."""


def unsafe_move_changes(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(edge, why) for each change of an edge's move that would cut clients off whatever the order `pulumi up` takes,
    so the planner refuses it (the PR's `--diff`, `--rehearse --since`); the program alone cannot tell, as it sees
    only the config it is given, not the step before:

    - `move.to` changed while the controller it names takes traffic, before or after (a weight above 0): the
      controller the edge moved to is deleted in the same `pulumi up` while resolvers still send clients to its NLB
      (an alias answer lives `ALIAS_TTL_S`), and the new one's weighted record goes live at that weight;
    - a move that starts (or is re-aimed) above weight 0 onto a Gateway API flavor: its routes are created in that
      `pulumi up` and the hosts point at the weighted records once each route is Accepted, but Envoy Gateway publishes
      a route's configuration to the proxies beside its status, not before it (internal/gatewayapi/runner/runner.go:
      `XdsIR.Store`, then the status stores, v1.9.0), so for a moment the new NLB may answer 404 for that share.
    """
    before = {edge.edge: edge for edge in edge_moves(base)}
    found = []
    for now in edge_moves(head):
        was = before.get(now.edge)
        if was is None or now.to is None:
            continue
        key = f"gangplank:edges.{now.edge}.move"
        if was.to is not None and was.flavor == now.flavor and was.to != now.to and (was.weight or now.weight):
            found.append((now.edge, (
                f"edge '{now.edge}' would change where it moves from {was.to} (weight {was.weight}) to {now.to} "
                f"(weight {now.weight}) in one step: {was.to}'s controller and NLB would be deleted while clients may "
                f"still be sent to them, and {now.to}'s NLB would take traffic as soon as it exists. The safe "
                f"sequence, a `pulumi up` each: set {key}.weight to 0 (to: {was.to}); then set {key}.to to "
                f"{now.to} at weight 0; then raise the weight")))
        elif (was.to != now.to or was.flavor != now.flavor) and now.weight and now.to in GATEWAY_API_FLAVORS:
            found.append((now.edge, (
                f"edge '{now.edge}' would start moving to {now.to} at weight {now.weight}: its routes are created in "
                f"that `pulumi up`, and Envoy Gateway may report a route Accepted before its proxies serve it, so "
                f"{now.weight}% of new connections could get 404 for a moment. Start at weight 0 ({key}.weight: 0), "
                "then raise it in a `pulumi up` of its own")))
    return found


def move_change_problems(base: Mapping[str, Any], head: Mapping[str, Any], stack_file: str,
                         stack_yaml: Any = None) -> list[Any]:
    """`unsafe_move_changes` as input problems: each names the stack file, the line of the edge's `move` (when
    `stack_yaml`, the parsed file, is given) and the key."""
    from components.inputs.problems import Problem, config_subject
    from components.inputs.yamllines import line_of

    key = "gangplank:edges"
    return [Problem(stack_file, line_of(stack_yaml, ["config", key, edge, "move", "to"]) if stack_yaml else None,
                    f"{config_subject(key)} field '{edge}.move'", why)
            for edge, why in unsafe_move_changes(base, head)]


def move_risks(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(edge, message) for each edge whose move a change starts, steps, finishes or abandons, or whose flavor it
    changes without a move; messages are one line of Markdown (names in code spans)."""
    before = {edge.edge: edge for edge in edge_moves(base)}
    risks = []
    for now in edge_moves(head):
        was = before.get(now.edge)
        if was is None or (was.flavor, was.to, was.weight) == (now.flavor, now.to, now.weight):
            continue
        name = f"`{now.edge}`"
        if was.to is None and now.to is not None:
            if now.flavor != was.flavor:
                message = (f"Edge {name} changes its flavor `{was.flavor}` → `{now.flavor}` and starts a move at "
                           "once: the current controller is replaced in the same step.")
            else:
                message = (f"Edge {name} starts moving `{now.flavor}` → `{now.to}` at weight {now.weight}: a second "
                           "controller and NLB, an Ingress per app on it, the edge's weighted records and a second "
                           "monitor per monitored app; each host's record is pointed at the weighted records (an "
                           "UPSERT: never an empty answer).")
                if now.weight:
                    message += (f" The new NLB takes {now.weight}% of new connections at once: start at 0 to watch "
                                "it first.")
        elif was.to is not None and now.to is not None and (was.flavor, was.to) == (now.flavor, now.to):
            message = (f"Edge {name} shifts traffic to `{now.to}`: weight {was.weight} → {now.weight} (only the "
                       "edge's weighted records change).")
        elif was.to is not None and now.to is None and now.flavor == was.to:
            message = (f"Edge {name} finishes its move to `{was.to}`: the hosts' records point at its NLB directly, "
                       f"then `{was.flavor}`'s controller, NLB and Ingresses are deleted.")
            if (was.weight or 0) < 100:
                message += (f" Its weight was {was.weight}, not 100: clients whose resolvers still hold "
                            f"`{was.flavor}`'s addresses (up to {ALIAS_TTL_S} s) reach a deleted NLB. Set the "
                            "weight to 100 first.")
        elif was.to is not None and now.to is None and now.flavor == was.flavor:
            message = (f"Edge {name} abandons its move to `{was.to}`: the hosts' records point back at "
                       f"`{was.flavor}`'s NLB, then `{was.to}`'s controller, NLB and Ingresses are deleted.")
            if was.weight:
                message += (f" It took {was.weight}% of new connections: clients whose resolvers still hold its "
                            f"addresses (up to {ALIAS_TTL_S} s) reach a deleted NLB. Set the weight to 0 first.")
        elif now.to is None and was.to is None:
            message = (f"Edge {name} switches `{was.flavor}` → `{now.flavor}` in one step: its controller, NLB and "
                       "every Ingress are replaced at once and the hosts point at the new NLB before its controller "
                       f"serves them, an outage; move it instead (`gangplank:edges.{now.edge}.move`).")
        elif was.to is not None and now.to is not None and was.flavor == now.flavor:
            message = (f"Edge {name} changes where it moves, `{was.to}` (weight {was.weight}) → `{now.to}` (weight "
                       f"{now.weight}): `{was.to}`'s controller, NLB and Ingresses are deleted and `{now.to}`'s are "
                       "created in the same step.")
            if was.weight or now.weight:
                message += (f" Clients whose resolvers hold `{was.to}`'s addresses (up to {ALIAS_TTL_S} s) reach a "
                            f"deleted NLB: refused. Set the weight to 0 first, then change `to` at weight 0, then "
                            "raise it, a `pulumi up` each.")
            else:
                message += " At weight 0 on both sides neither takes traffic while the current NLB is healthy."
        else:
            message = (f"Edge {name}: move `{was.flavor}` → `{was.to}` (weight {was.weight}) becomes "
                       f"`{now.flavor}` → `{now.to}` (weight {now.weight}): the controller it runs changes during the "
                       "move, which replaces it at once (as a flavor switched without a move).")
        if now.to in GATEWAY_API_FLAVORS and now.weight and (was.to != now.to or was.flavor != now.flavor) \
                and "refused" not in message:
            message += (f" A move onto `{now.to}` starts at weight 0: Envoy Gateway may report a route Accepted "
                        "before its proxies serve it; refused.")
        serving = (now.flavor, now.to) if now.to is not None else (was.flavor, now.flavor)
        first_traffic = (was.to == now.to and was.flavor == now.flavor and not was.weight and bool(now.weight))
        # Said when a move starts, when its new controller first takes traffic, when it ends, and on a switch.
        if serving[0] != serving[1] and (was.to is None or now.to is None or first_traffic):
            message += _matching_sentence(prefix_differences(head, now.edge, *serving), *serving,
                                          both_serve=now.to is not None)
        risks.append((now.edge, message))
    return risks


@dataclass(frozen=True)
class PrefixDifference:
    """A prefix path of an app on a moving edge that the edge's two controllers match differently."""

    app: str
    route: str
    """`host/path` as the app declares it."""
    request: str
    """A request path that one controller sends to the app and the other does not."""
    answered_by: str
    """The flavor that sends `request` to the app."""


MATCHING_WORDS = {"nginx-inc": "compares a prefix as plain text",
                  "ingress-nginx": "compares whole path elements, a trailing `/` kept"}
"""How a flavor matches a prefix path (planner/diff/routing.py, `covers`); any other flavor is a Gateway API one."""
GATEWAY_API_MATCHING = "compares whole path elements, a trailing `/` ignored"


def prefix_differences(plan: Mapping[str, Any], edge: str, flavor: str, other: str) -> list[PrefixDifference]:
    """The prefix paths of the plan's apps on `edge` that `flavor` and `other` match differently: while both serve
    (a move at a weight between 0 and 100), the same URL reaches the app through one NLB and not through the other;
    after a switch, such URLs change app. F5 compares a prefix as plain text (`/api` takes `/apix`); ingress-nginx and
    Gateway API compare whole path elements (planner/diff/routing.py, `covers`, and the sources it cites)."""
    from planner.diff.routing import GATEWAY_API, Claim, covers  # planner.diff imports this module

    def matching(name: str) -> str:
        return GATEWAY_API if name in GATEWAY_API_FLAVORS else name

    found = []
    for app in plan.get("apps") or []:
        if edge not in (app.get("edges") or []):
            continue
        for host in app.get("hosts") or []:
            for path in app.get("paths") or []:
                stem = path.rstrip("/")
                if not stem:
                    continue
                claim = Claim(host, path)
                for request in dict.fromkeys((stem + "x", stem, stem + "/")):
                    takes = covers(matching(flavor), claim, request), covers(matching(other), claim, request)
                    if takes[0] != takes[1]:
                        found.append(PrefixDifference(app["name"], host + path, request,
                                                      flavor if takes[0] else other))
                        break
    return found


def _matching_sentence(found: list[PrefixDifference], flavor: str, other: str, both_serve: bool,
                       shown: int = 3) -> str:
    if not found:
        return ""
    examples = "; ".join(
        f"`{item.route}` (`{item.app}`) takes `{item.request}` on `{item.answered_by}` only" for item in found[:shown])
    more = f"; and {len(found) - shown} more" if len(found) > shown else ""
    words = {name: MATCHING_WORDS.get(name, GATEWAY_API_MATCHING) for name in (flavor, other)}
    effect = ("while both serve, such a request reaches the app through one NLB and not through the other" if both_serve
              else "such a request now goes elsewhere (another app's path, or 404), or newly to the app")
    return (f" Paths the two controllers match differently ({len(found)}): `{flavor}` {words[flavor]}, `{other}` "
            f"{words[other]}; {effect}: {examples}{more}.")


def move_rollout(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`--rollout`'s `edgeMoves`: each moving edge, its stage and the next step."""
    return [{"edge": edge.edge, "flavor": edge.flavor, "to": edge.to, "weight": edge.weight, "stage": edge.stage,
             "now": edge.now(), "next": edge.next_step()} for edge in moving(plan)]
