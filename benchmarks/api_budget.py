"""The API budget of a real deploy: calls per API and the wall time the rate limits allow, per operation.

What limits gangplank at 500-5,000 apps is not the Python program but the APIs behind `pulumi up`.
For each N this plans a generated catalogue (`benchmarks/catalogue.py`) with the real program under
the planner, in both DNS modes, and counts what the plan declares (records, Kubernetes objects,
monitors, ...). Each resource is then priced in API calls per operation from the documented
behaviour of the provider that manages it (`CALLS`, with sources), and each API's calls are divided
by its published rate limit: a lower bound on the operation's wall time (the API cannot go faster;
polling waits, retries and Pulumi's own scheduling only add to it).

Operations: the first `pulumi up` of a stack with N apps (after its preview), adding one app,
a no-op `pulumi up`, `pulumi refresh`, and `pulumi destroy`. Left out: the EC2 reads every program
run makes (the VPC and its subnets, a few calls per edge whatever N), and that `pulumi up` runs the
program twice (preview, then update), which doubles the reads made while the program runs. Beside
them, the same work done by ExternalDNS (DNS) and by IngressMonitorController (monitors), from their
documented behaviour.

Figures only: nothing here fails on a number (exit 1 only if a plan failed).

    .venv/bin/python benchmarks/api_budget.py            # N = 10, 100, 500, 5000 (about 8 minutes), chart
    .venv/bin/python benchmarks/api_budget.py --quick    # N = 10, 50 (CI), chart in a temp dir
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.catalogue import dump_apps, generate_apps
from benchmarks.report import human_duration, keep_chart, pyplot, save_chart
from planner.rollout.figures import FREE_PLAN_RATE_PER_MINUTE, PAID_PLAN_MAX_RATE_PER_MINUTE, PAID_PLAN_RATE_PER_MONITOR

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DEFAULT_SIZES = (10, 100, 500, 5000)
QUICK_SIZES = (10, 50)
MODES = ("perHost", "wildcard")
STACK = "dev"
WORKER_TIMEOUT_S = 1800
OPERATIONS = ("first up", "add one app", "no-op up", "refresh", "destroy")

# -- published rate limits -----------------------------------------------------------------

ROUTE53_PER_SECOND = 5
"""Route53: "All requests: five requests per second per AWS account" (Route 53 Developer Guide, "Quotas",
"Quotas on API requests"); ChangeResourceRecordSets for one zone also waits for the zone's previous change."""
KUBERNETES_CLIENT_QPS = 50
"""pulumi-kubernetes' client: QPS 50, burst 120 by default (provider/pkg/gen/overlays.go `kubeClientSettings`,
`PULUMI_K8S_CLIENT_QPS`); the API server's own priority-and-fairness limits come on top."""
GETCHANGE_FIRST_POLL_S = 10
"""terraform-provider-aws waits a random 10-29 s before its first GetChange, then polls every 15 s
(internal/service/route53/wait.go: `changeMinDelay = 10`, `changeMaxDelay = 30`, `changePollInterval`
15 s): each record change takes at least 10 s, in parallel with the others."""
ROUTE53_PAGE = 300
"""Record sets per ListResourceRecordSets page (ExternalDNS provider/aws/aws.go `route53PageSize`)."""
EXTERNALDNS_BATCH = 1000
"""ExternalDNS `--aws-batch-change-size` default (pkg/apis/externaldns/types.go): changes per
ChangeResourceRecordSets call."""
EXTERNALDNS_INTERVAL_S = 60
"""ExternalDNS `--interval` default: a full sync (zone listing, record listing) every minute."""
IMC_REQUEUE_S = 300
"""IngressMonitorController's reconcile requeue, `REQUEUE_TIME` default 300 s (pkg/config/config.go)."""
UPTIMEROBOT_PAGE = 200
"""Monitors per page when the provider lists them (refresh): measured by benchmarks/uptimerobot_budget.py."""


# -- what each resource costs, per API and operation ----------------------------------------

ROUTE53_APIS = ("r53 change", "r53 list", "r53 getchange", "r53 other")

