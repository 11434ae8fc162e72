"""The platform contract: what a platform stack promises its app stacks.

A platform stack (`gangplank:role: platform`) exports it as the stack output `contract`; an app stack
(`gangplank:role: apps`) reads it through a `pulumi.StackReference` to its `gangplank:platformStack`,
checks it, and builds on it. The contract is a JSON object:

```
{"version": 1,
 "environment": "prod-platform",       # the platform stack's name: what apps' `stacks:` name, what monitors,
                                       # ExternalDNS markers and {stack} in hostTemplate say
 "settings": {...},                    # the platform's gangplank settings an app stack needs (camelCase keys as
                                       # in the stack file: publicDomain, edges, hostTemplate, monitorInterval...),
                                       # without zone ids, delegation, owners or secrets
 "dashboard": {"instance": "gangplank-prod-platform"},   # the Forecastle instance apps' bookmarks name
 "edges": {"<edge>": {                 # per edge (`edge_contract`):
     "visibility", "allowedCidrs",     # who it is for
     "zoneId", "zoneName",             # where its hosts' records go
     "zoneWildcard",                   # its zone's `*.<zone>` points at it: one-label hosts need no records
     "ingressClass", "flavor",         # its controller (`controller_contract`): what an app's Ingress names,
     "lbHostname", "lbZoneId",         #   how it is annotated, what hosts alias (the NLB, its hosted zone),
     "ipv6Clients",                    #   AAAA records too,
     "controllerService", "suffix",    #   its Service, the suffix of what belongs to it (another flavor's),
     "gateway",                        #   a Gateway API edge's Gateway {name, namespace, listener}; else absent
     "move": {...controller, "weight", "dnsName", "dnsZoneId"}}}}   # while the edge moves to another flavor
```

`version` changes when an app stack of an older gangplank would misread the contract: an app stack
refuses a version it does not know, and a contract whose settings it does not know, naming both, so
that it never declares apps on a platform it misunderstands. Unknown keys elsewhere are refused alike.
The contract holds no secret (the platform stack's outputs can be read by every app stack's deployer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from components.flavors import FLAVORS, get_flavor
from components.flavors.gateway_api import GatewayRef
from components.inputs.appstack import APP_STACK_KEYS, settings_from_contract
from components.inputs.problems import InputError, Problem, config_subject, dotted, shown
from components.inputs.settings import CONFIG_NAMESPACE, Edge, Settings
from components.inputs.yamllines import plain
from components.platform.platform import EdgeTarget

CONTRACT_VERSION = 1
CONTRACT_OUTPUT = "contract"
"""The platform stack's output that holds the contract."""
PLATFORM_ONLY_SETTINGS = ("publicZoneId", "privateZoneId", "parentZoneId", "parentZoneRoleArn", "publicZoneDelegated",
                          "platformOwners")
"""Settings that concern the platform stack alone (its zones' adoption and delegation, its code owners): not handed
on. An app stack's own keys (`APP_STACK_KEYS`) are not handed on either."""
PLATFORM_STACK_KEY = f"{CONFIG_NAMESPACE}:platformStack"


def contract_settings(settings: Settings) -> dict[str, Any]:
    """The platform's settings as the contract hands them on: every key an app stack needs, as JSON values."""
    kept = {key for key in (to_camel(name) for name in Settings.model_fields)
            if key not in PLATFORM_ONLY_SETTINGS and key not in APP_STACK_KEYS}
    dumped = settings.model_dump(by_alias=True, mode="json", exclude_none=True)
    return {key: value for key, value in sorted(dumped.items()) if key in kept}


