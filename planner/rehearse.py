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
Helm values: it is replayed from there (`_Replay.proxy_config`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from planner.mocks import (
    MOCK_AVAILABILITY_ZONES,
    MOCK_SUBNET_LAYOUT,
    NLB_HOSTED_ZONE_IDS,
    UNKNOWN_SHOWN_AS,
    Registration,
    digest,
    expand_record_name,
    load_balancer_services,
    nlb_dns_name,
)
from planner.resource_types import (
    CERTIFICATE,
    EGRESS_RULE,
    ENVOY_PROXY,
    GATEWAY,
    GATEWAY_CLASS,
    HELM_RELEASE,
    INGRESS_RULE,
    RECORD,
    SECURITY_GROUP,
    VALIDATION,
    ZONE,
)

Outcome = Literal["accepted", "rejected", "skipped"]
LBC_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"

# EC2 API reference, CreateSecurityGroup (GroupDescription) and IpRange/Ipv6Range (Description):
# "Constraints: Up to 255 characters in length. Allowed characters are a-z, A-Z, 0-9, spaces, and
# ._-:/()#,@[]+=&;{}!$*" (the rule descriptions omit "&").
_GROUP_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
_RULE_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*]{0,255}$")
# AWS Load Balancer Controller docs, "Service annotations": scheme and ip-address-type values.
_SCHEMES = ("internet-facing", "internal")
_IP_ADDRESS_TYPES = ("ipv4", "dualstack")


@dataclass(frozen=True)
class Line:
    """One resource's outcome."""

    outcome: Outcome
    resource: str
    detail: str

    def __str__(self) -> str:
        return f"{self.outcome:<8}  {self.resource}: {self.detail}"


class Rejected(Exception):
    """AWS would refuse the call: the message is AWS's error."""


def _dns(name: Any) -> str:
    return str(name or "").rstrip(".").lower()


def _check_record_in_zone(name: str, zone: str) -> None:
    """Route53 accepts a record only at the zone's name or below it, at a label boundary: AWS API
    reference, ChangeResourceRecordSets, InvalidChangeBatch "RRSet with DNS name ... is not permitted
    in zone ..."; moto 5.2 only tests the string suffix (`badexample.com` in `example.com` passes)."""
    if name != zone and not name.endswith("." + zone):
        raise Rejected(f"InvalidChangeBatch: [RRSet with DNS name {name}. is not permitted in zone {zone}.]")


def _txt_strings(value: str) -> list[str]:
    """The character-strings of one TXT value as sent (quoted, `"a" "b"` for several)."""
    return re.findall(r'"((?:[^"\\]|\\.)*)"', value) or [value]


def _check_txt(values: Iterable[str]) -> None:
    """A TXT character-string holds at most 255 characters (RFC 1035 section 3.3; Route53 developer guide,
    "Supported DNS record types", TXT: split longer values into several quoted strings); moto 5.2
    accepts longer ones."""
    for value in values:
        for text in _txt_strings(value):
            if len(text) > 255:
                raise Rejected("InvalidChangeBatch: [Invalid Resource Record: 'FATAL problem: CharacterStringTooLong "
                               f"(Value is too long) encountered with '\"{text[:40]}...\"'']")


def _flatten_txt(value: str) -> str:
    """terraform-provider-aws route53 record.go, flattenTxtEntry: each TXT value is sent quoted."""
    return f'"{value}"'


