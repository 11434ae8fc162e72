"""The mocked AWS network the data sources (invokes) describe: the VPC, its subnets, NLB hosted zone ids.

`GangplankMocks.call` (planner/mocks/serving.py) answers `aws:ec2/getVpc`, `getSubnets`, `getSubnet` and
`aws:lb/getHostedZoneId` from these.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from planner.mocks.common import MOCK_ACCOUNT, digest, region

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

# Canonical hosted zone ids of network load balancers (AWS "Elastic Load Balancing endpoints").
NLB_HOSTED_ZONE_IDS = {
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-west-2": "Z18D5FSROUN65G",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-central-1": "Z3F0SRJ5LGBH90",
}


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


def get_subnets(args: dict[str, Any], subnets: list[MockSubnet]) -> dict[str, Any]:
    """aws:ec2/getSubnets: the ids of every subnet matching all filters (an empty list is no error)."""
    filters = args.get("filters") or []
    found = [subnet.id for subnet in subnets if all(subnet.matches(f["name"], list(f.get("values", [])))
                                                    for f in filters)]
    # terraform-provider-aws vpc_subnets_data_source.go: id = the region, ids = the matches.
    return {"id": args.get("region") or region(), "ids": found, "filters": filters}


def get_subnet(subnet: MockSubnet | None, subnet_id: str) -> dict[str, Any]:
    """aws:ec2/getSubnet by id (the only way gangplank asks); an unknown id fails like the provider."""
    if subnet is None:
        raise ValueError(f"no matching EC2 Subnet found (id {subnet_id})")
    return {"id": subnet.id, "arn": f"arn:aws:ec2:{region()}:{MOCK_ACCOUNT}:subnet/{subnet.id}",
            "vpcId": subnet.vpc_id, "cidrBlock": subnet.cidr_block, "ipv6CidrBlock": subnet.ipv6_cidr_block,
            "availabilityZone": subnet.availability_zone, "state": "available", "tags": dict(subnet.tags),
            "availableIpAddressCount": 4000}
