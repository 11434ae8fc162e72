"""The Mermaid chart of the affected apps' routes: app -> ingress class -> NLB -> hosted zone.

Routes an app leaves are dotted. Node ids are letters, digits and `_` only (made unique when two
names sanitise alike); labels are quoted and stripped of what would end a quoted label. Capped at
MAX_GRAPH_APPS apps, with a note node saying how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from planner.diff.model import KIND_ORDER, AppDiff, Route

MAX_GRAPH_APPS = 30
LINE_WIDTH = 100


def routes_of(apps: tuple[AppDiff, ...]) -> tuple[Route, ...]:
    """The route of each affected app, and the route it leaves (removed apps, moved apps)."""
    routes: set[Route] = set()
    for app in apps:
        now = _route(app, app.current, current=app.kind != "removed")
        routes.add(now)
        if app.kind == "changed" and app.base is not None:
            before = _route(app, app.base, current=False)
            if (before.ingress_class, before.controller, before.zone) != (now.ingress_class, now.controller, now.zone):
                routes.add(before)
    return tuple(sorted(routes, key=lambda r: (r.app, not r.current, r.ingress_class, r.controller, r.zone)))


def _route(app: AppDiff, entry: Mapping[str, Any], current: bool) -> Route:
    visibility = str(entry.get("visibility") or "unknown")
    edges = entry.get("edges")
    # Each edge has its own NLB; plans from before edges existed name the visibility, the same name.
    edge = str(edges[0]) if isinstance(edges, list) and edges else visibility
    return Route(
        app=app.name,
        kind=app.kind,
        ingress_class=str(entry.get("ingressClass") or f"{visibility} class"),
        controller=edge,
        zone=str(entry.get("zone") or f"{visibility} zone"),
        current=current,
    )


def mermaid_flowchart(routes: Iterable[Route]) -> list[str]:
    """`flowchart LR` lines (without the fence): app -> ingress class -> NLB -> zone.

    Node ids are letters, digits and `_` only (made unique when two names sanitise alike);
    labels are quoted and stripped of what would end a quoted label. Routes an app leaves
    are dotted. Capped at MAX_GRAPH_APPS apps, with a note node saying how many were left out.
    """
    routes = sorted(routes, key=lambda r: (r.app, not r.current, r.ingress_class, r.controller, r.zone))
    names = sorted({route.app for route in routes})
    shown = set(names[:MAX_GRAPH_APPS])
    ids = _NodeIds()
    nodes: dict[str, str] = {}
    classes: dict[str, str] = {}
    edges: dict[tuple[str, str], bool] = {}  # (from, to) -> solid

    def node(kind: str, key: str, label: str) -> str:
        node_id = ids.get(kind, key)
        nodes[node_id] = label
        return node_id

    for route in routes:
        if route.app not in shown:
            continue
        app = node("app", route.app, f"{route.app} ({route.kind})")
        classes[app] = route.kind
        ingress_class = node("ing", route.ingress_class, f"class {route.ingress_class}")
        nlb = node("nlb", route.controller, f"{route.controller} NLB")
        zone = node("zone", route.zone, route.zone)
        for edge in ((app, ingress_class), (ingress_class, nlb), (nlb, zone)):
            edges[edge] = edges.get(edge, False) or route.current
    if len(names) > len(shown):
        nodes[ids.get("note", "more")] = f"… and {len(names) - len(shown)} more apps"

    lines = ["flowchart LR"]
    lines += [f'  {node_id}["{_label(label)}"]' for node_id, label in nodes.items()]
    lines += [f"  {a} {'-->' if solid else '-.->'} {b}" for (a, b), solid in edges.items()]
    for kind in KIND_ORDER:
        members = sorted(node_id for node_id, k in classes.items() if k == kind)
        # Several `class` statements rather than one long line: the chart's lines keep to 100 columns too.
        chunk: list[str] = []
        for member in members:
            if chunk and len(f"  class {','.join([*chunk, member])} {kind}") > LINE_WIDTH:
                lines.append(f"  class {','.join(chunk)} {kind}")
                chunk = []
            chunk.append(member)
        if chunk:
            lines.append(f"  class {','.join(chunk)} {kind}")
    lines += [
        "  classDef added fill:#dafbe1,stroke:#1a7f37",
        "  classDef changed fill:#fff8c5,stroke:#9a6700",
        "  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 2",
    ]
    return lines


class _NodeIds:
    """Stable, Mermaid-safe node ids: `app_shop`, `zone_dev_example_com`, `zone_dev_example_com_2`.

    Sanitising alone could give two names one id (`a-b`, `a_b`); the counter keeps them apart,
    and since callers add nodes in sorted order the ids are deterministic.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        self._taken: set[str] = set()

    def get(self, kind: str, key: str) -> str:
        if (kind, key) not in self._ids:
            # The kind prefix keeps ids from starting with a digit or a Mermaid keyword (`end`,
            # `class`, `style`...), which would break the chart.
            base = kind + "_" + (re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_") or "x")
            node_id, n = base, 1
            while node_id in self._taken:
                n += 1
                node_id = f"{base}_{n}"
            self._ids[(kind, key)] = node_id
            self._taken.add(node_id)
        return self._ids[(kind, key)]


def _label(text: str) -> str:
    """Text for a quoted Mermaid label: a `"` would end it; entity codes render the same characters."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
