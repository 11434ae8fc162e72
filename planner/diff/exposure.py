"""Who can reach each app, before and after: the changes that open an app up, or cut clients off.

An app is reached through its edges: each edge's load balancer admits the CIDRs of its security group
(`platform.edges[edge].allowedCidrs`; a public edge without any admits everyone), and the app's own
allow-list (`allowCidrs`) narrows that further at the controller. Basic auth is a protection on top.
From the two plans the diff works out, per app, the clients admitted before and after:

- more clients (`exposure`): private → public, an edge that admits more, an allow-list removed or
  widened, basic auth removed; and a zone's wildcard record, which makes every name in the zone
  resolve to an edge's load balancer, served by an app or not;
- fewer clients (`reach`): public → private, an allow-list added or narrowed, and a monitored app
  whose health route (the Ingress that lets UptimeRobot's probes through its allow-list) is gone.

A base planned before plans had `allowCidrs` says only that an app has an allow-list
(`protections`): its CIDRs are then taken to be head's, or unknown.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from planner.diff.apps import app_of
from planner.diff.meanings import answered_by_wildcard
from planner.diff.model import AppDiff, ResourceDiff, Risk
from planner.markdown import code
from planner.resource_types import RECORD

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
EVERYONE = ("0.0.0.0/0", "::/0")
MAX_CIDRS = 4


def networks(cidrs: Iterable[str]) -> list[Network]:
    """The CIDRs as networks, merged (IPv4 and IPv6 each collapsed)."""
    parsed = [ipaddress.ip_network(str(cidr), strict=False) for cidr in cidrs]
    v4 = [n for n in parsed if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in parsed if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def minus(left: Sequence[Network], right: Sequence[Network]) -> list[Network]:
    """The addresses of `left` that `right` does not hold."""
    rest = list(left)
    for cut in right:
        kept: list[Network] = []
        for net in rest:
            if net.version != cut.version or not net.overlaps(cut):
                kept.append(net)
            elif not net.subnet_of(cut):  # type: ignore[arg-type]
                kept.extend(net.address_exclude(cut))  # type: ignore[arg-type]
        rest = kept
    return networks(str(n) for n in rest)


def meet(left: Sequence[Network], right: Sequence[Network]) -> list[Network]:
    """The addresses both hold."""
    return networks(str(a if a.subnet_of(b) else b) for a in left for b in right  # type: ignore[arg-type]
                    if a.version == b.version and a.overlaps(b))


def described(nets: Sequence[Network]) -> str:
    if {str(n) for n in nets} >= {"0.0.0.0/0"}:
        return "everyone"
    shown = ", ".join(code(str(n)) for n in nets[:MAX_CIDRS])
    return shown + (f" and {len(nets) - MAX_CIDRS} more" if len(nets) > MAX_CIDRS else "") if nets else "no one"


def edges_of(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The plan's edges (`outputs.platform.edges`), or the built-in two for plans without them."""
    edges = ((plan.get("outputs") or {}).get("platform") or {}).get("edges")
    if isinstance(edges, dict) and edges:
        return edges
    return {"public": {"visibility": "public", "allowedCidrs": []}, "private": {"visibility": "private"}}


def edge_admits(edge: Mapping[str, Any] | None) -> list[Network] | None:
    """Who the edge's load balancer admits; None when the plan does not say."""
    if edge is None:
        return None
    cidrs = edge.get("allowedCidrs")
    if cidrs is None:
        return None
    if not cidrs:
        return networks(EVERYONE) if edge.get("visibility") == "public" else []
    return networks(cidrs)


def app_cidrs(app: Mapping[str, Any], other: Mapping[str, Any] | None = None) -> list[str] | None:
    """The app's own allow-list: `allowCidrs`, else what `protections` and the other plan say (None: unknown)."""
    if "allowCidrs" in app:
        return list(app.get("allowCidrs") or [])
    if not any(str(p).startswith("allow-list") for p in app.get("protections") or []):
        return []
    if other is not None and other.get("allowCidrs"):
        return list(other["allowCidrs"])
    return None


