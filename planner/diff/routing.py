"""Who answers a host and path, and what a controller does with a new route that claims what an older one has.

The meanings of replaced and deleted Ingresses and HTTPRoutes, and the blockers the diff finds, rest on
these rules, one set per flavor, each from the source it mirrors (the same sources as the site model the
tests probe, tests/fakes/site.py and the servers it answers from, tests/fakes/ingress_servers.py):

- Which path a route answers: an `Exact` path only itself. A prefix path, per flavor:
  - `nginx-inc`: the path as it is, an nginx prefix location compared as plain strings, so `/api` also
    answers `/apiary` (nginx/kubernetes-ingress v5.5.4, internal/configs/ingress.go `generateIngressPath`:
    only `Exact` becomes `= <path>`; nginx docs, "location");
  - `ingress-nginx`: whole path elements: `/api` becomes `location /api/` plus an exact `/api`, a path that
    ends in `/` stays as it is (`/docs/` takes `/docs/` and below, not `/docs`), and `/` stays `/`
    (kubernetes/ingress-nginx controller-v1.15.1, internal/ingress/controller/location.go
    `updateServerLocations`, `normalizePrefixPath`);
  - Gateway API `PathPrefix`: whole path elements, a trailing `/` ignored ("the paths `/abc`, `/abc/`,
    and `/abc/def` would all match the prefix `/abc`, but the path `/abcd` would not": Gateway API
    v1.6.1, HTTPRoute CRD). nginx and the Gateway API pick the exact match first, else the longest prefix.
- A new route that claims what an older one claims, while the older one still exists (`pulumi up` creates
  a replacement before it deletes the old one, and deletes what leaves the program last):
  - `ingress-nginx` refuses it at admission when another Ingress of the class has the same host and path
    (the same path string, whatever its type), unless exactly one of the two is a canary
    (internal/ingress/controller/controller.go `checkOverlap`, called by `CheckIngress`): the create
    fails at once, and `pulumi up` stops;
  - `nginx-inc` gives each host to the oldest regular or master Ingress that names it (internal/k8s/
    configuration.go `buildHostsAndResources`, `chooseObjectMetaWinner`: the older creation timestamp
    wins). A new one all of whose hosts are taken is rejected ("All hosts are taken by other resources",
    `addProblemsForResourcesWithoutActiveHost`) and never gets a status: the controller writes one only
    for the Ingresses whose hosts it configures (controller.go `updateRegularIngressStatusAndEvents`, via
    `createResourceChangesForHosts`), and clears it for a rejected one (`processProblems`,
    `ClearIngressStatus`). pulumi-kubernetes waits for `.status.loadBalancer.ingress` on every create and
    update of an Ingress (provider/pkg/await/ingress.go `Await`, `DefaultIngressTimeoutMins = 10`; at
    94977969) and fails when it does not come: `pulumi up` stops after 10 minutes, the old Ingress still
    serving and never deleted. Minions compete per path within their host's master instead
    (`buildMinionConfigs`: "path %s is taken by another resource"), and every minion of a master gets its
    status with the master's (`updateMergeableIngressStatusAndEvents`), so a new minion waits, and takes the
    path over when the old one is deleted;
  - Gateway API: no conflict: "If ties still exist across multiple Routes, matching precedence MUST be
    determined in order of ...: The oldest Route based on creation timestamp" (HTTPRoute CRD,
    `spec.rules.matches`): the old route serves until it is deleted, then the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

INGRESS_SUFFIX = ":Ingress"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GATEWAY_API = "gateway-api"
"""The flavor of every HTTPRoute: its matching and precedence are the Gateway API's, whatever implements it."""
MERGEABLE = "nginx.org/mergeable-ingress-type"
CANARY = "nginx.ingress.kubernetes.io/canary"
INGRESS_AWAIT_S = 600
"""pulumi-kubernetes' wait for an Ingress's load balancer status (await/ingress.go `DefaultIngressTimeoutMins`)."""


@dataclass(frozen=True)
class Claim:
    """A host and path a route answers (`path` None: a host without paths, an F5 master's)."""

    host: str
    path: str | None = None
    exact: bool = False
    conditional: bool = False
    """Only for some requests: an HTTPRoute match on headers, query or method, an ingress-nginx canary."""

    def __str__(self) -> str:
        return self.host + (self.path or "")


@dataclass(frozen=True)
class Route:
    """An Ingress or HTTPRoute as its controller sees it."""

    label: str
    """`<type>::<name>` in the plan."""
    key: str
    """`namespace/name`: the object's identity in the cluster."""
    attached: str
    """The Ingress's class, or the HTTPRoute's parent (`gateway-ns/name`, and listener)."""
    claims: tuple[Claim, ...]
    role: str | None = None
    """`master` or `minion` for an F5 mergeable Ingress; None otherwise."""
    canary: str | None = None
    """The value of ingress-nginx's canary annotation; None without it."""


