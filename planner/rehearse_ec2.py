"""The rehearsal's EC2 and Elastic Load Balancing: security groups, their rules, and the NLBs the AWS Load Balancer
Controller builds from a controller release's Service values (`planner.rehearse` replays the rest).

`LoadBalancers` is a part of the replay (`planner.rehearse._Replay`): it creates, and for a change
(`planner.transition`) deletes, what EC2 and ELB would hold, with AWS's rules where moto 5.2 is laxer (security
group and rule texts, NLB schemes and address types, unknown security groups, listeners with unissued
certificates, a group deleted while a load balancer still uses it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from planner.elb_rules import Refused, check_load_balancer_attributes, listener_attributes, tags
from planner.mocks.common import digest
from planner.mocks.monitor import Registration
from planner.mocks.network import NLB_HOSTED_ZONE_IDS
from planner.mocks.providers import load_balancer_services, nlb_dns_name
from planner.resource_types import GATEWAY, GATEWAY_CLASS, INGRESS_RULE
from planner.route53_model import Alias, Rejected, dns

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


class _Skip(Exception):
    """Not replayed, for the reason given."""


class LoadBalancers:
    """Security groups, rules and NLBs of the replay (a mixin of `planner.rehearse._Replay`, which holds the
    emulator's clients and the translation of the mocks' values)."""

    ec2: Any
    elbv2: Any
    region: str
    reads: list[Registration]
    translate: dict[str, str]
    validated: set[str]
    security_groups: set[str]
    subnets: dict[str, list[str]]
    load_balancers: dict[str, tuple[str, str]]
    load_balancer_arns: dict[str, tuple[str, list[str]]]
    declared: list[Registration]

    value: Callable[[Any], Any]
    """The replay's translation of a plan value (mock ids to emulated ones)."""
    vpc: Callable[[str], str]
    """The emulated VPC standing in for the stack's."""

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
        # Named after the Service, as the controller names it (planner.mocks.providers.nlb_dns_name); the Service
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
        listener_arns: dict[str, str] = {}
        tagged = [lb["LoadBalancerArn"]]
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
            created = self.elbv2.create_listener(**listener)["Listeners"][0]
            listeners.append(f"{listener['Protocol']}:{port}")
            listener_arns[f"{listener['Protocol']}-{port}"] = created["ListenerArn"]
            tagged += [created["ListenerArn"], group["TargetGroupArn"]]
        try:
            check_load_balancer_attributes(_pairs(annotation("attributes")))
            for arn, listener_attributes_ in listener_attributes(annotations, listener_arns).items():
                self.elbv2.modify_listener_attributes(ListenerArn=arn, Attributes=listener_attributes_)
            extra_tags = tags(annotations)
        except Refused as err:
            raise Rejected(str(err)) from None
        if extra_tags:
            self.elbv2.add_tags(ResourceArns=tagged, Tags=extra_tags)
        attributes = [{"Key": k, "Value": v} for k, v in _pairs(annotation("attributes"))]
        if attributes:
            self.elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=attributes)
        self.load_balancers[namespace] = (lb["CanonicalHostedZoneId"], lb["DNSName"])
        self.load_balancer_arns[namespace] = (lb["LoadBalancerArn"], groups)
        return (f"{scheme} {address_type} NLB {lb_name}, security groups {', '.join(groups) or '(controller-made)'}, "
                f"listeners {', '.join(listeners)}{self._settings_read_back(lb['LoadBalancerArn'], listener_arns)}")

    def _settings_read_back(self, lb_arn: str, listener_arns: Mapping[str, str]) -> str:
        """The NLB's own settings as the emulated account holds them: what the replay applied."""
        said = []
        for listener, arn in sorted(listener_arns.items()):
            held = {a["Key"]: a["Value"]
                    for a in self.elbv2.describe_listener_attributes(ListenerArn=arn)["Attributes"]}
            if held.get("tcp.idle_timeout.seconds", "350") != "350" and listener.startswith("TCP-"):  # not AWS's
                said.append(f"idle timeout {held['tcp.idle_timeout.seconds']} s ({listener})")
        held = {a["Key"]: a["Value"] for a in self.elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=lb_arn)["Attributes"]}
        if held.get("access_logs.s3.enabled") == "true":
            said.append(f"access logs s3://{held.get('access_logs.s3.bucket')}/{held.get('access_logs.s3.prefix', '')}")
        if held.get("deletion_protection.enabled") == "true":
            said.append("deletion protection")
        count = len(self.elbv2.describe_tags(ResourceArns=[lb_arn])["TagDescriptions"][0]["Tags"])
        if count:
            said.append(f"{count} tags")
        return "; " + ", ".join(said) if said else ""

    def revoke(self, reg: Registration) -> str:
        """RevokeSecurityGroupIngress of one rule (aws_vpc_security_group_ingress_rule's delete)."""
        inputs = self.value(reg.inputs)
        group = inputs["securityGroupId"]
        if group not in self.security_groups:
            raise Rejected(f"InvalidGroup.NotFound: The security group '{group}' does not exist")
        permission: dict[str, Any] = {"IpProtocol": inputs["ipProtocol"], "FromPort": int(inputs["fromPort"]),
                                      "ToPort": int(inputs["toPort"])}
        if inputs.get("cidrIpv4"):
            permission["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"]}]
        if inputs.get("cidrIpv6"):
            permission["Ipv6Ranges"] = [{"CidrIpv6": inputs["cidrIpv6"]}]
        self.ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[permission])
        return f"delete: ingress {inputs['ipProtocol']} {inputs['fromPort']} revoked"

    def delete_load_balancer(self, namespace: str) -> str:
        """A controller release uninstalled: the AWS Load Balancer Controller deletes the NLB of its Service (its
        finalizer on the Service, `service.k8s.aws/resources`, waits for that)."""
        built = self.load_balancers.pop(namespace, None)
        if built is None:
            raise _Skip(f"no NLB was built for namespace {namespace} in this replay")
        arn, _ = self.load_balancer_arns[namespace]
        held = {a["Key"]: a["Value"] for a in self.elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=arn)["Attributes"]}
        if held.get("deletion_protection.enabled") == "true":
            # moto deletes it anyway; ELB refuses (DeleteLoadBalancer: OperationNotPermitted), and the controller
            # keeps the Service's finalizer until the attribute is turned off (LBC docs, deletion_protection).
            self.load_balancers[namespace] = built
            raise Rejected(f"OperationNotPermitted: Load balancer '{arn}' cannot be deleted because deletion "
                           "protection is enabled")
        self.load_balancer_arns.pop(namespace)
        self.elbv2.delete_load_balancer(LoadBalancerArn=arn)
        return f"delete: helm uninstall; the AWS Load Balancer Controller deletes the NLB {built[1]}"

    def delete_security_group(self, reg: Registration) -> str:
        """DeleteSecurityGroup: refused while a load balancer still uses the group (EC2: DependencyViolation)."""
        group = self.value(reg.id)
        users = [namespace for namespace, (_, groups) in self.load_balancer_arns.items() if group in groups]
        if users:
            raise Rejected(f"DependencyViolation: resource {group} has a dependent object (the NLB of {users[0]})")
        self.ec2.delete_security_group(GroupId=group)
        self.security_groups.discard(group)
        return f"delete: security group {group} deleted"

    def namespace_of(self, dns_name: str) -> str | None:
        """The namespace of the Service whose NLB has this DNS name."""
        return next((namespace for namespace, (_, name) in self.load_balancers.items()
                     if dns(name) == dns(dns_name)), None)

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

    def is_load_balancer(self, alias: Alias) -> bool:
        """Whether an alias names a load balancer of the replay by its DNS name and canonical hosted zone id (AWS API
        reference, AliasTarget)."""
        return any(dns(dns_name) == dns(alias.dns_name) and canonical == alias.zone_id
                   for canonical, dns_name in self.load_balancers.values())

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


