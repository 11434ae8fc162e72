"""gangplank: wiring only. Every decision lives in `components/`; see DESIGN.md for the data flow."""

import pulumi

from components.apps.dashboard import Dashboard, DashboardArgs, instance_name
from components.apps.dns import host_shares
from components.apps.exposed_app import AppTarget, ExposedApp, ExposedAppArgs
from components.inputs.catalog import load_catalogue
from components.inputs.settings import known_stacks, load_settings
from components.platform.platform import Platform, PlatformArgs

stack = pulumi.get_stack()
# All input is validated before the first resource is declared.
settings = load_settings(stack)
apps = load_catalogue(settings.apps_file, settings, stack, known_stacks())

platform = Platform("platform", PlatformArgs(settings=settings, stack=stack))


def target(visibility: str) -> AppTarget:
    controller = platform.controller(visibility)
    return AppTarget(
        flavor=platform.flavor,
        ingress_class=controller.ingress_class,
        zone_id=platform.zone_id(visibility),
        lb_hostname=controller.lb_hostname,
        lb_zone_id=controller.lb_zone_id,
        dualstack=controller.dualstack,
    )


shares = host_shares((app.name, app.host) for app in apps)
exposed = {
    app.name: ExposedApp(app.name, ExposedAppArgs(
        app=app,
        target=target(app.visibility),
        host_share=shares[app.host],
        stack=stack,
        dashboard_instance=instance_name(stack),
        monitor_alert_contact_ids=tuple(settings.monitor_alert_contact_ids),
    ))
    for app in apps
}
if settings.dashboard_enabled:
    dashboard = Dashboard("dashboard", DashboardArgs(settings=settings, stack=stack, target=target("private")))
    pulumi.export("dashboardUrl", dashboard.url)

pulumi.export("apps", {name: app.inventory for name, app in exposed.items()})
pulumi.export("basicAuthPasswords", pulumi.Output.secret(
    {name: app.passwords for name, app in exposed.items() if app.passwords is not None}))
pulumi.export("publicNameServers", platform.zones.public_name_servers)
pulumi.export("loadBalancers", {v: c.lb_hostname for v, c in platform.controllers.items()})
