"""Who can reach an app, before and after; likely renames. Small plans, to reach the cases real runs do not."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from planner.diff import diff_plans
from planner.diff.exposure import described, minus, networks
from planner.diff.renames import likely_renames

EDGES = {"public": {"visibility": "public", "allowedCidrs": []},
         "private": {"visibility": "private", "allowedCidrs": ["10.10.0.0/16"]}}


def app(name: str = "api", **fields: Any) -> dict[str, Any]:
    return {"name": name, "visibility": "public", "edges": ["public"], "url": f"https://{name}.example.com/",
            "host": f"{name}.example.com", "hosts": [f"{name}.example.com"], "namespace": name,
            "backend": f"service {name}:80", "protections": [], "allowCidrs": [], "basicAuthUsers": [],
            "monitored": False, **fields}


def plan(*apps: dict[str, Any], resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"stack": "dev", "apps": list(apps), "resources": resources or [],
            "outputs": {"platform": {"flavor": "nginx-inc", "edges": EDGES}}}


def messages(base: dict[str, Any], head: dict[str, Any], kind: str) -> list[str]:
    return [r.message for r in diff_plans(base, head).risks if r.kind == kind]


def test_cidr_sets():
    assert described(networks(["0.0.0.0/0", "::/0"])) == "everyone"
    rest = minus(networks(["10.0.0.0/8"]), networks(["10.1.0.0/16"]))
    assert sum(n.num_addresses for n in rest) == 2**24 - 2**16 and not any(n.overlaps(networks(["10.1.0.0/16"])[0])
                                                                          for n in rest)
    assert minus(networks(["10.1.0.0/16"]), networks(["10.0.0.0/8"])) == []


def test_an_allow_list_narrowed_is_a_reach_risk():
    base = plan(app(allowCidrs=["203.0.113.0/24", "198.51.100.0/24"], protections=["allow-list (2 CIDRs)"]))
    head = plan(app(allowCidrs=["203.0.113.0/24"], protections=["allow-list (1 CIDR)"]))
    [narrowed] = messages(base, head, "reach")
    assert "it now admits only `203.0.113.0/24`" in narrowed and "clients outside lose access" in narrowed
    assert messages(head, base, "exposure") and "newly admitted: `198.51.100.0/24`" in messages(head, base,
                                                                                                 "exposure")[0]


def test_a_base_without_allow_lists_still_tells_one_removed():
    """A plan from before plans listed `allowCidrs`: its `protections` say there was an allow-list."""
    old = app(protections=["allow-list (2 CIDRs)"])
    del old["allowCidrs"]
    [opened] = messages(plan(old), plan(app()), "exposure")
    assert opened == "App `api` loses its allow-list: it now admits everyone through `public`."


def test_basic_auth_is_on_top_of_what_the_edge_admits():
    base = plan(app(edges=["private"], visibility="private", basicAuthUsers=["alice"], protections=["basic auth"]))
    head = plan(app(edges=["private"], visibility="private"))
    [lost] = messages(base, head, "exposure")
    assert lost == ("App `api` loses basic auth: whoever `private` admits (`10.10.0.0/16`) reaches it without "
                    "a password.")


def health_ingress(path: str) -> dict[str, Any]:
    return {"type": "kubernetes:networking.k8s.io/v1:Ingress", "name": "api-health", "id": "api/api-health",
            "parent": "gangplank:apps:ExposedApp::api",
            "inputs": {"metadata": {"name": "api-health", "namespace": "api"},
                       "spec": {"ingressClassName": "nginx-public", "rules": [{"host": "api.example.com", "http": {
                           "paths": [{"path": path, "pathType": "Exact"}]}}]}}}


def test_a_monitored_app_that_loses_its_health_route_is_a_reach_risk():
    monitored = app(allowCidrs=["203.0.113.0/24"], monitored=True, protections=["allow-list (1 CIDR)"],
                    monitor={"type": "HTTP", "interval": 300, "url": "https://api.example.com/health"})
    component = {"type": "gangplank:apps:ExposedApp", "name": "api", "id": None, "inputs": {}}
    base = plan(monitored, resources=[component, health_ingress("/health")])
    head = plan(copy.deepcopy(monitored), resources=[component])
    [lost] = messages(base, head, "reach")
    assert lost.startswith("App `api`'s monitor loses its health route (`api-health`)")
    assert "the monitor reports the app down" in lost
    assert messages(base, plan(copy.deepcopy(monitored), resources=[component, health_ingress("/health")]),
                    "reach") == []


@pytest.mark.parametrize(("old", "new", "shared"), [
    (app("docs", backend="image ghcr.io/acme/docs:1, 2 replicas"),
     app("handbook", backend="image ghcr.io/acme/docs:1, 3 replicas"), ("backend",)),
    (app("docs"), app("handbook", host="docs.example.com", hosts=["docs.example.com"], backend="service b:80"),
     ("host",)),
    (app("docs", namespace="shared"), app("handbook", namespace="shared", backend="service b:80"), ("namespace",)),
])
def test_a_removed_and_an_added_app_that_share_something_are_a_likely_rename(old, new, shared):
    diff = diff_plans(plan(old), plan(new))
    [rename] = likely_renames(diff.apps)
    assert (rename.old, rename.new, rename.shared) == ("docs", "handbook", shared)


def test_apps_that_share_nothing_are_no_rename():
    diff = diff_plans(plan(app("docs")), plan(app("blog", namespace="blog", backend="service blog:80")))
    assert likely_renames(diff.apps) == [] and not [r for r in diff.risks if r.kind == "rename"]


def test_an_apps_team_shows_when_the_plan_has_one():
    """Plans of stacks with teams carry each app's `team`; older plans have none."""
    diff = diff_plans(plan(), plan(app("blog", team="storefront"), app("docs")))
    from planner.diff import render_diff_markdown

    markdown = render_diff_markdown(diff)
    assert "- `blog`: **added**, team `storefront`, `https://blog.example.com/`" in markdown
    assert "- `docs`: **added**, `https://docs.example.com/`" in markdown
