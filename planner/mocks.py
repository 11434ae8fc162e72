"""Pulumi mocks that stand in for AWS, Kubernetes and UptimeRobot when planning offline.

Each resource gets the outputs its real provider would compute (ids, ARNs, validation
records, load balancer host names), derived from its name so that a plan is deterministic.
`RecordingMonitor` also keeps what the SDK's mock monitor forgets: the parent and the
resource options, which the plan reports.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import bcrypt
import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

MOCK_VPC_CIDR = "10.0.0.0/16"
"""The CIDR block every mocked VPC reports (aws.ec2.get_vpc)."""

# Canonical hosted zone ids of network load balancers (AWS "Elastic Load Balancing endpoints").
NLB_HOSTED_ZONE_IDS = {
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-west-2": "Z18D5FSROUN65G",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-central-1": "Z3F0SRJ5LGBH90",
}

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SHOWN_AS = "[secret]"
_B64_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def digest(*parts: str, length: int = 12) -> str:
    """A short stable hex string for fake ids."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def _zone(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    zone_id = args.resource_id or "Z" + digest(args.name).upper()[:20]
    servers = [f"ns-{int(digest(args.name, str(i), length=3), 16) % 2048}.awsdns-{i:02d}.net" for i in range(4)]
    return zone_id, {**args.inputs, "zoneId": zone_id, "nameServers": servers,
                     "arn": f"arn:aws:route53:::hostedzone/{zone_id}"}


