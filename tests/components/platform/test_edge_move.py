"""Moving the dev stack's public edge off ingress-nginx to nginx-inc, step by step: what each `pulumi up` declares.

The steps (tests/conftest.py `move_config`): `before` (ingress-nginx), `start` (move, weight 0), `half` (50),
`all` (100), `done` (`flavor: nginx-inc`, no move). Each is the real program planned under the mocks once per
session (`move_runs`).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from planner.run import build_plan
from tests.components.flavors.chart_values import validate_f5_values
from tests.conftest import MOVE_FROM, MOVE_STEPS, MOVE_TO, validate_kubernetes

RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SECRET = "kubernetes:core/v1:Secret"
MONITOR = "pulumi-python:dynamic/uptimerobot:Monitor"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
SG = "aws:ec2/securityGroup:SecurityGroup"
EDGE_RECORD = "_edge-public.dev.example.com"
PUBLIC_HOSTS = ("docs.dev.example.com", "partner-api.dev.example.com", "preview.dev.example.com",
                "shop.dev.example.com")
NLB_ZONE_EU_WEST_1 = "Z2IFOLAFXWLO4F"


@pytest.fixture(scope="module")
def plans(move_runs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step: build_plan(run) for step, run in move_runs.items()}


def by_name(plan: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in plan["resources"] if r["type"] == type_}


def urns(plan: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {(r["type"], r["name"], r.get("parent")) for r in plan["resources"]}


def edge(plan: dict[str, Any], name: str = "public") -> dict[str, Any]:
    return plan["outputs"]["platform"]["edges"][name]


def test_starting_a_move_adds_and_changes_but_never_removes_or_renames(plans):
    before, start = plans["before"], plans["start"]
    assert urns(before) <= urns(start)
    old = {(r["type"], r["name"]): r for r in before["resources"]}
    changed = sorted(name for (type_, name), r in old.items()
                     if next(x for x in start["resources"] if (x["type"], x["name"]) == (type_, name))["inputs"]
                     != r["inputs"])
    # Only the public hosts' alias records change (their target); every other input stays as it was.
    assert changed == sorted(f"{host}-a" for host in PUBLIC_HOSTS)


def test_the_new_controller_runs_beside_the_old_with_names_of_its_own(plans):
    releases = {r["inputs"]["name"]: r for r in by_name(plans["start"], RELEASE).values()
                if r["parent"].startswith("gangplank:platform:IngressController::")}
    old, new = releases["ingress-public"], releases["ingress-public-nginx-inc"]
    assert (old["inputs"]["chart"], new["inputs"]["chart"]) == ("ingress-nginx", "nginx-ingress")
    assert (old["inputs"]["namespace"], new["inputs"]["namespace"]) == ("ingress-public", "ingress-public-nginx-inc")
    assert new["parent"] == "gangplank:platform:IngressController::platform-public-nginx-inc"
    old_values, new_values = old["inputs"]["values"]["controller"], new["inputs"]["values"]["controller"]
    assert old_values["ingressClassResource"]["name"] == "nginx-public"
    assert new_values["ingressClass"] == {"name": "nginx-public-nginx-inc", "create": True,
                                          "setAsDefaultIngress": False}
    assert old_values["electionID"] != new_values["reportIngressStatus"]["leaderElectionLockName"]
    validate_f5_values(new["inputs"]["values"])
    # Each has its own security group and NLB.
    groups = by_name(plans["start"], SG)
    assert groups["platform-public-nginx-inc-sg"]["inputs"]["description"] == "gangplank public ingress NLB (nginx-inc)"
    assert groups["platform-public-sg"]["inputs"]["description"] == "gangplank public ingress NLB"
    annotation = "service.beta.kubernetes.io/aws-load-balancer-security-groups"
    assert new_values["service"]["annotations"][annotation] == groups["platform-public-nginx-inc-sg"]["id"]
    move = edge(plans["start"])["move"]
    assert move["loadBalancer"] != plans["start"]["outputs"]["loadBalancers"]["public"]
    assert (move["to"], move["weight"], move["ingressClass"], move["dnsName"]) == (MOVE_TO, 0, "nginx-public-nginx-inc",
                                                                                   EDGE_RECORD)
    assert edge(plans["start"])["flavor"] == MOVE_FROM and "move" not in edge(plans["start"], "private")


@pytest.mark.parametrize("step, weights", [("start", (100, 0)), ("half", (50, 50)), ("all", (0, 100))])
def test_route53_splits_the_edge_between_the_two_nlbs_by_weight(plans, step, weights):
    plan = plans[step]
    records = by_name(plan, RECORD)
    old = records["platform-public-traffic-a-ingress-public"]["inputs"]
    new = records["platform-public-traffic-a-ingress-public-nginx-inc"]["inputs"]
    zone = by_name(plan, "aws:route53/zone:Zone")["platform-zones-public"]["id"]
    for inputs, weight, nlb in ((old, weights[0], plan["outputs"]["loadBalancers"]["public"]),
                                (new, weights[1], edge(plan)["move"]["loadBalancer"])):
        assert (inputs["name"], inputs["type"], inputs["zoneId"]) == (EDGE_RECORD, "A", zone)
        assert inputs["weightedRoutingPolicies"] == [{"weight": weight}]
        assert inputs["aliases"] == [{"name": nlb, "zoneId": NLB_ZONE_EU_WEST_1, "evaluateTargetHealth": True}]
    assert {old["setIdentifier"], new["setIdentifier"]} == {"ingress-public", "ingress-public-nginx-inc"}
    # Each host keeps its one simple alias record, pointed at the edge's weighted records in the same zone, after
    # them and after the new controller's Ingresses for it.
    for host in PUBLIC_HOSTS:
        record = records[f"{host}-a"]
        assert "setIdentifier" not in record["inputs"] and record["inputs"]["zoneId"] == zone
        assert record["inputs"]["aliases"] == [{"name": EDGE_RECORD, "zoneId": zone, "evaluateTargetHealth": True}]
        deps = set(record["dependencies"])
        assert {f"{RECORD}::platform-public-traffic-a-ingress-public",
                f"{RECORD}::platform-public-traffic-a-ingress-public-nginx-inc"} <= deps
        assert any(dep.startswith(f"{INGRESS}::") and dep.endswith("-nginx-inc") for dep in deps), (host, deps)
    # Private hosts are not moving: they still point at their NLB.
    assert records["grafana.internal.dev.example.com-a"]["inputs"]["aliases"][0]["name"] == \
        plan["outputs"]["loadBalancers"]["private"]


def test_a_weight_step_changes_only_the_two_weighted_records(plans):
    for before, after in (("start", "half"), ("half", "all")):
        old = {(r["type"], r["name"]): r for r in plans[before]["resources"]}
        changed = sorted(r["name"] for r in plans[after]["resources"]
                         if old.get((r["type"], r["name"])) != r)
        assert urns(plans[before]) == urns(plans[after])
        assert changed == ["platform-public-traffic-a-ingress-public",
                           "platform-public-traffic-a-ingress-public-nginx-inc"]


def test_every_public_app_has_an_ingress_on_both_controllers(plans):
    ingresses = by_name(plans["start"], INGRESS)
    for name in ("shop-ingress", "shop-api-ingress", "docs-ingress", "partner-api-ingress", "partner-api-health",
                 "preview-ingress"):
        old, new = ingresses[name]["inputs"], ingresses[f"{name}-nginx-inc"]["inputs"]
        assert old["spec"]["ingressClassName"] == "nginx-public"
        assert new["spec"]["ingressClassName"] == "nginx-public-nginx-inc"
        assert new["metadata"]["name"] == old["metadata"]["name"] + "-nginx-inc"
        assert old["metadata"]["labels"]["gangplank/edge"] == "public"
        assert new["metadata"]["labels"]["gangplank/edge"] == "public-nginx-inc"
        assert [rule["host"] for rule in old["spec"]["rules"]] == [rule["host"] for rule in new["spec"]["rules"]]
        # Each in its controller's annotations; the dashboard bookmark only once.
        assert not any(key.startswith("nginx.org/") for key in old["metadata"]["annotations"])
        assert not any(key.startswith("nginx.ingress.kubernetes.io/") for key in new["metadata"]["annotations"])
        assert not any(key.startswith("forecastle.") for key in new["metadata"]["annotations"])
        validate_kubernetes({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **new})
    # F5 joins a shared host's Ingresses through a master, ingress-nginx by itself: masters for the new one only.
    masters = sorted(name for name in ingresses if "-master" in name)
    assert masters == ["partner-api.dev.example.com-master-nginx-inc", "shop.dev.example.com-master-nginx-inc"]
    assert ingresses["shop-api-ingress-nginx-inc"]["inputs"]["metadata"]["annotations"][
        "nginx.org/mergeable-ingress-type"] == "minion"
    # Private apps have one Ingress, as before.
    assert "grafana-ingress-nginx-inc" not in ingresses and "grafana-ingress" in ingresses


def test_basic_auth_has_a_secret_in_each_controllers_format_with_the_same_logins(move_runs):
    secrets = {r.name: r.revealed_inputs() for r in move_runs["start"].monitor.registrations if r.type == SECRET}
    old, new = secrets["preview-htpasswd"], secrets["preview-htpasswd-nginx-inc"]
    assert (old["type"], list(old["stringData"])) == ("Opaque", ["auth"])
    assert (new["type"], list(new["stringData"])) == ("nginx.org/htpasswd", ["htpasswd"])
    assert old["stringData"]["auth"] == new["stringData"]["htpasswd"]
    assert new["metadata"]["name"] == "preview-basic-auth-nginx-inc"
    ingresses = {r.name: r.inputs for r in move_runs["start"].monitor.registrations if r.type == INGRESS}
    annotations = ingresses["preview-ingress-nginx-inc"]["metadata"]["annotations"]
    assert annotations["nginx.org/basic-auth-secret"] == "preview-basic-auth-nginx-inc"
    assert ingresses["preview-ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-secret"] == \
        "preview-basic-auth"


VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
OTHER_CLUSTER_SUBNETS = {"10.0.48.0/22", "10.0.52.0/22", "10.0.56.0/22"}
"""The mocked VPC's public subnets tagged for another cluster (planner/mocks/network.py `MOCK_SUBNET_LAYOUT`)."""


