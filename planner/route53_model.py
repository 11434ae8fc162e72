"""Route53's record sets as the API keeps them, for the rehearsal: what it accepts, and what it answers.

moto 5.2 stores record sets laxly: it lets a simple record and weighted ones of one name and type live
side by side, takes two records with one set identifier, a set identifier without a weight and a weight
of 300, and its DELETE removes every record of a name, type and set identifier whatever their values.
Route53 refuses all of these. `RecordSets` keeps each zone's record sets keyed as Route53 keys them
(name, type, set identifier), applies a change batch atomically (all of it or none of it, as
ChangeResourceRecordSets does), and raises `Rejected` with Route53's error where Route53 would refuse:

- CREATE of a record set that exists; DELETE of one that does not, or whose values differ (API reference,
  ChangeResourceRecordSets: "CREATE ... fails if a resource record set already exists", "DELETE ... the
  values that you specify must match the current values");
- a weighted record beside a simple record of the same name and type, either way round, and other routing
  policies mixed with weighted ones (API reference, ResourceRecordSet: `SetIdentifier` "Resource record
  sets that have a routing policy other than simple only", `Weight`: "You can't create latency, failover, or
  geolocation resource record sets that have the same values for the Name and Type elements as weighted
  resource record sets");
- a set identifier without a weight, a weight without a set identifier, a weight outside 0-255
  (ResourceRecordSet `Weight`: "Valid Range: Minimum value of 0. Maximum value of 255"), more than 100
  weighted records of one name and type;
- an alias to a record in the same hosted zone that has no record of the alias's name and type
  (AliasTarget `DNSName`: "Another Route 53 resource record set in your hosted zone ... the alias record
  must have the same type as the record you're routing traffic to"), or to a record in another hosted zone
  (AliasTarget `HostedZoneId`: "An alias resource record set can't reference a resource record set in a
  different hosted zone");
- a name outside the zone at a label boundary, a CNAME beside other records (RFC 1034 section 3.6.2), a TXT
  string over 255 characters (RFC 1035 section 3.3).

`answers` says what a resolver can be told for a name: the load balancers reachable through aliases and
weights (weight 0 only when no record of positive weight is healthy; all when none is healthy, as Route53's
weighted routing does), and whether some answer would be empty (no record, or an alias to a load balancer
that no longer exists). An empty answer is cached by resolvers for the zone's negative-caching TTL,
min(SOA TTL, SOA minimum): 900 s with Route53's default SOA (RFC 2308 section 5; Route53 Developer Guide,
"NS and SOA records that Amazon Route 53 creates for a public hosted zone").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Action = Literal["CREATE", "UPSERT", "DELETE"]
WEIGHT_MAX = 255
WEIGHTED_PER_NAME_MAX = 100
"""Route53: "You can create a maximum of 100 weighted resource record sets that have the same values for the Name
and Type elements" (API reference, ResourceRecordSet `Weight`)."""


class Rejected(Exception):
    """AWS would refuse the call: the message is AWS's error."""


def dns(name: object) -> str:
    """A DNS name as Route53 compares names: without the final dot, lower-case."""
    return str(name or "").rstrip(".").lower()


@dataclass(frozen=True)
class Alias:
    """An alias target: a load balancer (its DNS name and canonical hosted zone id) or a record in the zone."""

    dns_name: str
    zone_id: str
    evaluate_target_health: bool = False


@dataclass(frozen=True)
class RecordSet:
    """One resource record set, as ChangeResourceRecordSets takes it."""

    name: str
    type: str
    set_identifier: str | None = None
    weight: int | None = None
    ttl: int | None = None
    values: tuple[str, ...] = ()
    alias: Alias | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What Route53 tells record sets apart by: name, type and set identifier."""
        return (dns(self.name), self.type, self.set_identifier or "")

    def described(self) -> str:
        """As Route53's errors name a record set."""
        identifier = f", set-identifier='{self.set_identifier}'" if self.set_identifier else ""
        return f"[name='{dns(self.name)}.', type='{self.type}'{identifier}]"


@dataclass
class Zone:
    """A hosted zone: its name, whether it is private, and its record sets by key."""

    name: str
    private: bool
    records: dict[tuple[str, str, str], RecordSet] = field(default_factory=dict)

    def at(self, name: str, record_type: str | None = None) -> list[RecordSet]:
        """The record sets of `name` (and of `record_type`, if given)."""
        return [r for (n, t, _), r in self.records.items()
                if n == dns(name) and (record_type is None or t == record_type)]