def _record(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    name = str(args.inputs.get("name", args.name)).rstrip(".")
    zone = args.inputs.get("zoneId", "")
    return f"{zone}_{name}_{args.inputs.get('type', '')}", {**args.inputs, "fqdn": name}


def _certificate(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    certificate_id = f"{digest(args.name, length=8)}-0000-4000-8000-{digest(args.name, 'c')}"
    arn = f"arn:aws:acm:{region()}:111122223333:certificate/{certificate_id}"
    domains = [args.inputs["domainName"], *args.inputs.get("subjectAlternativeNames", [])]

    def option(domain: str) -> dict[str, str]:
        # ACM gives a wildcard the same validation record as its apex.
        base = domain.removeprefix("*.")
        return {
            "domainName": domain,
            "resourceRecordName": f"_{digest(base, length=32)}.{base}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{digest(base, 'v', length=32)}.xlfgrmvvlj.acm-validations.aws.",
        }

    return arn, {**args.inputs, "arn": arn, "status": "ISSUED",
                 "domainValidationOptions": [option(d) for d in domains]}


def _security_group(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    group_id = "sg-" + digest(args.name, length=17)
    return group_id, {**args.inputs, "arn": f"arn:aws:ec2:{region()}:111122223333:security-group/{group_id}"}


def _rule(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    return "sgr-" + digest(args.name, length=17), dict(args.inputs)


def _service(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """Services read back after a Helm release: the AWS Load Balancer Controller gave them an NLB."""
    state = dict(args.inputs)
    namespace, _, name = (args.resource_id or args.name).rpartition("/")
    lb = f"k8s-{namespace[:8]}-{name[:8]}-{digest(args.name, length=10)}.elb.{region()}.amazonaws.com"
    state.setdefault("metadata", {"name": name, "namespace": namespace})
    state["status"] = {"loadBalancer": {"ingress": [{"hostname": lb}]}}
    return args.resource_id or f"{namespace}/{name}", state


def _release(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    namespace = args.inputs.get("namespace", "default")
    name = args.inputs.get("name", args.name)
    status = {"name": name, "namespace": namespace, "status": "deployed",
              "chart": args.inputs.get("chart"), "version": args.inputs.get("version"), "revision": 1}
    return f"{namespace}/{name}", {**args.inputs, "status": status}


def _password(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    length = int(args.inputs.get("length", 32))
    result = (digest(args.name, "password", length=64) * 2)[:length]
    # A fixed salt keeps the offline plan byte-for-byte reproducible (the real provider salts
    # randomly); cost 4, the minimum, because the plan never needs the hash to be strong.
    salt = b"$2b$04$" + base64.b64encode(hashlib.sha256(args.name.encode()).digest()[:16])[:22].translate(
        bytes.maketrans(_B64_STANDARD, _B64_BCRYPT))
    return "none", {**args.inputs, "result": result,
                    "bcryptHash": bcrypt.hashpw(result.encode(), salt).decode()}


def _monitor(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    monitor_id = 800000000 + int(digest(args.name, length=6), 16)
    return str(monitor_id), {**args.inputs, "monitor_id": monitor_id, "status": "UP"}


def _kubernetes_object(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    metadata = args.inputs.get("metadata") or {}
    namespace = metadata.get("namespace")
    name = metadata.get("name", args.name)
    return f"{namespace}/{name}" if namespace else name, dict(args.inputs)


OUTPUTS: dict[str, Callable[[MockResourceArgs], tuple[str, dict[str, Any]]]] = {
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": _record,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _rule,
    "kubernetes:core/v1:Service": _service,
    "kubernetes:helm.sh/v3:Release": _release,
    "random:index/randomPassword:RandomPassword": _password,
    "pulumi-python:dynamic/uptimerobot:Monitor": _monitor,
}


class GangplankMocks(pulumi.runtime.Mocks):
    """Provider stand-ins: computed outputs per resource type, answers to data-source calls."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        make = OUTPUTS.get(args.typ)
        if make is not None:
            return make(args)
        if args.typ.startswith("kubernetes:"):
            return _kubernetes_object(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:lb/getHostedZoneId:getHostedZoneId":
            return {"id": NLB_HOSTED_ZONE_IDS.get(args.args.get("region") or region(), "Z26RNL4JYFTOTI")}, []
        if args.token == "aws:route53/getZone:getZone":
            zone_id = args.args.get("zoneId") or "Z" + digest(str(args.args.get("name"))).upper()[:20]
            return {"zoneId": zone_id, "id": zone_id, "name": args.args.get("name", "example.com")}, []
        if args.token == "aws:ec2/getVpc:getVpc":
            # One primary CIDR, as most EKS VPCs have; the NLB security group's egress follows it.
            vpc_id = args.args.get("id") or "vpc-" + digest("default-vpc", length=17)
            return {"id": vpc_id, "cidrBlock": MOCK_VPC_CIDR, "state": "available",
                    "arn": f"arn:aws:ec2:{region()}:111122223333:vpc/{vpc_id}",
                    "cidrBlockAssociations": [{"associationId": "vpc-cidr-assoc-" + digest(vpc_id, length=17),
                                               "cidrBlock": MOCK_VPC_CIDR, "state": "associated"}]}, []
        return {}, []


@dataclass
class Registration:
    """One declared resource as the engine would receive it."""

    urn: str
    type: str
    name: str
    id: str | None
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    """`<type>::<name>` of every resource the engine makes this one wait for."""
    secret_inputs: dict[str, Any] | None = None
    """The inputs as sent when they hold a secret, secrets included; for tests only, never rendered. (Inputs
    without one are `inputs` already; keeping every request instead held its whole protobuf arena, a ninth
    of a planner run's memory at 5,000 apps: docs/performance.md.)"""

    def revealed_inputs(self) -> dict[str, Any]:
        """The inputs with their secrets shown: for tests that check a Secret's format."""
        if self.secret_inputs is None:
            return copy.deepcopy(self.inputs)
        return plain_inputs(self.secret_inputs, reveal=True)


def urn_label(urn: str) -> str:
    """`<type>::<name>` of a URN, the form plans use to name a resource."""
    qualified_type, name = urn.split("::")[2:4]
    return f"{qualified_type.split('$')[-1]}::{name}"


SHARED_STRING_MAX = 64
"""Strings up to this length are kept once however many plans repeat them (keys, kinds, classes, zone ids)."""


def plain_inputs(value: Any, reveal: bool = False) -> Any:
    """Inputs as JSON data: secrets hidden, references named, the dynamic provider blob dropped.

    `reveal=True` unwraps secrets instead: tests use it to check a Secret's format; plans never do.
    Keys and short strings are interned: a plan of thousands of resources repeats the same few
    thousand, and holding each once halves the memory the registrations take.
    """
    if isinstance(value, dict):
        signature = value.get(_SIG_KEY)
        if signature == _SECRET_SIG:
            return plain_inputs(value.get("value"), reveal) if reveal else SECRET_SHOWN_AS
        if signature == _RESOURCE_SIG:
            return value.get("id") or urn_label(value.get("urn", "::::?::?"))
        return {sys.intern(k): plain_inputs(v, reveal) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [plain_inputs(v, reveal) for v in value]
    if isinstance(value, str):
        if value == _UNKNOWN:
            return "[unknown]"
        return sys.intern(value) if len(value) <= SHARED_STRING_MAX else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def shared_strings(value: Any) -> Any:
    """The same data with its keys and short strings interned (held once however often they repeat)."""
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: shared_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shared_strings(v) for v in value]
    if isinstance(value, str) and len(value) <= SHARED_STRING_MAX:
        return sys.intern(value)
    return value


def _holds_secret(value: Any) -> bool:
    """Whether serialized inputs hold a secret anywhere."""
    if isinstance(value, dict):
        return value.get(_SIG_KEY) == _SECRET_SIG or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _alias(alias: Any) -> Any:
    """An alias as the plan shows it: a URN, or the spec's set fields (`name`, `parentUrn`, `noParent`...)."""
    if alias.HasField("urn") or not alias.HasField("spec"):
        return alias.urn
    return {key: value for key, value in json_format.MessageToDict(alias.spec).items() if value not in ("", None)}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping every registration in order with its parent and options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's whole type chain, and never the root stack's type.

        The SDK's MockMonitor keeps only the parent's last type and prefixes top-level resources
        with `pulumi:pulumi:Stack$`; the engine does neither (pulumi/pulumi pkg/resource/deploy/
        deployment.go `generateURN`: "don't use the root stack type; otherwise, use the full
        qualified type"). Aliases built from URNs, and URN comparisons across plans, need the real form.
        """
        if parent and (chain := parent.split("::")[2]) != "pulumi:pulumi:Stack":
            type_ = f"{chain}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        # The SDK's monitor keeps every resource's state (for `pulumi:pulumi:getResource`): the same few
        # thousand keys and values over and over, kept once each.
        kept = self.resources.get(response.urn)
        if kept is not None:
            self.resources[response.urn] = kept._replace(state=shared_strings(kept.state))
        implicit = {urn for deps in request.propertyDependencies.values() for urn in deps.urns}
        explicit = sorted(urn_label(u) for u in request.dependencies if u not in implicit)
        options: dict[str, Any] = {}
        if request.protect:
            options["protect"] = True
        if request.retainOnDelete:
            options["retainOnDelete"] = True
        if request.ignoreChanges:
            options["ignoreChanges"] = list(request.ignoreChanges)
        if explicit:
            options["dependsOn"] = explicit
        if request.importId:
            options["import"] = request.importId
        if request.deleteBeforeReplace:
            options["deleteBeforeReplace"] = True
        if request.replaceOnChanges:
            options["replaceOnChanges"] = sorted(request.replaceOnChanges)
        timeouts = {key: getattr(request.customTimeouts, key) for key in ("create", "update", "delete")
                    if request.HasField("customTimeouts") and getattr(request.customTimeouts, key)}
        if timeouts:
            options["customTimeouts"] = timeouts
        aliases = [_alias(alias) for alias in request.aliases] + list(request.aliasURNs)
        if aliases:
            options["aliases"] = aliases
        sent = json_format.MessageToDict(request.object)
        self.registrations.append(Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            id=(response.id or None) if request.custom else None,
            custom=bool(request.custom),
            # A child's parent URN carries the whole type chain (`pulumi:pulumi:Stack$<type>`):
            # only the stack itself is "no parent".
            parent=urn_label(request.parent)
            if request.parent and not urn_label(request.parent).startswith("pulumi:pulumi:Stack::") else None,
            inputs=plain_inputs(sent),
            options=options,
            # Every URN the engine is told this resource waits for: explicit `depends_on` and the
            # implicit ones of its Output inputs (the SDK sends their union as `dependencies`).
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            secret_inputs=sent if _holds_secret(sent) else None,
        ))
        return response