def admitted(app: Mapping[str, Any], plan: Mapping[str, Any], other: Mapping[str, Any] | None = None
             ) -> dict[str, list[Network] | None]:
    """Edge -> who reaches the app through it (None: the plans do not say)."""
    edges = edges_of(plan)
    own = app_cidrs(app, other)
    names = app.get("edges") or [app.get("visibility")]
    found: dict[str, list[Network] | None] = {}
    for name in names:
        through = edge_admits(edges.get(str(name)))
        if through is None or own is None:
            found[str(name)] = through if not own else None
        else:
            found[str(name)] = meet(through, networks(own)) if own else through
    return found


def _union(reach: Mapping[str, list[Network] | None]) -> list[Network] | None:
    if any(nets is None for nets in reach.values()):
        return None
    return networks(str(n) for nets in reach.values() for n in nets or [])


def app_risks(app: AppDiff, base: Mapping[str, Any], head: Mapping[str, Any]) -> list[Risk]:
    """Exposure and reach risks of one changed app."""
    old, new = app.base or {}, app.head or {}
    risks: list[Risk] = []
    before, after = admitted(old, base, new), admitted(new, head, old)
    old_edges, new_edges = list(before), list(after)
    wide_before, wide_after = _union(before), _union(after)
    name = code(app.name)
    via = ", ".join(code(e) for e in new_edges)
    cause = []
    if old.get("visibility") != new.get("visibility") and "visibility" in old and "visibility" in new:
        cause.append(f"{old.get('visibility')} → {new.get('visibility')}")
    if old_edges != new_edges:
        cause.append(f"edge {', '.join(code(e) for e in old_edges)} → {via}: another load balancer and allow-list")
    old_own, new_own = app_cidrs(old, new), app_cidrs(new, old)
    if old_own is None and new_own == []:
        # A base planned before plans listed allow-lists: it had one, now it has none.
        now = described(wide_after) if wide_after is not None else "whoever its edges admit"
        risks.append(Risk("exposure", app.name, f"App {name} loses its allow-list: it now admits {now} through "
                          f"{via}.", "exposure"))
        wide_before = None
    elif old_own and not new_own:
        cause.append(f"its allow-list ({described(networks(old_own))}) is removed")
    elif old_own and new_own and old_own != new_own:
        cause.append("its allow-list changes")
    why = f" ({'; '.join(cause)})" if cause else ""
    if wide_before is not None and wide_after is not None:
        more, fewer = minus(wide_after, wide_before), minus(wide_before, wide_after)
        was = f" (before: {described(wide_before)})"
        if more:
            protected = "" if new.get("basicAuthUsers") else ", without a password (no basic auth)"
            gained = "" if described(wide_after) == "everyone" or len(more) > MAX_CIDRS else \
                f"; newly admitted: {described(more)}"
            lost = "; and clients it admitted before lose access" if fewer else ""
            risks.append(Risk("exposure", app.name, f"App {name} is open to more clients{why}: it now admits "
                              f"{described(wide_after)} through {via}{protected}{was}{gained}{lost}.", "exposure"))
        elif fewer:
            risks.append(Risk("reach", app.name, f"App {name} is reachable by fewer clients{why}: it now admits "
                              f"only {described(wide_after)}{was}; clients outside lose access.", "exposure"))
    elif cause and not risks:
        risks.append(Risk("exposure", app.name, f"App {name} changes who can reach it{why}; the plans do not say "
                          "which CIDRs it admitted before.", "exposure"))
    if old.get("basicAuthUsers") and not new.get("basicAuthUsers"):
        risks.append(Risk("exposure", app.name, f"App {name} loses basic auth: whoever {via} admits "
                          f"({described(wide_after) if wide_after is not None else 'its clients'}) reaches it "
                          "without a password.", "exposure"))
    return risks


