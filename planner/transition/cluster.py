"""What decides whether a load balancer serves a host and path during a change: the Ingresses by class and each
NLB's controller class, or on a Gateway API edge the Gateway behind the NLB, its listeners and the HTTPRoutes
attached to them.

A route is a host and a path the way a controller matches it (`RouteKey`): a controller that has an Ingress or
HTTPRoute for the host but not for the path sends the request to another app's prefix or answers 404, so the
rehearsal checks each route, not only each host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.flavors.nginx_inc import MERGEABLE_ANNOTATION
from components.flavors.shaping import INGRESS_NGINX
from planner.mocks.monitor import Registration
from planner.resource_types import ENVOY_PROXY, GATEWAY, GATEWAY_CLASS, HELM_RELEASE, HTTP_ROUTE, INGRESS
from planner.route53_model import dns

RouteKey = tuple[str, str, str]
"""(host, `prefix` or `exact`, path): what a request must match to reach an app. The rehearsal compares routes by
these strings, not by how each controller matches them (F5 compares a prefix as a plain string, so `/api` also takes
`/apiary`; ingress-nginx splits a `Prefix` path by elements: tests/fakes/ingress_servers.py): each flavor writes
an app's paths with the same strings, so the same route on two controllers is the same key."""
PathMatch = tuple[str, str]
"""(`prefix` or `exact`, path): a RouteKey without its host."""
MATCH_KINDS = {"Prefix": "prefix", "ImplementationSpecific": "prefix", "PathPrefix": "prefix", "Exact": "exact"}
"""Ingress `pathType`s and HTTPRoute path match `type`s by how they match: both nginx controllers turn
`ImplementationSpecific` into a prefix location when no regular-expression annotation is set (F5 generateIngressPath,
ingress-nginx buildLocation), and gangplank sets none. An HTTPRoute `RegularExpression` is not a route the model
compares (gangplank writes none)."""
CANARY = INGRESS_NGINX + "canary"
"""An ingress-nginx canary Ingress adds a backend to the location of its host and path's main Ingress and makes no
location of its own (tests/fakes/nginx_traffic.py, from internal/ingress/controller/controller.go). F5 reads neither
this nor ingress-nginx's reading of `MERGEABLE_ANNOTATION`: each is one controller's."""


def ingress_routes(spec: Mapping[str, Any]) -> set[RouteKey]:
    """The routes of an Ingress: each rule's host with each of its paths (an F5 master has none: it holds the host
    for its minions). A path left out, which `ImplementationSpecific` allows, is `/` to both controllers."""
    return {(dns(rule.get("host")), MATCH_KINDS.get(str(entry.get("pathType")), "prefix"),
             str(entry.get("path") or "/"))
            for rule in spec.get("rules") or [] if rule.get("host")
            for entry in (rule.get("http") or {}).get("paths") or []}


def route_matches(spec: Mapping[str, Any]) -> set[PathMatch]:
    """The paths an HTTPRoute's rules serve every request of: a rule without matches, or a match without a path,
    matches `PathPrefix /` (Gateway API HTTPRouteRule `matches` and HTTPRouteMatch `path` defaults). A match that
    also requires headers, query parameters or a method serves only some requests of its path: gangplank's canary
    and A/B rules always come with a rule of the same paths without them (components/apps/routes.py)."""
    found: set[PathMatch] = set()
    for rule in spec.get("rules") or []:
        for match in rule.get("matches") or [{}]:
            if match.get("headers") or match.get("queryParams") or match.get("method"):
                continue
            path = match.get("path") or {}
            kind = MATCH_KINDS.get(str(path.get("type", "PathPrefix")))
            if kind is not None:
                found.add((kind, str(path.get("value", "/"))))
    return found


def http_route_routes(spec: Mapping[str, Any]) -> set[RouteKey]:
    """The routes of an HTTPRoute: its hostnames with its paths. One without hostnames matches every host (Gateway
    API `hostnames`): gangplank's only such route is the port-80 redirect, which serves no app, so it adds none."""
    return {(dns(host), kind, path) for host in spec.get("hostnames") or [] for kind, path in route_matches(spec)}