def controller_contract(target: EdgeTarget) -> dict[str, Any]:
    """What an app needs of one controller of an edge: its class and flavor, its load balancer, its names' suffix,
    on a Gateway API edge its Gateway (stack outputs drop nulls: the key is absent on other edges)."""
    return {
        "ingressClass": target.ingress_class,
        "flavor": target.flavor.name,
        "lbHostname": target.lb_hostname,
        "lbZoneId": target.lb_zone_id,
        "ipv6Clients": target.ipv6_clients,
        "controllerService": target.controller_service,
        "suffix": target.suffix,
        **({"gateway": {"name": target.gateway.name, "namespace": target.gateway.namespace,
                        "listener": target.gateway.listener}} if target.gateway is not None else {}),
    }


def edge_contract(target: EdgeTarget, edge: Edge, zone_name: str) -> dict[str, Any]:
    """One edge as the contract states it: the platform's per-edge facts, in one place (`edge_target` reads it).

    While the edge moves to another flavor (`gangplank:edges.<edge>.move`), `move` states the controller it moves
    to, the share of traffic it gets, and the weighted record set the edge's hosts alias meanwhile."""
    stated = {
        "visibility": edge.visibility,
        "allowedCidrs": list(edge.allowed_cidrs),
        "zoneId": target.zone_id,
        "zoneName": zone_name,
        "zoneWildcard": target.zone_wildcard,
        **controller_contract(target),
    }
    if target.moving_to is not None:
        stated["move"] = {**controller_contract(target.moving_to), "weight": target.move_weight,
                          "dnsName": target.dns_name, "dnsZoneId": target.dns_zone_id}
    return stated


def platform_contract(settings: Settings, environment: str, targets: Mapping[str, EdgeTarget],
                      dashboard_instance: str) -> dict[str, Any]:
    """The contract a platform stack exports (values may be Outputs: zone ids, load balancer names)."""
    edges = settings.all_edges()
    return {
        "version": CONTRACT_VERSION,
        "environment": environment,
        "settings": contract_settings(settings),
        "dashboard": {"instance": dashboard_instance},
        "edges": {name: edge_contract(target, edges[name], settings.domain_for(edges[name].visibility))
                  for name, target in targets.items()},
    }


# -- reading it, in an app stack ---------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, strict=True)


class ContractGateway(_Strict):
    """A Gateway API edge's Gateway: where app routes attach."""

    name: str
    namespace: str
    listener: str


class ContractController(_Strict):
    """One controller of an edge (`controller_contract`)."""

    ingress_class: str
    flavor: str
    lb_hostname: str
    lb_zone_id: str
    ipv6_clients: bool
    controller_service: str
    suffix: str
    gateway: ContractGateway | None = None


class ContractMove(ContractController):
    """The controller a moving edge moves to, and how its traffic is shared."""

    weight: int
    dns_name: str
    dns_zone_id: str


class ContractEdge(ContractController):
    """One edge of the contract."""

    visibility: str
    allowed_cidrs: list[str]
    zone_id: str
    zone_name: str
    zone_wildcard: bool
    move: ContractMove | None = None


class ContractDashboard(_Strict):
    instance: str


class Contract(_Strict):
    """The platform contract as an app stack reads it (see the module's documentation)."""

    version: int
    environment: str
    settings: dict[str, Any]
    dashboard: ContractDashboard
    edges: dict[str, ContractEdge]