class _Replay:
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
        self.reachable: set[str] = set()
        """Public zones that public DNS reaches: adopted ones, stand-ins for parents outside the plan, and
        zones delegated to from a reachable zone by a replayed NS record (or by hand, in the config)."""
        self.delegated_by_hand = delegated_by_hand
        self.validated: set[str] = set()
        """Emulated certificate ARNs whose DNS validation passed."""
        self.load_balancers: dict[str, tuple[str, str]] = {}
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
            found = zone_id is not None and self._record(zone_id, name, "CNAME")
            value = _dns(option["ResourceRecord"]["Value"])
            if not found or value not in {_dns(r["Value"]) for r in found.get("ResourceRecords", [])}:
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

    def _record(self, zone_id: str, name: str, record_type: str) -> dict[str, Any] | None:
        sets = self.route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name,
                                                      StartRecordType=record_type, MaxItems="1")
        for record in sets["ResourceRecordSets"]:
            if _dns(record["Name"]) == _dns(name) and record["Type"] == record_type:
                return record
        return None

    def _names_at(self, zone_id: str, name: str) -> set[str]:
        sets = self.route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name)
        return {r["Type"] for r in sets["ResourceRecordSets"] if _dns(r["Name"]) == _dns(name)}

    def security_group(self, reg: Registration) -> str:
        inputs = self.value(reg.inputs)
        name = reg.state().get("name") or reg.name
        description = inputs.get("description", "Managed by Pulumi")
        if not _GROUP_DESCRIPTION.match(description):
            raise Rejected("InvalidParameterValue: Value for parameter GroupDescription is invalid. Character "
                           "sets beyond ASCII are not supported, and at most 255 characters of "
                           "a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*.")
        if name.lower().startswith("sg-"):
            raise Rejected("InvalidParameterValue: Group names may not be in the format sg-*.")
        vpc_id = self.vpc(inputs["vpcId"]) if inputs.get("vpcId") else None
        kwargs: dict[str, Any] = {"GroupName": name, "Description": description}
        if vpc_id:
            kwargs["VpcId"] = vpc_id
        if inputs.get("tags"):
            kwargs["TagSpecifications"] = [{"ResourceType": "security-group",
                                            "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]}]
        group_id = self.ec2.create_security_group(**kwargs)["GroupId"]
        # terraform-provider-aws security_group.go: a new group's default allow-all egress is revoked.
        self.ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.security_groups.add(group_id)
        if reg.id:
            self.translate[reg.id] = group_id
        return f"security group {name} created in the VPC, default egress revoked"

    def rule(self, reg: Registration) -> str:
        inputs = self.value(reg.inputs)
        group = inputs["securityGroupId"]
        if group not in self.security_groups:
            raise Rejected(f"InvalidGroup.NotFound: The security group '{group}' does not exist")
        description = inputs.get("description", "")
        if not _RULE_DESCRIPTION.match(description):
            raise Rejected("InvalidParameterValue: Invalid rule description: at most 255 characters of "
                           "a-zA-Z0-9 ._-:/()#,@[]+=;{}!$*")
        permission: dict[str, Any] = {"IpProtocol": inputs["ipProtocol"]}
        if inputs.get("fromPort") is not None:
            permission.update(FromPort=int(inputs["fromPort"]), ToPort=int(inputs["toPort"]))
        if inputs.get("cidrIpv4"):
            permission["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"], "Description": description}]
        if inputs.get("cidrIpv6"):
            permission["Ipv6Ranges"] = [{"CidrIpv6": inputs["cidrIpv6"], "Description": description}]
        # aws_vpc_security_group_{ingress,egress}_rule: Authorize... with one IpPermission.
        call = (self.ec2.authorize_security_group_ingress if reg.type == INGRESS_RULE
                else self.ec2.authorize_security_group_egress)
        call(GroupId=group, IpPermissions=[permission])
        cidr = inputs.get("cidrIpv4") or inputs.get("cidrIpv6")
        direction = "ingress" if reg.type == INGRESS_RULE else "egress"
        return f"{direction} {inputs['ipProtocol']} {inputs.get('fromPort')} {cidr} authorized"

    def release(self, reg: Registration) -> list[Line]:
        """The NLBs the AWS Load Balancer Controller builds for the release's LoadBalancer Services."""
        lines = []
        namespace = reg.inputs.get("namespace") or "default"
        services = list(load_balancer_services(reg.inputs.get("values")))
        for index, service in enumerate(services):
            label = f"{reg.label} (Service #{index + 1}: its NLB, as the AWS Load Balancer Controller builds it)"
            try:
                lines.append(Line("accepted", label, self._load_balancer(namespace, service)))
            except Rejected as err:
                lines.append(Line("rejected", label, str(err)))
            except Exception as err:
                lines.append(Line("rejected", label, _aws_error(err)))
        return lines

    def proxy_config(self, reg: Registration) -> list[Line]:
        """The NLB the AWS Load Balancer Controller builds for the Service Envoy Gateway makes from an EnvoyProxy.

        Envoy Gateway copies `envoyService` (type, class, annotations) into the Service and gives it one port per
        listener of the Gateways whose GatewayClass names this EnvoyProxy, each targeting its container port
        (internal/infrastructure/kubernetes/proxy/resource_provider.go `Service`; internal/gatewayapi/listener.go
        `servicePortToContainerPort`, v1.9.0).
        """
        from components.flavors.envoy_gateway import container_port

        metadata = reg.inputs.get("metadata") or {}
        namespace, name = metadata.get("namespace") or "default", metadata.get("name")
        classes = {r.inputs.get("metadata", {}).get("name") for r in self.declared if r.type == GATEWAY_CLASS
                   and (r.inputs.get("spec") or {}).get("parametersRef", {}).get("name") == name
                   and (r.inputs.get("spec") or {}).get("parametersRef", {}).get("namespace") == namespace}
        listener_ports = sorted({int(listener["port"]) for r in self.declared if r.type == GATEWAY
                                 and (r.inputs.get("spec") or {}).get("gatewayClassName") in classes
                                 for listener in r.inputs["spec"].get("listeners") or []})
        lines = []
        for index, service in enumerate(load_balancer_services(reg.inputs.get("spec"))):
            label = f"{reg.label} (Service #{index + 1}: its NLB, as the AWS Load Balancer Controller builds it)"
            if not listener_ports:
                lines.append(Line("skipped", label, "no Gateway uses this EnvoyProxy: Envoy Gateway makes no Service"))
                continue
            try:
                ports = [(port, container_port(port)) for port in listener_ports]
                lines.append(Line("accepted", label, self._load_balancer(namespace, service, ports)))
            except Rejected as err:
                lines.append(Line("rejected", label, str(err)))
            except Exception as err:
                lines.append(Line("rejected", label, _aws_error(err)))
        return lines

    def _load_balancer(self, namespace: str, service: Mapping[str, Any],
                       ports: list[tuple[int, Any]] | None = None) -> str:
        annotations = self.value(service.get("annotations") or {})

        def annotation(suffix: str, default: str = "") -> str:
            return str(annotations.get(LBC_PREFIX + suffix, default))

        # The controller's default scheme is internal (its docs, "Service annotations").
        scheme, address_type = annotation("scheme", "internal"), annotation("ip-address-type", "ipv4")
        if scheme not in _SCHEMES:
            raise Rejected(f"ValidationError: 1 validation error detected: Value '{scheme}' at 'scheme' failed to "
                           f"satisfy constraint: Member must satisfy enum value set: [{', '.join(_SCHEMES)}]")
        if address_type not in _IP_ADDRESS_TYPES:
            raise Rejected(f"ValidationError: Value '{address_type}' at 'ipAddressType' failed to satisfy constraint: "
                           f"Member must satisfy enum value set: [{', '.join(_IP_ADDRESS_TYPES)}]")
        groups = [g.strip() for g in annotation("security-groups").split(",") if g.strip()]
        for group in groups:
            # moto 5.2 accepts unknown security groups on a load balancer; AWS does not.
            if group not in self.security_groups:
                raise Rejected(f"InvalidConfigurationRequest: One or more security groups are invalid ({group})")
        vpc_id = next(iter(self.subnets), None) or self.vpc("vpc-rehearsal")
        # Named after the Service, as the controller names it (planner.mocks.nlb_dns_name); the Service
        # is the one the program reads back in this namespace, if it does.
        service_name = next((str(r.id).rpartition("/")[2] for r in self.reads
                             if str(r.id).startswith(namespace + "/")), "service")
        lb_name = nlb_dns_name(namespace, service_name).split(".")[0].rsplit("-", 1)[0]
        kwargs: dict[str, Any] = {"Name": lb_name, "Subnets": self.subnets[vpc_id], "Scheme": scheme,
                                  "Type": "network", "IpAddressType": address_type}
        if groups:
            kwargs["SecurityGroups"] = groups
        lb = self.elbv2.create_load_balancer(**kwargs)["LoadBalancers"][0]
        ports = _service_ports(service) if ports is None else ports
        tls_ports = {p.strip() for p in annotation("ssl-ports", "*").split(",")}
        certificates = [c.strip() for c in annotation("ssl-cert").split(",") if c.strip()]
        policy = annotation("ssl-negotiation-policy", "ELBSecurityPolicy-2016-08")
        listeners = []
        for port, target in ports:
            group = self.elbv2.create_target_group(
                # The controller's target group names: k8s-<namespace:8>-<name:8>-<hash:10> (its
                # pkg/service/model_build_target_group.go), a hash per port.
                Name=f"{lb_name[:22]}{digest(lb_name, str(port), length=10)}", Protocol="TCP",
                Port=target if isinstance(target, int) else port,
                VpcId=vpc_id, TargetType=annotation("nlb-target-type", "instance") or "instance",
                HealthCheckProtocol=annotation("healthcheck-protocol", "TCP").upper())["TargetGroups"][0]
            attributes = [{"Key": "proxy_protocol_v2.enabled",
                           "Value": "true" if annotation("proxy-protocol") == "*" else "false"}]
            attributes += [{"Key": k, "Value": v} for k, v in _pairs(annotation("target-group-attributes"))]
            self.elbv2.modify_target_group_attributes(TargetGroupArn=group["TargetGroupArn"], Attributes=attributes)
            forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
            listener: dict[str, Any] = {"LoadBalancerArn": lb["LoadBalancerArn"], "Port": port, "Protocol": "TCP",
                                        "DefaultActions": forward}
            if certificates and ("*" in tls_ports or str(port) in tls_ports):
                for arn in certificates:
                    # A listener takes an issued certificate only; AWS refuses one still pending validation.
                    if arn not in self.validated:
                        raise Rejected(f"UnsupportedCertificate: The certificate '{arn}' must have a fully-qualified "
                                       "domain name, a supported signature, and a supported key size (it is not "
                                       "issued: its DNS validation did not pass in this replay)")
                listener.update(Protocol="TLS", Certificates=[{"CertificateArn": certificates[0]}], SslPolicy=policy)
            self.elbv2.create_listener(**listener)
            listeners.append(f"{listener['Protocol']}:{port}")
        attributes = [{"Key": k, "Value": v} for k, v in _pairs(annotation("attributes"))]
        if attributes:
            self.elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=attributes)
        self.load_balancers[namespace] = (lb["CanonicalHostedZoneId"], lb["DNSName"])
        return (f"{scheme} {address_type} NLB {lb_name}, security groups {', '.join(groups) or '(controller-made)'}, "
                f"listeners {', '.join(listeners)}")

    def service_read(self, reg: Registration) -> str:
        """The chart's Service read back: its load-balancer host name is the emulated NLB's."""
        namespace = str(reg.id or "").rpartition("/")[0]
        hostname = (((reg.state().get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}])[0].get(
            "hostname")
        built = self.load_balancers.get(namespace)
        if hostname and built:
            self.translate[hostname] = built[1]
            canonical = NLB_HOSTED_ZONE_IDS.get(self.region)
            if canonical:
                self.translate[canonical] = built[0]
            return f"read of {reg.id}: its host name is the emulated NLB {built[1]}"
        raise _Skip(f"read of {reg.id}: no NLB was built for it in this replay")

    def record(self, reg: Registration) -> str:
        inputs = reg.inputs
        zone_id = self.value(inputs["zoneId"])
        stand_in = ""
        if zone_id not in self.zones:
            zone_id = self._parent_stand_in(reg)
            stand_in = f" in a stand-in for zone {inputs['zoneId']}, which is outside this plan"
        zone_name, _ = self.zones[zone_id]
        record_type = inputs["type"]
        name = expand_record_name(self.value(inputs["name"]), zone_name)
        _check_record_in_zone(name, zone_name)
        action = "UPSERT" if inputs.get("allowOverwrite") else "CREATE"
        present = self._names_at(zone_id, name)
        if action == "CREATE" and record_type in present:
            # moto 5.2 treats CREATE of an existing record as UPSERT; Route53 refuses it (API reference,
            # ChangeResourceRecordSets: "CREATE: Creates a resource record set that has the specified
            # values" and fails if it exists).
            raise Rejected(f"InvalidChangeBatch: [Tried to create resource record set [name='{name}.', "
                           f"type='{record_type}'] but it already exists]")
        # A CNAME cannot share its name with any other record (RFC 1034 section 3.6.2; Route53 refuses it).
        if (record_type == "CNAME" and present - {"CNAME"}) or (record_type != "CNAME" and "CNAME" in present):
            other = sorted(present - {record_type})[0]
            raise Rejected(f"InvalidChangeBatch: [RRSet of type {record_type} with DNS name {name}. is not permitted "
                           f"because a conflicting RRSet of type {other} with the same DNS name already exists in "
                           f"zone {zone_name}.]")
        rrset: dict[str, Any] = {"Name": name, "Type": record_type}
        aliases = inputs.get("aliases") or []
        if aliases:
            alias = aliases[0]
            target, target_zone = self.value(alias["name"]), self.value(alias["zoneId"])
            self._check_alias_target(record_type, _dns(target), target_zone)
            rrset["AliasTarget"] = {"DNSName": target, "HostedZoneId": target_zone,
                                    "EvaluateTargetHealth": bool(alias.get("evaluateTargetHealth"))}
        else:
            values = [str(self.value(v)) for v in inputs.get("records") or []]
            if record_type in ("TXT", "SPF"):
                values = [_flatten_txt(v) for v in values]
                _check_txt(values)
            rrset["TTL"] = int(inputs.get("ttl", 300))
            rrset["ResourceRecords"] = [{"Value": v} for v in values]
        self.route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Comment": "Managed by Pulumi", "Changes": [{"Action": action, "ResourceRecordSet": rrset}]})
        what = f"alias to {rrset['AliasTarget']['DNSName']}" if aliases else f"{len(rrset['ResourceRecords'])} value(s)"
        if record_type == "NS" and zone_id in self.reachable:
            self._delegate(name, rrset.get("ResourceRecords") or [])
        return f"{action} {record_type} {name} ({what}){stand_in}"

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
        self.reachable.add(zone_id)  # the parent domain exists outside the plan, delegated from above
        self.translate[str(inputs["zoneId"])] = zone_id
        return zone_id

    def _check_alias_target(self, record_type: str, target: str, target_zone: str) -> None:
        """An alias must point at something that exists in the target hosted zone: a load balancer whose
        DNS name and canonical hosted zone id match, or a record in that Route53 zone (AWS API reference,
        AliasTarget; Route53 answers InvalidChangeBatch "... the alias target name does not lie within the
        target zone"). moto 5.2 accepts any target."""
        for canonical, dns_name in self.load_balancers.values():
            if _dns(dns_name) == target and canonical == target_zone:
                return
        if target_zone in self.zones and self._names_at(target_zone, target):
            return
        raise Rejected(f"InvalidChangeBatch: [Tried to create an alias that targets {target}., type {record_type} in "
                       f"zone {target_zone}, but the alias target name does not lie within the target zone]")