def test_the_new_controller_gets_what_its_flavor_needs_like_any_controller(plans):
    """gangplank:clusterName (the subnets trusted), the drain and F5's admission guard reach the controller the edge
    moves to as well as the one it runs."""
    start = plans["start"]
    public = edge(start)
    assert public["move"]["trustedProxyCidrs"] == public["trustedProxyCidrs"] == \
        ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    policies = {r["parent"]: r["inputs"] for r in by_name(start, NETWORK_POLICY).values()}
    new_policy = policies["gangplank:platform:IngressController::platform-public-nginx-inc"]
    assert not OTHER_CLUSTER_SUBNETS & {peer["ipBlock"]["cidr"] for rule in new_policy["spec"]["ingress"]
                                        for peer in rule.get("from", []) if "ipBlock" in peer}
    values = {r["inputs"]["name"]: r["inputs"]["values"] for r in by_name(start, RELEASE).values()}
    controller = values["ingress-public-nginx-inc"]["controller"]
    assert controller["lifecycle"] == {"preStop": {"sleep": {"seconds": 150}}}
    assert controller["terminationGracePeriodSeconds"] == 225
    guards = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in by_name(start, VAP).values()
              if r["inputs"]["metadata"]["labels"]["gangplank/edge"].startswith("public")}  # not dev's labs edge
    # ingress-nginx serves the apps on a port that never has `ssl`: the old controller needs no guard.
    assert guards == {"gangplank-nginx-public-nginx-inc-no-tls": {"app.kubernetes.io/managed-by": "gangplank",
                                                                 "gangplank/edge": "public-nginx-inc"}}


