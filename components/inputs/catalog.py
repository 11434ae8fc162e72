"""The app catalogue (`apps.yaml`): its model, its loader and every check on it.

Two layers of checks, both collecting every problem before anything is declared:
1. structure (pydantic): types, ranges, unknown keys, at any depth;
2. meaning (`check_catalogue`): rules that need the stack (hosts inside the zone, hosts and
   paths unique across apps, stack names that exist, monitors only on public apps, ...).

`App` is what the user wrote; `ResolvedApp` is what components need (hosts made FQDNs,
defaults filled). `apps.schema.json` is generated from `Catalogue` (`python -m components.inputs.catalog`).
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from components.inputs.fieldtypes import HOST_PATTERN, LABEL_RE, AllowList, CodeOwner, HostName, Label, UrlPath, text
from components.inputs.imageref import IMAGE_MAX, IMAGE_PATTERN, image_problem
from components.inputs.problems import InputError, Problem, app_subject, shown
from components.inputs.salvage import Salvage, validate_salvaging
from components.inputs.settings import MONITOR_INTERVAL_MAX, MONITOR_INTERVAL_MIN, Edge, Settings, Visibility
from components.inputs.shaping import CanaryCookie, CanaryHeader, ExternalAuth, Sticky, shaping_problems
from components.inputs.yamlfile import (
    LineDict,
    YamlFileError,
    YamlIssue,
    line_of,
    parse_yaml,
    plain,
    read_text,
    start_line,
)

Protocol = Literal["HTTP", "HTTPS"]
SCHEMA_FILE = "apps.schema.json"
EXTENSION_PREFIX = "x-"
"""Top-level keys that hold YAML anchors for the apps to use (`x-web: &web {...}`), as in Compose files."""
DASHBOARD_APP_NAME = "forecastle"  # the dashboard is exposed as an app of this name
MONITOR_USER = "uptimerobot"
"""The basic-auth user a monitored app's uptime monitor logs in as, with a password of its own."""
SCHEMA_ID = "https://gangplank.dev/apps.schema.json"
CACHED_FILES = 64
"""Catalogue files whose entries' names and stacks are kept after a reading (`entry_stacks`)."""


Port = Annotated[int, Field(ge=1, le=65535)]


def _image_reference(image: str) -> str:
    reason = image_problem(image)
    if reason is not None:
        raise ValueError(reason)
    return image


ImageReference = Annotated[str, Field(max_length=IMAGE_MAX), AfterValidator(_image_reference),
                           WithJsonSchema({"type": "string", "pattern": IMAGE_PATTERN, "maxLength": IMAGE_MAX})]
"""A container image reference in the OCI distribution grammar (`components.inputs.imageref`)."""


def _user_name(user: str) -> str:
    if not USER_NAME_RE.fullmatch(user):
        raise ValueError(f"'{shown(user)}' is not a user name: 1 to 64 letters, digits, '.', '_', '@' and '-' (a ':' "
                         "would end the name in the htpasswd file)")
    return user


USER_NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"
USER_NAME_RE = re.compile(USER_NAME_PATTERN[1:-1])
UserName = Annotated[str, AfterValidator(_user_name), WithJsonSchema({"type": "string", "pattern": USER_NAME_PATTERN})]
"""A basic-auth user name: what htpasswd files and both flavors take."""
LIST_MAX = 100
"""Most hosts, paths or users one app may list (each becomes an Ingress rule, a DNS record or a Secret entry)."""
# What the JSON Schema says about rules across an entry's fields (the loader's own checks are in
# `entry_problems`; tests/components/inputs/test_schema_agreement.py holds the two together).
_EXACTLY_ONE_OF_SERVICE_AND_DEPLOY = {"oneOf": [
    {"required": ["service"], "properties": {"service": {"type": "object"}}},
    {"required": ["deploy"], "properties": {"deploy": {"type": "object"}}},
]}
_EXACTLY_ONE_OF_VISIBILITY_AND_EDGES = {"oneOf": [
    {"required": ["visibility"], "properties": {"visibility": {"type": "string"}}},
    {"required": ["edges"], "properties": {"edges": {"type": "array"}}},
]}
_DEPLOYED_NAME_STARTS_WITH_A_LETTER = {
    "if": {"required": ["deploy"], "properties": {"deploy": {"type": "object"}}},
    "then": {"properties": {"name": {"pattern": "^[a-z]"}}},
}
_TLS_ONLY_FOR_HTTPS_BACKENDS = {
    "if": {"required": ["tls"], "properties": {"tls": {"type": "object"}}},
    "then": {"required": ["protocol"], "properties": {"protocol": {"const": "HTTPS"}}},
}
_VERIFY_NEEDS_A_CA = {
    "if": {"required": ["verify"], "properties": {"verify": {"const": True}}},
    "then": {"required": ["caSecret"], "properties": {"caSecret": {"type": "string"}}},
}
_KEYWORD_ONLY_FOR_KEYWORD_MONITORS = {
    "if": {"required": ["type"], "properties": {"type": {"const": "KEYWORD"}}},
    "then": {"required": ["keyword"], "properties": {"keyword": {"type": "string"}}},
    "else": {"properties": {"keyword": {"type": "null"}}},
}


class _Strict(BaseModel):
    # Unknown keys are errors: in a hand-written YAML file they are almost always typos.
    model_config = ConfigDict(
        alias_generator=to_camel, extra="forbid", frozen=True, use_attribute_docstrings=True,
        # Strict: `port: true` or `replicas: "2"` is a mistake to report, not a value to coerce.
        strict=True,
    )


class BackendTLS(_Strict):
    """How the controller connects to a backend that speaks HTTPS. Without it (the default), every flavor uses
    TLS without checking the backend's certificate and without SNI."""

    model_config = ConfigDict(json_schema_extra=_VERIFY_NEEDS_A_CA)

    verify: bool = False
    """Check the backend's certificate (chain to `caSecret`, name `serverName`). Needs `caSecret`; the
    `nginx-inc` flavor cannot check it (an input error)."""
    server_name: Annotated[str, Field(max_length=253, pattern=HOST_PATTERN)] | None = None
    """Name sent as SNI and expected in the backend's certificate, e.g. `shop-web.shop.svc`; default none (no
    SNI). With the `ingress-nginx` flavor it needs `caSecret`."""
    ca_secret: Label | None = None
    """Secret in the app's namespace whose `ca.crt` holds the CA certificates the backend's certificate must
    chain to (`ingress-nginx`; `envoy-gateway` with `verify` only)."""


