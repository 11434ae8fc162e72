"""A rehearsal of `pulumi up` over a plan's dependency graph, with modeled durations.

`rollout(plan, ...)` walks the plan as the engine would: a resource starts when every resource it
depends on, and its parent's registration, is done (the SDK sends a registration only once the
URNs of its dependencies and parent resolved, and a registration resolves when its step
completed); at most `parallel` steps run at once; the UptimeRobot monitors share the account's
request rate. Each step takes the modeled duration of its type (`FIGURES`, each with its source).

It reports the waves (dependency levels), the critical path and its length, the schedule, and the
blockers: preconditions that cannot hold, each with the resource and what to do about it (a new
public zone nothing delegates to, monitors without an UptimeRobot key, a delegation through a
provider whose role is not configured, DNS validation in a private zone). A blocked resource and
everything after it never completes; the rest is scheduled as if the engine went on
(`--continue-on-error`).

`add_app_rollouts(plan, ...)` does the same for each app as if it were the one app added to a
running stack (what app teams wait for), and `change_rollout(base, head, ...)` for the resources a
pull request adds or changes.

Every function here is pure: the plan (the JSON contract), the stack config's keys and the
environment in; data out. Durations are a model, not a measurement: they show where time goes
and what cannot finish, not the minute a run will end.
"""

from __future__ import annotations

import heapq
import json
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from components.inputs.problems import InputError, Problem
from components.uptimerobot.client import RATE_ENV_VAR, ceiling_from_env
from components.uptimerobot.provider import API_KEY_CONFIG, API_KEY_ENV
from planner.edge_moves import move_rollout
from planner.mocks import UNKNOWN_SHOWN_AS
from planner.render import table
from planner.resource_types import CERTIFICATE, MONITOR, RECORD, VALIDATION, ZONE

FREE_PLAN_RATE_PER_MINUTE = 10
"""UptimeRobot's API rate on the free plan (API v3 documentation, "Rate limits": 10 requests a minute)."""
PAID_PLAN_RATE_PER_MONITOR = 2
PAID_PLAN_MAX_RATE_PER_MINUTE = 5000
"""Paid plans: the plan's monitor limit x 2 requests a minute, at most 5,000 (same page)."""


DEFAULT_PARALLEL = 16
"""`pulumi up`'s default parallelism is 4 x GOMAXPROCS (pulumi pkg/cmd/pulumi/operations/up.go,
defaultParallel, see pulumi/pulumi#14989; `PULUMI_PARALLEL` overrides it). The deploy workflow
runs on GitHub-hosted Linux runners, which have 4 vCPUs for public repositories: 16."""

VALIDATION_TIMEOUT_S = 75 * 60
"""terraform-provider-aws aws_acm_certificate_validation: default create timeout 75 minutes
(internal/service/acm/certificate_validation.go); `customTimeouts.create` replaces it."""

UPTIMEROBOT_CALL_S = 1.0
"""One UptimeRobot API request's own latency (the pacing between requests is the rate)."""


@dataclass(frozen=True)
class Figure:
    """A modeled duration and where it comes from."""

    seconds: float
    source: str


R53_INSYNC = ("Route53 change INSYNC: terraform-provider-aws waits for it after every change "
              "(internal/service/route53/record.go, waitChangeInsync); AWS: changes generally reach all "
              "Route53 authoritative servers within 60 seconds (API reference, ChangeResourceRecordSets)")

