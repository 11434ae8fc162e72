"""The load balancer's own settings: AWS's ranges as input errors naming the stack file, the line and the key, and
the annotations the AWS Load Balancer Controller reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.flavors.traffic import controller_spec, nlb_service_annotations
from components.inputs.load_balancer import LoadBalancerSettings
from components.inputs.settings_parsing import parse_settings
from components.inputs.yamlfile import load_yaml
from tests.components.inputs.test_settings import REQUIRED, problems

LBC = "service.beta.kubernetes.io/aws-load-balancer-"
STACK_FILE = """\
config:
  aws:region: eu-west-1
  gangplank:loadBalancer:
    idleTimeout: {idle}
    deregistrationDelay: 180
    tags: {{team: platform}}
  gangplank:edges:
    partners:
      visibility: public
      loadBalancer:
        deregistrationDelay: {delay}
        accessLogs: {{bucket: {bucket}, prefix: partners}}
"""


def stack(tmp_path: Path, idle: int = 1800, delay: int = 240, bucket: str = "acme-nlb-logs") -> tuple[dict, object]:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK_FILE.format(idle=idle, delay=delay, bucket=bucket), encoding="utf-8")
    document = load_yaml(str(path))
    raw = {**REQUIRED, **{key: json.dumps(value) for key, value in document["config"].items()
                          if key.startswith("gangplank:")}}
    return raw, document


def test_edges_take_the_stack_wide_settings_field_by_field(tmp_path) -> None:
    raw, document = stack(tmp_path)
    edges = parse_settings(raw, "Pulumi.dev.yaml", document).all_edges()
    assert edges["public"].load_balancer.idle_timeout == 1800
    partners = edges["partners"].load_balancer
    assert (partners.idle_timeout, partners.deregistration_delay, partners.tags) == (1800, 240, {"team": "platform"})
    assert partners.access_logs is not None and partners.access_logs.prefix == "partners"
    assert edges["private"].load_balancer.access_logs is None


@pytest.mark.parametrize(("values", "line", "key", "message"), [
    ({"idle": 30}, 4, "gangplank:loadBalancer' field 'idleTimeout", "greater than or equal to 60"),
    ({"idle": 6001}, 4, "gangplank:loadBalancer' field 'idleTimeout", "less than or equal to 6000"),
    ({"delay": 3601}, 11, "gangplank:edges' field 'partners.loadBalancer.deregistrationDelay",
     "3601 is more than 3600 s"),
    ({"delay": 60}, 11, "gangplank:edges' field 'partners.loadBalancer.deregistrationDelay",
     "60 s is too short: the NLB may still open connections to a deregistered pod for at least 120 s"),
    ({"bucket": "Acme_Logs"}, 12, "gangplank:edges' field 'partners.loadBalancer.accessLogs.bucket",
     "is not an S3 bucket name"),
])
def test_values_out_of_range_name_the_file_line_and_key(tmp_path, values, line, key, message) -> None:
    raw, document = stack(tmp_path, **values)
    [problem] = problems(raw, document)
    assert problem.startswith(f"Pulumi.dev.yaml:{line}: config '{key}'") and message in problem, problem


@pytest.mark.parametrize(("settings", "message"), [
    ({"tags": {"aws:owner": "x"}}, "the 'aws:' prefix is AWS's own"),
    ({"tags": {"elbv2.k8s.aws/cluster": "x"}}, "the load balancer controller's own tag"),
    ({"tags": {"a,b": "x"}}, "may hold only letters"),
    ({"tags": {f"k{i}": "v" for i in range(48)}}, "at most 47"),
    ({"accessLogs": {"bucket": "acme-logs", "prefix": "x/AWSLogs"}}, "must not contain 'AWSLogs'"),
    ({"accessLogs": {"bucket": "acme-logs", "prefix": "/x"}}, "must not start or end with '/'"),
    ({"accessLogs": {"bucket": "192.168.1.1"}}, "not an IP address"),
])
def test_what_aws_or_the_controller_would_refuse_is_an_input_error(settings, message) -> None:
    [problem] = problems({**REQUIRED, "gangplank:loadBalancer": json.dumps(settings)})
    assert problem.startswith("Pulumi.dev.yaml: config 'gangplank:loadBalancer'") and message in problem, problem


def spec(settings: LoadBalancerSettings | None = None) -> object:
    return controller_spec("public", "public", replicas=1, certificate_arn="arn", security_group_id="sg",
                           allowed_cidrs=[], dualstack=False, trusted_proxy_cidrs=["10.0.0.0/20"],
                           control_plane_cidrs=["10.0.0.0/16"], load_balancer=settings)


def test_the_controller_reads_each_setting_from_its_annotation() -> None:
    settings = LoadBalancerSettings.model_validate({
        "idleTimeout": 1800, "accessLogs": {"bucket": "acme-nlb-logs", "prefix": "dev/public"},
        "deletionProtection": True, "tags": {"team": "platform", "cost-centre": "4711"}, "deregistrationDelay": 300})
    annotations = nlb_service_annotations(spec(settings))
    assert annotations[LBC + "attributes"] == (
        "load_balancing.cross_zone.enabled=true,access_logs.s3.enabled=true,access_logs.s3.bucket=acme-nlb-logs,"
        "access_logs.s3.prefix=dev/public,deletion_protection.enabled=true")
    assert annotations[LBC + "target-group-attributes"] == (
        "preserve_client_ip.enabled=false,deregistration_delay.timeout_seconds=300")
    assert annotations[LBC + "listener-attributes.TCP-80"] == "tcp.idle_timeout.seconds=1800"
    assert annotations[LBC + "additional-resource-tags"] == "cost-centre=4711,team=platform"


def test_unset_settings_say_the_defaults_so_removing_one_turns_it_off() -> None:
    """The controller changes only the attributes an annotation names: a setting removed must be said off."""
    annotations = nlb_service_annotations(spec())
    assert annotations[LBC + "attributes"] == ("load_balancing.cross_zone.enabled=true,access_logs.s3.enabled=false,"
                                               "deletion_protection.enabled=false")
    assert annotations[LBC + "listener-attributes.TCP-80"] == "tcp.idle_timeout.seconds=350"
    assert annotations[LBC + "target-group-attributes"] == ("preserve_client_ip.enabled=false,"
                                                            "deregistration_delay.timeout_seconds=150")
    assert LBC + "additional-resource-tags" not in annotations


@pytest.mark.parametrize("flavor", ["nginx-inc", "envoy-gateway"])
def test_each_edges_nlb_gets_its_settings_in_the_plan(run_stack, write_apps, flavor) -> None:
    apps = write_apps("apps:\n  - {name: blog, edges: [partners], service: {name: blog, port: 80}}\n")
    run = run_stack("dev", apps, loadBalancer=json.dumps({"idleTimeout": 900, "tags": {"team": "platform"}}),
                    edges=json.dumps({"partners": {"visibility": "public", "loadBalancer": {
                        "deletionProtection": True, "tags": {"owner": "partners"}}}}), flavor=flavor)
    services = {}
    for reg in run.monitor.registrations:
        if reg.type == "kubernetes:helm.sh/v3:Release" and reg.name.startswith("platform-"):
            services[reg.name] = reg.inputs["values"].get("controller", {}).get("service", {}).get("annotations")
        elif reg.type.endswith(":EnvoyProxy"):
            services[reg.name] = reg.inputs["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"]
    by_edge = {edge: next(a for name, a in services.items() if a and f"-{edge}" in name)
               for edge in ("public", "private", "partners")}
    for edge, said in by_edge.items():
        assert said[LBC + "listener-attributes.TCP-80"] == "tcp.idle_timeout.seconds=900"
        protected = edge == "partners"
        assert f"deletion_protection.enabled={'true' if protected else 'false'}" in said[LBC + "attributes"]
        assert said[LBC + "additional-resource-tags"] == ("owner=partners,team=platform" if protected
                                                          else "team=platform")


def test_the_shortest_delay_is_the_drains() -> None:
    """The settings' minimum and the drain's rule (components/flavors/traffic.py) are one."""
    from components.flavors.traffic import DEREGISTRATION_PROPAGATION_SECONDS, drain
    from components.inputs.load_balancer import DEREGISTRATION_DELAY_RANGE

    assert DEREGISTRATION_DELAY_RANGE[0] == DEREGISTRATION_PROPAGATION_SECONDS + 1
    assert drain(DEREGISTRATION_DELAY_RANGE[0]).listen_seconds == DEREGISTRATION_DELAY_RANGE[0]
    with pytest.raises(ValueError):
        drain(DEREGISTRATION_DELAY_RANGE[0] - 1)


def test_the_controller_pods_drain_for_the_edges_delay() -> None:
    from components.flavors.ingress_nginx import IngressNginxFlavor
    from components.flavors.nginx_inc import NginxIncFlavor

    settings = LoadBalancerSettings.model_validate({"deregistrationDelay": 300})
    for flavor in (NginxIncFlavor(), IngressNginxFlavor()):
        values = flavor.controller_values(spec(settings))
        assert values["controller"]["terminationGracePeriodSeconds"] > 300, flavor.name
