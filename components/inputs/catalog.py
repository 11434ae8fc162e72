"""The app catalogue (`apps.yaml`): its model, its loader and every check on it.

Two layers of checks, both collecting every problem before anything is declared:
1. structure (pydantic): types, ranges, unknown keys, at any depth;
2. meaning (`check_catalogue`): rules that need the stack (hosts inside the zone, hosts and
   paths unique across apps, stack names that exist, monitors only on public apps, ...).

`App` is what the user wrote; `ResolvedApp` is what components need (hosts made FQDNs,
defaults filled). `apps.schema.json` is generated from `Catalogue` (`python -m components.inputs.catalog`).
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from components.inputs.fieldtypes import LABEL_RE, Cidr, Label
from components.inputs.problems import InputError, Problem, app_subject
from components.inputs.settings import MONITOR_INTERVAL_MAX, MONITOR_INTERVAL_MIN, Settings
from components.inputs.yamlfile import YamlFileError, line_of, load_yaml, plain, start_line

Visibility = Literal["public", "private"]
SCHEMA_FILE = "apps.schema.json"
DASHBOARD_APP_NAME = "forecastle"  # the dashboard is exposed as an app of this name
SCHEMA_ID = "https://gangplank.dev/apps.schema.json"


def _url_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"'{value}' must start with '/'")
    if any(ch.isspace() for ch in value):
        raise ValueError(f"'{value}' must not contain white space")
    return value


UrlPath = Annotated[str, AfterValidator(_url_path)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Strict(BaseModel):
    # Unknown keys are errors: in a hand-written YAML file they are almost always typos.
    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", frozen=True, use_attribute_docstrings=True,
        # Strict: `port: true` or `replicas: "2"` is a mistake to report, not a value to coerce.
        strict=True,
    )


class ServiceRef(_Strict):
    """An existing Kubernetes Service in the app's namespace."""

    name: Label
    """Name of the Service."""
    port: Port
    """Service port the Ingress sends traffic to."""


class Deploy(_Strict):
    """A container image that gangplank deploys (Deployment + Service) for the app."""

    image: Annotated[str, Field(min_length=1, pattern=r"^[^\s]+$")]
    """Image reference, e.g. `ghcr.io/acme/shop:1.4`."""
    port: Port
    """Port the container listens on."""
    replicas: Annotated[int, Field(ge=1, le=100)] = 2
    """Pod replicas (at least 1; leave the stack out of `stacks` to remove the app)."""


class MonitorSpec(_Strict):
    """The UptimeRobot monitor of a public app."""

    enabled: bool | None = None
    """Default: on for public apps (when the stack has monitors), off for private ones, which must stay off."""
    type: Literal["HTTP", "KEYWORD"] = "HTTP"
    """`HTTP` checks the status code; `KEYWORD` also alerts when `keyword` is missing from the page."""
    keyword: Annotated[str, Field(min_length=1)] | None = None
    """Text the health page must contain (KEYWORD monitors only, and required for them)."""
    interval: Annotated[int, Field(ge=MONITOR_INTERVAL_MIN, le=MONITOR_INTERVAL_MAX)] | None = None
    """Seconds between checks; default the stack's `monitorInterval`."""


class Dashboard(_Strict):
    """The app's bookmark on the Forecastle dashboard."""

    name: Annotated[str, Field(min_length=1)] | None = None
    """Title shown; default the app name."""
    group: Annotated[str, Field(min_length=1)] | None = None
    """Group the bookmark is listed under; default the namespace."""
    icon: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """URL of an icon image."""


class RateLimit(_Strict):
    """Per-client-IP limits enforced by the ingress controller."""

    rps: Annotated[int, Field(ge=1, le=100000)]
    """Requests per second allowed from one client IP."""
    burst: Annotated[int, Field(ge=0, le=1000000)] | None = None
    """Requests allowed above `rps` in a burst before rejecting; default `rps`."""
    connections: Annotated[int, Field(ge=1, le=100000)] | None = None
    """Concurrent connections allowed from one client IP; default unlimited."""


class BasicAuth(_Strict):
    """HTTP basic authentication in front of the app."""

    users: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]], Field(min_length=1)]
    """User names; each gets a generated password (a secret stack output)."""


class Auth(_Strict):
    """Authentication the ingress controller enforces."""

    basic: BasicAuth
    """HTTP basic authentication."""


