"""What the controllers do with what the flavors write, through the model of them (tests/fakes/site.py).

Each test asserts what a user would notice (where a request lands, which port speaks TLS, which header
carries the client, how long a pod drains, what a backend connection checks) on both flavors; the model's
rules each cite the controller source they mirror.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.flavors import get_flavor
from components.flavors.app_intent import BackendTLSIntent
from components.flavors.traffic import DEREGISTRATION_DELAY_SECONDS, DEREGISTRATION_PROPAGATION_SECONDS, drain
from tests.components.flavors.chart_values import intent, spec
from tests.conftest import FLAVORS, controller_site, validate_kubernetes
from tests.fakes.apiserver import admission_denials
from tests.fakes.site import FORBIDDEN, NOT_FOUND, OK, IngressSite

CLIENT = "198.51.100.7"


def ingress(name: str, host: str, paths: list[tuple[str, str]], klass: str = "nginx-public",
            annotations: dict[str, str] | None = None, tls: bool = False) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "team", "annotations": annotations or {}},
        "spec": {"ingressClassName": klass, "rules": [{"host": host, "http": {"paths": [
            {"path": path, "pathType": kind, "backend": {"service": {"name": name, "port": {"number": 80}}}}
            for path, kind in paths]}}]},
    }
    if tls:
        manifest["spec"]["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    return manifest


# -- where a request lands -------------------------------------------------------------------


def test_on_f5_an_exact_path_with_path_regex_exact_matches_no_request() -> None:
    """generateIngressPath makes Exact `= /status`, then makeLocationPath applies `exact` to that: `= "= /status"`."""
    app = ingress("app", "a.example.com", [("/", "Prefix")], annotations={"nginx.org/mergeable-ingress-type": "minion",
                                                                          "nginx.org/location-snippets": "deny all;"})
    master = ingress("a-master", "a.example.com", [], annotations={"nginx.org/mergeable-ingress-type": "master"})
    master["spec"]["rules"][0].pop("http")
    health = ingress("health", "a.example.com", [("/status", "Exact")],
                     annotations={"nginx.org/mergeable-ingress-type": "minion"})
    doubled = dict(health, metadata={**health["metadata"], "annotations": {
        **health["metadata"]["annotations"], "nginx.org/path-regex": "exact"}})
    right = IngressSite([master, app, health], [], "nginx-inc")
    wrong = IngressSite([master, app, doubled], [], "nginx-inc")
    assert right.location("a.example.com", "/status").ingress_name == "health"
    assert right(CLIENT, "/status", {"Host": "a.example.com"}) == OK
    assert wrong.location("a.example.com", "/status").ingress_name == "app"  # the probe falls into `location /`
    assert wrong(CLIENT, "/status", {"Host": "a.example.com"}) == FORBIDDEN


def test_a_prefix_is_a_plain_string_on_f5_and_whole_segments_on_ingress_nginx() -> None:
    """F5 emits a Prefix path as is (`location /api`); ingress-nginx as `/api/` plus an exact `/api`
    (location.go updateServerLocations)."""
    both = [ingress("root", "a.example.com", [("/", "Prefix")]), ingress("api", "a.example.com", [("/api", "Prefix")])]
    f5, community = IngressSite(both[1:], [], "nginx-inc"), IngressSite(both, [], "ingress-nginx")
    assert f5.location("a.example.com", "/apiary").ingress_name == "api"
    assert community.location("a.example.com", "/apiary").ingress_name == "root"
    assert community.location("a.example.com", "/api").ingress_name == "api"
    assert community.location("a.example.com", "/api/v1").ingress_name == "api"
    assert f5(CLIENT, "/", {"Host": "a.example.com"}) == NOT_FOUND


def test_f5_keeps_one_minion_per_path_and_one_ingress_per_host() -> None:
    minion = {"nginx.org/mergeable-ingress-type": "minion"}
    master = ingress("m", "a.example.com", [], annotations={"nginx.org/mergeable-ingress-type": "master"})
    site = IngressSite([master, ingress("first", "a.example.com", [("/", "Prefix")], annotations=minion),
                        ingress("second", "a.example.com", [("/", "Exact")], annotations=minion),
                        ingress("late", "a.example.com", [("/x", "Prefix")])], [], "nginx-inc")
    assert site.location("a.example.com", "/").ingress_name == "first"
    assert sorted(site.conflicts) == ["host a.example.com is taken by another resource (late)",
                                      "path / is taken by another resource (second)"]


def test_f5_gives_no_status_to_an_ingress_all_of_whose_hosts_are_taken() -> None:
    """What pulumi-kubernetes waits for: F5 sets a status only on what it configures, and on every minion of a
    master (a path taken or not); ingress-nginx on every Ingress of its class."""
    minion = {"nginx.org/mergeable-ingress-type": "minion"}
    master = ingress("m", "a.example.com", [], annotations={"nginx.org/mergeable-ingress-type": "master"})
    old, new = ingress("old", "b.example.com", [("/", "Prefix")]), ingress("new", "b.example.com", [("/", "Prefix")])
    both = dict(new, spec={**new["spec"], "rules": [*new["spec"]["rules"], {"host": "c.example.com"}]})
    manifests = [master, ingress("first", "a.example.com", [("/", "Prefix")], annotations=minion),
                 ingress("second", "a.example.com", [("/", "Prefix")], annotations=minion), old, new,
                 ingress("orphan", "d.example.com", [("/", "Prefix")], annotations=minion)]
    f5 = IngressSite(manifests, [], "nginx-inc")
    assert f5.with_status == {"team/m", "team/first", "team/second", "team/old"}
    assert f5.location("b.example.com", "/").ingress_name == "old"
    assert "team/new" in IngressSite([old, both], [], "nginx-inc").with_status  # it holds c.example.com
    assert IngressSite(manifests, [], "ingress-nginx").with_status == {
        f"team/{m['metadata']['name']}" for m in manifests}


# -- the port TLS can reach ------------------------------------------------------------------


def admitted_by(policies: list[dict[str, Any]], manifest: dict[str, Any]) -> bool:
    """The API server's verdict on creating an Ingress under the run's ValidatingAdmissionPolicies and bindings
    (`tests/fakes/apiserver.py`, `admission_denials`: CEL evaluated as Kubernetes evaluates it on `object`)."""
    return admission_denials(policies, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **manifest}) == []


TEAM_INGRESSES = {
    "spec.tls": ingress("team", "team.dev.example.com", [("/", "Prefix")], tls=True),
    "the legacy class annotation": ingress("legacy", "legacy.dev.example.com", [("/", "Prefix")], klass="other",
                                           annotations={"kubernetes.io/ingress.class": "nginx-public"}, tls=True),
    "listen-ports-ssl on 443": ingress("ports", "ports.dev.example.com", [("/", "Prefix")],
                                       annotations={"nginx.org/listen-ports-ssl": "443"}, tls=True),
    "listen-ports-ssl alone": ingress("alone", "alone.dev.example.com", [("/", "Prefix")],
                                      annotations={"nginx.org/listen-ports-ssl": "443"}),
    "another controller's class": ingress("elsewhere", "elsewhere.dev.example.com", [("/", "Prefix")],
                                          klass="team-nginx", tls=True),
}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_no_teams_ingress_can_turn_the_port_the_apps_are_served_on_to_tls(flavor: str, cached_run) -> None:
    """nginx ORs `ssl` over every server on a port; one team's `spec.tls` would make F5's app port TLS while the
    NLB sends plain HTTP. Whatever the API server admits leaves the app port plain, on both flavors."""
    run = cached_run("dev", flavor)
    policies = [r.revealed_inputs() for r in run.monitor.registrations
                if r.type.startswith("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")]
    site = controller_site(run, flavor)
    assert site.app_port() not in site.tls_ports()
    assert all(admitted_by(policies, manifest) for manifest in site.ingresses)  # gangplank's own pass
    for case, team in TEAM_INGRESSES.items():
        with_team = controller_site(run, flavor, [team])
        if admitted_by(policies, team):
            assert with_team.app_port() not in with_team.tls_ports(), case
        else:
            assert flavor == "nginx-inc" and case != "another controller's class", case
            # Refused for a reason: admitted, it would have turned the app port TLS on the F5 edge.
            assert case == "listen-ports-ssl alone" or with_team.app_port() in with_team.tls_ports(), case
    if flavor == "nginx-inc":
        assert not admitted_by(policies, TEAM_INGRESSES["spec.tls"])
        assert not admitted_by(policies, TEAM_INGRESSES["the legacy class annotation"])


# -- the header that carries the client ------------------------------------------------------


NLB_ADDRESS = "10.0.0.10"
"""A network interface of the public NLB: in the mocked VPC's first public subnet, 10.0.0.0/20
(planner/mocks/network.py)."""
FORGED = {"X-Forwarded-For": "10.0.0.1", "X-Real-IP": "203.0.113.66"}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_x_real_ip_carries_the_client_on_both_flavors_and_x_forwarded_for_only_on_ingress_nginx(flavor: str,
                                                                                            cached_run) -> None:
    site = controller_site(cached_run("dev", flavor), flavor)
    forged = site.forwarded_headers(CLIENT, FORGED, nlb=NLB_ADDRESS)
    assert forged["X-Real-IP"] == CLIENT
    assert forged["X-Forwarded-For"] == ("10.0.0.1, " + CLIENT if flavor == "nginx-inc" else CLIENT)
    assert forged["X-Forwarded-For"].split(", ")[-1] == CLIENT  # the last element is the client on both
    assert (forged["X-Forwarded-Proto"], forged["X-Forwarded-Port"]) == ("https", "443")


def edited(values: dict[str, Any], flavor: str, **changes: str | None) -> dict[str, Any]:
    """The controller's values with ConfigMap entries changed (None: removed)."""
    import copy

    values = copy.deepcopy(values)
    config = values["controller"]["config"]["entries"] if flavor == "nginx-inc" else values["controller"]["config"]
    for key, value in changes.items():
        if value is None:
            config.pop(key.replace("_", "-"), None)
        else:
            config[key.replace("_", "-")] = value
    return values