# A Route53 record through pulumi-aws (terraform-provider-aws internal/service/route53/record.go):
# create: GetHostedZone (findHostedZoneByID), ChangeResourceRecordSets (CREATE), GetChange until INSYNC
# (change_info.go; at least one poll), then the read-back: GetHostedZone + ListResourceRecordSets (MaxItems 1).
# read (refresh): GetHostedZone + ListResourceRecordSets. delete: GetHostedZone + ListResourceRecordSets (find
# the record), ChangeResourceRecordSets (DELETE), GetChange. A no-op `up` diffs against the state: no call.
RECORD = {"first up": {"r53 other": 2, "r53 change": 1, "r53 getchange": 1, "r53 list": 1},
          "refresh": {"r53 other": 1, "r53 list": 1},
          "destroy": {"r53 other": 1, "r53 list": 1, "r53 change": 1, "r53 getchange": 1}}
# A hosted zone (route53/zone.go): CreateHostedZone, GetChange, GetHostedZone, ListTagsForResource (create);
# GetHostedZone + ListTagsForResource (read). Zones are protected: `pulumi destroy` stops at them (0 here).
ZONE = {"first up": {"r53 other": 3, "r53 getchange": 1}, "refresh": {"r53 other": 2}}
# ACM (internal/service/acm/certificate.go, certificate_validation.go): RequestCertificate, DescribeCertificate until
# the validation options are there, ListTagsForCertificate; the validation polls DescribeCertificate until ISSUED.
CERTIFICATE = {"first up": {"acm": 3}, "refresh": {"acm": 2}, "destroy": {"acm": 2}}
CERTIFICATE_VALIDATION = {"first up": {"acm": 1}, "refresh": {"acm": 1}}
# Kubernetes objects through pulumi-kubernetes (provider/pkg/provider/provider.go, provider/pkg/await/await.go):
# `pulumi up` previews first, and a preview of a create is a server-side dry run (await.go `Creation`, DryRunAll);
# the create is an apply plus at least one read while it awaits readiness; a refresh is a GET; a delete is a
# DELETE plus at least one read until the object is gone.
KUBERNETES_OBJECT = {"first up": {"k8s": 3}, "refresh": {"k8s": 1}, "destroy": {"k8s": 2}}
# A Helm release (provider/pkg/provider/helm_release.go): Check renders client-side (ClientOnly); install and
# uninstall create or delete every object of the chart: counted apart, per edge (the chart's objects).
HELM_RELEASE = {"first up": {"k8s": 3}, "refresh": {"k8s": 2}, "destroy": {"k8s": 2}}
# The controller Service read back after each release (`Service.get`): a GET on every `up`, no-op included.
SERVICE_READ = {"first up": {"k8s": 1}, "no-op up": {"k8s": 1}, "add one app": {"k8s": 1}, "refresh": {"k8s": 1}}
# The AWS Load Balancer Controller makes each edge's NLB from its controller's Service (docs/guide/service/nlb.md):
# CreateLoadBalancer, two target groups and two listeners, tags and attributes, target registration. It ignores
# the apps' Ingresses: their classes are nginx ones, and it reconciles only IngressClasses of its own controller
# (docs/guide/ingress/ingress_class.md). So ELBv2 calls are per edge, never per app.
NLB = {"first up": {"elbv2": 12}, "destroy": {"elbv2": 6}}
# EC2 security groups and rules are per edge as well (no per-app cost); left out of the table.
# An UptimeRobot monitor through gangplank's provider (components/uptimerobot/provider.py, measured by
# benchmarks/uptimerobot_budget.py): one call to create, one to delete, none on a no-op (diff is local); a
# refresh lists the account's monitors once, 200 a page, for all of them (priced per stack below).
MONITOR = {"first up": {"uptimerobot": 1}, "destroy": {"uptimerobot": 1}}

CALLS: dict[str, dict[str, dict[str, int]]] = {
    "aws:route53/record:Record": RECORD,
    "aws:route53/zone:Zone": ZONE,
    "aws:acm/certificate:Certificate": CERTIFICATE,
    "aws:acm/certificateValidation:CertificateValidation": CERTIFICATE_VALIDATION,
    "kubernetes:helm.sh/v3:Release": HELM_RELEASE,
    "pulumi-python:dynamic/uptimerobot:Monitor": MONITOR,
}
"""Resource type -> operation -> API -> calls per resource. Kubernetes objects are matched by prefix."""


def cost_of(type_: str) -> dict[str, dict[str, int]]:
    if type_ in CALLS:
        return CALLS[type_]
    if type_.startswith("kubernetes:"):
        return KUBERNETES_OBJECT
    return {}


