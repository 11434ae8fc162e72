"""gangplank: wiring only. Every decision lives in `components/`; see the README's layout section."""

import pulumi

from components.apps.dashboard import Dashboard, DashboardArgs, instance_name
from components.apps.exposure import declare_zone_wildcards, expose_apps
from components.apps.preflight import check_before_declaring
from components.inputs.catalog import load_catalogue
from components.inputs.settings import known_stacks, load_settings
from components.platform.platform import Platform, PlatformArgs, read_edge_subnets

stack = pulumi.get_stack()
# All input is validated before the first resource is declared.
settings = load_settings(stack)
apps = load_catalogue(settings.apps_file, settings, stack, known_stacks())
subnets = read_edge_subnets(settings)
for warning in check_before_declaring(settings, apps, stack, subnets, dry_run=pulumi.runtime.is_dry_run()):
    pulumi.log.warn(warning.message)  # limits the stack is near, a chart version, a key (the plan lists them too)

platform = Platform("platform", PlatformArgs(settings=settings, stack=stack, subnets=subnets))
targets = declare_zone_wildcards(settings, platform.targets, stack)
exposure = expose_apps(apps, targets, stack, instance_name(stack))
if settings.dashboard_enabled:
    dashboard = Dashboard("dashboard", DashboardArgs(settings=settings, stack=stack, targets=targets))
    pulumi.export("dashboardUrl", dashboard.url)

pulumi.export("apps", {name: app.inventory for name, app in exposure.apps.items()})
pulumi.export("basicAuthPasswords", pulumi.Output.secret(
    {name: app.passwords for name, app in exposure.apps.items() if app.passwords is not None}))
pulumi.export("publicNameServers", platform.zones.public_name_servers)
pulumi.export("loadBalancers", {edge: c.lb_hostname for edge, c in platform.controllers.items()})
pulumi.export("platform", platform.summary)