class ServiceRef(_Strict):
    """An existing Kubernetes Service in the app's namespace."""

    model_config = ConfigDict(json_schema_extra=_TLS_ONLY_FOR_HTTPS_BACKENDS)

    name: Label
    """Name of the Service."""
    port: Port
    """Service port the Ingress sends traffic to."""
    protocol: Protocol = "HTTP"
    """What the backend speaks on that port: `HTTP`, or `HTTPS` (the controller then connects with TLS)."""
    tls: BackendTLS | None = None
    """With `protocol: HTTPS`: check the backend's certificate and send SNI (`{verify, serverName, caSecret}`)."""


class Deploy(_Strict):
    """A container image that gangplank deploys (Deployment + Service) for the app."""

    model_config = ConfigDict(json_schema_extra=_TLS_ONLY_FOR_HTTPS_BACKENDS)

    image: ImageReference
    """Image reference, e.g. `ghcr.io/acme/shop:1.4`: `[registry/]repository[:tag][@digest]`, as the kubelet parses
    it (the OCI distribution reference grammar; a repository is lowercase)."""
    port: Port
    """Port the container listens on."""
    replicas: Annotated[int, Field(ge=1, le=100)] = 2
    """Pod replicas (at least 1; leave the stack out of `stacks` to remove the app)."""
    protocol: Protocol = "HTTP"
    """What the container speaks on `port`: `HTTP`, or `HTTPS` (the controller then connects with TLS)."""
    tls: BackendTLS | None = None
    """With `protocol: HTTPS`: check the container's certificate and send SNI (`{verify, serverName, caSecret}`)."""


class MonitorSpec(_Strict):
    """The UptimeRobot monitor of a public app."""

    model_config = ConfigDict(json_schema_extra=_KEYWORD_ONLY_FOR_KEYWORD_MONITORS)

    enabled: bool | None = None
    """Default: on for public apps (when the stack has monitors), off for private ones, which must stay off."""
    type: Literal["HTTP", "KEYWORD"] = "HTTP"
    """`HTTP` checks the status code; `KEYWORD` also alerts when `keyword` is missing from the page."""
    keyword: Annotated[str, text(500)] | None = None
    """Text the health page must contain (KEYWORD monitors only, and required for them; at most 500
    characters, UptimeRobot's limit)."""
    interval: Annotated[int, Field(ge=MONITOR_INTERVAL_MIN, le=MONITOR_INTERVAL_MAX)] | None = None
    """Seconds between checks; default the stack's `monitorInterval`."""
    alert_contact_ids: list[Annotated[int, Field(ge=1)]] | None = None
    """UptimeRobot alert contacts to notify (e.g. the owning team's); default the stack's `monitorAlertContactIds`."""


class Dashboard(_Strict):
    """The app's bookmark on the Forecastle dashboard."""

    name: Annotated[str, text(200)] | None = None
    """Title shown; default the app name."""
    group: Annotated[str, text(200)] | None = None
    """Group the bookmark is listed under; default the namespace."""
    icon: Annotated[str, Field(max_length=2048, pattern=r"^https?://[\x21-\x7e]+$")] | None = None
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

    users: Annotated[list[UserName],
                     Field(min_length=1, max_length=LIST_MAX, json_schema_extra={"uniqueItems": True})]
    """User names; each gets a generated password (a secret stack output)."""


