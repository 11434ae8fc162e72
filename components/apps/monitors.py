"""An app's UptimeRobot monitors: the one on its health URL, and while its edge moves to another flavor, the second
one through the NLB of the controller the edge moves to (pure functions of the resolved app)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pulumi

from components.inputs.catalog.models import MONITOR_USER
from components.inputs.catalog.resolved import ResolvedApp
from components.platform.platform import EdgeTarget
from components.uptimerobot.monitor import MonitorArgs, ownership_tags


def monitor_args(app: ResolvedApp, stack: str, password: pulumi.Input[str] | None = None) -> MonitorArgs:
    """The app's UptimeRobot monitor: its health URL over HTTPS, tagged as owned by this stack.

    `password`: the monitor's own basic-auth password, for an app behind basic auth.
    """
    keyword = app.app.monitor.keyword
    return MonitorArgs(
        http_username=MONITOR_USER if password is not None else None,
        http_password=password,
        friendly_name=f"{app.name} ({stack})",
        url=app.health_url,
        type=app.app.monitor.type,
        interval=app.monitor_interval,
        keyword_type="ALERT_NOT_EXISTS" if keyword else None,
        keyword_value=keyword,
        alert_contact_ids=list(app.monitor_alert_contact_ids),
        tags=ownership_tags(stack),
    )


def move_monitor_args(app: ResolvedApp, stack: str, target: EdgeTarget,
                      password: pulumi.Input[str] | None = None) -> MonitorArgs:
    """The second monitor of an app on a moving edge: its health path through the NLB of the controller the edge
    moves to (`target`), whatever the weights.

    UptimeRobot probes a URL; the URL names the new NLB by its own DNS name, and the app's host goes in the
    `Host` header (`customHttpHeaders`, API v3), which is what nginx routes by (TLS ends at the NLB, so no SNI
    reaches nginx). The NLB's TLS listener has one certificate, the zone's (apex and wildcard), and presents it
    whatever name the client asked for (ELB: "If the hostname provided by a client doesn't match any certificate
    in the certificate list, the load balancer selects the default certificate"); it does not name the NLB, so
    certificate errors are not checked here (`checkSSLErrors: false`): the app's first monitor checks the
    certificate on the app's own name. Were UptimeRobot to send the URL's host instead of the given one, the
    controller would answer 404 from its default server: the monitor fails (a false alarm), it never passes
    falsely.

    `password`: the monitor's own, as for its first monitor: the new controller's health route reads the monitor's
    Secret on that controller (`basic_auth`), which holds that login alone, so it opens the health path there too
    and nothing else.
    """
    path = urlsplit(app.health_url)
    base = monitor_args(app, stack, password)
    url = pulumi.Output.concat("https://", target.lb_hostname, path.path or "/",
                               f"?{path.query}" if path.query else "")
    return dataclasses.replace(base, friendly_name=f"{app.name} via {target.flavor.name} ({stack})", url=url,
                               custom_http_headers={"Host": str(path.hostname)}, check_ssl_errors=False)
