"""Zones as the plan shows them: the delegation a first deploy needs, and adopted zones left as others own them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.platform.zones import OTHERS_OWN, Zones, ZonesArgs, undelegated_zone_warning
from tests.conftest import FLAVORS, of_type

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
PROVIDER = "pulumi:providers:aws"
PARENT = "Z09876543210PARENTXYZ"
ROLE = "arn:aws:iam::999988887777:role/dns-delegation"



def public_zone(plan: dict[str, Any]) -> dict[str, Any]:
    return next(z for z in of_type(plan, ZONE) if not z["inputs"]["name"].startswith("internal."))


def delegations(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in of_type(plan, RECORD) if r["inputs"]["type"] == "NS"]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_created_public_zone_is_delegated_from_its_parent_in_the_same_run(plan_stack, stack):
    plan = plan_stack(stack)
    [ns] = delegations(plan)
    zone = public_zone(plan)
    assert ns["inputs"]["zoneId"] == PARENT
    assert ns["inputs"]["name"] == zone["inputs"]["name"] == f"{stack}.example.com"
    # The delegation carries the new zone's own name servers, so it waits for the zone.
    assert ns["inputs"]["records"] == plan["outputs"]["publicNameServers"]
    assert f"{ZONE}::{zone['name']}" in ns["dependencies"]
    # Same account: the default provider writes it.
    assert not of_type(plan, PROVIDER)
    # ACM asks public DNS only once the delegation is there: an earlier NXDOMAIN would be cached.
    for validation in of_type(plan, "aws:acm/certificateValidation:CertificateValidation"):
        assert f"{RECORD}::{ns['name']}" in validation["dependencies"]


def test_a_parent_zone_in_another_account_is_written_through_a_provider_that_assumes_its_role(run_stack):
    run = run_stack("dev", parentZoneRoleArn=ROLE)
    [provider] = [r for r in run.monitor.registrations if r.type == PROVIDER]
    # Provider inputs travel as JSON text, as the engine hands provider configuration on.
    assert json.loads(provider.inputs["assumeRoles"])[0]["roleArn"] == ROLE
    assert provider.inputs["region"] == "eu-west-1"
    assert provider.parent == "gangplank:platform:Zones::platform-zones"
    [ns] = [r for r in run.monitor.registrations if r.type == RECORD and r.inputs["type"] == "NS"]
    # The record is written with that provider, not the stack's default one; nothing else is.
    assert ns.provider == f"{PROVIDER}::platform-zones-parent-account"
    assert [r.name for r in run.monitor.registrations if r.provider] == [ns.name]


def test_an_adopted_zone_is_not_delegated_again_and_keeps_what_others_own(plan_stack):
    plan = plan_stack("prod")
    assert not delegations(plan)
    zone = public_zone(plan)
    assert zone["options"]["import"] == "Z0123456789ABCDEFGHIJ"
    assert sorted(zone["options"]["ignoreChanges"]) == sorted(OTHERS_OWN) == ["comment", "tags", "vpcs"]
    assert zone["options"]["retainOnDelete"] is True and zone["options"]["protect"] is True


def test_an_adopted_private_zone_keeps_its_other_vpc_associations(plan_stack):
    plan = plan_stack("dev", privateZoneId="Z0PRIVATE0123456789AB")
    private = next(z for z in of_type(plan, ZONE) if z["inputs"]["name"].startswith("internal."))
    assert "vpcs" in private["options"]["ignoreChanges"] and private["options"]["retainOnDelete"] is True
    created = public_zone(plan)  # the zone this stack creates is its own: diffed and deleted as usual
    assert "ignoreChanges" not in created["options"] and "retainOnDelete" not in created["options"]


@pytest.mark.parametrize("delegated", [False, True])
def test_an_undelegated_zone_says_what_to_do(caplog, run_mocked, delegated):
    def program() -> Zones:
        return Zones("zones", ZonesArgs(public_domain="dev.example.com", private_domain="internal.dev.example.com",
                                        vpc_id="vpc-0a1b2c3d4e5f60718", stack="dev", public_zone_delegated=delegated))

    zones, monitor = run_mocked(program)
    assert zones.delegated is delegated
    assert not [r for r in monitor.registrations if r.type == RECORD]
    assert ("no parent zone delegates to it" in caplog.text) is not delegated
    message = undelegated_zone_warning("dev.example.com", "urn:x")
    assert "gangplank:parentZoneId" in message and "gangplank:publicZoneId" in message
    assert "aws route53 create-hosted-zone" in message and "gangplank:publicZoneDelegated" in message


@pytest.mark.parametrize("flavor", FLAVORS)
def test_setting_a_parent_zone_and_adopting_the_zone_is_refused(plan_stack, flavor):
    from components.inputs.problems import InputError

    with pytest.raises(InputError, match="config 'gangplank:parentZoneId': delegates a public zone"):
        plan_stack("prod", parentZoneId=PARENT, flavor=flavor)
