"""The platform contract, from both sides: what a platform stack exports, and what an app stack accepts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.inputs.appstack import AppStackSettings
from components.inputs.problems import InputError
from components.inputs.settings_parsing import parse_settings
from components.platform.contract import (
    CONTRACT_VERSION,
    PLATFORM_ONLY_SETTINGS,
    ContractEdge,
    edge_contract,
    edge_target,
    read_contract,
)
from planner.stackconfig import read_stack_config
from tests.conftest import ROOT, SPLIT_PLATFORM

OWN = AppStackSettings(role="apps", platform_stack=f"acme/gangplank/{SPLIT_PLATFORM}", apps_file="apps.d")


@pytest.fixture(scope="module")
def contract(split_plans: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return split_plans[SPLIT_PLATFORM]["outputs"]["contract"]


def refused(value: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_contract(value, OWN, "Pulumi.prod-web.yaml", 6)
    [problem] = caught.value.problems
    assert str(problem).startswith("Pulumi.prod-web.yaml:6: config 'gangplank:platformStack': ")
    return problem.message


# -- the platform's side -------------------------------------------------------------------------


def test_the_platform_states_what_it_built(split_plans, contract):
    plan = split_plans[SPLIT_PLATFORM]
    assert contract["version"] == CONTRACT_VERSION and contract["environment"] == SPLIT_PLATFORM
    zones = {r["inputs"]["name"]: r["id"] for r in plan["resources"] if r["type"] == "aws:route53/zone:Zone"}
    platform = plan["outputs"]["platform"]
    assert set(contract["edges"]) == set(platform["edges"])
    for name, edge in contract["edges"].items():
        assert edge["zoneId"] == zones[edge["zoneName"]]
        assert edge["lbHostname"] == plan["outputs"]["loadBalancers"][name]
        assert edge["ingressClass"] == platform["edges"][name]["ingressClass"]
        assert edge["allowedCidrs"] == platform["edges"][name]["allowedCidrs"]
        assert edge["ipv6Clients"] == platform["edges"][name]["ipv6Clients"]
        assert edge["flavor"] == platform["flavor"]
    assert contract["dashboard"] == {"instance": f"gangplank-{SPLIT_PLATFORM}"}


def test_the_contract_hands_on_settings_but_no_zone_owner_or_secret(contract):
    config = read_stack_config(SPLIT_PLATFORM, ROOT)
    settings = parse_settings(config.values, "Pulumi.prod-platform.yaml", secret_keys=config.secret_keys)
    handed = contract["settings"]
    assert handed["publicDomain"] == settings.public_domain and handed["monitorInterval"] == settings.monitor_interval
    assert not set(handed) & {*PLATFORM_ONLY_SETTINGS, "uptimerobotApiKey", "role", "platformStack", "teams"}


def test_one_function_states_an_edge_and_one_reads_it(contract):
    """`edge_contract` is the one place an edge's facts are written; `edge_target` reads each of them back."""
    from components.inputs.settings import Edge

    for name, entry in contract["edges"].items():
        target = edge_target(name, ContractEdge.model_validate(entry))
        edge = Edge(name, entry["visibility"], tuple(entry["allowedCidrs"]))
        assert edge_contract(target, edge, entry["zoneName"]) == entry


# -- the app stack's side ------------------------------------------------------------------------


def test_an_app_stack_builds_on_the_platforms_settings(contract):
    parsed, settings = read_contract(contract, OWN, "Pulumi.prod-web.yaml")
    assert settings.role == "apps" and settings.apps_file == "apps.d"
    assert settings.public_domain == "shop.example.com" and settings.monitor_interval == 60
    assert set(settings.all_edges()) == set(parsed.edges)


def test_numbers_arrive_as_floats_and_still_read(contract):
    """A StackReference reads numbers as doubles (protobuf Struct): `1.0` is version 1."""
    floats = copy.deepcopy(contract)
    floats["version"] = float(floats["version"])
    floats["settings"]["monitorInterval"] = float(floats["settings"]["monitorInterval"])
    assert read_contract(floats, OWN, "Pulumi.prod-web.yaml")[1].monitor_interval == 60


def test_no_contract_is_refused():
    assert "exports no 'contract': it is not a gangplank platform stack" in refused(None)
    assert "has no version" in refused({"edges": {}})


@pytest.mark.parametrize(("version", "says"), [
    (CONTRACT_VERSION + 1, "update this stack's checkout of gangplank to the platform's"),
    (CONTRACT_VERSION - 1, "the platform runs an older gangplank; deploy it with this one first"),
])
def test_a_version_it_does_not_read_is_refused(contract, version, says):
    message = refused({**contract, "version": version})
    assert f"exports contract version {version}, and this gangplank reads version {CONTRACT_VERSION} only" in message
    assert says in message


def test_what_it_does_not_understand_is_refused_by_name(contract):
    unknown_setting = copy.deepcopy(contract)
    unknown_setting["settings"]["gatewayClass"] = "eg"
    assert "'gatewayClass': Extra inputs are not permitted" in refused(unknown_setting)
    missing = copy.deepcopy(contract)
    del missing["edges"]["public"]["zoneId"]
    assert "'edges.public.zoneId': Field required" in refused(missing)
    flavor = copy.deepcopy(contract)
    flavor["edges"]["public"]["flavor"] = "gateway-envoy"
    assert "runs the flavor 'gateway-envoy', which this gangplank does not know" in refused(flavor)
    edges = copy.deepcopy(contract)
    del edges["edges"]["private"]
    assert "states the edges public, and its settings private, public: it contradicts itself" in refused(edges)


def test_an_app_stack_declares_on_the_contracts_values(split_plans, contract):
    """The other side of the contract: every record of an app stack aliases the NLB and lands in the zone the
    platform stated; every Ingress names the edge's class; monitors and markers name the environment."""
    by_zone = {edge["zoneId"]: edge for edge in contract["edges"].values()}
    for stack in ("prod-web", "prod-services"):
        resources = split_plans[stack]["resources"]
        records = [r for r in resources if r["type"] == "aws:route53/record:Record"]
        assert records
        for record in records:
            edge = by_zone[record["inputs"]["zoneId"]]
            for alias in record["inputs"].get("aliases") or []:
                assert (alias["name"], alias["zoneId"]) == (edge["lbHostname"], edge["lbZoneId"])
            if record["inputs"]["type"] == "TXT":
                assert f"external-dns/owner=gangplank-{SPLIT_PLATFORM}," in record["inputs"]["records"][0]
        classes = {edge["ingressClass"] for edge in contract["edges"].values()}
        for ingress in (r for r in resources if r["type"] == "kubernetes:networking.k8s.io/v1:Ingress"):
            assert ingress["inputs"]["spec"]["ingressClassName"] in classes
        for monitor in (r for r in resources if r["type"] == "pulumi-python:dynamic/uptimerobot:Monitor"):
            assert monitor["inputs"]["friendly_name"].endswith(f" ({SPLIT_PLATFORM})")
            assert f"stack:{SPLIT_PLATFORM}" in monitor["inputs"]["tags"]
