"""Checks across the resolved apps that must pass before the first resource is declared.

The catalogue's own rules live in `components.inputs.catalog`; these need what only the program
knows: the resources each app will declare, and whether this run is a deployment or a preview.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from components.apps.basic_auth import HtpasswdSecret, Placement, htpasswd_secrets
from components.apps.capacity import CapacityWarning, judge, stack_usage
from components.apps.dashboard import dashboard_app
from components.apps.exposed_app import BACKEND_ROLES, ROUTE_ROLES
from components.apps.routing import host_shares, ingress_units, placed_units, shared_hosts
from components.flavors import get_flavor, is_gateway
from components.inputs.catalog.models import MONITOR_USER
from components.inputs.catalog.resolved import ResolvedApp
from components.inputs.problems import InputError, Problem, app_subject, config_subject, dotted
from components.inputs.settings import CONFIG_NAMESPACE, Settings
from components.inputs.settings_parsing import read_stack_yaml, stack_file_name
from components.inputs.yamllines import line_of
from components.platform.controllers import stack_controllers
from components.platform.ingress_controller import Subnet
from components.platform.platform import edge_subnet_problems
from components.uptimerobot.provider import API_KEY_CONFIG, API_KEY_ENV

LIMITS_KEY = f"{CONFIG_NAMESPACE}:limits"
CHART_VERSION_KEY = f"{CONFIG_NAMESPACE}:controllerChartVersion"
FLAVOR_KEY = f"{CONFIG_NAMESPACE}:flavor"
OFFLINE_PLAN: ContextVar[bool] = ContextVar("OFFLINE_PLAN", default=False)
"""True while the offline planner runs the program (`planner.run.run_program`): like a preview, it deploys
nothing and calls no API, but under mocks the SDK cannot tell it from `pulumi up`."""


def is_deployment(dry_run: bool) -> bool:
    """Whether this run deploys for real: not a `pulumi preview` (`dry_run`) and not the offline planner."""
    return not dry_run and not OFFLINE_PLAN.get()


@dataclass(frozen=True)
class StackWarning:
    """Something a stack's plan passes with, that a person should know before `pulumi up`."""

    kind: str
    """What it is about, for machines: `chartVersion`, `uptimerobotApiKey`."""
    subject: str
    """The config key it is about, as problems name it (`config 'gangplank:controllerChartVersion'`)."""
    message: str
    """One line for people: what, why it matters, and what to do."""
    details: tuple[tuple[str, str], ...] = ()
    """More keys of the plan entry, for machines (a retired flavor's `flavor`)."""

    def as_plan_entry(self) -> dict[str, Any]:
        """The warning in the plan JSON's top-level `warnings` list."""
        return {"kind": self.kind, "subject": self.subject, "message": self.message, **dict(self.details)}


VALUES_CHECKED_AGAINST: dict[str, str] = {
    # tests/components/flavors/chart_values.py: validated against the chart's own schema; every key path known to it.
    "nginx-inc": "its values.schema.json, types and key names",
    # tests/components/flavors/chart_values.py INGRESS_NGINX_PATHS: the chart ships no values schema.
    "ingress-nginx": "the key paths its values.yaml and templates read (it has no values schema): names, not types",
    # tests/components/flavors/test_envoy_gateway.py: the chart ships no values schema.
    "envoy-gateway": "the keys of its values template (it has no values schema): names, not types",
}
"""What gangplank's tests check each flavor's Helm values against, at the flavor's pinned chart version."""


def chart_version_warning(settings: Settings) -> StackWarning | None:
    """A controller chart version other than the one gangplank pins: the tests check its Helm values against the
    pinned chart only (`VALUES_CHECKED_AGAINST` says how, per flavor), so another version may refuse or silently
    ignore some of them."""
    flavor = get_flavor(settings.flavor)
    version = settings.controller_chart_version
    pinned = flavor.default_chart
    if version is None or version == pinned.version:
        return None
    checked = VALUES_CHECKED_AGAINST.get(flavor.name)
    against = (f"the version gangplank's Helm values are checked against ({checked})" if checked else
               "the version gangplank is tested with (its Helm values are not checked against the chart)")
    return StackWarning("chartVersion", config_subject(CHART_VERSION_KEY), (
        f"{config_subject(CHART_VERSION_KEY)}: chart {pinned.chart} {version} is not {pinned.version}, {against}: "
        f"{version} may refuse or ignore some of them; check its values and changelog, or remove the key to use "
        f"{pinned.version}"))


