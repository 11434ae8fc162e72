"""Basic auth: which htpasswd Secrets an app gets, whose logins each holds, and who names them (pure decisions).

One rule for every flavor, Ingress or Gateway API:

- the app's Secret holds the app's users alone (`auth.basic.users`), and every route of the app names it
  but one;
- a monitored app behind basic auth (`routing.needs_health_route`) gets its monitor a login of its own
  (`MONITOR_USER`) in a Secret of its own, which holds that one login and which only the monitor's health
  route (`<app>-health`, the health path exactly) names. UptimeRobot stores the monitor's password and returns
  it on reads (`httpPassword`), so whoever can read the account has it: it opens the health path and nothing
  else. (The app's users, in turn, are not let in on that one path: it is the monitor's.)

The names follow the kind of flavor, because the two kinds read different formats (nginx: bcrypt lines in a
Secret of the flavor's type; Envoy: `{SHA}` lines in an Opaque Secret), so an app with edges of both kinds
(an edge moving from one product to another) holds both without renaming either:

    kind     the app's users                               the monitor's login
    ingress  <app>-basic-auth       (<app>-htpasswd)       <app>-basic-auth-monitor       (<app>-htpasswd-monitor)
    gateway  <app>-route-basic-auth (<app>-route-htpasswd) <app>-route-basic-auth-monitor (<app>-route-htpasswd-monitor)

(Pulumi resource names in parentheses; the Ingress names are those live stacks already have.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from components.apps.routing import needs_health_route
from components.flavors import AnyFlavor
from components.inputs.catalog import MONITOR_USER, ResolvedApp

FlavorKind = Literal["ingress", "gateway"]
_PREFIX: dict[str, str] = {"ingress": "", "gateway": "route-"}


def htpasswd_secret_name(app: ResolvedApp, kind: FlavorKind, monitor: bool = False) -> str:
    """The Kubernetes name of the app's htpasswd Secret on edges of this kind (the monitor's, with `monitor`)."""
    return f"{app.name}-{_PREFIX[kind]}basic-auth{'-monitor' if monitor else ''}"


def htpasswd_resource_name(app: ResolvedApp, kind: FlavorKind, monitor: bool = False) -> str:
    """The Pulumi name of that Secret (`<app>-htpasswd`, the name the Ingress flavors' Secret always had)."""
    return f"{app.name}-{_PREFIX[kind]}htpasswd{'-monitor' if monitor else ''}"


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


def htpasswd_secrets(app: ResolvedApp, flavors: Mapping[str, AnyFlavor]) -> list[HtpasswdSecret]:
    """The app's htpasswd Secrets: per kind of flavor among its edges (`flavors`: edge -> flavor), the app's users,
    and, where its monitor's health route is, the monitor's login alone. [] without basic auth."""
    if app.app.auth is None:
        return []
    by_kind: dict[str, AnyFlavor] = {}
    for route in app.routes:
        flavor = flavors[route.edge.name]
        known = by_kind.setdefault(flavor.kind, flavor)
        if known.htpasswd != flavor.htpasswd or known.htpasswd_from != flavor.htpasswd_from:
            raise ValueError(f"app '{app.name}': its edges' flavors {known.name} and {flavor.name} read different "
                             "htpasswd formats under one Secret name")
    users = tuple(app.app.auth.basic.users)
    secrets = [HtpasswdSecret(htpasswd_resource_name(app, kind), htpasswd_secret_name(app, kind), flavor, users)
               for kind, flavor in by_kind.items()]  # type: ignore[arg-type]
    if needs_health_route(app):
        assert app.monitor_route is not None  # a monitored app has an edge open to everyone
        flavor = flavors[app.monitor_route.edge.name]
        secrets.append(HtpasswdSecret(htpasswd_resource_name(app, flavor.kind, monitor=True),
                                      htpasswd_secret_name(app, flavor.kind, monitor=True), flavor, (MONITOR_USER,)))
    return secrets


def htpasswd_file(flavor: AnyFlavor, logins: tuple[str, ...], values: list[str]) -> str:
    """The Secret's htpasswd text: one line per login, from its bcrypt hash or its password (`htpasswd_from`)."""
    return "".join(flavor.htpasswd_line(user, value) + "\n" for user, value in zip(logins, values, strict=True))
