"""Each step's modeled duration and timeout by resource type and operation, with its source; the
parallelism and the UptimeRobot request rate a rollout models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.flavors.gateway_api import WAIT_FOR
from components.inputs.problems import InputError, Problem
from components.uptimerobot.client import RATE_ENV_VAR, ceiling_from_env
from planner.resource_types import CERTIFICATE, MONITOR, RECORD, VALIDATION, ZONE
from planner.rollout.plan_reading import is_component, options_of

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

UNAWAITED_CUSTOM_RESOURCE = {
    "create": Figure(1, "one API call: pulumi-kubernetes awaits a custom resource only when it carries "
                        "pulumi.com/waitFor or PULUMI_K8S_AWAIT_ALL is set (provider/pkg/metadata/overrides.go "
                        "`ReadyCondition`, at 94977969), and gangplank sets neither on these"),
    "update": Figure(1, "one API call"),
    "delete": Figure(1, "one API call")}
"""The figures of a custom resource created without an await (the Gateway API edge's policies and classes)."""
AWAITED_BY_ANNOTATION = ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",)
"""Types whose figures assume the `pulumi.com/waitFor` annotation gangplank sets on them (an app's HTTPRoute); one
declared without it is an unawaited custom resource."""

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
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": {
        "create": Figure(5, "awaited until its Gateway has Accepted it (pulumi.com/waitFor on status.parents[]."
                            "conditions, components/flavors/gateway_api.py `accepted_wait`): Envoy Gateway writes the "
                            "status on its next reconcile, beside the proxies' configuration (internal/gatewayapi/"
                            "runner/runner.go, v1.9.0), seconds"),
        "update": Figure(5, "the same await after a change"),
        "delete": Figure(2, "delete, awaited until gone"),
    },
    **{f"kubernetes:{kind}": UNAWAITED_CUSTOM_RESOURCE for kind in (
        "gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
        "gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy", "gateway.envoyproxy.io/v1alpha1:Backend",
        "gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "gateway.networking.k8s.io/v1:BackendTLSPolicy",
        "gateway.networking.k8s.io/v1:GatewayClass")},
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


HELM_WAIT_TIMEOUT_S = 300
"""pulumi-kubernetes helm.v3.Release: `timeout` defaults to 300 s (helm_release.go)."""
INGRESS_AWAIT_TIMEOUT_S = 600
"""pulumi-kubernetes: an Ingress is awaited up to 10 minutes (provider/pkg/await/ingress.go)."""


def create_timeout_s(resource: Mapping[str, Any] | None) -> float:
    raw = str(options_of(resource or {}).get("customTimeouts", {}).get("create") or "")
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


def step_figure(resource: Mapping[str, Any], operation: str) -> Figure:
    """The modeled step: `create`, `import`, `update`, `delete`, or a replacement (`replace`: the new one is
    created, the old one deleted with the deletes at the end; `replace-delete-first`: delete, then create)."""
    if is_component(resource):
        return COMPONENT
    if options_of(resource).get("read"):
        return READ
    figures = FIGURES.get(resource["type"], DEFAULT)
    if resource["type"] in AWAITED_BY_ANNOTATION and not (
            ((resource.get("inputs") or {}).get("metadata") or {}).get("annotations") or {}).get(WAIT_FOR):
        figures = UNAWAITED_CUSTOM_RESOURCE  # the platform's redirect route: nothing waits for its status
    if operation == "import" or (operation == "create" and options_of(resource).get("import")):
        return figures.get("import", READ)
    if operation == "replace-delete-first":
        created, deleted = figures.get("create", DEFAULT["create"]), figures.get("delete", DEFAULT["delete"])
        return Figure(created.seconds + deleted.seconds,
                      f"deleted first ({deleted.source}), then created ({created.source})")
    if operation == "replace":
        operation = "create"
    return figures.get(operation, DEFAULT[operation])


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
