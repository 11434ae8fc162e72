"""The controllers behind their NLB, for each Ingress flavor: the Service and its annotations, proxy protocol and whose
PROXY header counts, the port split, and the NetworkPolicy that admits the traffic ports (split out of test_flavors)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.flavors import ingress_nginx, nginx_inc
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import (
    LB_PORTS,
    PROMETHEUS_PORTS,
    REDIRECT_PORT,
    REDIRECT_PORT_NAME,
    Flavor,
    controller_spec,
    network_policy_manifest,
)
from tests.components.flavors.chart_values import (
    ANN,
    APP_PORTS,
    CERT,
    FULL,
    NLB_SUBNETS,
    SG,
    VPC_CIDRS,
    admitted,
    config,
    controller,
    intent,
    service,
    spec,
    trusted_proxies,
    twins,
)
from tests.conftest import validate_kubernetes

# -- the load balancer -------------------------------------------------------------------


def rendered_service_ports(flavor: Flavor, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The controller Service's ports as the chart's template renders them from our values.

    F5: templates/controller-service.yaml at v5.5.4 (`customPorts` verbatim, then `httpPort` and
    `httpsPort` when enabled). ingress-nginx: templates/controller-service.yaml at helm-chart-4.15.1
    (`ports.<name>` with `targetPorts.<name>`).
    """
    svc = service(values)
    if isinstance(flavor, NginxIncFlavor):
        ports = [dict(port) for port in svc.get("customPorts", [])]
        for name in ("httpPort", "httpsPort"):
            if svc[name].get("enable"):
                ports.append({"name": svc[name].get("name", name.removesuffix("Port")), "port": svc[name]["port"],
                              "targetPort": svc[name]["targetPort"], "protocol": "TCP"})
        return ports
    return [{"name": name, "port": svc["ports"][name], "targetPort": svc["targetPorts"][name], "protocol": "TCP"}
            for name in ("http", "https")]


def pod_port(values: dict[str, Any], target: int | str) -> int:
    """The container port a Service targetPort reaches on a pod made from these values (names resolve per pod)."""
    return target if isinstance(target, int) else controller(values)["containerPort"][target]


def listener_target(flavor: Flavor, values: dict[str, Any], lb_port: int) -> int | str:
    [port] = [p for p in rendered_service_ports(flavor, values) if p["port"] == lb_port]
    return port["targetPort"]


@pytest.mark.parametrize("dualstack", [False, True])
def test_nlb_annotations_per_visibility(flavor: Flavor, dualstack: bool) -> None:
    for visibility, scheme in (("public", "internet-facing"), ("private", "internal")):
        svc = service(flavor.controller_values(spec(visibility, dualstack)))
        annotations = svc["annotations"]
        assert svc["type"] == "LoadBalancer"
        assert svc["loadBalancerClass"] == "service.k8s.aws/nlb"
        assert svc["externalTrafficPolicy"] == "Cluster"
        assert annotations[ANN + "scheme"] == scheme
        assert annotations[ANN + "nlb-target-type"] == "ip"
        assert annotations[ANN + "security-groups"] == SG
        assert annotations[ANN + "manage-backend-security-group-rules"] == "true"
        assert annotations[ANN + "ssl-cert"] == CERT
        assert annotations[ANN + "ssl-ports"] == "443"
        assert annotations[ANN + "ip-address-type"] == ("dualstack" if dualstack else "ipv4")


def test_no_setting_the_load_balancer_controller_ignores(flavor: Flavor) -> None:
    """With our own security group the LBC ignores loadBalancerSourceRanges and its annotation (LBC
    docs/guide/service/annotations.md, pkg/service/model_build_managed_sg.go): the group is the gate."""
    for visibility in ("public", "private"):
        svc = service(flavor.controller_values(spec(visibility)))
        assert svc["annotations"][ANN + "security-groups"] == SG
        assert "loadBalancerSourceRanges" not in svc
        assert "service.beta.kubernetes.io/load-balancer-source-ranges" not in svc["annotations"]


def test_client_ip_is_proxy_protocol_on_both_sides(flavor: Flavor) -> None:
    for values in twins(flavor).values():
        annotations, entries = service(values)["annotations"], config(flavor, values)
        assert annotations[ANN + "proxy-protocol"] == "*"
        assert "preserve_client_ip.enabled=false" in annotations[ANN + "target-group-attributes"]
        if isinstance(flavor, NginxIncFlavor):
            assert entries["proxy-protocol"] == "true"
            assert entries["real-ip-header"] == "proxy_protocol"
        else:
            assert entries["use-proxy-protocol"] == "true"
        # The redirect server sits behind the same NLB, so it must read the PROXY header too.
        assert f"listen {REDIRECT_PORT} proxy_protocol;" in redirect_snippet(flavor, values)