def monitor_key_warning(settings: Settings, monitors: int, environ: Mapping[str, str]) -> StackWarning | None:
    """Monitors and no UptimeRobot key: planning and previews need none, `pulumi up` does."""
    if not monitors or settings.uptimerobot_api_key is not None or environ.get(API_KEY_ENV):
        return None
    return StackWarning("uptimerobotApiKey", config_subject(API_KEY_CONFIG), (
        f"{config_subject(API_KEY_CONFIG)}: {monitors} app(s) get an uptime monitor and there is no UptimeRobot API "
        f"key: plans, diffs and previews need none, `pulumi up` will (`pulumi config set --secret {API_KEY_CONFIG} "
        f"<key>`, or the {API_KEY_ENV} environment variable)"))


def child_resources(app: ResolvedApp, units: Sequence[str], routes: Sequence[str] = (),
                    secrets: Sequence[HtpasswdSecret] = (), more_monitors: Sequence[str] = (),
                    canaries: Sequence[str] = ()) -> list[tuple[str, str, list[str | int]]]:
    """(kind, name, the field that makes the name) of every resource an app's component declares; `units` are
    its Ingresses' names and `routes` its HTTPRoutes' (each with its policies), on every controller that serves it
    (during a move, those on the controller the edge moves to carry its suffix), `secrets` its htpasswd Secrets
    (`basic_auth.htpasswd_secrets`), `more_monitors` the names of its monitors through the NLBs its edges move to,
    `canaries` its canary Ingresses' (ingress-nginx)."""
    names: list[tuple[str, str, list[str | int]]] = [("Ingress", unit, ["name"]) for unit in units]
    if routes:
        names += [("HTTPRoute", route, ["name"]) for route in routes]
        names += [(policy, f"{route}-{role}", ["name"]) for route in routes for policy, role in ROUTE_ROLES.items()]
        names.append(("ForecastleApp", f"{app.name}-dashboard", ["name"]))
        names += [(object_kind, f"{app.name}-{role}", ["name"]) for object_kind, role in BACKEND_ROLES.items()]
        if app.app.canary is not None:
            names += [(object_kind, f"{app.name}-canary-{role}", ["canary"])
                      for object_kind, role in BACKEND_ROLES.items()]
    names += [("Ingress", canary, ["canary"]) for canary in canaries]
    if app.app.deploy is not None:
        names += [("Deployment", f"{app.name}-deployment", ["name"]), ("Service", f"{app.name}-service", ["name"])]
    if app.app.canary is not None and app.app.canary.deploy is not None:
        names += [("Deployment", f"{app.name}-canary-deployment", ["canary", "deploy"]),
                  ("Service", f"{app.name}-canary-service", ["canary", "deploy"])]
    if app.app.basic_auth is not None:
        names += [("Secret", secret.resource_name, ["monitor"] if MONITOR_USER in secret.logins else ["name"])
                  for secret in secrets]
        names += [("RandomPassword", f"{app.name}-password-{user}", ["auth", "basic", "users", position])
                  for position, user in enumerate(app.app.basic_auth.users)]
        if any(MONITOR_USER in secret.logins for secret in secrets):
            names.append(("RandomPassword", f"{app.name}-monitor-password", ["monitor"]))
    if app.monitored:
        names.append(("Monitor", f"{app.name}-monitor", ["name"]))
        names += [("Monitor", name, ["name"]) for name in more_monitors]
    return names


