"""Zones: the stack's public hosted zone, its private (VPC-only) twin, and the public zone's delegation."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.inputs.settings import Visibility
from components.platform.certificates import VALIDATION_TIMEOUT

DELEGATION_TTL = 3600
"""Seconds resolvers keep the delegation: short enough to fix a mistake within the hour."""
OTHERS_OWN = ["comment", "tags", "vpcs"]
"""What an adopted zone keeps as its owner set it: other tools' tags, other VPCs' associations."""


@dataclass(frozen=True)
class ZonesArgs:
    """What the two hosted zones are made of."""

    public_domain: str
    """Domain of the public zone, e.g. `dev.example.com`."""
    private_domain: str
    """Domain of the private zone, a subdomain of `public_domain` (split horizon)."""
    vpc_id: str
    """VPC the private zone answers in."""
    stack: str
    """Stack name, recorded in the zones' comments."""
    public_zone_id: str | None = None
    """Adopt this existing public zone instead of creating one."""
    private_zone_id: str | None = None
    """Adopt this existing private zone instead of creating one."""
    parent_zone_id: str | None = None
    """Zone of the parent domain: a created public zone is delegated from it (NS record)."""
    parent_zone_role_arn: str | None = None
    """Role to assume for writing the delegation when the parent zone is in another AWS account."""
    public_zone_delegated: bool = False
    """The parent already delegates to the public zone this stack created (set up by hand)."""


def zone_options(parent: pulumi.Resource, adopt_id: str | None) -> pulumi.ResourceOptions:
    """Zones are protected: deleting one takes every app of the stack off the internet.

    An adopted zone is someone else's: the import leaves what others own alone (its comment, its
    tags, the VPCs associated with a private zone), and it is retained when the stack lets go of
    it, so an unprotect and destroy never deletes a zone this stack did not create.
    """
    if adopt_id:
        return pulumi.ResourceOptions(parent=parent, protect=True, import_=adopt_id, ignore_changes=OTHERS_OWN,
                                      retain_on_delete=True)
    return pulumi.ResourceOptions(parent=parent, protect=True)


def needs_delegation(args: ZonesArgs) -> bool:
    """A public zone created by this stack answers nobody until its parent delegates to it; ACM,
    which validates the certificates through public DNS, then waits for ever."""
    return args.public_zone_id is None and not args.public_zone_delegated


class Zones(pulumi.ComponentResource):
    """Public and private Route53 hosted zones of one stack, and the public zone's delegation."""

    public_zone_id: pulumi.Output[str]
    private_zone_id: pulumi.Output[str]
    public_name_servers: pulumi.Output[list[str]]
    delegated: bool
    """Whether public DNS reaches the public zone after this run (adopted, or delegated by this program)."""
    delegation: pulumi.Resource | None
    """The NS record this program writes in the parent zone, if it writes one: ACM waits for it."""

    def __init__(self, name: str, args: ZonesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:platform:Zones", name, None, opts)
        comment = f"Managed by gangplank (stack {args.stack})"
        public = aws.route53.Zone(
            f"{name}-public",
            name=args.public_domain,
            comment=comment,
            opts=zone_options(self, args.public_zone_id),
        )
        private = aws.route53.Zone(
            f"{name}-private",
            name=args.private_domain,
            comment=comment,
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id)],
            opts=zone_options(self, args.private_zone_id),
        )
        self.delegated = not needs_delegation(args)
        self.delegation = None
        if args.public_zone_id is None and args.parent_zone_id:
            self.delegation = self._delegate(name, args, public)
            self.delegated = True
        elif needs_delegation(args):
            public.urn.apply(lambda urn: pulumi.log.warn(undelegated_zone_warning(args.public_domain, urn), public))
        self.public_zone_id = public.zone_id
        self.private_zone_id = private.zone_id
        self.public_name_servers = public.name_servers
        self.register_outputs({
            "public_zone_id": self.public_zone_id,
            "private_zone_id": self.private_zone_id,
            "public_name_servers": self.public_name_servers,
        })

    def _delegate(self, name: str, args: ZonesArgs, public: aws.route53.Zone) -> aws.route53.Record:
        """The NS record for the public domain in the parent zone, so ACM can validate in this same run."""
        provider = None
        if args.parent_zone_role_arn:
            # The parent zone lives in another account: a provider of its own, assuming that account's role.
            provider = aws.Provider(
                f"{name}-parent-account",
                region=aws.config.region,
                assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=args.parent_zone_role_arn,
                                                          session_name=f"gangplank-{args.stack}-delegation")],
                opts=pulumi.ResourceOptions(parent=self),
            )
        return aws.route53.Record(
            f"{name}-delegation",
            zone_id=args.parent_zone_id,
            name=args.public_domain,
            type="NS",
            ttl=DELEGATION_TTL,
            records=public.name_servers,
            # The delegation of our own zone: a copy someone set by hand (the old two-step setup)
            # holds the same name servers, so taking it over loses nothing.
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

    def zone_id(self, visibility: Visibility) -> pulumi.Output[str]:
        """The zone an app of this visibility gets its DNS records in."""
        return self.public_zone_id if visibility == "public" else self.private_zone_id


def undelegated_zone_warning(domain: str, zone_urn: str) -> str:
    """What to do when this stack creates a public zone that nothing delegates to."""
    return (
        f"The public zone {domain} ({zone_urn}) is created by this stack and no parent zone delegates to it: ACM "
        f"cannot validate the certificates, and `pulumi up` fails when the validation times out "
        f"(after {VALIDATION_TIMEOUT}). Either set gangplank:parentZoneId (and gangplank:parentZoneRoleArn for a "
        "parent zone in another AWS account) so that gangplank delegates the zone in the same run; or, when the "
        f"parent domain is not in your reach, create the zone first (`aws route53 create-hosted-zone --name "
        f"{domain} --caller-reference $(date +%s)`), have its name servers set as NS records at the parent, and "
        "adopt it with gangplank:publicZoneId; or, if the parent already delegates to this zone, set "
        "gangplank:publicZoneDelegated to true."
    )
