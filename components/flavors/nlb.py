"""The edge's load balancer and pods, whatever the flavor: the NLB the AWS Load Balancer Controller builds from the
controller Service's annotations, the target groups' deregistration delay and the controller pods' drain, the
NetworkPolicy that admits the traffic ports only from the NLB's subnets, and the pods' spread across zones.

Split out of `traffic` (which re-exports every name here and holds the design they follow: its module docstring,
"How traffic flows", "Client IP", "Whose PROXY header counts"). Pure functions of plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.inputs.load_balancer import with_load_balancer_settings

if TYPE_CHECKING:
    from components.flavors.traffic import ControllerSpec, PodPorts

NLB_CLASS = "service.k8s.aws/nlb"
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.2+ on the NLB listener (the AWS Load Balancer Controller's default still allows TLS 1.0)."""

DEREGISTRATION_DELAY_SECONDS = 150
"""The NLB target groups' deregistration delay (`deregistration_delay.timeout_seconds`): how long a target that
leaves (a controller pod shutting down) keeps its established connections. The controller pods keep serving for
as long (`DRAIN`). It must exceed `DEREGISTRATION_PROPAGATION_SECONDS`. (One constant: issue 26 makes it per edge.)"""
DEREGISTRATION_PROPAGATION_SECONDS = 120
"""How long an NLB with `ip` targets may still open *new* connections to a target after the AWS Load Balancer
Controller deregistered it: at least two minutes, whatever the deregistration delay, as measured in
kubernetes-sigs/aws-load-balancer-controller#2366 ("deregistration takes at least 2 minutes regardless of the
deregistration delay setting; during deregistration, the pod may still receive new requests/connections"; also
#1719, #3270). A pod that stops listening earlier refuses those connections."""
NGINX_SHUTDOWN_SECONDS = 60
"""After the drain, how long nginx's graceful quit may wait for requests in flight (`worker-shutdown-timeout`
of both controllers' ConfigMaps); connections still open then are closed."""


@dataclass(frozen=True)
class Drain:
    """How a controller pod leaves without dropping connections (`drain()`)."""

    listen_seconds: int
    """Seconds the pod keeps listening after it is told to stop (F5: a preStop sleep; ingress-nginx: its own
    `--shutdown-grace-period`, slept before `nginx -s quit`)."""
    shutdown_seconds: int
    """Then, nginx's graceful quit: at most this long for requests in flight (`worker-shutdown-timeout`)."""
    grace_seconds: int
    """`terminationGracePeriodSeconds`: both, with a margin, so the kubelet never kills a draining pod."""


def drain(deregistration_delay: int = DEREGISTRATION_DELAY_SECONDS) -> Drain:
    """The drain of a controller pod behind an NLB whose target groups have `deregistration_delay`.

    The pod listens for the whole deregistration delay, which is longer than the NLB may take to stop opening
    connections to it (`DEREGISTRATION_PROPAGATION_SECONDS`), then quits gracefully; the grace period covers both.
    """
    if not DEREGISTRATION_PROPAGATION_SECONDS < deregistration_delay <= 3600:
        raise ValueError(f"the deregistration delay must be more than {DEREGISTRATION_PROPAGATION_SECONDS} s (the NLB "
                         f"may open connections that long after deregistration) and at most 3600 s (ELB's limit), "
                         f"not {deregistration_delay}")
    return Drain(listen_seconds=deregistration_delay, shutdown_seconds=NGINX_SHUTDOWN_SECONDS,
                 grace_seconds=deregistration_delay + NGINX_SHUTDOWN_SECONDS + 15)


def deregistration_delay(spec: ControllerSpec) -> int:
    """The edge's deregistration delay (`loadBalancer.deregistrationDelay`), else `DEREGISTRATION_DELAY_SECONDS`:
    what the NLB's target groups get and what the controller pods' drain follows (`drain`)."""
    return spec.load_balancer.deregistration_delay or DEREGISTRATION_DELAY_SECONDS


def nlb_service_annotations(spec: ControllerSpec) -> dict[str, pulumi.Input[str]]:
    """Annotations that make the AWS Load Balancer Controller build the NLB described above, with the edge's
    own load balancer settings (components/inputs/load_balancer.py)."""
    return with_load_balancer_settings(_nlb_design_annotations(spec), spec.load_balancer)  # type: ignore[return-value]


