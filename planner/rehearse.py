"""AWS acceptance, offline: replay a plan's AWS resources into moto and report what AWS would refuse.

`rehearse(run)` takes a program run in `plan` mode (its registrations: inputs as sent and what the
mocks answered) and replays, in dependency order, inside one in-process `moto.mock_aws()` (no
network): hosted zones, ACM certificates (DNS validation answered from the replayed zones),
security groups and their rules, the NLBs the AWS Load Balancer Controller would build from the
controllers' Service values (scheme, IP address type, security groups, listeners, certificates),
and records with the action pulumi-aws uses (CREATE, or UPSERT with `allowOverwrite`).

Ids, ARNs and names the mocks invented are translated to the ones moto hands out as the replay goes
(a record's `zoneId`, a listener's certificate, an alias target). Where moto is laxer than AWS, the
documented AWS rule is enforced here, with its source beside it (`_check_*`). Every resource gets
one line: accepted, rejected (with AWS's error), or skipped (with why). On a Gateway API edge the NLB's
Service is described by the implementation's proxy configuration (Envoy Gateway's EnvoyProxy), not by
Helm values: it is replayed from there (`LoadBalancers.proxy_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.mocks.monitor import Registration
from planner.mocks.network import MOCK_AVAILABILITY_ZONES, MOCK_SUBNET_LAYOUT
from planner.mocks.providers import expand_record_name
from planner.mocks.wire import UNKNOWN_SHOWN_AS
from planner.rehearse_ec2 import Line, LoadBalancers, _aws_error, _Skip
from planner.resource_types import (
    CERTIFICATE,
    EGRESS_RULE,
    ENVOY_PROXY,
    HELM_RELEASE,
    INGRESS_RULE,
    RECORD,
    SECURITY_GROUP,
    VALIDATION,
    ZONE,
)
from planner.route53_model import Action, Alias, RecordSet, RecordSets, Rejected, dns


def _dns(name: Any) -> str:
    return dns(name)


def _flatten_txt(value: str) -> str:
    """terraform-provider-aws route53 record.go, flattenTxtEntry: each TXT value is sent quoted."""
    return f'"{value}"'


class _Replay(LoadBalancers):
    """The replay's state: the emulated account, and the mock -> emulated translation of values."""

    def __init__(self, region: str, vpc_cidr: str, reads: list[Registration], delegated_by_hand: bool = False,
                 declared: list[Registration] | None = None) -> None:
        import boto3

        self.reads = reads
        self.declared = declared or []
        """Every registration: an EnvoyProxy's Service takes its ports from the Gateways that use it."""
        self.region = region
        self.route53 = boto3.client("route53", region_name="us-east-1")
        self.acm = boto3.client("acm", region_name=region)
        self.ec2 = boto3.client("ec2", region_name=region)
        self.elbv2 = boto3.client("elbv2", region_name=region)
        self.translate: dict[str, str] = {}
        self.zones: dict[str, tuple[str, bool]] = {}
        """Emulated zone id -> (name, private)."""
        self.record_sets = RecordSets()
        """Every zone's record sets as Route53 keeps them (moto is laxer: `planner.route53_model`)."""
        self.reachable: set[str] = set()
        """Public zones that public DNS reaches: adopted ones, stand-ins for parents outside the plan, and
        zones delegated to from a reachable zone by a replayed NS record (or by hand, in the config)."""
        self.delegated_by_hand = delegated_by_hand
        self.validated: set[str] = set()
        """Emulated certificate ARNs whose DNS validation passed."""
        self.load_balancers: dict[str, tuple[str, str]] = {}
        self.load_balancer_arns: dict[str, tuple[str, list[str]]] = {}
        """Namespace of the Service -> (ARN, security groups) of its emulated NLB."""
        """Namespace of the Service -> (canonical hosted zone id, DNS name) of the emulated NLB."""
        self.security_groups: set[str] = set()
        self.vpc_cidr = vpc_cidr
        self.vpcs: dict[str, str] = {}
        self.subnets: dict[str, list[str]] = {}

    # -- values ----------------------------------------------------------------------------

    def value(self, value: Any) -> Any:
        """A plan value with the mocks' ids, ARNs and names replaced by the emulator's."""
        if isinstance(value, str):
            return self.translate.get(value, value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def vpc(self, vpc_id: str) -> str:
        """The emulated VPC standing in for the stack's VPC (created on first use, with subnets)."""
        if vpc_id not in self.vpcs:
            vpc = self.ec2.create_vpc(CidrBlock=self.vpc_cidr, AmazonProvidedIpv6CidrBlock=True)["Vpc"]
            ipv6 = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
            prefix = ipv6.split("::")[0]
            subnets = []
            [public_cidrs] = [cidrs for role, cidrs, _ in MOCK_SUBNET_LAYOUT if role == "public"]
            for index, (zone, cidr) in enumerate(zip(MOCK_AVAILABILITY_ZONES, public_cidrs, strict=True)):
                subnet = self.ec2.create_subnet(
                    VpcId=vpc["VpcId"], CidrBlock=cidr,
                    AvailabilityZone=f"{self.region}{zone}", Ipv6CidrBlock=f"{prefix[:-1]}{index}::/64")["Subnet"]
                subnets.append(subnet["SubnetId"])
            self.vpcs[vpc_id] = vpc["VpcId"]
            self.subnets[vpc["VpcId"]] = subnets
            self.translate[vpc_id] = vpc["VpcId"]
        return self.vpcs[vpc_id]

    # -- one method per resource type --------------------------------------------------------

    def zone(self, reg: Registration) -> str:
        inputs = reg.inputs
        vpcs = inputs.get("vpcs") or []
        kwargs: dict[str, Any] = {"Name": inputs["name"], "CallerReference": reg.urn[-128:],
                                  "HostedZoneConfig": {"Comment": inputs.get("comment", ""),
                                                       "PrivateZone": bool(vpcs)}}
        if vpcs:
            kwargs["VPC"] = {"VPCRegion": self.region, "VPCId": self.vpc(vpcs[0]["vpcId"])}
        zone = self.route53.create_hosted_zone(**kwargs)["HostedZone"]
        zone_id = zone["Id"].rpartition("/")[2]
        self.zones[zone_id] = (_dns(inputs["name"]), bool(vpcs))
        self.record_sets.add_zone(zone_id, inputs["name"], bool(vpcs))
        if reg.id:
            self.translate[reg.id] = zone_id
        # The mock's name servers stand for the emulated zone's own (a delegation lists them).
        emulated = self.route53.get_hosted_zone(Id=zone_id).get("DelegationSet", {}).get("NameServers", [])
        for mocked, real in zip(reg.state().get("nameServers") or [], emulated, strict=False):
            self.translate[mocked] = real
        adopted = reg.options.get("import")
        kind = "private" if vpcs else "public"
        if not vpcs and (adopted or self.delegated_by_hand):
            self.reachable.add(zone_id)  # an existing zone is delegated already (or says it is)
        if adopted:
            return f"adopted {kind} zone {inputs['name']} ({adopted}): stood in for by an emulated zone of that name"
        return f"{kind} hosted zone {inputs['name']} created"

    def certificate(self, reg: Registration) -> str:
        inputs = reg.inputs
        kwargs: dict[str, Any] = {"DomainName": inputs["domainName"],
                                  "ValidationMethod": inputs.get("validationMethod", "DNS")}
        if inputs.get("subjectAlternativeNames"):
            kwargs["SubjectAlternativeNames"] = inputs["subjectAlternativeNames"]
        if inputs.get("tags"):
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
        arn = self.acm.request_certificate(**kwargs)["CertificateArn"]
        if reg.id:
            self.translate[reg.id] = arn
        emulated = self.acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
        mocked = reg.state().get("domainValidationOptions") or []
        for mock in mocked:
            real = next((o for o in emulated if o["DomainName"] == mock.get("domainName")), None)
            if real is None or "ResourceRecord" not in real:
                continue
            for key, field_name in (("resourceRecordName", "Name"), ("resourceRecordValue", "Value")):
                self.translate[mock[key]] = real["ResourceRecord"][field_name]
                self.translate[_dns(mock[key])] = _dns(real["ResourceRecord"][field_name])
        return f"certificate for {', '.join([inputs['domainName'], *inputs.get('subjectAlternativeNames', [])])} " \
               "requested (PENDING_VALIDATION)"

    def certificate_validation(self, reg: Registration) -> str:
        inputs = self.value(reg.inputs)
        arn = inputs["certificateArn"]
        try:
            detail = self.acm.describe_certificate(CertificateArn=arn)["Certificate"]
        except Exception as err:
            raise Rejected(f"reading ACM Certificate ({arn}): {_aws_error(err)}") from None
        fqdns = {_dns(f) for f in inputs.get("validationRecordFqdns") or []}
        wanted = {_dns(o["ResourceRecord"]["Name"]): o
                  for o in detail["DomainValidationOptions"] if "ResourceRecord" in o}
        # terraform-provider-aws acm certificate_validation.go: every validation record of the certificate
        # must be among validation_record_fqdns ("missing %s DNS validation record: %s").
        missing = sorted(set(wanted) - fqdns) if fqdns else []
        if missing:
            raise Rejected("; ".join(f"missing {wanted[m]['DomainName']} DNS validation record: {m}" for m in missing))
        for name, option in sorted(wanted.items()):
            zone_id = self._authoritative_zone(name)
            found = self._record_values(zone_id, name, "CNAME") if zone_id is not None else set()
            value = _dns(option["ResourceRecord"]["Value"])
            if value not in found:
                raise Rejected(f"waiting for ACM Certificate ({arn}) to be issued: timeout while waiting for state to "
                               "become 'ISSUED' (last state: 'PENDING_VALIDATION'): no public zone that public DNS "
                               f"reaches answers {name}. CNAME {value} (a zone nothing delegates to answers nobody: "
                               "set gangplank:parentZoneId, or adopt a delegated zone with gangplank:publicZoneId)")
        self.validated.add(arn)
        return f"validated: {len(wanted)} DNS validation record(s) answered by the replayed public zones"

    def _delegate(self, name: str, values: list[dict[str, str]]) -> None:
        """An NS record in a reachable zone delegates `name` to the replayed zone of that name whose name
        servers it lists (RFC 1034 section 4.2.2: a zone is reached through its parent's NS records)."""
        servers = {_dns(value["Value"]) for value in values}
        for zone_id, (zone, private) in self.zones.items():
            if zone == name and not private:
                listed = {_dns(s) for s in self.route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]}
                if servers & listed:
                    self.reachable.add(zone_id)

    def _authoritative_zone(self, name: str) -> str | None:
        """The public zone that answers `name` for a resolver on the internet: the one with the longest name
        that `name` is in, if public DNS reaches it; None if it does not (nothing delegates to it)."""
        candidates = [(len(zone), zone_id) for zone_id, (zone, private) in self.zones.items()
                      if not private and (name == zone or name.endswith("." + zone))]
        if not candidates:
            return None
        zone_id = max(candidates)[1]
        return zone_id if zone_id in self.reachable else None

    def _record_values(self, zone_id: str, name: str, record_type: str) -> set[str]:
        return {_dns(v) for r in self.record_sets.zone_of(zone_id).at(name, record_type) for v in r.values}

    def record_set(self, inputs: Mapping[str, Any], zone_name: str) -> RecordSet:
        """A Record's inputs as the record set pulumi-aws sends (terraform-provider-aws route53 record.go,
        expandResourceRecordSet), with the mocks' values translated to the emulator's."""
        aliases = inputs.get("aliases") or []
        weighted = inputs.get("weightedRoutingPolicies") or []
        common: dict[str, Any] = {
            "name": expand_record_name(self.value(inputs["name"]), zone_name), "type": inputs["type"],
            "set_identifier": inputs.get("setIdentifier") or None,
            "weight": int(weighted[0]["weight"]) if weighted else None}
        if aliases:
            alias = aliases[0]
            return RecordSet(**common, alias=Alias(self.value(alias["name"]), self.value(alias["zoneId"]),
                                                   bool(alias.get("evaluateTargetHealth"))))
        values = [str(self.value(v)) for v in inputs.get("records") or []]
        if inputs["type"] in ("TXT", "SPF"):
            values = [_flatten_txt(v) for v in values]
        return RecordSet(**common, ttl=int(inputs.get("ttl", 300)), values=tuple(values))

    def record_zone(self, reg: Registration) -> tuple[str, str]:
        """(emulated zone id, a note) of a record's zone: a stand-in for a parent zone outside the plan, if need be."""
        zone_id = self.value(reg.inputs["zoneId"])
        if zone_id in self.zones:
            return zone_id, ""
        return self._parent_stand_in(reg), f" in a stand-in for zone {reg.inputs['zoneId']}, which is outside this plan"

    def change_records(self, zone_id: str, changes: list[tuple[Action, RecordSet]]) -> None:
        """One ChangeResourceRecordSets batch: judged by Route53's rules (`RecordSets`), then sent to moto."""
        self.record_sets.change(zone_id, changes, self.is_load_balancer)
        self.route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Comment": "Managed by Pulumi", "Changes": [{"Action": action, "ResourceRecordSet": _rrset(record)}
                                                        for action, record in changes]})

    def record(self, reg: Registration) -> str:
        """A new record, with the action pulumi-aws creates it with: CREATE, or UPSERT with `allowOverwrite`
        (record.go resourceRecordCreate)."""
        zone_id, stand_in = self.record_zone(reg)
        zone_name, _ = self.zones[zone_id]
        record = self.record_set(reg.inputs, zone_name)
        action: Action = "UPSERT" if reg.inputs.get("allowOverwrite") else "CREATE"
        self.change_records(zone_id, [(action, record)])
        if record.type == "NS" and zone_id in self.reachable:
            self._delegate(record.name, [{"Value": v} for v in record.values])
        return f"{action} {describe(record)}{stand_in}"

    def _parent_stand_in(self, reg: Registration) -> str:
        """A zone outside the plan that a delegation (an NS record named after one of the plan's zones)
        is written into: stood in for by an emulated zone of the parent domain, so the record is checked
        like any other. Any other record in a zone outside the plan is skipped."""
        inputs = reg.inputs
        name = _dns(inputs.get("name"))
        if inputs.get("type") != "NS" or name not in {zone for zone, _ in self.zones.values()} or "." not in name:
            raise _Skip(f"zone {inputs['zoneId']} is not in this plan (it exists outside the stack): not checked")
        parent = name.split(".", 1)[1]
        zone = self.route53.create_hosted_zone(Name=parent, CallerReference=f"stand-in-{inputs['zoneId']}")
        zone_id = zone["HostedZone"]["Id"].rpartition("/")[2]
        self.zones[zone_id] = (parent, False)
        self.record_sets.add_zone(zone_id, parent, False)
        self.reachable.add(zone_id)  # the parent domain exists outside the plan, delegated from above
        self.translate[str(inputs["zoneId"])] = zone_id
        return zone_id