@pytest.mark.parametrize("flavor, changes, real_ip", [
    # F5 without `real-ip-header`: nginx's default header, X-Real-IP, which the client sent.
    ("nginx-inc", {"real_ip_header": None}, FORGED["X-Real-IP"]),
    # Without `set-real-ip-from` nothing is trusted: every client is the NLB.
    ("nginx-inc", {"set_real_ip_from": None}, NLB_ADDRESS),
    ("ingress-nginx", {"proxy_real_ip_cidr": None, "use_forwarded_headers": "true"}, FORGED["X-Forwarded-For"]),
    ("ingress-nginx", {"use_proxy_protocol": None}, NLB_ADDRESS),
])
def test_the_header_model_reads_the_values_the_plan_declares(flavor: str, changes: dict[str, str | None],
                                                             real_ip: str, cached_run) -> None:
    """The model used to hard-code each flavor's headers: these edits of the values, each a misconfiguration that
    would let a client choose its address (or hide every client behind the NLB), left the test above green."""
    site = controller_site(cached_run("dev", flavor), flavor)
    broken = IngressSite(site.ingresses, [], flavor, edited(dict(site.values), flavor, **changes))
    assert broken.forwarded_headers(CLIENT, FORGED, nlb=NLB_ADDRESS)["X-Real-IP"] == real_ip != CLIENT