class Auth(_Strict):
    """Authentication the ingress controller enforces: exactly one of `basic` and `external`."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["basic"]}, {"required": ["external"]}]})

    basic: BasicAuth | None = None
    """HTTP basic authentication."""
    external: ExternalAuth | None = None
    """An external authentication service (e.g. oauth2-proxy) asked about every request; combines with
    `allowCidrs` (the allow-list is checked first)."""


class Canary(_Strict):
    """A second backend that receives a share of the app's traffic: by `weight`, and always for requests with the
    `header` or the `cookie`, which win over the weight."""

    model_config = ConfigDict(json_schema_extra=_EXACTLY_ONE_OF_SERVICE_AND_DEPLOY)

    service: ServiceRef | None = None
    """An existing Service (in the app's namespace) that serves the canary. Exactly one of `service` and `deploy`."""
    deploy: Deploy | None = None
    """An image to deploy for the canary (Deployment and Service `<app>-canary`). Exactly one of `service` and
    `deploy`."""
    weight: Annotated[int, Field(ge=0, le=100)] = 0
    """Percent of the other requests sent to the canary (0-100); default 0: only the header and the cookie reach
    it."""
    header: CanaryHeader | None = None
    """A request header that always selects the canary."""
    cookie: CanaryCookie | None = None
    """A cookie whose value `always` selects the canary (and `never` the app)."""


class App(_Strict):
    """One app to expose."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        _EXACTLY_ONE_OF_SERVICE_AND_DEPLOY, _EXACTLY_ONE_OF_VISIBILITY_AND_EDGES, _DEPLOYED_NAME_STARTS_WITH_A_LETTER]})

    name: Label
    """Unique name, a DNS label (RFC 1123). Required."""
    namespace: Label | None = None
    """Kubernetes namespace of the app (it must exist); default the name."""
    visibility: Visibility | None = None
    """`public` (internet-facing load balancer, public zone) or `private` (internal, private zone): the same as
    `edges: [public]` / `edges: [private]`. Exactly one of `visibility` and `edges`."""
    edges: Annotated[list[Label], Field(min_length=1, max_length=LIST_MAX,
                                        json_schema_extra={"uniqueItems": True})] | None = None
    """Edges (ingress controllers) of the stack that serve the app: one Ingress per edge, DNS records in each
    edge's zone. Exactly one of `visibility` and `edges`."""
    host: HostName | None = None
    """A label (`shop` -> `shop.<zone>`), an FQDN one label under the zone, or the zone itself (the apex);
    default the stack's `hostTemplate`."""
    aliases: Annotated[list[HostName], Field(max_length=LIST_MAX)] = []
    """More hosts (labels or FQDNs in the zone, as `host`) served by the same rules, each with its DNS records."""
    paths: Annotated[list[UrlPath], Field(min_length=1, max_length=LIST_MAX)] = ["/"]
    """URL path prefixes routed to the app: each starts with `/` and holds only letters, digits, `.`, `_`, `-`
    and `/` (no `//`, `.` or `..` segments), as Kubernetes and both controller flavors require of `pathType:
    Prefix` paths. Default `["/"]`."""
    service: ServiceRef | None = None
    """An existing Service to route to. Exactly one of `service` and `deploy`."""
    deploy: Deploy | None = None
    """An image to deploy and route to. Exactly one of `service` and `deploy`."""
    health_path: UrlPath = "/"
    """Path checked by probes (deployed apps) and by the uptime monitor, written as `paths`. Default `/`."""
    monitor: MonitorSpec = MonitorSpec()
    """Uptime monitor (public apps only)."""
    dashboard: Dashboard = Dashboard()
    """Forecastle dashboard bookmark."""
    rate_limit: RateLimit | None = None
    """Per-client rate limits; default none."""
    auth: Auth | None = None
    """Authentication in front of the app; default none."""
    allow_cidrs: AllowList = []
    """Only these client CIDR blocks may reach the app; default everyone who reaches the load balancer."""
    canary: Canary | None = None
    """A second backend that takes a share of the traffic (canary and A/B routing); the monitor keeps watching
    the app's own backend."""
    sticky: Sticky | None = None
    """Session affinity by cookie: a client keeps reaching the pod that served it first."""
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]{1,10}[kKmMgG]?$")] | None = None
    """Largest request body accepted, nginx syntax (`10m`); default the controller's (1m)."""
    stacks: Annotated[list[Label], Field(min_length=1)] | None = None
    """Stacks (environments) the app exists in; default every stack (an empty list is refused: remove the app)."""

    _salvage: Salvage = PrivateAttr(default_factory=Salvage)
    """What of the entry was set aside as invalid to check the rest (nothing, for a valid entry)."""


    @property
    def basic_auth(self) -> BasicAuth | None:
        """The app's basic auth, if it asks for it."""
        return self.auth.basic if self.auth is not None else None

    @property
    def external_auth(self) -> ExternalAuth | None:
        """The app's external authentication service, if it asks for one."""
        return self.auth.external if self.auth is not None else None


Owners = Annotated[list[CodeOwner],
                   Field(min_length=1, max_length=LIST_MAX, json_schema_extra={"uniqueItems": True})]
OwnedHosts = Annotated[list[HostName],
                       Field(min_length=1, max_length=LIST_MAX, json_schema_extra={"uniqueItems": True})]


class Catalogue(_Strict):
    """A catalogue file: the whole `apps.yaml`, or one team's file of a catalogue directory (`apps.d/<team>.yaml`)."""

    # Top-level `x-` keys hold YAML anchors for the apps to use, as in Compose files; they are not apps.
    model_config = ConfigDict(json_schema_extra={"patternProperties": {f"^{EXTENSION_PREFIX}": {}}})

    apps: list[App]
    """The apps to expose."""
    owners: Owners | None = None
    """Who owns the file, as CODEOWNERS names owners (`@org/team`, `@user`, an email): `python -m planner
    --codeowners` makes them the file's code owners, so changes to it need their review. Default: the
    platform's owners (`gangplank:platformOwners`)."""
    owns_hosts: OwnedHosts | None = None
    """A team file only: hosts this team owns where other teams' apps share them, written as an app's `host`
    (`shop` -> `shop.<zone>`, or an FQDN). A host that the apps of several teams serve has its DNS records and
    (F5 flavor) master Ingress declared once, by its owner's stack: exactly one of those teams names it here, or
    the catalogue is refused. A host of one team's apps alone is that team's without it (docs/teams.md)."""


TOP_LEVEL_FIELDS = ("apps", "owners", "ownsHosts")
_OWNERS: TypeAdapter[list[str]] = TypeAdapter(Owners)
_OWNED_HOSTS: TypeAdapter[list[str]] = TypeAdapter(OwnedHosts)


def _owner_message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        return (f"'{shown(error['input'])}' is not a code owner: '@user', '@org/team' or an email address, as "
                "GitHub's CODEOWNERS takes them")
    if error["type"] == "too_short":
        return "an empty list: name at least one owner, or remove 'owners' (the platform's owners then own the file)"
    message = error["msg"]
    return message if isinstance(error.get("input"), dict | list) else f"{message} (got {shown(repr(error['input']))})"


@dataclass(frozen=True)
class AppRoute:
    """How an app is reached through one edge: the edge, its zone, and the app's hosts there."""

    edge: Edge
    """The edge (ingress controller and load balancer)."""
    zone_domain: str
    """Domain of the hosted zone the hosts live in (the edge's visibility's zone)."""
    hosts: tuple[str, ...]
    """Fully qualified hosts: the app's `host` first, then its `aliases`."""

    @property
    def host(self) -> str:
        return self.hosts[0]