def _rrset(record: RecordSet) -> dict[str, Any]:
    """A record set as boto3's ChangeResourceRecordSets takes it."""
    rrset: dict[str, Any] = {"Name": record.name, "Type": record.type}
    if record.set_identifier is not None:
        rrset.update(SetIdentifier=record.set_identifier, Weight=record.weight)
    if record.alias is not None:
        rrset["AliasTarget"] = {"DNSName": record.alias.dns_name, "HostedZoneId": record.alias.zone_id,
                                "EvaluateTargetHealth": record.alias.evaluate_target_health}
    else:
        rrset.update(TTL=record.ttl, ResourceRecords=[{"Value": v} for v in record.values])
    return rrset


def describe(record: RecordSet) -> str:
    """`A shop.dev.example.com (alias to k8s-....elb...)`, `TXT a-shop... (1 value(s))`, weighted ones with their
    set identifier and weight."""
    what = f"alias to {record.alias.dns_name}" if record.alias is not None else f"{len(record.values)} value(s)"
    weighted = (f", set {record.set_identifier} weight {record.weight}" if record.set_identifier is not None
                else "")
    return f"{record.type} {record.name} ({what}{weighted})"


def _order(registrations: list[Registration]) -> list[Registration]:
    """Dependency order (what a resource depends on first), ties by URN: the order the engine could run."""
    by_label = {reg.label: reg for reg in registrations}
    done: set[str] = set()
    ordered: list[Registration] = []

    def visit(reg: Registration, path: frozenset[str] = frozenset()) -> None:
        if reg.label in done or reg.label in path:
            return
        for dep in sorted(reg.dependencies):
            if dep in by_label:
                visit(by_label[dep], path | {reg.label})
        done.add(reg.label)
        ordered.append(reg)

    for reg in sorted(registrations, key=lambda r: (r.urn, r.read)):
        visit(reg)
    return ordered


