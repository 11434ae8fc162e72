"""Stack settings: defaults, and errors that name the stack file, the line and the key."""

from __future__ import annotations

import re

import pytest

from components.inputs.problems import InputError
from components.inputs.settings import config_keys
from components.inputs.settings_parsing import parse_settings
from components.inputs.yamlfile import load_yaml
from tests.conftest import ROOT, read_doc

REQUIRED = {
    "aws:region": "eu-west-1",
    "gangplank:publicDomain": "dev.example.com",
    "gangplank:vpcId": "vpc-0a1b2c3d4e5f60718",
    "gangplank:privateAllowedCidrs": '["10.10.0.0/16"]',
}


def problems(raw: dict[str, str], stack_yaml=None, **options) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_settings(raw, "Pulumi.dev.yaml", stack_yaml, **options)
    return [str(p) for p in caught.value.problems]


def test_defaults():
    settings = parse_settings(REQUIRED, "Pulumi.dev.yaml")
    assert settings.private_domain == "internal.dev.example.com"
    assert settings.flavor == "nginx-inc"
    assert settings.host_template == "{name}"
    assert settings.monitor_interval == 300
    assert settings.controller_replicas == 2
    assert settings.private_allowed_cidrs == ["10.10.0.0/16"]


def test_values_arrive_as_pulumi_strings():
    settings = parse_settings({**REQUIRED, "gangplank:dualstack": "true", "gangplank:monitorInterval": "60",
                               "gangplank:monitorAlertContactIds": "[12, 13]"}, "Pulumi.dev.yaml")
    assert settings.dualstack is True
    assert settings.monitor_interval == 60
    assert settings.monitor_alert_contact_ids == [12, 13]


