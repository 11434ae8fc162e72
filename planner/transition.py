"""A change rehearsed: one `pulumi up` from the state of one plan to another, replayed into moto step by step.

`rehearse_steps(steps)` replays the first plan as a first deploy (`planner.rehearse`), then each next plan
as the change `pulumi up` makes from the one before, in the order the engine makes it:

- first every create, update and replacement, as the program registers them: a resource once every
  resource it depends on is done (pulumi/pulumi pkg/resource/deploy/deployment_executor.go, Execute: the
  step executor runs each registration's steps; a registration resolves when its step completed, and the
  language host ends only once every registration resolved);
- then the deletes of what the new program no longer declares, dependents before what they depend on
  (deployment_executor.go performDeletes: "once the program has completed", GenerateDeletes and
  ScheduleDeletes, antichain by antichain). A replaced resource is created first and its old self
  deleted in that phase, unless `deleteBeforeReplace`.

Of the legal orders, the replay takes the worst for DNS: every record change as early as its dependencies
allow, every Ingress as late, and in the delete phase every load balancer and Ingress as early as their
dependents allow. Records are changed as terraform-provider-aws changes them (internal/service/route53/
record.go): a change of `name` or `zone_id` (ForceNew) is a replacement; one of `type` or `set_identifier`
a DELETE and a CREATE in one transactional batch (resourceRecordUpdate); any other an UPSERT.

After every call, each host that both plans serve must still be answered: Route53 must resolve it to a
load balancer that exists (`planner.route53_model.RecordSets.answers`), and each load balancer it may
resolve to must belong to a controller that has an Ingress for it (a load balancer whose controller does
not know the host answers 404). A call after which a host has no answer, or an answer that does not serve
it, is a `rejected` line naming the host and what happened: the outage a client would see, cached for
15 minutes when the answer is empty (`planner.route53_model`).
"""

from __future__ import annotations

import heapq
import itertools
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.edge_moves import ALIAS_TTL_S
from planner.mocks import UNKNOWN_SHOWN_AS, Registration, load_balancer_services
from planner.rehearse import Line, _Replay, create, describe, emulator, outcome
from planner.resource_types import (
    ENVOY_PROXY,
    GATEWAY,
    GATEWAY_CLASS,
    HELM_RELEASE,
    HTTP_ROUTE,
    INGRESS,
    INGRESS_RULE,
    RECORD,
    SECURITY_GROUP,
)
from planner.route53_model import RecordSet, dns

EDGE_RECORD_PREFIX = "_edge-"
"""Names of a moving edge's weighted records (components/platform/edge_traffic.py): not a host of an app."""
FIRST = {RECORD: 0}
LAST = {INGRESS: 2}


@dataclass(frozen=True)
class Step:
    """One `pulumi up`: a name for people and the program run's registrations (`plan` mode)."""

    name: str
    registrations: Sequence[Registration]


@dataclass
class _Route:
    """An HTTPRoute as the rehearsal sees it: where it attaches, its hosts, and which of them the proxies serve yet."""

    namespace: str
    parents: list[Mapping[str, Any]]
    hostnames: set[str]
    serving: set[str]
    """The hosts the proxies serve from it by now: all of them once it settled (`_Cluster.settle`)."""


@dataclass
class _Cluster:
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


def waits_for_acceptance(reg: Registration, accepted_by: str = "") -> bool:
    """Whether pulumi-kubernetes ends the route's create only once its Gateway accepted it: its `pulumi.com/waitFor`
    (components/flavors/gateway_api.py `accepted_wait`) holds for the status the controller writes when it accepts
    the route on each parentRef, and does not for the route as just stored (no status)."""
    manifest = {**reg.inputs, "status": None}
    refs = (reg.inputs.get("spec") or {}).get("parentRefs") or []
    accepted = {**reg.inputs, "status": {"parents": [
        {"parentRef": dict(ref), "controllerName": accepted_by,
         "conditions": [{"type": "Accepted", "status": "True"}, {"type": "ResolvedRefs", "status": "True"}]}
        for ref in refs]}}
    return wait_for_holds(manifest, accepted) and not wait_for_holds(manifest, manifest)


