"""Live stacks upgrade safely: every resource the example stacks had keeps its URN, declares an alias, or
is removed for a reason stated here.

`upgrade-urns-b113fed.json` holds the URNs (parent type chain and name: the parts of a URN that the
program decides) of every resource the example stacks declared at commit b113fed, planned with
today's apps.yaml and stack files on both flavors. A URN the plan no longer has, and that no alias
of a resource in the plan names, would make `pulumi up` delete the old resource and create a new one
(for a record, a CREATE that Route53 refuses while the old one exists).
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any

import pytest

from planner.run import plan
from planner.statemove import resource_urns
from tests.conftest import ROOT

BASELINE = json.loads((ROOT / "tests" / "upgrade-urns-b113fed.json").read_text(encoding="utf-8"))["stacks"]

ALLOWED_REMOVALS = {
    "*$aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::platform-*-sg-out-*":
        "the NLB's egress rules did nothing: with its own security group set, the AWS Load Balancer Controller "
        "also attaches its backend security group, which allows all egress (issue 12, item 7)",
    "*$aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::platform-public-sg-in-*-ipv6-0":
        "an IPv4-only NLB takes no IPv6 client: `::/0` rules admitted no one (issue 12, item 4)",
    "*$aws:route53/record:Record::*.internal.apps.example.com-aaaa*":
        "AAAA records of private hosts on prod sent IPv6 clients to an NLB whose security group admits no IPv6 "
        "client, so they waited for a timeout (issue 12, item 4)",
}


def alias_urns(resource: dict[str, Any]) -> set[str]:
    """The URNs (type chain and name) a resource's aliases claim, as the engine resolves alias specs."""
    claimed = set()
    for alias in (resource.get("options") or {}).get("aliases") or []:
        if isinstance(alias, str):
            claimed.add("::".join(alias.split("::")[2:4]))
            continue
        name, type_ = alias.get("name", resource["name"]), alias.get("type", resource["type"])
        if "parentUrn" in alias:
            claimed.add(f"{alias['parentUrn'].split('::')[2]}${type_}::{name}")
        elif alias.get("noParent"):
            claimed.add(f"{type_}::{name}")
    return claimed


@functools.cache
def upgrade_of(key: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """(URNs lost without a stated reason, the ALLOWED_REMOVALS patterns that excused a lost URN) for a stack
    and flavor."""
    stack, flavor = key.split()
    # The URNs as the planner's state moves read them; looked-up resources (`get`) are left out: dropping one
    # from the state deletes nothing in the cloud, and the baseline holds none.
    now = resource_urns(plan(stack, None, ROOT, {"gangplank:flavor": flavor}))
    claimed = {urn for resource in now.values() for urn in alias_urns(resource)}
    lost, excused = [], set()
    for urn in BASELINE[key]:
        if urn in now or urn in claimed:
            continue
        reasons = [pattern for pattern in ALLOWED_REMOVALS if fnmatch.fnmatchcase(urn, pattern)]
        excused.update(reasons)
        if not reasons:
            lost.append(urn)
    return tuple(lost), frozenset(excused)


@pytest.mark.parametrize("key", sorted(BASELINE))
def test_every_resource_of_a_live_stack_keeps_its_urn_or_is_aliased(key):
    lost, _ = upgrade_of(key)
    assert lost == (), "these resources would be replaced or deleted on upgrade:\n" + "\n".join(lost)


def test_every_allowed_removal_is_used():
    """A stated reason that excuses no lost URN any more (the resource is kept again, or aliased) is stale."""
    used = frozenset().union(*(upgrade_of(key)[1] for key in BASELINE))
    assert set(ALLOWED_REMOVALS) - used == set()
