"""`rehearse_steps`: each step of a move replayed into moto against the state of the step before, in the engine's
order, with every host checked after every call; and the changes that would cut clients off, refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from planner.__main__ import main
from planner.mocks.monitor import Registration
from planner.mocks.network import MOCK_VPC_CIDR
from planner.rehearse import Line, rehearse_run
from planner.run import run_program
from planner.transition.change import Step, rehearse_steps
from tests.conftest import MOVE_FROM, MOVE_STEPS, ROOT, move_config, stack_edges

RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def regs(run: Any) -> list[Registration]:
    return copy.deepcopy([*run.monitor.registrations, *run.monitor.read_registrations])


def replay(*steps: tuple[str, list[Registration]]) -> dict[str, list[Line]]:
    return dict(rehearse_steps([Step(name, registrations) for name, registrations in steps], "eu-west-1",
                               MOCK_VPC_CIDR))


@pytest.fixture(scope="module")
def move(move_runs: dict[str, Any]) -> dict[str, list[Line]]:
    return replay(*((step, regs(move_runs[step])) for step in MOVE_STEPS))


def rejected(lines: list[Line]) -> list[str]:
    return [str(line) for line in lines if line.outcome == "rejected"]


def line_of(lines: list[Line], resource: str) -> Line:
    [found] = [line for line in lines if line.resource == resource]
    return found


def test_every_step_of_the_move_is_accepted_against_the_one_before(move):
    assert list(move) == list(MOVE_STEPS)
    for step, lines in move.items():
        assert rejected(lines) == [], step


def test_the_hosts_records_are_upserted_in_place_never_deleted(move):
    for step in ("start", "done"):
        line = line_of(move[step], f"{RECORD}::shop.dev.example.com-a")
        assert line.outcome == "accepted" and line.detail.startswith("update: UPSERT A shop.dev.example.com"), step
    assert "alias to _edge-public.dev.example.com" in line_of(move["start"], f"{RECORD}::shop.dev.example.com-a").detail
    assert not [line for step in move for line in move[step]
                if line.resource.endswith("shop.dev.example.com-a") and "DELETE" in line.detail]


def test_a_weight_step_upserts_the_two_weighted_records_only(move):
    changed = [line for line in move["half"] if line.resource.startswith(RECORD)]
    assert [line.resource.split("::")[1] for line in changed] == [
        "platform-public-traffic-a-ingress-public-nginx-inc", "platform-public-traffic-a-ingress-public"]
    assert all(line.detail.startswith("update: UPSERT A _edge-public.dev.example.com") for line in changed)
    assert "weight 50" in changed[0].detail


def test_the_last_step_deletes_the_old_controller_after_every_host_points_away(move):
    done = [line.resource for line in move["done"]]
    hosts = max(done.index(f"{RECORD}::{host}-a") for host in ("shop.dev.example.com", "docs.dev.example.com"))
    old_record = done.index(f"{RECORD}::platform-public-traffic-a-ingress-public")
    old_nlb = done.index(f"{RELEASE}::platform-public-release")
    assert hosts < old_record < old_nlb
    assert line_of(move["done"], f"{RELEASE}::platform-public-release").detail.startswith(
        "delete: helm uninstall; the AWS Load Balancer Controller deletes the NLB")
    assert line_of(move["done"], "aws:ec2/securityGroup:SecurityGroup::platform-public-sg").outcome == "accepted"


def test_abandoning_a_move_at_weight_0_is_accepted_too(move_runs):
    lines = replay(("start", regs(move_runs["start"])), ("back", regs(move_runs["before"])))["back"]
    assert rejected(lines) == []
    assert line_of(lines, f"{RELEASE}::platform-public-nginx-inc-release").detail.startswith("delete: helm uninstall")


def test_deleting_a_load_balancer_that_answered_when_the_change_began_is_refused(move_runs):
    """Abandoning at weight 50 (the guide and the diff: set the weight to 0 first): the new NLB answered for half the
    resolvers when the change began, and they keep that answer for the alias's 60 s after it is deleted. The old
    replay checked only the answers after each call, and accepted it."""
    lines = replay(("half", regs(move_runs["half"])), ("back", regs(move_runs["before"])))["back"]
    found = rejected(lines)
    assert found and all("clients whose resolvers cached" in line for line in found), found
    assert any(line.startswith("rejected  clients of shop.dev.example.com: after kubernetes:helm.sh/v3:Release::"
                               "platform-public-nginx-inc-release (deleted), clients whose resolvers cached "
                               "shop.dev.example.com before this change may still be sent to the NLB of "
                               "ingress-public-nginx-inc") for line in found), found
    # Finishing at 100 deletes an NLB that answered nobody (weight 0 while the other is healthy): accepted.
    assert rejected(replay(("all", regs(move_runs["all"])), ("done", regs(move_runs["done"])))["done"]) == []


@pytest.fixture(scope="module")
def one_step_switch(move_runs: dict[str, Any]) -> tuple[Any, dict[str, list[Line]]]:
    """The flavor of every edge switched in one step, without a move."""
    cwd_run = run_program("dev", None, ROOT, {"gangplank:flavor": "nginx-inc"})
    return cwd_run, replay(("before", regs(move_runs["before"])), ("switched", regs(cwd_run)))


def test_switching_the_flavor_in_one_step_leaves_hosts_without_an_answer(one_step_switch):
    # The old replay saw each plan alone, as a first deploy: it accepted this plan.
    after, steps = one_step_switch
    assert [line for line in rehearse_run(after) if line.outcome == "rejected"] == []
    found = rejected(steps["switched"])
    assert any("clients of shop.dev.example.com: after kubernetes:helm.sh/v3:Release::platform-public-release "
               "(deleted to be replaced), A shop.dev.example.com would have an empty answer" in line
               for line in found), found
    assert any("900 s with Route53's default SOA" in line for line in found)


def test_an_edge_flavor_changed_without_a_move_sends_hosts_to_a_controller_that_does_not_serve_them(move_runs):
    lines = replay(("before", regs(move_runs["before"])), ("done at once", regs(move_runs["done"])))["done at once"]
    found = rejected(lines)
    assert any("A shop.dev.example.com may resolve to the NLB of ingress-public-nginx-inc, whose controller has no "
               "Ingress for it (it would answer 404)" in line for line in found), found


def test_a_second_weighted_record_must_wait_for_the_first(move_runs):
    """The other way to weight a host: make its own record weighted (an update: DELETE and CREATE in one batch) and add
    one for the new NLB. Route53 accepts it only in that order, so the new one must depend on the updated one."""
    def per_host(depends: bool) -> list[Registration]:
        after = regs(move_runs["start"])
        record = next(r for r in after if r.name == "docs.dev.example.com-a")
        nlb = next(r for r in after if r.name == "platform-public-traffic-a-ingress-public-nginx-inc")
        old_alias = next(r for r in after if r.name == "platform-public-traffic-a-ingress-public").inputs["aliases"]
        record.inputs.update(setIdentifier="old", weightedRoutingPolicies=[{"weight": 100}], aliases=old_alias)
        twin = copy.deepcopy(record)
        twin.name, twin.urn = "docs-new", record.urn.rsplit("::", 1)[0] + "::docs-new"
        twin.inputs.update(setIdentifier="new", weightedRoutingPolicies=[{"weight": 0}],
                           aliases=nlb.inputs["aliases"])
        twin.dependencies = sorted({*nlb.dependencies, *([record.label] if depends else [])})
        return [*after, twin]

    before = regs(move_runs["before"])
    unordered = replay(("before", before), ("per host", per_host(depends=False)))["per host"]
    [refused] = [line for line in unordered if line.resource == f"{RECORD}::docs-new"]
    assert refused.outcome == "rejected" and "cannot be created as a non-weighted set exists" in refused.detail
    ordered = replay(("before", before), ("per host", per_host(depends=True)))["per host"]
    update = line_of(ordered, f"{RECORD}::docs.dev.example.com-a")
    assert update.detail.startswith("update: DELETE A docs.dev.example.com") and "in one batch" in update.detail
    assert line_of(ordered, f"{RECORD}::docs-new").outcome == "accepted"


def test_cli_rehearses_a_change_since_another_version_of_the_stack_file(tmp_path, capsys):
    same = tmp_path / "same.yaml"
    same.write_text((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--stack", "dev", "--rehearse", "--since", str(same)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("AWS would accept every call, and every host stays answered and served at every "
                                 "call.")
    other = tmp_path / "before.yaml"
    other.write_text(same.read_text(encoding="utf-8").replace(
        "  gangplank:monitorInterval: 1800\n", f"  gangplank:monitorInterval: 1800\n  gangplank:flavor: {MOVE_FROM}\n"),
        encoding="utf-8")
    assert main(["--stack", "dev", "--rehearse", "--since", str(other)]) == 1
    out = capsys.readouterr().out
    assert "8 host(s) would go unanswered or unserved during a step" in out
    verdict = out[out.index("8 host(s)"):].splitlines()
    assert len(verdict) > 1 and max(len(line) for line in verdict) <= 100


def test_since_is_for_rehearse_only(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--stack", "dev", "--since", "Pulumi.dev.yaml"])
    assert exit_.value.code == 2 and "--since applies to --rehearse only" in capsys.readouterr().err


def test_the_move_config_is_what_the_guide_writes():
    edges = json.loads(move_config("half")["gangplank:edges"])
    assert edges["public"] == {"move": {"to": "nginx-inc", "weight": 50}}
    assert edges.keys() - {"public"} == {"labs"}  # the dev stack's own edge, kept as the file has it


@pytest.mark.parametrize("weight, refused", [(0, False), (30, True)])
def test_with_a_zone_wildcard_a_move_must_start_at_weight_0(weight, refused):
    """The zone's wildcard points at the weighted records without waiting for the new controller's Ingresses (it is
    declared before the apps): above 0, the new NLB would answer 404 for the hosts the wildcard serves."""
    def regs_of(edges: dict | None) -> list[Registration]:
        config = {"gangplank:flavor": MOVE_FROM, "gangplank:dnsRecords": "wildcard",
                  **({"gangplank:edges": stack_edges("dev", public=edges)} if edges else {})}
        return regs(run_program("dev", None, ROOT, config))

    lines = replay(("before", regs_of(None)),
                   ("start", regs_of({"move": {"to": "nginx-inc", "weight": weight}})))["start"]
    wildcard = line_of(lines, f"{RECORD}::*.dev.example.com-a")
    assert wildcard.detail == "update: UPSERT A *.dev.example.com (alias to _edge-public.dev.example.com)"
    found = rejected(lines)
    assert bool(found) is refused, found
    if refused:
        assert any("clients of docs.dev.example.com: after aws:route53/record:Record::*.dev.example.com-a, A "
                   "docs.dev.example.com may resolve to the NLB of ingress-public-nginx-inc" in line for line in found)


def test_a_route_counts_as_created_only_once_its_own_gateway_accepted_it():
    """`pulumi.com/waitFor` as pulumi-kubernetes reads it (`wait_for_holds`): the route's create ends when the status
    of its own parentRef says Accepted, not on another parent's word nor on a refusal."""
    from components.flavors.gateway_api import GatewayRef, accepted_wait
    from planner.transition.wait_for import wait_for_holds

    public, partners = GatewayRef("public", "gateway-public"), GatewayRef("partners", "gateway-partners")

    def route(*parents: GatewayRef) -> dict:
        return {"metadata": {"annotations": accepted_wait(parents)}}

    def status(*entries: tuple[GatewayRef, str]) -> dict:
        return {"status": {"parents": [
            {"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": ref.name,
                           "namespace": ref.namespace, "sectionName": ref.listener},
             "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
             "conditions": [{"type": "ResolvedRefs", "status": "True"}, {"type": "Accepted", "status": accepted}]}
            for ref, accepted in entries]}}

    assert wait_for_holds(route(public), status((public, "True")))
    assert not wait_for_holds(route(public), {"status": None})  # just stored
    assert not wait_for_holds(route(public), status((public, "False")))  # e.g. NotAllowedByListeners
    assert not wait_for_holds(route(public), status((partners, "True")))
    both = route(public, partners)
    assert both["metadata"]["annotations"]["pulumi.com/waitFor"].startswith('["jsonpath=')
    assert not wait_for_holds(both, status((partners, "True"), (public, "False")))
    assert wait_for_holds(both, status((partners, "True"), (public, "True")))
    assert not wait_for_holds({"metadata": {}}, status((public, "True")))  # no annotation: nothing waited for