def is_route(resource: Mapping[str, Any]) -> bool:
    type_ = str(resource.get("type") or "")
    return (type_.startswith("kubernetes:") and type_.endswith(INGRESS_SUFFIX)) or type_ == HTTP_ROUTE


def route_of(resource: Mapping[str, Any] | None, inputs: Mapping[str, Any] | None = None) -> Route | None:
    """The route a plan's Ingress or HTTPRoute declares (`inputs`: other inputs than the plan's, if given)."""
    if resource is None or not is_route(resource):
        return None
    inputs = _mapping(resource.get("inputs") if inputs is None else inputs)
    metadata, spec = _mapping(inputs.get("metadata")), _mapping(inputs.get("spec"))
    key = f"{metadata.get('namespace') or 'default'}/{metadata.get('name')}"
    label = f"{resource.get('type')}::{resource.get('name')}"
    annotations = _mapping(metadata.get("annotations"))
    if resource.get("type") == HTTP_ROUTE:
        parents = sorted(f"{p.get('namespace') or metadata.get('namespace') or 'default'}/{p.get('name')}"
                         + (f"#{p['sectionName']}" if p.get("sectionName") else "")
                         for p in map(_mapping, _items(spec.get("parentRefs"))))
        return Route(label, key, ",".join(parents), tuple(http_route_claims(spec)))
    klass = annotations.get("kubernetes.io/ingress.class") or spec.get("ingressClassName")
    claims = ingress_claims(spec, conditional=_true(annotations.get(CANARY)))
    return Route(label, key, str(klass), tuple(claims), annotations.get(MERGEABLE), annotations.get(CANARY))


def ingress_claims(spec: Mapping[str, Any], conditional: bool = False) -> list[Claim]:
    """Each host and path an Ingress routes (a rule without paths: its host alone); `conditional` for a canary."""
    found = []
    for rule in map(_mapping, _items(spec.get("rules"))):
        host = str(rule.get("host") or "*")
        paths = [_mapping(path) for path in _items(_mapping(rule.get("http")).get("paths"))]
        found += [Claim(host, str(path.get("path") or "/"), path.get("pathType") == "Exact", conditional)
                  for path in paths] or [Claim(host, conditional=conditional)]
    return found


def http_route_claims(spec: Mapping[str, Any]) -> list[Claim]:
    """Each hostname and path an HTTPRoute matches (no `matches`, or no `path`: a prefix match on `/`)."""
    matches = [_mapping(match) for rule in map(_mapping, _items(spec.get("rules")))
               for match in (_items(rule.get("matches")) or [{}])]
    return [Claim(str(host), str(_mapping(match.get("path")).get("value") or "/"),
                  _mapping(match.get("path")).get("type") == "Exact",
                  any(match.get(key) for key in ("headers", "queryParams", "method")))
            for host in _items(spec.get("hostnames")) or ["*"] for match in matches or [{}]]


def _mapping(value: Any) -> Mapping[str, Any]:
    """A plan's value where a mapping belongs (a masked or odd value reads as empty)."""
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def covers(flavor: str | None, claim: Claim, path: str) -> bool:
    """Whether `claim` answers requests for `path` on its host (see the module's rules)."""
    if claim.path is None:
        return False
    if claim.exact:
        return path == claim.path
    if flavor == "nginx-inc":
        return path.startswith(claim.path)
    if flavor == "ingress-nginx" and claim.path != "/":
        # `location <path>/` (a path ending in `/` kept as it is) and an exact `= <path>`: `/docs/` takes `/docs/`
        # and below, never `/docs` (location.go `updateServerLocations`, `normalizePrefixPath`).
        stem = claim.path if claim.path.endswith("/") else claim.path + "/"
        return path == claim.path or path.startswith(stem)
    prefix = claim.path.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def answering(flavor: str | None, routes: Iterable[Route], claim: Claim) -> tuple[Route, Claim] | None:
    """The route (and its claim) that answers what `claim` answered, among `routes` on the same class or
    Gateway: for a path, an exact match first, else the longest prefix that covers it (a deleted prefix is
    answered when another prefix covers it, and so everything under it); for a host alone, a route that holds
    the host. On `nginx-inc` a minion answers only beside a master of its host. A conditional claim (a canary,
    a match on headers) answers only some requests: not counted."""
    routes = list(routes)
    masters = {c.host for r in routes if r.role == "master" for c in r.claims}
    best: tuple[Route, Claim] | None = None
    for route in routes:
        if flavor == "nginx-inc" and route.role == "minion" and claim.host not in masters:
            continue
        for have in route.claims:
            if have.host != claim.host or have.conditional:
                continue
            if claim.path is None:
                if flavor != "nginx-inc" or route.role != "minion":
                    return route, have
                continue
            if claim.exact and have.exact and have.path == claim.path:
                return route, have
            if not have.exact and covers(flavor, have, claim.path) and (
                    best is None or len(have.path or "") > len(best[1].path or "")):
                best = (route, have)
    return best