def health_routes(plan: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """App -> {path: its Ingresses that route that path alone, exactly} (what admits the monitor's probes)."""
    resources = plan.get("resources") or []
    parents = {f"{r.get('type')}::{r.get('name')}": r.get("parent") for r in resources}
    found: dict[str, dict[str, list[str]]] = {}
    for resource in resources:
        if not str(resource.get("type")).endswith(":Ingress"):
            continue
        app = app_of(f"{resource.get('type')}::{resource.get('name')}", parents)
        for rule in ((resource.get("inputs") or {}).get("spec") or {}).get("rules") or []:
            for path in ((rule.get("http") or {}).get("paths") or []):
                if app is not None and path.get("pathType") == "Exact":
                    found.setdefault(app, {}).setdefault(str(path.get("path")), []).append(str(resource.get("name")))
    return found


def health_route_risks(app: AppDiff, before: Mapping[str, dict[str, list[str]]],
                       after: Mapping[str, dict[str, list[str]]]) -> list[Risk]:
    """A monitored app behind an allow-list whose health route goes: its monitor reports it down."""
    new = app.head or {}
    monitor = new.get("monitor")
    if not isinstance(monitor, dict) or not app_cidrs(new):
        return []
    url = str(monitor.get("url") or "")
    path = urlsplit(url).path or "/"
    lost = set(before.get(app.name, {}).get(path, []))
    if not lost or after.get(app.name, {}).get(path):
        return []
    return [Risk("reach", app.name, f"App {code(app.name)}'s monitor loses its health route "
                 f"({', '.join(code(n) for n in sorted(lost))}): UptimeRobot's probes meet the app's allow-list "
                 f"at {code(url)}, and the monitor reports the app down.", "exposure")]


def wildcard_risks(apps: Sequence[AppDiff], steps: Sequence[ResourceDiff]) -> list[Risk]:
    """A zone that gets a wildcard record: its per-host records go, and every name in it resolves."""
    risks = []
    zones: dict[str, list[str]] = {}
    for app in apps:
        old, new = app.base or {}, app.head or {}
        record = str(new.get("dnsRecord") or "")
        if record.startswith("*.") and not str(old.get("dnsRecord") or "").startswith("*."):
            zones.setdefault(record, []).append(app.name)
    for wildcard, names in sorted(zones.items()):
        zone = wildcard[2:]
        hosts = sorted({str((step.base_inputs or {}).get("name")) for step in steps
                        if step.type == RECORD and step.op == "delete"
                        and (step.base_inputs or {}).get("type") in ("A", "AAAA")
                        and answered_by_wildcard(str((step.base_inputs or {}).get("name") or ""),
                                                 set(zones)) == wildcard})
        gone = (f"the records of {len(hosts)} hosts are deleted (" + ", ".join(code(n) for n in hosts[:3])
                + (f" and {len(hosts) - 3} more" if len(hosts) > 3 else "") + "), and ") if hosts else ""
        risks.append(Risk("dns", wildcard, f"Zone {code(zone)} gets the wildcard record {code(wildcard)}: {gone}"
                          f"every name one label under {code(zone)} now resolves to the load balancer, served by "
                          "an app or not (the controller answers a host no Ingress has with its default backend). "
                          f"Apps answered by the wildcard: {', '.join(code(n) for n in sorted(names)[:5])}"
                          + (f" and {len(names) - 5} more" if len(names) > 5 else "") + ".", "exposure"))
    return risks


def exposure_risks(apps: Sequence[AppDiff], steps: Sequence[ResourceDiff], base: Mapping[str, Any],
                   head: Mapping[str, Any]) -> list[Risk]:
    """Every exposure and reach risk of the change."""
    risks: list[Risk] = []
    changed = [app for app in apps if app.kind == "changed"]
    routes = (health_routes(base), health_routes(head)) if changed else ({}, {})
    for app in changed:
        risks += app_risks(app, base, head)
        risks += health_route_risks(app, *routes)
    return risks + wildcard_risks(apps, steps)