def test_proxy_headers_are_trusted_from_the_load_balancers_subnets_only(flavor: Flavor) -> None:
    """Not from the VPC, where every pod lives and could claim any client address."""
    for visibility in ("public", "private"):
        values = flavor.controller_values(spec(visibility))
        assert trusted_proxies(flavor, values) == list(NLB_SUBNETS)
        assert not set(trusted_proxies(flavor, values)) & set(VPC_CIDRS)


@pytest.mark.parametrize("cidrs", [(), ("0.0.0.0/0",), ("10.0.0.0/20", "2001:db8::/64"), ("10.0.0.1/20",)])
def test_a_spec_refuses_a_trust_list_wider_than_subnets(cidrs: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="trusted_proxy_cidrs"):
        controller_spec("public", "public", replicas=2, certificate_arn=CERT, security_group_id=SG, allowed_cidrs=[],
                        dualstack=False, trusted_proxy_cidrs=cidrs, control_plane_cidrs=VPC_CIDRS)


def redirect_snippet(flavor: Flavor, values: dict[str, Any]) -> str:
    return config(flavor, values)["http-snippets" if flavor.name == "nginx-inc" else "http-snippet"]


def test_redirect_port_split(flavor: Flavor) -> None:
    """NLB 80 -> the redirect-only server; NLB 443 (TLS) -> the app listener; no $scheme redirect."""
    for values in twins(flavor).values():
        assert controller(values)["containerPort"][REDIRECT_PORT_NAME] == REDIRECT_PORT
        assert pod_port(values, listener_target(flavor, values, 80)) == REDIRECT_PORT
        assert pod_port(values, listener_target(flavor, values, 443)) == APP_PORTS[flavor.name]
        if isinstance(flavor, NginxIncFlavor):
            assert config(flavor, values)["redirect-to-https"] == "true"  # X-Forwarded-Proto: https
        else:
            assert service(values)["ports"] == {"http": 80, "https": 443}
            assert config(flavor, values)["ssl-redirect"] == "false"
        snippet = redirect_snippet(flavor, values)
        assert re.search(r"server \{\s*listen 8090 proxy_protocol;.*return 308 https://\$host\$request_uri;\s*\}",
                         snippet, re.S)
        assert "$scheme" not in snippet


def forwarded_port_seen_by_apps(flavor: Flavor, values: dict[str, Any]) -> int:
    """`X-Forwarded-Port` of a request that came in on the NLB's TLS listener (443), per each template.

    F5 (internal/configs/version1/nginx.ingress.tmpl at v5.5.4): `$server_port`, the pod port the
    connection arrived on, i.e. where the Service's 443 port targets. ingress-nginx
    (rootfs/etc/nginx/template/nginx.tmpl at controller-v1.15.1): with proxy protocol,
    `$proxy_protocol_server_port`, the NLB listener port in the PROXY header.
    """
    if isinstance(flavor, NginxIncFlavor):
        return pod_port(values, listener_target(flavor, values, 443))
    assert config(flavor, values)["use-proxy-protocol"] == "true"
    return 443


def test_apps_are_told_the_port_the_client_used(flavor: Flavor) -> None:
    """`X-Forwarded-Proto: https` with `X-Forwarded-Port: 80` makes frameworks build https://host:80/ links."""
    for values in twins(flavor).values():
        assert forwarded_port_seen_by_apps(flavor, values) == 443


def test_f5_serves_the_apps_on_pod_port_443() -> None:
    """What makes `$server_port` 443: every server of the F5 config listens on the port the NLB targets."""
    values = NginxIncFlavor().controller_values(spec("public"))
    ctrl, entries = controller(values), config(NginxIncFlavor(), values)
    app_port = pod_port(values, listener_target(NginxIncFlavor(), values, 443))
    # The catch-all server (unknown hosts) on the app port, plain; its TLS listener somewhere nothing targets.
    assert ctrl["defaultHTTPListenerPort"] == app_port == nginx_inc.APP_PORT
    assert ctrl["defaultHTTPSListenerPort"] not in (app_port, REDIRECT_PORT, *LB_PORTS)
    assert ctrl["containerPort"]["https"] == ctrl["defaultHTTPSListenerPort"]
    assert ctrl["disableIPV6"] is False
    # Every Ingress's server listens there too, with proxy protocol, in both address families.
    assert entries["server-snippets"].splitlines() == [f"listen {app_port} proxy_protocol;",
                                                       f"listen [::]:{app_port} proxy_protocol;"]
    # Nothing else of F5's may listen on 443 (TLS passthrough and the service-mesh server are off).
    assert ctrl["enableCustomResources"] is False and "enableTLSPassthrough" not in ctrl
    # An Ingress's own server-snippets would replace the ConfigMap's; listen-ports would listen twice.
    intents = [intent(merge_role=role, **FULL) for role in ("master", "minion", None)]
    forbidden = {"nginx.org/server-snippets", "nginx.org/listen-ports", "nginx.org/listen-ports-ssl"}
    for written in (NginxIncFlavor().ingress_annotations(i) for i in intents):
        assert not forbidden & set(written)


