"""Stack settings: defaults, and errors that name the stack file, the line and the key."""

from __future__ import annotations

import re

import pytest

from components.inputs.problems import InputError
from components.inputs.settings import config_keys, parse_settings
from components.inputs.yamlfile import load_yaml
from tests.conftest import ROOT

REQUIRED = {
    "aws:region": "eu-west-1",
    "gangplank:publicDomain": "dev.example.com",
    "gangplank:vpcId": "vpc-0a1b2c3d4e5f60718",
    "gangplank:privateAllowedCidrs": '["10.10.0.0/16"]',
}


def problems(raw: dict[str, str], stack_yaml=None) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_settings(raw, "Pulumi.dev.yaml", stack_yaml)
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


def test_every_key_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key, doc in config_keys().items():
        assert doc, f"{key} has no docstring"
        assert re.search(rf"`{re.escape(key)}`", readme), f"README.md does not document {key}"


@pytest.mark.parametrize("template", ["{name}.{stack}", "{app}", "{name}_x"])
def test_host_template_must_make_a_label(template):
    [message] = problems({**REQUIRED, "gangplank:hostTemplate": template})
    assert "config 'gangplank:hostTemplate'" in message and "hostTemplate" in message


@pytest.mark.parametrize("version, reason", [("2.5.0", "too old"), ("^2.6", "exact version")])
def test_controller_chart_version_is_checked_before_anything_is_declared(version, reason):
    [message] = problems({**REQUIRED, "gangplank:controllerChartVersion": version})
    assert message.startswith("Pulumi.dev.yaml: config 'gangplank:controllerChartVersion': ")
    assert reason in message