@dataclass(frozen=True)
class _Ingress:
    """An Ingress as the rehearsal sees it."""

    klass: str
    hosts: frozenset[str]
    routes: frozenset[RouteKey]
    mergeable: str | None
    """`master`, `minion` or None (F5's `MERGEABLE_ANNOTATION`)."""
    canary: bool
    """An ingress-nginx canary (`CANARY`)."""


@dataclass
class _Route:
    """An HTTPRoute as the rehearsal sees it: where it attaches, its hosts and paths, and which of the hosts the
    proxies serve yet."""

    namespace: str
    parents: list[Mapping[str, Any]]
    hostnames: set[str]
    serving: set[str]
    """The hosts the proxies serve from it by now: all of them once it settled (`Cluster.settle`)."""
    matches: set[PathMatch] = field(default_factory=set)
    """The paths its rules serve (`route_matches`)."""
    serving_matches: set[PathMatch] = field(default_factory=set)
    """Of those, the ones the proxies serve by now, like `serving`."""


@dataclass
class Cluster:
    """What decides whether a load balancer serves a host and its paths: the Ingresses by class, each NLB's
    controller class; on a Gateway API edge, the Gateway behind the NLB (through its GatewayClass's EnvoyProxy), its
    listeners and the HTTPRoutes attached to them."""

    ingresses: dict[str, _Ingress] = field(default_factory=dict)
    """Ingress URN -> its class, hosts, routes and F5 role."""
    classes: dict[str, str] = field(default_factory=dict)
    """Namespace of a controller release -> its IngressClass."""
    merging: set[str] = field(default_factory=set)
    """IngressClasses of F5 controllers: minions serve only under a master of their host."""
    _views: dict[str, _ClassView] = field(default_factory=dict)
    """IngressClass -> what its controller serves, worked out once per state (`_view`): the rehearsal asks after
    every call, for every host and path, and an estate has thousands."""
    proxies: dict[str, str] = field(default_factory=dict)
    """EnvoyProxy URN -> its namespace (where Envoy Gateway makes the NLB's Service)."""
    proxy_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """EnvoyProxy URN -> (namespace, name)."""
    gateway_classes: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    """GatewayClass name -> (namespace, name) of the EnvoyProxy its `parametersRef` names."""
    gateways: dict[str, tuple[str, str, str, list[Mapping[str, Any]]]] = field(default_factory=dict)
    """Gateway URN -> (namespace, name, class, listeners)."""
    routes: dict[str, _Route] = field(default_factory=dict)
    """HTTPRoute URN -> the route."""

    def apply(self, reg: Registration, deleted: bool = False, waited: bool = True) -> None:
        """`reg` created or updated (or `deleted`). `waited`: the change waited until the controller took the object
        (an Ingress: pulumi-kubernetes' Ingress await; an HTTPRoute: its `pulumi.com/waitFor`, `waits_for_acceptance`);
        a route that was not waited for serves new hosts only once the change is over (`settle`)."""
        if reg.type == INGRESS:
            self._views.clear()
            if deleted:
                self.ingresses.pop(reg.urn, None)
            else:
                spec = reg.inputs.get("spec") or {}
                annotations = (reg.inputs.get("metadata") or {}).get("annotations") or {}
                self.ingresses[reg.urn] = _Ingress(
                    str(spec.get("ingressClassName")),
                    frozenset(dns(rule.get("host")) for rule in spec.get("rules") or []),
                    frozenset(ingress_routes(spec)), annotations.get(MERGEABLE_ANNOTATION),
                    annotations.get(CANARY) == "true")
        elif reg.type == HELM_RELEASE:
            self._views.clear()
            namespace = str(reg.inputs.get("namespace") or "default")
            klass = release_class(reg.inputs.get("values"))
            previous = self.classes.pop(namespace, None)
            if previous is not None:
                self.merging.discard(previous)
            if not deleted and klass is not None:
                self.classes[namespace] = klass
                if merges_ingresses(reg.inputs.get("values")):
                    self.merging.add(klass)
        elif reg.type in (ENVOY_PROXY, GATEWAY_CLASS, GATEWAY, HTTP_ROUTE):
            self._apply_gateway_api(reg, deleted, waited)

    def _apply_gateway_api(self, reg: Registration, deleted: bool, waited: bool) -> None:
        metadata = reg.inputs.get("metadata") or {}
        spec = reg.inputs.get("spec") or {}
        namespace, name = str(metadata.get("namespace") or "default"), str(metadata.get("name"))
        if deleted:
            for table in (self.proxy_names, self.gateways, self.routes):
                table.pop(reg.urn, None)  # type: ignore[attr-defined]
            if reg.type == GATEWAY_CLASS:
                self.gateway_classes.pop(name, None)
        elif reg.type == ENVOY_PROXY:
            self.proxy_names[reg.urn] = (namespace, name)
        elif reg.type == GATEWAY_CLASS:
            ref = spec.get("parametersRef") or {}
            self.gateway_classes[name] = ((str(ref.get("namespace")), str(ref.get("name")))
                                          if ref.get("kind") == "EnvoyProxy" else None)
        elif reg.type == GATEWAY:
            self.gateways[reg.urn] = (namespace, name, str(spec.get("gatewayClassName")),
                                      list(spec.get("listeners") or []))
        else:
            hostnames = {dns(host) for host in spec.get("hostnames") or []}
            before = self.routes.get(reg.urn)
            # Updated without a wait: the proxies keep serving what they served (of the hosts it still names) until
            # the change is over; created without one: nothing yet.
            matches = route_matches(spec)
            if waited:
                serving, serving_matches = hostnames, matches
            elif before is not None:
                serving, serving_matches = before.serving & hostnames, before.serving_matches & matches
            else:
                serving, serving_matches = set(), set()
            self.routes[reg.urn] = _Route(namespace, list(spec.get("parentRefs") or []), hostnames, serving, matches,
                                          serving_matches)

    def _view(self, klass: str) -> _ClassView:
        view = self._views.get(klass)
        if view is None:
            view = self._views[klass] = _ClassView.of(
                [ingress for ingress in self.ingresses.values() if ingress.klass == klass], klass in self.merging)
        return view

    def masterless(self, namespace: str, host: str) -> bool:
        """Whether the F5 controller behind a namespace's NLB has minions for `host` but no master: it ignores them."""
        klass = self.classes.get(namespace)
        return klass is not None and host in self._view(klass).masterless

    def settle(self) -> None:
        """The change is over: every route serves what it names (its controller had the time to program it)."""
        for route in self.routes.values():
            route.serving, route.serving_matches = set(route.hostnames), set(route.matches)

    def serves(self, namespace: str, host: str, path: PathMatch | None = None) -> bool | None:
        """Whether the controller behind a namespace's NLB serves `host` (and, given one of its paths, that path):
        has an Ingress of its class for it (`_ClassView`), or (a Gateway API edge) an HTTPRoute for it attached to
        the listener behind the NLB's TLS port; None if it is not a known one."""
        klass = self.classes.get(namespace)
        if klass is not None:
            view = self._view(klass)
            return host in view.hosts if path is None else (host, *path) in view.routes
        proxies = {ref for ref in self.proxy_names.values() if ref[0] == namespace}
        gateways = [gateway for gateway in self.gateways.values() if self.gateway_classes.get(gateway[2]) in proxies]
        if not gateways:
            return None
        return any(host in attached.serving and _covers(attached.hostnames, host)
                   and (path is None or path in attached.serving_matches) and _attached(attached, gateway)
                   for gateway in gateways for attached in self.routes.values())