class App(_Strict):
    """One app to expose."""

    name: Label
    """Unique name, a DNS label (RFC 1123). Required."""
    namespace: Label | None = None
    """Kubernetes namespace of the app (it must exist); default the name."""
    visibility: Visibility
    """`public` (internet-facing load balancer, public zone) or `private` (internal, private zone). Required."""
    host: Annotated[str, Field(min_length=1)] | None = None
    """A label (`shop` -> `shop.<zone>`) or an FQDN one label under the zone; default the stack's `hostTemplate`."""
    paths: Annotated[list[UrlPath], Field(min_length=1)] = ["/"]
    """URL path prefixes routed to the app; each starts with `/`. Default `["/"]`."""
    service: ServiceRef | None = None
    """An existing Service to route to. Exactly one of `service` and `deploy`."""
    deploy: Deploy | None = None
    """An image to deploy and route to. Exactly one of `service` and `deploy`."""
    health_path: UrlPath = "/"
    """Path checked by probes (deployed apps) and by the uptime monitor. Default `/`."""
    monitor: MonitorSpec = MonitorSpec()
    """Uptime monitor (public apps only)."""
    dashboard: Dashboard = Dashboard()
    """Forecastle dashboard bookmark."""
    rate_limit: RateLimit | None = None
    """Per-client rate limits; default none."""
    auth: Auth | None = None
    """Authentication in front of the app; default none."""
    allow_cidrs: list[Cidr] = []
    """Only these client CIDR blocks may reach the app; default everyone who reaches the load balancer."""
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kKmMgG]?$")] | None = None
    """Largest request body accepted, nginx syntax (`10m`); default the controller's (1m)."""
    stacks: list[Label] | None = None
    """Stacks (environments) the app exists in; default every stack."""


class Catalogue(_Strict):
    """The whole `apps.yaml` file."""

    apps: list[App]
    """The apps to expose."""


@dataclass(frozen=True)
class ResolvedApp:
    """An app of one stack with every default filled: what the components consume."""

    app: App
    """The entry as written."""
    namespace: str
    """Kubernetes namespace."""
    host: str
    """Fully qualified host name."""
    zone_domain: str
    """Domain of the hosted zone the host lives in."""
    monitored: bool
    """Whether an UptimeRobot monitor is created."""
    monitor_interval: int
    """Seconds between monitor checks."""
    dashboard_name: str
    """Title on the dashboard."""
    dashboard_group: str
    """Group on the dashboard."""

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def visibility(self) -> str:
        return self.app.visibility

    @property
    def url(self) -> str:
        """Public entry point: the first path on the host, always HTTPS."""
        return f"https://{self.host}{self.app.paths[0]}"

    @property
    def health_url(self) -> str:
        """What the uptime monitor requests."""
        return f"https://{self.host}{self.app.health_path}"


# -- loading -----------------------------------------------------------------------------


def load_catalogue(
    path: str, settings: Settings, stack: str, known_stacks: Iterable[str]
) -> list[ResolvedApp]:
    """Read, check and resolve the catalogue for `stack`. Raises InputError listing every problem."""
    try:
        root = load_yaml(path)
    except YamlFileError as err:
        raise InputError([Problem(path, err.line, app_subject(None, "apps"), err.message)]) from None
    parsed, problems = parse_catalogue(path, root)
    problems += check_catalogue(path, root, parsed, settings, stack, set(known_stacks))
    if problems:
        raise InputError(problems)
    return [resolve_app(app, settings, stack) for app in apps_in_stack(parsed.values(), stack)]


def parse_catalogue(path: str, root: Any) -> tuple[dict[int, App], list[Problem]]:
    """Check the structure of a parsed apps.yaml, app by app.

    Returns the apps that are well-formed (by their position in the file) and the problems
    of the others, so that the rules across apps still run on every app that can be read.
    """
    def top(message: str, line: int | None = 1) -> tuple[dict[int, App], list[Problem]]:
        return {}, [Problem(path, line, app_subject(None, "apps"), message)]

    if root is None or (isinstance(root, str) and not root.strip()):
        return top("the file is empty; expected a mapping with a list under 'apps:'")
    if not isinstance(root, dict):
        return top(f"expected a mapping with a list under 'apps:', found {_kind(root)}", start_line(root) or 1)
    problems = [
        Problem(path, line_of(root, [key]), app_subject(None, str(key)), f"unknown top-level field '{key}'; "
                "the file has one field, 'apps'")
        for key in root if key != "apps"
    ]
    if "apps" not in root:
        return {}, [*problems, *top("required field 'apps' is missing", start_line(root))[1]]
    if not isinstance(root["apps"], list):
        return {}, [*problems, *top(f"'apps' must be a list of apps, found {_kind(root['apps'])}",
                                    line_of(root, ["apps"]))[1]]
    parsed: dict[int, App] = {}
    for index, entry in enumerate(root["apps"]):
        try:
            parsed[index] = App.model_validate(plain(entry))
        except ValidationError as err:
            problems += _structure_problems(path, root, index, err)
    return parsed, problems


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    for kind, label in ((bool, "a boolean"), (dict, "a mapping"), (list, "a list"), (str, "a string"),
                        (int | float, "a number")):
        if isinstance(value, kind):
            return label
    return type(value).__name__