def wait_for_holds(manifest: Mapping[str, Any], observed: Mapping[str, Any]) -> bool:
    """Whether `observed` (the object as the API server holds it) satisfies the `pulumi.com/waitFor` annotation of
    `manifest`, as pulumi-kubernetes v4.34 decides (provider/pkg/metadata/overrides.go `ReadyCondition`: a JSON array of
    expressions, or one; each must hold. provider/pkg/jsonpath/jsonpath.go `Parse`: `jsonpath=` then `{path}` or
    `{path}=value`, "==" kept whole, the path read as RFC 9535 JSONPath from `$`; `Matches`: the first value the path
    selects, compared as text. provider/pkg/await/condition/custom.go `NewCustom`: `condition=Type[=value]`, the
    value `True` by default, on `status.conditions`). No annotation: False (nothing is waited for)."""
    import json

    text = ((manifest.get("metadata") or {}).get("annotations") or {}).get("pulumi.com/waitFor")
    if not text:
        return False
    try:
        expressions = json.loads(text)
    except json.JSONDecodeError:
        expressions = [text]
    if isinstance(expressions, str):
        expressions = [expressions]
    return bool(expressions) and all(_holds(str(expression), observed) for expression in expressions)


def _holds(expression: str, observed: Mapping[str, Any]) -> bool:
    import re

    import jsonpath_rfc9535

    if expression.startswith("condition="):
        kind, _, value = expression.removeprefix("condition=").partition("=")
        conditions = ((observed.get("status") or {}).get("conditions") or [])
        return any(c.get("type") == kind and str(c.get("status")) == (value or "True") for c in conditions)
    if not expression.startswith("jsonpath="):
        return False
    parts = expression.removeprefix("jsonpath=").replace("==", "\0").split("=")
    if len(parts) > 2:
        return False
    path = parts[0].replace("\0", "==")
    value = parts[1].replace("\0", "==") if len(parts) == 2 else ""
    found = re.search(r"\{\s*(.*?)\s*\}", path)
    if found is None:
        return False
    query = found.group(1) if found.group(1).startswith("$") else "$" + found.group(1)
    selected = [node.value for node in jsonpath_rfc9535.compile(query).find(dict(observed))]
    if not selected:
        return False
    first = selected[0]
    if isinstance(first, (dict, list)):
        return not value
    shown = {True: "true", False: "false"}.get(first, first) if isinstance(first, bool) else first
    return not value or str(shown) == value


def _labels(regs: Sequence[Registration]) -> dict[str, Registration]:
    return {reg.label: reg for reg in regs}