def resource_name_problems(apps: Sequence[ResolvedApp], settings: Settings) -> list[Problem]:
    """Two apps whose resources would get one name: Pulumi refuses duplicate URNs at deploy time.

    Every controller of an edge counts: during a move an app's Ingresses (and Secrets) on the controller the edge
    moves to carry that controller's suffix, and its second monitor the flavor's name."""
    controllers = stack_controllers(settings)
    moving = {edge: plans[-1] for edge, plans in controllers.items() if len(plans) > 1}
    shared = shared_hosts(apps)
    owners: dict[tuple[str, str], tuple[ResolvedApp, list[str | int]]] = {}
    problems = []
    for app in apps:
        placed = placed_units(app, controllers, shared)
        routed = [(unit, plan) for unit, plan in placed if is_gateway(get_flavor(plan.flavor))]
        units = [unit.resource_name + plan.suffix for unit, plan in placed if (unit, plan) not in routed]
        routes = [unit.resource_name + plan.suffix for unit, plan in routed]
        secrets = htpasswd_secrets(app, [Placement(get_flavor(plan.flavor), plan.suffix, unit.health)
                                         for unit, plan in placed])
        monitor_edge = app.monitor_route.edge.name if app.monitor_route is not None else None
        also = [f"{app.name}-monitor-{moving[monitor_edge].flavor}"] if monitor_edge in moving else []
        canaries = [f"{unit.resource_name}{plan.suffix}-canary" for unit, plan in placed
                    if (unit, plan) not in routed and not unit.health and app.app.canary is not None]
        for kind, name, loc in child_resources(app, units, routes, secrets, also, canaries):
            owner, owner_loc = owners.setdefault((kind, name), (app, loc))
            if owner.name != app.name:
                file = app.source[0] or settings.apps_file
                owner_line = owner.line_of(owner_loc)
                problems.append(Problem(file, app.line_of(loc), app_subject(app.name, dotted(loc)),
                                        f"its {kind} would be named '{name}', like the one that app '{owner.name}' "
                                        f"gets from its '{dotted(owner_loc)}'"
                                        f"{f' (line {owner_line})' if owner_line else ''}; Pulumi refuses two "
                                        "resources of one name: rename one of the apps, users or edges"))
    return problems


INTENT_FIELDS = {
    "rate_limit": "rateLimit", "basic_auth_secret": "auth", "allow_cidrs": "allowCidrs",
    "max_body_size": "maxBodySize", "https_backend": "service.protocol", "exact_paths": "healthPath",
    "backend_tls": "service.tls",
    "hsts": "edges", "merge_role": "host", "https_redirect": "edges", "visibility": "edges",
    "canary": "canary", "sticky": "sticky", "external_auth": "auth.external",
}
"""The apps.yaml field behind each part of an app's intent, for problems a flavor finds."""


def field_of(intent_field: str, app: ResolvedApp) -> str:
    """The apps.yaml field (dotted) behind a part of an app's intent that a flavor names, `rate_limit` or one of its
    own fields, `rate_limit.connections` (the flavors' `unsupported`): its line is where the problem is."""
    head, _, rest = intent_field.partition(".")
    loc = INTENT_FIELDS.get(head, "name")
    if head == "backend_tls" and app.app.deploy is not None:
        loc = "deploy.tls"
    return ".".join([loc, *(to_camel(step) for step in rest.split(".") if step)])


def flavor_key(settings: Settings, edge: str, moving_to: bool) -> str:
    """The config key that puts a controller's flavor on `edge`: the move's `to`, the edge's own `flavor`, or the
    stack's `gangplank:flavor` (what a refusal names, so the user knows which line to change)."""
    if moving_to:
        return f"{CONFIG_NAMESPACE}:edges.{edge}.move.to"
    own = settings.edges.get(edge)
    if own is not None and own.flavor is not None:
        return f"{CONFIG_NAMESPACE}:edges.{edge}.flavor"
    return f"{CONFIG_NAMESPACE}:flavor"


def flavor_problems(apps: Sequence[ResolvedApp], settings: Settings,
                    checked: Sequence[ResolvedApp] | None = None) -> list[Problem]:
    """What an app asks for that its edge's flavor cannot express: an input error naming the flavor,
    never a part of the intent silently dropped. During a move, the flavor the edge moves to must express
    it too (its controller serves the app as well). `checked`: the apps to check (default all); `apps` decide
    which hosts are shared (an app's Ingress on a shared host is a minion)."""
    from components.apps.intent import app_intent, merge_role

    controllers = stack_controllers(settings)
    shared = shared_hosts(apps)
    problems: dict[tuple[str, str], Problem] = {}
    moving = any(len(plans) > 1 for plans in controllers.values())
    for position in (0, -1) if moving else (0,):  # the controllers now, and those the edges move to
        flavors = {edge: get_flavor(plans[position].flavor) for edge, plans in controllers.items()}
        shares = host_shares(apps, flavors)
        for app in apps if checked is None else checked:
            visibility = {route.edge.name: route.edge.visibility for route in app.routes}
            for unit in ingress_units(app, flavors, shared):
                plan = controllers[unit.edge][position]
                if position and plan.role != "to":
                    continue
                flavor = flavors[unit.edge]
                intent = app_intent(app, visibility[unit.edge], merge_role(flavor, unit, shares), health=unit.health,
                                    kind=flavor.kind, suffix=plan.suffix)
                which = flavor_key(settings, unit.edge, plan.role == "to")
                for field, why in flavor.unsupported(intent):
                    loc = field_of(field, app)
                    file = app.source[0]
                    problems.setdefault((app.name, loc), Problem(
                        file or settings.apps_file, app.line_of(loc.split(".")), app_subject(app.name, loc),
                        f"the {flavor.name} flavor ({which}) cannot express this: {why}"))
    return list(problems.values())