def _app_name_at(root: Any, index: int) -> str:
    try:
        name = root["apps"][index].get("name")
    except (AttributeError, IndexError, KeyError, TypeError):
        name = None
    return name if isinstance(name, str) and name else f"#{index + 1}"


def _structure_problems(path: str, root: Any, index: int, err: ValidationError) -> list[Problem]:
    problems = []
    app = _app_name_at(root, index)
    for error in err.errors():
        field_loc = list(error["loc"])
        loc = ["apps", index, *field_loc]
        problems.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(app, _dotted(field_loc) or "*"),
                                _message(error, field_loc)))
    return problems


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _message(error: dict[str, Any], loc: list[str | int]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else f"; known fields: {', '.join(known)}"
        return f"unknown field '{loc[-1]}'{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":  # our own validators quote the value already
        return error["msg"].removeprefix("Value error, ")
    if kind == "model_type":
        return f"expected a mapping of fields, found {_kind(error['input'])}"
    message = error["msg"]
    if not isinstance(error.get("input"), dict | list):
        message += f" (got {error['input']!r})"
    return message


def _known_fields(loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at `loc` (for 'did you mean' hints)."""
    model: Any = App
    for step in loc:
        if isinstance(step, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == step), None)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


# -- meaning -----------------------------------------------------------------------------


def apps_in_stack(apps: Iterable[App], stack: str) -> list[App]:
    return [app for app in apps if app.stacks is None or stack in app.stacks]


def resolve_host(app: App, settings: Settings, stack: str) -> str:
    """The app's FQDN. A label goes under its visibility's zone; an FQDN is taken as is."""
    host = app.host if app.host is not None else settings.host_template.format(name=app.name, stack=stack)
    host = host.rstrip(".").lower()
    if "." not in host:
        return f"{host}.{settings.domain_for(app.visibility)}"
    return host


def host_problem(host: str, zone: str, other_zone: str | None = None) -> str | None:
    """Why `host` cannot be served from `zone` (None when it can).

    The zone's certificate covers the apex and one level of wildcard, so a host must be the
    apex or exactly one label under it.
    """
    if host != zone and not host.endswith("." + zone):
        return f"'{host}' is outside the zone '{zone}'"
    if other_zone and (host == other_zone or host.endswith("." + other_zone)):
        return f"'{host}' is inside the private zone '{other_zone}'; a public app needs a public host"
    prefix = host[: -len(zone) - 1] if host != zone else ""
    if prefix and "." not in prefix and not LABEL_RE.match(prefix):
        return f"'{prefix}' in '{host}' is not a DNS label (a-z, 0-9 and '-')"
    if prefix and not LABEL_RE.match(prefix):
        return (f"'{host}' is more than one label under '{zone}'; the zone's wildcard certificate "
                f"covers only '<label>.{zone}'")
    return None


def _normal_path(path: str) -> str:
    return path.rstrip("/") or "/"


def check_catalogue(
    path: str, root: Any, apps: dict[int, App], settings: Settings, stack: str, known_stacks: set[str]
) -> list[Problem]:
    """Every rule that needs more than one field, other apps or the stack."""
    problems: list[Problem] = []
    if not isinstance(root, dict) or not isinstance(root.get("apps"), list):
        return problems  # parse_catalogue has reported the shape
    apps_node = root["apps"]

    def problem(index: int, loc: Sequence[str | int], message: str) -> None:
        line = line_of(apps_node, [index, *loc], start_line(apps_node[index]))
        problems.append(Problem(path, line, app_subject(_app_name_at(root, index), _dotted(loc)), message))

    seen_names: dict[str, int] = {}
    for index in range(len(apps_node)):
        name = _app_name_at(root, index)
        if name in seen_names:
            problem(index, ["name"], f"duplicate name; app #{seen_names[name] + 1} is also '{name}'")
        seen_names.setdefault(name, index)
    routes: dict[tuple[str, str], str] = {}
    dashboard_host = f"{settings.dashboard_host}.{settings.private_domain}" if settings.dashboard_enabled else None
    for index, app in sorted(apps.items()):
        if settings.dashboard_enabled and app.name == DASHBOARD_APP_NAME:
            problem(index, ["name"], f"'{DASHBOARD_APP_NAME}' is the dashboard's name (config "
                                     "gangplank:dashboardEnabled); choose another name")
        if app.deploy is not None and not app.name[0].isalpha():
            problem(index, ["name"], f"'{app.name}' must start with a letter: a deployed app gets a Service "
                                     "of its name, and Service names start with a letter")
        users = app.auth.basic.users if app.auth else []
        for position, user in enumerate(users):
            if user in users[:position]:
                problem(index, ["auth", "basic", "users", position], f"user '{user}' is listed twice")
        if (app.service is None) == (app.deploy is None):
            which = "both" if app.service else "neither"
            problem(index, ["service"], f"give exactly one of 'service' (an existing Service) and 'deploy' "
                                        f"(an image to run); found {which}")
        for position, stack_name in enumerate(app.stacks or []):
            if stack_name not in known_stacks:
                problem(index, ["stacks", position], f"no stack '{stack_name}' (no Pulumi.{stack_name}.yaml); "
                                                     f"known stacks: {', '.join(sorted(known_stacks))}")
        monitor = app.monitor
        if app.visibility == "private" and monitor.enabled:
            problem(index, ["monitor", "enabled"], "private apps cannot be monitored: UptimeRobot checks from "
                                                   "the internet and cannot reach them")
        if monitor.type == "KEYWORD" and monitor.keyword is None:
            problem(index, ["monitor", "keyword"], "a KEYWORD monitor needs the keyword to look for")
        if monitor.type != "KEYWORD" and monitor.keyword is not None:
            problem(index, ["monitor", "keyword"], "a keyword applies only to monitors of type KEYWORD")
        local_paths = [_normal_path(p) for p in app.paths]
        for position, duplicate in enumerate(local_paths):
            if duplicate in local_paths[:position]:
                problem(index, ["paths", position], f"path '{app.paths[position]}' is listed twice")
        if app.stacks is not None and stack not in app.stacks:
            continue
        host = resolve_host(app, settings, stack)
        other = str(settings.private_domain) if app.visibility == "public" else None
        if (reason := host_problem(host, settings.domain_for(app.visibility), other)) or not _valid_fqdn(host):
            problem(index, ["host"], reason or f"'{host}' is not a valid host name")
            continue
        if host == dashboard_host:
            problem(index, ["host"], f"'{host}' is the dashboard's host (config gangplank:dashboardHost)")
        for position, url_path in enumerate(app.paths):
            key = (host, _normal_path(url_path))
            if key in routes and routes[key] != app.name:
                problem(index, ["paths", position],
                        f"host '{host}' path '{url_path}' is already routed to app '{routes[key]}'")
            routes.setdefault(key, app.name)
    return problems


def _valid_fqdn(host: str) -> bool:
    return len(host) <= 253 and all(LABEL_RE.match(label) for label in host.split("."))


def resolve_app(app: App, settings: Settings, stack: str) -> ResolvedApp:
    monitored = app.visibility == "public" and settings.monitors_enabled and app.monitor.enabled is not False
    namespace = app.namespace or app.name
    return ResolvedApp(
        app=app,
        namespace=namespace,
        host=resolve_host(app, settings, stack),
        zone_domain=settings.domain_for(app.visibility),
        monitored=monitored,
        monitor_interval=app.monitor.interval or settings.monitor_interval,
        dashboard_name=app.dashboard.name or app.name,
        dashboard_group=app.dashboard.group or namespace,
    )


# -- JSON Schema -------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The JSON Schema of apps.yaml, for editors (yaml-language-server) and CI."""
    schema = Catalogue.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render_json_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def _main(argv: list[str]) -> int:
    """`python -m components.inputs.catalog [PATH]`: write the JSON Schema (default apps.schema.json)."""
    target = argv[0] if argv else SCHEMA_FILE
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_json_schema())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
