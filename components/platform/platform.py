"""Platform: what one stack builds once and every app shares.

Two hosted zones, one certificate per zone, and twin ingress controllers (public and
private), each behind its own NLB. 100 apps cost these resources once, not 100 times.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.flavors import get_flavor
from components.flavors.traffic import Flavor
from components.inputs.catalog import Visibility
from components.inputs.settings import Settings
from components.platform.certificates import Certificates, CertificatesArgs
from components.platform.ingress_controller import IngressController, IngressControllerArgs
from components.platform.zones import Zones, ZonesArgs

VISIBILITIES: tuple[Visibility, ...] = ("public", "private")


@dataclass(frozen=True)
class PlatformArgs:
    """Inputs of the shared platform."""

    settings: Settings
    """The stack's validated settings."""
    stack: str
    """The stack (environment) name."""


class Platform(pulumi.ComponentResource):
    """Zones, certificates and the two ingress controllers of one stack."""

    flavor: Flavor
    zones: Zones
    certificates: Certificates
    controllers: dict[str, IngressController]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gangplank:platform:Platform", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.flavor = get_flavor(settings.flavor)
        self.zones = Zones(f"{name}-zones", ZonesArgs(
            public_domain=settings.public_domain,
            private_domain=str(settings.private_domain),
            vpc_id=settings.vpc_id,
            stack=args.stack,
            public_zone_id=settings.public_zone_id,
            private_zone_id=settings.private_zone_id,
        ), child)
        self.certificates = Certificates(f"{name}-certificates", CertificatesArgs(
            domains={visibility: settings.domain_for(visibility) for visibility in VISIBILITIES},
            validation_zone_id=self.zones.public_zone_id,
        ), child)
        self.controllers = {
            visibility: IngressController(f"{name}-{visibility}", IngressControllerArgs(
                visibility=visibility,
                flavor=self.flavor,
                chart_version=settings.controller_chart_version,
                vpc_id=settings.vpc_id,
                # The public controller is open to everyone by design; only the private one has a list.
                allowed_cidrs=list(settings.private_allowed_cidrs) if visibility == "private" else [],
                certificate_arn=self.certificates.arns[visibility],
                replicas=settings.controller_replicas,
                dualstack=settings.dualstack,
            ), child)
            for visibility in VISIBILITIES
        }
        self.register_outputs({
            "public_zone_id": self.zones.public_zone_id,
            "private_zone_id": self.zones.private_zone_id,
            **{f"{v}_lb_hostname": c.lb_hostname for v, c in self.controllers.items()},
        })

    def controller(self, visibility: Visibility) -> IngressController:
        return self.controllers[visibility]

    def zone_id(self, visibility: Visibility) -> pulumi.Output[str]:
        return self.zones.zone_id(visibility)
