"""Everyday changes, planned for real on both flavors and diffed: what the diff says `pulumi up` will do.

Each pair comes from real planner runs over the example stack and an edited copy of apps.yaml (or of the
stack config): see `conftest.SCENARIOS`.
"""

from __future__ import annotations

from typing import Any

import pytest

from planner.diff import (
    KNOWN_AFTER_APPLY,
    SECRET,
    PlanDiff,
    diff_as_json,
    diff_plans,
    render_diff_markdown,
    render_rollout_section,
)
from planner.rollout.changes import change_rollout, diff_steps
from tests.conftest import FLAVORS, GATEWAY_FLAVORS
from tests.fakes.site import IngressSite
from tests.planner.diff.conftest import width_problems

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def diffed(plan_pair: Any, scenario: str, flavor: str) -> tuple[PlanDiff, str]:
    base, head, config = plan_pair(scenario, flavor)
    diff = diff_plans(base, head, config)
    markdown = render_diff_markdown(diff)
    assert width_problems(markdown) == [], "every line fits in 100 columns"
    return diff, markdown


def step(diff: PlanDiff, name: str) -> Any:
    return next(r for r in diff.resources if r.name == name)


def risks(diff: PlanDiff, kind: str) -> list[str]:
    return [r.message for r in diff.risks if r.kind == kind]


def rollout_of(plan_pair: Any, scenario: str, flavor: str, diff: PlanDiff) -> dict[str, Any]:
    """The change's modeled rollout, as `python -m planner --diff` makes it: with the diff's blockers."""
    base, head, config = plan_pair(scenario, flavor)
    return change_rollout(base, head, config, {}, diff_steps(diff), diff.blockers)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_namespace_change_replaces_the_ingress_new_one_first_and_blocks(plan_pair, flavor):
    """Both flavors stop `pulumi up` with the old Ingress serving: ingress-nginx refuses the new one at admission;
    F5 admits it but gives the host to the older one and never sets the new one's status, which pulumi-kubernetes
    waits 10 minutes for (the site model agrees: the new one gets no status)."""
    diff, markdown = diffed(plan_pair, "namespace", flavor)
    ingress = step(diff, "grafana-ingress")
    assert (ingress.op, ingress.delete_first) == ("replace", False)
    assert [(c.field, c.old, c.new, c.replaces) for c in ingress.input_changes] == [
        ("metadata.namespace", "monitoring", "observability", True)]
    assert diff.op_counts()["replace"] == 1 and "1 to replace" in markdown
    [replaced] = risks(diff, "replace")
    # The moment two Ingresses claim one host (and path), and what the flavor's controller does about it.
    assert "`observability/grafana` is created while the old `monitoring/grafana` still exists" in replaced
    claimed = "grafana.internal.dev.example.com" + ("/" if flavor == "ingress-nginx" else "")
    assert f"two Ingresses claim `{claimed}` on class `nginx-private`" in replaced
    [blocker] = diff.blockers
    assert blocker["resource"] == f"{INGRESS}::grafana-ingress" and blocker["blocks"] == [blocker["resource"]]
    assert "**BLOCKED**" in render_diff_markdown(diff)
    rollout = rollout_of(plan_pair, "namespace", flavor, diff)
    assert rollout["blockers"][0] == blocker and rollout["blocked"] == [f"{INGRESS}::grafana-ingress"]
    section = render_rollout_section(rollout)
    assert section.startswith("\n#### Rollout (modeled): BLOCKED\n")
    assert f"{INGRESS}::grafana-ingress" not in rollout["criticalPath"]
    if flavor == "ingress-nginx":
        assert "admission webhook refuses the new one" in replaced and "failsAfterSeconds" not in blocker
        assert rollout["failsAfterSeconds"] == 0 and "`pulumi up` fails as soon as it gets there" in section
    else:
        assert "rejects the new one (\"All hosts are taken by other resources\") without ever setting its status" \
            in replaced and "Pulumi waits 10 minutes for that status and fails" in replaced
        assert blocker["failsAfterSeconds"] == 600 and rollout["failsAfterSeconds"] >= 600
        assert "`pulumi up` fails after about **10 min" in " ".join(section.split())
        base, head, _ = plan_pair("namespace", flavor)
        old, new = (next(r["inputs"] for r in plan["resources"] if r["name"] == "grafana-ingress")
                    for plan in (base, head))
        site = IngressSite([old, new], [], flavor)  # in creation order
        assert "observability/grafana" not in site.with_status
        assert site.location("grafana.internal.dev.example.com", "/").ingress["metadata"]["namespace"] == "monitoring"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_rename_that_keeps_the_host_blocks_too(plan_pair, flavor):
    """argocd renamed argo keeps its host (`host: deploy`) and namespace: the new app's Ingress is created before the
    old app's is deleted (the engine deletes last), and the controllers treat it as a namespace change's."""
    diff, _ = diffed(plan_pair, "rename-same-host", flavor)
    [rename] = risks(diff, "rename")
    assert "The new Ingress `argocd/argo` is created before the old `argocd/argocd` is deleted" in rename
    [blocker] = diff.blockers
    assert blocker["resource"] == f"{INGRESS}::argo-ingress"
    if flavor == "ingress-nginx":
        assert "ingress-nginx's admission webhook refuses the new one, and `pulumi up` stops." in rename
    else:
        assert "never sets the new one's status, so `pulumi up` fails" in rename
        assert blocker["failsAfterSeconds"] == 600
    assert rollout_of(plan_pair, "rename-same-host", flavor, diff)["blocked"] == [f"{INGRESS}::argo-ingress"]