# -- drain -----------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", FLAVORS)
def test_controller_pods_keep_listening_while_the_nlb_may_still_send_to_them(flavor: str) -> None:
    values = get_flavor(flavor).controller_values(spec("public"))
    controller = values["controller"]
    if flavor == "nginx-inc":
        listening = controller["lifecycle"]["preStop"]["sleep"]["seconds"]
        shutdown = controller["config"]["entries"]["worker-shutdown-timeout"]
    else:  # the chart's /wait-shutdown hook stays; the controller sleeps before `nginx -s quit`
        assert "lifecycle" not in controller
        listening = int(controller["extraArgs"]["shutdown-grace-period"])
        shutdown = controller["config"]["worker-shutdown-timeout"]
    grace = controller["terminationGracePeriodSeconds"]
    assert listening > DEREGISTRATION_PROPAGATION_SECONDS
    assert listening >= DEREGISTRATION_DELAY_SECONDS
    assert grace > listening + int(shutdown.removesuffix("s"))
    attributes = controller["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-target-group-"
                                                      "attributes"]
    assert dict(pair.split("=") for pair in attributes.split(",")) == {
        "preserve_client_ip.enabled": "false",
        "deregistration_delay.timeout_seconds": str(DEREGISTRATION_DELAY_SECONDS)}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"},
           "spec": {"terminationGracePeriodSeconds": grace, "containers": [
               {"name": "c", "image": "x", **({"lifecycle": controller["lifecycle"]} if "lifecycle" in controller
                                              else {})}]}}
    validate_kubernetes(pod)


