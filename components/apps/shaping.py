"""An app's canary, stickiness and external auth: the flavors' intents made from apps.yaml, and the words a plan
shows for them. Pure functions of the resolved app (`components/flavors/shaping.py` has what each flavor makes of
the intents)."""

from __future__ import annotations

from typing import Any

from components.apps.routing import canary_takes_a_share
from components.flavors import AnyFlavor
from components.flavors.shaping import CanaryIntent, ExternalAuthIntent, StickyIntent
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.shaping import CANARY_SUFFIX


def canary_backend(app: ResolvedApp) -> tuple[str, int] | None:
    """The Service and port of the app's canary (a deployed canary's Service is `<app>-canary`); None without one."""
    canary = app.app.canary
    if canary is None:
        return None
    if canary.service is not None:
        return canary.service.name, canary.service.port
    assert canary.deploy is not None  # the catalogue guarantees exactly one of the two
    return app.name + CANARY_SUFFIX, canary.deploy.port


def canary_intent(app: ResolvedApp) -> CanaryIntent | None:
    """The app's canary in the flavors' terms."""
    canary, backend_ref = app.app.canary, canary_backend(app)
    if canary is None or backend_ref is None:
        return None
    header = canary.header
    return CanaryIntent(service=backend_ref[0], port=backend_ref[1], weight=canary.weight,
                        header=header.name if header else None, header_value=header.value if header else None,
                        header_pattern=header.pattern if header else None,
                        cookie=canary.cookie.name if canary.cookie else None)


def sticky_intent(app: ResolvedApp) -> StickyIntent | None:
    sticky = app.app.sticky
    return StickyIntent(sticky.cookie.name, sticky.cookie.max_age) if sticky is not None else None


def external_auth_intent(app: ResolvedApp) -> ExternalAuthIntent | None:
    external = app.app.external_auth
    if external is None:
        return None
    return ExternalAuthIntent(external.url, external.signin, tuple(external.response_headers))


SERVICE_PORT_NAME = "http"
"""The port name of the Service gangplank deploys in front of an app (`service_manifest`)."""


def health_port_by_name(app: ResolvedApp, flavor: AnyFlavor) -> bool:
    """Whether the health Ingress names the Service's port rather than numbering it: on a flavor that adds a canary
    to the app's whole upstream (`canary_by_upstream`), so that the monitor's location has an upstream of its own,
    without the canary's share. Only gangplank's own Service has a port name it knows."""
    return (getattr(flavor, "canary_by_upstream", False) and canary_takes_a_share(app)
            and app.app.deploy is not None)


def traffic_split(app: ResolvedApp) -> str | None:
    """Who reaches the canary, in a few words (`canary shop-next:80 10%, header X-Canary=always, cookie canary`)."""
    canary = canary_intent(app)
    if canary is None:
        return None
    rules = [f"{canary.weight}%"]
    if canary.header is not None:
        rules.append(f"header {canary.header}" + (f"={canary.header_value}" if canary.header_value is not None
                                                  else f"~{canary.header_pattern}"))
    if canary.cookie is not None:
        rules.append(f"cookie {canary.cookie}")
    return f"canary {canary.service}:{canary.port} " + ", ".join(rules)


def canary_summary(app: ResolvedApp) -> dict[str, Any]:
    """The app's split in the inventory (JSON): a weight change is a reviewable change of `weight`."""
    canary = canary_intent(app)
    assert canary is not None
    return {"backend": f"{canary.service}:{canary.port}", "weight": canary.weight, "header": canary.header,
            "headerValue": canary.header_value, "headerPattern": canary.header_pattern, "cookie": canary.cookie}


def stickiness(app: ResolvedApp) -> str | None:
    """`sticky (cookie route, 3600 s)`, or None."""
    sticky = sticky_intent(app)
    if sticky is None:
        return None
    return f"sticky (cookie {sticky.cookie}" + (f", {sticky.max_age} s)" if sticky.max_age else ", session)")