def test_missing_required_keys_are_all_named(monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    found = problems({})
    assert len(found) == 4
    for key in REQUIRED:
        assert any(line.startswith(f"Pulumi.dev.yaml: config '{key}': required") for line in found), found
    assert f"Pulumi.dev.yaml: config '{key}': required; set it with `pulumi config set {key} <value>`" in found


def test_private_domain_must_be_under_public_domain():
    [message] = problems({**REQUIRED, "gangplank:privateDomain": "internal.example.org"})
    assert "must be a subdomain of publicDomain 'dev.example.com'" in message


def test_private_load_balancer_never_open_to_the_world():
    [message] = problems({**REQUIRED, "gangplank:privateAllowedCidrs": '["0.0.0.0/0"]'})
    assert "must not contain '0.0.0.0/0'" in message


def test_unknown_key_is_a_typo():
    [message] = problems({**REQUIRED, "gangplank:publicDomian": "x.example.com"})
    assert "config 'gangplank:publicDomian': unknown key" in message


def test_bad_value_names_key_and_line(tmp_path):
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  gangplank:publicDomain: dev.example.com\n  gangplank:monitorInterval: 5\n")
    [message] = problems({**REQUIRED, "gangplank:monitorInterval": "5"}, load_yaml(str(path)))
    assert message.startswith("Pulumi.dev.yaml:3: config 'gangplank:monitorInterval': ")


def test_other_namespaces_are_not_ours():
    assert parse_settings({**REQUIRED, "aws:region": "eu-west-1"}, "Pulumi.dev.yaml").public_domain


def test_api_key_is_never_shown():
    settings = parse_settings({**REQUIRED, "gangplank:uptimerobotApiKey": "ur-very-secret"}, "Pulumi.dev.yaml",
                              secret_keys=["gangplank:uptimerobotApiKey"])
    assert "ur-very-secret" not in repr(settings) and "ur-very-secret" not in str(settings)


def test_every_key_is_documented_in_the_reference():
    reference = read_doc("configuration.md")
    for key, doc in config_keys().items():
        assert doc, f"{key} has no docstring"
        assert re.search(rf"`{re.escape(key)}`", reference), f"docs/configuration.md does not document {key}"


@pytest.mark.parametrize("template", ["{name}.{stack}", "{app}", "{name}_x"])
def test_host_template_must_make_a_label(template):
    [message] = problems({**REQUIRED, "gangplank:hostTemplate": template})
    assert "config 'gangplank:hostTemplate'" in message and "hostTemplate" in message


@pytest.mark.parametrize("version, reason", [("2.5.0", "too old"), ("^2.6", "exact version")])
def test_controller_chart_version_is_checked_before_anything_is_declared(version, reason):
    [message] = problems({**REQUIRED, "gangplank:controllerChartVersion": version})
    assert message.startswith("Pulumi.dev.yaml: config 'gangplank:controllerChartVersion': ")
    assert reason in message


@pytest.mark.parametrize("template", ["{name:.3}", "{name[2]}", "{name!r}", "{name.upper}", "{name:>999999999}",
                                      "{name", "{}", "{0}"])
def test_host_template_takes_names_as_they_are(template):
    [message] = problems({**REQUIRED, "gangplank:hostTemplate": template})
    assert "may use only {name} and {stack}, as they are" in message


@pytest.mark.parametrize("key", ["publicZoneId", "privateZoneId", "parentZoneId"])
@pytest.mark.parametrize("zone_id, says", [("Z123abc", "not a Route53 hosted zone id"), ("parent", "not a Route53"),
                                           ("/hostedzone/Z0123", "give the id alone: 'Z0123'"),
                                           ("Z" + "1" * 32, "not a Route53")])
def test_zone_ids_are_route53_zone_ids(key, zone_id, says):
    found = problems({**REQUIRED, f"gangplank:{key}": zone_id})
    assert any(f"config 'gangplank:{key}': '{zone_id}'" in line and says in line for line in found), found


def test_a_plaintext_api_key_is_refused_without_showing_it():
    [message] = problems({**REQUIRED, "gangplank:uptimerobotApiKey": "ur-very-secret"})
    assert "config 'gangplank:uptimerobotApiKey': is stored in plain text" in message
    assert "pulumi config set --secret gangplank:uptimerobotApiKey" in message and "ur-very-secret" not in message


def test_a_secret_value_is_never_shown_in_a_problem():
    found = problems({**REQUIRED, "gangplank:publicDomain": "offline-placeholder-secret"},
                     secret_keys=["gangplank:publicDomain"])
    assert found == ["Pulumi.dev.yaml: config 'gangplank:publicDomain': invalid value (not shown: it is secret); "
                     "expected: Public DNS domain of the environment (required), e.g. `dev.example.com`"]


def test_bad_values_are_quoted():
    [message] = problems({**REQUIRED, "gangplank:controllerReplicas": "many"})
    assert "(got 'many')" in message


@pytest.mark.parametrize("key, guess", [("gangplank:monitorIntervall", "did you mean 'gangplank:monitorInterval'?"),
                                        ("gangplnk:vpcId", "did you mean 'gangplank:vpcId'?"),
                                        ("kubernets:context", "did you mean 'kubernetes:context'?"),
                                        ("nonamespace", "keys are 'namespace:key'")])
def test_typos_in_keys_and_namespaces_get_a_hint(key, guess):
    [message] = problems({**REQUIRED, key: "x"})
    assert f"config '{key}': unknown" in message and guess in message


def test_missing_region_is_fine_when_the_environment_has_it():
    raw = {key: value for key, value in REQUIRED.items() if key != "aws:region"}
    assert parse_settings(raw, "Pulumi.dev.yaml", environ={"AWS_REGION": "eu-west-1"}).public_domain
    [message] = problems(raw, environ={})
    assert message.startswith("Pulumi.dev.yaml: config 'aws:region': required by pulumi-aws")


def test_region_must_look_like_one():
    [message] = problems({**REQUIRED, "aws:region": "Ireland"})
    assert "'Ireland' is not an AWS region" in message


@pytest.mark.parametrize("cidrs, says", [
    ('["0.0.0.0/1", "128.0.0.0/1"]', "'0.0.0.0/1' is wider than /8"),
    ('["::/1", "8000::/1"]', "'::/1' is wider than /32"),
    ('["0.0.0.0/2"]', "wider than /8"),
    ('["8.0.0.0/9", "8.128.0.0/9", "9.0.0.0/9"]', "25,165,824 public addresses together, more than one /8"),
    ('["2001:db8::/33", "2001:db8:8000::/33", "2001:db9::/33"]', "more than one /32"),
    ('["0.0.0.0/0"]', "must not contain '0.0.0.0/0'"),
    ('["::/0"]', "must not contain '::/0'"),
])
def test_private_allow_list_is_not_the_internet_in_pieces(cidrs, says):
    found = problems({**REQUIRED, "gangplank:privateAllowedCidrs": cidrs})
    assert any(says in line for line in found), found


@pytest.mark.parametrize("cidrs", ['["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]',
                                   '["17.0.0.0/8"]', '["fc00::/7", "2001:db8::/32"]'])
def test_private_ranges_and_one_large_block_are_fine(cidrs):
    assert parse_settings({**REQUIRED, "gangplank:privateAllowedCidrs": cidrs}, "Pulumi.dev.yaml")


def test_edge_allow_lists_are_bounded_too():
    edges = '{"partners": {"visibility": "public", "allowedCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}}'
    found = problems({**REQUIRED, "gangplank:edges": edges})
    assert any("field 'partners.allowedCidrs[0]': '0.0.0.0/1' is wider than /8" in line for line in found), found


@pytest.mark.parametrize("domain", ["dev.example.com\n", "dev.\u212aexample.com", "dev..example.com"])
def test_domains_are_full_matches_in_ascii(domain):
    [message] = problems({**REQUIRED, "gangplank:publicDomain": domain})
    assert "config 'gangplank:publicDomain'" in message and "\n" not in message


def test_edge_names_are_full_matches():
    [message] = problems({**REQUIRED, "gangplank:edges": '{"partners\\n": {"visibility": "public"}}'})
    assert "'partners\\n' is not a DNS label" in message


def test_pulumi_up_refuses_a_stack_file_the_planner_refuses(tmp_path, monkeypatch):
    from components.inputs.settings_parsing import read_stack_yaml

    monkeypatch.chdir(tmp_path)
    assert read_stack_yaml("Pulumi.dev.yaml") is None  # no file: Pulumi holds the config
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  gangplank:monitorInterval: 0120\n")
    with pytest.raises(InputError) as caught:
        read_stack_yaml("Pulumi.dev.yaml")
    [problem] = caught.value.problems
    assert str(problem).startswith("Pulumi.dev.yaml:2: config 'gangplank:monitorInterval': '0120' is the number 80")


@pytest.mark.parametrize("raw, name", [
    ({"kubernetes:context": "arn:aws:eks:eu-west-1:111122223333:cluster/dev"}, "dev"),
    ({"kubernetes:context": "arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/Prod_2"}, "Prod_2"),
    ({"kubernetes:context": "arn:aws:eks:eu-west-1:111122223333:cluster/dev", "gangplank:clusterName": "blue"}, "blue"),
    ({"kubernetes:context": "my-laptop-context"}, None),
    ({}, None),
])
def test_the_cluster_name_comes_from_the_eks_context_unless_set(raw, name):
    """The example stacks name their cluster only in `kubernetes:context` (`aws eks update-kubeconfig`'s ARN)."""
    assert parse_settings({**REQUIRED, **raw}, "Pulumi.dev.yaml").cluster_name == name


def test_every_example_stack_knows_its_cluster():
    for stack in ("dev", "staging", "prod"):
        config = load_yaml(str(ROOT / f"Pulumi.{stack}.yaml"))["config"]
        raw = {key: value if isinstance(value, str) else str(value) for key, value in config.items()
               if not isinstance(value, dict | list)}
        assert parse_settings({**REQUIRED, **raw}, f"Pulumi.{stack}.yaml").cluster_name == stack


def test_a_cluster_name_eks_would_refuse_is_an_error():
    assert "clusterName" in problems({**REQUIRED, "gangplank:clusterName": "-bad name"})[0]