def test_a_drain_shorter_than_the_nlbs_propagation_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 120 s"):
        drain(DEREGISTRATION_PROPAGATION_SECONDS)
    assert drain(300).grace_seconds == 300 + 60 + 15


# -- TLS towards the backend -------------------------------------------------------------------


@pytest.mark.parametrize("server_name, checked", [(None, "gw.partners.svc"), ("api.partners.example", None)])
def test_a_verified_backend_is_checked_for_its_services_name_on_ingress_nginx(server_name, checked) -> None:
    """`verify: true` without `serverName` once left nginx checking the certificate for `upstream_balancer` (its
    $proxy_host), which no certificate names: 502 on every request. It is checked, and sent as SNI, for the Service's
    cluster name now, as on envoy-gateway; a `serverName` still wins."""
    flavor = get_flavor("ingress-nginx")
    tls = BackendTLSIntent(namespace="partners", verify=True, server_name=server_name, ca_secret="gw-ca")
    app = ingress("gw", "gw.dev.example.com", [("/", "Prefix")],
                  annotations=flavor.ingress_annotations(intent(https_backend="gw", backend_tls=tls)))
    app["metadata"]["namespace"] = "partners"
    connection = IngressSite([app], [], "ingress-nginx").connection("gw.dev.example.com", "/")
    assert (connection.address, connection.tls, connection.verify, connection.ca) == (
        "gw.partners.svc:80", True, True, "partners/gw-ca")
    assert connection.name == connection.sni == (checked or server_name)
    assert connection.name != "upstream_balancer"
    # Unverified TLS names nothing and checks nothing, as before.
    plain = ingress("gw", "gw.dev.example.com", [("/", "Prefix")], annotations=flavor.ingress_annotations(
        intent(https_backend="gw", backend_tls=BackendTLSIntent(namespace="partners", ca_secret="gw-ca"))))
    unverified = IngressSite([plain], [], "ingress-nginx").connection("gw.dev.example.com", "/")
    assert (unverified.tls, unverified.verify, unverified.name, unverified.sni) == (True, False, "upstream_balancer",
                                                                                   None)


def test_backend_tls_maps_to_ingress_nginx_proxy_ssl_annotations() -> None:
    flavor = get_flavor("ingress-nginx")
    tls = BackendTLSIntent(namespace="partners", verify=True, server_name="gw.partners.svc", ca_secret="gw-ca")
    annotations = flavor.ingress_annotations(intent(https_backend="gw", backend_tls=tls))
    prefix = "nginx.ingress.kubernetes.io/"
    assert {k.removeprefix(prefix): v for k, v in annotations.items() if "proxy-ssl" in k or "backend" in k} == {
        "backend-protocol": "HTTPS", "proxy-ssl-secret": "partners/gw-ca", "proxy-ssl-verify": "on",
        "proxy-ssl-name": "gw.partners.svc", "proxy-ssl-server-name": "on"}
    no_ca = BackendTLSIntent(namespace="partners", server_name="gw.partners.svc")
    assert [field for field, _ in flavor.unsupported(intent(https_backend="gw", backend_tls=no_ca))] == [
        "backend_tls.server_name"]


def test_f5_sends_sni_but_refuses_to_verify_naming_itself() -> None:
    flavor = get_flavor("nginx-inc")
    sni = BackendTLSIntent(namespace="partners", server_name="gw.partners.svc")
    snippets = flavor.ingress_annotations(intent(https_backend="gw", backend_tls=sni))["nginx.org/location-snippets"]
    assert snippets.splitlines() == ["proxy_ssl_server_name on;", "proxy_ssl_name gw.partners.svc;"]
    verify = BackendTLSIntent(namespace="partners", verify=True, server_name="gw", ca_secret="gw-ca")
    with pytest.raises(ValueError, match=r"cannot express this intent: backend_tls\.verify: F5 NGINX"):
        flavor.ingress_annotations(intent(https_backend="gw", backend_tls=verify))
    for name in FLAVORS:  # TLS settings on a plain-HTTP backend mean nothing on any flavor
        assert "backend_tls" in dict(get_flavor(name).unsupported(intent(backend_tls=sni)))