FIGURES: dict[str, dict[str, Figure]] = {
    ZONE: {
        "create": Figure(60, "CreateHostedZone, then INSYNC (terraform-provider-aws route53 zone.go waits for "
                             "the change); " + R53_INSYNC),
        "update": Figure(5, "UpdateHostedZoneComment / tags: one API call"),
        "import": Figure(2, "import reads the existing zone (GetHostedZone)"),
        "delete": Figure(60, "DeleteHostedZone, then INSYNC"),
    },
    RECORD: {
        "create": Figure(60, R53_INSYNC),
        "update": Figure(60, "UPSERT, then INSYNC; " + R53_INSYNC),
        "delete": Figure(60, "DELETE, then INSYNC; " + R53_INSYNC),
    },
    CERTIFICATE: {
        "create": Figure(10, "RequestCertificate, then wait until ACM lists the DNS validation records (seconds; "
                             "terraform-provider-aws acm certificate.go waits for domain_validation_options)"),
        "update": Figure(5, "tags: one API call"),
        "delete": Figure(5, "DeleteCertificate"),
    },
    VALIDATION: {
        "create": Figure(600, "ACM validates once its CNAME resolves publicly: commonly 5-15 minutes for records "
                              "in Route53 (field reports; the ACM user guide gives no figure, and a request "
                              "times out after 72 hours); the resource waits for ISSUED up to its timeout"),
        "update": Figure(2, "no-op (re-read)"),
        "delete": Figure(0, "no API call (terraform-provider-aws: schema.NoopContext)"),
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "create": Figure(5, "CreateSecurityGroup, then RevokeSecurityGroupEgress of the default allow-all rule "
                            "(terraform-provider-aws security_group.go)"),
        "update": Figure(3, "tags or description: one or two API calls"),
        "delete": Figure(30, "DeleteSecurityGroup retries while the NLB's network interfaces still use it"),
    },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        "create": Figure(2, "AuthorizeSecurityGroupIngress: one API call"),
        "update": Figure(2, "ModifySecurityGroupRules: one API call"),
        "delete": Figure(2, "RevokeSecurityGroupIngress: one API call"),
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "create": Figure(2, "AuthorizeSecurityGroupEgress: one API call"),
        "update": Figure(2, "ModifySecurityGroupRules: one API call"),
        "delete": Figure(2, "RevokeSecurityGroupEgress: one API call"),
    },
    "kubernetes:helm.sh/v3:Release": {
        "create": Figure(180, "helm install with --wait (pulumi-kubernetes helm_release.go: Wait unless skipAwait, "
                              "default timeout 300 s): the pods pull and pass readiness (~60-90 s), and Helm waits "
                              "for a LoadBalancer Service's ingress, which the AWS Load Balancer Controller writes "
                              "once it created the NLB, its target groups and listeners (~60-90 s)"),
        "update": Figure(120, "helm upgrade --wait: a rolling restart of the controller pods"),
        "delete": Figure(60, "helm uninstall --wait; the controller deletes the NLB"),
    },
    "kubernetes:networking.k8s.io/v1:Ingress": {
        "create": Figure(15, "pulumi-kubernetes awaits status.loadBalancer.ingress (provider/pkg/await/ingress.go, "
                             "timeout 10 min), which the NGINX controller reports on its next sync"),
        "update": Figure(15, "the same await after a change"),
        "delete": Figure(5, "delete, awaited until gone"),
    },
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": {
        "create": Figure(150, "awaited until Programmed (annotation pulumi.com/waitFor, pulumi-kubernetes >= 4.18): "
                              "Envoy Gateway starts the edge's proxies (~60 s) and the AWS Load Balancer Controller "
                              "builds the NLB from their Service (~60-90 s), as for an Ingress controller's release"),
        "update": Figure(10, "the controller reprograms the proxies over xDS; awaited until Programmed again"),
        "delete": Figure(60, "the controller deletes the proxies and their Service; the NLB goes with it"),
    },
    "kubernetes:apps/v1:Deployment": {
        "create": Figure(60, "pulumi-kubernetes awaits the rollout (provider/pkg/await/deployment.go): image pull, "
                             "then readiness (probe after 2 s, every 10 s)"),
        "update": Figure(60, "a rolling update, awaited the same way"),
        "delete": Figure(30, "delete, awaited until the pods are gone (grace period)"),
    },
    "kubernetes:core/v1:Service": {
        "create": Figure(10, "pulumi-kubernetes awaits endpoints and lets them settle (provider/pkg/await/service.go)"),
        "update": Figure(5, "patch, awaited"),
        "delete": Figure(5, "delete, awaited until gone"),
    },
    "kubernetes:core/v1:Namespace": {
        "create": Figure(2, "create, awaited until Active"),
        "update": Figure(2, "patch"),
        "delete": Figure(60, "a namespace is gone only after everything in it"),
    },
    "kubernetes:core/v1:Secret": {
        "create": Figure(1, "one API call, no await"),
        "update": Figure(1, "one API call"),
        "delete": Figure(1, "one API call"),
    },
    "random:index/randomPassword:RandomPassword": {
        "create": Figure(0, "generated locally by the provider"),
        "update": Figure(0, "local"),
        "delete": Figure(0, "local"),
    },
    MONITOR: {
        "create": Figure(UPTIMEROBOT_CALL_S, "one request (POST /monitors), paced at the account's rate, which "
                                             "the provider learns from the API's X-RateLimit headers; modeled at "
                                             f"{RATE_ENV_VAR} if set, else the free plan's {FREE_PLAN_RATE_PER_MINUTE}"
                                             "/min (the slowest): every monitor of the run queues for it"),
        "update": Figure(UPTIMEROBOT_CALL_S, "one request (PATCH /monitors/{id}), paced at the account's rate"),
        "delete": Figure(UPTIMEROBOT_CALL_S, "one request (DELETE /monitors/{id}), paced at the account's rate"),
    },
}
RATE_LIMITED = {MONITOR}
"""Types whose every step makes one request against the UptimeRobot account's shared rate."""
READ = Figure(1, "a read (Resource.get): one API call")
DEFAULT = {"create": Figure(10, "no figure for this type: a default"),
           "update": Figure(5, "no figure for this type: a default"),
           "delete": Figure(5, "no figure for this type: a default")}
COMPONENT = Figure(0, "a component: registering it calls no provider")
EXISTING = Figure(0, "already there")


@dataclass(frozen=True)
class Blocker:
    """A precondition that cannot hold: `resource` cannot be created as planned, for `reason`."""

    resource: str
    reason: str
    blocks: tuple[str, ...] = ()
    """Resources that never complete because of it (besides everything that depends on them)."""
    timeout_s: float | None = None
    """How long the blocked step waits before it fails, where it waits at all."""


