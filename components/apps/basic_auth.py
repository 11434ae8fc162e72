"""Basic auth: which htpasswd Secrets an app gets, whose logins each holds, and who names them (pure decisions).

One rule for every flavor, Ingress or Gateway API, and for every controller that serves the app:

- the app's Secret holds the app's users alone (`auth.basic.users`), and every route of the app names it
  but one;
- a monitored app behind basic auth (`routing.needs_health_route`) gets its monitor a login of its own
  (`MONITOR_USER`) in a Secret of its own, which holds that one login and which only the monitor's health
  route (`<app>-health`, the health path exactly) names. UptimeRobot stores the monitor's password and returns
  it on reads (`httpPassword`), so whoever can read the account has it: it opens the health path and nothing
  else. (The app's users, in turn, are not let in on that one path: it is the monitor's.)

Each controller reads its own Secrets, in its flavor's format (nginx: bcrypt lines in a Secret of the flavor's
type and key; Envoy: `{SHA}` lines in an Opaque Secret). An app's routes are on one controller per edge, or two
while the edge moves to another flavor (`components.platform.controllers`): the names follow the kind of flavor
and end in the controller's suffix (`EdgeTarget.suffix`, `ControllerPlan.suffix`: empty for the stack's
`gangplank:flavor`, `-<flavor>` for another), so the two controllers of a moving edge never share a Secret and
nothing is renamed when the move ends. The passwords are the same in all of them: a user, and the monitor, log in
alike through either controller.

    kind     the app's users                               the monitor's login
    ingress  <app>-basic-auth       (<app>-htpasswd)       <app>-basic-auth-monitor       (<app>-htpasswd-monitor)
    gateway  <app>-route-basic-auth (<app>-route-htpasswd) <app>-route-basic-auth-monitor (<app>-route-htpasswd-monitor)

each followed by the controller's suffix (Pulumi resource names in parentheses; the Ingress names are those live
stacks already have).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from components.apps.routing import needs_health_route
from components.flavors import AnyFlavor
from components.inputs.catalog.models import MONITOR_USER
from components.inputs.catalog.resolved import ResolvedApp

FlavorKind = Literal["ingress", "gateway"]
_PREFIX: dict[str, str] = {"ingress": "", "gateway": "route-"}


def htpasswd_secret_name(app: ResolvedApp, kind: FlavorKind, monitor: bool = False, suffix: str = "") -> str:
    """The Kubernetes name of the app's htpasswd Secret on controllers of this kind whose names carry `suffix`
    (the monitor's, with `monitor`)."""
    return f"{app.name}-{_PREFIX[kind]}basic-auth{'-monitor' if monitor else ''}{suffix}"


def htpasswd_resource_name(app: ResolvedApp, kind: FlavorKind, monitor: bool = False, suffix: str = "") -> str:
    """The Pulumi name of that Secret (`<app>-htpasswd`, the name the Ingress flavors' Secret always had)."""
    return f"{app.name}-{_PREFIX[kind]}htpasswd{'-monitor' if monitor else ''}{suffix}"


@dataclass(frozen=True)
class Placement:
    """One of the app's Ingresses or routes on one controller, as far as basic auth is concerned."""

    flavor: AnyFlavor
    """The controller's flavor: the format its Secrets are written in."""
    suffix: str
    """The controller's suffix (`EdgeTarget.suffix`): what its Secrets' names end in."""
    health: bool
    """Whether it is the monitor's health route (`IngressUnit.health`)."""


@dataclass(frozen=True)
class HtpasswdSecret:
    """One htpasswd Secret of an app."""

    resource_name: str
    """Pulumi resource name."""
    name: str
    """Kubernetes name, in the app's namespace."""
    flavor: AnyFlavor
    """The flavor whose format it is written in (Secret type and key, bcrypt or `{SHA}` lines)."""
    logins: tuple[str, ...]
    """Who it holds: the app's users, or the monitor's login alone."""


def htpasswd_secrets(app: ResolvedApp, placements: Iterable[Placement]) -> list[HtpasswdSecret]:
    """The app's htpasswd Secrets: for every controller among `placements` (its routes on the controllers of its
    edges), one of the app's users, and, where its monitor's health route is, one of the monitor's login alone.
    [] without basic auth. Controllers in the order of their first placement, the monitor's Secrets last."""
    if app.app.basic_auth is None:
        return []
    controllers: dict[tuple[FlavorKind, str], AnyFlavor] = {}
    health: dict[tuple[FlavorKind, str], AnyFlavor] = {}
    for placement in placements:
        key = (placement.flavor.kind, placement.suffix)
        known = controllers.setdefault(key, placement.flavor)
        if known.htpasswd != placement.flavor.htpasswd or known.htpasswd_from != placement.flavor.htpasswd_from:
            raise ValueError(f"app '{app.name}': flavors {known.name} and {placement.flavor.name} read different "
                             "htpasswd formats under one Secret name")
        if placement.health:
            health.setdefault(key, placement.flavor)
    users = tuple(app.app.basic_auth.users)
    secrets = [HtpasswdSecret(htpasswd_resource_name(app, kind, suffix=suffix),
                              htpasswd_secret_name(app, kind, suffix=suffix), flavor, users)
               for (kind, suffix), flavor in controllers.items()]
    if needs_health_route(app):
        secrets += [HtpasswdSecret(htpasswd_resource_name(app, kind, monitor=True, suffix=suffix),
                                   htpasswd_secret_name(app, kind, monitor=True, suffix=suffix), flavor,
                                   (MONITOR_USER,))
                    for (kind, suffix), flavor in health.items()]
    return secrets


def htpasswd_file(flavor: AnyFlavor, logins: tuple[str, ...], values: list[str]) -> str:
    """The Secret's htpasswd text: one line per login, from its bcrypt hash or its password (`htpasswd_from`)."""
    return "".join(flavor.htpasswd_line(user, value) + "\n" for user, value in zip(logins, values, strict=True))