def test_the_monitors_health_route_is_on_both_controllers(plans):
    """The allow-listed partner-api: its monitor's own route to the health path, on each controller's class."""
    ingresses = by_name(plans["half"], INGRESS)
    old, new = ingresses["partner-api-health"]["inputs"], ingresses["partner-api-health-nginx-inc"]["inputs"]
    assert (old["spec"]["ingressClassName"], new["spec"]["ingressClassName"]) == ("nginx-public",
                                                                                  "nginx-public-nginx-inc")
    for health in (old, new):
        [rule] = health["spec"]["rules"]
        assert [(p["path"], p["pathType"]) for p in rule["http"]["paths"]] == [("/status", "Exact")]


def test_each_monitored_app_is_also_watched_through_the_new_nlb(plans):
    monitors = by_name(plans["start"], MONITOR)
    nlb = edge(plans["start"])["move"]["loadBalancer"]
    watched = sorted(name for name in monitors if name.endswith("-monitor-nginx-inc"))
    assert watched == ["docs-monitor-nginx-inc", "partner-api-monitor-nginx-inc", "shop-api-monitor-nginx-inc",
                       "shop-monitor-nginx-inc"]
    first, second = monitors["shop-monitor"]["inputs"], monitors["shop-monitor-nginx-inc"]["inputs"]
    assert first["url"] == "https://shop.dev.example.com/healthz"
    assert second["url"] == f"https://{nlb}/healthz"
    assert second["custom_http_headers"] == {"Host": "shop.dev.example.com"}
    assert second["check_ssl_errors"] is False and "custom_http_headers" not in first
    assert second["friendly_name"] == "shop via nginx-inc (dev)"
    assert (second["type"], second["keyword_value"], second["interval"]) == (first["type"], first["keyword_value"],
                                                                              first["interval"])
    # The first monitor is the one it always was.
    assert monitors["shop-monitor"] == by_name(plans["before"], MONITOR)["shop-monitor"]


