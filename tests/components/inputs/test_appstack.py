"""An app stack's own keys, and every role refusing the keys that are not its own."""

from __future__ import annotations

import pytest

from components.inputs.appstack import AppStackSettings, parse_stack_settings
from components.inputs.problems import InputError
from components.inputs.settings_parsing import parse_settings
from tests.conftest import ROOT

REQUIRED = {"aws:region": "eu-west-1", "gangplank:publicDomain": "dev.example.com",
            "gangplank:vpcId": "vpc-0a1b2c3d4e5f60718", "gangplank:privateAllowedCidrs": '["10.10.0.0/16"]'}


def problems(raw: dict[str, str]) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_settings(raw, "Pulumi.dev.yaml")
    return [str(p) for p in caught.value.problems]

APP_STACK = {"aws:region": "eu-west-1", "gangplank:role": "apps",
             "gangplank:platformStack": "acme/gangplank/prod-platform", "gangplank:appsFile": "apps.d"}


def test_an_app_stack_sets_only_its_own_keys():
    own = parse_stack_settings({**APP_STACK, "gangplank:teams": '["web", "api"]'}, "Pulumi.prod-web.yaml")
    assert isinstance(own, AppStackSettings)
    assert (own.platform_stack, own.teams, own.apps_file) == ("acme/gangplank/prod-platform", ["web", "api"], "apps.d")
    with pytest.raises(InputError) as caught:
        parse_stack_settings({**APP_STACK, "gangplank:publicDomain": "x.example.com",
                              "gangplank:teams": '["web", "web"]'}, "Pulumi.prod-web.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "Pulumi.prod-web.yaml: config 'gangplank:publicDomain': belongs to the platform: an app stack reads it from "
        "its platform stack's contract (gangplank:platformStack); set it on the platform stack",
        "Pulumi.prod-web.yaml: config 'gangplank:teams': 'web' is listed twice"]


def test_an_app_stack_names_its_platform_fully():

    with pytest.raises(InputError) as caught:
        parse_stack_settings({**APP_STACK, "gangplank:platformStack": "prod-platform"}, "Pulumi.prod-web.yaml")
    [problem] = caught.value.problems
    assert "is not a fully qualified stack name '<organization>/<project>/<stack>'" in str(problem)
    without = {key: value for key, value in APP_STACK.items() if key != "gangplank:platformStack"}
    with pytest.raises(InputError) as caught:
        parse_stack_settings(without, "Pulumi.prod-web.yaml")
    assert "config 'gangplank:platformStack': required in an app stack" in str(caught.value.problems[0])


def test_app_stack_keys_are_refused_elsewhere():
    found = problems({**REQUIRED, "gangplank:role": "platform", "gangplank:teams": '["web"]',
                      "gangplank:appsFile": "apps.d"})
    assert found == [
        "Pulumi.dev.yaml: config 'gangplank:appsFile': a platform stack declares no app, so it reads no catalogue; "
        "set it on its app stacks",
        "Pulumi.dev.yaml: config 'gangplank:teams': applies to app stacks only (gangplank:role: apps); this stack's "
        "role is 'platform'"]


def test_the_role_is_one_of_three():
    [message] = problems({**REQUIRED, "gangplank:role": "team"})
    assert message.startswith("Pulumi.dev.yaml: config 'gangplank:role': Input should be 'all', 'platform' or 'apps'")


def test_every_example_stack_file_validates():
    """Every Pulumi.<stack>.yaml of the checkout, whatever its role (an app stack: its own keys)."""
    from components.inputs.settings_parsing import known_stacks, read_stack_yaml
    from planner.stackconfig import read_stack_config

    for stack in known_stacks(ROOT):
        config = read_stack_config(stack, ROOT)
        parse_stack_settings(config.values, f"Pulumi.{stack}.yaml", read_stack_yaml(str(ROOT / f"Pulumi.{stack}.yaml")),
                             secret_keys=config.secret_keys)


def test_the_whole_settings_of_an_app_stack_come_from_its_platform():
    """`parse_settings` (what a platform's or an `all` stack's config becomes) refuses an app stack's config."""
    [message] = problems(APP_STACK)
    assert message.startswith("Pulumi.dev.yaml: config 'gangplank:role': an app stack's settings come from its "
                              "platform's contract")