def without(step: list[Registration], *names: str) -> list[Registration]:
    return [reg for reg in step if reg.name not in names]


def test_a_controller_that_serves_a_host_but_not_each_of_its_paths_is_refused(move_runs):
    """shop.dev.example.com is two apps: shop at / and shop-api at /api. The move's new controller (F5) with shop's
    Ingress but not shop-api's serves the host, and sends /api to shop; the old rehearsal checked hosts only and
    accepted it."""
    left_out = "shop-api-ingress-nginx-inc"
    reports = replay(("before", regs(move_runs["before"])), ("start", without(regs(move_runs["start"]), left_out)),
                     ("half", without(regs(move_runs["half"]), left_out)))
    assert rejected(reports["start"]) == []  # weight 0: no client reaches the new controller yet
    assert rejected(reports["half"]) == [
        "rejected  clients of shop.dev.example.com: after aws:route53/record:Record::platform-public-traffic-a-"
        "ingress-public-nginx-inc, A shop.dev.example.com may resolve to the NLB of ingress-public-nginx-inc, whose "
        "controller serves the host but not its prefix path /api (a request for it would reach the app of a shorter "
        "prefix of the host, or 404)"]


def test_a_monitors_exact_health_route_must_move_with_its_app(move_runs):
    """partner-api's allow-list leaves its monitor a route of its own, `Exact /status`: without it on the new
    controller, the monitor's probe would meet the allow-list of `/` (403) as soon as the new NLB takes traffic."""
    left_out = "partner-api-health-nginx-inc"
    reports = replay(("before", regs(move_runs["before"])), ("start", without(regs(move_runs["start"]), left_out)),
                     ("half", without(regs(move_runs["half"]), left_out)))
    [refused] = rejected(reports["half"])
    assert "partner-api.dev.example.com may resolve to the NLB of ingress-public-nginx-inc, whose controller serves " \
           "the host but not its exact path /status" in refused