def _topological(regs: Sequence[Registration], priority: Mapping[str, int], reverse: bool = False
                 ) -> list[Registration]:
    """Registrations in an order the engine may run them (dependencies first; `reverse`: dependents first), among
    the ready ones by `priority` of their type (default 1), then URN."""
    by_label = _labels(regs)
    edges: dict[str, set[str]] = {label: set() for label in by_label}
    for reg in regs:
        for dep in reg.dependencies:
            if dep in by_label and dep != reg.label:
                if reverse:
                    edges[reg.label].add(dep)
                else:
                    edges[dep].add(reg.label)
    waiting = {label: 0 for label in by_label}
    for targets in edges.values():
        for target in targets:
            waiting[target] += 1
    ready = [(priority.get(by_label[label].type, 1), by_label[label].urn, label) for label, n in waiting.items()
             if n == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, _, label = heapq.heappop(ready)
        ordered.append(by_label[label])
        for target in sorted(edges[label]):
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(ready, (priority.get(by_label[target].type, 1), by_label[target].urn, target))
    ordered += [reg for label, reg in by_label.items() if reg not in ordered]  # a cycle: left as declared
    return ordered


def _is_aws_change(reg: Registration) -> bool:
    return reg.id is not None or reg.read


class _Transition:
    """One change from `before` to `after` in a replay that holds the state of `before`."""

    def __init__(self, replay: _Replay, cluster: _Cluster, before: Sequence[Registration],
                 after: Sequence[Registration]) -> None:
        self.replay, self.cluster = replay, cluster
        self.before = {reg.urn: reg for reg in before}
        self.after = {reg.urn: reg for reg in after}
        self.lines: list[Line] = []
        self.watched = sorted(self._served(before) & self._served(after))
        """(zone id as the plans name it, host, record type) of every host both plans answer for."""
        self.broken: set[tuple[str, str]] = set()
        self.answered_before: dict[str, set[str]] = {}
        """Namespace of a load balancer -> the watched hosts it answered for when the change began: resolvers may
        hold that answer for the alias's TTL whatever the change does to the records."""

    @staticmethod
    def _served(regs: Sequence[Registration]) -> set[tuple[str, str, str]]:
        """(zone id as the plan names it, or "" for the zone that holds the name; host; record type) of every name
        the plan answers for: hosts with alias records of their own, and the hosts of Ingresses and routes (which
        a zone's wildcard may answer for)."""
        served = {(str(reg.inputs.get("zoneId")), dns(reg.inputs.get("name")), str(reg.inputs.get("type")))
                  for reg in regs if reg.type == RECORD and reg.inputs.get("aliases")
                  and not dns(reg.inputs.get("name")).startswith((EDGE_RECORD_PREFIX, "*."))}
        for reg in regs:
            spec = reg.inputs.get("spec") or {}
            hosts = ([rule.get("host") for rule in spec.get("rules") or []] if reg.type == INGRESS else
                     spec.get("hostnames") or [] if reg.type == HTTP_ROUTE else [])
            served |= {("", dns(host), "A") for host in hosts if host}
        return served

    def run(self) -> list[Line]:
        deletes: list[Registration] = []
        replaced: list[Registration] = []
        for host, namespaces in self._answers().items():
            for namespace in namespaces:
                self.answered_before.setdefault(namespace, set()).add(host)
        for reg in _topological(list(self.after.values()), {**FIRST, **LAST}):
            if not _is_aws_change(reg):
                continue
            old = self.before.get(reg.urn)
            if reg.read:
                self.lines += create(self.replay, reg)  # reads run again in every update
            elif old is None:
                self.lines += create(self.replay, reg)
                self.cluster.apply(reg, waited=self._waited(reg))
            elif old.inputs != reg.inputs:
                if self._replaces(old, reg):
                    if reg.options.get("deleteBeforeReplace"):
                        self._delete(old)
                        self._check(f"{old.label} (deleted to be replaced)")
                    else:
                        replaced.append(old)
                    self.lines += create(self.replay, reg)
                    self.cluster.apply(reg, waited=self._waited(reg))
                else:
                    self._update(old, reg)
                    # An update's wait may be satisfied by the last generation's condition (`accepted_wait`).
                    self.cluster.apply(reg, waited=reg.type != HTTP_ROUTE)
            self._check(reg.label)
        gone = [reg for urn, reg in self.before.items() if urn not in self.after]
        deletes = _topological(gone + replaced, {HELM_RELEASE: 0, INGRESS: 0, RECORD: 2}, reverse=True)
        for reg in deletes:
            if _is_aws_change(reg) and not reg.read:
                self._delete(reg)
                self._check(f"{reg.label} (deleted)")
        self.cluster.settle()
        return self.lines

    def _waited(self, reg: Registration) -> bool:
        """Whether the create of `reg` ends only once its controller took it: an HTTPRoute whose `pulumi.com/waitFor`
        waits for its Gateway's acceptance (`waits_for_acceptance`); anything else the model serves from its create
        (an Ingress: pulumi-kubernetes' Ingress await)."""
        return reg.type != HTTP_ROUTE or waits_for_acceptance(reg)

    def _answers(self) -> dict[str, set[str]]:
        """Watched host -> the namespaces of the load balancers Route53 answers it with now."""
        found: dict[str, set[str]] = {}
        for plan_zone, host, record_type in self.watched:
            zone_id = self.replay.value(plan_zone) if plan_zone else self._zone_holding(host)
            if zone_id not in self.replay.record_sets.zones:
                continue
            targets, _ = self.replay.record_sets.answers(zone_id, host, record_type, self.replay.is_load_balancer)
            found[host] = {namespace for target in targets
                           if (namespace := self.replay.namespace_of(target)) is not None}
        return found

    def _cached(self, namespace: str, after: str) -> None:
        """A load balancer deleted in the change that answered for hosts when it began: a resolver that asked just
        before keeps its addresses for the alias's TTL, and its clients reach a deleted load balancer."""
        for host in sorted(self.answered_before.get(namespace, ())):
            if (host, "cached") in self.broken:
                continue
            self.broken.add((host, "cached"))
            self.lines.append(Line("rejected", f"clients of {host}", (
                f"after {after}, clients whose resolvers cached {host} before this change may still be sent to the "
                f"NLB of {namespace}, which answered for it then (an alias to a load balancer lives {ALIAS_TTL_S} s) "
                "and is now deleted: first take it out of the answers (a move's weight 0 for the controller that "
                "goes, 100 for the one that stays) in a `pulumi up` of its own")))

    @staticmethod
    def _replaces(old: Registration, new: Registration) -> bool:
        """Whether the change replaces the resource: a record's `name` or `zone_id` (ForceNew in record.go), or an
        input named in the resource's `replaceOnChanges` option (a controller release's `chart`: another flavor)."""
        keys = ["name", "zoneId"] if new.type == RECORD else []
        keys += new.options.get("replaceOnChanges") or []
        return any(old.inputs.get(key) != new.inputs.get(key) for key in keys)

    def _record(self, reg: Registration) -> tuple[str, RecordSet]:
        zone_id, _ = self.replay.record_zone(reg)
        zone_name, _ = self.replay.zones[zone_id]
        return zone_id, self.replay.record_set(reg.inputs, zone_name)

    def _update(self, old: Registration, new: Registration) -> None:
        if UNKNOWN_SHOWN_AS in str(new.inputs):
            self.lines.append(Line("skipped", new.label, "inputs unknown: the rehearsal replays `plan` mode only"))
            return
        if not new.type.startswith("aws:"):
            self.lines.append(Line("skipped", new.label, "updated: not an AWS resource"))
            return
        if new.type != RECORD:
            self.lines.append(Line("skipped", new.label, "updated in place: not replayed (of the AWS resources, only "
                                                         "records' updates are)"))
            return

        def upsert() -> str:
            zone_id, before = self._record(old)
            _, after = self._record(new)
            if (before.type, before.set_identifier) == (after.type, after.set_identifier):
                self.replay.change_records(zone_id, [("UPSERT", after)])
                return f"update: UPSERT {describe(after)}"
            self.replay.change_records(zone_id, [("DELETE", before), ("CREATE", after)])
            return f"update: DELETE {describe(before)} and CREATE {describe(after)} in one batch"

        self.lines.append(outcome(new.label, upsert))

    def _delete(self, reg: Registration) -> None:
        self.cluster.apply(reg, deleted=True)
        if reg.type == RECORD:
            def delete() -> str:
                zone_id, record = self._record(reg)
                self.replay.change_records(zone_id, [("DELETE", record)])
                return f"delete: DELETE {describe(record)}"

            self.lines.append(outcome(reg.label, delete))
        elif reg.type == HELM_RELEASE:
            namespace = str(reg.inputs.get("namespace") or "default")
            if any(True for _ in load_balancer_services(reg.inputs.get("values"))):
                self.lines.append(outcome(reg.label, self.replay.delete_load_balancer, namespace))
                self._cached(namespace, f"{reg.label} (deleted)")
        elif reg.type == ENVOY_PROXY:
            namespace = str((reg.inputs.get("metadata") or {}).get("namespace") or "default")
            if namespace in self.replay.load_balancers:
                self.lines.append(outcome(reg.label, self.replay.delete_load_balancer, namespace))
                self._cached(namespace, f"{reg.label} (deleted)")
        elif reg.type == SECURITY_GROUP:
            self.lines.append(outcome(reg.label, self.replay.delete_security_group, reg))
        elif reg.type == INGRESS_RULE:
            self.lines.append(outcome(reg.label, self.replay.revoke, reg))
        else:
            why = "not an AWS resource" if not reg.type.startswith("aws:") else "delete not replayed"
            self.lines.append(Line("skipped", reg.label, f"deleted: {why}"))

    def _zone_holding(self, host: str) -> str | None:
        """The replayed zone a host's name is in: the one with the longest name it ends with."""
        zones = [(len(zone.name), zone_id) for zone_id, zone in self.replay.record_sets.zones.items()
                 if host == zone.name or host.endswith("." + zone.name)]
        return max(zones)[1] if zones else None

    def _check(self, after: str) -> None:
        """Each watched host still answered, by controllers that serve it, after the call `after`."""
        for plan_zone, host, record_type in self.watched:
            zone_id = self.replay.value(plan_zone) if plan_zone else self._zone_holding(host)
            if zone_id not in self.replay.record_sets.zones or (host, record_type) in self.broken:
                continue
            targets, empty = self.replay.record_sets.answers(zone_id, host, record_type,
                                                             self.replay.is_load_balancer)
            problem = None
            if empty:
                problem = (f"after {after}, {record_type} {host} would have an empty answer (NXDOMAIN or no data), "
                           "cached by resolvers for the zone's negative-caching TTL (900 s with Route53's default "
                           "SOA)")
            else:
                for target in sorted(targets):
                    namespace = self.replay.namespace_of(target)
                    serves = self.cluster.serves(namespace, host) if namespace is not None else None
                    if serves is False:
                        what = ("has no Ingress for it" if namespace in self.cluster.classes else
                                "serves no route for it on its Gateway yet")
                        problem = (f"after {after}, {record_type} {host} may resolve to the NLB of {namespace}, "
                                   f"whose controller {what} (it would answer 404)")
                        break
                    if serves is None and (host, f"unknown {target}") not in self.broken:
                        self.broken.add((host, f"unknown {target}"))
                        self.lines.append(Line("skipped", f"clients of {host}", (
                            f"after {after}, {record_type} {host} may resolve to {target}, whose controller the "
                            "rehearsal does not know: whether it serves the host is not checked")))
            if problem is not None:
                self.broken.add((host, record_type))
                self.lines.append(Line("rejected", f"clients of {host}", problem))


def rehearse_steps(steps: Sequence[Step], region: str, vpc_cidr: str,
                   delegated_by_hand: bool = False) -> list[tuple[str, list[Line]]]:
    """Each step's lines: the first step as a first deploy, every next one as the change from the one before."""
    reports: list[tuple[str, list[Line]]] = []
    with emulator():
        first = steps[0].registrations
        replay = _Replay(region, vpc_cidr, [reg for reg in first if reg.read], delegated_by_hand,
                         [reg for reg in first if not reg.read])
        cluster = _Cluster()
        lines: list[Line] = []
        for reg in _topological(list(first), {}):
            if _is_aws_change(reg):
                lines += create(replay, reg)
            cluster.apply(reg)
        cluster.settle()
        reports.append((steps[0].name, lines))
        for before, after in itertools.pairwise(steps):
            replay.reads = [reg for reg in after.registrations if reg.read]
            replay.declared = [reg for reg in after.registrations if not reg.read]
            reports.append((after.name, _Transition(replay, cluster, before.registrations, after.registrations).run()))
    return reports


def rehearse_change(before: Any, after: Any, since: str = "before") -> list[tuple[str, list[Line]]]:
    """`rehearse_steps` for two `planner.run.ProgramRun`s in `plan` mode: the state of `before` (named `since`), then
    the change to `after`."""
    from planner.edge_moves import unsafe_move_changes
    from planner.mocks import MOCK_VPC_CIDR
    from planner.rollout.blockers import delegated_by_hand

    steps = [Step(name, [*run.monitor.registrations, *run.monitor.read_registrations])
             for name, run in ((since, before), (f"stack {after.stack}", after))]
    reports = rehearse_steps(steps, after.config.get("aws:region") or "us-east-1", MOCK_VPC_CIDR,
                             delegated_by_hand(after.config))
    # What no order of the engine's makes safe, but the replay cannot see (planner/edge_moves.py: why).
    name, lines = reports[-1]
    moves = [Line("rejected", f"gangplank:edges.{edge}.move", why)
             for edge, why in unsafe_move_changes({"outputs": before.outputs}, {"outputs": after.outputs})]
    return [*reports[:-1], (name, [*lines, *moves])]




def render_steps(steps: Sequence[tuple[str, Sequence[Line]]]) -> str:
    """Each step's lines and counts, then one verdict: whether AWS accepts every call and every host stays served."""
    out: list[str] = []
    for position, (name, lines) in enumerate(steps):
        counts = ", ".join(f"{sum(1 for line in lines if line.outcome == outcome)} {outcome}"
                           for outcome in ("accepted", "rejected", "skipped"))
        what = "as a first deploy" if position == 0 else "as the change from the step before"
        out += [f"== {name} ({what}): {counts}", *(str(line) for line in lines), ""]
    rejected = [line for _, lines in steps for line in lines if line.outcome == "rejected"]
    unserved = sorted({line.resource for line in rejected if line.resource.startswith("clients of ")})
    moves = [line for line in rejected if line.resource.startswith("gangplank:edges.")]
    refused = [line for line in rejected if not line.resource.startswith(("clients of ", "gangplank:edges."))]
    unchecked = sorted({line.resource.removeprefix("clients of ") for _, lines in steps for line in lines
                        if line.outcome == "skipped" and line.resource.startswith("clients of ")})
    if not rejected and unchecked:
        out += textwrap.wrap(f"AWS would accept every call, and every host stays answered at every call; whether "
                             f"its controller serves it was not checked for {len(unchecked)} host(s): "
                             + ", ".join(unchecked) + ".", width=100, break_long_words=False, break_on_hyphens=False)
    elif not rejected:
        out.append("AWS would accept every call, and every host stays answered and served at every call.")
    else:
        if refused:
            out.append(f"AWS would refuse {len(refused)} call(s).")
        for line in moves:
            out += textwrap.wrap(f"{line.resource}: {line.detail}.", width=100, break_long_words=False,
                                 break_on_hyphens=False)
        if unserved:
            out += textwrap.wrap(f"{len(unserved)} host(s) would go unanswered or unserved during a step: "
                                 + ", ".join(name.removeprefix("clients of ") for name in unserved) + ".",
                                 width=100, break_long_words=False, break_on_hyphens=False)
    return "\n".join(out) + "\n"
