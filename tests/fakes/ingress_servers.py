"""The nginx configuration the edges' NGINX ingress controllers build from the Ingresses of one class: a `server` per
host with its `location`s and what guards them (allow-list, basic auth), which Ingress holds a host or path when two
name it, and which `location` nginx picks for a request. `tests/fakes/site.py` answers requests from it.

Each rule cites the upstream source it mirrors: nginx/kubernetes-ingress at tag v5.5.4 (`nginx-inc`),
kubernetes/ingress-nginx at controller-v1.15.1 (`ingress-nginx`), and nginx itself. What it leaves out:
regular-expression locations (neither flavor emits one for gangplank's paths: F5 only with `nginx.org/path-regex`,
ingress-nginx only with `use-regex` or rewrites).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
MERGEABLE = "nginx.org/mergeable-ingress-type"


@dataclass(frozen=True)
class Location:
    """One `location` block: `= literal` (exact) or `literal` (prefix), and what guards it."""

    modifier: str
    """`=` for an exact match, `` for a prefix (nginx docs, "location")."""
    literal: str
    """The string nginx compares the request's URI with (quotes removed)."""
    ingress: Mapping[str, Any]
    """The Ingress it comes from (an F5 minion's own, not its master's)."""
    allow: tuple[str, ...] | None = None
    """`allow` CIDRs followed by `deny all`; None when the location has no access rules."""
    auth: tuple[str, str] | None = None
    """(namespace, name) of the htpasswd Secret `auth_basic_user_file` reads; None without basic auth."""

    @property
    def ingress_name(self) -> str:
        return str(self.ingress["metadata"]["name"])


@dataclass
class Server:
    """The `server` block of one host."""

    host: str
    locations: list[Location] = field(default_factory=list)


def parse_location(text: str) -> tuple[str, str]:
    """`= "/a"` -> ("=", "/a"); `/a` -> ("", "/a"): nginx reads the first word as a modifier when it is one,
    and the rest as the location's string, unquoted (src/http/ngx_http_core_module.c ngx_http_core_location)."""
    modifier, _, rest = text.partition(" ")
    if modifier not in ("=", "^~", "~", "~*"):
        modifier, rest = "", text
    rest = rest.strip()
    if len(rest) >= 2 and rest[0] == rest[-1] == '"':
        rest = rest[1:-1]
    if modifier in ("~", "~*"):
        raise NotImplementedError("the model has no regular-expression locations")
    return modifier, rest


def find_location(locations: Iterable[Location], uri: str) -> Location | None:
    """nginx's choice: an exact match wins at once; otherwise the longest prefix, compared as plain strings
    (nginx docs, "location"; src/http/ngx_http_core_module.c ngx_http_core_find_static_location). A prefix
    location `/api` therefore also matches `/apiary`."""
    best: Location | None = None
    for location in locations:
        if location.modifier == "=" and uri == location.literal:
            return location
        prefix = location.modifier != "=" and uri.startswith(location.literal)
        if prefix and (best is None or len(location.literal) > len(best.literal)):
            best = location
    return best


def ingress_class(ingress: Mapping[str, Any], flavor: str = "nginx-inc") -> str:
    """The class a controller sees. F5: the annotation when set and not empty, else `spec.ingressClassName`
    (internal/k8s/controller.go HasCorrectIngressClass: "the annotation takes precedence"). ingress-nginx the other
    way round: `spec.ingressClassName` when set, else the annotation (internal/ingress/controller/store/store.go
    GetIngressClass at controller-v1.15.1)."""
    annotation = (annotations_of(ingress)).get(CLASS_ANNOTATION, "")
    name = str(ingress["spec"].get("ingressClassName") or "")
    return (name or annotation) if flavor == "ingress-nginx" else (annotation or name)


def annotations_of(ingress: Mapping[str, Any]) -> Mapping[str, str]:
    return ingress["metadata"].get("annotations") or {}


