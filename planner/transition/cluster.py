"""What decides whether a load balancer serves a host during a change: the Ingresses by class and each
NLB's controller class, or on a Gateway API edge the Gateway behind the NLB, its listeners and the HTTPRoutes
attached to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from planner.mocks.monitor import Registration
from planner.resource_types import ENVOY_PROXY, GATEWAY, GATEWAY_CLASS, HELM_RELEASE, HTTP_ROUTE, INGRESS
from planner.route53_model import dns


@dataclass
class _Route:
    """An HTTPRoute as the rehearsal sees it: where it attaches, its hosts, and which of them the proxies serve yet."""

    namespace: str
    parents: list[Mapping[str, Any]]
    hostnames: set[str]
    serving: set[str]
    """The hosts the proxies serve from it by now: all of them once it settled (`Cluster.settle`)."""


@dataclass
class Cluster:
    """What decides whether a load balancer serves a host: the Ingresses by class, each NLB's controller class; on a
    Gateway API edge, the Gateway behind the NLB (through its GatewayClass's EnvoyProxy), its listeners and the
    HTTPRoutes attached to them."""

    ingresses: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    """Ingress URN -> (its class, its rules' hosts)."""
    classes: dict[str, str] = field(default_factory=dict)
    """Namespace of a controller release -> its IngressClass."""
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
            if deleted:
                self.ingresses.pop(reg.urn, None)
            else:
                spec = reg.inputs.get("spec") or {}
                self.ingresses[reg.urn] = (str(spec.get("ingressClassName")),
                                           {dns(rule.get("host")) for rule in spec.get("rules") or []})
        elif reg.type == HELM_RELEASE:
            namespace = str(reg.inputs.get("namespace") or "default")
            klass = release_class(reg.inputs.get("values"))
            if deleted or klass is None:
                self.classes.pop(namespace, None)
            else:
                self.classes[namespace] = klass
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
            serving = hostnames if waited else (before.serving & hostnames if before is not None else set())
            self.routes[reg.urn] = _Route(namespace, list(spec.get("parentRefs") or []), hostnames, serving)

    def settle(self) -> None:
        """The change is over: every route serves what it names (its controller had the time to program it)."""
        for route in self.routes.values():
            route.serving = set(route.hostnames)

    def serves(self, namespace: str, host: str) -> bool | None:
        """Whether the controller behind a namespace's NLB serves `host`: has an Ingress of its class for it, or (a
        Gateway API edge) a route for it attached to the listener behind the NLB's TLS port; None if it is not a known
        one."""
        klass = self.classes.get(namespace)
        if klass is not None:
            return any(host in hosts for ingress_class, hosts in self.ingresses.values() if ingress_class == klass)
        proxies = {ref for ref in self.proxy_names.values() if ref[0] == namespace}
        gateways = [gateway for gateway in self.gateways.values() if self.gateway_classes.get(gateway[2]) in proxies]
        if not gateways:
            return None
        return any(host in route.serving and _covers(route.hostnames, host) and _attached(route, gateway)
                   for gateway in gateways for route in self.routes.values())


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
