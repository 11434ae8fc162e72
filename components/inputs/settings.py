"""Stack settings: the `gangplank:*` keys of `Pulumi.<stack>.yaml`, typed and validated.

`Settings` is the single reference for every config key: its field docstrings are the
documentation (a test checks that docs/configuration.md names every key). Keys are
camelCase in the stack file (`gangplank:publicDomain`), snake_case in Python. A stack's raw config is read into
it by `settings_parsing.parse_settings`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.inputs.edge_settings import (  # noqa: F401  (re-exported: the settings' vocabulary)
    BUILT_IN_EDGES,
    EDGE_NAME_MAX,
    FLAVOR_NAMES,
    MOVE_WEIGHT_MAX,
    EdgeMove,
    EdgeName,
    EdgeSettingProblems,
    EdgeSettings,
    FlavorName,
    Visibility,
    edge_settings_problems,
)
from components.inputs.fieldtypes import LABEL_RE, AllowList, CodeOwner, Domain, Label, text
from components.inputs.load_balancer import TAGS_MAX, LoadBalancerSettings, effective
from components.inputs.problems import shown

CONFIG_NAMESPACE = "gangplank"

# UptimeRobot v3 refuses intervals under 30 s (openapi-v3.yaml); a day is its longest period.
MONITOR_INTERVAL_MIN, MONITOR_INTERVAL_MAX = 30, 86400
DnsRecordsMode = Literal["perHost", "wildcard"]

CLUSTER_NAME_PATTERN = r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$"
"""An EKS cluster name (EKS CreateCluster: 1-100 characters, a letter or digit first, then letters, digits,
`-` and `_`)."""
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$"
"""An IAM role ARN (role names and paths: letters, digits and `+=,.@_-/`; IAM caps an ARN at 2048 characters)."""


def _zone_id(zone_id: str) -> str:
    if zone_id.startswith("/hostedzone/"):
        raise ValueError(f"'{shown(zone_id)}' is the zone's API path; give the id alone: "
                         f"'{shown(zone_id.removeprefix('/hostedzone/'))}'")
    if not re.fullmatch(r"Z[A-Z0-9]{1,31}", zone_id):
        raise ValueError(f"'{shown(zone_id)}' is not a Route53 hosted zone id (like 'Z0123456789ABCDEFGHIJ': 'Z' "
                         "then capital letters and digits, at most 32 characters)")
    return zone_id


ZoneId = Annotated[str, AfterValidator(_zone_id)]
"""A Route53 hosted zone id (`Z...`)."""

Role = Literal["all", "platform", "apps"]
STACK_REFERENCE_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]{0,99})/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})")
"""A fully qualified stack name, `<organization>/<project>/<stack>` (Pulumi's `StackReference` name; a self-managed
backend's organization is `organization`). Names: letters, digits, '-', '_' and '.' (`pulumi stack init`)."""


def _stack_reference(name: str) -> str:
    if not STACK_REFERENCE_RE.fullmatch(name):
        raise ValueError(f"'{shown(name)}' is not a fully qualified stack name '<organization>/<project>/<stack>', "
                         "e.g. 'acme/gangplank/prod-platform' (on a self-managed backend: "
                         "'organization/gangplank/prod-platform')")
    return name


StackReferenceName = Annotated[str, AfterValidator(_stack_reference)]


def _unique(items: list[str]) -> list[str]:
    for position, item in enumerate(items):
        if item in items[:position]:
            raise ValueError(f"'{item}' is listed twice")
    return items


class Limits(BaseModel):
    """Capacity limits a stack is planned against (config `gangplank:limits`): the AWS account's quotas and what
    one ingress controller handles well. Set a key to the quota AWS granted the account after an increase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
                              use_attribute_docstrings=True, strict=True)

    records_per_zone: Annotated[int, Field(ge=1)] = 10_000
    """Record sets per Route53 hosted zone. Default 10,000: Route53's quota "Records (resource record sets) per
    hosted zone", raised on request (Route 53 Developer Guide, "Quotas on entities"). Route53 refuses records past
    it, so a stack that needs more is an input error."""
    ingresses_per_edge: Annotated[int, Field(ge=1)] = 1_500
    """Ingresses one edge's controller serves. Default 1,500: past about that many, controllers take minutes to
    reload and restart (nginx/kubernetes-ingress#1113: 1,500 Ingresses, an hour to configure a new pod;
    kubernetes/ingress-nginx#6844: the first reload times out). A warning: nothing refuses them."""
    names_per_certificate: Annotated[int, Field(ge=1)] = 10
    """Domain names per ACM certificate. Default 10: ACM's quota "Domain names per ACM certificate", up to 100 on
    request (ACM User Guide, "Quotas"). ACM refuses a certificate with more: an input error."""
    certificates_per_load_balancer: Annotated[int, Field(ge=1)] = 25
    """Certificates on one Network Load Balancer. Default 25: ELB's quota "Certificates per Network Load Balancer",
    adjustable (ELB User Guide for Network Load Balancers, "Quotas"). ELB refuses more: an input error."""


@dataclass(frozen=True)
class Edge:
    """An ingress controller with its own load balancer: what apps choose with `visibility` or `edges`."""

    name: str
    """`public`, `private`, or a name from `gangplank:edges`."""
    visibility: Visibility
    """Which zone its hosts live in, and whether its load balancer is internet-facing."""
    allowed_cidrs: tuple[str, ...]
    """Who its load balancer admits; empty for everyone (public edges only)."""
    load_balancer: LoadBalancerSettings = field(default_factory=LoadBalancerSettings)
    """Its load balancer's own settings (idle timeout, access logs, tags, deletion protection, deregistration)."""

    @property
    def open_to_everyone(self) -> bool:
        """Whether anyone on the internet can reach it (so an uptime monitor can)."""
        return self.visibility == "public" and not self.allowed_cidrs


class Settings(BaseModel):
    """Per-stack settings. Every field is one config key `gangplank:<camelCaseName>`."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    public_domain: Domain
    """Public DNS domain of the environment (required), e.g. `dev.example.com`.
    Public apps get `<host>.<publicDomain>`."""
    private_domain: Domain | None = None
    """Private DNS domain, a subdomain of `publicDomain` (split horizon, so ACM can validate it in the
    public zone). Default `internal.<publicDomain>`."""
    public_zone_id: ZoneId | None = None
    """Adopt this existing public Route53 hosted zone (by id) instead of creating one."""
    parent_zone_id: ZoneId | None = None
    """Route53 zone of the parent domain (e.g. `example.com` for `dev.example.com`): gangplank writes the
    NS delegation of a public zone it creates there, so ACM can validate in the same `pulumi up`."""
    parent_zone_role_arn: Annotated[str, Field(max_length=2048, pattern=ROLE_ARN_PATTERN)] | None = None
    """IAM role to assume for writing the delegation when `parentZoneId` is in another AWS account."""
    public_zone_delegated: bool = False
    """Set when the parent domain already delegates to the public zone this stack created (by hand):
    gangplank then neither writes the delegation nor warns that it is missing."""
    private_zone_id: ZoneId | None = None
    """Adopt this existing private Route53 hosted zone (by id) instead of creating one."""
    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    """VPC of the EKS cluster (required): the private zone is associated with it."""
    cluster_name: Annotated[str, Field(pattern=CLUSTER_NAME_PATTERN)] | None = None
    """Name of the EKS cluster the stack deploys to. The AWS Load Balancer Controller never places a load
    balancer in a subnet tagged `kubernetes.io/cluster/<another cluster>`, so gangplank needs the name to know
    which subnets it trusts. Default: the name in `kubernetes:context` when that is the cluster's ARN (as `aws eks
    update-kubeconfig` names contexts); needed only when subnets carry such tags."""
    private_allowed_cidrs: Annotated[AllowList, Field(min_length=1)]
    """CIDR blocks allowed to reach the private load balancer (required, at least one; never `0.0.0.0/0`, and
    together at most an IPv4 /8 and an IPv6 /32 of public addresses)."""
    host_template: str = "{name}"
    """Default host label of an app that sets no `host`; `{name}` and `{stack}` are replaced."""
    flavor: FlavorName = "nginx-inc"
    """Controller flavor of the edges: `nginx-inc` (F5 NGINX Ingress Controller), `ingress-nginx` (retired
    upstream), or `envoy-gateway` (Gateway API: a Gateway per edge and an HTTPRoute per app, on Envoy Gateway)."""
    controller_chart_version: Annotated[str, text(64)] | None = None
    """Helm chart version of the flavor's controller; default: the version gangplank is tested with."""
    controller_replicas: Annotated[int, Field(ge=1, le=20)] = 2
    """Replicas of each ingress controller (spread across zones, with a PodDisruptionBudget)."""
    dualstack: bool = False
    """Give the load balancers IPv4 and IPv6 addresses (`dualstack`); hosts on edges whose security group
    admits IPv6 clients get AAAA records too."""
    monitors_enabled: bool = True
    """Create UptimeRobot monitors for public apps. Off: no monitor, no API key needed."""
    monitor_interval: Annotated[int, Field(ge=MONITOR_INTERVAL_MIN, le=MONITOR_INTERVAL_MAX)] = 300
    """Seconds between uptime checks, unless an app sets its own (frequent in prod, rare elsewhere)."""
    monitor_alert_contact_ids: list[Annotated[int, Field(ge=1)]] = []
    """UptimeRobot alert contact ids notified when a monitor goes down."""
    uptimerobot_api_key: SecretStr | None = None
    """UptimeRobot API key, set with `pulumi config set --secret`. Read only by the monitor provider, never logged."""
    uptimerobot_api_url: Annotated[str, Field(max_length=2048, pattern=r"^https?://[^\s]+$")] | None = None
    """UptimeRobot API base URL; default `https://api.uptimerobot.com/v3` (tests point it at a fake)."""
    dashboard_enabled: bool = True
    """Install Forecastle, the dashboard listing every app, on the private controller."""
    dashboard_host: Label = "dashboard"
    """Host label of the Forecastle dashboard in the private zone."""
    apps_file: Annotated[str, text(4096)] = "apps.yaml"
    """Path of the app catalogue, relative to the project directory."""
    edges: dict[EdgeName, EdgeSettings] = {}
    """Edges beside `public` and `private`, and the controller of any edge: name -> `{visibility, allowedCidrs,
    flavor, move}`. A new edge needs `visibility` (and, private, `allowedCidrs`); each gets its own controller
    (IngressClass `nginx-<name>`), namespace, load balancer and security group. Every edge, `public` and `private`
    included, may set its own `flavor` (default `gangplank:flavor`) and be moved to another one in steps
    (`move: {to, weight}`; docs/moving-an-edge.md)."""
    dns_records: DnsRecordsMode = "perHost"
    """`perHost`: every host gets its own alias records and ownership markers (Route53 calls per app).
    `wildcard`: one `*.<zone>` alias per zone to the zone's own edge (`public`, `private`), so a new app on it
    costs no Route53 call; hosts it cannot serve (the apex, hosts of other edges) keep their own records."""
    load_balancer: LoadBalancerSettings = LoadBalancerSettings()
    """Every edge's load balancer: `{idleTimeout, accessLogs: {bucket, prefix}, deletionProtection, tags,
    deregistrationDelay}`, each turned into what the AWS Load Balancer Controller reads (docs/configuration.md);
    an edge of `gangplank:edges` may set its own (`loadBalancer`), field by field over these."""
    limits: Limits = Limits()
    """Capacity limits the plan counts against: `{recordsPerZone, ingressesPerEdge, namesPerCertificate,
    certificatesPerLoadBalancer}` (defaults: the AWS quotas and what a controller handles well). The plan warns
    near a limit; passing an AWS quota is an input error."""
    role: Role = "all"
    """What the stack declares: `all` (the platform and every app of the catalogue: one stack per environment),
    `platform` (zones, certificates, edges and the dashboard, and a contract for app stacks) or `apps` (the apps of
    some teams, on the platform of `platformStack`)."""
    platform_stack: StackReferenceName | None = None
    """An app stack's platform: its fully qualified stack name `<organization>/<project>/<stack>`. Required with
    `role: apps`; the app stack reads the platform's contract from it (a `StackReference`)."""
    teams: Annotated[list[Label], Field(min_length=1), AfterValidator(_unique)] | None = None
    """An app stack's teams: the stems of their files in the catalogue directory (`shop` for `apps.d/shop.yaml`).
    Default: every team. Two app stacks of one platform never share a team."""
    platform_owners: Annotated[list[CodeOwner], Field(max_length=100), AfterValidator(_unique)] = []
    """Code owners of the platform's files (code, stack files, workflows), as CODEOWNERS names them (`@org/team`,
    `@user`, an email): `python -m planner --codeowners` writes them. Default: none (the files have no owner)."""

    @field_validator("host_template")
    @classmethod
    def _host_template_makes_a_label(cls, template: str) -> str:
        try:
            fields = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(template)
                      if field is not None]
        except ValueError:  # an unmatched brace
            fields = [("", "", "")]
        if len(template) > 63 or any(field not in ("name", "stack") or spec or conversion
                                     for field, spec, conversion in fields):
            raise ValueError(f"'{shown(template)}' may use only {{name}} and {{stack}}, as they are (no format "
                             "specs, indexes or attributes), e.g. '{name}-{stack}'")
        if not LABEL_RE.fullmatch(template.format(name="app", stack="dev")):
            raise ValueError(f"'{shown(template)}' must make a DNS label, e.g. '{{name}}-{{stack}}'")
        return template

    @field_validator("controller_chart_version")
    @classmethod
    def _chart_version_fits_flavor(cls, version: str | None, info: ValidationInfo) -> str | None:
        from components.flavors import get_flavor

        if version is not None and "flavor" in info.data:
            get_flavor(info.data["flavor"]).chart(version)  # raises ValueError with the reason
        return version

    @field_validator("private_domain")
    @classmethod
    def _private_domain_inside_public(cls, domain: str | None, info: ValidationInfo) -> str | None:
        public = info.data.get("public_domain")
        if domain is not None and public and not domain.endswith("." + public):
            raise ValueError(
                f"'{domain}' must be a subdomain of publicDomain '{public}' (ACM validates both in the public zone)"
            )
        return domain

    @field_validator("parent_zone_id")
    @classmethod
    def _delegation_only_for_a_created_zone(cls, zone_id: str | None, info: ValidationInfo) -> str | None:
        if zone_id and info.data.get("public_zone_id"):
            raise ValueError("delegates a public zone this stack creates; with publicZoneId the zone is adopted "
                             "and already delegated: remove one of the two")
        return zone_id

    @field_validator("parent_zone_role_arn")
    @classmethod
    def _role_needs_a_parent_zone(cls, role: str | None, info: ValidationInfo) -> str | None:
        if role and not info.data.get("parent_zone_id"):
            raise ValueError("needs parentZoneId: the zone in which the role writes the delegation")
        return role

    @model_validator(mode="after")
    def _edges_fit_together(self) -> Settings:
        problems = edge_settings_problems(self.edges, self.flavor)
        for name, edge in sorted(self.edges.items()):
            merged = effective(self.load_balancer, edge.load_balancer)
            if len(merged.tags) > TAGS_MAX:
                problems.append(([name, "loadBalancer", "tags"],
                                 f"{len(merged.tags)} load balancer tags with gangplank:loadBalancer's, more than "
                                 f"{TAGS_MAX} (AWS allows 50 a resource, the controller writes 3)"))
        if problems:
            raise EdgeSettingProblems(problems)
        return self

    @model_validator(mode="after")
    def _default_private_domain(self) -> Settings:
        if self.private_domain is None:
            # frozen model: the derived default is set once, here
            object.__setattr__(self, "private_domain", f"internal.{self.public_domain}")
        return self

    def domain_for(self, visibility: str) -> str:
        """The zone an app of this visibility lives in."""
        return self.public_domain if visibility == "public" else str(self.private_domain)

    def flavor_of(self, edge: str) -> str:
        """The controller flavor of one edge: the one place the program asks, edge by edge (`edge_flavor`)."""
        return edge_flavor(self, edge)

    def all_edges(self) -> dict[str, Edge]:
        """Every edge of the stack, the built-in two first, then the configured ones by name."""
        def load_balancer(name: str) -> LoadBalancerSettings:
            edge = self.edges.get(name)
            return effective(self.load_balancer, edge.load_balancer if edge is not None else None)

        edges = {"public": Edge("public", "public", (), load_balancer("public")),
                 "private": Edge("private", "private", tuple(self.private_allowed_cidrs), load_balancer("private"))}
        for name, edge in sorted(self.edges.items()):
            if name not in BUILT_IN_EDGES and edge.visibility is not None:
                edges[name] = Edge(name, edge.visibility, tuple(edge.allowed_cidrs or ()), load_balancer(name))
        return edges


def edge_flavor(settings: Settings, edge: str) -> str:
    """The flavor (controller product) an edge runs: its own `gangplank:edges.<edge>.flavor`, else `gangplank:flavor`.

    The one place that answers it (`Settings.flavor_of` asks here): every part of the program that needs an edge's
    flavor asks here."""
    own = settings.edges.get(edge)
    return own.flavor if own is not None and own.flavor is not None else settings.flavor


def edge_move(settings: Settings, edge: str) -> EdgeMove | None:
    """The edge's move to another flavor, when it is moving (`gangplank:edges.<edge>.move`)."""
    own = settings.edges.get(edge)
    return own.move if own is not None else None


def config_keys() -> dict[str, str]:
    """Every supported key (`gangplank:publicDomain`, ...) with its documentation."""
    return {
        f"{CONFIG_NAMESPACE}:{to_camel(name)}": (field.description or "").strip()
        for name, field in Settings.model_fields.items()
    }
