"""What an app asks of the controller that serves it: its backend, and its intent in the flavors' neutral terms
(`app_intent`), from which each flavor writes its annotations or policies (pure functions of the resolved app)."""

from __future__ import annotations

from collections.abc import Mapping

from components.apps.basic_auth import FlavorKind, htpasswd_secret_name
from components.apps.routing import HostShare, IngressUnit
from components.apps.shaping import canary_intent, external_auth_intent, sticky_intent
from components.flavors import AnyFlavor
from components.flavors.app_intent import AppIntent, BackendTLSIntent, RateLimitIntent
from components.inputs.catalog.resolved import ResolvedApp
from components.uptimerobot.probes import probe_cidrs


def backend(app: ResolvedApp) -> tuple[str, int]:
    """The Service and port the Ingress routes to."""
    if app.app.service is not None:
        return app.app.service.name, app.app.service.port
    assert app.app.deploy is not None  # the catalogue guarantees exactly one of the two
    return app.name, app.app.deploy.port


def backend_tls(app: ResolvedApp) -> BackendTLSIntent | None:
    """The app's `tls` settings towards its HTTPS backend, if it has any."""
    backend_spec = app.app.service or app.app.deploy
    tls = backend_spec.tls if backend_spec is not None else None
    if tls is None:
        return None
    return BackendTLSIntent(namespace=app.namespace, verify=tls.verify, server_name=tls.server_name,
                            ca_secret=tls.ca_secret)


def https_backend(app: ResolvedApp) -> str | None:
    """The Service name when the backend speaks HTTPS (the flavor then connects with TLS)."""
    backend_spec = app.app.service or app.app.deploy
    if backend_spec is None or backend_spec.protocol != "HTTPS":
        return None
    return backend(app)[0]


def merge_role(flavor: AnyFlavor, unit: IngressUnit, shares: Mapping[str, HostShare]) -> str | None:
    """A minion when the flavor joins a shared host's Ingresses through a master."""
    return "minion" if any(shares[host].needs_master(flavor) for host in unit.hosts if host in shares) else None


def app_intent(app: ResolvedApp, visibility: str, role: str | None, health: bool = False,
               kind: FlavorKind = "ingress", suffix: str = "") -> AppIntent:
    """What the app asks of the controller, in the flavor's neutral terms (`kind`: of the controller's flavor, and
    `suffix`: the controller's, `EdgeTarget.suffix`; together they name the htpasswd Secret basic auth reads in its
    flavor's format: `basic_auth`).

    `health`: the intent of the monitor's own route to the health path: it also admits UptimeRobot's probe
    addresses through the app's allow-list, and behind basic auth it takes the monitor's login alone (the
    app's own allow-list and users still apply everywhere else); it skips the external auth service (the
    monitor cannot sign in there) and reaches the app's own backend (no canary) without a sticky cookie.
    """
    limit = app.app.rate_limit
    allowed = list(app.app.allow_cidrs) + (list(probe_cidrs()) if health and app.app.allow_cidrs else [])
    return AppIntent(
        visibility=visibility,  # type: ignore[arg-type]
        https_redirect=True,
        hsts=visibility == "public",
        rate_limit=RateLimitIntent(limit.rps, limit.burst, limit.connections) if limit else None,
        basic_auth_secret=htpasswd_secret_name(app, kind, monitor=health, suffix=suffix)
        if app.app.basic_auth is not None else None,
        allow_cidrs=allowed,
        max_body_size=app.app.max_body_size,
        merge_role=role,  # type: ignore[arg-type]
        https_backend=https_backend(app),
        exact_paths=health,
        backend_tls=backend_tls(app),
        canary=None if health else canary_intent(app),
        sticky=None if health else sticky_intent(app),
        external_auth=None if health else external_auth_intent(app),
    )
