"""`--preview fresh|update`: the plan as `pulumi preview` sees it, unknowns and skipped reads included."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.stack import wait_for_rpcs

from planner.__main__ import main
from planner.mocks.wire import UNKNOWN_SHOWN_AS
from planner.run import _DeclarationWatch, build_plan, mocked_runtime
from tests.conftest import FLAVORS, STACKS

MODES = ("fresh", "update")
ALIAS_RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"
READ_SERVICE = "kubernetes:core/v1:Service"
LABS_SERVICE = "platform-labs-envoy-gateway-gateway-service"
"""The Service read back for the NLB of dev's Envoy Gateway edge, labs."""


def preview(cached_run: Any, stack: str, flavor: str, mode: str) -> dict[str, Any]:
    return build_plan(cached_run(stack, flavor, mode))


def alias_records(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] == ALIAS_RECORD and r["inputs"].get("aliases")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_and_flavor_previews(cached_run, stack, flavor, mode):
    plan = preview(cached_run, stack, flavor, mode)
    assert plan["preview"]["mode"] == mode
    # The same resources as the plan: a preview hides nothing the program declares.
    planned = build_plan(cached_run(stack, flavor, "plan"))
    assert sorted((r["type"], r["name"]) for r in plan["resources"]) == \
        sorted((r["type"], r["name"]) for r in planned["resources"])
    # Every monitored app's monitor id is computed by UptimeRobot: unknown in both previews.
    monitored = [app for app in plan["apps"] if app["monitored"]]
    assert monitored and all(app["monitorId"] == UNKNOWN_SHOWN_AS for app in monitored)
    assert all(app["url"] != UNKNOWN_SHOWN_AS for app in plan["apps"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_is_created_inside_an_apply(cached_run, stack, flavor, mode):
    assert preview(cached_run, stack, flavor, mode)["preview"]["createdInApply"] == []


@pytest.mark.parametrize("stack", STACKS)
def test_fresh_preview_leaves_what_providers_compute_unknown(cached_run, stack):
    plan = preview(cached_run, stack, "nginx-inc", "fresh")
    by_name = {r["name"]: r for r in plan["resources"]}
    # Creates have no id yet; an adopted zone is read by its import, in previews too.
    public_zone = by_name["platform-zones-public"]
    if (public_zone.get("options") or {}).get("import"):
        assert public_zone["id"] == public_zone["options"]["import"]
    else:
        assert public_zone["id"] == UNKNOWN_SHOWN_AS
    assert by_name["platform-zones-private"]["id"] == UNKNOWN_SHOWN_AS
    # ACM hands out the validation record only once the certificate exists.
    validation = by_name["platform-certificates-public-validation"]["inputs"]
    assert validation["name"] == UNKNOWN_SHOWN_AS and validation["records"] == [UNKNOWN_SHOWN_AS]
    # The controllers' Services are read with an id made from the release: skipped, so the NLB host
    # name and every alias target behind it are unknown.
    services = ["platform-private-service", "platform-public-service"] + ([LABS_SERVICE] if stack == "dev" else [])
    assert sorted(plan["preview"]["skippedReads"]) == sorted(f"{READ_SERVICE}::{name}" for name in services)
    assert all(r["inputs"]["aliases"][0]["name"] == UNKNOWN_SHOWN_AS for r in alias_records(plan))
    edges = ["private", "public"] + (["labs"] if stack == "dev" else [])
    assert plan["outputs"]["loadBalancers"] == dict.fromkeys(edges, UNKNOWN_SHOWN_AS)


@pytest.mark.parametrize("stack", STACKS)
def test_update_preview_keeps_ids_and_what_is_not_updated(cached_run, stack):
    plan = preview(cached_run, stack, "nginx-inc", "update")
    planned = {(r["type"], r["name"]): r for r in build_plan(cached_run(stack, "nginx-inc", "plan"))["resources"]}
    for resource in plan["resources"]:
        if (resource.get("options") or {}).get("read"):
            continue
        # Existing resources keep their ids, updated ones included.
        assert resource["id"] == planned[(resource["type"], resource["name"])]["id"], resource["name"]
    validation = next(r for r in plan["resources"] if r["name"] == "platform-certificates-public-validation")
    assert UNKNOWN_SHOWN_AS not in json.dumps(validation["inputs"])


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("stack", STACKS)
def test_update_preview_keeps_dns_alias_targets_known(cached_run, stack, flavor):
    """An upgrade of the controllers must not turn every app's DNS target unknown. This failed while the
    controller Service was read with an id built from `release.status` (unknown in every preview);
    the program now keys the read on the release's id, which an update keeps."""
    plan = preview(cached_run, stack, flavor, "update")
    assert plan["preview"]["skippedReads"] == []
    records = alias_records(plan)
    assert records
    for record in records:
        assert UNKNOWN_SHOWN_AS not in json.dumps(record["inputs"]), record["name"]


def test_update_preview_release_status_is_unknown_and_its_id_known():
    """pulumi-kubernetes emits `status` and `resourceNames` as computed in every preview
    (provider/pkg/provider/helm_release.go, checkpointRelease); an update keeps the id."""
    with mocked_runtime("dev", mode="update") as (_monitor, loop):
        release = k8s.helm.v3.Release("r", name="ingress-public", namespace="ingress-public", chart="c",
                                      version="1.0.0")
        loop.run_until_complete(wait_for_rpcs())
        assert loop.run_until_complete(release.id.is_known()) is True
        assert loop.run_until_complete(release.id.future()) == "ingress-public/ingress-public"
        assert loop.run_until_complete(release.status.is_known()) is False


def test_a_read_with_an_unknown_id_is_skipped_and_one_with_a_known_id_is_read():
    with mocked_runtime("dev", mode="fresh") as (monitor, loop):
        namespace = k8s.core.v1.Namespace("ns", metadata={"name": "ingress-public"})
        unknown = k8s.core.v1.Service.get("by-unknown-id", namespace.id.apply(lambda _: "ingress-public/svc"))
        known = k8s.core.v1.Service.get("by-known-id", "ingress-public/svc")
        loop.run_until_complete(wait_for_rpcs())
        assert loop.run_until_complete(unknown.spec.is_known()) is False
        assert loop.run_until_complete(known.spec.is_known()) is True
    reads = {r.name: r for r in monitor.read_registrations}
    assert reads["by-unknown-id"].id == UNKNOWN_SHOWN_AS
    assert reads["by-known-id"].id == "ingress-public/svc"


def test_reads_are_in_the_plan_with_what_depends_on_them(cached_run):
    plan = build_plan(cached_run("dev", "nginx-inc", "plan"))
    reads = [r for r in plan["resources"] if (r.get("options") or {}).get("read")]
    assert sorted(r["name"] for r in reads) == sorted([LABS_SERVICE, "platform-private-service",
                                                       "platform-public-service"])
    for read in reads:
        # An Ingress controller's Service is its chart's; Envoy Gateway makes one per Gateway.
        made_by = (f"kubernetes:gateway.networking.k8s.io/v1:Gateway::{read['name'].replace('-service', '-gateway')}"
                   if read["name"] == LABS_SERVICE else f"{RELEASE}::{read['name'].replace('-service', '-release')}")
        assert read["dependencies"] == [made_by]
    label = f"{READ_SERVICE}::platform-public-service"
    assert any(label in r["dependencies"] for r in alias_records(plan))


def test_resources_created_inside_an_apply_are_noted():
    watch = _DeclarationWatch()
    with mocked_runtime("dev") as (_monitor, loop), watch.installed():
        namespace = k8s.core.v1.Namespace("ns", metadata={"name": "a"})
        namespace.id.apply(lambda _: k8s.core.v1.Namespace("made-in-apply", metadata={"name": "b"}))
        loop.run_until_complete(wait_for_rpcs())
    assert [(late.resource, late.how) for late in watch.late] == [
        ("kubernetes:core/v1:Namespace::made-in-apply", "inside an apply callback")]
    # And the SDK is as it was.
    assert pulumi.Output.apply.__name__ == "apply" and not hasattr(pulumi.Output.apply, "__wrapped__")


def test_cli_preview_table_and_json(capsys):
    assert main(["--stack", "dev", "--preview", "fresh"]) == 0
    table = capsys.readouterr().out
    assert "Reads the engine skips" in table and "(unknown)" in table and "[unknown]" not in table
    assert main(["--stack", "dev", "--preview", "update", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["preview"]["mode"] == "update"


def test_cli_default_plan_has_no_unknowns(capsys):
    assert main(["--stack", "prod", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert UNKNOWN_SHOWN_AS not in out and "preview" not in json.loads(out)  # (an app may be named preview)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_update_preview_says_what_is_unknown_and_why(cached_run, flavor):
    from planner.preview import render_preview_table

    plan = preview(cached_run, "dev", flavor, "update")
    unknown = plan["preview"]["unknownOutputs"]
    assert unknown[f"{RELEASE}::platform-public-release"] == ["status"]
    assert unknown["pulumi-python:dynamic/uptimerobot:Monitor::docs-monitor"] == ["monitor_id", "status"]
    table = render_preview_table(plan)
    section = table[table.index("Preview (update)"):]
    # The dashboard's and the controllers' of dev's edges: public, private and labs.
    assert "4 Releases updated; their computed outputs are unknown until then, because pulumi-kubernetes" in section
    assert "a dynamic provider has no preview of an update" in " ".join(section.split())
    assert "    docs-monitor: monitor_id, status" in section
    assert "Made from them: apps.shop.monitorId" in section
    assert "nothing else is unknown" in " ".join(section.split())


@pytest.mark.parametrize("mode", MODES)
def test_preview_tables_fit_in_100_columns_unless_wide(cached_run, mode):
    from planner.preview import render_preview_table

    plan = preview(cached_run, "dev", "nginx-inc", mode)
    assert all(len(line) <= 100 for line in render_preview_table(plan).splitlines())
    assert any(len(line) > 100 for line in render_preview_table(plan, wide=True).splitlines())
