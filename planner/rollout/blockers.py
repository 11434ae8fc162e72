"""The blockers of a first `pulumi up`: preconditions that cannot hold, each with the resource and what
to do about it (a new public zone nothing delegates to, monitors without an UptimeRobot key, a
delegation through a provider whose role is not configured, DNS validation in a private zone)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.uptimerobot.provider import API_KEY_CONFIG, API_KEY_ENV
from planner.mocks.wire import UNKNOWN_SHOWN_AS
from planner.resource_types import MONITOR, RECORD, VALIDATION, ZONE
from planner.rollout.figures import create_timeout_s
from planner.rollout.plan_reading import dns_name, label, options_of


@dataclass(frozen=True)
class Blocker:
    """A precondition that cannot hold: `resource` cannot be created as planned, for `reason`."""

    resource: str
    reason: str
    blocks: tuple[str, ...] = ()
    """Resources that never complete because of it (besides everything that depends on them)."""
    timeout_s: float | None = None
    """How long the blocked step waits before it fails, where it waits at all."""


def blocker_json(blocker: Blocker) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": blocker.resource, "reason": blocker.reason}
    if blocker.blocks:
        entry["blocks"] = list(blocker.blocks)
    if blocker.timeout_s is not None:
        entry["failsAfterSeconds"] = round(blocker.timeout_s)
    return entry


def _is_public_zone(resource: Mapping[str, Any]) -> bool:
    return resource["type"] == ZONE and not (resource.get("inputs") or {}).get("vpcs")


def delegations(plan: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Zone label -> the NS records in other zones of the plan that name it (delegate to it)."""
    zones = [r for r in plan["resources"] if r["type"] == ZONE]
    found: dict[str, list[Mapping[str, Any]]] = {label(z): [] for z in zones}
    for record in plan["resources"]:
        inputs = record.get("inputs") or {}
        if record["type"] != RECORD or inputs.get("type") != "NS":
            continue
        for zone in zones:
            same_name = dns_name(inputs.get("name")) == dns_name((zone.get("inputs") or {}).get("name"))
            if same_name and inputs.get("zoneId") not in (zone.get("id"), None, UNKNOWN_SHOWN_AS):
                found[label(zone)].append(record)
    return found


def _roles(provider: Mapping[str, Any]) -> list[Any] | None:
    """The assume-role entries of an AWS provider's inputs (JSON-encoded by the SDK), None if it has none."""
    inputs = provider.get("inputs") or {}
    raw = inputs.get("assumeRoles", inputs.get("assumeRole"))
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
    return raw if isinstance(raw, list) else [raw]


def _role_arn(entry: Any) -> str | None:
    if isinstance(entry, Mapping):
        arn = entry.get("roleArn", entry.get("role_arn"))
        return str(arn) if arn not in (None, "", UNKNOWN_SHOWN_AS) else None
    return None


def _validations_in_zone(plan: Mapping[str, Any], zone: Mapping[str, Any]) -> list[str]:
    """DNS validations whose validation records live in `zone` (they wait for it to resolve)."""
    by_label = {label(r): r for r in plan["resources"]}
    in_zone = {label(r) for r in plan["resources"]
               if r["type"] == RECORD and (r.get("inputs") or {}).get("zoneId") == zone.get("id")}
    return sorted(label(r) for r in plan["resources"] if r["type"] == VALIDATION
                  and any(dep in in_zone and dep in by_label for dep in r.get("dependencies") or []))


DELEGATED_BY_HAND = "gangplank:publicZoneDelegated"
"""Stack config saying the parent already delegates to the public zone this stack creates (set up by hand)."""


def delegated_by_hand(config: Mapping[str, Any]) -> bool:
    """Whether the stack config says its public zone is delegated by hand (`gangplank:publicZoneDelegated`)."""
    return str(config.get(DELEGATED_BY_HAND, "")).lower() == "true"


