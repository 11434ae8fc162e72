"""Which controllers serve an edge, and what they are called: one, or two while the edge moves to another flavor.

An edge runs one controller of its flavor (`edge_flavor`: `gangplank:edges.<edge>.flavor`, else
`gangplank:flavor`). While `gangplank:edges.<edge>.move` is set, the flavor it moves to runs a second
controller beside it, and Route53 shares the edge's traffic between the two NLBs by weight
(`components.platform.edge_traffic`). Pure functions of the settings: the platform, the apps and the
planner read the same answers.

Names. A controller's names derive from its edge (`ingress-<edge>`, class `nginx-<edge>`, component
`platform-<edge>`, an app's Ingress `<app>`), as they always have, when its flavor is the stack's
`gangplank:flavor`; a controller of another flavor appends the flavor (`ingress-<edge>-nginx-inc`, class
`nginx-<edge>-nginx-inc`, `<app>-nginx-inc`). So the two controllers of a moving edge never share a name,
and the controller an edge moved to keeps its names when the move ends (its flavor is then the edge's
own `flavor`, still not the stack's): nothing is renamed, nothing replaced. Stacks without per-edge
flavors keep every name they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.inputs.settings import MOVE_WEIGHT_MAX, Settings, edge_flavor, edge_move

Role = Literal["only", "from", "to"]


@dataclass(frozen=True)
class ControllerPlan:
    """One controller of an edge: its flavor, what its names carry, and its part in a move."""

    edge: str
    """The edge it serves."""
    flavor: str
    """Its controller product (`components.flavors.get_flavor`)."""
    suffix: str
    """Appended to every name derived from the edge (`controller_suffix`): empty for the stack's flavor."""
    role: Role
    """`only`: the edge is not moving; `from`: the controller the edge is moving off; `to`: the one it moves to."""
    weight: int | None = None
    """During a move, this controller's weight in the edge's weighted records (the two add up to 100);
    None when the edge is not moving."""

    @property
    def instance(self) -> str:
        """`<edge><suffix>`: what tells this controller's objects from those of the edge's other controller."""
        return f"{self.edge}{self.suffix}"


def controller_suffix(flavor: str, default_flavor: str) -> str:
    """`""` for a controller of the stack's flavor (`gangplank:flavor`: the names it always had), `-<flavor>` else."""
    return "" if flavor == default_flavor else f"-{flavor}"


def move_weights(weight: int) -> tuple[int, int]:
    """(the current controller's weight, the new one's) for `move.weight` percent of the traffic to the new one."""
    return MOVE_WEIGHT_MAX - weight, weight


def edge_controllers(settings: Settings, edge: str) -> tuple[ControllerPlan, ...]:
    """The edge's controllers, the one that serves it today first."""
    flavor = edge_flavor(settings, edge)
    current = ControllerPlan(edge, flavor, controller_suffix(flavor, settings.flavor), "only")
    move = edge_move(settings, edge)
    if move is None:
        return (current,)
    weight_from, weight_to = move_weights(move.weight)
    return (ControllerPlan(edge, flavor, current.suffix, "from", weight_from),
            ControllerPlan(edge, move.to, controller_suffix(move.to, settings.flavor), "to", weight_to))


def stack_controllers(settings: Settings) -> dict[str, tuple[ControllerPlan, ...]]:
    """Every edge's controllers, edges in `Settings.all_edges` order."""
    return {edge: edge_controllers(settings, edge) for edge in settings.all_edges()}