@dataclass(frozen=True)
class ResolvedApp:
    """An app of one stack with every default filled: what the components consume."""

    app: App
    """The entry as written."""
    namespace: str
    """Kubernetes namespace."""
    routes: tuple[AppRoute, ...]
    """One per edge, in the order of `edges` (`visibility` is one edge)."""
    monitored: bool
    """Whether an UptimeRobot monitor is created."""
    monitor_skipped: str | None
    """Why the app has no monitor (None when it has one): a person can act on it."""
    monitor_interval: int
    """Seconds between monitor checks."""
    monitor_alert_contact_ids: tuple[int, ...]
    """UptimeRobot alert contacts of the app's monitor."""
    dashboard_name: str
    """Title on the dashboard."""
    dashboard_group: str
    """Group on the dashboard."""
    source: tuple[str, int | None] = ("", None)
    """The catalogue file and the line the entry starts on, for problems found after loading."""
    team: str | None = None
    """The team whose file holds the entry (a catalogue directory: the file's stem); None in a single file."""
    owns_hosts: tuple[str, ...] = ()
    """Hosts of the app that its team owns (`ownsHosts` in its file): where apps of other teams share them, this
    app's team's stack declares them (`components.inputs.teams.host_ownership`)."""
    node: Any = dataclass_field(default=None, compare=False, repr=False)
    """The entry as read (with the line of every field), for problems found after loading."""

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of a field of the entry (`["auth", "basic", "users", 1]`), else the entry's first line."""
        return line_of(self.node, loc, self.source[1])

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def edges(self) -> tuple[str, ...]:
        return tuple(route.edge.name for route in self.routes)

    @property
    def visibility(self) -> str:
        """The visibility of the app's first edge."""
        return self.routes[0].edge.visibility

    @property
    def host(self) -> str:
        """The app's main host: its `host` on its first edge."""
        return self.routes[0].host

    @property
    def zone_domain(self) -> str:
        return self.routes[0].zone_domain

    @property
    def url(self) -> str:
        """Main entry point: the first path on the main host, always HTTPS."""
        return f"https://{self.host}{self.app.paths[0]}"

    @property
    def monitor_route(self) -> AppRoute | None:
        """The route the uptime monitor checks: the first edge open to everyone."""
        return next((route for route in self.routes if route.edge.open_to_everyone), None)

    @property
    def health_url(self) -> str:
        """What the uptime monitor requests."""
        route = self.monitor_route or self.routes[0]
        return f"https://{route.host}{self.app.health_path}"


# -- loading -----------------------------------------------------------------------------


def load_catalogue(
    path: str, settings: Settings, stack: str, known_stacks: Iterable[str]
) -> list[ResolvedApp]:
    """Read, check and resolve the catalogue for `stack`: a file, or a directory of team files
    (`components.inputs.teams`). Raises InputError listing every problem."""
    if os.path.isdir(path):
        from components.inputs.teams import load_team_catalogue

        return load_team_catalogue(path, settings, stack, known_stacks)
    root, parsed, problems = read_catalogue_file(path)
    if root is None:
        raise InputError(problems)
    if isinstance(root, dict) and "ownsHosts" in root:
        problems.append(Problem(path, line_of(root, ["ownsHosts"]), app_subject(None, "ownsHosts"),
                                "applies to team files only (a directory of them in gangplank:appsFile): in a "
                                "catalogue of one file, every host has one owner, the stack; remove it"))
    problems += check_catalogue(path, root, parsed, settings, stack, set(known_stacks))
    if problems:
        raise InputError(problems)
    return [resolve_app(app, settings, stack, (path, line_of(root, ["apps", index])), root["apps"][index])
            for index, app in sorted(parsed.items()) if in_stack(app, stack)]


def read_catalogue_file(path: str) -> tuple[Any, dict[int, App], list[Problem]]:
    """One catalogue file read and its structure checked: (its data, None when it could not be read at all; its
    apps that can be read, by position; its problems). Values the YAML reader refused are set aside, with a
    problem each, and the rest is read (`parse_catalogue`).

    Each reading leaves the file's entries' names and stacks (`entry_stacks`), by path and text, for the offline
    planner, which needs them once more for the plan (`planner.catalogue.apps_left_out`) without reading again
    what the program has just read (at 5,000 apps, a second)."""
    try:
        text = read_text(path)
    except YamlFileError as err:
        return None, {}, [_yaml_problem(path, issue, None) for issue in err.issues]
    root, parsed, problems = _parse_catalogue_text(path, text)
    _ENTRY_STACKS[(path, text)] = [(index, app.name, app.stacks) for index, app in sorted(parsed.items())]
    while len(_ENTRY_STACKS) > CACHED_FILES:
        del _ENTRY_STACKS[next(iter(_ENTRY_STACKS))]
    return root, parsed, problems


EntryStacks = list[tuple[int, str, list[str] | None]]
_ENTRY_STACKS: dict[tuple[str, str], EntryStacks] = {}
"""(path, text) -> (position, name, stacks) of each well-formed entry, for the last `CACHED_FILES` readings."""


def entry_stacks(path: str) -> EntryStacks:
    """(position, name, `stacks`) of each well-formed entry of a catalogue file, in the file's order: from the last
    reading of the same text if there was one, else read now."""
    try:
        known = _ENTRY_STACKS.get((path, read_text(path)))
    except YamlFileError:
        known = None
    if known is not None:
        return known
    _, parsed, _ = read_catalogue_file(path)
    return [(index, app.name, app.stacks) for index, app in sorted(parsed.items())]


def _parse_catalogue_text(path: str, text: str) -> tuple[Any, dict[int, App], list[Problem]]:
    try:
        root = parse_yaml(text, path)
    except YamlFileError as err:
        unread = [_yaml_problem(path, issue, err.document) for issue in err.issues]
        if err.document is None:
            return None, {}, unread
        # Only some values were refused: they are set aside, and every other problem (the rules across apps
        # too, which the caller runs on what is returned) is reported with them, in one round.
        parsed, problems = parse_catalogue(path, err.document, [issue.location for issue in err.issues])
        return err.document, parsed, unread + problems
    parsed, problems = parse_catalogue(path, root)
    return root, parsed, problems


def _yaml_problem(path: str, issue: YamlIssue, document: Any) -> Problem:
    """A problem found while reading the YAML, named by app and field when the reading got that far."""
    loc = list(issue.location)
    if len(loc) >= 2 and loc[0] == "apps" and isinstance(loc[1], int):
        subject = app_subject(_app_name_at(document, loc[1]), _dotted(loc[2:]) or "*")
    else:
        subject = app_subject(None, str(loc[0]) if loc else "apps")
    return Problem(path, issue.line, subject, issue.message)