def emulator() -> Any:
    """moto's in-process AWS (a context manager): every call inside it is answered by the emulator."""
    import os

    # moto's own switch: without it every emulated EC2 region first loads thousands of AMIs the
    # replay never uses (moto docs, "EC2: MOTO_EC2_LOAD_DEFAULT_AMIS").
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from moto import mock_aws

    return mock_aws()


def handler_of(replay: _Replay, reg: Registration) -> Any:
    """The replay's method for a new resource of this type, or None (not an AWS resource)."""
    handlers = {ZONE: replay.zone, CERTIFICATE: replay.certificate, VALIDATION: replay.certificate_validation,
                SECURITY_GROUP: replay.security_group, INGRESS_RULE: replay.rule, EGRESS_RULE: replay.rule,
                RECORD: replay.record}
    if reg.read and reg.type == "kubernetes:core/v1:Service":
        return replay.service_read
    return handlers.get(reg.type)


def outcome(label: str, call: Any, *args: Any) -> Line:
    """One call's line: accepted with what it did, rejected with AWS's error, or skipped with why."""
    try:
        return Line("accepted", label, call(*args))
    except _Skip as skip:
        return Line("skipped", label, str(skip))
    except Rejected as err:
        return Line("rejected", label, str(err))
    except Exception as err:
        if getattr(err, "response", None) is None:
            raise
        return Line("rejected", label, _aws_error(err))