def test_finishing_keeps_the_new_controller_and_removes_the_old(plans):
    done, last = plans["done"], plans["all"]
    assert urns(done) <= urns(last)  # the last step creates nothing: the edge runs on what the move built
    releases = {r["inputs"]["name"] for r in by_name(done, RELEASE).values()}
    assert "ingress-public" not in releases and "ingress-public-nginx-inc" in releases
    records = by_name(done, RECORD)
    assert not [name for name in records if name.startswith("platform-public-traffic")]
    for host in PUBLIC_HOSTS:
        assert records[f"{host}-a"]["inputs"]["aliases"][0]["name"] == done["outputs"]["loadBalancers"]["public"]
    assert done["outputs"]["loadBalancers"]["public"] == edge(last)["move"]["loadBalancer"]
    assert edge(done)["flavor"] == MOVE_TO and "move" not in edge(done)
    ingresses = by_name(done, INGRESS)
    assert "shop-ingress" not in ingresses and "forecastle.stakater.com/expose" in \
        ingresses["shop-ingress-nginx-inc"]["inputs"]["metadata"]["annotations"]
    # The new controller's objects kept their names (and inputs) from the move: nothing was replaced.
    for name in ("platform-public-nginx-inc-release", "platform-public-nginx-inc-sg"):
        kind = RELEASE if name.endswith("release") else SG
        assert by_name(done, kind)[name]["inputs"] == by_name(last, kind)[name]["inputs"]
    monitors = by_name(done, MONITOR)
    assert not [name for name in monitors if name.endswith("-nginx-inc")]
    # The ownership marker names the Ingress that serves the host now.
    marker = records["docs.dev.example.com-a-owner"]["inputs"]["records"][0]
    assert marker.endswith("external-dns/resource=ingress/docs/docs-nginx-inc")


@pytest.mark.parametrize("step", MOVE_STEPS)
def test_every_step_keeps_the_private_edge_as_it_was(plans, step):
    private = {(r["type"], r["name"]): r["inputs"] for r in plans[step]["resources"]
               if "private" in r["name"] or "internal" in r["name"]}
    before = {(r["type"], r["name"]): r["inputs"] for r in plans["before"]["resources"]
              if "private" in r["name"] or "internal" in r["name"]}
    assert private == before