def parse_catalogue(path: str, root: Any, refused: Iterable[Sequence[str | int]] = ()
                    ) -> tuple[dict[int, App], list[Problem]]:
    """Check the structure of a parsed apps.yaml, app by app: everything `apps.schema.json` says too.

    Returns the apps that can be read (by their position in the file) and every problem. An entry
    with invalid values is read without them (`components.inputs.salvage`), so that the rules on the
    entry and across apps still run on the rest of it: all problems of a file come in one run.
    `refused` are the locations of values the YAML reader refused (reported by it).
    """
    def top(message: str, line: int | None = 1) -> tuple[dict[int, App], list[Problem]]:
        return {}, [Problem(path, line, app_subject(None, "apps"), message)]

    if root is None or (isinstance(root, str) and not root.strip()):
        return top("the file is empty; expected a mapping with a list under 'apps:'")
    if not isinstance(root, dict):
        return top(f"expected a mapping with a list under 'apps:', found {_kind(root)}", start_line(root) or 1)
    problems = [
        Problem(path, line_of(root, [key]), app_subject(None, str(key)), f"unknown top-level field '{key}'; "
                "the file's fields are 'apps', 'owners' and 'ownsHosts' (and 'x-' fields to hold YAML anchors)")
        for key in root if key not in TOP_LEVEL_FIELDS and not str(key).startswith(EXTENSION_PREFIX)
    ]
    if "owners" in root:
        try:
            _OWNERS.validate_python(plain(root["owners"]))
        except ValidationError as err:
            for error in err.errors():
                loc: list[str | int] = ["owners", *error["loc"]]
                problems.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(None, _dotted(loc)),
                                        _owner_message(error)))
        else:
            owners = list(root["owners"])
            problems += [Problem(path, line_of(root, ["owners", i]), app_subject(None, f"owners[{i}]"),
                                 f"'{shown(owner)}' is listed twice") for i, owner in enumerate(owners)
                         if owner in owners[:i]]
    if "ownsHosts" in root:
        problems += owned_host_problems(path, root)
    if "apps" not in root:
        return {}, [*problems, *top("required field 'apps' is missing", start_line(root))[1]]
    if not isinstance(root["apps"], list):
        return {}, [*problems, *top(f"'apps' must be a list of apps, found {_kind(root['apps'])}",
                                    line_of(root, ["apps"]))[1]]
    refused_in: dict[int, list[tuple[str | int, ...]]] = {}
    for loc in refused:
        if len(loc) >= 2 and loc[0] == "apps" and isinstance(loc[1], int):
            refused_in.setdefault(loc[1], []).append(tuple(loc[2:]))
    parsed: dict[int, App] = {}
    for index, entry in enumerate(root["apps"]):
        app, errors, salvage = validate_salvaging(App, plain(entry), refused_in.get(index, ()))
        problems += _structure_problems(path, root, index, errors)
        if not isinstance(app, App):
            continue
        app._salvage = salvage
        parsed[index] = app
        for loc, message in entry_problems(app):
            problems.append(Problem(path, line_of(root, ["apps", index, *loc], start_line(entry)),
                                    app_subject(_app_name_at(root, index), _dotted(loc)), message))
    return parsed, problems


def owned_host_problems(path: str, root: Any) -> list[Problem]:
    """What is wrong with a file's `ownsHosts` as written: its shape and each host's grammar, a host listed twice."""
    try:
        _OWNED_HOSTS.validate_python(plain(root["ownsHosts"]))
    except ValidationError as err:
        found = []
        for error in err.errors():
            loc: list[str | int] = ["ownsHosts", *error["loc"]]
            message = ("an empty list: name at least one host, or remove 'ownsHosts'" if error["type"] == "too_short"
                       else error["msg"].removeprefix("Value error, "))
            found.append(Problem(path, line_of(root, loc, start_line(root)), app_subject(None, _dotted(loc)), message))
        return found
    hosts = [host.rstrip(".").lower() for host in root["ownsHosts"]]
    return [Problem(path, line_of(root, ["ownsHosts", i]), app_subject(None, f"ownsHosts[{i}]"),
                    f"'{shown(host)}' is listed twice") for i, host in enumerate(hosts) if host in hosts[:i]]


def entry_problems(app: App) -> list[tuple[list[str | int], str]]:
    """Rules across the fields of one entry that need nothing else (the schema's `oneOf`, `if`, `uniqueItems`),
    located as the entry is written; rules on a field set aside as invalid are not judged."""
    found: list[tuple[list[str | int], str]] = []
    salvage = app._salvage
    if (app.service is None) == (app.deploy is None) and not (salvage.lost("service") or salvage.lost("deploy")):
        which = "both" if app.service else "neither"
        found.append((["service"], f"give exactly one of 'service' (an existing Service) and 'deploy' (an image to "
                                   f"run); found {which}"))
    if (app.visibility is None) == (app.edges is None) and not (salvage.lost("visibility") or salvage.lost("edges")):
        which = "both" if app.visibility else "neither"
        found.append((["visibility"], "give exactly one of 'visibility' (public or private) and 'edges' (edge names "
                                      f"of the stack); found {which}"))
    if app.deploy is not None and not app.name[0].isalpha():
        found.append((["name"], f"'{app.name}' must start with a letter: a deployed app gets a Service of its name, "
                                "and Service names start with a letter"))
    found += shaping_problems(app)
    users = app.basic_auth.users if app.basic_auth else []
    for position, user in enumerate(users):
        if user in users[:position]:
            found.append((["auth", "basic", "users", position], f"user '{user}' is listed twice"))
        if user == MONITOR_USER:
            found.append((["auth", "basic", "users", position], f"'{MONITOR_USER}' is the uptime monitor's own user "
                                                                "(it gets a generated password); choose another name"))
    for position, edge_name in enumerate(app.edges or []):
        if edge_name in app.edges[:position]:  # type: ignore[index]
            found.append((["edges", position], f"edge '{edge_name}' is listed twice"))
    for key, backend_spec in (("service", app.service), ("deploy", app.deploy)):
        tls = backend_spec.tls if backend_spec is not None else None
        if tls is None:
            continue
        if backend_spec.protocol != "HTTPS":  # type: ignore[union-attr]
            found.append(([key, "tls"], "applies to a backend that speaks HTTPS: set protocol: HTTPS"))
        if tls.verify and tls.ca_secret is None:
            found.append(([key, "tls", "verify"], "needs caSecret, the CA certificates to check the backend's "
                                                  "certificate against (nginx has no default trust store for it)"))
    monitor = app.monitor
    if monitor.type == "KEYWORD" and monitor.keyword is None and not salvage.touched("monitor"):
        found.append((["monitor", "keyword"], "a KEYWORD monitor needs the keyword to look for"))
    if monitor.type != "KEYWORD" and monitor.keyword is not None and not salvage.touched("monitor"):
        found.append((["monitor", "keyword"], "a keyword applies only to monitors of type KEYWORD"))
    return [(salvage.where_written(loc), message) for loc, message in found]


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


