"""Certificates: one ACM certificate per zone (apex + wildcard), validated through DNS.

Both are validated in the public zone: ACM is a public CA and cannot see private zones,
which is why the private domain must be a subdomain of the public one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

VALIDATION_TIMEOUT = "30m"
"""How long a first `pulumi up` waits for ACM. AWS documents that validation "can take up to 30
minutes" once the record resolves (ACM User Guide, "DNS validation"); the provider's own default,
75 minutes, would outlast the deploy job, and an undelegated zone never resolves at all."""


@dataclass(frozen=True)
class CertificatesArgs:
    """What the certificates cover and where they are validated."""

    domains: Mapping[str, str]
    """Visibility (`public`, `private`) -> the zone's domain; each gets `<domain>` and `*.<domain>`."""
    validation_zone_id: pulumi.Input[str]
    """The public zone, where ACM's validation records go."""
    resolvable_after: pulumi.Resource | None = None
    """What makes the public zone reachable from public DNS (its delegation in the parent zone), if this
    run writes it: the validation waits for it, or ACM's first lookups get an NXDOMAIN that the
    parent's resolvers cache for the zone's negative TTL."""


def certificate_names(domain: str) -> tuple[str, list[str]]:
    """The apex and the wildcard: every host one label under the zone is covered."""
    return domain, [f"*.{domain}"]


def validation_record(options: Sequence[Any], domain: str) -> dict[str, str]:
    """ACM's DNS validation record for `domain`.

    ACM gives `example.com` and `*.example.com` the same record, so one record validates
    both names; declaring it twice would make two resources fight over one DNS name.
    """
    for option in options:
        get = option.get if isinstance(option, Mapping) else lambda key, o=option: getattr(o, key)
        if get("domain_name") == domain:
            return {"name": get("resource_record_name"), "type": get("resource_record_type"),
                    "value": get("resource_record_value")}
    raise ValueError(f"ACM returned no validation record for {domain}")


class Certificates(pulumi.ComponentResource):
    """Validated ACM certificates, one per zone, for the load balancers' TLS listeners."""

    arns: dict[str, pulumi.Output[str]]
    """Visibility -> ARN of the validated certificate (it exists only once validation passed)."""

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:platform:Certificates", name, None, opts)
        self.arns = {}
        for visibility, domain in args.domains.items():
            apex, alternatives = certificate_names(domain)
            certificate = aws.acm.Certificate(
                f"{name}-{visibility}",
                domain_name=apex,
                subject_alternative_names=alternatives,
                validation_method="DNS",
                tags={"gangplank:zone": visibility},
                opts=pulumi.ResourceOptions(parent=self),
            )
            record = certificate.domain_validation_options.apply(lambda opts, d=apex: validation_record(opts, d))
            validation_record_resource = aws.route53.Record(
                f"{name}-{visibility}-validation",
                zone_id=args.validation_zone_id,
                name=record["name"],
                type=record["type"],
                records=[record["value"]],
                ttl=300,
                # ACM derives the record from the account and the domain, so an earlier certificate
                # for the same domain (in an adopted zone) left the very same CNAME: taking it over
                # changes nothing, where CREATE would fail on it.
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            validation = aws.acm.CertificateValidation(
                f"{name}-{visibility}-validated",
                certificate_arn=certificate.arn,
                validation_record_fqdns=[validation_record_resource.fqdn],
                opts=pulumi.ResourceOptions(
                    parent=self, custom_timeouts=pulumi.CustomTimeouts(create=VALIDATION_TIMEOUT),
                    depends_on=[args.resolvable_after] if args.resolvable_after is not None else None),
            )
            self.arns[visibility] = validation.certificate_arn
        self.register_outputs({"arns": self.arns})