@dataclass
class Step:
    """One resource's modeled step."""

    resource: str
    seconds: float
    source: str
    deps: set[str] = field(default_factory=set)
    runs: bool = True
    """False for resources already there (done at 0) and components (done when ready)."""
    custom: bool = True
    start: float | None = None
    finish: float | None = None
    waited_for: str | None = None
    """The step whose finish let this one start (its binding dependency)."""


@dataclass
class Rollout:
    """What `rollout` found."""

    steps: dict[str, Step]
    blockers: list[Blocker]
    blocked: list[str]
    parallel: int
    rate_per_minute: int

    @property
    def finished(self) -> list[Step]:
        return [s for s in self.steps.values() if s.runs and s.finish is not None]

    @property
    def seconds(self) -> int:
        return round(max((s.finish or 0.0 for s in self.finished), default=0.0))

    def critical_path(self, end: str | None = None) -> list[str]:
        """From the first step to `end` (default: the last to finish), along binding dependencies."""
        if end is None:
            candidates = [s for s in self.finished if s.custom]
            if not candidates:
                return []
            end = max(candidates, key=lambda s: (s.finish or 0.0, s.resource)).resource
        path, label = [], end
        while label is not None:
            step = self.steps[label]
            if step.runs and step.custom:
                path.append(label)
            label = step.waited_for
        return list(reversed(path))

    def waves(self) -> list[list[str]]:
        """Dependency levels of the steps that run: wave k waits only for waves before it."""
        level: dict[str, int] = {}

        def of(label: str, seen: frozenset[str] = frozenset()) -> int:
            if label in level:
                return level[label]
            step = self.steps[label]
            below = [of(dep, seen | {label}) for dep in step.deps if dep in self.steps and dep not in seen]
            counted = step.runs and step.custom
            level[label] = (max(below, default=-1) + 1) if counted else max(below, default=-1)
            return level[label]

        waves: dict[int, list[str]] = {}
        for label, step in self.steps.items():
            if step.runs and step.custom and step.finish is not None:
                waves.setdefault(of(label), []).append(label)
        return [sorted(waves[k]) for k in sorted(waves)]

    def to_json(self) -> dict[str, Any]:
        return {
            "parallel": self.parallel,
            "uptimerobotRatePerMinute": self.rate_per_minute,
            "waves": self.waves(),
            "criticalPath": self.critical_path(),
            "criticalPathSeconds": self.seconds,
            "blockers": [blocker_json(b) for b in self.blockers],
            "blocked": self.blocked,
            "schedule": [{"resource": s.resource, "start": round(s.start or 0.0, 1),
                          "finish": round(s.finish or 0.0, 1), "seconds": s.seconds, "source": s.source}
                         for s in sorted(self.finished, key=lambda s: (s.start or 0.0, s.resource)) if s.custom],
        }


def blocker_json(blocker: Blocker) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": blocker.resource, "reason": blocker.reason}
    if blocker.blocks:
        entry["blocks"] = list(blocker.blocks)
    if blocker.timeout_s is not None:
        entry["failsAfterSeconds"] = round(blocker.timeout_s)
    return entry


# -- reading a plan ------------------------------------------------------------------------


def label(resource: Mapping[str, Any]) -> str:
    return f"{resource['type']}::{resource['name']}"


