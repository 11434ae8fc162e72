"""`--rehearse`: the plan's AWS resources replayed into moto, with AWS's rules where moto is laxer."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from planner.__main__ import main
from planner.mocks.monitor import Registration
from planner.mocks.network import MOCK_VPC_CIDR
from planner.rehearse import Line, rehearse, rehearse_run
from tests.conftest import FLAVORS, STACKS


def registrations(cached_run: Any, stack: str = "dev") -> list[Registration]:
    run = cached_run(stack, "nginx-inc", "plan")
    return copy.deepcopy([*run.monitor.registrations, *run.monitor.read_registrations])


def replay(regs: list[Registration]) -> dict[str, Line]:
    return {line.resource: line for line in rehearse(regs, "eu-west-1", MOCK_VPC_CIDR)}


def named(regs: list[Registration], name: str) -> Registration:
    return next(r for r in regs if r.name == name)


def twin(regs: list[Registration], name: str, new_name: str, **inputs: Any) -> Registration:
    """A second resource like `name` (same inputs unless overridden), declared after it."""
    original = named(regs, name)
    copy_ = copy.deepcopy(original)
    copy_.name, copy_.urn = new_name, original.urn.rsplit("::", 1)[0] + "::" + new_name
    copy_.inputs.update(inputs)
    copy_.dependencies = sorted({*copy_.dependencies, original.label})
    regs.append(copy_)
    return copy_


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_example_stack_is_accepted(cached_run, stack, flavor):
    lines = rehearse_run(cached_run(stack, flavor, "plan"))
    rejected = [str(line) for line in lines if line.outcome == "rejected"]
    assert rejected == []
    accepted = {line.resource.split(" (")[0] for line in lines if line.outcome == "accepted"}
    # Every AWS resource was replayed, the NLBs the Load Balancer Controller builds included.
    run = cached_run(stack, flavor, "plan")
    aws = {r.label for r in run.monitor.registrations if r.type.startswith("aws:")}
    assert aws <= accepted
    nlbs = [line for line in lines if "Load Balancer Controller builds it" in line.resource]
    edges = run.outputs["platform"]["edges"]  # public and private; dev also labs (Envoy Gateway)
    assert len(nlbs) == len(edges) == (3 if stack == "dev" else 2)
    assert all("TLS:443" in line.detail and "TCP:80" in line.detail for line in nlbs)
    internet = next(line for line in nlbs if "platform-public-release" in line.resource)
    assert internet.detail.startswith("internet-facing")
    assert all(line.detail for line in lines)


RECORD = "aws:route53/record:Record"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def nlb(lines: dict[str, Line], release: str) -> Line:
    return next(line for key, line in lines.items() if key.startswith(f"kubernetes:helm.sh/v3:Release::{release} ("))


@pytest.fixture(scope="module")
def broken_records(cached_run: Any) -> dict[str, Line]:
    """One replay of dev with a broken record (or rule) per rule checked; each touches another resource."""
    regs = registrations(cached_run)
    # `shopdev.example.com` ends with `dev.example.com` as a string (so the provider appends no zone
    # name, and moto accepts it), but is not inside the zone.
    named(regs, "shop.dev.example.com-a-owner").inputs["name"] = "shopdev.example.com"
    named(regs, "docs.dev.example.com-a-owner").inputs["name"] = "a-docs"  # relative: the zone's name is appended
    twin(regs, "partner-api.dev.example.com-a-owner", "create-again")
    twin(regs, "preview.dev.example.com-a-owner", "upsert-again", allowOverwrite=True)
    twin(regs, "grafana.internal.dev.example.com-a-owner", "cname", type="CNAME", records=["elsewhere.example.com"])
    named(regs, "admin.internal.dev.example.com-a-owner").inputs["records"] = ["x" * 256]
    named(regs, "deploy.internal.dev.example.com-a-owner").inputs["records"] = ["x" * 255 + '" "' + "y" * 10]
    named(regs, "shop.dev.example.com-a").inputs["aliases"][0]["name"] = "k8s-nope-nope.elb.eu-west-1.amazonaws.com"
    named(regs, "docs.dev.example.com-a").inputs["aliases"][0]["zoneId"] = "Z35SXDOTRQ7X7K"  # an ALB's zone id
    named(regs, "dashboard.internal.dev.example.com-a-owner").inputs["zoneId"] = "Z0PARENT0ZONE0ID0000"
    twin(regs, "platform-public-sg-in-80-ipv4-0-0-0-0-0", "same-rule-again")
    return replay(regs)


@pytest.fixture(scope="module")
def broken_platform(cached_run: Any) -> dict[str, Line]:
    """A security group description AWS refuses (public), an NLB scheme it does not know (private)."""
    regs = registrations(cached_run)
    named(regs, "platform-public-sg").inputs["description"] = "gangplank öffentlicher NLB"
    annotations = named(regs, "platform-private-release").inputs["values"]["controller"]["service"]["annotations"]
    annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] = "public"
    return replay(regs)


@pytest.fixture(scope="module")
def broken_validation(cached_run: Any) -> dict[str, Line]:
    """The public certificate's validation misses its record; the private one's is in the private zone."""
    regs = registrations(cached_run)
    named(regs, "platform-certificates-public-validated").inputs["validationRecordFqdns"] = ["_other.dev.example.com"]
    named(regs, "platform-certificates-private-validation").inputs["zoneId"] = named(regs, "platform-zones-private").id
    return replay(regs)


def test_a_record_name_outside_the_zone_at_a_label_boundary_is_rejected(broken_records):
    line = broken_records[f"{RECORD}::shop.dev.example.com-a-owner"]
    assert line.outcome == "rejected"
    assert "RRSet with DNS name shopdev.example.com. is not permitted in zone dev.example.com." in line.detail


def test_a_relative_record_name_is_expanded_like_the_provider(broken_records):
    line = broken_records[f"{RECORD}::docs.dev.example.com-a-owner"]
    assert line.outcome == "accepted" and "a-docs.dev.example.com" in line.detail


def test_create_of_an_existing_record_is_rejected_and_upsert_is_not(broken_records):
    line = broken_records[f"{RECORD}::create-again"]
    assert line.outcome == "rejected"
    assert ("Tried to create resource record set [name='a-partner-api.dev.example.com.', type='TXT'] but it "
            "already exists") in line.detail
    line = broken_records[f"{RECORD}::upsert-again"]
    assert line.outcome == "accepted" and line.detail.startswith("UPSERT")


def test_a_cname_beside_another_record_is_rejected(broken_records):
    line = broken_records[f"{RECORD}::cname"]
    assert line.outcome == "rejected" and "conflicting RRSet of type TXT" in line.detail


def test_a_txt_string_over_255_characters_is_rejected(broken_records):
    line = broken_records[f"{RECORD}::admin.internal.dev.example.com-a-owner"]
    assert line.outcome == "rejected" and "CharacterStringTooLong" in line.detail
    # Several strings of at most 255 characters each are fine.
    assert broken_records[f"{RECORD}::deploy.internal.dev.example.com-a-owner"].outcome == "accepted"


def test_an_alias_to_a_load_balancer_that_does_not_exist_is_rejected(broken_records):
    line = broken_records[f"{RECORD}::shop.dev.example.com-a"]
    assert line.outcome == "rejected" and "the alias target name does not lie within the target zone" in line.detail
    assert broken_records[f"{RECORD}::docs.dev.example.com-a"].outcome == "rejected"  # right name, wrong zone
    assert broken_records[f"{RECORD}::partner-api.dev.example.com-a"].outcome == "accepted"


def test_a_record_in_a_zone_outside_the_plan_is_skipped_with_why(broken_records):
    line = broken_records[f"{RECORD}::dashboard.internal.dev.example.com-a-owner"]
    assert line.outcome == "skipped" and "not in this plan" in line.detail


def test_a_duplicate_security_group_rule_is_rejected(broken_records):
    line = broken_records[f"{INGRESS_RULE}::same-rule-again"]
    assert line.outcome == "rejected" and "InvalidPermission.Duplicate" in line.detail


def test_a_security_group_description_aws_refuses_is_rejected(broken_platform):
    assert broken_platform[f"{SG}::platform-public-sg"].outcome == "rejected"
    # Its rules and the NLB that uses it fail too, as they would in AWS.
    assert broken_platform[f"{INGRESS_RULE}::platform-public-sg-in-80-ipv4-0-0-0-0-0"].outcome == "rejected"
    line = nlb(broken_platform, "platform-public-release")
    assert line.outcome == "rejected" and "security groups are invalid" in line.detail


def test_an_nlb_scheme_the_controller_does_not_know_is_rejected(broken_platform):
    line = nlb(broken_platform, "platform-private-release")
    assert line.outcome == "rejected" and "Value 'public' at 'scheme'" in line.detail


def test_a_certificate_whose_validation_record_is_missing_is_rejected(broken_validation):
    line = broken_validation[f"{VALIDATION}::platform-certificates-public-validated"]
    assert line.outcome == "rejected"
    assert re.search(r"missing (\*\.)?dev\.example\.com DNS validation record: _\w+\.dev\.example\.com", line.detail)
    # A listener takes only an issued certificate.
    line = nlb(broken_validation, "platform-public-release")
    assert line.outcome == "rejected" and "UnsupportedCertificate" in line.detail


def test_validation_records_written_to_the_private_zone_do_not_validate(broken_validation):
    line = broken_validation[f"{VALIDATION}::platform-certificates-private-validated"]
    assert line.outcome == "rejected" and "no public zone that public DNS reaches answers" in line.detail


def test_cli_rehearse(capsys):
    assert main(["--stack", "prod", "--rehearse"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("AWS would accept every resource.")
    assert "skipped   kubernetes:networking.k8s.io/v1:Ingress::shop-ingress: not an AWS resource" in out


def test_a_public_zone_nothing_delegates_to_cannot_validate(cached_run):
    # The old replay answered ACM from every replayed zone, delegated or not: an undelegated first
    # deploy "passed" here and then hung for the validation timeout in a real `pulumi up`.
    regs = [r for r in registrations(cached_run) if r.name != "platform-zones-delegation"]
    lines = replay(regs)
    for name in ("platform-certificates-public-validated", "platform-certificates-private-validated"):
        line = lines[f"{VALIDATION}::{name}"]
        assert line.outcome == "rejected"
        assert "no public zone that public DNS reaches" in line.detail and "gangplank:parentZoneId" in line.detail
    by_hand = {line.resource: line for line in rehearse(regs, "eu-west-1", MOCK_VPC_CIDR, delegated_by_hand=True)}
    assert by_hand[f"{VALIDATION}::platform-certificates-public-validated"].outcome == "accepted"


def test_a_delegation_must_name_the_zones_own_name_servers(cached_run):
    regs = registrations(cached_run)
    delegation = named(regs, "platform-zones-delegation")
    delegation.inputs["records"] = ["ns-1.elsewhere.example.net", "ns-2.elsewhere.example.net"]
    assert replay(regs)[f"{VALIDATION}::platform-certificates-public-validated"].outcome == "rejected"


LISTENER = "service.beta.kubernetes.io/aws-load-balancer-listener-attributes."


@pytest.fixture(scope="module")
def load_balancer_settings(cached_run: Any) -> dict[str, Any]:
    """The public NLB with its own settings as the program writes them; the private one with values AWS refuses and
    the replay used to accept (it set no listener attributes, and moto takes any)."""
    from components.inputs.load_balancer import LoadBalancerSettings, with_load_balancer_settings

    regs = registrations(cached_run)
    public = named(regs, "platform-public-release").inputs["values"]["controller"]["service"]["annotations"]
    settings = LoadBalancerSettings.model_validate({
        "idleTimeout": 1800, "accessLogs": {"bucket": "acme-nlb-logs", "prefix": "dev"}, "deletionProtection": True,
        "tags": {"team": "platform", "cost-centre": "4711"}, "deregistrationDelay": 300})
    public.update(with_load_balancer_settings(public, settings))
    cases = {}
    for case, extra in (("tls", {LISTENER + "TLS-443": "tcp.idle_timeout.seconds=1800"}),
                        ("short", {LISTENER + "TCP-80": "tcp.idle_timeout.seconds=30"}),
                        ("long", {LISTENER + "TCP-80": "tcp.idle_timeout.seconds=6001"}),
                        ("tags", {"service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags":
                                  ",".join(f"k{i}=v" for i in range(48))})):
        broken = copy.deepcopy(regs)
        named(broken, "platform-private-release").inputs["values"]["controller"]["service"]["annotations"].update(extra)
        cases[case] = nlb(replay(broken), "platform-private-release")
    return {"accepted": nlb(replay(regs), "platform-public-release"), **cases}


def test_the_nlbs_own_settings_are_applied_to_the_emulated_nlb(load_balancer_settings):
    line = load_balancer_settings["accepted"]
    assert line.outcome == "accepted"
    assert line.detail.endswith("; idle timeout 1800 s (TCP-80), access logs s3://acme-nlb-logs/dev, deletion "
                                "protection, 2 tags")


@pytest.mark.parametrize(("case", "refusal"), [
    ("tls", "cannot be modified on a TLS listener (TLS-443)"), ("short", "value '30' must be between '60-6000'"),
    ("long", "value '6001' must be between '60-6000'"), ("tags", "48 additional tags and the controller's 3"),
])
def test_listener_attributes_and_tags_aws_refuses_are_rejected(load_balancer_settings, case, refusal):
    line = load_balancer_settings[case]
    assert line.outcome == "rejected" and refusal in line.detail


def test_an_app_stacks_records_go_into_its_platforms_zones(capsys):
    """The platform's plan is replayed first (it is deployed first): the app stack's records are checked in its
    zones, not skipped as records of zones outside the plan; only the app stack's own lines are shown."""
    assert main(["--stack", "prod-web", "--rehearse"]) == 0
    out = capsys.readouterr().out
    records = [line for line in out.splitlines() if "aws:route53/record:Record::" in line]
    assert records and all(line.startswith("accepted") for line in records), out
    assert "platform-zones" not in out and "not in this plan" not in out