def _structure_problems(path: str, root: Any, index: int, errors: Sequence[dict[str, Any]]) -> list[Problem]:
    problems = []
    app = _app_name_at(root, index)
    for error in errors:
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
    if kind == "too_short" and loc and loc[-1] == "stacks":
        return "an empty list puts the app in no stack: list its stacks, or remove the app"
    if kind == "value_error":  # our own validators quote the value already
        return error["msg"].removeprefix("Value error, ")
    if kind == "model_type":
        return f"expected a mapping of fields, found {_kind(error['input'])}"
    message = error["msg"]
    if kind == "string_pattern_mismatch" and "\\x00-\\x1f" in str((error.get("ctx") or {}).get("pattern")):
        message = "must be text on one line, without control characters"
    if not isinstance(error.get("input"), dict | list):
        message += f" (got {shown(repr(error['input']))})"
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


def in_stack(app: App, stack: str) -> bool:
    """Whether the app exists in `stack` (its `stacks`, default every stack)."""
    return app.stacks is None or stack in app.stacks


def app_edges(app: App) -> list[str]:
    """The edges an app asks for: its `edges`, or its `visibility` as the one built-in edge of that name."""
    if app.edges is not None:
        return list(app.edges)
    return [app.visibility] if app.visibility is not None else []


def resolve_name(name: str, zone: str) -> str:
    """A host as written, made an FQDN: a label goes under `zone`; an FQDN is taken as is."""
    name = name.rstrip(".").lower()
    return name if "." in name else f"{name}.{zone}"


def resolve_host(app: App, settings: Settings, stack: str, zone: str | None = None) -> str:
    """The app's main host in `zone` (default: the zone of its first edge)."""
    if zone is None:
        zone = settings.domain_for(settings.all_edges()[app_edges(app)[0]].visibility)
    host = app.host if app.host is not None else settings.host_template.format(name=app.name, stack=stack)
    return resolve_name(host, zone)


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
    if prefix and "." not in prefix and not LABEL_RE.fullmatch(prefix):
        return f"'{prefix}' in '{host}' is not a DNS label (a-z, 0-9 and '-')"
    if prefix and not LABEL_RE.fullmatch(prefix):
        return (f"'{host}' is more than one label under '{zone}'; the zone's wildcard certificate "
                f"covers only '<label>.{zone}'")
    return None


def _normal_path(path: str) -> str:
    return path.rstrip("/") or "/"


def path_is_under(path: str, prefix: str) -> bool:
    """Whether `path` is matched by the Prefix path `prefix` (Kubernetes: element by element)."""
    path, prefix = _normal_path(path), _normal_path(prefix)
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def probe_path_problem(app: App) -> str | None:
    """Why the monitor of an allow-listed, password-protected or externally authenticated app, or of one with a
    weighted canary, could not get a route of its own.

    The monitor is let in (from UptimeRobot's addresses, with its own login, past the external auth service, to the
    app's own backend) for the health path only, through an Ingress of its own with an exact-match path beside the
    app's: the health path must therefore be one of the app's routes, and not one of its `paths` itself (the F5
    controller keeps one Ingress per path of a host: internal/k8s/configuration.go `buildMinionConfigs` at v5.5.4,
    "path %s is taken").
    """
    hint = "set healthPath to a path of its own inside the app's paths (e.g. /healthz), or monitor.enabled: false"
    why = ("with allowCidrs the monitor is let in from UptimeRobot's addresses" if app.allow_cidrs else
           "behind basic auth the monitor's own login is accepted" if app.basic_auth is not None else
           "the monitor cannot sign in at the external auth service, so it is let in without it"
           if app.external_auth is not None else
           "the monitor keeps watching the app, not its canary, through a route of its own")
    if any(_normal_path(app.health_path) == _normal_path(p) for p in app.paths):
        return (f"'{app.health_path}' is one of the app's paths; {why} for the health path alone, which needs a "
                f"path of its own: {hint}")
    if not any(path_is_under(app.health_path, p) for p in app.paths):
        return (f"'{app.health_path}' is not routed to the app (paths {', '.join(app.paths)}); the monitor would "
                f"check another app: {hint}")
    return None


def unreachable_reason(edges: Sequence[Edge]) -> str | None:
    """Why UptimeRobot, which probes from the internet, cannot reach an app on these edges."""
    if any(edge.open_to_everyone for edge in edges):
        return None
    if all(edge.visibility == "private" for edge in edges):
        return "private: UptimeRobot probes from the internet and cannot reach it"
    restricted = ", ".join(f"'{edge.name}'" for edge in edges if edge.visibility == "public")
    return f"its public edge {restricted} admits only its allowedCidrs, so UptimeRobot cannot reach it"


def monitor_skip_reason(app: App, edges: Sequence[Edge], settings: Settings) -> str | None:
    """Why an app gets no uptime monitor, in words a person can act on; None when it gets one."""
    if not settings.monitors_enabled:
        return "monitors are off for this stack (gangplank:monitorsEnabled)"
    if app.monitor.enabled is False:
        return "disabled in apps.yaml (monitor.enabled: false)"
    return unreachable_reason(edges)