@dataclass(frozen=True)
class _ClassView:
    """What the controller of one IngressClass serves, from its Ingresses: the hosts and routes of each, except an
    ingress-nginx canary's (`CANARY`) and, on F5, a minion's whose host no master holds ("Ingress master is invalid
    or doesn't exist": internal/k8s/configuration.go buildMinionConfigs at v5.5.4, as tests/fakes/ingress_servers.py
    `f5_servers`). Not modelled: which of two Ingresses of one host (F5: "host is taken") or path wins, an order the
    controllers decide by creation time."""

    hosts: frozenset[str]
    routes: frozenset[RouteKey]
    masterless: frozenset[str]
    """F5: hosts with minions and no master."""

    @classmethod
    def of(cls, ingresses: list[_Ingress], merging: bool) -> _ClassView:
        mastered = {host for ingress in ingresses if ingress.mergeable == "master" for host in ingress.hosts}
        hosts: set[str] = set()
        routes: set[RouteKey] = set()
        masterless: set[str] = set()
        for ingress in ingresses:
            if ingress.canary and not merging:
                continue
            orphaned = ingress.hosts - mastered if merging and ingress.mergeable == "minion" else frozenset()
            masterless |= orphaned
            hosts |= ingress.hosts - orphaned
            routes |= {route for route in ingress.routes if route[0] not in orphaned}
        return cls(frozenset(hosts), frozenset(routes), frozenset(masterless))