def canary_monitor_problems(apps: Sequence[ResolvedApp], settings: Settings) -> list[Problem]:
    """A monitored app with a weighted canary whose health Ingress cannot have an upstream of its own: on a flavor
    that splits the app's whole upstream (`canary_by_upstream`), an existing Service's port name is unknown, so the
    monitor would check the canary for `weight` percent of its checks."""
    from components.apps.routing import canary_takes_a_share
    from components.apps.shaping import health_port_by_name

    problems = []
    for app in apps:
        if not (app.monitored and canary_takes_a_share(app) and app.app.service is not None):
            continue
        route = app.monitor_route
        flavor = get_flavor(settings.flavor_of(route.edge.name)) if route is not None else None
        if flavor is not None and getattr(flavor, "canary_by_upstream", False) and not health_port_by_name(app, flavor):
            problems.append(Problem(app.source[0] or settings.apps_file, app.line_of(["canary", "weight"]),
                                    app_subject(app.name, "canary.weight"),
                                    f"the {flavor.name} flavor adds a canary to every location of the app's Service "
                                    "port, the monitor's health path included, so the monitor would check the canary "
                                    f"{app.app.canary.weight}% of the time (it watches the app): use 'deploy' for the "
                                    "app, a canary chosen by header or cookie only (weight 0), or "
                                    "monitor.enabled: false"))  # type: ignore[union-attr]
    return problems


ROUTE_FIELDS = {
    "spec.parentRefs": "edges", "spec.hostnames": "aliases", "spec.rules": "canary", "spec.rules[].matches": "paths",
    "spec.rules[].matches[].path": "paths", "spec.rules[].matches[].headers": "canary",
    "spec.rules[].backendRefs": "canary",
}
"""The apps.yaml field that fills each bounded list of an app's HTTPRoute (`gateway_api.route_bound_problems`): its
hosts come from `host` and `aliases`, its matches from `paths`, its extra rules, header matches and weighted backends
from `canary`; the rest (filters, header modifiers) from the app as a whole."""


def route_size_problems(apps: Sequence[ResolvedApp], settings: Settings) -> list[Problem]:
    """An app whose HTTPRoute on a Gateway API controller (the one an edge moves to included) would pass one of
    Gateway API's bounds: the route is built as the program builds it (`routes.route_objects`) and measured against
    the CRD's limits, so the API server never refuses it part-way through `pulumi up`."""
    from components.apps.intent import app_intent
    from components.apps.routes import route_objects
    from components.apps.shaping import canary_backend
    from components.flavors.gateway_api import BackendRef, GatewayRef, route_bound_problems

    controllers = stack_controllers(settings)
    shared = shared_hosts(apps)
    problems: dict[tuple[str, str], Problem] = {}
    for app in apps:
        visibility = {route.edge.name: route.edge.visibility for route in app.routes}
        for unit, plan in placed_units(app, controllers, shared):
            flavor = get_flavor(plan.flavor)
            if not is_gateway(flavor):
                continue
            intent = app_intent(app, visibility[unit.edge], None, health=unit.health, kind="gateway",
                                suffix=plan.suffix)
            if flavor.unsupported(intent):
                continue  # flavor_problems names it
            service, port = (app.app.service.name, app.app.service.port) if app.app.service is not None else \
                (app.name, app.app.deploy.port)  # type: ignore[union-attr]
            canary = canary_backend(app)
            objects = route_objects(app, unit, GatewayRef(unit.edge, f"gateway-{unit.edge}"), intent, flavor,
                                    BackendRef(service, port), {}, BackendRef(*canary) if canary else None)
            which = flavor_key(settings, unit.edge, plan.role == "to")
            for path, why in route_bound_problems(objects.route):
                field = ROUTE_FIELDS.get(path, "name")
                if field == "aliases" and not app.app.aliases:
                    field = "host"
                if field == "paths" and unit.health:
                    field = "healthPath"
                route = "its health route" if unit.health else "its HTTPRoute"
                problems.setdefault((app.name, field), Problem(
                    app.source[0] or settings.apps_file, app.line_of([field]), app_subject(app.name, field),
                    f"the {flavor.name} flavor ({which}) cannot express this: {route} on edge '{unit.edge}' would hold "
                    f"{why} (gateway.networking.k8s.io HTTPRoute); the API server would refuse it"
                    + {"aliases": ": serve fewer hosts from one app (another app can serve the rest)",
                       "paths": ": list fewer paths (a prefix covers every path under it)"}.get(field, "")))
    return list(problems.values())


