"""pulumi-random (a bridge of hashicorp/terraform-provider-random): what replaces a generated value.

Source: hashicorp/terraform-provider-random at ad788e23 (v3.9.0+), internal/provider/resource_password.go
`passwordSchemaV3`: every argument has a `RequiresReplace` plan modifier (`keepers`:
`RequiresReplaceIfValuesNotNull`; `override_special`: unless it goes from "" to null), so any change of
an argument generates a new password. pulumi-random v4.21 maps them to camelCase inputs.
"""

from __future__ import annotations

from planner.diff.providers import Change, ProviderDiff, replaced_by

_PASSWORD = "`{}` has RequiresReplace (terraform-provider-random resource_password.go)"
FORCE_NEW: dict[str, dict[str, str]] = {
    "random:index/randomPassword:RandomPassword": {
        key: _PASSWORD.format(attribute) for key, attribute in (
            ("keepers", "keepers"), ("length", "length"), ("special", "special"), ("upper", "upper"),
            ("lower", "lower"), ("number", "number"), ("numeric", "numeric"), ("minNumeric", "min_numeric"),
            ("minUpper", "min_upper"), ("minLower", "min_lower"), ("minSpecial", "min_special"),
            ("overrideSpecial", "override_special"))
    },
}


def diff(change: Change) -> ProviderDiff:
    """Diff of a pulumi-random resource."""
    rules = FORCE_NEW.get(change.type)
    if rules is None:
        return ProviderDiff(change.paths, unknown_rules=True)
    return ProviderDiff(change.paths, replaced_by(change, rules))
