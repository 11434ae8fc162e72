"""Plan pairs from real planner runs: the example catalogue and stack, then an edited copy of either.

`plan_pair(scenario, flavor)` plans the `dev` stack twice under the planner's mocks, once as it is and
once with the scenario's edit of apps.yaml (or of the stack config), on either controller flavor, and
returns `(base, head, config)`. Runs are cached for the session: each (scenario, flavor) is planned once,
and the unedited catalogue once per flavor and config.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.run import plan
from tests.conftest import GATEWAY_FLAVORS, ROOT, stack_edges

Catalogue = dict[str, Any]


def app(catalogue: Catalogue, name: str) -> dict[str, Any]:
    return next(entry for entry in catalogue["apps"] if entry["name"] == name)


def _namespace(c: Catalogue) -> None:
    app(c, "grafana")["namespace"] = "observability"


def _no_auth(c: Catalogue) -> None:
    del app(c, "preview")["auth"]


def _no_allow_list(c: Catalogue) -> None:
    del app(c, "partner-api")["allowCidrs"]


def _public(c: Catalogue) -> None:
    app(c, "grafana")["visibility"] = "public"


def _rename(c: Catalogue) -> None:
    app(c, "docs")["name"] = "handbook"


def _to_partners(c: Catalogue) -> None:
    entry = app(c, "grafana")
    del entry["visibility"]
    entry["edges"] = ["partners"]


def _auth_added(c: Catalogue) -> None:
    # A monitored app behind basic auth needs a health path of its own, where its monitor's own login is taken
    # (catalog.rules.probe_path_problem): docs' default `/` is one of its paths.
    app(c, "docs")["auth"] = {"basic": {"users": ["reader"]}}
    app(c, "docs")["healthPath"] = "/healthz"


def _health_path(c: Catalogue) -> None:
    app(c, "partner-api")["healthPath"] = "/ready"


def _rename_keeping_the_host(c: Catalogue) -> None:
    app(c, "argocd")["name"] = "argo"  # its host (`deploy`) and namespace (`argocd`) are its own fields


def _alias(c: Catalogue) -> None:
    app(c, "docs")["aliases"] = ["manual"]


PARTNERS = stack_edges("dev", partners={"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]})
SCENARIOS: dict[str, tuple[Callable[[Catalogue], None] | None, dict[str, str], dict[str, str]]] = {
    # name: (catalogue edit, config of base and head, config of head only)
    "namespace": (_namespace, {}, {}),
    "new-edge": (None, {}, {"gangplank:edges": PARTNERS}),
    "no-auth": (_no_auth, {}, {}),
    "no-allow-list": (_no_allow_list, {}, {}),
    "public": (_public, {}, {}),
    "edge-move": (_to_partners, {"gangplank:edges": PARTNERS}, {}),
    "wildcard": (None, {}, {"gangplank:dnsRecords": "wildcard"}),
    "rename": (_rename, {}, {}),
    "rename-same-host": (_rename_keeping_the_host, {}, {}),
    "alias": (_alias, {}, {}),
    "auth-added": (_auth_added, {}, {}),
    "health-path": (_health_path, {}, {}),
    "flavor-switch": (None, {}, {}),
}


@pytest.fixture(scope="session")
def plan_pair(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], tuple[dict, dict, dict]]:
    """plan_pair(scenario, flavor) -> (base plan, head plan, head's stack config overrides)."""
    cache: dict[tuple[str, str], tuple[dict, dict, dict]] = {}
    bases: dict[tuple[str, str], dict] = {}
    """The unedited catalogue's plan per (flavor, config of both): shared by the scenarios that start from it."""
    original = yaml.safe_load((ROOT / "apps.yaml").read_text(encoding="utf-8"))

    def planned(apps: Path, config: dict[str, str]) -> dict:
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            return json.loads(json.dumps(plan("dev", str(apps), ROOT, config)))
        finally:
            os.chdir(cwd)

    def pair(scenario: str, flavor: str) -> tuple[dict, dict, dict]:
        if (scenario, flavor) not in cache:
            edit, both, head_only = SCENARIOS[scenario]
            before = copy.deepcopy(original)
            if flavor in GATEWAY_FLAVORS:
                for entry in before["apps"]:  # Envoy Gateway cannot limit connections per client
                    (entry.get("rateLimit") or {}).pop("connections", None)
            catalogue = copy.deepcopy(before)
            if edit is not None:
                edit(catalogue)
            folder = tmp_path_factory.mktemp(f"{scenario}-{flavor}")
            base_apps, head_apps = folder / "base.yaml", folder / "head.yaml"
            base_apps.write_text(yaml.safe_dump(before), encoding="utf-8")
            head_apps.write_text(yaml.safe_dump(catalogue), encoding="utf-8")
            if scenario == "flavor-switch":  # to the other Ingress flavor
                head_only = {"gangplank:flavor": next(f for f in ("nginx-inc", "ingress-nginx") if f != flavor)}
            config = {"gangplank:flavor": flavor, **both}
            key = (flavor, json.dumps(both, sort_keys=True))
            if key not in bases:
                bases[key] = planned(base_apps, config)
            cache[(scenario, flavor)] = (bases[key], planned(head_apps, {**config, **head_only}),
                                         {**config, **head_only})
        base, head, config = cache[(scenario, flavor)]
        return copy.deepcopy(base), copy.deepcopy(head), dict(config)

    return pair


def width_problems(text: str, width: int = 100) -> list[str]:
    """Lines longer than `width` columns."""
    return [line for line in text.splitlines() if len(line) > width]


def golden_base() -> dict[str, Any]:
    return json.loads((Path(__file__).parent.parent / "golden" / "base.json").read_text(encoding="utf-8"))
