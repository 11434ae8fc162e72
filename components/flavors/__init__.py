"""Ingress controller flavors: one module per product, the shared traffic design in `traffic`.

A flavor turns an app's intent (`traffic.AppIntent`) into its product's annotations and Secret
formats, and a controller's spec into Helm values. A third flavor is one new module that
implements `traffic.Flavor`, registered in `FLAVORS` below.
"""

from __future__ import annotations

from components.flavors.ingress_nginx import IngressNginxFlavor
from components.flavors.nginx_inc import NginxIncFlavor
from components.flavors.traffic import Flavor

FLAVORS: dict[str, Flavor] = {flavor.name: flavor for flavor in (NginxIncFlavor(), IngressNginxFlavor())}


def get_flavor(name: str) -> Flavor:
    """The flavor called `name` (config `gangplank:flavor`)."""
    try:
        return FLAVORS[name]
    except KeyError:
        raise ValueError(f"unknown ingress controller flavor {name!r}; known: {', '.join(sorted(FLAVORS))}") from None