def test_edges_of_different_flavors_run_side_by_side(run_stack, write_apps):
    """An ingress-nginx edge next to an nginx-inc one (as, once it lands, next to a Gateway API one): each edge's
    controller, Ingresses and htpasswd Secrets in its own flavor (the monitor's where its health route is), looked up in
    one place (`edge_flavor`)."""
    from planner.rehearse import rehearse_run

    path = write_apps("""
        apps:
          - name: wiki
            edges: [public, private]
            service: {name: wiki, port: 80}
            healthPath: /healthz
            auth: {basic: {users: [ann]}}
    """)
    run = run_stack("dev", path, edges='{"public": {"flavor": "ingress-nginx"}}')
    plan = build_plan(run)
    releases = {r["inputs"]["name"]: r["inputs"]["chart"] for r in by_name(plan, RELEASE).values()
                if r["parent"].startswith("gangplank:platform:IngressController::")}
    assert releases == {"ingress-public-ingress-nginx": "ingress-nginx", "ingress-private": "nginx-ingress"}
    ingresses = {name: r["inputs"] for name, r in by_name(plan, INGRESS).items() if name.startswith("wiki")}
    assert ingresses["wiki-ingress-ingress-nginx"]["spec"]["ingressClassName"] == "nginx-public-ingress-nginx"
    assert ingresses["wiki-ingress-private"]["spec"]["ingressClassName"] == "nginx-private"
    assert ingresses["wiki-ingress-ingress-nginx"]["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/auth-secret"] == "wiki-basic-auth-ingress-nginx"
    assert ingresses["wiki-ingress-private"]["metadata"]["annotations"]["nginx.org/basic-auth-secret"] == \
        "wiki-basic-auth"
    secrets = {name: r["inputs"]["type"] for name, r in by_name(plan, SECRET).items()}
    # The monitor's own Secret only where its health route is: on the public edge, in that edge's format.
    assert secrets == {"wiki-htpasswd": "nginx.org/htpasswd", "wiki-htpasswd-ingress-nginx": "Opaque",
                       "wiki-htpasswd-monitor-ingress-nginx": "Opaque"}
    assert ingresses["wiki-health-ingress-nginx"]["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/auth-secret"] == "wiki-basic-auth-monitor-ingress-nginx"
    assert {e: edge(plan, e)["flavor"] for e in ("public", "private")} == {"public": "ingress-nginx",
                                                                           "private": "nginx-inc"}
    assert [line for line in rehearse_run(run) if line.outcome == "rejected"] == []