# -- planning (each plan in a fresh process: one 5,000-app plan holds about a gigabyte) ------


def _plan_worker(apps_path: str, mode: str) -> dict[str, Any]:
    """Plan the catalogue and count what it declares: resource types, records per zone, edges."""
    from planner.run import run_program

    run = run_program(STACK, apps_path, ROOT, {"gangplank:dnsRecords": mode})
    zones = {r.id: r.inputs.get("name") for r in run.monitor.registrations if r.type == "aws:route53/zone:Zone"}
    records_per_zone: Counter[str] = Counter()
    for r in run.monitor.registrations:
        if r.type == "aws:route53/record:Record" and r.inputs.get("zoneId") in zones:
            records_per_zone[zones[r.inputs["zoneId"]]] += 1
    return {"types": dict(Counter(r.type for r in run.monitor.registrations if r.custom)),
            "records_per_zone": dict(records_per_zone),
            "edges": len(run.outputs.get("loadBalancers") or {}),
            "apps": len(run.outputs.get("apps") or {}),
            "hosts": len({host for app in (run.outputs.get("apps") or {}).values() for host in app["hosts"]})}


def _worker(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=WORKER_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


EXTRA_APP = {"name": "zz-new-app", "namespace": "storefront", "visibility": "public", "host": "zz-new-app",
             "deploy": {"image": "ghcr.io/acme/zz-new-app:1.0", "port": 8080, "replicas": 2},
             "healthPath": "/healthz"}
"""The app "add one app" adds: public, its own host, an image to deploy, monitored (the common case)."""


def write_catalogue(apps: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        dump_apps(apps, handle)
    return path


# -- pricing -------------------------------------------------------------------------------


@dataclass
class Budget:
    """API calls of one operation at one size and DNS mode."""

    n: int
    mode: str
    operation: str
    calls: Counter[str] = field(default_factory=Counter)
    monitors: int = 0

    @property
    def route53(self) -> int:
        return sum(self.calls[api] for api in ROUTE53_APIS)

    def seconds(self) -> dict[str, float]:
        """Lower bound on wall time per rate-limited API (seconds)."""
        pro = min(PAID_PLAN_MAX_RATE_PER_MINUTE, PAID_PLAN_RATE_PER_MONITOR * max(self.monitors, 1))
        changes = self.calls["r53 change"]
        return {
            # Every Route53 call shares the account's 5/s; a record change also waits for its first poll.
            "route53": self.route53 / ROUTE53_PER_SECOND + (GETCHANGE_FIRST_POLL_S if changes else 0),
            "k8s": self.calls["k8s"] / KUBERNETES_CLIENT_QPS,
            "uptimerobot free": 60 * self.calls["uptimerobot"] / FREE_PLAN_RATE_PER_MINUTE,
            "uptimerobot pro": 60 * self.calls["uptimerobot"] / pro,
        }


def price(counts: Mapping[str, int], operation: str) -> Counter[str]:
    """API calls for `operation` of resources counted by type."""
    calls: Counter[str] = Counter()
    for type_, count in counts.items():
        for api, per in cost_of(type_).get(operation, {}).items():
            calls[api] += per * count
    return calls


def budgets(n: int, mode: str, plan: Mapping[str, Any], plus_one: Mapping[str, Any]) -> list[Budget]:
    types, edges = Counter(plan["types"]), plan["edges"]
    monitors = types["pulumi-python:dynamic/uptimerobot:Monitor"]
    added = Counter(plus_one["types"])
    added.subtract(types)
    added = +added  # adding an app only adds resources
    fixed_nlb = {op: Counter({api: calls * edges for api, calls in NLB.get(op, {}).items()}) for op in OPERATIONS}
    service_reads = {op: Counter({api: calls * edges for api, calls in SERVICE_READ.get(op, {}).items()})
                     for op in OPERATIONS}
    rows = []
    for operation in OPERATIONS:
        if operation == "add one app":
            calls = price(added, "first up")
        elif operation == "no-op up":
            calls = Counter()
        else:
            calls = price(types, operation)
        calls += fixed_nlb[operation] + service_reads[operation]
        if operation == "refresh" and monitors:
            calls["uptimerobot"] += math.ceil(monitors / UPTIMEROBOT_PAGE)
        rows.append(Budget(n, mode, operation, calls, monitors))
    return rows


# -- ExternalDNS and IngressMonitorController, from their documented behaviour ----------------


def external_dns(plan: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Route53 calls ExternalDNS makes for the same hosts (A alias + TXT marker per host, batched per zone).

    provider/aws/aws.go: every sync lists the hosted zones (ListHostedZones, 100 a page; uncached by default,
    `--aws-zones-cache-duration` 0) and every record of each zone (ListResourceRecordSets, 300 a page); changes
    go in ChangeResourceRecordSets batches of up to 1,000 per zone (`--aws-batch-change-size`) and are not
    polled (no GetChange). Applying changes lists the zones once more.
    """
    zones = plan["records_per_zone"]
    hosts = plan["hosts"]
    sync_lists = 1 + sum(math.ceil(count / ROUTE53_PAGE) for count in zones.values())
    create_batches = sum(math.ceil(count / EXTERNALDNS_BATCH) for count in zones.values())
    idle_hour = (3600 / EXTERNALDNS_INTERVAL_S) * sync_lists
    return {
        "create all": {"calls": sync_lists + 1 + create_batches, "changes": 2 * hosts},
        "add one app": {"calls": sync_lists + 1 + 1, "changes": 2},
        "idle hour": {"calls": idle_hour, "changes": 0},
        "delete all": {"calls": sync_lists + 1 + create_batches, "changes": 2 * hosts},
    }


def ingress_monitor_controller(monitors: int) -> dict[str, float]:
    """UptimeRobot calls of stakater/IngressMonitorController for the same monitors.

    internal/controller/endpointmonitor_controller.go: every reconcile of an EndpointMonitor looks its monitor
    up by name (getMonitors with `search`), creates it if missing (newMonitor) or edits it if it differs, and
    requeues itself every REQUEUE_TIME (300 s): one call per monitor per reconcile, idle or not.
    """
    return {"create all": 2 * monitors, "add one app": 2, "idle hour": monitors * 3600 / IMC_REQUEUE_S,
            "delete all": 2 * monitors}


# -- split deploys: app stacks in parallel, one account ------------------------------------

SPLIT_TEAMS = 8
"""The benchmark catalogue's teams (benchmarks/catalogue.py `TEAMS`): one app stack each."""
SPLIT_PARALLEL = (1, 2, 4, 8)
"""`max-parallel` values of the deploy workflow's app-stack matrix to compare."""


def split_deploy(budget: Budget, teams: int = SPLIT_TEAMS,
                 parallel: Sequence[int] = SPLIT_PARALLEL) -> list[tuple[int, dict[str, float]]]:
    """Lower bounds on wall time when the first `up` of an environment runs as `teams` app stacks, at most `p` at a
    time (the platform's own calls left out: it runs before them, alone).

    The app stacks split the apps, and their calls, about evenly (the benchmark's teams are of one size, within
    a few percent). What they share decides what parallelism buys: Route53's 5 requests a second is the AWS
    account's, whichever stack sends them, so the whole wave needs at least all its Route53 calls / 5 s
    whatever `p`, and each of `p` stacks running together gets a `p`-th of it; the Kubernetes client's QPS is
    each `pulumi up`'s own (pulumi-kubernetes `kubeClientSettings`), so `p` stacks get `p` times as much; the
    UptimeRobot budget is the account's (one API key) unless teams use accounts of their own.
    """
    seconds = budget.seconds()
    rounds = {p: math.ceil(teams / p) for p in parallel}
    per_stack_route53 = budget.route53 / teams / ROUTE53_PER_SECOND
    return [(p, {
        "route53 wave": seconds["route53"],
        "route53 per stack": per_stack_route53 * min(p, teams) + (GETCHANGE_FIRST_POLL_S if budget.calls["r53 change"]
                                                                 else 0),
        "k8s wave": seconds["k8s"] / teams * rounds[p],
        "uptimerobot pro wave": seconds["uptimerobot pro"],
    }) for p in parallel]


def render_split(budget: Budget) -> list[str]:
    lines = [*textwrap.wrap(f"Split deploys: the first up of N={budget.n} apps ({budget.mode}) as {SPLIT_TEAMS} app "
                            f"stacks, at most p at a time (deploy.yml `max-parallel`), sharing one account's Route53 "
                            f"({ROUTE53_PER_SECOND}/s); lower bounds (the whole environment's calls, the platform's "
                            "included):", 100),
             f"  {'p':>2} | {'Route53, the wave':>18} | {'Route53, one stack':>18} | {'Kubernetes, the wave':>20} | "
             f"{'UptimeRobot PRO':>15} | {'the wave >=':>11}"]
    bounds = split_deploy(budget)
    for p, bound in bounds:
        wave = max(bound["route53 wave"], bound["k8s wave"], bound["uptimerobot pro wave"])
        lines.append(f"  {p:>2} | {human_duration(bound['route53 wave']):>18} | "
                     f"{human_duration(bound['route53 per stack']):>18} | {human_duration(bound['k8s wave']):>20} | "
                     f"{human_duration(bound['uptimerobot pro wave']):>15} | {human_duration(wave):>11}")
    first, last = bounds[0][1], bounds[-1][1]
    if last["route53 wave"] >= last["k8s wave"]:
        reading = (f"Route53 bounds the wave at every p: parallel stacks only queue on it (each of p stacks gets "
                   f"{ROUTE53_PER_SECOND}/p a second).")
    else:
        reading = ("Each stack's Kubernetes client bounds the wave, and p stacks at once have p clients: the wave "
                   f"falls from {human_duration(first['k8s wave'])} (p = 1) towards the account's own bounds, "
                   f"Route53 {human_duration(last['route53 wave'])} and UptimeRobot "
                   f"{human_duration(last['uptimerobot pro wave'])}.")
    lines += textwrap.wrap(f"{reading} Adding one app costs the Route53 calls of its row above in either form, and in "
                           "a split deploy it never queues: the other app stacks' no-op ups make no Route53 call.",
                           100, initial_indent="  ", subsequent_indent="  ")
    return lines


# -- output --------------------------------------------------------------------------------



def render_budget(rows: Sequence[Budget]) -> str:
    header = (f"{'N':>5} {'dns':<8} {'operation':<12} | {'r53 chg':>7} {'list':>6} {'getchg':>6} {'other':>6} "
              f"{'r53 all':>7} | {'acm':>4} {'elbv2':>5} {'k8s':>7} {'uptime':>6} | {'r53 >=':>8} "
              f"{'k8s >=':>7} {'UR free >=':>10} {'UR pro >=':>9}")
    lines = [header, "-" * len(header)]
    for b in rows:
        c, s = b.calls, b.seconds()
        lines.append(
            f"{b.n:>5} {b.mode:<8} {b.operation:<12} | {c['r53 change']:>7} {c['r53 list']:>6} "
            f"{c['r53 getchange']:>6} {c['r53 other']:>6} {b.route53:>7} | {c['acm']:>4} {c['elbv2']:>5} "
            f"{c['k8s']:>7} {c['uptimerobot']:>6} | {human_duration(s['route53']):>8} {human_duration(s['k8s']):>7} "
            f"{human_duration(s['uptimerobot free']):>10} {human_duration(s['uptimerobot pro']):>9}")
    return "\n".join(lines)


def render_comparison(n: int, plan: Mapping[str, Any], ours: Sequence[Budget]) -> list[str]:
    dns, imc = external_dns(plan), ingress_monitor_controller(
        Counter(plan["types"])["pulumi-python:dynamic/uptimerobot:Monitor"])
    by_op = {(b.mode, b.operation): b for b in ours}
    lines = [f"N={n}: the same hosts and monitors kept by ExternalDNS and IngressMonitorController"]
    pairs = (("create all", "first up"), ("add one app", "add one app"), ("idle hour", "no-op up"),
             ("delete all", "destroy"))
    for theirs, mine in pairs:
        per_host, wildcard = by_op[("perHost", mine)], by_op[("wildcard", mine)]
        idle = theirs == "idle hour"
        lines.append(
            f"  {theirs:<11}: Route53 ExternalDNS {dns[theirs]['calls']:>7.0f} calls "
            f"(>= {human_duration(dns[theirs]['calls'] / ROUTE53_PER_SECOND)}), gangplank perHost "
            f"{0 if idle else per_host.route53:>6} / wildcard {0 if idle else wildcard.route53:>4}"
            f"{' (gangplank: none while idle)' if idle else ''}; UptimeRobot IMC {imc[theirs]:>7.0f} calls "
            f"(>= {human_duration(60 * imc[theirs] / FREE_PLAN_RATE_PER_MINUTE)} on the free plan), gangplank "
            f"{0 if idle else per_host.calls['uptimerobot']:>5}")
    return lines


def chart(rows: Sequence[Budget], comparisons: Mapping[int, Mapping[str, Any]], path: Path) -> Path:
    plt = pyplot()

    sizes = sorted({b.n for b in rows})
    pick = {(b.n, b.mode, b.operation): b for b in rows}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, style in (("perHost", "o-"), ("wildcard", "s-")):
        left.plot(sizes, [pick[(n, mode, "first up")].route53 for n in sizes], style, label=f"first up, {mode}")
        added = [pick[(n, mode, "add one app")].route53 for n in sizes]
        left.plot(sizes, [max(calls, 1) for calls in added], style, alpha=0.5,
                  label=f"add one app, {mode}" + (" (no call: drawn at 1)" if not any(added) else ""))
    left.plot(sizes, [external_dns(comparisons[n])["idle hour"]["calls"] for n in sizes], "^--",
              label="ExternalDNS, one idle hour")
    left.set(xscale="log", yscale="log", xlabel="apps", ylabel="Route53 calls (5/s per account)",
             title="Route53 calls per operation")
    left.legend(fontsize=7)
    for name, values in (
        ("gangplank: first up", [pick[(n, "perHost", "first up")].seconds()["uptimerobot free"] / 60
                                 for n in sizes]),
        ("gangplank: refresh", [pick[(n, "perHost", "refresh")].seconds()["uptimerobot free"] / 60 for n in sizes]),
        ("IMC: one idle hour", [ingress_monitor_controller(pick[(n, "perHost", "first up")].monitors)["idle hour"]
                                / FREE_PLAN_RATE_PER_MINUTE for n in sizes]),
    ):
        right.plot(sizes, [max(v, 0.01) for v in values], "o-", label=name)
    right.set(xscale="log", yscale="log", xlabel="apps", ylabel="minutes of the free plan's 10 calls/min",
              title="UptimeRobot budget (free plan)")
    right.legend(fontsize=7)
    fig.tight_layout()
    return save_chart(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"N = {', '.join(map(str, QUICK_SIZES))} (CI)")
    parser.add_argument("--sizes", help=f"comma-separated app counts (default {DEFAULT_SIZES})")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--apps", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_plan_worker(args.apps, args.mode)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick
                                                                              else DEFAULT_SIZES)
    print(f"API budget: calls per API and operation, stack {STACK}, plans of generated catalogues "
          f"(benchmarks/catalogue.py); lower bounds on wall time from the published rate limits "
          f"(Route53 {ROUTE53_PER_SECOND}/s per account plus a {GETCHANGE_FIRST_POLL_S} s first GetChange poll, "
          f"Kubernetes client {KUBERNETES_CLIENT_QPS}/s, UptimeRobot free {FREE_PLAN_RATE_PER_MINUTE}/min, "
          f"PRO {PAID_PLAN_RATE_PER_MONITOR}/min per monitor)", flush=True)
    rows: list[Budget] = []
    plans: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="gangplank-budget-") as scratch:
        try:
            for n in sizes:
                apps = generate_apps(n)
                base = write_catalogue(apps, Path(scratch) / f"apps-{n}.yaml")
                more = write_catalogue([*apps, EXTRA_APP], Path(scratch) / f"apps-{n}-plus-one.yaml")
                for mode in MODES:
                    plan = _worker(["--worker", "--apps", str(base), "--mode", mode])
                    plus_one = _worker(["--worker", "--apps", str(more), "--mode", mode])
                    if plan["apps"] != n:  # a broken plan must not pass for a cheap one
                        raise RuntimeError(f"N={n}: the plan lists {plan['apps']} apps, not {n}")
                    rows += budgets(n, mode, plan, plus_one)
                    if mode == "perHost":
                        plans[n] = plan
                print(f"  N={n}: planned ({plans[n]['hosts']} hosts, {plans[n]['edges']} edges)", flush=True)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print()
        print(render_budget(rows))
        print()
        for n in sizes:
            for line in render_comparison(n, plans[n], [b for b in rows if b.n == n]):
                print(line)
        print()
        for mode in MODES:
            biggest = next(b for b in rows if b.n == max(sizes) and b.mode == mode and b.operation == "first up")
            for line in render_split(biggest):
                print(line)
        target = Path(scratch) / "api_budget.png" if args.quick else OUT / "api_budget.png"
        chart(rows, plans, target)
        if args.quick:
            target = keep_chart(target)
        print(f"\nchart: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
