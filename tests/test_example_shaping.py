"""The example catalogue's canary, sticky and externally authenticated apps (on dev's `labs` edge, Envoy Gateway)
plan on an edge of each flavor that expresses them, as apps.yaml's comment says, and the F5 flavor refuses them
with its reason: the examples a reader copies are never stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from components.inputs.problems import InputError
from planner.run import plan
from tests.conftest import ROOT

EXAMPLES = ("checkout", "cart", "wiki")


def labs_examples(tmp_path: Path) -> str:
    """A catalogue of apps.yaml's apps on the `labs` edge, as they are written there."""
    catalogue = yaml.safe_load((ROOT / "apps.yaml").read_text(encoding="utf-8"))
    apps = [app for app in catalogue["apps"] if app.get("edges") == ["labs"]]
    assert [app["name"] for app in apps] == list(EXAMPLES)
    path = tmp_path / "apps.yaml"
    path.write_text(yaml.safe_dump({"apps": apps}, sort_keys=False), encoding="utf-8")
    return str(path)


def plan_labs(path: str, flavor: str) -> dict:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return plan("dev", path, ROOT, {"gangplank:edges": json.dumps({"labs": {"visibility": "public",
                                                                               "flavor": flavor}})})
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("flavor", ["ingress-nginx", "envoy-gateway"])
def test_the_examples_plan_on_each_flavor_that_offers_them(tmp_path: Path, flavor: str) -> None:
    planned = plan_labs(labs_examples(tmp_path), flavor)
    apps = {app["name"]: app for app in planned["apps"]}
    assert set(apps) == set(EXAMPLES)
    assert apps["checkout"]["canary"]["weight"] == 10 and "sticky (cookie route" in apps["cart"]["backend"]
    assert apps["wiki"]["protections"] == ["external auth (auth.example.com)"]


def test_the_f5_flavor_refuses_them_naming_itself(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        plan_labs(labs_examples(tmp_path), "nginx-inc")
    fields = {(p.subject, "nginx-inc" in p.message) for p in refused.value.problems}
    assert {("app 'checkout' field 'canary'", True), ("app 'cart' field 'sticky'", True),
            ("app 'wiki' field 'auth.external'", True)} <= fields, refused.value.problems