def check_catalogue(
    path: str, root: Any, apps: dict[int, App], settings: Settings, stack: str, known_stacks: set[str],
    files: Sequence[str] | None = None,
) -> list[Problem]:
    """Every rule that needs more than one field, other apps or the stack.

    `files`: for a catalogue of several files (a directory of team files, read as one `root`), the file of
    each entry; a problem then names the entry's own file, and one about two entries names the other's file
    and line as well.
    """
    problems: list[Problem] = []
    if not isinstance(root, dict) or not isinstance(root.get("apps"), list):
        return problems  # parse_catalogue has reported the shape
    apps_node = root["apps"]
    stack_edges = settings.all_edges()

    def file_of(index: int) -> str:
        return files[index] if files is not None else path

    def problem(index: int, loc: Sequence[str | int], message: str) -> None:
        # Located as the entry is written, and where the entry takes the value: these rules judge the
        # value in this app, so a duplicate made with `- *web` is reported at the alias, not the anchor.
        if index in apps:
            loc = apps[index]._salvage.where_written(loc)
        line = line_of(apps_node, [index, *loc], start_line(apps_node[index]), where_used=True)
        problems.append(Problem(file_of(index), line, app_subject(_app_name_at(root, index), _dotted(loc)), message))

    def elsewhere(index: int, other: int, loc: Sequence[str | int] = (), before: str = " (", after: str = ")") -> str:
        """Where the other side of a rule across entries is, when it is in another file: ` (apps.d/shop.yaml:12)`;
        nothing when both are in one file (its problems have always named the other app alone)."""
        if file_of(other) == file_of(index):
            return ""
        return f"{before}{file_of(other)}:{line_of(apps_node, [other, *loc], start_line(apps_node[other]))}{after}"

    seen_names: dict[str, int] = {}
    for index in range(len(apps_node)):
        name = _app_name_at(root, index)
        if name in seen_names:
            first = seen_names[name]
            where = elsewhere(index, first, ["name"], before="", after="")
            # In one file: the line where the other app takes its name (an alias's line for `- *web`).
            loc = apps[first]._salvage.where_written(["name"]) if first in apps else ["name"]
            line = line_of(apps_node, [first, *loc], start_line(apps_node[first]), where_used=True)
            problem(index, ["name"], f"duplicate name; {where} also names an app '{name}' (names are unique across "
                                     "the catalogue's files)" if where else
                    f"duplicate name; line {line} also names an app '{name}'")
        seen_names.setdefault(name, index)
    routes: dict[tuple[str, str], tuple[str, int]] = {}  # (host, path) -> (app, its entry)
    host_edges: dict[str, tuple[str, str, int]] = {}  # host -> (edge, first app, its entry)
    alias_owners: dict[str, tuple[str, int]] = {}  # alias host -> (app, its entry)
    main_hosts: dict[str, tuple[str, int]] = {}  # main host -> (first app, its entry)
    dashboard_host = f"{settings.dashboard_host}.{settings.private_domain}" if settings.dashboard_enabled else None
    for index, app in sorted(apps.items()):
        if settings.dashboard_enabled and app.name == DASHBOARD_APP_NAME:
            problem(index, ["name"], f"'{DASHBOARD_APP_NAME}' is the dashboard's name (config "
                                     "gangplank:dashboardEnabled); choose another name")
        for position, stack_name in enumerate(app.stacks or []):
            if stack_name not in known_stacks:
                problem(index, ["stacks", position], f"no stack '{stack_name}' (no Pulumi.{stack_name}.yaml); "
                                                     f"known stacks: {', '.join(sorted(known_stacks))}")
        monitor = app.monitor
        local_paths = [_normal_path(p) for p in app.paths]
        for position, duplicate in enumerate(local_paths):
            if duplicate in local_paths[:position]:
                problem(index, ["paths", position], f"path '{app.paths[position]}' is listed twice")
        if (app.visibility is None) == (app.edges is None):
            continue  # entry_problems has said so
        salvage = app._salvage
        if not in_stack(app, stack) or salvage.lost("stacks"):
            continue  # not in this stack, or its stacks are not known (set aside as invalid)
        for position, edge_name in enumerate(app.edges or []):
            if edge_name not in stack_edges:
                problem(index, ["edges", position], f"no edge '{edge_name}' in stack {stack}; its edges: "
                                                    f"{', '.join(stack_edges)} (config gangplank:edges)")
        # The rules below judge the app on the edges that exist (an unknown one is reported above).
        edges = [stack_edges[name] for name in dict.fromkeys(app_edges(app)) if name in stack_edges]
        if not edges:
            continue
        for position, cidr in enumerate(app.allow_cidrs):
            reason = unreachable_cidr(cidr, edges)
            if reason is not None:
                problem(index, ["allowCidrs", position], reason)
        unreachable = unreachable_reason(edges)
        if salvage.touched("monitor"):
            pass  # part of the monitor was set aside as invalid: what it asks for is not known
        elif unreachable is not None and monitor.enabled:
            problem(index, ["monitor", "enabled"], "private apps cannot be monitored: UptimeRobot checks from the "
                    "internet and cannot reach them" if unreachable.startswith("private")
                    else f"cannot be monitored: {unreachable}")
        elif unreachable is not None and monitor.enabled is None and _monitor_settings(monitor):
            problem(index, ["monitor"], f"monitor settings have no effect: the app is never monitored "
                                        f"({unreachable}); remove them")
        if (app.allow_cidrs or app.auth is not None or (app.canary and app.canary.weight)) \
                and monitor_skip_reason(app, edges, settings) is None \
                and not any(salvage.touched(name) for name in ("healthPath", "paths", "monitor", "auth", "canary")):
            reason = probe_path_problem(app)
            if reason is not None:
                problem(index, ["healthPath"], reason)
        zones = list(dict.fromkeys(settings.domain_for(edge.visibility) for edge in edges))
        for zone in zones:
            zone_edges = [edge for edge in edges if settings.domain_for(edge.visibility) == zone]
            visibility = zone_edges[0].visibility
            other = str(settings.private_domain) if visibility == "public" else None
            written = [] if salvage.lost("host") else [
                ("host", app.host if app.host is not None else settings.host_template.format(name=app.name,
                                                                                              stack=stack))]
            written += [(f"aliases[{i}]", alias) for i, alias in enumerate(app.aliases)]
            seen_here: list[str] = []
            for field, name in written:
                loc: list[str | int] = [field] if field == "host" else ["aliases", int(field[8:-1])]
                host = resolve_name(name, zone)
                reason = host_problem(host, zone, other)
                if reason is None and not _valid_fqdn(host):
                    reason = f"'{host}' is not a valid host name"
                if reason is not None:
                    if len(zones) > 1 and "." in name.rstrip("."):
                        reason += (f"; the app's edges are in the zones {' and '.join(zones)}: give a label "
                                   "so that each zone gets its own name")
                    problem(index, loc, reason)
                    continue
                if host in seen_here:
                    problem(index, loc, f"'{host}' is listed twice")
                    continue
                seen_here.append(host)
                if host == dashboard_host:
                    problem(index, loc, f"'{host}' is the dashboard's host (config gangplank:dashboardHost)")
                if field != "host":
                    owner = alias_owners.get(host) or main_hosts.get(host)
                    if owner is not None and owner[0] != app.name:
                        problem(index, loc, f"'{host}' is already a host of app '{owner[0]}'"
                                            f"{elsewhere(index, owner[1])}; an alias is a name of this app's own")
                        continue
                    alias_owners.setdefault(host, (app.name, index))
                else:
                    owner = alias_owners.get(host)
                    if owner is not None and owner[0] != app.name:
                        problem(index, loc, f"'{host}' is an alias of app '{owner[0]}'{elsewhere(index, owner[1])}")
                        continue
                    main_hosts.setdefault(host, (app.name, index))
                for edge in zone_edges:
                    taken = host_edges.get(host)
                    if taken is not None and taken[0] != edge.name:
                        problem(index, loc, f"'{host}' is served by edge '{taken[0]}' (app '{taken[1]}'"
                                            f"{elsewhere(index, taken[2], before=', ', after='')}); one "
                                            f"DNS name points to one load balancer, so it cannot be on edge "
                                            f"'{edge.name}' too")
                        break
                    host_edges.setdefault(host, (edge.name, app.name, index))
                else:
                    for position, url_path in enumerate([] if salvage.lost("paths") else app.paths):
                        key = (host, _normal_path(url_path))
                        if key in routes and routes[key][0] != app.name:
                            first = routes[key][1]
                            problem(index, ["paths", position],
                                    f"host '{host}' path '{url_path}' is already routed to app '{routes[key][0]}'"
                                    f"{elsewhere(index, first, ['paths'])}")
                        routes.setdefault(key, (app.name, index))
    return problems


