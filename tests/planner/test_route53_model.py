"""Route53's record-set rules, where moto 5.2 is laxer. Where a test first shows moto (through boto3) accepting the
case, the replay before `planner.route53_model`, which left these rules to moto, passed it wrongly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner.rehearse import emulator
from planner.route53_model import Alias, RecordSet, RecordSets, Rejected

ZONE, OTHER = "ZPUBLIC", "ZPRIVATE"
NLB = Alias("k8s-a.elb.eu-west-1.amazonaws.com", "Z2IFOLAFXWLO4F", True)
NEW_NLB = Alias("k8s-b.elb.eu-west-1.amazonaws.com", "Z2IFOLAFXWLO4F", True)


def live(alias: Alias) -> bool:
    return alias in (NLB, NEW_NLB)


@pytest.fixture
def sets() -> RecordSets:
    model = RecordSets()
    model.add_zone(ZONE, "dev.example.com", False)
    model.add_zone(OTHER, "internal.dev.example.com", True)
    model.change(ZONE, [("CREATE", RecordSet("shop.dev.example.com", "A", alias=NLB))], live)
    return model


@pytest.fixture
def moto_zone() -> Iterator[tuple[Any, str]]:
    import boto3

    with emulator():
        route53 = boto3.client("route53", region_name="us-east-1")
        zone = route53.create_hosted_zone(Name="dev.example.com", CallerReference="x")["HostedZone"]["Id"]
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {"Name": "shop.dev.example.com", "Type": "A", "TTL": 60,
                                                      "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
        yield route53, zone


def moto_accepts(moto_zone: tuple[Any, str], action: str, rrset: dict[str, Any]) -> bool:
    route53, zone = moto_zone
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": action, "ResourceRecordSet": rrset}]})
    return True


def weighted(identifier: str, weight: int, alias: Alias = NEW_NLB, name: str = "shop.dev.example.com") -> RecordSet:
    return RecordSet(name, "A", identifier, weight, alias=alias)


def test_a_weighted_record_beside_a_simple_one_is_refused(sets, moto_zone):
    assert moto_accepts(moto_zone, "UPSERT", {"Name": "shop.dev.example.com", "Type": "A", "SetIdentifier": "new",
                                              "Weight": 10, "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]})
    for action in ("CREATE", "UPSERT"):
        with pytest.raises(Rejected, match="SetIdentifier new cannot be created as a non-weighted set exists"):
            sets.change(ZONE, [(action, weighted("new", 10))], live)


def test_a_simple_record_beside_weighted_ones_is_refused(sets):
    sets.change(ZONE, [("CREATE", weighted("a", 1, NLB, "api.dev.example.com"))], live)
    with pytest.raises(Rejected, match="cannot be created as weighted sets exist with the same name and type"):
        sets.change(ZONE, [("CREATE", RecordSet("api.dev.example.com", "A", alias=NLB))], live)


def test_weighted_records_need_a_set_identifier_and_a_weight_in_range(sets, moto_zone):
    assert moto_accepts(moto_zone, "CREATE", {"Name": "api.dev.example.com", "Type": "A", "SetIdentifier": "x",
                                              "Weight": 300, "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]})
    assert moto_accepts(moto_zone, "CREATE", {"Name": "www.dev.example.com", "Type": "A", "SetIdentifier": "x",
                                              "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.2"}]})
    with pytest.raises(Rejected, match="between 0 and 255"):
        sets.change(ZONE, [("CREATE", weighted("x", 300, name="api.dev.example.com"))], live)
    with pytest.raises(Rejected, match="Missing field 'Weight'"):
        sets.change(ZONE, [("CREATE", RecordSet("www.dev.example.com", "A", "x", None, alias=NLB))], live)
    with pytest.raises(Rejected, match="Missing field 'SetIdentifier'"):
        sets.change(ZONE, [("CREATE", RecordSet("www.dev.example.com", "A", None, 5, alias=NLB))], live)


def test_two_weighted_records_of_one_name_need_two_set_identifiers(sets):
    sets.change(ZONE, [("CREATE", weighted("x", 1, name="api.dev.example.com"))], live)
    with pytest.raises(Rejected, match="set-identifier='x'] but it already exists"):
        sets.change(ZONE, [("CREATE", weighted("x", 2, name="api.dev.example.com"))], live)
    sets.change(ZONE, [("CREATE", weighted("y", 2, NLB, name="api.dev.example.com"))], live)  # another: fine


def test_an_alias_to_a_record_must_be_in_the_same_zone_and_of_the_same_type(sets):
    sets.change(ZONE, [("CREATE", RecordSet("a-shop.dev.example.com", "TXT", ttl=300, values=('"x"',)))], live)
    sets.change(OTHER, [("CREATE", RecordSet("edge.internal.dev.example.com", "A", alias=NLB))], live)
    with pytest.raises(Rejected, match="does not lie within the target zone"):  # only a TXT of that name
        sets.change(ZONE, [("CREATE", RecordSet("docs.dev.example.com", "A",
                                                alias=Alias("a-shop.dev.example.com", ZONE)))], live)
    with pytest.raises(Rejected, match="can't reference a resource record set in a different hosted zone"):
        sets.change(ZONE, [("CREATE", RecordSet("docs.dev.example.com", "A",
                                                alias=Alias("edge.internal.dev.example.com", OTHER)))], live)
    sets.change(ZONE, [("CREATE", RecordSet("docs.dev.example.com", "A",
                                            alias=Alias("shop.dev.example.com", ZONE, True)))], live)


def test_a_delete_must_name_the_record_as_it_is(sets):
    with pytest.raises(Rejected, match="do not match the current values"):
        sets.change(ZONE, [("DELETE", RecordSet("shop.dev.example.com", "A", alias=NEW_NLB))], live)
    with pytest.raises(Rejected, match="but it was not found"):
        sets.change(ZONE, [("DELETE", RecordSet("nope.dev.example.com", "A", alias=NLB))], live)


def test_a_batch_is_all_or_nothing(sets):
    """terraform-provider-aws turns a simple record into a weighted one with a DELETE and a CREATE in one batch."""
    with pytest.raises(Rejected):
        sets.change(ZONE, [("DELETE", RecordSet("shop.dev.example.com", "A", alias=NLB)),
                           ("CREATE", weighted("new", 300))], live)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", live) == ({NLB.dns_name}, False)
    sets.change(ZONE, [("DELETE", RecordSet("shop.dev.example.com", "A", alias=NLB)),
                       ("CREATE", weighted("new", 10))], live)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", live) == ({NEW_NLB.dns_name}, False)


def test_answers_follow_aliases_and_weights(sets):
    edge = "_edge-public.dev.example.com"
    sets.change(ZONE, [("CREATE", weighted("old", 100, NLB, edge)), ("CREATE", weighted("new", 0, NEW_NLB, edge))],
                live)
    sets.change(ZONE, [("UPSERT", RecordSet("shop.dev.example.com", "A", alias=Alias(edge, ZONE, True)))], live)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", live) == ({NLB.dns_name}, False)  # weight 0: unused
    assert sets.answers(ZONE, "shop.dev.example.com", "A", lambda alias: alias == NEW_NLB) == \
        ({NEW_NLB.dns_name}, False)  # the old NLB unhealthy: weight 0 answers
    sets.change(ZONE, [("UPSERT", weighted("new", 30, NEW_NLB, edge))], live)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", live) == ({NLB.dns_name, NEW_NLB.dns_name}, False)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", lambda alias: False) == (set(), True)
    assert sets.answers(ZONE, "gone.dev.example.com", "A", live) == (set(), True)


def test_a_wildcard_answers_names_without_records_of_their_own(sets):
    sets.change(ZONE, [("CREATE", RecordSet("*.dev.example.com", "A", alias=NEW_NLB)),
                       ("CREATE", RecordSet("a-docs.dev.example.com", "TXT", ttl=300, values=('"x"',)))], live)
    assert sets.answers(ZONE, "docs.dev.example.com", "A", live) == ({NEW_NLB.dns_name}, False)
    assert sets.answers(ZONE, "shop.dev.example.com", "A", live) == ({NLB.dns_name}, False)  # its own record wins
    # A name that exists with another type is not answered by the wildcard (RFC 4592): no data.
    assert sets.answers(ZONE, "a-docs.dev.example.com", "A", live) == (set(), True)
    assert sets.answers(ZONE, "x.y.dev.example.com", "A", live) == ({NEW_NLB.dns_name}, False)
