"""The engine's rules (pulumi step_generator.go): which option changes cause a step, URNs, protect, unknowns."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from planner.diff import KNOWN_AFTER_APPLY, diff_as_json, diff_plans, render_diff_markdown
from planner.render import render_json
from tests.planner.diff.conftest import golden_base

RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def plan_of(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "dev", "apps": [], "resources": list(resources), "kind": "plan", "formatVersion": 2}


def ingress(namespace: str = "shop", **options: Any) -> dict[str, Any]:
    return {"type": INGRESS, "name": "shop-ingress", "id": f"{namespace}/shop", "parent": None,
            "inputs": {"metadata": {"name": "shop", "namespace": namespace}, "spec": {"rules": [{"host": "a"}]}},
            **({"options": options} if options else {})}


def only(base: dict[str, Any], head: dict[str, Any], name: str = "shop-ingress") -> Any:
    return next((r for r in diff_plans(base, head).resources if r.name == name), None)


@pytest.mark.parametrize("options", [
    {"dependsOn": ["kubernetes:helm.sh/v3:Release::platform-public-release"]},
    {"customTimeouts": {"create": "30m"}},
])
def test_options_the_engine_does_not_act_on_cause_no_step(options):
    base, head = plan_of(ingress()), plan_of(ingress(**options))
    found = only(base, head)
    assert found.op == "same" and found.ignored_options == tuple(options)
    diff = diff_plans(base, head)
    assert diff.is_empty and diff.op_counts() == {"create": 0, "import": 0, "update": 0, "replace": 0, "delete": 0}
    assert render_diff_markdown(diff).startswith("No changes to stack `dev`.\n\nNo step for 1 resource")


@pytest.mark.parametrize("option, value", [("protect", True), ("retainOnDelete", True),
                                           ("deleteBeforeReplace", True), ("aliases", [{"name": "old"}])])
def test_options_the_engine_records_are_shown_without_a_step(option, value):
    found = only(plan_of(ingress()), plan_of(ingress(**{option: value})))
    assert found.op == "same" and [c.field for c in found.option_changes] == [option]


def test_ignore_changes_keeps_the_old_value():
    head = ingress(ignoreChanges=["metadata.namespace"])
    head["inputs"]["metadata"]["namespace"] = "other"
    assert only(plan_of(ingress()), plan_of(head)).op == "same"


def test_delete_before_replace_overrides_the_provider():
    head = ingress(deleteBeforeReplace=True)
    head["inputs"]["metadata"]["namespace"] = "other"  # the provider alone would create the new one first
    found = only(plan_of(ingress()), plan_of(head))
    assert (found.op, found.delete_first) == ("replace", True)


def test_a_protected_resource_is_not_replaced_nor_deleted():
    base = plan_of(ingress(protect=True))
    head = plan_of(ingress("other", protect=True))
    found = only(base, head)
    assert found.op == "replace" and "marked for protection" in found.refused
    diff = diff_plans(base, head)
    assert [b["resource"] for b in diff.blockers] == [f"{INGRESS}::shop-ingress"]
    assert "**Refused:**" in render_diff_markdown(diff)
    # Unprotected in the same change: allowed (the engine looks at protect before and after).
    assert only(base, plan_of(ingress("other"))).refused is None
    gone = diff_plans(base, plan_of())
    assert gone.resources[0].op == "delete" and "protected" in gone.resources[0].refused


def test_retain_on_delete_leaves_the_object():
    diff = diff_plans(plan_of(ingress(retainOnDelete=True)), plan_of())
    assert diff.resources[0].retained
    assert "`retainOnDelete` keeps it in the cloud" in diff.risks[0].message


@pytest.mark.parametrize(("head_parent", "aliases", "op"), [
    ("gangplank:apps:Host::shop.dev.example.com", [], "replace"),
    ("gangplank:apps:Host::shop.dev.example.com",
     [{"name": "shop-record", "parentUrn": "urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp::shop"}], "same"),
    ("gangplank:apps:ExposedApp::shop-api", [], "same"),  # the same parent type: a URN holds no parent name
])
def test_a_move_to_another_parent_replaces_only_when_the_urn_changes(head_parent, aliases, op):
    record = {"type": RECORD, "name": "shop-record", "id": "z_shop_A", "inputs": {"type": "A", "name": "shop"}}
    components = [{"type": "gangplank:apps:ExposedApp", "name": n, "id": None, "inputs": {}}
                  for n in ("shop", "shop-api")]
    host = {"type": "gangplank:apps:Host", "name": "shop.dev.example.com", "id": None, "inputs": {}}
    base = plan_of(*components, host, {**record, "parent": "gangplank:apps:ExposedApp::shop"})
    head = plan_of(*components, host, {**record, "parent": head_parent,
                                       **({"options": {"aliases": aliases}} if aliases else {})})
    found = only(base, head, "shop-record")
    assert found.op == op
    if op == "replace":
        assert "its URN changes" in found.replace_reasons[0] and not found.delete_first


def test_a_type_alias_pairs_a_resource_whose_type_changed():
    old = {**ingress(), "type": "kubernetes:networking.k8s.io/v1beta1:Ingress"}
    new = ingress(aliases=[{"type": "kubernetes:networking.k8s.io/v1beta1:Ingress"}])
    diff = diff_plans(plan_of(old), plan_of(new))
    assert [r.op for r in diff.resources] == ["same"]


def test_a_replaced_resource_makes_what_is_made_from_its_outputs_known_after_apply():
    """The zone is replaced (its name): the records' `zoneId` is unknown in the preview, and a zone id is
    ForceNew for a record, so they are replaced too; the diff never shows the mocks' ids."""
    zone = {"type": ZONE, "name": "zone", "id": "ZMOCK0000000000000001", "inputs": {"name": "dev.example.com"}}
    record = {"type": RECORD, "name": "shop-record", "id": "r", "dependencies": [f"{ZONE}::zone"],
              "inputs": {"name": "shop.dev.example.com", "type": "A", "zoneId": "ZMOCK0000000000000001"},
              "propertyDependencies": {"zoneId": [f"{ZONE}::zone"]}, "fromOutputs": {"zoneId": [f"{ZONE}::zone"]}}
    head_zone = copy.deepcopy(zone)
    head_zone["inputs"]["name"] = "dev2.example.com"
    diff = diff_plans(plan_of(zone, record), plan_of(head_zone, record))
    found = {r.name: r for r in diff.resources}
    assert found["zone"].op == "replace" and found["shop-record"].op == "replace"
    [change] = found["shop-record"].input_changes
    assert (change.field, change.old, change.new, change.replaces) == (
        "zoneId", f"[output of {ZONE}::zone]", KNOWN_AFTER_APPLY, True)
    assert "ZMOCK" not in render_diff_markdown(diff) + render_json(diff_as_json(diff))
    # The zone unchanged: the record is not touched, and a new record shows where its zone id comes from.
    added = copy.deepcopy(record)
    added["name"] = "blog-record"
    diff = diff_plans(plan_of(zone, record), plan_of(zone, record, added))
    [created] = diff.steps
    assert created.head_inputs["zoneId"] == f"[output of {ZONE}::zone]"