class _Skip(Exception):
    """Not replayed, for the reason given."""


def _pairs(text: str) -> list[tuple[str, str]]:
    """`k=v,k2=v2` annotation values."""
    return [tuple(part.split("=", 1)) for part in text.split(",") if "=" in part]  # type: ignore[misc]


def _service_ports(service: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """(port, target port) of a chart's Service values, in the shapes the supported charts use:
    `ports: {http: 80}` with `targetPorts` (ingress-nginx), `httpPort: {port, targetPort, enable}` (F5),
    and F5's `customPorts`, ServicePorts its template renders as they are (templates/controller-service.yaml
    at v5.5.4)."""
    found: list[tuple[int, Any]] = []
    ports, targets = service.get("ports"), service.get("targetPorts") or {}
    if isinstance(ports, Mapping):
        found += [(int(port), targets.get(name, port)) for name, port in ports.items() if isinstance(port, int)]
    found += [(int(port["port"]), port.get("targetPort", port["port"])) for port in service.get("customPorts") or []
              if isinstance(port, Mapping) and "port" in port]
    for key, value in service.items():
        if key.endswith("Port") and isinstance(value, Mapping) and value.get("enable", True) and "port" in value:
            found.append((int(value["port"]), value.get("targetPort", value["port"])))
    return sorted(set(found), key=lambda pair: pair[0])


def _aws_error(err: Exception) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return str(err)


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


def rehearse(registrations: list[Registration], region: str, vpc_cidr: str,
             delegated_by_hand: bool = False) -> list[Line]:
    """Replay every AWS resource of a `plan`-mode run into moto; one line per resource.

    `delegated_by_hand`: the stack says its parent already delegates to the public zone it created
    (`gangplank:publicZoneDelegated`)."""
    import os

    # moto's own switch: without it every emulated EC2 region first loads thousands of AMIs the
    # replay never uses (moto docs, "EC2: MOTO_EC2_LOAD_DEFAULT_AMIS").
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from moto import mock_aws

    lines: list[Line] = []
    with mock_aws():
        replay = _Replay(region, vpc_cidr, [reg for reg in registrations if reg.read], delegated_by_hand,
                         [reg for reg in registrations if not reg.read])
        handlers = {ZONE: replay.zone, CERTIFICATE: replay.certificate, VALIDATION: replay.certificate_validation,
                    SECURITY_GROUP: replay.security_group, INGRESS_RULE: replay.rule, EGRESS_RULE: replay.rule,
                    RECORD: replay.record}
        for reg in _order(registrations):
            if reg.id is None and not reg.read:
                continue  # components: nothing reaches AWS
            if UNKNOWN_SHOWN_AS in str(reg.inputs):
                lines.append(Line("skipped", reg.label, "inputs unknown: the rehearsal replays `plan` mode only"))
                continue
            if reg.type == HELM_RELEASE:
                lines += replay.release(reg) or [Line("skipped", reg.label, "no AWS resource: no LoadBalancer "
                                                                            "Service for the AWS Load Balancer "
                                                                            "Controller in its values")]
                continue
            if reg.type == ENVOY_PROXY:
                lines += replay.proxy_config(reg) or [Line("skipped", reg.label, "no AWS resource: no LoadBalancer "
                                                                                 "Service for the AWS Load Balancer "
                                                                                 "Controller in it")]
                continue
            handler = handlers.get(reg.type)
            if reg.read and reg.type == "kubernetes:core/v1:Service":
                handler = replay.service_read
            if handler is None:
                why = "a provider resource" if reg.type.startswith("pulumi:providers:") else "not an AWS resource"
                lines.append(Line("skipped", reg.label, why))
                continue
            try:
                lines.append(Line("accepted", reg.label, handler(reg)))
            except _Skip as skip:
                lines.append(Line("skipped", reg.label, str(skip)))
            except Rejected as err:
                lines.append(Line("rejected", reg.label, str(err)))
            except Exception as err:
                if getattr(err, "response", None) is None:
                    raise
                lines.append(Line("rejected", reg.label, _aws_error(err)))
    return lines


def rehearse_run(run: Any) -> list[Line]:
    """`rehearse` for a `planner.run.ProgramRun` in `plan` mode (the region from its `aws:region`)."""
    from planner.mocks import MOCK_VPC_CIDR
    from planner.rollout import delegated_by_hand

    return rehearse([*run.monitor.registrations, *run.monitor.read_registrations],
                    run.config.get("aws:region") or "us-east-1", MOCK_VPC_CIDR,
                    delegated_by_hand(run.config))


def render_rehearsal(lines: list[Line]) -> str:
    counts = {outcome: sum(1 for line in lines if line.outcome == outcome) for outcome in ("accepted", "rejected",
                                                                                            "skipped")}
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    verdict = "AWS would accept every resource." if not counts["rejected"] else "AWS would refuse part of this plan."
    return "\n".join([*(str(line) for line in lines), "", f"{summary}. {verdict}"]) + "\n"