def _options(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("options") or {}


def _dns_name(value: Any) -> str:
    return str(value or "").rstrip(".").lower()


def _is_public_zone(resource: Mapping[str, Any]) -> bool:
    return resource["type"] == ZONE and not (resource.get("inputs") or {}).get("vpcs")


def delegations(plan: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Zone label -> the NS records in other zones of the plan that name it (delegate to it)."""
    zones = [r for r in plan["resources"] if r["type"] == ZONE]
    found: dict[str, list[Mapping[str, Any]]] = {label(z): [] for z in zones}
    for record in plan["resources"]:
        inputs = record.get("inputs") or {}
        if record["type"] != RECORD or inputs.get("type") != "NS":
            continue
        for zone in zones:
            same_name = _dns_name(inputs.get("name")) == _dns_name((zone.get("inputs") or {}).get("name"))
            if same_name and inputs.get("zoneId") not in (zone.get("id"), None, UNKNOWN_SHOWN_AS):
                found[label(zone)].append(record)
    return found


def _roles(provider: Mapping[str, Any]) -> list[Any] | None:
    """The assume-role entries of an AWS provider's inputs (JSON-encoded by the SDK), None if it has none."""
    inputs = provider.get("inputs") or {}
    raw = inputs.get("assumeRoles", inputs.get("assumeRole"))
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
    return raw if isinstance(raw, list) else [raw]


def _role_arn(entry: Any) -> str | None:
    if isinstance(entry, Mapping):
        arn = entry.get("roleArn", entry.get("role_arn"))
        return str(arn) if arn not in (None, "", UNKNOWN_SHOWN_AS) else None
    return None


def _validations_in_zone(plan: Mapping[str, Any], zone: Mapping[str, Any]) -> list[str]:
    """DNS validations whose validation records live in `zone` (they wait for it to resolve)."""
    by_label = {label(r): r for r in plan["resources"]}
    in_zone = {label(r) for r in plan["resources"]
               if r["type"] == RECORD and (r.get("inputs") or {}).get("zoneId") == zone.get("id")}
    return sorted(label(r) for r in plan["resources"] if r["type"] == VALIDATION
                  and any(dep in in_zone and dep in by_label for dep in r.get("dependencies") or []))


def _timeout(resource: Mapping[str, Any] | None) -> float:
    raw = str(_options(resource or {}).get("customTimeouts", {}).get("create") or "")
    return duration_seconds(raw) or VALIDATION_TIMEOUT_S


def duration_seconds(text: str) -> float | None:
    """Go duration strings as Pulumi's customTimeouts take them (`75m`, `1h30m`, `90s`)."""
    total, number = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    for char in text.strip():
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            return None
    return total or None


DELEGATED_BY_HAND = "gangplank:publicZoneDelegated"
"""Stack config saying the parent already delegates to the public zone this stack creates (set up by hand)."""


def delegated_by_hand(config: Mapping[str, Any]) -> bool:
    """Whether the stack config says its public zone is delegated by hand (`gangplank:publicZoneDelegated`)."""
    return str(config.get(DELEGATED_BY_HAND, "")).lower() == "true"


def find_blockers(plan: Mapping[str, Any], config: Mapping[str, Any],
                  environ: Mapping[str, str]) -> list[Blocker]:
    """Preconditions of a first `pulumi up` of this plan that cannot hold, with what to do.

    `config` is the stack config the program ran with (`namespace:key` -> value); only keys are read,
    and the one flag that says a zone is delegated by hand."""
    config_keys = set(config)
    by_hand = delegated_by_hand(config)
    resources = plan["resources"]
    by_label = {label(r): r for r in resources}
    blockers: list[Blocker] = []
    delegated = delegations(plan)

    for zone in sorted((r for r in resources if _is_public_zone(r)), key=label):
        name = _dns_name((zone.get("inputs") or {}).get("name"))
        validations = _validations_in_zone(plan, zone)
        if _options(zone).get("import"):
            continue  # an adopted zone is already delegated (or its owner knows it is not)
        if by_hand:
            continue  # the stack says the parent delegates to it already
        records = delegated.get(label(zone), [])
        usable = []
        for record in records:
            provider = by_label.get(str(record.get("provider") or ""))
            roles = _roles(provider) if provider is not None else None
            if roles is not None and not all(_role_arn(entry) for entry in roles):
                blockers.append(Blocker(
                    label(record),
                    f"the delegation of {name} is written into the parent zone through the provider "
                    f"{record['provider']}, which is to assume a role that is not configured: the record cannot "
                    "be written, so the zone stays undelegated. Set the role to assume in the parent zone's "
                    "account (gangplank:parentZoneRoleArn), or drop the role if the parent zone is in this account.",
                    (label(record), *validations), _timeout(by_label.get(validations[0])) if validations else None))
            else:
                usable.append(record)
        if usable or any(b.resource in {label(r) for r in records} for b in blockers):
            continue
        waits = (f" DNS validation of {', '.join(validations)} waits for records nobody can resolve, until its "
                 "timeout." if validations else "")
        blockers.append(Blocker(
            label(zone),
            f"new public hosted zone {name} is not delegated: nothing in this plan writes an NS record for {name} "
            "into another zone, and the zone is not adopted (import), so resolvers never reach it." + waits +
            " Delegate it from the parent zone in the same run (gangplank:parentZoneId); or create the zone first "
            f"(`aws route53 create-hosted-zone --name {name}`), have its name servers set as NS records at the "
            "parent, and adopt it (gangplank:publicZoneId); or, if the parent already delegates to this stack's "
            "zone, say so (gangplank:publicZoneDelegated true).",
            tuple(validations), _timeout(by_label.get(validations[0])) if validations else None))

    for validation in sorted((r for r in resources if r["type"] == VALIDATION), key=label):
        for dep in validation.get("dependencies") or []:
            record = by_label.get(dep)
            zone = next((z for z in resources if z["type"] == ZONE and record is not None
                         and z.get("id") == (record.get("inputs") or {}).get("zoneId")), None)
            if zone is not None and not _is_public_zone(zone):
                blockers.append(Blocker(
                    label(validation),
                    f"its validation record {dep} is in the private zone {_dns_name(zone['inputs'].get('name'))}: "
                    "ACM is a public CA and resolves only public DNS. Write the validation records into the "
                    "public zone (the private domain must be a subdomain of the public one).",
                    (label(validation),), _timeout(validation)))

    monitors = sorted(label(r) for r in resources if r["type"] == MONITOR)
    if monitors and API_KEY_CONFIG not in config_keys and not environ.get(API_KEY_ENV):
        for monitor in monitors:
            blockers.append(Blocker(
                monitor,
                f"no UptimeRobot API key for a real run: neither {API_KEY_CONFIG} in the stack config nor "
                f"{API_KEY_ENV} in the environment; the monitor's create fails on its first request. Set it with "
                f"`pulumi config set --secret {API_KEY_CONFIG.partition(':')[2]} <key>` (or turn monitors off with "
                "gangplank:monitorsEnabled false).",
                (monitor,)))
    return blockers


# -- the walk --------------------------------------------------------------------------------


def _figure(resource: Mapping[str, Any], operation: str) -> Figure:
    """The modeled step: `create`, `import`, `update`, `delete`, or a replacement (`replace`: the new one is
    created, the old one deleted with the deletes at the end; `replace-delete-first`: delete, then create)."""
    if _is_component(resource):
        return COMPONENT
    if _options(resource).get("read"):
        return READ
    figures = FIGURES.get(resource["type"], DEFAULT)
    if operation == "import" or (operation == "create" and _options(resource).get("import")):
        return figures.get("import", READ)
    if operation == "replace-delete-first":
        created, deleted = figures.get("create", DEFAULT["create"]), figures.get("delete", DEFAULT["delete"])
        return Figure(created.seconds + deleted.seconds,
                      f"deleted first ({deleted.source}), then created ({created.source})")
    if operation == "replace":
        operation = "create"
    return figures.get(operation, DEFAULT[operation])


def _is_component(resource: Mapping[str, Any]) -> bool:
    """Components have no id in a plan; every custom resource (and read) has one, `[unknown]` in previews."""
    return resource.get("id") is None


def rate_per_minute(environ: Mapping[str, str]) -> int:
    """The UptimeRobot request rate to model: the provider paces on the API's own headers, which a plan
    cannot know, so the optional ceiling if set (read as the provider reads it), else the slowest plan's (free)."""
    try:
        ceiling = ceiling_from_env(environ)
    except ValueError as err:
        raise InputError([Problem("environment", None, f"variable {RATE_ENV_VAR}", str(err))]) from None
    return ceiling.requests if ceiling is not None else FREE_PLAN_RATE_PER_MINUTE


def parallelism(environ: Mapping[str, str]) -> int:
    raw = environ.get("PULUMI_PARALLEL", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_PARALLEL


def simulate(plan: Mapping[str, Any], blockers: list[Blocker], *, parallel: int, rate: int,
             existing: set[str] | None = None, operations: Mapping[str, str] | None = None) -> Rollout:
    """The engine's schedule of the plan: `existing` resources are done at 0; `operations` says
    `create` (default) or `update` per resource; blocked resources and their dependents never run."""
    existing = existing or set()
    operations = operations or {}
    resources = {label(r): r for r in plan["resources"]}
    steps: dict[str, Step] = {}
    for name, resource in resources.items():
        deps = {d for d in resource.get("dependencies") or [] if d in resources}
        if resource.get("parent") in resources:
            deps.add(resource["parent"])
        if resource.get("provider") in resources:
            deps.add(resource["provider"])
        if name in existing:
            figure, runs = EXISTING, False
        else:
            figure, runs = _figure(resource, operations.get(name, "create")), not _is_component(resource)
        steps[name] = Step(name, figure.seconds, figure.source, deps, runs=runs, custom=not _is_component(resource))
    blocked = _blocked(steps, {b for blocker in blockers for b in blocker.blocks} - existing)
    _schedule(steps, blocked, parallel, rate, resources)
    return Rollout(steps, blockers, sorted(b for b in blocked if steps[b].custom), parallel, rate)


def _blocked(steps: dict[str, Step], roots: set[str]) -> set[str]:
    dependents: dict[str, set[str]] = {}
    for step in steps.values():
        for dep in step.deps:
            dependents.setdefault(dep, set()).add(step.resource)
    blocked, pending = set(), [r for r in roots if r in steps]
    while pending:
        current = pending.pop()
        if current not in blocked:
            blocked.add(current)
            pending.extend(dependents.get(current, ()))
    return blocked


def _schedule(steps: dict[str, Step], blocked: set[str], parallel: int, rate: int,
              resources: Mapping[str, Mapping[str, Any]]) -> None:
    """List scheduling in time: ready steps start in plan order while a slot is free."""
    order = {name: i for i, name in enumerate(resources)}
    waiting = {name: {d for d in step.deps if d in steps} for name, step in steps.items() if name not in blocked}
    dependents: dict[str, set[str]] = {}
    for name, deps in waiting.items():
        for dep in deps:
            dependents.setdefault(dep, set()).add(name)
    ready: list[tuple[float, int, str]] = []
    running: list[tuple[float, int, str]] = []
    now, next_call = 0.0, 0.0
    spacing = 60.0 / rate

    def release(name: str, at: float) -> None:
        step = steps[name]
        step.finish = at
        for other in sorted(dependents.get(name, ()), key=order.__getitem__):
            pending = waiting.get(other)
            if pending is None:
                continue
            pending.discard(name)
            # Releases come in time order: the last dependency to finish is the one it waited for.
            steps[other].waited_for = name
            if not pending:
                heapq.heappush(ready, (at, order[other], other))

    for name, deps in waiting.items():
        if not deps:
            heapq.heappush(ready, (0.0, order[name], name))
    while ready or running:
        deferred = []
        while ready:
            item = heapq.heappop(ready)
            at, _, name = item
            step = steps[name]
            limited = name.split("::")[0] in RATE_LIMITED
            if not step.runs or (step.seconds == 0 and not limited):
                # Components and resources already there complete as soon as they are ready.
                step.start = max(at, now)
                release(name, step.start)
            elif len(running) < parallel:
                step.start = max(at, now)
                begin = step.start
                if limited:
                    begin = max(begin, next_call)
                    next_call = begin + spacing
                heapq.heappush(running, (begin + step.seconds, order[name], name))
            else:
                deferred.append(item)  # no free slot: it starts when a running step finishes
        for item in deferred:
            heapq.heappush(ready, item)
        if not running:
            break
        now, _, name = heapq.heappop(running)
        release(name, now)


HELM_WAIT_TIMEOUT_S = 300
"""pulumi-kubernetes helm.v3.Release: `timeout` defaults to 300 s (helm_release.go)."""
INGRESS_AWAIT_TIMEOUT_S = 600
"""pulumi-kubernetes: an Ingress is awaited up to 10 minutes (provider/pkg/await/ingress.go)."""


def longest_first_up_s(plan: Mapping[str, Any]) -> float:
    """The longest a first `pulumi up` of the plan can run before it ends by itself, succeeding or not.

    The modeled critical path, with each wait on it that has a timeout stretched to that timeout:
    the certificate validation (its `customTimeouts.create`), the controllers' Helm install, and
    the Ingress await. A deploy job's time limit must be longer, or a slow but healthy first
    deploy is cut in the middle of an update.
    """
    modeled = simulate(plan, [], parallel=DEFAULT_PARALLEL, rate=FREE_PLAN_RATE_PER_MINUTE)
    validations = [r for r in plan["resources"] if r["type"] == VALIDATION]
    stretch = {VALIDATION: max((_timeout(r) for r in validations), default=0.0),
               "kubernetes:helm.sh/v3:Release": HELM_WAIT_TIMEOUT_S,
               "kubernetes:networking.k8s.io/v1:Ingress": INGRESS_AWAIT_TIMEOUT_S}
    by_label = {label(r): r for r in plan["resources"]}
    extra = 0.0
    for name in modeled.critical_path():
        resource = by_label.get(name)
        if resource is not None and resource["type"] in stretch:
            extra += max(0.0, stretch[resource["type"]] - _figure(resource, "create").seconds)
    return modeled.seconds + extra


def rollout(plan: Mapping[str, Any], config: Mapping[str, Any],
            environ: Mapping[str, str] | None = None) -> Rollout:
    """The first `pulumi up` of the plan's stack, rehearsed."""
    environ = os.environ if environ is None else environ
    blockers = find_blockers(plan, config, environ)
    return simulate(plan, blockers, parallel=parallelism(environ), rate=rate_per_minute(environ))


# -- one app added to a running stack, and a pull request's change ----------------------------


def _subtree(plan: Mapping[str, Any], root: str) -> set[str]:
    children: dict[str, set[str]] = {}
    for resource in plan["resources"]:
        if resource.get("parent"):
            children.setdefault(resource["parent"], set()).add(label(resource))
    found, pending = set(), [root]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, ()))
    return found


def app_additions(plan: Mapping[str, Any], root: str, hosts: set[str] | None = None) -> set[str]:
    """What adding the app whose component is `root` adds to a running stack.

    Its component's subtree, plus what it depends on that nothing else needs, and the DNS records
    named after its `hosts` (with the subtree of the component that holds them): such a resource
    counts as added when every resource that depends on it, or is its child, is added too (the
    records of a host of its own, say, but not of one it shares with another app, nor the platform
    every app uses).
    """
    resources = {label(r): r for r in plan["resources"]}
    dependents: dict[str, set[str]] = {}
    for name, resource in resources.items():
        for dep in [*(resource.get("dependencies") or []), resource.get("parent"), resource.get("provider")]:
            if dep in resources:
                dependents.setdefault(dep, set()).add(name)
    own = _subtree(plan, root)
    named = {name for name, r in resources.items() if r["type"] == RECORD
             and _dns_name((r.get("inputs") or {}).get("name")) in (hosts or set())}
    closure, pending = set(named), list(own | named)
    while pending:
        current = pending.pop()
        resource = resources[current]
        for dep in [*(resource.get("dependencies") or []), resource.get("parent"), resource.get("provider")]:
            if dep in resources and dep not in closure and dep not in own:
                closure.add(dep)
                pending.append(dep)
    candidates = set()
    for name in closure:
        candidates |= _subtree(plan, name) if _is_component(resources[name]) else {name}
    candidates -= own
    kept = set(candidates)
    changed = True
    while changed:
        changed = False
        for name in sorted(kept):
            parent = resources[name].get("parent")
            orphaned = parent in candidates and parent not in kept
            if orphaned or any(d not in own and d not in kept for d in dependents.get(name, ())):
                kept.discard(name)
                changed = True
    return own | kept


def add_app_rollouts(plan: Mapping[str, Any], config: Mapping[str, Any],
                     environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """For each app: the resources it adds to a running stack and the chain until its monitor exists."""
    environ = os.environ if environ is None else environ
    blockers = find_blockers(plan, config, environ)
    components = {r["name"]: label(r) for r in plan["resources"] if _is_component(r)}
    entries = []
    for app in plan.get("apps") or []:
        root = components.get(str(app.get("name")))
        if root is None:
            continue
        hosts = {_dns_name(h) for h in app.get("hosts") or []} | {_dns_name(urlsplit(str(app.get("url"))).hostname)}
        adds = app_additions(plan, root, hosts - {""})
        existing = {label(r) for r in plan["resources"]} - adds
        relevant = [b for b in blockers if b.resource in adds]
        result = simulate(plan, relevant, parallel=parallelism(environ), rate=rate_per_minute(environ),
                          existing=existing)
        monitor = next((s for s in result.finished if s.resource in adds and s.resource.startswith(MONITOR + "::")),
                       None)
        entries.append({
            "app": app.get("name"),
            "adds": sorted(a for a in adds if result.steps[a].custom),
            "chain": result.critical_path(monitor.resource if monitor else None),
            "seconds": result.seconds,
            "monitoredAfterSeconds": round(monitor.finish) if monitor and monitor.finish is not None else None,
            "blockers": [blocker_json(b) for b in relevant],
        })
    return entries


STEP_LISTS = {"create": "created", "import": "imported", "update": "updated", "replace": "replaced",
              "replace-delete-first": "replaced", "delete": "deleted"}
"""The engine's steps (`planner.diff`) and the lists of `change_rollout` that count them."""


def diff_steps(diff: Any) -> dict[str, str]:
    """`<type>::<name>` -> the engine's step, from a `planner.diff.PlanDiff` (resources left alone: absent)."""
    from planner.diff import OPS

    return {step.label: "replace-delete-first" if step.op == "replace" and step.delete_first else step.op
            for step in diff.resources if step.op in OPS}


def engine_steps(base: Mapping[str, Any], head: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """`<type>::<name>` -> the engine's step for it, as `planner.diff` decides it (resources left alone: absent)."""
    from planner.diff import diff_plans

    return diff_steps(diff_plans(base, head, {str(k): str(v) for k, v in config.items()}))


def change_rollout(base: Mapping[str, Any], head: Mapping[str, Any], config: Mapping[str, Any],
                   environ: Mapping[str, str] | None = None, steps: Mapping[str, str] | None = None,
                   blockers: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The modeled time of the steps `pulumi up` takes from `base` to `head`, and their blockers.

    `steps`: `<type>::<name>` -> the engine's step (`engine_steps`, worked out here when not given), so
    that the counts are the diff's: options the engine does not act on (`dependsOn`) take no time.
    `blockers`: the diff's own (`PlanDiff.blockers`: steps a controller refuses or never lets complete), listed
    first; what they block never completes, and neither do the deletes, which the engine makes last: once a
    step has failed it starts no other. `failsAfterSeconds` then says when the last blocked step fails (at once
    for a refusal, or when Pulumi stops waiting).
    """
    environ = os.environ if environ is None else environ
    steps = engine_steps(base, head, config) if steps is None else steps
    before = {label(r): r for r in base.get("resources") or []}
    after = {label(r): r for r in head["resources"]}
    operations = {name: op for name, op in steps.items() if name in after and op != "delete"}
    removed = sorted(name for name, op in steps.items() if op == "delete" and name in before)
    existing = set(after) - set(operations)
    found = [Blocker(str(b["resource"]), str(b["reason"]), tuple(b.get("blocks") or ()),
                     b.get("failsAfterSeconds")) for b in blockers]
    found += [b for b in find_blockers(head, config, environ) if b.resource in operations]
    result = simulate(head, found, parallel=parallelism(environ), rate=rate_per_minute(environ),
                      existing=existing, operations=operations)
    # Deletes run after the creates and updates, and so does the old half of a replacement made new first;
    # modeled as one parallel phase.
    finishing = [before[name] for name in removed] + [before[name] for name, op in operations.items()
                                                      if op == "replace" and name in before]
    deletes = max((_figure(resource, "delete").seconds for resource in finishing), default=0.0)
    lists: dict[str, list[str]] = {key: [] for key in dict.fromkeys(STEP_LISTS.values())}
    for name, op in sorted(steps.items()):
        lists[STEP_LISTS[op]].append(name)
    change: dict[str, Any] = {
        **lists,
        "criticalPath": result.critical_path(),
        "seconds": result.seconds + round(deletes if not result.blocked else 0),
        "blockers": [blocker_json(b) for b in found],
    }
    if result.blocked:
        change["blocked"] = result.blocked
        failing = [_fails_at(result, b) for b in found if b.blocks]
        if failing:
            change["failsAfterSeconds"] = round(max(failing))
    return change


def _fails_at(result: Rollout, blocker: Blocker) -> float:
    """When a blocked step fails: when its dependencies are done (it starts), plus how long it waits, if at all."""
    starts = [max((result.steps[dep].finish or 0.0 for dep in result.steps[name].deps
                   if dep in result.steps and result.steps[dep].finish is not None), default=0.0)
              for name in blocker.blocks if name in result.steps]
    return max(starts, default=0.0) + (blocker.timeout_s or 0.0)


# -- views -----------------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """`14 min 30 s`, `45 s`, `1 h 5 min`."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def rollout_report(plan: Mapping[str, Any], config: Mapping[str, Any],
                   environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`--rollout --format json`: the first up, then each app added to a running stack."""
    result = rollout(plan, config, environ)
    report = {"stack": plan.get("stack"), **result.to_json(), "addApp": add_app_rollouts(plan, config, environ)}
    moves = move_rollout(plan)
    if moves:
        report["edgeMoves"] = moves  # where each moving edge is, and what its next `pulumi up` changes
    return report


ROLLOUT_WIDTH = 100


def _wrapped(text: str, indent: str = "", first: str = "") -> list[str]:
    return textwrap.wrap(text, width=ROLLOUT_WIDTH, initial_indent=first or indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def short_label(name: str) -> str:
    """`aws:route53/zone:Zone::platform-zones-public` -> `Zone platform-zones-public`: the kind says enough."""
    type_, _, resource = name.partition("::")
    return f"{type_.rsplit(':', 1)[-1]} {resource}"


def render_rollout_table(report: Mapping[str, Any]) -> str:
    """The rehearsal for people, in 100 columns: a blocked rollout says BLOCKED first, then its blockers."""
    schedule = {entry["resource"]: entry for entry in report["schedule"]}
    setting = (f"(modeled, {report['parallel']} steps at once, UptimeRobot {report['uptimerobotRatePerMinute']} "
               "requests/min)")
    took = f"{duration_text(report['criticalPathSeconds'])} over {len(report['waves'])} waves"
    blockers = report["blockers"]
    lines: list[str] = []
    if blockers:
        lines += _wrapped(f"BLOCKED: the first `pulumi up` of stack {report['stack']} cannot complete as planned "
                          f"({len(blockers)} blocker{'s' if len(blockers) != 1 else ''}):")
        for blocker in blockers:
            lines += _wrapped(f"{blocker['resource']}: {' '.join(str(blocker['reason']).split())}", "    ", "  - ")
        lines += ["", *_wrapped(f"Never completes ({len(report['blocked'])}): " + ", ".join(report["blocked"]), "  ")]
        lines += ["", *_wrapped(f"What does complete takes {took}, {len(schedule)} resources {setting}.")]
    else:
        lines += _wrapped(f"First `pulumi up` of stack {report['stack']} {setting}: {took}, "
                          f"{len(schedule)} resources.")
    lines += ["", "Critical path:"]
    for name in report["criticalPath"]:
        entry = schedule[name]
        lines += _wrapped(short_label(name), " " * 27, f"  {duration_text(entry['start']):>12} "
                          f"+{duration_text(entry['finish'] - entry['start']):<10} ")
    moves = report.get("edgeMoves") or []
    if moves:
        lines += ["", "Edges moving to another flavor (each step is one `pulumi up`):"]
        for move in moves:
            lines += _wrapped(f"{move['edge']}: {move['now']}", "    ", "  ")
            lines += _wrapped(move["next"], "    ")
    apps = report.get("addApp") or []
    if apps and blockers:
        lines += ["", *_wrapped("Adding one app to the running stack: not shown while the stack's first "
                                "`pulumi up` is blocked (`--format json` has the figures).")]
    elif apps:
        rows = [(str(a["app"]), str(len(a["adds"])), duration_text(a["seconds"]),
                 duration_text(a["monitoredAfterSeconds"]) if a["monitoredAfterSeconds"] is not None else "-",
                 _chain_lines([n.split("::")[1] for n in a["chain"]]) + (["(blocked)"] if a["blockers"] else []))
                for a in apps]
        lines += ["", "Adding one app to the running stack:"]
        lines += table(("app", "adds", "done after", "monitored after", "chain"), rows)
    return "\n".join(lines) + "\n"


def _chain_lines(names: list[str], width: int = 50) -> list[str]:
    """`a -> b -> c`, over as many lines as it takes to keep the table in 100 columns."""
    lines: list[str] = []
    for name in names:
        piece = name if not lines else f"-> {name}"
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] = f"{lines[-1]} {piece}"
        else:
            lines.append(piece)
    return lines or [""]
