"""Per-edge settings (config `gangplank:edges.<edge>`): a new edge beside `public` and `private`, and any edge's
controller: its flavor and a move to another one in steps. `components.inputs.settings.Settings` holds them; the
rules that need more than one edge's settings are `edge_settings_problems`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components.inputs.fieldtypes import AllowList, Label

FlavorName = Literal["nginx-inc", "ingress-nginx", "envoy-gateway"]
"""The controller products gangplank can install (`components.flavors.FLAVORS`)."""
FLAVOR_NAMES: tuple[str, ...] = get_args(FlavorName)
Visibility = Literal["public", "private"]
BUILT_IN_EDGES: tuple[Visibility, ...] = ("public", "private")
"""The edges every stack has: `public` (open to everyone) and `private` (open to `privateAllowedCidrs`)."""
EDGE_NAME_MAX = 20
"""Edge names end up in object names (`ingress-<edge>-nginx-ingress-controller`) capped at 63 characters."""


def _edge_name(name: str) -> str:
    if len(name) > EDGE_NAME_MAX:
        raise ValueError(f"'{name}' is longer than {EDGE_NAME_MAX} characters (it names the controller's objects)")
    taken = next((flavor for flavor in FLAVOR_NAMES if name.endswith(f"-{flavor}")), None)
    if taken is not None and name not in BUILT_IN_EDGES:
        # A controller whose flavor is not gangplank:flavor appends it to its edge's names
        # (`components.platform.controllers.controller_suffix`): `public` + `-nginx-inc` must never be an edge's own.
        raise ValueError(f"'{name}' ends in '-{taken}', which names the {taken} controller of edge "
                         f"'{name.removesuffix('-' + taken)}'; choose another name")
    return name


EdgeName = Annotated[Label, AfterValidator(_edge_name)]
MOVE_WEIGHT_MAX = 100
"""`move.weight` is a percentage: the new controller's share of new connections."""


class EdgeMove(BaseModel):
    """Moving an edge to another controller product (config `gangplank:edges.<edge>.move`), in steps.

    While it is set, the new flavor's controller (its own release, namespace, IngressClass, leader lock,
    security group and NLB) runs beside the edge's current one, every app on the edge gets an Ingress on
    both, Route53 splits the edge's traffic between the two NLBs by weight, and each monitored app gets a
    second monitor through the new NLB. The move ends by setting the edge's `flavor` to `to` and removing
    `move` (docs/moving-an-edge.md: the steps, with the commands).
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
                              use_attribute_docstrings=True, strict=True)

    to: FlavorName
    """The flavor the edge moves to; another than the one it runs (`flavor`, else `gangplank:flavor`)."""
    weight: Annotated[int, Field(ge=0, le=MOVE_WEIGHT_MAX)] = 0
    """Share of the edge's new connections, in percent (0 to 100), that Route53 sends to the new controller's
    NLB; the current controller gets the rest. Start at 0 (the new controller is up and watched, and takes
    traffic only if the current one fails its health checks), raise it step by step, end at 100."""


class EdgeSettings(BaseModel):
    """Settings of one edge (config `gangplank:edges.<name>`): a new edge beside `public` and `private` (e.g. for a
    sub-organisation), or the controller of an edge, built-in ones included (`flavor`, `move`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
                              use_attribute_docstrings=True, strict=True)

    visibility: Visibility | None = None
    """`public`: internet-facing NLB, hosts in the public zone; `private`: internal NLB, hosts in the private zone.
    Required for a new edge; not for `public` and `private`, whose names say it."""
    allowed_cidrs: AllowList | None = None
    """Client CIDR blocks the edge's load balancer admits. Required for a private edge; a public edge
    without any is open to everyone. Not for `public` (open to everyone) and `private`
    (`gangplank:privateAllowedCidrs`)."""
    flavor: FlavorName | None = None
    """The edge's controller product; default `gangplank:flavor`. Changing it in one step replaces the edge's
    controller, NLB and Ingresses at once: to change it without an outage, use `move`."""
    move: EdgeMove | None = None
    """A move of the edge to another flavor, in steps (`{to, weight}`); unset when the edge is not moving."""


class EdgeSettingProblems(ValueError):
    """Problems of `gangplank:edges`, each with where it is (the path under the key), so the stack file's line can
    be named."""

    def __init__(self, problems: list[tuple[list[str | int], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(str(step) for step in path)}: {message}" for path, message in problems))
        self.problems = problems


def edge_settings_problems(edges: Mapping[str, EdgeSettings], default_flavor: str) -> list[tuple[list[str | int],
                                                                                                  str]]:
    """What is wrong across an edge's settings: (path under `gangplank:edges`, why)."""
    found: list[tuple[list[str | int], str]] = []
    for name, edge in sorted(edges.items()):
        if name in BUILT_IN_EDGES:
            if edge.visibility is not None:
                found.append(([name, "visibility"], f"'{name}' is a built-in edge: it is {name} by its name; give "
                                                     "it only flavor and move"))
            if edge.allowed_cidrs is not None:
                where = ("gangplank:privateAllowedCidrs" if name == "private" else
                         "nothing: it is open to everyone (add an edge of your own for an allow-listed public edge)")
                found.append(([name, "allowedCidrs"], f"'{name}' is a built-in edge: who it admits comes from {where}"))
        elif edge.visibility is None:
            found.append(([name], f"no edge '{name}' in this stack: a new edge needs visibility (public or private); "
                                  "to set the flavor of an edge or move it, name one of public, private"
                                  + "".join(f", {other}" for other, e in sorted(edges.items())
                                            if other not in BUILT_IN_EDGES and e.visibility is not None)))
        elif edge.visibility == "private" and not edge.allowed_cidrs:
            found.append(([name], "a private edge needs allowedCidrs: the networks that may reach it"))
        current = edge.flavor or default_flavor
        if edge.move is not None and edge.move.to == current:
            runs = f"flavor: {current}" if edge.flavor else f"gangplank:flavor {current}"
            others = ", ".join(flavor for flavor in FLAVOR_NAMES if flavor != current)
            found.append(([name, "move", "to"], f"edge '{name}' already runs {current} ({runs}); a move goes to "
                                                f"another flavor: {others}"))
    return found


