"""planner/mocks/network.py: the mocked VPC's subnets, as the data sources (invokes) describe them."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from planner.mocks.network import MOCK_VPC_CIDR, MOCK_VPC_IPV6_CIDR
from planner.mocks.serving import GangplankMocks

# -- subnets (the NLBs' placement and PROXY-header trust) -------------------------------

VPC = "vpc-0a1b2c3d4e5f60718"


def call(mocks: GangplankMocks, token: str, args: dict[str, Any]) -> dict[str, Any]:
    result, _ = mocks.call(pulumi.runtime.MockCallArgs(token=token, args=args, provider=""))
    return result


def subnet_ids(mocks: GangplankMocks, *filters: tuple[str, list[str]]) -> list[str]:
    return call(mocks, "aws:ec2/getSubnets:getSubnets",
                {"filters": [{"name": name, "values": values} for name, values in filters]})["ids"]


def test_get_subnets_applies_every_filter_as_ec2_does() -> None:
    mocks = GangplankMocks()
    everything = subnet_ids(mocks, ("vpc-id", [VPC]))
    public = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/elb", ["", "1"]))
    internal = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/internal-elb", ["", "1"]))
    other_cluster = subnet_ids(mocks, ("vpc-id", [VPC]), ("tag-key", ["kubernetes.io/cluster/legacy-eks"]))
    # Three public and three private subnets of this cluster, and three public ones tagged for another cluster.
    assert len(public) == 6 and len(internal) == len(other_cluster) == 3 and len(everything) == 9
    assert set(other_cluster) < set(public)
    assert not set(public) & set(internal) and set(public) | set(internal) == set(everything)
    # A tag filter matches the tag's value, not only its presence; another VPC has other subnets.
    assert subnet_ids(mocks, ("vpc-id", [VPC]), ("tag:kubernetes.io/role/elb", ["0"])) == []
    assert not set(subnet_ids(mocks, ("vpc-id", ["vpc-0b2c3d4e5f6071829"]))) & set(everything)
    # Asking again gives the same ids: plans stay byte-for-byte deterministic.
    assert subnet_ids(GangplankMocks(), ("vpc-id", [VPC])) == everything


def test_get_subnet_describes_a_listed_subnet_and_fails_for_another() -> None:
    mocks = GangplankMocks()
    ids = subnet_ids(mocks, ("vpc-id", [VPC]))
    cidrs = []
    for subnet_id in ids:
        subnet = call(mocks, "aws:ec2/getSubnet:getSubnet", {"id": subnet_id})
        assert subnet["id"] == subnet_id and subnet["vpcId"] == VPC
        assert ipaddress.ip_network(subnet["cidrBlock"]).subnet_of(ipaddress.ip_network(MOCK_VPC_CIDR))
        assert ipaddress.ip_network(subnet["ipv6CidrBlock"]).subnet_of(ipaddress.ip_network(MOCK_VPC_IPV6_CIDR))
        cidrs.append(ipaddress.ip_network(subnet["cidrBlock"]))
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])
    with pytest.raises(ValueError, match="no matching EC2 Subnet"):
        call(mocks, "aws:ec2/getSubnet:getSubnet", {"id": "subnet-0000000000000000"})


def test_the_sdk_reads_the_answers(run_mocked: Any) -> None:
    """Through pulumi_aws's own result types, as the program reads them."""
    def program() -> list[aws.ec2.GetSubnetResult]:
        found = aws.ec2.get_subnets(filters=[aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[VPC])])
        return [aws.ec2.get_subnet(id=subnet_id) for subnet_id in found.ids]

    subnets, _ = run_mocked(program)
    assert len(subnets) == 9 and all(s.cidr_block and s.availability_zone.startswith("us-east-1") for s in subnets)