@pytest.mark.parametrize("flavor", GATEWAY_FLAVORS)
def test_a_namespace_change_on_a_gateway_flavor_replaces_the_route_older_one_serving(plan_pair, flavor):
    """A kind the provider's table does not list (HTTPRoute) is replaced by its identity like any other."""
    diff, _ = diffed(plan_pair, "namespace", flavor)
    route = step(diff, "grafana-route")
    assert (route.op, route.delete_first) == ("replace", False)
    replaced = next(m for m in risks(diff, "replace") if "`grafana-route`" in m)
    assert "two HTTPRoutes claim `grafana.internal.dev.example.com/` on Gateway `gateway-private/private`" in replaced
    assert "the Gateway API gives the older Route precedence" in replaced and diff.blockers == ()
    assert "blocked" not in rollout_of(plan_pair, "namespace", flavor, diff)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_new_edge_changes_no_app(plan_pair, flavor):
    """Every Ingress waits for the new controller too (`dependsOn`): the engine takes no step for that."""
    diff, markdown = diffed(plan_pair, "new-edge", flavor)
    assert diff.apps == ()
    assert {r.op for r in diff.steps} == {"create"}
    same = [r for r in diff.resources if r.op == "same"]
    assert same and all(r.ignored_options == ("dependsOn",) for r in same)
    assert any(r.type == INGRESS for r in same)
    assert "Apps: 0 added, 0 changed, 0 removed." in markdown and "(the engine orders steps by it" in markdown
    base, head, config = plan_pair("new-edge", flavor)
    rollout = change_rollout(base, head, config, {}, diff_steps(diff))
    assert rollout["updated"] == [] and len(rollout["created"]) == diff.op_counts()["create"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_basic_auth_removed_is_an_exposure(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "no-auth", flavor)
    [lost] = [m for m in risks(diff, "exposure") if "loses basic auth" in m]
    assert "App `preview` loses basic auth" in lost and "(everyone)" in lost
    assert {r.name for r in diff.resources_of("delete")} >= {"preview-htpasswd", "preview-password-qa"}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_allow_list_removed_is_an_exposure(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "no-allow-list", flavor)
    [opened] = risks(diff, "exposure")
    assert opened.startswith("App `partner-api` is open to more clients")
    assert "its allow-list (`198.51.100.16/28`, `203.0.113.0/24`) is removed" in opened
    assert "it now admits everyone through `public`" in opened
    # Its health route goes, but `/status` is still answered: by the app's main Ingress, at `/` (a prefix).
    [health] = [m for m in risks(diff, "delete") if m.startswith("`partner-api-health`")]
    assert health == ("`partner-api-health` (`Ingress`) is deleted: what it routes stays served on class "
                      "`nginx-public`: `partner-api.dev.example.com/status` by `partners/partner-api` (at `/`).")
    _base, head, _ = plan_pair("no-allow-list", flavor)
    site = IngressSite([r["inputs"] for r in head["resources"] if r["type"] == INGRESS], [], flavor)
    assert site.location("partner-api.dev.example.com", "/status").ingress_name == "partner-api"
    # On F5 the host was shared with the health route: the app's Ingress stops being a minion while the host's
    # master stands until the end of `pulumi up`, and the older of the two keeps the host.
    turned = [m for m in risks(diff, "route") if "stops being a minion" in m]
    if flavor == "nginx-inc":
        [risk] = turned
        assert risk.startswith("`partner-api-ingress` (`Ingress`) stops being a minion of "
                               "`partner-api.dev.example.com-master`, the host's master Ingress")
        assert "If the master is older, the app's paths answer 404" in risk
        assert "`kubectl -n partners delete ingress partner-api.dev.example.com`" in risk
    else:
        assert turned == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_private_app_made_public_is_an_exposure(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "public", flavor)
    [opened] = risks(diff, "exposure")
    assert "App `grafana` is open to more clients (private → public" in opened
    assert "it now admits everyone through `public`, without a password" in opened
    assert "(before: `10.10.0.0/16`, `172.20.0.0/22`)" in opened


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_edge_move_names_the_edges_and_who_is_admitted(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "edge-move", flavor)
    [moved] = risks(diff, "exposure")
    assert "edge `private` → `partners`: another load balancer and allow-list" in moved
    assert "it now admits `203.0.113.0/24` through `partners`" in moved
    assert "clients it admitted before lose access" in moved


@pytest.mark.parametrize("flavor", FLAVORS)
def test_wildcard_dns_deletes_records_and_every_name_resolves(plan_pair, flavor):
    diff, markdown = diffed(plan_pair, "wildcard", flavor)
    dns = risks(diff, "dns")
    assert len(dns) == 2  # the public zone and the private one
    public = next(m for m in dns if m.startswith("Zone `dev.example.com`"))
    assert "the records of 4 hosts are deleted" in public
    assert "every name one label under `dev.example.com` now resolves to the load balancer" in public
    # No app "moves": the URLs stay; the records' deletions say the wildcard answers instead.
    assert risks(diff, "route") == []
    assert "is answered by the zone's wildcard `*.dev.example.com` instead" in markdown
    # The monitors now wait for the wildcard records instead of their hosts': no step.
    assert all(r.op == "same" for r in diff.resources if r.type.endswith(":Monitor"))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_rename_is_shown_with_its_consequences_and_the_state_commands(plan_pair, flavor):
    diff, markdown = diffed(plan_pair, "rename", flavor)
    [rename] = risks(diff, "rename")
    assert rename.startswith("App `docs` is removed and `handbook` added, sharing its backend")
    assert "the monitor's history is lost" in rename
    assert "`https://docs.dev.example.com/` → `https://handbook.dev.example.com/`" in rename
    assert "namespace `handbook`, which must exist" in rename
    [(app, commands)] = diff.state_commands
    assert app == "handbook" and commands == (
        "pulumi state rename --stack dev 'urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp::docs' handbook",
        "pulumi state rename --stack dev 'urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp"
        "$pulumi-python:dynamic/uptimerobot:Monitor::docs-monitor' handbook-monitor")
    assert "```sh" in markdown and "'urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp$'\\" in markdown


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_added_secret_shows_as_none_to_secret(plan_pair, flavor):
    """docs gets basic auth: its monitor gets a login of its own, whose password is a new secret input, in a Secret
    of its own that only its new health route names."""
    diff, markdown = diffed(plan_pair, "auth-added", flavor)
    monitor = step(diff, "docs-monitor")
    changes = {c.field: (c.old, c.new) for c in monitor.input_changes}
    assert changes["http_password"] == (None, SECRET)
    assert changes["http_username"] == (None, "uptimerobot")
    assert "`http_password`: _(none)_ → `[secret]`" in markdown
    for name in ("docs-htpasswd", "docs-htpasswd-monitor", "docs-health"):
        created = step(diff, name)
        assert created.op == "create", name
    assert step(diff, "docs-htpasswd-monitor").head_inputs["stringData"] == SECRET
    # On F5 docs' host is now shared with its health route: its Ingress becomes a minion of a new master.
    joined = [m for m in risks(diff, "route") if "becomes a minion" in m]
    if flavor == "nginx-inc":
        [risk] = joined
        assert risk.startswith("`docs-ingress` (`Ingress`) becomes a minion of its host's new master Ingress")
        assert "Seconds, not a failure." in risk
    else:
        assert joined == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_added_app_lists_its_settings(plan_pair, flavor):
    _diff, markdown = diffed(plan_pair, "rename", flavor)
    section = markdown[markdown.index("- `handbook`: **added**"):]
    for line in ("  - edges: `public` (public)", "  - namespace: `handbook`",
                 "  - backend: `image ghcr.io/acme/docs:2026.11.2, 2 replicas`",
                 "  - monitor: `HTTP` every `600` s, `https://handbook.dev.example.com/`"):
        assert line in section


@pytest.mark.parametrize("flavor", FLAVORS)
def test_changed_nested_paths_show_old_and_new(plan_pair, flavor):
    diff, markdown = diffed(plan_pair, "health-path", flavor)
    monitor = step(diff, "partner-api-monitor")
    assert [(c.field, c.old, c.new) for c in monitor.input_changes] == [
        ("url", "https://partner-api.dev.example.com/status", "https://partner-api.dev.example.com/ready")]
    health = step(diff, "partner-api-health")
    assert "spec.rules[0].http.paths[0].path" in health.changed_inputs
    assert "  - `spec.rules[0].http.paths[0].path`: `/status` → `/ready`" in markdown


def test_an_item_a_list_gains_shows_each_of_its_paths(plan_pair):
    """An alias for docs adds a rule to its Ingress: each of the rule's leaves, with its index, not a cut blob."""
    diff, markdown = diffed(plan_pair, "alias", "nginx-inc")
    ingress = step(diff, "docs-ingress")
    assert [(c.field, c.old, c.new) for c in ingress.input_changes] == [
        ("spec.rules[1].host", None, "manual.dev.example.com"),
        ("spec.rules[1].http.paths[0].backend.service.name", None, "docs"),
        ("spec.rules[1].http.paths[0].backend.service.port.number", None, 8080),
        ("spec.rules[1].http.paths[0].path", None, "/"),
        ("spec.rules[1].http.paths[0].pathType", None, "Prefix")]
    section = markdown[markdown.index("- `docs-ingress`"):]
    assert section.splitlines()[1:4] == [
        "  - `spec.rules[1].host`: _(none)_ → `manual.dev.example.com`",
        "  - `spec.rules[1].http.paths[0].backend.service.name`: _(none)_ → `docs`",
        "  - `spec.rules[1].http.paths[0].backend.service.port.number`: _(none)_ → `8080`"]
    assert "…" not in section.split("</details>")[0]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_monitor_ids_are_never_mock_values(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "public", flavor)
    [grafana] = diff.apps
    assert {c.field: c.new for c in grafana.changes}["monitorId"] == KNOWN_AFTER_APPLY
    as_json = str(diff_as_json(diff))
    _base, head, _ = plan_pair("public", flavor)
    assert str(next(a for a in head["apps"] if a["name"] == "grafana")["monitorId"]) not in as_json


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_flavor_switch_says_every_host_moves_to_new_load_balancers(plan_pair, flavor):
    diff, _ = diffed(plan_pair, "flavor-switch", flavor)
    releases = [r for r in diff.resources if r.type == "kubernetes:helm.sh/v3:Release" and r.op == "replace"]
    # The controllers' own replaceOnChanges (chart) with deleteBeforeReplace: uninstalled first.
    assert {r.name for r in releases} >= {"platform-public-release", "platform-private-release"}
    assert all(r.delete_first for r in releases)
    [switch] = [r.message for r in diff.risks if r.subject == "flavor"]
    assert "every app on them (8 app-edge routes) moves to a new load balancer" in switch
    # dev's labs edge runs a flavor of its own: its 3 apps stay where they are.
    assert switch.endswith("Edge `labs` keeps `envoy-gateway`, and its apps their load balancer.")
    # The controllers' NetworkPolicy gains a rule (the admission webhook's port): each leaf with its index.
    fields = {c.field: (c.old, c.new) for c in step(diff, "platform-public-network-policy").input_changes}
    metrics = (9113, 10254) if flavor == "nginx-inc" else (10254, 9113)
    assert "spec.ingress" not in fields and fields["spec.ingress[1].ports[0].port"] == metrics
    # The NLB host names are the new load balancers': known only after the apply, never the mocks'.
    records = [r for r in diff.resources if r.name.endswith(".dev.example.com-a")]
    assert records and all(r.op == "update" for r in records)
    assert all(c.new == KNOWN_AFTER_APPLY for r in records for c in r.input_changes if c.field == "aliases[0].name")