def read_contract(value: Any, own: BaseModel, stack_file: str, line: int | None = None) -> tuple[Contract, Settings]:
    """The contract an app stack read from its platform, checked, and the app stack's whole settings from it.

    `value` is the platform stack's `contract` output (None when it has none); `own` the app stack's own keys.
    Raises InputError naming `gangplank:platformStack` with what is wrong: never builds on a contract it
    cannot understand.
    """
    platform = getattr(own, "platform_stack", None)

    def refuse(message: str) -> InputError:
        return InputError([Problem(stack_file, line, config_subject(PLATFORM_STACK_KEY), message)])

    if value is None:
        raise refuse(f"the stack '{shown(platform)}' exports no '{CONTRACT_OUTPUT}': it is not a gangplank platform "
                     "stack (gangplank:role: platform), or it has not been deployed yet (deploy the platform stack "
                     "first)")
    # Outputs travel as protobuf `Struct`s, whose numbers are doubles: a StackReference reads `1` as `1.0`
    # (pulumi/runtime/rpc.py, deserialize_property). Integral numbers are integers again, as in JSON.
    value = plain(value)
    version = value.get("version") if isinstance(value, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise refuse(f"the '{CONTRACT_OUTPUT}' of '{shown(platform)}' has no version: it is not a gangplank platform "
                     "contract")
    if version != CONTRACT_VERSION:
        newer = version > CONTRACT_VERSION
        raise refuse(f"the platform '{shown(platform)}' exports contract version {version}, and this gangplank reads "
                     f"version {CONTRACT_VERSION} only: "
                     + ("update this stack's checkout of gangplank to the platform's" if newer else
                        "the platform runs an older gangplank; deploy it with this one first"))
    try:
        contract = Contract.model_validate(value)
    except ValidationError as err:
        raise refuse(f"the contract of '{shown(platform)}' is not one this gangplank understands: "
                     + "; ".join(f"'{dotted(e['loc'])}': {e['msg']}" for e in err.errors()[:5])) from None
    try:
        settings = settings_from_contract(own, contract.settings)
    except ValidationError as err:
        raise refuse(f"the settings in the contract of '{shown(platform)}' do not validate here (a platform of "
                     "another gangplank version?): "
                     + "; ".join(f"'{dotted(e['loc'])}': {e['msg']}" for e in err.errors()[:5])) from None
    flavors = {edge.flavor for edge in contract.edges.values()}
    flavors |= {edge.move.flavor for edge in contract.edges.values() if edge.move is not None}
    unknown = sorted(flavors - set(FLAVORS))
    if unknown:
        raise refuse(f"the platform '{shown(platform)}' runs the flavor {', '.join(map(repr, unknown))}, which this "
                     "gangplank does not know: update this stack's checkout of gangplank to the platform's")
    stated, declared = set(contract.edges), set(settings.all_edges())
    if stated != declared:
        raise refuse(f"the contract of '{shown(platform)}' states the edges {', '.join(sorted(stated))}, and its "
                     f"settings {', '.join(sorted(declared))}: it contradicts itself")
    return contract, settings


def edge_target(name: str, edge: ContractEdge) -> EdgeTarget:
    """What an app stack's apps and hosts need of one of the platform's edges, from the contract.

    The controllers are the platform's and deployed before any app stack: an app's Ingress has nothing of them to
    wait for here (in an `all` stack it waits for every release), nor a host's records for a moving edge's weighted
    records."""
    def controller(stated: ContractController) -> EdgeTarget:
        return EdgeTarget(
            edge=name,
            flavor=get_flavor(stated.flavor),  # type: ignore[arg-type]
            ingress_class=stated.ingress_class,
            zone_id=edge.zone_id,
            lb_hostname=stated.lb_hostname,
            lb_zone_id=stated.lb_zone_id,
            ipv6_clients=stated.ipv6_clients,
            controllers_ready=(),
            controller_service=stated.controller_service,
            suffix=stated.suffix,
            gateway=GatewayRef(stated.gateway.name, stated.gateway.namespace, stated.gateway.listener)
            if stated.gateway is not None else None,
        )

    target = dataclasses.replace(controller(edge), zone_wildcard=edge.zone_wildcard)
    if edge.move is not None:
        target = dataclasses.replace(target, moving_to=controller(edge.move), move_weight=edge.move.weight,
                                     dns_name=edge.move.dns_name, dns_zone_id=edge.move.dns_zone_id)
    return target


def edge_targets(contract: Contract) -> dict[str, EdgeTarget]:
    return {name: edge_target(name, edge) for name, edge in contract.edges.items()}


def export_contract(contract: dict[str, Any]) -> None:
    pulumi.export(CONTRACT_OUTPUT, contract)