def test_on_f5_minions_without_their_master_serve_nothing(move_runs):
    """F5 ignores a minion whose host has no master Ingress (internal/k8s/configuration.go buildMinionConfigs); the
    old rehearsal counted the minions' hosts and accepted the move."""
    left_out = "shop.dev.example.com-master-nginx-inc"
    reports = replay(("before", regs(move_runs["before"])), ("start", without(regs(move_runs["start"]), left_out)),
                     ("half", without(regs(move_runs["half"]), left_out)))
    assert rejected(reports["half"]) == [
        "rejected  clients of shop.dev.example.com: after aws:route53/record:Record::platform-public-traffic-a-"
        "ingress-public-nginx-inc, A shop.dev.example.com may resolve to the NLB of ingress-public-nginx-inc, whose "
        "controller has only minions for it and no master, so F5 ignores them (it would answer 404)"]


def test_routes_are_read_as_the_controllers_match_them(move_runs):
    from planner.transition.cluster import http_route_routes, ingress_routes, merges_ingresses, route_matches

    assert ingress_routes({"rules": [
        {"host": "A.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix"},
                                                     {"path": "/status", "pathType": "Exact"},
                                                     {"path": "/old", "pathType": "ImplementationSpecific"}]}},
        {"host": "master.example.com"}]}) == {("a.example.com", "prefix", "/"), ("a.example.com", "exact", "/status"),
                                              ("a.example.com", "prefix", "/old")}
    # Gateway API defaults: a rule without matches, or a match without a path, is `PathPrefix /`; a match that also
    # needs a header serves some requests of its path only.
    assert route_matches({"rules": [{}, {"matches": [{"method": "GET"}]}]}) == {("prefix", "/")}
    assert route_matches({"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/beta"},
                                                  "headers": [{"name": "x-canary", "value": "1"}]}]}]}) == set()
    assert route_matches({"rules": [{"matches": [{"path": {"type": "RegularExpression", "value": "/v[0-9]+"}}]}]}) \
        == set()
    assert http_route_routes({"hostnames": ["b.example.com"], "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/healthz"}}]}]}) == {("b.example.com", "exact", "/healthz")}
    # Whose controller merges master and minion Ingresses: F5's chart values, not ingress-nginx's.
    releases = {reg.inputs["chart"]: reg.inputs.get("values") for reg in regs(move_runs["half"]) if reg.type == RELEASE
                and reg.inputs.get("chart") in ("nginx-ingress", "ingress-nginx")}
    assert {chart: merges_ingresses(values) for chart, values in releases.items()} == {"nginx-ingress": True,
                                                                                      "ingress-nginx": False}