def _txt_strings(value: str) -> list[str]:
    """The character-strings of one TXT value as sent (quoted, `"a" "b"` for several)."""
    return re.findall(r'"((?:[^"\\]|\\.)*)"', value) or [value]


class RecordSets:
    """Every replayed hosted zone's record sets, changed only as Route53 would let them be."""

    def __init__(self) -> None:
        self.zones: dict[str, Zone] = {}

    def add_zone(self, zone_id: str, name: str, private: bool) -> None:
        self.zones[zone_id] = Zone(dns(name), private)

    def zone_of(self, zone_id: str) -> Zone:
        return self.zones[zone_id]

    def change(self, zone_id: str, changes: Iterable[tuple[Action, RecordSet]],
               load_balancer: Callable[[Alias], bool]) -> None:
        """Apply one change batch to the zone, atomically; raise `Rejected` as Route53 would, changing nothing.

        `load_balancer(alias)`: whether an alias that targets another hosted zone than this one names an existing
        load balancer with that canonical hosted zone id."""
        zone = self.zones[zone_id]
        working = dict(zone.records)
        touched: list[RecordSet] = []
        for action, record in changes:
            record = replace(record, name=dns(record.name))
            self._check_shape(zone, record)
            current = working.get(record.key)
            if action == "CREATE" and current is not None:
                raise Rejected(f"InvalidChangeBatch: [Tried to create resource record set {record.described()} but "
                               "it already exists]")
            if action == "DELETE":
                if current is None:
                    raise Rejected(f"InvalidChangeBatch: [Tried to delete resource record set {record.described()} "
                                   "but it was not found]")
                if current != record:
                    raise Rejected(f"InvalidChangeBatch: [Tried to delete resource record set {record.described()} "
                                   "but the values provided do not match the current values]")
                del working[record.key]
            else:
                working[record.key] = record
                touched.append(record)
        for record in touched:
            self._check_group(zone, working, record)
            if record.alias is not None:
                self._check_alias(zone_id, working, record, load_balancer)
        zone.records = working

    @staticmethod
    def _check_shape(zone: Zone, record: RecordSet) -> None:
        name = dns(record.name)
        if name != zone.name and not name.endswith("." + zone.name):
            raise Rejected(f"InvalidChangeBatch: [RRSet with DNS name {name}. is not permitted in zone {zone.name}.]")
        if (record.set_identifier is None) != (record.weight is None):
            missing = "Weight" if record.weight is None else "SetIdentifier"
            raise Rejected(f"InvalidInput: Invalid request: Missing field '{missing}' in Change with "
                           f"[Name={name}., Type={record.type}, SetIdentifier={record.set_identifier}]")
        if record.weight is not None and not 0 <= record.weight <= WEIGHT_MAX:
            raise Rejected(f"InvalidInput: 1 validation error detected: Value '{record.weight}' at "
                           f"'changeBatch.changes.1.member.resourceRecordSet.weight' failed to satisfy constraint: "
                           f"Member must have value between 0 and {WEIGHT_MAX}")
        if record.type in ("TXT", "SPF"):
            for value in record.values:
                for text in _txt_strings(value):
                    if len(text) > 255:
                        raise Rejected("InvalidChangeBatch: [Invalid Resource Record: 'FATAL problem: "
                                       "CharacterStringTooLong (Value is too long) encountered with "
                                       f"'\"{text[:40]}...\"'']")

    @staticmethod
    def _check_group(zone: Zone, records: Mapping[tuple[str, str, str], RecordSet], record: RecordSet) -> None:
        """The record's name and type hold one kind of record set: one simple, or weighted ones (at most 100);
        a CNAME shares its name with nothing."""
        name = dns(record.name)
        same = [r for (n, t, _), r in records.items() if n == name and t == record.type]
        simple = [r for r in same if r.set_identifier is None]
        weighted = [r for r in same if r.set_identifier is not None]
        if record.set_identifier is not None and simple:
            raise Rejected(f"InvalidChangeBatch: [RRSet with DNS name {name}., type {record.type}, SetIdentifier "
                           f"{record.set_identifier} cannot be created as a non-weighted set exists with the same "
                           "name and type.]")
        if record.set_identifier is None and weighted:
            raise Rejected(f"InvalidChangeBatch: [RRSet with DNS name {name}., type {record.type} cannot be created "
                           "as weighted sets exist with the same name and type.]")
        if len(weighted) > WEIGHTED_PER_NAME_MAX:
            raise Rejected(f"InvalidChangeBatch: [RRSet with DNS name {name}., type {record.type}: more than "
                           f"{WEIGHTED_PER_NAME_MAX} weighted resource record sets of one name and type]")
        others = {t for (n, t, _) in records if n == name}
        if (record.type == "CNAME" and others - {"CNAME"}) or (record.type != "CNAME" and "CNAME" in others):
            other = sorted(others - {record.type})[0]
            raise Rejected(f"InvalidChangeBatch: [RRSet of type {record.type} with DNS name {name}. is not permitted "
                           f"because a conflicting RRSet of type {other} with the same DNS name already exists in "
                           f"zone {zone.name}.]")

    def _check_alias(self, zone_id: str, records: Mapping[tuple[str, str, str], RecordSet], record: RecordSet,
                     load_balancer: Callable[[Alias], bool]) -> None:
        alias = record.alias
        assert alias is not None
        target = dns(alias.dns_name)
        if alias.zone_id == zone_id:
            if any(n == target and t == record.type for (n, t, _) in records):
                return
        elif alias.zone_id in self.zones:
            raise Rejected(f"InvalidChangeBatch: [Tried to create an alias that targets {target}., type "
                           f"{record.type} in zone {alias.zone_id}, but an alias resource record set can't reference "
                           "a resource record set in a different hosted zone]")
        elif load_balancer(alias):
            return
        raise Rejected(f"InvalidChangeBatch: [Tried to create an alias that targets {target}., type {record.type} in "
                       f"zone {alias.zone_id}, but the alias target name does not lie within the target zone]")

    @staticmethod
    def _wildcard(zone: Zone, name: str, record_type: str) -> list[RecordSet]:
        """The records a wildcard answers a name with that has no record of its own: the `*.` record at its closest
        encloser, the nearest ancestor that exists (RFC 4592 section 3.3.1; Route53 Developer Guide, "Using an
        asterisk (*) in the names of hosted zones and records")."""
        labels = name.split(".")
        for position in range(1, len(labels)):
            ancestor = ".".join(labels[position:])
            if ancestor != zone.name and not ancestor.endswith("." + zone.name):
                break
            found = zone.at(f"*.{ancestor}", record_type)
            if found or zone.at(f"*.{ancestor}"):
                return found
            if ancestor == zone.name or zone.at(ancestor):
                break
        return []

    def answers(self, zone_id: str, name: str, record_type: str,
                load_balancer: Callable[[Alias], bool]) -> tuple[set[str], bool]:
        """(the load balancers a resolver may be sent to for `name`, whether some answer is empty)."""
        return self._answers(zone_id, dns(name), record_type, load_balancer, frozenset())

    def _answers(self, zone_id: str, name: str, record_type: str, load_balancer: Callable[[Alias], bool],
                 seen: frozenset[str]) -> tuple[set[str], bool]:
        if name in seen:
            return set(), True  # an alias loop answers nothing
        zone = self.zones[zone_id]
        sets = zone.at(name, record_type)
        if not sets and not zone.at(name):
            sets = self._wildcard(zone, name, record_type)
        if not sets:
            return set(), True

        def resolve(record: RecordSet) -> tuple[set[str], bool]:
            alias = record.alias
            if alias is None:
                return {f"{record.type} {v}" for v in record.values}, not record.values
            if alias.zone_id == zone_id:
                return self._answers(zone_id, dns(alias.dns_name), record_type, load_balancer, seen | {name})
            if load_balancer(alias):
                return {dns(alias.dns_name)}, False
            return set(), True

        resolved = [(record, *resolve(record)) for record in sets]
        if len(sets) == 1 and sets[0].set_identifier is None:
            _, found, empty = resolved[0]
            return found, empty
        # Weighted: the healthy records of positive weight; else the healthy ones of weight 0; else all of them
        # (Route53 Developer Guide, "How health checks work in simple Amazon Route 53 configurations": weighted
        # records, and "Options for configuring Route 53 active-active and active-passive failover").
        healthy = [entry for entry in resolved if not (entry[0].alias and entry[0].alias.evaluate_target_health
                                                      and entry[2])]
        candidates = ([e for e in healthy if (e[0].weight or 0) > 0] or healthy or resolved)
        found: set[str] = set()
        empty = False
        for _, targets, nothing in candidates:
            found |= targets
            empty = empty or nothing
        return found, empty