def rule_paths(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((rule.get("http") or {}).get("paths") or [])


def _snippet_allow_list(snippets: str) -> tuple[str, ...] | None:
    """F5's allow-list: `allow <cidr>;` lines and `deny all;` in the location snippets (gangplank writes them,
    nginx_inc.ingress_annotations; the template emits snippets inside the location, nginx.ingress.tmpl)."""
    allowed = re.findall(r"^allow (\S+);$", snippets, re.M)
    return tuple(allowed) if allowed or re.search(r"^deny all;$", snippets, re.M) else None


# -- F5 NGINX Ingress Controller 5.5.4 -----------------------------------------------------


def generate_ingress_path(path: str, path_type: str | None) -> str:
    """internal/configs/ingress.go generateIngressPath: `pathType: Exact` becomes `= <path>`; Prefix stays as is."""
    return f"= {path}" if path_type == "Exact" else path


def make_location_path(path: str, regex_type: str | None) -> str:
    """internal/configs/version1/template_helper.go makeLocationPath / makePathWithRegex: `nginx.org/path-regex`
    is applied to the path *generateIngressPath made*, so Exact plus `exact` gives `= "= /p"`."""
    if regex_type == "exact":
        return f'= "{path}"'
    if regex_type in ("case_sensitive", "case_insensitive"):
        return f'{"~" if regex_type == "case_sensitive" else "~*"} "^{path}"'
    return path


# Annotations a minion takes from its master when it has none of its own (internal/configs/annotations.go
# minionInheritanceList; only those this model reads).
F5_INHERITED = ("nginx.org/location-snippets",)


def f5_servers(ingresses: list[Mapping[str, Any]], conflicts: list[str]) -> dict[str, Server]:
    """The servers F5 builds for one class, in the Ingresses' order (taken as their creation order).

    Hosts: a regular or master Ingress holds each of its hosts; a later one that names a taken host is
    left out ("host %s is taken by another resource", internal/k8s/configuration.go buildHostsAndResources).
    Minions join their host's master; a path already held by an earlier minion of the host is left out of
    the later one ("path %s is taken", buildMinionConfigs). Basic auth is server-wide for a regular or master
    Ingress and per location for a minion (internal/configs/ingress.go generateNginxCfg).
    """
    servers: dict[str, Server] = {}
    holders: dict[str, Mapping[str, Any]] = {}
    minions: dict[str, list[Mapping[str, Any]]] = {}
    for ingress in ingresses:
        kind = annotations_of(ingress).get(MERGEABLE)
        rules = ingress["spec"].get("rules") or []
        if kind == "minion":
            minions.setdefault(rules[0]["host"], []).append(ingress)
            continue
        for rule in rules:
            if rule["host"] in holders:
                conflicts.append(f"host {rule['host']} is taken by another resource ({ingress['metadata']['name']})")
                continue
            holders[rule["host"]] = ingress
    for host, holder in holders.items():
        server = servers[host] = Server(host)
        annotations = annotations_of(holder)
        server_auth = _f5_auth(holder)
        if annotations.get(MERGEABLE) == "master":
            taken: set[str] = set()
            for minion in minions.get(host, []):
                own = dict(annotations_of(minion))
                for key in F5_INHERITED:
                    if key not in own and key in annotations:
                        own[key] = annotations[key]
                for entry in rule_paths(minion["spec"]["rules"][0]):
                    if entry["path"] in taken:
                        conflicts.append(f"path {entry['path']} is taken by another resource "
                                         f"({minion['metadata']['name']})")
                        continue
                    taken.add(entry["path"])
                    server.locations.append(_f5_location(entry, minion, own, _f5_auth(minion) or server_auth))
            continue
        for rule in holder["spec"].get("rules") or []:
            if rule["host"] == host:
                for entry in rule_paths(rule):
                    server.locations.append(_f5_location(entry, holder, annotations, server_auth))
    return servers


def f5_with_status(ingresses: list[Mapping[str, Any]]) -> set[str]:
    """The Ingresses of one class (in creation order) that F5 gives a load-balancer status, as `namespace/name`.

    F5 writes a status only for what it configures: a regular or master Ingress that holds at least one of its
    hosts (internal/k8s/controller.go `updateRegularIngressStatusAndEvents`, called for the changes
    configuration.go `createResourceChangesForHosts` makes per held host), and with a master every minion of its
    host, whether a path of it is taken or not (`updateMergeableIngressStatusAndEvents`: the master and all its
    minions, `BulkUpdateIngressStatus`). One all of whose hosts are taken ("All hosts are taken by other
    resources") gets none, and so does a minion without a master ("Ingress master is invalid or doesn't exist"):
    `processProblems` clears theirs (`ClearIngressStatus`).
    """
    holders: dict[str, Mapping[str, Any]] = {}
    minions: dict[str, list[Mapping[str, Any]]] = {}
    for ingress in ingresses:
        rules = ingress["spec"].get("rules") or []
        if annotations_of(ingress).get(MERGEABLE) == "minion":
            minions.setdefault(rules[0]["host"], []).append(ingress)
            continue
        for rule in rules:
            holders.setdefault(rule["host"], ingress)
    found = set()
    for host, holder in holders.items():
        found.add(ingress_key(holder))
        if annotations_of(holder).get(MERGEABLE) == "master":
            found |= {ingress_key(minion) for minion in minions.get(host, [])}
    return found


def ingress_key(ingress: Mapping[str, Any]) -> str:
    return f"{ingress['metadata'].get('namespace') or 'default'}/{ingress['metadata']['name']}"


def _f5_auth(ingress: Mapping[str, Any]) -> tuple[str, str] | None:
    secret = annotations_of(ingress).get("nginx.org/basic-auth-secret")
    return (str(ingress["metadata"]["namespace"]), secret) if secret else None


def _f5_location(entry: Mapping[str, Any], ingress: Mapping[str, Any], annotations: Mapping[str, str],
                 auth: tuple[str, str] | None) -> Location:
    text = make_location_path(generate_ingress_path(entry["path"], entry.get("pathType")),
                              annotations.get("nginx.org/path-regex"))
    modifier, literal = parse_location(text)
    return Location(modifier, literal, ingress, _snippet_allow_list(annotations.get("nginx.org/location-snippets", "")),
                    auth)


# -- ingress-nginx controller v1.15.1 ------------------------------------------------------


def ingress_nginx_servers(ingresses: list[Mapping[str, Any]], conflicts: list[str]) -> dict[str, Server]:
    """The servers ingress-nginx builds for one class: every Ingress of a host joins its server.

    A path already there with the same pathType is left out of the later Ingress ("Location %q already
    configured", internal/ingress/controller/controller.go getBackendServers); then each Prefix path
    other than `/` becomes `<path>/` plus an exact `<path>` copy, unless an Exact location of that path
    exists (internal/ingress/controller/location.go updateServerLocations); Exact is emitted as `= "<path>"`
    (internal/ingress/controller/template/template.go buildLocation).
    """
    servers: dict[str, Server] = {}
    for ingress in ingresses:
        annotations = annotations_of(ingress)
        source_range = annotations.get("nginx.ingress.kubernetes.io/allowlist-source-range")
        allow = tuple(c.strip() for c in source_range.split(",")) if source_range else None
        auth = None
        if annotations.get("nginx.ingress.kubernetes.io/auth-type") == "basic":
            secret = annotations["nginx.ingress.kubernetes.io/auth-secret"]
            namespace, _, name = secret.rpartition("/")
            auth = (namespace or str(ingress["metadata"]["namespace"]), name)
        for rule in ingress["spec"].get("rules") or []:
            server = servers.setdefault(rule["host"], Server(rule["host"]))
            for entry in rule_paths(rule):
                exact = entry.get("pathType") == "Exact"
                if any(loc.literal == entry["path"] and (loc.modifier == "=") == exact for loc in server.locations):
                    conflicts.append(f"location {entry['path']} already configured ({ingress['metadata']['name']})")
                    continue
                server.locations.append(Location("=" if exact else "", entry["path"], ingress, allow, auth))
    for server in servers.values():
        exact = {loc.literal for loc in server.locations if loc.modifier == "="}
        normalized: list[Location] = []
        for loc in server.locations:
            if loc.modifier == "=" or loc.literal == "/":
                normalized.append(loc)
                continue
            normalized.append(Location("", loc.literal.rstrip("/") + "/", loc.ingress, loc.allow, loc.auth))
            if loc.literal not in exact:
                normalized.append(Location("=", loc.literal, loc.ingress, loc.allow, loc.auth))
        server.locations = normalized
    return servers
