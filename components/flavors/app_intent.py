"""What an app wants from its controller, flavor-neutral (`AppIntent`), and what no flavor can express.

`components/apps/intent.py` states an app's intent from apps.yaml; a flavor (`traffic.Flavor`,
`gateway_api.GatewayFlavor`) turns it into its product's settings, starting its `unsupported` from
`intent_problems` and refusing what it cannot express (`refuse_unsupported`) rather than dropping a part of it.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from components.flavors.shaping import CanaryIntent, ExternalAuthIntent, StickyIntent

Visibility = Literal["public", "private"]
MergeRole = Literal["master", "minion"]


@dataclass(frozen=True)
class RateLimitIntent:
    """Per-client limits, as in apps.yaml `rateLimit`."""

    rps: int
    """Requests per second from one client IP."""
    burst: int | None
    """Requests above `rps` accepted in a burst; None means `rps`."""
    connections: int | None
    """Concurrent connections from one client IP; None means unlimited."""


@dataclass(frozen=True)
class BackendTLSIntent:
    """How the controller connects to a backend that speaks HTTPS, as in apps.yaml `service.tls` / `deploy.tls`.

    The default (no `tls`) is what both controllers do on their own: TLS without checking the backend's
    certificate and without SNI."""

    namespace: str
    """The app's namespace (where `ca_secret` lives)."""
    verify: bool = False
    """Check the backend's certificate against `ca_secret`, for the name `server_name`."""
    server_name: str | None = None
    """The name sent as SNI and checked in the certificate; None sends no SNI."""
    ca_secret: str | None = None
    """Secret in `namespace` whose `ca.crt` holds the CA certificates the backend's certificate must chain to."""


@dataclass(frozen=True)
class AppIntent:
    """What an app wants from its controller, flavor-neutral.

    With mergeable Ingresses (F5) each role takes the fields of its level and ignores the rest:
    a `master` (one per shared host, no paths) applies the host-level `hsts`; a `minion` (one per
    app) applies the app-level fields (rate limit, basic auth, allow-list, body size).
    """

    visibility: Visibility
    """Which controller serves the app."""
    https_redirect: bool
    """Redirect HTTP to HTTPS. Always done by the controller's redirect port; must be True."""
    hsts: bool
    """Send Strict-Transport-Security (public apps)."""
    rate_limit: RateLimitIntent | None
    """Per-client limits, or None."""
    basic_auth_secret: str | None
    """Name of the htpasswd Secret in the app's namespace, or None."""
    allow_cidrs: list[str] = field(default_factory=list)
    """Client allow-list; [] lets everyone who reaches the load balancer in."""
    max_body_size: str | None = None
    """Largest request body, nginx size syntax (`8m`); None keeps the controller default (1m)."""
    merge_role: MergeRole | None = None
    """`master`/`minion` for a host shared through mergeable Ingresses; None for a standalone Ingress."""
    https_backend: str | None = None
    """Name of the app's Service when it speaks HTTPS (the controller connects with TLS); None for HTTP."""
    exact_paths: bool = False
    """The Ingress's paths match exactly (`pathType: Exact`), not as prefixes: the health-path Ingress."""
    backend_tls: BackendTLSIntent | None = None
    """Certificate checks and SNI towards an HTTPS backend (`https_backend`); None keeps the controller default."""
    canary: CanaryIntent | None = None
    """A second backend for a share of the requests (`shaping.py`); None for none."""
    sticky: StickyIntent | None = None
    """Session affinity by cookie; None for none."""
    external_auth: ExternalAuthIntent | None = None
    """An external authentication service asked about every request; None for none."""


@functools.lru_cache(maxsize=1024)
def cidr_problem(cidr: str) -> str | None:
    """Why `cidr` is no network address (None when it is one). An estate's allow-lists repeat a few ranges (offices,
    VPNs) over thousands of apps, and every flavor check of every app asks again."""
    try:
        ipaddress.ip_network(cidr, strict=True)
    except ValueError as err:
        return str(err)
    return None


def intent_problems(intent: AppIntent) -> list[tuple[str, str]]:
    """What no flavor can express, whatever the product (`Flavor.unsupported` starts from this)."""
    found = []
    if not intent.https_redirect:
        # The redirect lives in the controller (port split), not in annotations: plain HTTP is
        # never served, so there is nothing to turn off per app.
        found.append(("https_redirect", "gangplank never serves apps over plain HTTP"))
    if intent.rate_limit is not None and intent.rate_limit.rps < 1:
        found.append(("rate_limit.rps", f"rps must be at least 1, not {intent.rate_limit.rps}"))
    for cidr in intent.allow_cidrs:
        problem = cidr_problem(cidr)
        if problem is not None:
            found.append(("allow_cidrs", problem))
    tls = intent.backend_tls
    if tls is not None and intent.https_backend is None:
        found.append(("backend_tls", "TLS settings apply to a backend that speaks HTTPS (protocol: HTTPS)"))
    if tls is not None and tls.verify and tls.ca_secret is None:
        # nginx checks an upstream certificate only against proxy_ssl_trusted_certificate, which has no default
        # (nginx docs, ngx_http_proxy_module): without a CA every check fails.
        found.append(("backend_tls.verify", "verify needs caSecret, the CA certificates to check the backend against"))
    return found


def refuse_unsupported(flavor: str, problems: list[tuple[str, str]]) -> None:
    """Raise instead of dropping what a flavor cannot express (the input check reports it first)."""
    if problems:
        raise ValueError(f"the {flavor} flavor cannot express this intent: "
                         + "; ".join(f"{field}: {why}" for field, why in problems))