def _reg(kind: str, name: str, inputs: dict) -> Registration:
    return Registration(f"urn:pulumi:dev::gangplank::{kind}::{name}", kind, name, None, True, None, inputs)


def _ingress(name: str, klass: str, host: str, paths: list[str], annotations: dict | None = None) -> Registration:
    return _reg("kubernetes:networking.k8s.io/v1:Ingress", name, {
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"ingressClassName": klass, "rules": [{"host": host, "http": {"paths": [
            {"path": path, "pathType": "Prefix"} for path in paths]}}]}})


def test_what_a_controller_serves_follows_its_ingresses_as_the_controllers_read_them():
    from planner.transition.cluster import Cluster

    cluster = Cluster()
    cluster.apply(_reg(RELEASE, "nginx", {"namespace": "ingress-public", "values": {"controller": {
        "ingressClassResource": {"name": "public"}, "ingressClass": "public"}}}))
    # An ingress-nginx canary adds a backend to a main Ingress's location; alone it serves nothing.
    cluster.apply(_ingress("shop-canary", "public", "shop.example.com", ["/"],
                           {"nginx.ingress.kubernetes.io/canary": "true"}))
    assert cluster.serves("ingress-public", "shop.example.com") is False
    cluster.apply(_ingress("shop", "public", "shop.example.com", ["/"]))
    assert cluster.serves("ingress-public", "shop.example.com", ("prefix", "/"))
    assert not cluster.serves("ingress-public", "shop.example.com", ("prefix", "/api"))
    # On F5 a minion serves under a master of its host only; the view follows each change.
    cluster.apply(_reg(RELEASE, "f5", {"namespace": "ingress-f5", "values": {"controller": {
        "ingressClass": {"name": "f5"}}}}))
    minion = _ingress("shop-f5", "f5", "shop.example.com", ["/"], {"nginx.org/mergeable-ingress-type": "minion"})
    cluster.apply(minion)
    assert cluster.serves("ingress-f5", "shop.example.com") is False and cluster.masterless("ingress-f5",
                                                                                            "shop.example.com")
    cluster.apply(_reg("kubernetes:networking.k8s.io/v1:Ingress", "shop-master", {
        "metadata": {"annotations": {"nginx.org/mergeable-ingress-type": "master"}},
        "spec": {"ingressClassName": "f5", "rules": [{"host": "shop.example.com"}]}}))
    assert cluster.serves("ingress-f5", "shop.example.com", ("prefix", "/"))
    cluster.apply(minion, deleted=True)
    assert not cluster.serves("ingress-f5", "shop.example.com", ("prefix", "/"))


