"""pulumi-aws (a bridge of hashicorp/terraform-provider-aws): the inputs that replace each AWS type gangplank declares.

The bridge answers the engine's `Diff` with the Terraform plan: an attribute marked `ForceNew`
(SDKv2) or with a `RequiresReplace` plan modifier (plugin framework) replaces the resource when
it changes, or when it is unknown in the preview (Terraform plans "known after apply, forces
replacement"). The provider never asks to delete first, so a replacement creates the new one
first (pulumi-terraform-bridge: `DeleteBeforeReplace` only from the resource option).

Each entry cites the schema of terraform-provider-aws it mirrors (the file and the commit read).
Inputs are pulumi-aws' camelCase names of the Terraform attributes. `tags` never replace (they
are updated in place by every resource here).
"""

from __future__ import annotations

from planner.diff.providers import Change, ProviderDiff, replaced_by
from planner.resource_types import CERTIFICATE, EGRESS_RULE, INGRESS_RULE, RECORD, SECURITY_GROUP, VALIDATION, ZONE

_ROUTE53_ZONE = "terraform-provider-aws internal/service/route53/zone.go (036631a1) `ResourceZone`"
_ROUTE53_RECORD = "terraform-provider-aws internal/service/route53/record.go (00655c16) `resourceRecord`"
_ACM_CERTIFICATE = "terraform-provider-aws internal/service/acm/certificate.go (01661ea3) `resourceCertificate`"
_ACM_VALIDATION = ("terraform-provider-aws internal/service/acm/certificate_validation.go (004eea7f) "
                   "`resourceCertificateValidation`")
_SECURITY_GROUP = "terraform-provider-aws internal/service/ec2/vpc_security_group.go (01606926) `resourceSecurityGroup`"
_RULE = ("terraform-provider-aws internal/service/ec2/vpc_security_group_ingress_rule.go (00a32209) "
         "`resourceSecurityGroupIngressRule`, shared by the egress rule")


def _force_new(source: str, attributes: dict[str, str]) -> dict[str, str]:
    """Input (pulumi-aws camelCase) -> why it replaces: the Terraform attribute (named here) is `ForceNew` in
    the file `source` names. The why names no input, so that inputs replaced by one rule are listed together."""
    short = source.split("internal/service/", 1)[1].split(" ", 1)[0]
    return {key: f"ForceNew in terraform-provider-aws {short}" for key in attributes}


FORCE_NEW: dict[str, dict[str, str]] = {
    ZONE: _force_new(_ROUTE53_ZONE, {"name": "name", "delegationSetId": "delegation_set_id"}),
    # `type`, `ttl`, `records`, `aliases` and `setIdentifier` are updated in place (UPSERT; the record's
    # identity changes only through `name` and `zone_id`).
    RECORD: _force_new(_ROUTE53_RECORD, {"name": "name", "zoneId": "zone_id"}),
    CERTIFICATE: _force_new(_ACM_CERTIFICATE, {
        "certificateAuthorityArn": "certificate_authority_arn", "domainName": "domain_name",
        "keyAlgorithm": "key_algorithm", "subjectAlternativeNames": "subject_alternative_names",
        "validationMethod": "validation_method", "validationOptions": "validation_option"}),
    # No Update function: both arguments are ForceNew.
    VALIDATION: _force_new(_ACM_VALIDATION, {"certificateArn": "certificate_arn",
                                             "validationRecordFqdns": "validation_record_fqdns"}),
    # `ingress` and `egress` (inline rules) are updated in place; gangplank declares its rules as resources.
    SECURITY_GROUP: _force_new(_SECURITY_GROUP, {"description": "description", "name": "name",
                                                 "namePrefix": "name_prefix", "vpcId": "vpc_id"}),
    INGRESS_RULE: {"securityGroupId": "`security_group_id` has RequiresReplace (terraform-provider-aws "
                                      "ec2/vpc_security_group_ingress_rule.go)"},
    EGRESS_RULE: {"securityGroupId": "`security_group_id` has RequiresReplace (terraform-provider-aws "
                                     "ec2/vpc_security_group_ingress_rule.go, shared by the egress rule)"},
}
RULE_SOURCES = ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")
"""The rule's source: `ModifyPlan` replaces a rule whose kind of source changes ("When you modify a rule,
you cannot change the rule's source type"); another source of the same kind is modified in place."""


def diff(change: Change) -> ProviderDiff:
    """Diff of an AWS resource."""
    rules = FORCE_NEW.get(change.type)
    if rules is None:
        return ProviderDiff(change.paths, unknown_rules=True)
    replaces = list(replaced_by(change, rules))
    if change.type in (INGRESS_RULE, EGRESS_RULE):
        old_kind = next((key for key in RULE_SOURCES if change.old.get(key) is not None), None)
        new_kind = next((key for key in RULE_SOURCES if change.new.get(key) is not None), None)
        if old_kind != new_kind:
            replaces += [(path, f"the rule's source type changes, {old_kind} → {new_kind} (terraform-provider-aws "
                                "ec2/vpc_security_group_ingress_rule.go `ModifyPlan`)")
                         for path in change.paths if path in RULE_SOURCES]
    return ProviderDiff(change.paths, tuple(replaces))
