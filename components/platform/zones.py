"""Zones: the stack's public hosted zone and its private (VPC-only) twin."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.inputs.catalog import Visibility


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


def zone_options(parent: pulumi.Resource, adopt_id: str | None) -> pulumi.ResourceOptions:
    """Zones are protected: deleting one takes every app of the stack off the internet.

    Adopting imports the zone into the stack (then it is managed and protected like a created
    one); its comment is left as it was, so the import does not fail on a differing comment.
    """
    if adopt_id:
        return pulumi.ResourceOptions(parent=parent, protect=True, import_=adopt_id, ignore_changes=["comment"])
    return pulumi.ResourceOptions(parent=parent, protect=True)


class Zones(pulumi.ComponentResource):
    """Public and private Route53 hosted zones of one stack."""

    public_zone_id: pulumi.Output[str]
    private_zone_id: pulumi.Output[str]
    public_name_servers: pulumi.Output[list[str]]

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
        self.public_zone_id = public.zone_id
        self.private_zone_id = private.zone_id
        self.public_name_servers = public.name_servers
        self.register_outputs({
            "public_zone_id": self.public_zone_id,
            "private_zone_id": self.private_zone_id,
            "public_name_servers": self.public_name_servers,
        })

    def zone_id(self, visibility: Visibility) -> pulumi.Output[str]:
        """The zone an app of this visibility gets its DNS records in."""
        return self.public_zone_id if visibility == "public" else self.private_zone_id