def test_a_route_updated_without_a_wait_serves_its_new_paths_only_once_the_change_is_over():
    """As for its hosts: the proxies program an HTTPRoute's change some time after it is stored."""
    from planner.transition.cluster import Cluster

    cluster = Cluster()
    cluster.apply(_reg(ENVOY_PROXY, "proxy", {"metadata": {"namespace": "gw", "name": "proxy"}}))
    cluster.apply(_reg(GATEWAY_CLASS, "class", {"metadata": {"name": "class"}, "spec": {
        "parametersRef": {"kind": "EnvoyProxy", "namespace": "gw", "name": "proxy"}}}))
    cluster.apply(_reg(GATEWAY, "gateway", {"metadata": {"namespace": "gw", "name": "gateway"}, "spec": {
        "gatewayClassName": "class", "listeners": [{"name": "https", "port": 443,
                                                    "allowedRoutes": {"namespaces": {"from": "All"}}}]}}))

    def route(*paths: str) -> Registration:
        return _reg(HTTP_ROUTE, "shop", {"metadata": {"namespace": "shop", "name": "shop"}, "spec": {
            "parentRefs": [{"name": "gateway", "namespace": "gw"}], "hostnames": ["shop.example.com"],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": path}} for path in paths]}]}})

    cluster.apply(route("/"))
    cluster.apply(route("/", "/api"), waited=False)
    assert cluster.serves("gw", "shop.example.com", ("prefix", "/"))
    assert not cluster.serves("gw", "shop.example.com", ("prefix", "/api"))
    cluster.settle()
    assert cluster.serves("gw", "shop.example.com", ("prefix", "/api"))
