"""Flavors: Helm values of the twin controllers, for each flavor, and the chart checks (chart_values.py) that
must be able to fail.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from components.flavors import FLAVORS, get_flavor
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import (
    INGRESS_EDGE_LABEL,
    ControllerSpec,
    Flavor,
    controller_spec,
)
from tests.components.flavors.chart_values import (
    ALLOWED,
    CERT,
    NLB_SUBNETS,
    SG,
    VPC_CIDRS,
    chart_checks,
    controller,
    f5_schema,
    f5_unknown_paths,
    ingress_nginx_unknown_paths,
    intent,
    spec,
    twins,
    validate_f5_values,
)
from tests.conftest import FLAVORS as FLAVOR_NAMES
from tests.conftest import GATEWAY_FLAVORS, validate_kubernetes

# -- schema checks can fail --------------------------------------------------------------


def test_f5_schema_example_is_the_chart_defaults_and_validates() -> None:
    schema = f5_schema()
    assert schema["examples"][0]["controller"]["image"]["repository"] == "nginx/nginx-ingress"
    validate_f5_values({})


@pytest.mark.parametrize("bad, error", [
    ({"controller": {"replicaCount": "two"}}, jsonschema.ValidationError),
    ({"controller": {"kind": "pod"}}, jsonschema.ValidationError),
    ({"controller": {"service": {"externalTrafficPolicy": 5}}}, jsonschema.ValidationError),
])
def test_f5_schema_rejects_wrong_values(bad: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        validate_f5_values(bad)


def test_path_walk_reports_typos_the_schema_accepts() -> None:
    values = {"controller": {"replicaCont": 2, "service": {"annotations": {"a": "b"}, "httpPort": {"prot": 80}},
                             "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                                            "whenUnsatisfiable": "DoNotSchedule", "labelSelectr": {}}]},
              "fullnameOverride": "x"}
    validate_f5_values(values)  # the schema itself lets all of these through
    assert sorted(f5_unknown_paths(values)) == [
        "controller.replicaCont", "controller.service.httpPort.prot",
        "controller.topologySpreadConstraints[0].labelSelectr", "fullnameOverride"]
    assert ingress_nginx_unknown_paths({"controller": {"replicaCont": 2, "service": {"port": {}}}}) == [
        "controller.replicaCont", "controller.service.port"]


# -- twin controllers --------------------------------------------------------------------


def test_values_fit_the_chart(flavor: Flavor) -> None:
    for dualstack in (False, True):
        for visibility in ("public", "private"):
            chart_checks(flavor, flavor.controller_values(spec(visibility, dualstack)))


def test_twins_are_independent(flavor: Flavor) -> None:
    public, private = spec("public"), spec("private")
    for getter in (lambda s: s.ingress_class, lambda s: s.release_name, lambda s: s.namespace,
                   flavor.full_name, flavor.controller_service_name, flavor.leader_election_id):
        assert getter(public) != getter(private)
    values = twins(flavor)
    if isinstance(flavor, NginxIncFlavor):
        classes = [controller(v)["ingressClass"]["name"] for v in values.values()]
        locks = [controller(v)["reportIngressStatus"]["leaderElectionLockName"] for v in values.values()]
        # The chart hard-codes the IngressClass controller; F5 matches Ingresses by class name.
        assert {flavor.ingress_class_controller(s) for s in (public, private)} == {"nginx.org/ingress-controller"}
        assert all(controller(v)["reportIngressStatus"]["enableLeaderElection"] for v in values.values())
    else:
        classes = [controller(v)["ingressClassResource"]["name"] for v in values.values()]
        locks = [controller(v)["electionID"] for v in values.values()]
        controllers = [controller(v)["ingressClassResource"]["controllerValue"] for v in values.values()]
        assert len(set(controllers)) == 2
        assert controllers == [flavor.ingress_class_controller(s) for s in (public, private)]
        assert [v["fullnameOverride"] for v in values.values()] == ["ingress-public", "ingress-private"]
    assert classes == ["nginx-public", "nginx-private"]
    assert locks == [flavor.leader_election_id(s) for s in (public, private)]


def label_selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector with only matchLabels, as the API server evaluates a webhook's objectSelector."""
    assert set(selector) <= {"matchLabels"}
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_each_admission_webhook_judges_only_its_own_edges_ingresses() -> None:
    """Unscoped, each ingress-nginx webhook (failurePolicy Fail) judged every Ingress of the cluster: one
    controller down and no Ingress could be created anywhere."""
    flavor = IngressNginxFlavor()
    edges = ("public", "private", "partners")
    selectors = {edge: controller(flavor.controller_values(spec_for(edge)))["admissionWebhooks"]["objectSelector"]
                 for edge in edges}
    for edge in edges:
        ingress_labels = {"app.kubernetes.io/managed-by": "gangplank", INGRESS_EDGE_LABEL: edge}
        judged_by = [other for other in edges if label_selector_matches(selectors[other], ingress_labels)]
        assert judged_by == [edge]
        # An Ingress someone else made, without gangplank's label, is judged by none of them.
        assert not label_selector_matches(selectors[edge], {"app": "theirs"})
    assert "failurePolicy" not in controller(flavor.controller_values(spec("public")))["admissionWebhooks"]