def test_f5_moves_the_app_port_without_a_gap() -> None:
    """The Service targets the app listener by name, so during the rollout from pod port 80 each pod is
    registered at its own port (LBC model_build_target_group.go buildTargetGroupPort), and the old pods'
    port stays admitted by the NetworkPolicy until they are gone."""
    values = NginxIncFlavor().controller_values(spec("private"))
    target = listener_target(NginxIncFlavor(), values, 443)
    assert target == "http"
    before = {**controller(values)["containerPort"], "http": 80}  # the pods of the earlier release
    assert pod_port({"controller": {"containerPort": before}}, target) == 80
    assert {80, nginx_inc.APP_PORT, REDIRECT_PORT} <= set(NginxIncFlavor().pod_ports.traffic)


def test_rendered_service_ports_are_valid_kubernetes(flavor: Flavor) -> None:
    """The Service and container ports as each chart's templates render them from our values."""
    values = flavor.controller_values(spec("private"))
    svc, ports = service(values), controller(values)["containerPort"]
    service_ports = rendered_service_ports(flavor, values)
    assert sorted(p["port"] for p in service_ports) == sorted(LB_PORTS)
    manifest = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": flavor.controller_service_name(spec("private")), "namespace": "ingress-private",
                             "annotations": {k: str(v) for k, v in svc["annotations"].items()}},
                "spec": {"type": svc["type"], "loadBalancerClass": svc["loadBalancerClass"],
                         "externalTrafficPolicy": svc["externalTrafficPolicy"],
                         "allocateLoadBalancerNodePorts": svc["allocateLoadBalancerNodePorts"],
                         "ports": service_ports,
                         "selector": {"app.kubernetes.io/instance": "ingress-private"}}}
    validate_kubernetes(manifest)
    # Every Service target is a container port: by number or by name.
    for target in (p["targetPort"] for p in service_ports):
        assert target in (set(ports.values()) if isinstance(target, int) else set(ports))
    # The NLB connects only to ports its NetworkPolicy admits (traffic and TCP health checks alike).
    assert {pod_port(values, p["targetPort"]) for p in service_ports} <= set(flavor.pod_ports.traffic)


# -- who may reach the controller pods ---------------------------------------------------


def test_network_policy_admits_the_traffic_ports_from_the_load_balancer_only(flavor: Flavor) -> None:
    controller_spec_ = spec("private")
    policy = network_policy_manifest(controller_spec_, flavor.selector_labels(controller_spec_), flavor.pod_ports)
    validate_kubernetes(policy)
    assert policy["metadata"]["namespace"] == "ingress-private"
    assert policy["spec"]["podSelector"]["matchLabels"] == flavor.selector_labels(controller_spec_)
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    nlb, pod_elsewhere = "10.0.16.25", "10.0.200.7"  # in an NLB subnet; in the VPC, outside them
    for port in flavor.pod_ports.traffic:
        assert admitted(policy, nlb, port, from_a_pod=False)
        assert not admitted(policy, pod_elsewhere, port, from_a_pod=True)
        assert not admitted(policy, "203.0.113.9", port, from_a_pod=False)
    metrics = PROMETHEUS_PORTS[flavor.name]
    assert admitted(policy, pod_elsewhere, metrics, from_a_pod=True)
    assert not admitted(policy, "203.0.113.9", metrics, from_a_pod=False)


def test_network_policy_and_nginx_trust_the_same_addresses(flavor: Flavor) -> None:
    """Why they must agree: traffic.py. Admitted-but-untrusted breaks every allow-list, trusted-but-admitted-
    from-elsewhere lets pods forge client addresses."""
    controller_spec_ = spec("public")
    policy = network_policy_manifest(controller_spec_, flavor.selector_labels(controller_spec_), flavor.pod_ports)
    [traffic_rule] = [r for r in policy["spec"]["ingress"] if {p["port"] for p in r["ports"]} ==
                      set(flavor.pod_ports.traffic)]
    admitted_cidrs = [peer["ipBlock"]["cidr"] for peer in traffic_rule["from"]]
    assert admitted_cidrs == trusted_proxies(flavor, flavor.controller_values(controller_spec_)) == list(NLB_SUBNETS)


def test_the_admission_webhook_stays_reachable_for_the_api_server() -> None:
    flavor = IngressNginxFlavor()
    policy = network_policy_manifest(spec("private"), flavor.selector_labels(spec("private")), flavor.pod_ports)
    control_plane_eni = "100.64.3.4"  # an EKS control-plane interface in the VPC
    assert admitted(policy, control_plane_eni, ingress_nginx.ADMISSION_WEBHOOK_PORT, from_a_pod=False)
    assert not admitted(policy, control_plane_eni, ingress_nginx.APP_PORT, from_a_pod=False)
    assert NginxIncFlavor().pod_ports.control_plane == ()  # F5 runs no admission webhook here
