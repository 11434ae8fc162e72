"""The example catalogue's commented canary, sticky and externally authenticated apps plan on an edge of each
flavor that expresses them (the edge the comment shows), so the example a reader copies is never stale."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from planner.run import plan
from tests.conftest import ROOT


def commented_examples() -> str:
    """The commented app entries at the end of apps.yaml, uncommented."""
    text = (ROOT / "apps.yaml").read_text(encoding="utf-8")
    block = text[text.index("  # - name: checkout"):]
    return "\n".join(re.sub(r"^  # ?", "  ", line) for line in block.splitlines() if line.startswith("  #"))


@pytest.mark.parametrize("flavor", ["ingress-nginx", "envoy-gateway"])
def test_the_commented_examples_plan(tmp_path: Path, flavor: str) -> None:
    path = tmp_path / "apps.yaml"
    path.write_text("apps:\n" + commented_examples() + "\n", encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        planned = plan("dev", str(path), ROOT, {"gangplank:edges": json.dumps(
            {"labs": {"visibility": "public", "flavor": flavor}})})
    finally:
        os.chdir(cwd)
    apps = {app["name"]: app for app in planned["apps"]}
    assert set(apps) == {"checkout", "cart", "wiki"}
    assert apps["checkout"]["canary"]["weight"] == 10 and "sticky (cookie route" in apps["cart"]["backend"]
    assert apps["wiki"]["protections"] == ["external auth (auth.example.com)"]