def missing_monitor_key(settings: Settings, apps: Sequence[ResolvedApp], stack: str,
                        environ: Mapping[str, str]) -> Problem | None:
    """A deployment with monitored apps and no UptimeRobot key would fail after the platform and every
    Ingress were created; say so before anything is."""
    if not any(app.monitored for app in apps):
        return None
    if settings.uptimerobot_api_key is not None or environ.get(API_KEY_ENV):
        return None
    return Problem(stack_file_name(stack), None, config_subject(API_KEY_CONFIG),
                   f"{sum(app.monitored for app in apps)} app(s) get an uptime monitor, and there is no UptimeRobot "
                   f"API key: set it with `pulumi config set --secret {API_KEY_CONFIG} <key>` or the {API_KEY_ENV} "
                   "environment variable (or turn monitors off: gangplank:monitorsEnabled false)")


def capacity_findings(settings: Settings, apps: Sequence[ResolvedApp], stack: str) -> tuple[list[Problem],
                                                                                            list[CapacityWarning]]:
    """(quotas AWS enforces that the stack would pass, as problems; limits it is near, as warnings)."""
    dashboard = dashboard_app(settings, stack) if settings.dashboard_enabled else None
    errors, warnings = judge(stack_usage(settings, apps, dashboard), settings.limits, settings.dns_records)
    stack_file = stack_file_name(stack)
    stack_yaml = read_stack_yaml(stack_file) if errors else None
    problems = [Problem(stack_file, line_of(stack_yaml, ["config", LIMITS_KEY, error.limit]) if stack_yaml else None,
                        f"{config_subject(LIMITS_KEY)} field '{error.limit}'", error.message) for error in errors]
    return problems, warnings


MOVE_GUIDE = "docs/moving-an-edge.md"


def retired_flavor_warnings(settings: Settings) -> list[StackWarning]:
    """One warning per retired flavor among the stack's controllers (the one an edge moves to as well), each named
    once however many edges use it, with the way off for each edge: a move in steps (never a flavor changed in one
    step, which replaces the controller and its NLB at once: the rehearsal refuses it), through the key that puts the
    edge on that flavor, towards a maintained flavor the edge neither runs nor moves to already."""
    found = []
    controllers = stack_controllers(settings)
    for name in sorted({controller.flavor for plans in controllers.values() for controller in plans}):
        retirement = get_flavor(name).retirement
        if retirement is None:
            continue
        keys: list[str] = []
        advice: list[str] = []
        for edge, plans in controllers.items():
            runs = plans[0].flavor
            own = settings.edges.get(edge)
            move_key = f"{CONFIG_NAMESPACE}:edges.{edge}.move"
            if plans[-1].role == "to" and plans[-1].flavor == name:
                keys.append(f"{move_key}.to")
                others = [flavor for flavor in retirement.successors if flavor != runs]
                advice.append(f"edge {edge} moves onto it ({move_key}.to): abandon that move (weight 0, then remove "
                              f"`move`){f', or aim it at {others[0]} at weight 0' if others else ''}")
            elif runs == name:
                keys.append(f"{CONFIG_NAMESPACE}:edges.{edge}.flavor" if own is not None and own.flavor is not None
                            else FLAVOR_KEY)
                if plans[-1].role == "to":
                    advice.append(f"edge {edge} is moving off it to {plans[-1].flavor}: finish that move")
                else:
                    advice.append(f"edge {edge} ({keys[-1]}): set {move_key} to "
                                  f"{{to: {retirement.successors[0]}, weight: 0}}, then raise the weight")
        found.append(StackWarning("retirement", config_subject(keys[0]), (
            f"the {name} flavor is retired upstream (announced {retirement.announced}; no releases or security "
            f"fixes after {retirement.last_fixes}); it keeps working. Move off it in steps, the new controller "
            f"beside the old ({MOVE_GUIDE}), not by changing the flavor in one step (an outage): "
            + "; ".join(advice)), details=(("flavor", name),)))
    return found