def test_an_edge_moves_to_gateway_api_the_same_way(run_stack, write_apps):
    """ingress-nginx -> envoy-gateway: a GatewayController and an HTTPRoute per app beside the Ingresses, named with
    the flavor; the hosts wait for the routes, each of which counts as created once its Gateway accepted it; each step
    accepted by the rehearsal against the one before, which checks the new NLB's routes as it checks Ingresses."""
    from planner.mocks.network import MOCK_VPC_CIDR
    from planner.transition.change import Step, rehearse_steps
    from planner.transition.wait_for import waits_for_acceptance

    path = write_apps("""
        apps:
          - name: wiki
            visibility: public
            service: {name: wiki, port: 80}
            healthPath: /healthz
            auth: {basic: {users: [ann]}}
          - name: grafana
            visibility: private
            service: {name: grafana, port: 80}
          - name: billing
            visibility: public
            service: {name: billing, port: 8443, protocol: HTTPS}
    """)
    steps = {"before": None, "start": {"move": {"to": "envoy-gateway", "weight": 0}},
             "all": {"move": {"to": "envoy-gateway", "weight": 100}}, "done": {"flavor": "envoy-gateway"}}
    runs = {name: run_stack("dev", path, flavor=MOVE_FROM, **({"edges": json.dumps({"public": edges})} if edges
                                                              else {}))
            for name, edges in steps.items()}
    start = build_plan(runs["start"])
    controllers = {r["name"]: r["type"] for r in start["resources"] if r["type"].endswith("Controller")}
    assert controllers == {"platform-public": "gangplank:platform:IngressController",
                           "platform-private": "gangplank:platform:IngressController",
                           "platform-public-envoy-gateway-gateway": "gangplank:platform:GatewayController"}
    routes = by_name(start, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
    assert routes["wiki-route-envoy-gateway"]["inputs"]["metadata"]["name"] == "wiki-envoy-gateway"
    assert "wiki-ingress" in by_name(start, INGRESS) and edge(start)["move"]["ingressClass"] == \
        "gangplank-public-envoy-gateway"
    secrets = {name: r["inputs"]["metadata"]["name"] for name, r in by_name(start, SECRET).items()}
    assert secrets["wiki-htpasswd"] == "wiki-basic-auth"
    assert secrets["wiki-route-htpasswd-envoy-gateway"] == "wiki-route-basic-auth-envoy-gateway"
    assert secrets["wiki-route-htpasswd-monitor-envoy-gateway"] == "wiki-route-basic-auth-monitor-envoy-gateway"
    # billing's unverified HTTPS backend is an Envoy Gateway Backend: the new controller reads Backends, and it
    # trusts the subnets of this cluster alone (gangplank:clusterName), as the edge's own controller does.
    values = {r["inputs"]["name"]: r["inputs"]["values"] for r in by_name(start, RELEASE).values()}
    assert values["gateway-public-envoy-gateway"]["config"]["envoyGateway"]["extensionApis"] == {"enableBackend": True}
    assert edge(start)["move"]["trustedProxyCidrs"] == edge(start)["trustedProxyCidrs"] == \
        ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    record = by_name(start, RECORD)["wiki.dev.example.com-a"]
    assert record["inputs"]["aliases"][0]["name"] == EDGE_RECORD
    assert "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::wiki-route-envoy-gateway" in record["dependencies"]
    def regs(name: str, drop: str = "", wait: bool = True) -> list[Any]:
        found = copy.deepcopy([*runs[name].monitor.registrations, *runs[name].monitor.read_registrations])
        for reg in found:
            if not wait and reg.type == ROUTE:
                reg.inputs["metadata"].pop("annotations", None)
        return [reg for reg in found if reg.name != drop]

    def rejected(*named: tuple[str, list[Any]]) -> list[list[str]]:
        reports = rehearse_steps([Step(name, found) for name, found in named], "eu-west-1", MOCK_VPC_CIDR)
        return [[str(line) for line in lines if line.outcome == "rejected"] for _, lines in reports]

    assert rejected(*((name, regs(name)) for name in steps)) == [[] for _ in steps]
    # The rehearsal reads the routes: the same move with billing's route left out of the new Gateway is refused once
    # the new NLB takes traffic (the old replay knew Ingress classes only, and accepted it).
    [*_, at_100] = rejected(("before", regs("before")), ("start", regs("start", "billing-route-envoy-gateway")),
                            ("all", regs("all", "billing-route-envoy-gateway")))
    assert at_100 == [
        "rejected  clients of billing.dev.example.com: after aws:route53/record:Record::platform-public-traffic-a-"
        "ingress-public-envoy-gateway, A billing.dev.example.com may resolve to the NLB of gateway-public-envoy-"
        "gateway, whose controller serves no route for it on its Gateway yet (it would answer 404)"]
    # ... and each path of a host: without wiki's health route (`Exact /healthz`, where the monitor's own credential
    # is accepted) on the new Gateway the host is served, not the monitor's path (the old replay checked hosts only).
    [*_, no_health] = rejected(("before", regs("before")), ("start", regs("start", "wiki-health-envoy-gateway")),
                               ("all", regs("all", "wiki-health-envoy-gateway")))
    assert len(no_health) == 1 and ("wiki.dev.example.com may resolve to the NLB of gateway-public-envoy-gateway, "
                                    "whose controller serves the host but not its exact path /healthz") in no_health[0]
    # Each route counts as created once its Gateway accepted it (`pulumi.com/waitFor`); without that wait, a move
    # that sends traffic in the step that creates the routes points hosts at an NLB whose proxies may not have them.
    app_routes = [reg for reg in regs("start") if reg.type == ROUTE and "ExposedApp" in reg.urn]
    assert app_routes and all(waits_for_acceptance(reg) for reg in app_routes)
    assert rejected(("before", regs("before")), ("all at once", regs("all"))) == [[], []]
    [_, unwaited] = rejected(("before", regs("before")), ("all at once", regs("all", wait=False)))
    assert any("wiki.dev.example.com may resolve to the NLB of gateway-public-envoy-gateway, whose controller serves "
               "no route for it on its Gateway yet" in line for line in unwaited), unwaited
    done = build_plan(runs["done"])
    assert edge(done)["flavor"] == "envoy-gateway" and "wiki-ingress" not in by_name(done, INGRESS)
    assert "wiki-route-envoy-gateway" in by_name(done, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
