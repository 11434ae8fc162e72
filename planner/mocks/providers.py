"""One answer per resource type, as its provider leaves it after `pulumi up` (the `plan` mode's outputs).

Each resource gets what its real provider would answer, derived from its name and inputs so that
a plan is deterministic. Where a mock must answer, it answers like the provider, and the comment
on each answer says which source it follows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import bcrypt
from pulumi.runtime.mocks import MockResourceArgs

from planner.mocks.common import MOCK_ACCOUNT, digest, is_unknown, region
from planner.resource_types import ENVOY_PROXY, HELM_RELEASE

if TYPE_CHECKING:
    from planner.mocks.monitor import Registration

LBC_CLASS = "service.k8s.aws/nlb"
"""`loadBalancerClass` the AWS Load Balancer Controller acts on (its docs, "NLB" / service annotations)."""

_B64_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_BCRYPT = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# terraform-provider-aws sets a CertificateValidation's id to the certificate's IssuedAt, printed
# by Go's time.String() (internal/service/acm/certificate_validation.go). Fixed: plans are reproducible.
_ISSUED_AT = "2026-01-01 00:00:00 +0000 UTC"


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


class ProviderAnswers:
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
            object_id, _ = kubernetes_object(args)
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


def kubernetes_object(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
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


def provider_answers() -> dict[str, Callable[..., Any]]:
    """The answer functions by type token (for tests that call one directly)."""
    answers = ProviderAnswers([])
    return {typ: getattr(answers, method) for typ, method in ANSWERS.items()}