Outcome = Literal["refused", "unserved", "waits"]


@dataclass(frozen=True)
class Admission:
    """What the controller does with a new route while an older one claims some of what it claims."""

    outcome: Outcome
    """`refused` at admission (the create fails at once); `unserved`: admitted, never given a status (the create
    fails when pulumi-kubernetes stops waiting); `waits`: the older one serves until it is deleted, then this
    one, with no gap."""
    flavor: str | None
    route: Route
    holder: Route
    """The older route (the first one found)."""
    shared: tuple[str, ...]
    """What both claim: `host/path`, or hosts on `nginx-inc` (it decides per host)."""


def admission(flavor: str | None, new: Route, standing: Sequence[Route]) -> Admission | None:
    """What `flavor`'s controller does with `new`, created while `standing` (older routes of its class or
    Gateway) exist; None when none of them claims what it claims."""
    others = [r for r in standing if r.key != new.key and r.attached == new.attached]
    if flavor == "ingress-nginx":
        return _ingress_nginx(new, others)
    if flavor == "nginx-inc":
        return _nginx_inc(new, others)
    shared: dict[str, Route] = {}
    for claim in new.claims:
        for other in others:
            if claim in other.claims:
                shared.setdefault(str(claim), other)
    if not shared:
        return None
    return Admission("waits", flavor, new, next(iter(shared.values())), tuple(shared))


def _ingress_nginx(new: Route, others: Sequence[Route]) -> Admission | None:
    """controller.go `checkOverlap`: the same host and path string in another Ingress refuses the new one, unless
    one of the two is a canary and the other is not (`GetBoolAnnotation("canary")`)."""
    shared: dict[str, Route] = {}
    for claim in new.claims:
        if claim.path is None:
            continue  # checkOverlap skips a rule without paths
        for other in others:
            both_canary = _true(new.canary) and _true(other.canary)
            neither = new.canary is None and other.canary is None
            if (both_canary or neither) and any(c.host == claim.host and c.path == claim.path for c in other.claims):
                shared.setdefault(str(claim), other)
    if not shared:
        return None
    return Admission("refused", "ingress-nginx", new, next(iter(shared.values())), tuple(shared))


def _true(value: str | None) -> bool:
    return str(value).lower() == "true"


def _nginx_inc(new: Route, others: Sequence[Route]) -> Admission | None:
    if new.role == "minion":
        shared: dict[str, Route] = {}
        for claim in new.claims:
            for other in others:
                if other.role == "minion" and any(c.host == claim.host and c.path == claim.path
                                                  for c in other.claims):
                    shared.setdefault(str(claim), other)
        return Admission("waits", "nginx-inc", new, next(iter(shared.values())), tuple(shared)) if shared else None
    hosts = list(dict.fromkeys(claim.host for claim in new.claims))
    taken: dict[str, Route] = {}
    for host in hosts:
        holder = next((o for o in others if o.role != "minion" and any(c.host == host for c in o.claims)), None)
        if holder is not None:
            taken[host] = holder
    if not taken:
        return None
    outcome: Outcome = "unserved" if len(taken) == len(hosts) else "waits"
    return Admission(outcome, "nginx-inc", new, next(iter(taken.values())), tuple(taken))


def master_left_standing(flavor: str | None, old: Route, new: Route, standing: Sequence[Route]) -> Route | None:
    """The F5 master of one of `new`'s hosts that still stands when an update turns the minion `old` into the
    regular Ingress `new` (its host no longer shared: a health route or a sharing app gone, whose master is
    deleted last); None otherwise. The controller then gives the host to the older of the two by creation time,
    a tie to the greater UID (internal/k8s/configuration.go `chooseObjectMetaWinner`, v5.5.4), which the plan
    cannot know: when the master wins, the Ingress is rejected ("All hosts are taken by other resources"), gets no
    status, and none of its paths is served while the master, left without this minion, answers the host."""
    if flavor != "nginx-inc" or old.role != "minion" or new.role in ("minion", "master"):
        return None
    hosts = {claim.host for claim in new.claims}
    return next((r for r in standing if r.role == "master" and r.key != new.key and r.attached == new.attached
                 and any(claim.host in hosts for claim in r.claims)), None)


def joins_a_new_master(flavor: str | None, old: Route, new: Route) -> bool:
    """Whether an update turns the regular F5 Ingress `old` into the minion `new` (its host now shared: a health route
    or a sharing app added, whose master this change creates). The master and the minion are not ordered, and F5
    serves a minion only beside its host's master and gives a host to one regular or master Ingress
    (internal/k8s/configuration.go `buildHostsAndResources`, v5.5.4): whichever comes first waits one sync for the
    other."""
    return flavor == "nginx-inc" and old.role is None and new.role == "minion"