def _nlb_design_annotations(spec: ControllerSpec) -> dict[str, pulumi.Input[str]]:
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    return {
        # Explicit both ways: the controller's default is `internal`, and a wrong guess is public.
        f"{prefix}scheme": "internet-facing" if spec.visibility == "public" else "internal",
        f"{prefix}nlb-target-type": "ip",
        f"{prefix}ip-address-type": "dualstack" if spec.dualstack else "ipv4",
        # Our own (frontend) security group: who may reach the listeners (ingress_controller.py). With
        # it the LBC ignores loadBalancerSourceRanges, which it reads only for a group it manages itself
        # or for a load balancer without groups (LBC pkg/service/model_build_managed_sg.go and
        # model_build_target_group.go), so gangplank sets none. With manage-backend-security-group-
        # rules (which must be explicit beside a frontend group) the LBC also attaches its shared
        # backend group to the NLB and opens the pods' security group to that one; that needs the LBC
        # flag --enable-backend-security-group=true, its default (model_build_load_balancer.go
        # buildLoadBalancerSecurityGroups refuses the Service otherwise). The backend group keeps
        # EC2's default allow-all egress, so what the NLB may send is not ours to restrict.
        f"{prefix}security-groups": spec.security_group_id,
        f"{prefix}manage-backend-security-group-rules": "true",
        # TLS ends at the NLB with the ACM certificate, on 443 only (80 is the redirect listener).
        f"{prefix}ssl-cert": spec.certificate_arn,
        f"{prefix}ssl-ports": "443",
        f"{prefix}ssl-negotiation-policy": SSL_POLICY,
        f"{prefix}backend-protocol": "tcp",
        # Client IP: proxy protocol v2 on every target group, and preserved client IP off, so the
        # NLB and nginx agree on where the client address comes from.
        f"{prefix}proxy-protocol": "*",
        # The deregistration delay: how long a leaving controller pod keeps its connections (`drain`).
        f"{prefix}target-group-attributes": target_group_attributes(deregistration_delay(spec)),
        # TCP health checks on the traffic ports: an HTTP check would have to speak proxy protocol.
        f"{prefix}healthcheck-protocol": "tcp",
        f"{prefix}healthcheck-port": "traffic-port",
        # Every NLB zone reaches every pod, so a zone without a controller pod still serves.
        f"{prefix}attributes": "load_balancing.cross_zone.enabled=true",
    }


def target_group_attributes(deregistration_delay: int) -> str:
    """The LBC annotation's `key=value,...` list (docs/guide/service/annotations.md, "target-group-attributes")."""
    return f"preserve_client_ip.enabled=false,deregistration_delay.timeout_seconds={deregistration_delay}"


def network_policy_manifest(spec: ControllerSpec, selector_labels: dict[str, str], ports: PodPorts,
                            name: str = "gangplank-controller") -> dict[str, Any]:
    """The controller namespace's NetworkPolicy: the traffic ports only from the NLB's subnets.

    The same CIDRs as nginx's PROXY-header trust (`spec.trusted_proxy_cidrs`; why the two must
    agree: module docstring). Metrics stay open to every pod of the cluster (`namespaceSelector:
    {}`), an admission webhook to the VPC (the EKS control plane calls it from there). The kubelet's
    probes need no rule: traffic from a pod's own node is always allowed. Only Ingress is isolated:
    the controller's own connections (API server, backends) are not restricted here.
    """
    def tcp(port_numbers: tuple[int, ...]) -> list[dict[str, Any]]:
        return [{"protocol": "TCP", "port": port} for port in port_numbers]

    rules: list[dict[str, Any]] = [
        {"from": [{"ipBlock": {"cidr": cidr}} for cidr in spec.trusted_proxy_cidrs], "ports": tcp(ports.traffic)},
        {"from": [{"namespaceSelector": {}}], "ports": tcp(ports.cluster)},
    ]
    if ports.control_plane:
        rules.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in spec.control_plane_cidrs],
                      "ports": tcp(ports.control_plane)})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": spec.namespace,
                     "labels": {"app.kubernetes.io/managed-by": "gangplank"}},
        "spec": {"podSelector": {"matchLabels": dict(selector_labels)}, "policyTypes": ["Ingress"], "ingress": rules},
    }


def topology_spread(selector_labels: dict[str, str]) -> list[dict[str, Any]]:
    """Spread the controller pods across zones (hard) and nodes (soft).

    `matchLabelKeys: [pod-template-hash]` counts only pods of the same revision, so a rolling
    update is never blocked by the skew of the pods it is replacing.
    """
    def constraint(key: str, when: str) -> dict[str, Any]:
        return {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when,
                "labelSelector": {"matchLabels": dict(selector_labels)},
                "matchLabelKeys": ["pod-template-hash"]}

    return [constraint("topology.kubernetes.io/zone", "DoNotSchedule"),
            constraint("kubernetes.io/hostname", "ScheduleAnyway")]