def release_class(values: Any) -> str | None:
    """The IngressClass a controller chart's values create: F5's `controller.ingressClass.name`, ingress-nginx's
    `controller.ingressClassResource.name` (their values.yaml: the flavors set these, components/flavors)."""
    controller = (values or {}).get("controller") if isinstance(values, Mapping) else None
    if not isinstance(controller, Mapping):
        return None
    for key in ("ingressClassResource", "ingressClass"):
        value = controller.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("name"), str):
            return value["name"]
    return None


def merges_ingresses(values: Any) -> bool:
    """Whether a controller chart's values are F5's (`controller.ingressClass` a map, components/flavors/nginx_inc.py),
    whose controller merges master and minion Ingresses; ingress-nginx's (`controller.ingressClassResource`, its
    `controller.ingressClass` a string) ignores the annotation."""
    controller = (values or {}).get("controller") if isinstance(values, Mapping) else None
    return (isinstance(controller, Mapping) and "ingressClassResource" not in controller
            and isinstance(controller.get("ingressClass"), Mapping))


TLS_PORT = 443
"""The NLB's TLS listener, whose port Envoy Gateway's Service takes from the Gateway listener of the same port
(planner/rehearse_ec2.py `proxy_config`): the listener that serves apps."""


def _covers(hostnames: set[str], host: str) -> bool:
    """Gateway API `hostnames`: none means every host; `*.zone` one label or more under the zone (apis/v1/
    httproute_types.go `Hostnames`)."""
    return not hostnames or host in hostnames or any(
        name.startswith("*.") and host.endswith(name[1:]) for name in hostnames)


def _attached(route: _Route, gateway: tuple[str, str, str, list[Mapping[str, Any]]]) -> bool:
    """Whether a route attaches to the gateway's TLS-port listener: a parentRef names the Gateway (its namespace
    defaulting to the route's) and that listener or none (Gateway API ParentReference: no `sectionName` attaches to
    every listener), and the listener admits the route's namespace (`allowedRoutes.namespaces.from`: `Same`, its
    default, the Gateway's own; `All`; a `Selector` is not modelled: false) and kind (`allowedRoutes.kinds`, default
    the listener protocol's: HTTPRoute for HTTP)."""
    namespace, name, _, listeners = gateway
    for listener in listeners:
        if int(listener.get("port") or 0) != TLS_PORT:
            continue
        allowed = listener.get("allowedRoutes") or {}
        source = (allowed.get("namespaces") or {}).get("from", "Same")
        if not (source == "All" or (source == "Same" and route.namespace == namespace)):
            continue
        kinds = allowed.get("kinds")
        if kinds is not None and not any(kind.get("kind") == "HTTPRoute" and kind.get("group", GATEWAY_GROUP)
                                         == GATEWAY_GROUP for kind in kinds):
            continue
        for ref in route.parents:
            if (ref.get("kind", "Gateway") == "Gateway" and ref.get("group", GATEWAY_GROUP) == GATEWAY_GROUP
                    and ref.get("name") == name and ref.get("namespace", route.namespace) == namespace
                    and ref.get("sectionName", listener.get("name")) == listener.get("name")
                    and int(ref.get("port", TLS_PORT)) == TLS_PORT):
                return True
    return False


GATEWAY_GROUP = "gateway.networking.k8s.io"