def find_blockers(plan: Mapping[str, Any], config: Mapping[str, Any],
                  environ: Mapping[str, str]) -> list[Blocker]:
    """Preconditions of a first `pulumi up` of this plan that cannot hold, with what to do.

    `config` is the stack config the program ran with (`namespace:key` -> value); only keys are read,
    and the one flag that says a zone is delegated by hand."""
    config_keys = set(config)
    by_hand = delegated_by_hand(config)
    resources = plan["resources"]
    by_label = {label(r): r for r in resources}
    blockers: list[Blocker] = []
    delegated = delegations(plan)

    for zone in sorted((r for r in resources if _is_public_zone(r)), key=label):
        name = dns_name((zone.get("inputs") or {}).get("name"))
        validations = _validations_in_zone(plan, zone)
        if options_of(zone).get("import"):
            continue  # an adopted zone is already delegated (or its owner knows it is not)
        if by_hand:
            continue  # the stack says the parent delegates to it already
        records = delegated.get(label(zone), [])
        usable = []
        for record in records:
            provider = by_label.get(str(record.get("provider") or ""))
            roles = _roles(provider) if provider is not None else None
            if roles is not None and not all(_role_arn(entry) for entry in roles):
                blockers.append(Blocker(
                    label(record),
                    f"the delegation of {name} is written into the parent zone through the provider "
                    f"{record['provider']}, which is to assume a role that is not configured: the record cannot "
                    "be written, so the zone stays undelegated. Set the role to assume in the parent zone's "
                    "account (gangplank:parentZoneRoleArn), or drop the role if the parent zone is in this account.",
                    (label(record), *validations),
                    create_timeout_s(by_label.get(validations[0])) if validations else None))
            else:
                usable.append(record)
        if usable or any(b.resource in {label(r) for r in records} for b in blockers):
            continue
        waits = (f" DNS validation of {', '.join(validations)} waits for records nobody can resolve, until its "
                 "timeout." if validations else "")
        blockers.append(Blocker(
            label(zone),
            f"new public hosted zone {name} is not delegated: nothing in this plan writes an NS record for {name} "
            "into another zone, and the zone is not adopted (import), so resolvers never reach it." + waits +
            " Delegate it from the parent zone in the same run (gangplank:parentZoneId); or create the zone first "
            f"(`aws route53 create-hosted-zone --name {name}`), have its name servers set as NS records at the "
            "parent, and adopt it (gangplank:publicZoneId); or, if the parent already delegates to this stack's "
            "zone, say so (gangplank:publicZoneDelegated true).",
            tuple(validations), create_timeout_s(by_label.get(validations[0])) if validations else None))

    for validation in sorted((r for r in resources if r["type"] == VALIDATION), key=label):
        for dep in validation.get("dependencies") or []:
            record = by_label.get(dep)
            zone = next((z for z in resources if z["type"] == ZONE and record is not None
                         and z.get("id") == (record.get("inputs") or {}).get("zoneId")), None)
            if zone is not None and not _is_public_zone(zone):
                blockers.append(Blocker(
                    label(validation),
                    f"its validation record {dep} is in the private zone {dns_name(zone['inputs'].get('name'))}: "
                    "ACM is a public CA and resolves only public DNS. Write the validation records into the "
                    "public zone (the private domain must be a subdomain of the public one).",
                    (label(validation),), create_timeout_s(validation)))

    monitors = sorted(label(r) for r in resources if r["type"] == MONITOR)
    if monitors and API_KEY_CONFIG not in config_keys and not environ.get(API_KEY_ENV):
        for monitor in monitors:
            blockers.append(Blocker(
                monitor,
                f"no UptimeRobot API key for a real run: neither {API_KEY_CONFIG} in the stack config nor "
                f"{API_KEY_ENV} in the environment; the monitor's create fails on its first request. Set it with "
                f"`pulumi config set --secret {API_KEY_CONFIG.partition(':')[2]} <key>` (or turn monitors off with "
                "gangplank:monitorsEnabled false).",
                (monitor,)))
    return blockers
