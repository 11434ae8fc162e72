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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from planner.edge_moves import ALIAS_TTL_S
from planner.mocks.monitor import Registration
from planner.mocks.providers import load_balancer_services
from planner.mocks.wire import UNKNOWN_SHOWN_AS
from planner.rehearse import Line, _Replay, create, describe, emulator, outcome
from planner.resource_types import (
    ENVOY_PROXY,
    HELM_RELEASE,
    HTTP_ROUTE,
    INGRESS,
    INGRESS_RULE,
    RECORD,
    SECURITY_GROUP,
)
from planner.route53_model import RecordSet, dns
from planner.transition.cluster import Cluster, PathMatch, RouteKey, http_route_routes, ingress_routes
from planner.transition.wait_for import waits_for_acceptance

EDGE_RECORD_PREFIX = "_edge-"
"""Names of a moving edge's weighted records (components/platform/edge_traffic.py): not a host of an app."""
FIRST = {RECORD: 0}
LAST = {INGRESS: 2}


@dataclass(frozen=True)
class Step:
    """One `pulumi up`: a name for people and the program run's registrations (`plan` mode)."""

    name: str
    registrations: Sequence[Registration]


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

    def __init__(self, replay: _Replay, cluster: Cluster, before: Sequence[Registration],
                 after: Sequence[Registration]) -> None:
        self.replay, self.cluster = replay, cluster
        self.before = {reg.urn: reg for reg in before}
        self.after = {reg.urn: reg for reg in after}
        self.lines: list[Line] = []
        self.watched = sorted(self._served(before) & self._served(after))
        """(zone id as the plans name it, host, record type) of every host both plans answer for."""
        self.paths_of: dict[str, list[PathMatch]] = {}
        """Host -> the paths both plans route on it: each must reach an app all along, not only the host."""
        for host, kind, path in sorted(self._routes(before) & self._routes(after)):
            self.paths_of.setdefault(host, []).append((kind, path))
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

    @staticmethod
    def _routes(regs: Sequence[Registration]) -> set[RouteKey]:
        """The routes of every Ingress and HTTPRoute of a plan."""
        found: set[RouteKey] = set()
        for reg in regs:
            spec = reg.inputs.get("spec") or {}
            if reg.type == INGRESS:
                found |= ingress_routes(spec)
            elif reg.type == HTTP_ROUTE:
                found |= http_route_routes(spec)
        return found

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
                        what = ("has only minions for it and no master, so F5 ignores them"
                                if self.cluster.masterless(namespace, host) else
                                "has no Ingress for it" if namespace in self.cluster.classes else
                                "serves no route for it on its Gateway yet")
                        problem = (f"after {after}, {record_type} {host} may resolve to the NLB of {namespace}, "
                                   f"whose controller {what} (it would answer 404)")
                        break
                    if serves:
                        missing = [(kind, path) for kind, path in self.paths_of.get(host, ())
                                   if not self.cluster.serves(namespace, host, (kind, path))]
                        if missing:
                            kind, path = missing[0]
                            problem = (f"after {after}, {record_type} {host} may resolve to the NLB of {namespace}, "
                                       f"whose controller serves the host but not its {kind} path {path} (a request "
                                       "for it would reach the app of a shorter prefix of the host, or 404)")
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
        cluster = Cluster()
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
