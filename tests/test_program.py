"""`__main__.py` as `pulumi up` runs it: wiring only, and no tuning of the SDK or the interpreter."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import pulumi.resource as sdk_resource
from pulumi.runtime import resource as sdk_runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime.stack import wait_for_rpcs

from planner.process import (
    SDK_ALL_ALIASES,
    SDK_COLLAPSE_ALIAS_TO_URN,
    SDK_CONTAINS_UNKNOWNS,
    SDK_CREATE_URN,
    SDK_TRANSFER_PROPERTIES,
)
from planner.run import mocked_runtime
from planner.stackconfig import read_stack_config

ROOT = Path(__file__).resolve().parent.parent


def test_the_program_patches_neither_the_sdk_nor_the_collector(monkeypatch):
    released = {(rpc, "contains_unknowns"): SDK_CONTAINS_UNKNOWNS,
                (rpc, "transfer_properties"): SDK_TRANSFER_PROPERTIES,
                (sdk_resource, "collapse_alias_to_urn"): SDK_COLLAPSE_ALIAS_TO_URN,
                (sdk_runtime_resource, "all_aliases"): SDK_ALL_ALIASES,
                (sdk_runtime_resource, "create_urn"): SDK_CREATE_URN}
    for (module, name), original in released.items():
        monkeypatch.setattr(module, name, original)
    gc.unfreeze()
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    config = read_stack_config("dev", ROOT)
    with mocked_runtime("dev", config.values, config.secret_keys) as (monitor, loop):
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        loop.run_until_complete(wait_for_rpcs())
    assert monitor.registrations, "the program declared nothing"
    for (module, name), original in released.items():
        assert getattr(module, name) is original, f"the program swapped {module.__name__}.{name}"
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_main_is_wiring_only():
    source = (ROOT / "__main__.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 60
    assert "import gc" not in source and "planner" not in source


def test_a_stack_on_the_retired_flavor_is_warned_once(monkeypatch):
    """ingress-nginx is retired upstream: `pulumi up` says so once (pulumi.log.warn) and the plan lists it once
    among its top-level `warnings`, with its kind; the default flavor says nothing of the kind."""
    import pulumi

    from planner.run import build_plan, run_program

    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: said.append(str(message)))
    retired = build_plan(run_program("dev", None, ROOT, {"gangplank:flavor": "ingress-nginx"}))
    [entry] = [w for w in retired.get("warnings", []) if w.get("kind") == "retirement"]
    assert entry["flavor"] == "ingress-nginx"
    assert "announced 2025-11-11" in entry["message"] and "March 2026" in entry["message"]
    # The way off is a move, per edge (docs/moving-an-edge.md), never the one-step switch the rehearsal refuses.
    assert "set gangplank:edges.public.move to {to: nginx-inc, weight: 0}" in entry["message"]
    assert "docs/moving-an-edge.md" in entry["message"] and "gangplank:flavor to" not in entry["message"]
    assert [message for message in said if "retired upstream" in message] == [entry["message"]]

    said.clear()
    default = build_plan(run_program("dev", None, ROOT))
    assert not [w for w in default.get("warnings", []) if w.get("kind") == "retirement"]
    assert not [message for message in said if "retired upstream" in message]
