"""The rules on an app that need more than its own fields: other apps or the stack (`check_catalogue`).

Hosts inside the zone, hosts and paths unique across apps, stack and edge names that exist, monitors only
on apps UptimeRobot can reach, a health path the monitor can be let in at, ...
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from components.inputs.catalog.models import DASHBOARD_APP_NAME, App, MonitorSpec
from components.inputs.catalog.resolved import (
    app_edges,
    in_stack,
    monitor_skip_reason,
    resolve_name,
    unreachable_reason,
)
from components.inputs.catalog.structure import app_name_at
from components.inputs.fieldtypes import LABEL_RE
from components.inputs.problems import Problem, app_subject, dotted
from components.inputs.settings import Edge, Settings
from components.inputs.yamllines import line_of, start_line


def host_problem(host: str, zone: str, other_zone: str | None = None) -> str | None:
    """Why `host` cannot be served from `zone` (None when it can).

    The zone's certificate covers the apex and one level of wildcard, so a host must be the
    apex or exactly one label under it.
    """
    if host != zone and not host.endswith("." + zone):
        return f"'{host}' is outside the zone '{zone}'"
    if other_zone and (host == other_zone or host.endswith("." + other_zone)):
        return f"'{host}' is inside the private zone '{other_zone}'; a public app needs a public host"
    prefix = host[: -len(zone) - 1] if host != zone else ""
    if prefix and "." not in prefix and not LABEL_RE.fullmatch(prefix):
        return f"'{prefix}' in '{host}' is not a DNS label (a-z, 0-9 and '-')"
    if prefix and not LABEL_RE.fullmatch(prefix):
        return (f"'{host}' is more than one label under '{zone}'; the zone's wildcard certificate "
                f"covers only '<label>.{zone}'")
    return None


def _normal_path(path: str) -> str:
    return path.rstrip("/") or "/"


def path_is_under(path: str, prefix: str) -> bool:
    """Whether `path` is matched by the Prefix path `prefix` (Kubernetes: element by element)."""
    path, prefix = _normal_path(path), _normal_path(prefix)
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def probe_path_problem(app: App) -> str | None:
    """Why the monitor of an allow-listed, password-protected or externally authenticated app, or of one with a
    weighted canary, could not get a route of its own.

    The monitor is let in (from UptimeRobot's addresses, with its own login, past the external auth service, to the
    app's own backend) for the health path only, through an Ingress of its own with an exact-match path beside the
    app's: the health path must therefore be one of the app's routes, and not one of its `paths` itself (the F5
    controller keeps one Ingress per path of a host: internal/k8s/configuration.go `buildMinionConfigs` at v5.5.4,
    "path %s is taken").
    """
    hint = "set healthPath to a path of its own inside the app's paths (e.g. /healthz), or monitor.enabled: false"
    why = ("with allowCidrs the monitor is let in from UptimeRobot's addresses" if app.allow_cidrs else
           "behind basic auth the monitor's own login is accepted" if app.basic_auth is not None else
           "the monitor cannot sign in at the external auth service, so it is let in without it"
           if app.external_auth is not None else
           "the monitor keeps watching the app, not its canary, through a route of its own")
    if any(_normal_path(app.health_path) == _normal_path(p) for p in app.paths):
        return (f"'{app.health_path}' is one of the app's paths; {why} for the health path alone, which needs a "
                f"path of its own: {hint}")
    if not any(path_is_under(app.health_path, p) for p in app.paths):
        return (f"'{app.health_path}' is not routed to the app (paths {', '.join(app.paths)}); the monitor would "
                f"check another app: {hint}")
    return None


def check_catalogue(
    path: str, root: Any, apps: dict[int, App], settings: Settings, stack: str, known_stacks: set[str],
    files: Sequence[str] | None = None,
) -> list[Problem]:
    """Every rule that needs more than one field, other apps or the stack.

    `files`: for a catalogue of several files (a directory of team files, read as one `root`), the file of
    each entry; a problem then names the entry's own file, and one about two entries names the other's file
    and line as well.
    """
    problems: list[Problem] = []
    if not isinstance(root, dict) or not isinstance(root.get("apps"), list):
        return problems  # parse_catalogue has reported the shape
    apps_node = root["apps"]
    stack_edges = settings.all_edges()

    def file_of(index: int) -> str:
        return files[index] if files is not None else path

    def problem(index: int, loc: Sequence[str | int], message: str) -> None:
        # Located as the entry is written, and where the entry takes the value: these rules judge the
        # value in this app, so a duplicate made with `- *web` is reported at the alias, not the anchor.
        if index in apps:
            loc = apps[index]._salvage.where_written(loc)
        line = line_of(apps_node, [index, *loc], start_line(apps_node[index]), where_used=True)
        problems.append(Problem(file_of(index), line, app_subject(app_name_at(root, index), dotted(loc)), message))

    def elsewhere(index: int, other: int, loc: Sequence[str | int] = (), before: str = " (", after: str = ")") -> str:
        """Where the other side of a rule across entries is, when it is in another file: ` (apps.d/shop.yaml:12)`;
        nothing when both are in one file (its problems have always named the other app alone)."""
        if file_of(other) == file_of(index):
            return ""
        return f"{before}{file_of(other)}:{line_of(apps_node, [other, *loc], start_line(apps_node[other]))}{after}"

    seen_names: dict[str, int] = {}
    for index in range(len(apps_node)):
        name = app_name_at(root, index)
        if name in seen_names:
            first = seen_names[name]
            where = elsewhere(index, first, ["name"], before="", after="")
            # In one file: the line where the other app takes its name (an alias's line for `- *web`).
            loc = apps[first]._salvage.where_written(["name"]) if first in apps else ["name"]
            line = line_of(apps_node, [first, *loc], start_line(apps_node[first]), where_used=True)
            problem(index, ["name"], f"duplicate name; {where} also names an app '{name}' (names are unique across "
                                     "the catalogue's files)" if where else
                    f"duplicate name; line {line} also names an app '{name}'")
        seen_names.setdefault(name, index)
    routes: dict[tuple[str, str], tuple[str, int]] = {}  # (host, path) -> (app, its entry)
    host_edges: dict[str, tuple[str, str, int]] = {}  # host -> (edge, first app, its entry)
    alias_owners: dict[str, tuple[str, int]] = {}  # alias host -> (app, its entry)
    main_hosts: dict[str, tuple[str, int]] = {}  # main host -> (first app, its entry)
    dashboard_host = f"{settings.dashboard_host}.{settings.private_domain}" if settings.dashboard_enabled else None
    for index, app in sorted(apps.items()):
        if settings.dashboard_enabled and app.name == DASHBOARD_APP_NAME:
            problem(index, ["name"], f"'{DASHBOARD_APP_NAME}' is the dashboard's name (config "
                                     "gangplank:dashboardEnabled); choose another name")
        for position, stack_name in enumerate(app.stacks or []):
            if stack_name not in known_stacks:
                problem(index, ["stacks", position], f"no stack '{stack_name}' (no Pulumi.{stack_name}.yaml); "
                                                     f"known stacks: {', '.join(sorted(known_stacks))}")
        monitor = app.monitor
        local_paths = [_normal_path(p) for p in app.paths]
        for position, duplicate in enumerate(local_paths):
            if duplicate in local_paths[:position]:
                problem(index, ["paths", position], f"path '{app.paths[position]}' is listed twice")
        if (app.visibility is None) == (app.edges is None):
            continue  # entry_problems has said so
        salvage = app._salvage
        if not in_stack(app, stack) or salvage.lost("stacks"):
            continue  # not in this stack, or its stacks are not known (set aside as invalid)
        for position, edge_name in enumerate(app.edges or []):
            if edge_name not in stack_edges:
                problem(index, ["edges", position], f"no edge '{edge_name}' in stack {stack}; its edges: "
                                                    f"{', '.join(stack_edges)} (config gangplank:edges)")
        # The rules below judge the app on the edges that exist (an unknown one is reported above).
        edges = [stack_edges[name] for name in dict.fromkeys(app_edges(app)) if name in stack_edges]
        if not edges:
            continue
        for position, cidr in enumerate(app.allow_cidrs):
            reason = unreachable_cidr(cidr, edges)
            if reason is not None:
                problem(index, ["allowCidrs", position], reason)
        unreachable = unreachable_reason(edges)
        if salvage.touched("monitor"):
            pass  # part of the monitor was set aside as invalid: what it asks for is not known
        elif unreachable is not None and monitor.enabled:
            problem(index, ["monitor", "enabled"], "private apps cannot be monitored: UptimeRobot checks from the "
                    "internet and cannot reach them" if unreachable.startswith("private")
                    else f"cannot be monitored: {unreachable}")
        elif unreachable is not None and monitor.enabled is None and _monitor_settings(monitor):
            problem(index, ["monitor"], f"monitor settings have no effect: the app is never monitored "
                                        f"({unreachable}); remove them")
        if (app.allow_cidrs or app.auth is not None or (app.canary and app.canary.weight)) \
                and monitor_skip_reason(app, edges, settings) is None \
                and not any(salvage.touched(name) for name in ("healthPath", "paths", "monitor", "auth", "canary")):
            reason = probe_path_problem(app)
            if reason is not None:
                problem(index, ["healthPath"], reason)
        zones = list(dict.fromkeys(settings.domain_for(edge.visibility) for edge in edges))
        for zone in zones:
            zone_edges = [edge for edge in edges if settings.domain_for(edge.visibility) == zone]
            visibility = zone_edges[0].visibility
            other = str(settings.private_domain) if visibility == "public" else None
            written = [] if salvage.lost("host") else [
                ("host", app.host if app.host is not None else settings.host_template.format(name=app.name,
                                                                                              stack=stack))]
            written += [(f"aliases[{i}]", alias) for i, alias in enumerate(app.aliases)]
            seen_here: list[str] = []
            for field, name in written:
                loc: list[str | int] = [field] if field == "host" else ["aliases", int(field[8:-1])]
                host = resolve_name(name, zone)
                reason = host_problem(host, zone, other)
                if reason is None and not _valid_fqdn(host):
                    reason = f"'{host}' is not a valid host name"
                if reason is not None:
                    if len(zones) > 1 and "." in name.rstrip("."):
                        reason += (f"; the app's edges are in the zones {' and '.join(zones)}: give a label "
                                   "so that each zone gets its own name")
                    problem(index, loc, reason)
                    continue
                if host in seen_here:
                    problem(index, loc, f"'{host}' is listed twice")
                    continue
                seen_here.append(host)
                if host == dashboard_host:
                    problem(index, loc, f"'{host}' is the dashboard's host (config gangplank:dashboardHost)")
                if field != "host":
                    owner = alias_owners.get(host) or main_hosts.get(host)
                    if owner is not None and owner[0] != app.name:
                        problem(index, loc, f"'{host}' is already a host of app '{owner[0]}'"
                                            f"{elsewhere(index, owner[1])}; an alias is a name of this app's own")
                        continue
                    alias_owners.setdefault(host, (app.name, index))
                else:
                    owner = alias_owners.get(host)
                    if owner is not None and owner[0] != app.name:
                        problem(index, loc, f"'{host}' is an alias of app '{owner[0]}'{elsewhere(index, owner[1])}")
                        continue
                    main_hosts.setdefault(host, (app.name, index))
                for edge in zone_edges:
                    taken = host_edges.get(host)
                    if taken is not None and taken[0] != edge.name:
                        problem(index, loc, f"'{host}' is served by edge '{taken[0]}' (app '{taken[1]}'"
                                            f"{elsewhere(index, taken[2], before=', ', after='')}); one "
                                            f"DNS name points to one load balancer, so it cannot be on edge "
                                            f"'{edge.name}' too")
                        break
                    host_edges.setdefault(host, (edge.name, app.name, index))
                else:
                    for position, url_path in enumerate([] if salvage.lost("paths") else app.paths):
                        key = (host, _normal_path(url_path))
                        if key in routes and routes[key][0] != app.name:
                            first = routes[key][1]
                            problem(index, ["paths", position],
                                    f"host '{host}' path '{url_path}' is already routed to app '{routes[key][0]}'"
                                    f"{elsewhere(index, first, ['paths'])}")
                        routes.setdefault(key, (app.name, index))
    return problems


def _monitor_settings(monitor: MonitorSpec) -> bool:
    """Whether the entry sets anything about a monitor beyond switching it off."""
    return bool(monitor.model_fields_set - {"enabled"})


def _valid_fqdn(host: str) -> bool:
    return len(host) <= 253 and all(LABEL_RE.fullmatch(label) for label in host.split("."))


def unreachable_cidr(cidr: str, edges: Sequence[Edge]) -> str | None:
    """Why clients of `cidr` can never reach an app on these edges (None when some can): every edge's
    load balancer admits only its own allow-list, and this block is outside all of them."""
    if any(not edge.allowed_cidrs for edge in edges):
        return None  # an edge open to everyone
    block = ipaddress.ip_network(cidr)
    admitted = [ipaddress.ip_network(allowed) for edge in edges for allowed in edge.allowed_cidrs]
    if any(block.version == net.version and block.overlaps(net) for net in admitted):  # type: ignore[arg-type]
        return None
    names = " and ".join(f"'{edge.name}'" for edge in edges)
    shown_admitted = ", ".join(str(net) for net in admitted)
    setting = ("gangplank:privateAllowedCidrs" if all(edge.name == "private" for edge in edges)
               else "gangplank:privateAllowedCidrs / gangplank:edges allowedCidrs")
    return (f"'{cidr}' can never reach the app: its edge {names} admits only {shown_admitted} ({setting}); "
            "widen that allow-list or remove this block")