def create(replay: _Replay, reg: Registration) -> list[Line]:
    """A new resource (or a read) replayed; its lines."""
    if UNKNOWN_SHOWN_AS in str(reg.inputs):
        return [Line("skipped", reg.label, "inputs unknown: the rehearsal replays `plan` mode only")]
    if reg.type == HELM_RELEASE:
        return replay.release(reg) or [Line("skipped", reg.label, "no AWS resource: no LoadBalancer Service for the "
                                                                  "AWS Load Balancer Controller in its values")]
    if reg.type == ENVOY_PROXY:
        return replay.proxy_config(reg) or [Line("skipped", reg.label, "no AWS resource: no LoadBalancer Service "
                                                                       "for the AWS Load Balancer Controller in it")]
    handler = handler_of(replay, reg)
    if handler is None:
        why = "a provider resource" if reg.type.startswith("pulumi:providers:") else "not an AWS resource"
        return [Line("skipped", reg.label, why)]
    return [outcome(reg.label, handler, reg)]


def rehearse(registrations: list[Registration], region: str, vpc_cidr: str,
             delegated_by_hand: bool = False, first: int = 0) -> list[Line]:
    """Replay every AWS resource of a `plan`-mode run into moto; one line per resource.

    `delegated_by_hand`: the stack says its parent already delegates to the public zone it created
    (`gangplank:publicZoneDelegated`). `first`: the first `first` registrations are another stack's that is
    deployed before (an app stack's platform): they are replayed, in their own order, before the others."""
    lines: list[Line] = []
    with emulator():
        replay = _Replay(region, vpc_cidr, [reg for reg in registrations if reg.read], delegated_by_hand,
                         [reg for reg in registrations if not reg.read])
        for reg in [*_order(registrations[:first]), *_order(registrations[first:])]:
            if reg.id is None and not reg.read:
                continue  # components: nothing reaches AWS
            lines += create(replay, reg)
    return lines


