"""The pydantic model of a catalogue file (`Catalogue`) and of its apps (`App` and the models of its fields).

This is the structure `parse_catalogue` checks (`components.inputs.catalog.structure`) and that
`apps.schema.json` is generated from (`components.inputs.catalog.schema`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, WithJsonSchema
from pydantic.alias_generators import to_camel

from components.inputs.fieldtypes import HOST_PATTERN, AllowList, CodeOwner, HostName, Label, UrlPath, text
from components.inputs.imageref import IMAGE_MAX, IMAGE_PATTERN, image_problem
from components.inputs.problems import shown
from components.inputs.salvage import Salvage
from components.inputs.settings import MONITOR_INTERVAL_MAX, MONITOR_INTERVAL_MIN, Visibility
from components.inputs.shaping import CanaryCookie, CanaryHeader, ExternalAuth, Sticky

Protocol = Literal["HTTP", "HTTPS"]
EXTENSION_PREFIX = "x-"
"""Top-level keys that hold YAML anchors for the apps to use (`x-web: &web {...}`), as in Compose files."""
DASHBOARD_APP_NAME = "forecastle"  # the dashboard is exposed as an app of this name
MONITOR_USER = "uptimerobot"
"""The basic-auth user a monitored app's uptime monitor logs in as, with a password of its own."""


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
# `structure.entry_problems`; tests/components/inputs/test_schema_agreement.py holds the two together).
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