def test_a_read_is_read_again_and_counted_nowhere():
    read = {"type": "kubernetes:core/v1:Service", "name": "svc", "id": "ns/svc", "inputs": {},
            "options": {"read": True}}
    diff = diff_plans(plan_of(), plan_of(read))
    assert [r.op for r in diff.resources] == ["read"] and diff.is_empty


def test_a_secret_made_from_other_resources_changes_when_they_do():
    """Both plans show `[secret]`; the Secret is made from other passwords now (a user added): a change."""
    secret = {"type": "kubernetes:core/v1:Secret", "name": "htpasswd", "id": "ns/auth",
              "inputs": {"metadata": {"name": "auth", "namespace": "ns"}, "stringData": "[secret]"},
              "propertyDependencies": {"stringData": ["random:index/randomPassword:RandomPassword::alice"]}}
    more = copy.deepcopy(secret)
    more["propertyDependencies"]["stringData"].append("random:index/randomPassword:RandomPassword::bob")
    found = only(plan_of(secret), plan_of(more), "htpasswd")
    # pulumi-kubernetes: a Secret's contents replace it while `enableSecretMutable` is off; same name: delete first.
    assert (found.op, found.delete_first) == ("replace", True)
    assert [(c.field, c.old, c.new) for c in found.input_changes] == [("stringData", "[secret]", "[secret]")]


def test_twins_under_different_parents_pair_up():
    base = golden_base()
    twin = copy.deepcopy(next(r for r in base["resources"] if r["name"] == "shop-record"))
    twin["parent"] = "gangplank:apps:ExposedApp::other"
    base["resources"].append(twin)
    head = copy.deepcopy(base)
    head["resources"][-1]["inputs"]["type"] = "AAAA"
    [changed] = diff_plans(base, head).steps
    assert (changed.name, changed.parent, changed.changed_inputs) == (
        "shop-record", "gangplank:apps:ExposedApp::other", ("type",))


def test_missing_keys_are_tolerated():
    """Plans from an older planner may lack parent, options, id or app fields."""
    base = {"stack": "dev", "resources": [{"type": "t:m:R", "name": "a"}]}
    head = {"stack": "dev", "apps": [{"name": "x"}], "resources": [{"type": "t:m:R", "name": "a", "inputs": {"k": 1}}]}
    diff = diff_plans(base, head)
    assert [(r.name, r.op, r.changed_inputs, r.unknown_rules) for r in diff.resources] == [
        ("a", "update", ("k",), True)]
    assert "- `x`: **added**" in render_diff_markdown(diff)


def test_a_head_in_memory_compares_equal_to_its_json():
    head = golden_base()
    in_memory = copy.deepcopy(head)
    in_memory["resources"][0]["inputs"] = {"list": (1, 2), "n": 300.0}
    assert diff_plans(json.loads(json.dumps(in_memory)), in_memory).is_empty


def test_output_does_not_depend_on_order():
    from tests.planner.goldens import load_plan

    base, head = load_plan("base.json"), load_plan("head.json")
    shuffled = copy.deepcopy(head)
    rng = random.Random(5)
    rng.shuffle(shuffled["apps"])
    rng.shuffle(shuffled["resources"])
    assert render_diff_markdown(diff_plans(base, shuffled)) == render_diff_markdown(diff_plans(base, head))
    assert render_json(diff_as_json(diff_plans(base, shuffled))) == render_json(diff_as_json(diff_plans(base, head)))
