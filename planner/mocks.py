"""Pulumi mocks that stand in for AWS, Kubernetes and UptimeRobot when planning offline.

Each resource gets what its real provider would answer, derived from its name and inputs so that
a plan is deterministic. Where a mock must answer, it answers like the provider, and the comment
on each answer says which source it follows. Three modes:

- `plan` (default): the state after `pulumi up` completed: every id and computed output known.
- `fresh`: `pulumi preview` of a new stack. Creates get no id and only their inputs back, so every
  value the provider computes is unknown; reads whose id is unknown are skipped, as the engine
  skips them; imports and reads with a known id are read, as the engine reads them in previews.
- `update`: a preview of an update in which every Helm release and every dynamic resource (the
  UptimeRobot monitors) is updated. Existing resources keep their ids and outputs; what those
  providers recompute on update is unknown.

`RecordingMonitor` keeps what the SDK's mock monitor forgets: the parent, the resource options,
the explicit provider, reads (`Resource.get`), and each dynamic resource's `check` failures.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import ipaddress
import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import bcrypt
import dill
import pulumi
from google.protobuf import json_format
from pulumi.runtime import known_types, rpc
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from planner.resource_types import ENVOY_PROXY, HELM_RELEASE

Mode = Literal["plan", "fresh", "update"]
MODES: tuple[Mode, ...] = ("plan", "fresh", "update")

MOCK_VPC_CIDR = "10.0.0.0/16"
"""The CIDR block every mocked VPC reports (aws.ec2.get_vpc)."""
MOCK_VPC_IPV6_CIDR = "2001:db8:1234:1a00::/56"
"""The IPv6 block every mocked VPC reports (a documentation prefix standing in for Amazon's pool)."""
MOCK_AVAILABILITY_ZONES = ("a", "b", "c")
"""Zone suffixes of the mocked subnets: one public and one private subnet in each, as EKS VPCs are usually laid out."""
MOCK_SUBNET_LAYOUT = (
    # (role, IPv4 CIDR per zone, tags): public subnets tagged for internet-facing load balancers, private
    # (node) subnets tagged for internal ones, as eksctl and the terraform-aws-eks VPC module tag them.
    ("public", ("10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"), {"kubernetes.io/role/elb": "1"}),
    ("private", ("10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"), {"kubernetes.io/role/internal-elb": "1"}),
    # Another cluster's public subnets in the same VPC, tagged as eksctl tags a cluster's own: the AWS Load
    # Balancer Controller of this cluster leaves them out (pkg/networking/subnet_resolver.go), so no edge trusts them.
    ("other-cluster", ("10.0.48.0/22", "10.0.52.0/22", "10.0.56.0/22"),
     {"kubernetes.io/role/elb": "1", "kubernetes.io/cluster/legacy-eks": "shared"}),
)
"""The subnets of every mocked VPC (aws.ec2.get_subnets / get_subnet)."""

MOCK_ACCOUNT = "111122223333"
"""The AWS account every mocked ARN names (the documentation account of the AWS docs)."""

# Canonical hosted zone ids of network load balancers (AWS "Elastic Load Balancing endpoints").
NLB_HOSTED_ZONE_IDS = {
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-west-2": "Z18D5FSROUN65G",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-central-1": "Z3F0SRJ5LGBH90",
}

DYNAMIC_PREFIX = "pulumi-python:dynamic"
LBC_CLASS = "service.k8s.aws/nlb"
"""`loadBalancerClass` the AWS Load Balancer Controller acts on (its docs, "NLB" / service annotations)."""
UPDATED_IN_UPDATE_PREVIEW = (HELM_RELEASE,)
"""Types `--preview update` updates, besides every dynamic resource (`pulumi-python:dynamic/...`)."""

_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SHOWN_AS = "[secret]"
UNKNOWN_SHOWN_AS = "[unknown]"
_B64_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# terraform-provider-aws sets a CertificateValidation's id to the certificate's IssuedAt, printed
# by Go's time.String() (internal/service/acm/certificate_validation.go). Fixed: plans are reproducible.
_ISSUED_AT = "2026-01-01 00:00:00 +0000 UTC"


def digest(*parts: str, length: int = 12) -> str:
    """A short stable hex string for fake ids."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def is_unknown(value: Any) -> bool:
    """A value not known yet (preview): the SDK's `Unknown`, or its wire sentinel."""
    return known_types.is_unknown(value) or (isinstance(value, str) and value == rpc.UNKNOWN)


def hosted_zone_id(name: str) -> str:
    """Route53 hosted zone ids are `Z` followed by upper-case letters and digits (13 to 21 of them;
    new zones get 20, e.g. Z0123456789ABCDEFGHIJ)."""
    return "Z" + digest("hostedzone", name, length=20).upper()


def nlb_dns_name(namespace: str, name: str) -> str:
    """The DNS name AWS gives the NLB the AWS Load Balancer Controller builds for a Service.

    The controller names it `k8s-<namespace:8>-<name:8>-<hash:10>` with non-alphanumerics removed
    (aws-load-balancer-controller pkg/service/model_build_load_balancer.go, buildLoadBalancerName);
    AWS appends `-<16 hex>.elb.<region>.amazonaws.com` for network load balancers.
    """
    def clean(text: str) -> str:
        return "".join(c for c in text if c.isalnum())

    lb_name = f"k8s-{clean(namespace)[:8]}-{clean(name)[:8]}-{digest('lb', namespace, name, length=10)}"
    return f"{lb_name}-{digest('dns', namespace, name, length=16)}.elb.{region()}.amazonaws.com"


# -- one answer per resource type, as `pulumi up` leaves it ------------------------------------


def expand_record_name(name: str, zone: str) -> str:
    """terraform-provider-aws route53 record.go, expandRecordName: the zone's name is appended to a
    record name that does not end with it (a string suffix test, not a label test)."""
    name, zone = str(name or "").rstrip(".").lower(), str(zone or "").rstrip(".").lower()
    if not name.endswith(zone):
        return f"{name}.{zone}" if name else zone
    return name


class _Answers:
    """Provider answers of `plan` mode; `declared` is every registration so far (reads look back)."""

    def __init__(self, declared: list[Registration]) -> None:
        self.declared = declared
        self.zone_names: dict[str, str] = {}
        """Hosted zone id -> its name, for the records' `fqdn` (one look-up, not a scan per record)."""

    def zone(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        zone_id = args.resource_id or hosted_zone_id(args.name)
        if isinstance(args.inputs.get("name"), str):
            self.zone_names[zone_id] = args.inputs["name"].rstrip(".").lower()
        servers = [f"ns-{int(digest(args.name, str(i), length=3), 16) % 2048}.awsdns-{i:02d}.net" for i in range(4)]
        # pulumi-aws (aws_route53_zone): zoneId, nameServers and arn are computed.
        return zone_id, {**args.inputs, "zoneId": zone_id, "nameServers": servers,
                         "arn": f"arn:aws:route53:::hostedzone/{zone_id}"}

    def record(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """terraform-provider-aws internal/service/route53/record.go: the name's state is trimmed of
        its trailing dot and lower-cased, the id is `ZONEID_name_TYPE`, and `fqdn` is the name
        expanded with the zone's name when it does not end with it (expandRecordName)."""
        raw_name, zone, record_type = (args.inputs.get(k) for k in ("name", "zoneId", "type"))
        if any(is_unknown(v) or v is None for v in (raw_name, zone, record_type)):
            return "", dict(args.inputs)
        name = str(raw_name).rstrip(".").lower()
        zone_name = self.zone_names.get(str(zone))
        fqdn = name if zone_name is None else expand_record_name(name, zone_name)
        return f"{zone}_{name}_{record_type}", {**args.inputs, "name": name, "fqdn": fqdn}

    def certificate(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        certificate_id = f"{digest(args.name, length=8)}-0000-4000-8000-{digest(args.name, 'c')}"
        arn = f"arn:aws:acm:{region()}:{MOCK_ACCOUNT}:certificate/{certificate_id}"
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

        # A new certificate is PENDING_VALIDATION: aws_acm_certificate's create waits for the
        # validation options, not for issuance; CertificateValidation is what waits for ISSUED
        # (terraform-provider-aws internal/service/acm/certificate.go, certificate_validation.go).
        return arn, {**args.inputs, "arn": arn, "status": "PENDING_VALIDATION",
                     "domainValidationOptions": [option(d) for d in domains]}

    def certificate_validation(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return _ISSUED_AT, dict(args.inputs)

    def security_group(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        group_id = "sg-" + digest(args.name, length=17)
        # Without a `name`, Pulumi auto-names it `<logical name>-<7 random hex>` (Pulumi docs, "Auto-naming").
        name = args.inputs.get("name") or f"{args.name}-{digest(args.name, 'autoname', length=7)}"
        return group_id, {**args.inputs, "name": name, "ownerId": MOCK_ACCOUNT,
                          "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:security-group/{group_id}"}

    def rule(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rule_id = "sgr-" + digest(args.name, length=17)
        return rule_id, {**args.inputs, "securityGroupRuleId": rule_id,
                         "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:security-group-rule/{rule_id}"}

    def service(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """A Service: a load-balancer status only where the AWS Load Balancer Controller would give one.

        A declared Service gets one only if it is `type: LoadBalancer` with the controller's class. A
        read Service (`Service.get`, no inputs) is one a chart made: it has one when a Helm release in
        its namespace declares such a Service in its values; otherwise it is answered as ClusterIP.
        """
        state = dict(args.inputs)
        if args.resource_id:
            namespace, _, name = args.resource_id.rpartition("/")
            spec = self._chart_service(namespace)
            state.setdefault("metadata", {"name": name, "namespace": namespace})
            state.setdefault("spec", {"type": "LoadBalancer", "loadBalancerClass": LBC_CLASS}
                             if spec is not None else {"type": "ClusterIP"})
            object_id = args.resource_id
        else:
            object_id, _ = _kubernetes_object(args)
            namespace, _, name = object_id.rpartition("/")
        spec = state.get("spec") or {}
        if spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") == LBC_CLASS:
            state["status"] = {"loadBalancer": {"ingress": [{"hostname": nlb_dns_name(namespace, name)}]}}
        return object_id, state

    def _chart_service(self, namespace: str) -> dict[str, Any] | None:
        """The LoadBalancer Service a controller makes in `namespace`: described in a Helm release's values, or
        in an Envoy Gateway EnvoyProxy (its `envoyService`, which Envoy Gateway turns into the Service)."""
        for reg in self.declared:
            if reg.type == HELM_RELEASE and reg.inputs.get("namespace") == namespace:
                found = next(load_balancer_services(reg.inputs.get("values")), None)
                if found is not None:
                    return found
            if reg.type == ENVOY_PROXY and (reg.inputs.get("metadata") or {}).get("namespace") == namespace:
                found = next(load_balancer_services(reg.inputs.get("spec")), None)
                if found is not None:
                    return found
        return None

    def release(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        namespace = args.inputs.get("namespace") or "default"
        name = args.inputs.get("name", args.name)
        if is_unknown(namespace) or is_unknown(name):
            return "", dict(args.inputs)
        # pulumi-kubernetes provider/pkg/provider/helm_release.go: id `namespace/name` (fqName),
        # `status` a ReleaseStatus of the installed revision.
        status = {"name": name, "namespace": namespace, "status": "deployed",
                  "chart": args.inputs.get("chart"), "version": args.inputs.get("version"), "revision": 1}
        return f"{namespace}/{name}", {**args.inputs, "status": status}

    def password(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        length = int(args.inputs.get("length", 32))
        result = (digest(args.name, "password", length=64) * 2)[:length]
        # A fixed salt keeps the offline plan byte-for-byte reproducible (the real provider salts
        # randomly); cost 4, the minimum, because the plan never needs the hash to be strong.
        salt = b"$2b$04$" + base64.b64encode(hashlib.sha256(args.name.encode()).digest()[:16])[:22].translate(
            bytes.maketrans(_B64_STANDARD, _B64_BCRYPT))
        # pulumi-random's RandomPassword has the id "none".
        return "none", {**args.inputs, "result": result,
                        "bcryptHash": bcrypt.hashpw(result.encode(), salt).decode()}

    def monitor(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        monitor_id = 800000000 + int(digest(args.name, length=6), 16)
        return str(monitor_id), {**args.inputs, "monitor_id": monitor_id, "status": "UP"}


@dataclass(frozen=True)
class MockSubnet:
    """One subnet of a mocked VPC, with the attributes DescribeSubnets filters on."""

    id: str
    vpc_id: str
    cidr_block: str
    ipv6_cidr_block: str
    availability_zone: str
    tags: dict[str, str]

    def matches(self, name: str, values: list[str]) -> bool:
        """EC2's filter semantics for the filters gangplank uses: any of `values` matches."""
        if name == "vpc-id":
            return self.vpc_id in values
        if name == "subnet-id":
            return self.id in values
        if name == "availability-zone":
            return self.availability_zone in values
        if name == "tag-key":
            return any(key in values for key in self.tags)
        if name.startswith("tag:"):
            key = name.removeprefix("tag:")
            return key in self.tags and self.tags[key] in values
        raise NotImplementedError(f"the mocks do not model the DescribeSubnets filter {name!r}")


def mock_subnets(vpc_id: str) -> list[MockSubnet]:
    """The subnets of a mocked VPC: `MOCK_SUBNET_LAYOUT` in each zone, ids and IPv6 /64s derived from the VPC."""
    ipv6 = ipaddress.ip_network(MOCK_VPC_IPV6_CIDR).subnets(new_prefix=64)
    subnets = []
    for role, cidrs, tags in MOCK_SUBNET_LAYOUT:
        for zone, cidr in zip(MOCK_AVAILABILITY_ZONES, cidrs, strict=True):
            subnets.append(MockSubnet(id="subnet-" + digest(vpc_id, role, zone, length=17), vpc_id=vpc_id,
                                      cidr_block=cidr, ipv6_cidr_block=str(next(ipv6)),
                                      availability_zone=f"{region()}{zone}", tags=dict(tags)))
    return subnets


def _get_subnets(args: dict[str, Any], subnets: list[MockSubnet]) -> dict[str, Any]:
    """aws:ec2/getSubnets: the ids of every subnet matching all filters (an empty list is no error)."""
    filters = args.get("filters") or []
    found = [subnet.id for subnet in subnets if all(subnet.matches(f["name"], list(f.get("values", [])))
                                                    for f in filters)]
    # terraform-provider-aws vpc_subnets_data_source.go: id = the region, ids = the matches.
    return {"id": args.get("region") or region(), "ids": found, "filters": filters}


def _get_subnet(subnet: MockSubnet | None, subnet_id: str) -> dict[str, Any]:
    """aws:ec2/getSubnet by id (the only way gangplank asks); an unknown id fails like the provider."""
    if subnet is None:
        raise ValueError(f"no matching EC2 Subnet found (id {subnet_id})")
    return {"id": subnet.id, "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:subnet/{subnet.id}",
            "vpcId": subnet.vpc_id, "cidrBlock": subnet.cidr_block, "ipv6CidrBlock": subnet.ipv6_cidr_block,
            "availabilityZone": subnet.availability_zone, "state": "available", "tags": dict(subnet.tags),
            "availableIpAddressCount": 4000}


def _kubernetes_object(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """pulumi-kubernetes ids: `namespace/name` for namespaced objects, `name` for cluster-scoped ones."""
    metadata = args.inputs.get("metadata") or {}
    namespace = metadata.get("namespace")
    name = metadata.get("name", args.name)
    if is_unknown(namespace) or is_unknown(name):
        return "", dict(args.inputs)
    return f"{namespace}/{name}" if namespace else name, dict(args.inputs)


def load_balancer_services(values: Any) -> Iterator[dict[str, Any]]:
    """Every Service description in Helm values that the AWS Load Balancer Controller turns into an
    NLB: a mapping with `type: LoadBalancer` and `loadBalancerClass: service.k8s.aws/nlb`."""
    if isinstance(values, dict):
        if values.get("type") == "LoadBalancer" and values.get("loadBalancerClass") == LBC_CLASS:
            yield values
        for value in values.values():
            yield from load_balancer_services(value)
    elif isinstance(values, list):
        for value in values:
            yield from load_balancer_services(value)


ANSWERS: dict[str, str] = {
    "aws:route53/zone:Zone": "zone",
    "aws:route53/record:Record": "record",
    "aws:acm/certificate:Certificate": "certificate",
    "aws:acm/certificateValidation:CertificateValidation": "certificate_validation",
    "aws:ec2/securityGroup:SecurityGroup": "security_group",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "rule",
    "kubernetes:core/v1:Service": "service",
    HELM_RELEASE: "release",
    "random:index/randomPassword:RandomPassword": "password",
    "pulumi-python:dynamic/uptimerobot:Monitor": "monitor",
}


STACK_REFERENCE = "pulumi:pulumi:StackReference"


@dataclass(frozen=True)
class StackOutputs:
    """Another stack's outputs, as a `StackReference` to it reads them."""

    outputs: dict[str, Any]
    """Output name -> value (secret ones as the plan shows them: `[secret]`)."""
    secret_names: tuple[str, ...] = ()
    """The outputs that are secret."""


@dataclass(frozen=True)
class CheckFailure:
    """A dynamic provider's `check` refused an input of a resource."""

    resource: str
    """`<type>::<name>` of the resource."""
    field: str
    reason: str


class GangplankMocks(pulumi.runtime.Mocks):
    """Provider stand-ins: computed outputs per resource type, answers to data-source calls."""

    def __init__(self, mode: Mode = "plan", stack_references: Mapping[str, StackOutputs] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.stack_references = dict(stack_references or {})
        """Fully qualified stack name -> the outputs a StackReference to it reads."""
        self.check_failures: list[CheckFailure] = []
        self.unknown_outputs: dict[str, list[str]] = {}
        """`--preview update`: resource -> the outputs its provider computes, unknown until it is updated."""
        self._answers = _Answers([])
        self._providers: dict[str, Any] = {}
        self._listed: dict[str, MockSubnet] = {}
        """Subnets a getSubnets call returned, by id: what getSubnet can then be asked about."""

    def subnets(self, vpc_ids: list[str]) -> list[MockSubnet]:
        """The subnets of these VPCs (tests override this to model other layouts)."""
        return [subnet for vpc_id in vpc_ids for subnet in mock_subnets(vpc_id)]

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith(DYNAMIC_PREFIX):
            # The engine sends every dynamic resource through its provider's `check` first and hands
            # `create`/`update` the checked inputs (pulumi/dynamic/__main__.py, Check).
            args = MockResourceArgs(args.typ, args.name, self._checked(args), args.provider, args.resource_id,
                                    args.custom)
        if self.mode == "fresh" and not args.resource_id:
            # A create in preview: pulumi-aws and pulumi-kubernetes answer the planned state with every
            # computed value unknown; providers without preview support (dynamic ones) get their
            # inputs back (pulumi sdk/go/common/resource/plugin/provider_plugin.go, Create with
            # Preview). An id is unknown until the create ran: it is left empty.
            return "", dict(args.inputs)
        if self.mode == "update" and (args.typ in UPDATED_IN_UPDATE_PREVIEW or args.typ.startswith(DYNAMIC_PREFIX)):
            # An update keeps the old id (pulumi pkg/resource/deploy/step.go, UpdateStep.Apply). Its
            # outputs in preview: a Helm release's `status` and `resourceNames` are unknown
            # (pulumi-kubernetes helm_release.go, checkpointRelease); a dynamic provider has no
            # preview, so the engine hands back the new inputs (provider_plugin.go, Update).
            resource_id, answer = self._answer(args)
            computed = sorted(key for key in answer if key not in args.inputs)
            if computed:
                self.unknown_outputs[f"{args.typ}::{args.name}"] = computed
            return resource_id, dict(args.inputs)
        return self._answer(args)

    def _answer(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            return self._stack_reference(args)
        method = ANSWERS.get(args.typ)
        if method is not None:
            return getattr(self._answers, method)(args)
        if args.typ.startswith("kubernetes:"):
            return _kubernetes_object(args)
        if args.typ.startswith("pulumi:providers:"):
            # The engine gives a provider resource a UUID as its id (pulumi pkg/resource/deploy, providers).
            value = digest("provider", args.name, length=32)
            return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-8{value[17:20]}-{value[20:]}", dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """A StackReference is a read of the built-in provider, whose id is the referenced stack's name; its state
        is `name`, `outputs` and `secretOutputNames` (pulumi pkg/resource/deploy/builtins.go, readStackReference).
        A stack the planner was not given reads as one without outputs."""
        name = str(args.resource_id or args.inputs.get("name") or args.name)
        found = self.stack_references.get(name, StackOutputs({}))
        outputs = {key: rpc.wrap_rpc_secret(value) if key in found.secret_names else value
                   for key, value in found.outputs.items()}
        return name, {"name": name, "outputs": outputs, "secretOutputNames": list(found.secret_names)}

    def _checked(self, args: MockResourceArgs) -> dict[str, Any]:
        """The dynamic resource's inputs after its own provider's `check`; failures are recorded."""
        # The SDK sends the pickled provider as a secret (it may hold secrets of its own).
        wrapped = args.inputs.get("__provider")
        blob = rpc.unwrap_rpc_secret(wrapped)
        if not isinstance(blob, str):
            return dict(args.inputs)
        provider = self._providers.get(blob)
        if provider is None:
            # Unpickled as the dynamic provider host does (pulumi/dynamic/__main__.py, get_provider),
            # without its configure(): `check` makes no call and needs no key.
            provider = self._providers[blob] = _deserialize(lambda: dill.loads(base64.b64decode(blob)))
        result = provider.check({}, dict(args.inputs))
        label = f"{args.typ}::{args.name}"
        self.check_failures += [CheckFailure(label, f.property, f.reason) for f in result.failures or []]
        return {**dict(result.inputs or {}), "__provider": wrapped}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:lb/getHostedZoneId:getHostedZoneId":
            return {"id": NLB_HOSTED_ZONE_IDS.get(args.args.get("region") or region(), "Z26RNL4JYFTOTI")}, []
        if args.token == "aws:route53/getZone:getZone":
            zone_id = args.args.get("zoneId") or hosted_zone_id(str(args.args.get("name")))
            return {"zoneId": zone_id, "id": zone_id, "name": args.args.get("name", "example.com")}, []
        if args.token == "aws:ec2/getSubnets:getSubnets":
            vpc_ids = sorted({v for f in args.args.get("filters") or [] if f.get("name") == "vpc-id"
                              for v in f.get("values", [])})
            listed = self.subnets(vpc_ids)
            self._listed.update({subnet.id: subnet for subnet in listed})
            return _get_subnets(args.args, listed), []
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet_id = str(args.args.get("id"))
            return _get_subnet(self._listed.get(subnet_id), subnet_id), []
        if args.token == "aws:ec2/getVpc:getVpc":
            # One primary CIDR, as most EKS VPCs have; the admission webhook's NetworkPolicy rule follows it.
            vpc_id = args.args.get("id") or "vpc-" + digest("default-vpc", length=17)
            return {"id": vpc_id, "cidrBlock": MOCK_VPC_CIDR, "state": "available",
                    "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:vpc/{vpc_id}",
                    "cidrBlockAssociations": [{"associationId": "vpc-cidr-assoc-" + digest(vpc_id, length=17),
                                               "cidrBlock": MOCK_VPC_CIDR, "state": "associated"}]}, []
        return {}, []


@dataclass
class Registration:
    """One declared (or read) resource as the engine would receive it."""

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
    provider: str | None = None
    """`<type>::<name>` of the explicit provider the resource is managed by; None for the default one."""
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Top-level input -> `<type>::<name>` of the resources whose outputs it is made from (the SDK's
    `propertyDependencies`: what the engine makes unknown in a preview when one of them is replaced)."""
    read: bool = False
    """A `Resource.get` read of an existing resource, not a resource this program manages."""
    raw_state: dict[str, Any] = field(default_factory=dict)
    """What the mocks answered (outputs), as the SDK sees them; for the rehearsal, never rendered."""

    @property
    def label(self) -> str:
        return f"{self.type}::{self.name}"

    def state(self) -> dict[str, Any]:
        """The mocks' answer as plain JSON data: unknowns `[unknown]`, secrets `[secret]`."""
        return _state_as_json(self.raw_state)

    def revealed_inputs(self) -> dict[str, Any]:
        """The inputs with their secrets shown: for tests that check a Secret's format."""
        if self.secret_inputs is None:
            return copy.deepcopy(self.inputs)
        return plain_inputs(self.secret_inputs, reveal=True)


def urn_label(urn: str) -> str:
    """`<type>::<name>` of a URN (or of a provider reference `URN::id`), the form plans use."""
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
        if value == rpc.UNKNOWN:
            return UNKNOWN_SHOWN_AS
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


def _parent_label(parent_urn: str) -> str | None:
    # A child's parent URN carries the whole type chain (`pulumi:pulumi:Stack$<type>`): only the
    # stack itself is "no parent".
    if not parent_urn or urn_label(parent_urn).startswith("pulumi:pulumi:Stack::"):
        return None
    return urn_label(parent_urn)


def _state_as_json(state: dict[str, Any]) -> dict[str, Any]:
    """Mock outputs as plain JSON data (unknowns as `[unknown]`), for the rehearsal."""
    def plain(value: Any) -> Any:
        if is_unknown(value):
            return UNKNOWN_SHOWN_AS
        if rpc.is_rpc_secret(value):
            return SECRET_SHOWN_AS
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items() if k != "__provider"}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value if value is None or isinstance(value, str | int | float | bool) else json.dumps(value, default=str)

    return plain(state)


class LoopClosingMonitor(MockMonitor):
    """The SDK's mock monitor, with a way to close the event loops it makes on the engine's threads.

    The SDK calls a monitor on the threads of the event loop's default executor
    (pulumi/runtime/resource.py, `do_rpc_call` through `run_in_executor`), and its MockMonitor gives
    each thread an event loop (pulumi/runtime/mocks.py, `RegisterResource`, `ReadResource` and `Invoke`
    call `_ensure_event_loop`) that nothing closes. A loop and its selector hold each other, so such a
    loop outlives its thread until some later `gc.collect()`; its finalizer then warns about an
    unclosed loop (ResourceWarning) in whichever test happens to collect it: the occasional
    PytestUnraisableExceptionWarning of the test suite. `close_thread_loops` closes them when the
    run is torn down.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self._thread_loops: dict[int, asyncio.AbstractEventLoop] = {}
        self._thread_loops_lock = threading.Lock()

    def _note_thread_loop(self) -> None:
        loop = _ensure_event_loop()  # the loop the SDK's method is about to use on this thread
        with self._thread_loops_lock:
            self._thread_loops.setdefault(id(loop), loop)

    def close_thread_loops(self, keep: asyncio.AbstractEventLoop | None = None) -> None:
        """Close the loops made on the engine's threads (not `keep`, the program's own loop)."""
        with self._thread_loops_lock:
            loops, self._thread_loops = list(self._thread_loops.values()), {}
        for loop in loops:
            if loop is not keep and not loop.is_running() and not loop.is_closed():
                loop.close()

    def RegisterResource(self, request: Any) -> Any:
        self._note_thread_loop()
        return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:
        self._note_thread_loop()
        return super().ReadResource(request)

    def Invoke(self, request: Any) -> Any:
        self._note_thread_loop()
        return super().Invoke(request)


class RecordingMonitor(LoopClosingMonitor):
    """The SDK's mock monitor, keeping every registration and read in order with parent and options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.read_registrations: list[Registration] = []
        """`Resource.get` reads, kept apart: they are not resources this program manages."""
        if isinstance(mocks, GangplankMocks):
            mocks._answers.declared = self.registrations

    def _dry_run(self) -> bool:
        return bool(pulumi.runtime.is_dry_run())

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
            id=self._shown_id(response.id, bool(request.custom)),
            custom=bool(request.custom),
            parent=_parent_label(request.parent),
            inputs=plain_inputs(sent),
            options=options,
            # Every URN the engine is told this resource waits for: explicit `depends_on` and the
            # implicit ones of its Output inputs (the SDK sends their union as `dependencies`).
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            property_dependencies={key: sorted({urn_label(u) for u in deps.urns})
                                   for key, deps in sorted(request.propertyDependencies.items()) if deps.urns},
            secret_inputs=sent if _holds_secret(sent) else None,
            # A provider reference is `<urn>::<id>`; the SDK sends none for the default provider.
            provider=urn_label(request.provider.rsplit("::", 1)[0]) if request.provider else None,
            raw_state=self.resources[response.urn].state,
        ))
        return response

    def _shown_id(self, resource_id: str | None, custom: bool) -> str | None:
        if not custom:
            return None
        if resource_id:
            return resource_id
        return UNKNOWN_SHOWN_AS if self._dry_run() else None

    def ReadResource(self, request: Any) -> Any:
        """A `Resource.get`, as the engine runs it: read in previews too, skipped when the id is unknown.

        pulumi pkg/resource/deploy/step.go, ReadStep.Apply: "Read steps run during previews. The only
        time we can't run is if the ID we are given is unknown": the outputs are then empty, which the
        SDK resolves as unknown. The response carries the id the read resolved (empty: unknown), as
        the engine's ReadResourceResponse does for pulumi >= 3.27x (SDK runtime/resource.py, read_resource).
        """
        self._note_thread_loop()  # as the SDK's ReadResource, which this one replaces, makes it
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.id == rpc.UNKNOWN:
            resource_id, state = "", {}
        else:
            resource_id, state = self.mocks.new_resource(MockResourceArgs(
                typ=request.type, name=request.name, inputs=rpc.deserialize_properties(request.properties),
                provider=request.provider, resource_id=request.id, custom=True))
            resource_id = resource_id or request.id
        properties = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        options: dict[str, Any] = {"read": True}
        if request.dependencies:
            options["dependsOn"] = sorted(urn_label(u) for u in request.dependencies)
        self.read_registrations.append(Registration(
            urn=urn, type=request.type, name=request.name,
            id=resource_id or UNKNOWN_SHOWN_AS, custom=True,
            parent=_parent_label(request.parent),
            inputs=plain_inputs(read_inputs := json_format.MessageToDict(request.properties)),
            options=options,
            dependencies=sorted({urn_label(u) for u in request.dependencies}),
            provider=urn_label(request.provider.rsplit("::", 1)[0]) if request.provider else None,
            read=True,
            raw_state=state,
            secret_inputs=read_inputs if _holds_secret(read_inputs) else None,
        ))
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties, id=resource_id)


def provider_answers() -> dict[str, Callable[..., Any]]:
    """The answer functions by type token (for tests that call one directly)."""
    answers = _Answers([])
    return {typ: getattr(answers, method) for typ, method in ANSWERS.items()}
