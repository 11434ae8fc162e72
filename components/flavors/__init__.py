"""Controller flavors: one module per product, the shared traffic design in `traffic`.

A flavor is of one of two kinds. An Ingress flavor (`traffic.Flavor`) turns an app's intent
(`app_intent.AppIntent`) into its product's annotations and Secret formats, and a controller's spec into
Helm values. A Gateway API flavor (`gateway_api.GatewayFlavor`) installs a Gateway per edge and turns
the same intent into HTTPRoute filters and its implementation's policies. A new flavor is one new
module that implements either protocol, registered in `FLAVORS` below.
"""

from __future__ import annotations

from typing import TypeAlias

from components.flavors.envoy_gateway import EnvoyGatewayFlavor
from components.flavors.gateway_api import GatewayFlavor
from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import Flavor

AnyFlavor: TypeAlias = Flavor | GatewayFlavor
FLAVORS: dict[str, AnyFlavor] = {flavor.name: flavor for flavor in (NginxIncFlavor(), IngressNginxFlavor(),
                                                                      EnvoyGatewayFlavor())}


def get_flavor(name: str) -> AnyFlavor:
    """The flavor called `name` (config `gangplank:flavor`)."""
    try:
        return FLAVORS[name]
    except KeyError:
        raise ValueError(f"unknown ingress controller flavor {name!r}; known: {', '.join(sorted(FLAVORS))}") from None


def is_gateway(flavor: AnyFlavor) -> bool:
    """Whether the flavor renders Gateway API routes rather than Ingresses."""
    return flavor.kind == "gateway"
