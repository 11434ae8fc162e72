"""EdgeTraffic: Route53 shares a moving edge's traffic between its two controllers' NLBs by weight.

While an edge moves to another flavor (`gangplank:edges.<edge>.move`), its zone holds one weighted
record set for the edge, `_edge-<edge>.<zone>`: an alias record per controller to that controller's
NLB, with the move's weights (`move_weights`), and the hosts' alias records point at that name instead
of at an NLB. Why not make each host's record weighted instead:

- Route53 keeps a simple record and weighted records of one name and type apart: a weighted record
  cannot be created while a simple one of its name and type exists, nor the reverse (API reference,
  ChangeResourceRecordSets, and ResourceRecordSet `SetIdentifier`/`Weight`; `planner/route53_model.py`
  enforces it in the rehearsal). Turning a host's simple record into weighted ones therefore takes a
  delete and a create; done as two steps, a resolver that asks in between gets an empty answer and caches
  it for the zone's negative-caching TTL: min(SOA TTL, SOA minimum) = min(900 s, 86,400 s) = 15 minutes with
  Route53's default SOA (`... 1 7200 900 1209600 86400`, TTL 900; Route53 Developer Guide, "NS and SOA
  records that Amazon Route 53 creates for a public hosted zone"; RFC 2308 section 5).
- Pointing a host's alias at another target is an in-place update of the record: in
  terraform-provider-aws internal/service/route53/record.go only `name` and `zone_id` are ForceNew, and
  resourceRecordUpdate sends an UPSERT when neither `type` nor `set_identifier` changed (a DELETE and a
  CREATE in one transactional batch when they did). An UPSERT replaces the answer atomically: no client
  ever gets an empty one.
- An alias may point at another record of the same type in the same hosted zone, a group of weighted
  records included (Route53 API reference, AliasTarget: "Another Route 53 resource record set in your
  hosted zone"; Developer Guide, "Values specific for weighted alias records": "Another record in this
  hosted zone"). So every host keeps its one simple alias record all along, and a weight step changes two
  records (four with AAAA) whatever the number of apps, not two per host.

The records are aliases with `evaluate_target_health`: at weight 0 the new NLB still answers if the
current one has no healthy target (Route53 answers from the weighted records that are healthy), and the
records of a controller whose NLB is unhealthy are left out while the other is healthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.platform.controllers import ControllerPlan

TYPE_TOKEN = "gangplank:platform:EdgeTraffic"
RECORD_PREFIX = "_edge-"
"""First characters of an edge's weighted record name. A host label never starts with `_` (RFC 1123 labels: the
catalogue refuses one), so the name can never be an app's, nor an ExternalDNS marker's (`a-<host>`)."""


def record_types(ipv6_clients: bool) -> list[str]:
    """Alias records a host gets: AAAA too when IPv6 clients can reach its load balancer (`EdgeTarget.ipv6_clients`)."""
    return ["A", "AAAA"] if ipv6_clients else ["A"]


def edge_record_name(edge: str, zone: str) -> str:
    """The name of the edge's weighted record set in its zone, which hosts alias to during a move."""
    return f"{RECORD_PREFIX}{edge}.{zone}"


def set_identifier(controller: ControllerPlan) -> str:
    """The weighted record's set identifier: the controller's Helm release name, unique among the edge's records."""
    return f"ingress-{controller.instance}"


@dataclass(frozen=True)
class WeightedTarget:
    """One controller of the moving edge, as its weighted records need it."""

    controller: ControllerPlan
    """The controller: its weight and set identifier."""
    lb_hostname: pulumi.Input[str]
    """DNS name of its NLB."""
    lb_zone_id: pulumi.Input[str]
    """Canonical hosted zone id of NLBs in the region."""


@dataclass(frozen=True)
class EdgeTrafficArgs:
    """Inputs of a moving edge's weighted records."""

    edge: str
    """The moving edge."""
    zone_domain: str
    """The zone of the edge's hosts, e.g. `dev.example.com`."""
    zone_id: pulumi.Input[str]
    """Its hosted zone id."""
    targets: Sequence[WeightedTarget]
    """The edge's two controllers, the current one first."""
    record_types: Sequence[str]
    """`A`, and `AAAA` when IPv6 clients can reach the edge (as its hosts' records)."""


class EdgeTraffic(pulumi.ComponentResource):
    """The weighted alias records of a moving edge: one per controller and record type."""

    name: str
    """The record set's DNS name (`edge_record_name`)."""
    records: list[aws.route53.Record]
    """Every weighted record: hosts' records wait for them before they point at their name."""

    def __init__(self, name: str, args: EdgeTrafficArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self.name = edge_record_name(args.edge, args.zone_domain)
        self.records = []
        for record_type in args.record_types:
            for target in args.targets:
                identifier = set_identifier(target.controller)
                self.records.append(aws.route53.Record(
                    f"{name}-{record_type.lower()}-{identifier}",
                    zone_id=args.zone_id,
                    name=self.name,
                    type=record_type,
                    set_identifier=identifier,
                    weighted_routing_policies=[aws.route53.RecordWeightedRoutingPolicyArgs(
                        weight=target.controller.weight)],
                    aliases=[aws.route53.RecordAliasArgs(name=target.lb_hostname, zone_id=target.lb_zone_id,
                                                         evaluate_target_health=True)],
                    opts=pulumi.ResourceOptions(parent=self),
                ))
        self.register_outputs({"name": self.name})