def spec_for(edge: str) -> ControllerSpec:
    visibility = "private" if edge == "private" else "public"
    return controller_spec(edge, visibility, replicas=2, certificate_arn=CERT, security_group_id=SG,  # type: ignore[arg-type]
                           allowed_cidrs=ALLOWED if visibility == "private" else [], dualstack=False,
                           trusted_proxy_cidrs=NLB_SUBNETS, control_plane_cidrs=VPC_CIDRS)


def test_no_default_class_and_no_classless_ingresses(flavor: Flavor) -> None:
    for values in twins(flavor).values():
        if isinstance(flavor, NginxIncFlavor):
            # No watchIngressWithoutClass in this chart: F5 processes an Ingress only when its class
            # name matches, so not being the default class is what keeps class-less ones away.
            assert controller(values)["ingressClass"]["setAsDefaultIngress"] is False
            assert controller(values)["enableCustomResources"] is False
        else:
            assert controller(values)["ingressClassResource"]["default"] is False
            assert controller(values)["watchIngressWithoutClass"] is False


def test_service_names_follow_the_charts_helpers(flavor: Flavor) -> None:
    expected = {"nginx-inc": "ingress-public-nginx-ingress-controller", "ingress-nginx": "ingress-public-controller"}
    assert flavor.controller_service_name(spec("public")) == expected[flavor.name]


# -- availability ------------------------------------------------------------------------


def test_high_availability(flavor: Flavor) -> None:
    values = flavor.controller_values(spec("public"))
    ctrl = controller(values)
    assert ctrl["replicaCount"] == 3
    if isinstance(flavor, NginxIncFlavor):
        assert ctrl["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
        assert values["prometheus"]["create"] is True
    else:
        assert ctrl["maxUnavailable"] == 1
        assert ctrl["metrics"]["enabled"] is True
        assert ctrl["podAnnotations"]["prometheus.io/scrape"] == "true"
    zone = [c for c in ctrl["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert zone and zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert zone[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "ingress-public"
    assert ctrl["resources"]["requests"]["cpu"] and ctrl["resources"]["requests"]["memory"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
           "spec": {"topologySpreadConstraints": ctrl["topologySpreadConstraints"],
                    "containers": [{"name": "controller", "image": "nginx", "resources": ctrl["resources"],
                                    "ports": [{"name": name, "containerPort": port}
                                              for name, port in ctrl["containerPort"].items()]}]}}
    validate_kubernetes(pod)


# -- charts and names --------------------------------------------------------------------


def test_charts_are_pinned() -> None:
    assert NginxIncFlavor().chart(None).version == "2.6.4"
    assert NginxIncFlavor().chart(None).repo == "https://helm.nginx.com/stable"
    assert IngressNginxFlavor().chart(None).chart == "ingress-nginx"
    assert re.match(r"^4\.\d+\.\d+$", IngressNginxFlavor().chart(None).version)
    assert NginxIncFlavor().chart("2.6.3").version == "2.6.3"
    assert IngressNginxFlavor().chart("4.14.5").version == "4.14.5"
    with pytest.raises(ValueError, match="exact version"):
        NginxIncFlavor().chart("^2.6")
    with pytest.raises(ValueError, match="too old"):  # no nginx.org/add-header before controller 5.5
        NginxIncFlavor().chart("2.5.2")


def test_get_flavor() -> None:
    assert get_flavor("nginx-inc").shared_host_mode == "mergeable"
    assert get_flavor("ingress-nginx").shared_host_mode == "native"
    assert set(FLAVORS) == set(FLAVOR_NAMES) | set(GATEWAY_FLAVORS)
    with pytest.raises(ValueError, match="known: envoy-gateway, ingress-nginx, nginx-inc"):
        get_flavor("traefik")


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["10.0.0.0/8", "::/0"]])
def test_private_spec_needs_a_real_allow_list(cidrs: list[str]) -> None:
    with pytest.raises(ValueError):
        controller_spec("private", "private", replicas=2, certificate_arn=CERT, security_group_id=SG,
                        allowed_cidrs=cidrs, dualstack=False, trusted_proxy_cidrs=NLB_SUBNETS,
                        control_plane_cidrs=VPC_CIDRS)


@pytest.mark.parametrize("flavor", [get_flavor(name) for name in (*FLAVOR_NAMES, *GATEWAY_FLAVORS)],
                         ids=[*FLAVOR_NAMES, *GATEWAY_FLAVORS])
def test_an_allow_list_range_that_is_no_network_is_refused_every_time(flavor: Flavor) -> None:
    """Every flavor refuses it (the reason is worked out once per range and asked for again by every app)."""
    bad = intent(allow_cidrs=["10.0.0.1/8", "192.0.2.0/24"])
    for _ in range(2):
        reasons = [why for field, why in flavor.unsupported(bad) if field == "allow_cidrs"]
        assert reasons == ["10.0.0.1/8 has host bits set"]
    assert not [field for field, _ in flavor.unsupported(intent(allow_cidrs=["10.0.0.0/8"]))
                if field == "allow_cidrs"]