def _monitor_settings(monitor: MonitorSpec) -> bool:
    """Whether the entry sets anything about a monitor beyond switching it off."""
    return bool(monitor.model_fields_set - {"enabled"})


def _valid_fqdn(host: str) -> bool:
    return len(host) <= 253 and all(LABEL_RE.fullmatch(label) for label in host.split("."))


def unreachable_cidr(cidr: str, edges: Sequence[Edge]) -> str | None:
    """Why clients of `cidr` can never reach an app on these edges (None when some can): every edge's
    load balancer admits only its own allow-list, and this block is outside all of them."""
    if any(not edge.allowed_cidrs for edge in edges):
        return None  # an edge open to everyone
    block = ipaddress.ip_network(cidr)
    admitted = [ipaddress.ip_network(allowed) for edge in edges for allowed in edge.allowed_cidrs]
    if any(block.version == net.version and block.overlaps(net) for net in admitted):  # type: ignore[arg-type]
        return None
    names = " and ".join(f"'{edge.name}'" for edge in edges)
    shown_admitted = ", ".join(str(net) for net in admitted)
    setting = ("gangplank:privateAllowedCidrs" if all(edge.name == "private" for edge in edges)
               else "gangplank:privateAllowedCidrs / gangplank:edges allowedCidrs")
    return (f"'{cidr}' can never reach the app: its edge {names} admits only {shown_admitted} ({setting}); "
            "widen that allow-list or remove this block")


def resolve_app(app: App, settings: Settings, stack: str, source: tuple[str, int | None] = ("", None),
                node: Any = None, team: str | None = None) -> ResolvedApp:
    stack_edges = settings.all_edges()
    edges = [stack_edges[name] for name in dict.fromkeys(app_edges(app))]
    namespace = app.namespace or app.name
    routes = []
    for edge in edges:
        zone = settings.domain_for(edge.visibility)
        hosts = [resolve_host(app, settings, stack, zone), *(resolve_name(alias, zone) for alias in app.aliases)]
        routes.append(AppRoute(edge=edge, zone_domain=zone, hosts=tuple(hosts)))
    skipped = monitor_skip_reason(app, edges, settings)
    return ResolvedApp(
        app=app,
        namespace=namespace,
        routes=tuple(routes),
        monitored=skipped is None,
        monitor_skipped=skipped,
        monitor_interval=app.monitor.interval or settings.monitor_interval,
        monitor_alert_contact_ids=tuple(app.monitor.alert_contact_ids
                                        if app.monitor.alert_contact_ids is not None
                                        else settings.monitor_alert_contact_ids),
        dashboard_name=app.dashboard.name or app.name,
        dashboard_group=app.dashboard.group or namespace,
        source=source,
        team=team,
        node=node if isinstance(node, LineDict) else None,
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
    parser = argparse.ArgumentParser(prog="python -m components.inputs.catalog",
                                     description="Write the JSON Schema of apps.yaml, generated from the model.")
    parser.add_argument("path", nargs="?", default=SCHEMA_FILE, help=f"where to write it (default {SCHEMA_FILE})")
    target = parser.parse_args(argv).path
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_json_schema())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