def rehearse_run(run: Any) -> list[Line]:
    """`rehearse` for a `planner.run.ProgramRun` in `plan` mode (the region from its `aws:region`).

    An app stack's records go into its platform's zones: the platform's plan (`run.platform_run`) is replayed
    first, as it is deployed first, and only the app stack's own lines are reported (the platform stack's
    rehearsal reports its own)."""
    from planner.mocks.network import MOCK_VPC_CIDR
    from planner.rollout.blockers import delegated_by_hand

    own = [*run.monitor.registrations, *run.monitor.read_registrations]
    platform = getattr(run, "platform_run", None)
    before = [*platform.monitor.registrations, *platform.monitor.read_registrations] if platform is not None else []
    config = platform.config if platform is not None else run.config
    lines = rehearse([*before, *own], config.get("aws:region") or "us-east-1", MOCK_VPC_CIDR,
                     delegated_by_hand(config), first=len(before))
    theirs = {reg.label for reg in before}
    # A line names its resource, and for what the LBC builds from a release, its release first: `<label> (...)`.
    return [line for line in lines if line.resource.split(" (")[0] not in theirs]


def render_rehearsal(lines: list[Line]) -> str:
    counts = {outcome: sum(1 for line in lines if line.outcome == outcome) for outcome in ("accepted", "rejected",
                                                                                            "skipped")}
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    verdict = "AWS would accept every resource." if not counts["rejected"] else "AWS would refuse part of this plan."
    return "\n".join([*(str(line) for line in lines), "", f"{summary}. {verdict}"]) + "\n"