def stack_warnings(settings: Settings, monitors: int, environ: Mapping[str, str], deploying: bool) -> list[
        StackWarning]:
    """What a stack passes with that a person should know before `pulumi up`: a chart version gangplank does not
    check, a retired flavor, and (when not deploying: a preview, the offline planner) a key `pulumi up` will need
    for its `monitors`. The program logs them; the plan lists them."""
    found = [chart_version_warning(settings), *retired_flavor_warnings(settings)]
    if not deploying:
        found.append(monitor_key_warning(settings, monitors, environ))
    return [warning for warning in found if warning is not None]


def environment_problems(settings: Settings, apps: Sequence[ResolvedApp], stack: str) -> list[Problem]:
    """The checks across an environment's apps that every stack of it runs, whatever apps it declares: resources
    that two apps would name alike (the Kubernetes objects of two stacks live in one cluster), and the quotas
    the environment would pass (`capacity_findings`). With the catalogue's own rules, what makes every stack of
    the environment refuse a change (`planner.stacks.affected_stacks`)."""
    return [*resource_name_problems(apps, settings), *capacity_findings(settings, apps, stack)[0]]


def app_problems(settings: Settings, apps: Sequence[ResolvedApp], checked: Sequence[ResolvedApp]) -> list[Problem]:
    """What each of the `checked` apps asks for that its edges cannot give it (its flavor, its monitor's route, its
    HTTPRoute's size): a problem of the app alone, so a stack checks the apps it declares (`apps`, the whole
    environment, decide which hosts are shared). Every app is checked by the stack that declares it."""
    return [*flavor_problems(apps, settings, checked), *canary_monitor_problems(checked, settings),
            *route_size_problems(checked, settings)]


def check_before_declaring(settings: Settings, apps: Sequence[ResolvedApp], stack: str,
                           subnets: Mapping[str, Sequence[Subnet]] | None, dry_run: bool,
                           environ: Mapping[str, str] | None = None,
                           declared: Sequence[ResolvedApp] | None = None,
                           own_stack: str | None = None) -> list[CapacityWarning | StackWarning]:
    """Raise InputError listing every problem. A preview and the offline planner (`is_deployment`) need no
    UptimeRobot key: they make no API call, and are only warned that `pulumi up` will need one.

    `apps` are the environment's apps (an app stack checks the whole catalogue: names, hosts and limits are the
    environment's); `declared` those this stack declares (default all of them): only their monitors need this
    stack's key. `subnets`: None in an app stack, whose platform places the load balancers. `stack` is the
    environment (an app stack's platform stack, whose file holds the limits); `own_stack` an app stack's own name,
    whose file holds its UptimeRobot key. Returns the warnings for the program to log, once each
    (`stack_warnings`): capacity limits the stack is near, a chart version, a retired flavor, a key `pulumi up`
    needs.
    """
    environ = os.environ if environ is None else environ
    own = apps if declared is None else declared
    capacity_problems, capacity_warnings = capacity_findings(settings, apps, stack)
    problems = [*(edge_subnet_problems(settings, subnets, stack) if subnets is not None else []),
                *resource_name_problems(apps, settings), *capacity_problems, *app_problems(settings, apps, own)]
    deploying = is_deployment(dry_run)
    if deploying and (missing := missing_monitor_key(settings, own, own_stack or stack, environ)) is not None:
        problems.append(missing)
    if problems:
        raise InputError(problems)
    return [*capacity_warnings, *stack_warnings(settings, sum(app.monitored for app in own), environ, deploying)]
