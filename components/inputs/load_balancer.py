"""The load balancer's own settings: config `gangplank:loadBalancer`, per edge `gangplank:edges.<edge>.loadBalancer`.

Each setting becomes what the AWS Load Balancer Controller (LBC) reads on the edge's Service (`nlb_attributes`
below); the ranges are AWS's, checked here so that a value out of range is an input error naming the stack file,
the line and the key, before anything is declared:

- `idleTimeout`: the listener attribute `tcp.idle_timeout.seconds`, 60-6000 s (ELB API reference,
  ListenerAttribute; ELB user guide "Update the TCP idle timeout"), which the LBC sets per listener from
  `service.beta.kubernetes.io/aws-load-balancer-listener-attributes.<protocol>-<port>` (pkg/service/
  model_build_listener.go `buildListenerAttributes`, added in LBC v2.9.0). AWS applies it to TCP listeners
  only: a TLS listener's idle timeout is fixed at 350 s ("The connection idle timeout for TLS listeners is 350
  seconds and can't be modified"), and gangplank's apps are served on the NLB's TLS listener (443), so the
  setting reaches the plain listener (80), which only redirects. It is offered for that listener and for what
  AWS may open later; docs/configuration.md says so;
- `accessLogs`: the load balancer attributes `access_logs.s3.enabled`, `.bucket`, `.prefix`
  (`aws-load-balancer-attributes`); an NLB writes access logs for its TLS listeners only;
- `deletionProtection`: the load balancer attribute `deletion_protection.enabled`;
- `tags`: `aws-load-balancer-additional-resource-tags` (the NLB, its listeners and target groups);
- `deregistrationDelay`: the target group attribute `deregistration_delay.timeout_seconds`, 121-3600 s
  (`aws-load-balancer-target-group-attributes`), which the controller pods' drain follows (`traffic.drain`).

The LBC updates only the attributes an annotation names ("Only attributes defined in the annotation will be
updated", docs/guide/service/annotations.md): switching access logs or deletion protection off must be said, so
both are always written, `false` when off.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components.inputs.problems import shown

IDLE_TIMEOUT_RANGE = (60, 6000)
"""`tcp.idle_timeout.seconds` (ELB API reference, ListenerAttribute)."""
IDLE_TIMEOUT_DEFAULT = 350
"""AWS's default, and the fixed value of TLS listeners."""
DEREGISTRATION_DELAY_RANGE = (121, 3600)
"""`deregistration_delay.timeout_seconds`: AWS takes 0-3600 (ELB API reference, TargetGroupAttribute); below 121 the
controller pods' drain would end while the NLB may still open connections to them, at least 120 s after
deregistration (`traffic.DEREGISTRATION_PROPAGATION_SECONDS`, which a test holds equal to the minimum less one)."""
LBC_TRACKING_TAGS = ("elbv2.k8s.aws/cluster", "elbv2.k8s.aws/resource", "service.k8s.aws/stack",
                     "service.k8s.aws/resource")
"""Tags the LBC writes itself and that additional tags cannot override (pkg/shared_constants/tag_keys.go,
pkg/deploy/tracking/provider.go)."""
TAGS_MAX = 50 - 3
"""AWS allows 50 tags a resource (ELB "Tags"); the LBC writes 3 of its own on each (cluster, stack, resource)."""
_TAG_CHARS = re.compile(r"[\w .:/=+@-]*", re.ASCII)
"""What AWS accepts in tag keys and values (ELB API reference, Tag: `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`), in
ASCII."""
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _bucket(name: str) -> str:
    """An S3 general purpose bucket name (S3 user guide, "Bucket naming rules")."""
    if not BUCKET_RE.fullmatch(name) or ".." in name or re.fullmatch(r"[0-9]+(\.[0-9]+){3}", name):
        raise ValueError(f"'{shown(name)}' is not an S3 bucket name (3-63 lowercase letters, digits, '.' and '-', "
                         "starting and ending with a letter or digit, no '..', not an IP address)")
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(("-s3alias", "--ol-s3", ".mrap",
                                                                             "--x-s3")):
        raise ValueError(f"'{name}' uses a prefix or suffix S3 reserves")
    return name


def _prefix(prefix: str) -> str:
    if prefix.startswith("/") or prefix.endswith("/"):
        raise ValueError(f"'{shown(prefix)}' must not start or end with '/' (ELB adds the '/' itself)")
    if "AWSLogs" in prefix:
        raise ValueError(f"'{shown(prefix)}' must not contain 'AWSLogs' (ELB refuses it)")
    if not re.fullmatch(r"[A-Za-z0-9!_.*'()/-]{1,200}", prefix):
        raise ValueError(f"'{shown(prefix)}' may hold only letters, digits and !_.*'()/- (S3's safe key characters; "
                         "',' and '=' would break the controller's annotation)")
    return prefix


def _deregistration_delay(seconds: int) -> int:
    low, high = DEREGISTRATION_DELAY_RANGE
    if seconds > high:
        raise ValueError(f"{seconds} is more than {high} s, the longest deregistration delay AWS allows")
    if seconds < low:
        raise ValueError(f"{seconds} s is too short: the NLB may still open connections to a deregistered pod for "
                         f"at least {low - 1} s (kubernetes-sigs/aws-load-balancer-controller#2366), and the pods "
                         f"keep serving only for the delay; give at least {low}")
    return seconds


def _tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > TAGS_MAX:
        raise ValueError(f"{len(tags)} tags: AWS allows 50 a resource and the controller writes 3, so at most "
                         f"{TAGS_MAX}")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise ValueError(f"tag '{shown(key)}': keys are 1-128 characters, values at most 256")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag '{shown(key)}': the 'aws:' prefix is AWS's own")
        if key in LBC_TRACKING_TAGS:
            raise ValueError(f"tag '{key}' is the load balancer controller's own tag")
        for text in (key, value):
            if not _TAG_CHARS.fullmatch(text) or text != text.strip() or ("=" in key):
                raise ValueError(f"tag '{shown(key)}': '{shown(text)}' may hold only letters, digits, spaces and "
                                 "_.:/+@- (and '=' in a value), without leading or trailing spaces: the "
                                 "controller reads the tags as 'key=value,...'")
    return tags


class _Settings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True,
                              use_attribute_docstrings=True, strict=True)


class AccessLogs(_Settings):
    """Where the NLB writes its access logs (TLS listeners: every app's connections)."""

    bucket: Annotated[str, AfterValidator(_bucket)]
    """S3 bucket, in the load balancer's region, whose policy lets the log delivery service write
    (docs/configuration.md shows the policy)."""
    prefix: Annotated[str, AfterValidator(_prefix)] | None = None
    """Key prefix in the bucket (no leading or trailing '/', not containing `AWSLogs`); default none."""


class LoadBalancerSettings(_Settings):
    """Settings of an edge's Network Load Balancer. Unset fields keep AWS's (and the controller's) defaults."""

    idle_timeout: Annotated[int, Field(ge=IDLE_TIMEOUT_RANGE[0], le=IDLE_TIMEOUT_RANGE[1])] | None = None
    """TCP idle timeout of the NLB's TCP listener, seconds (60-6000; AWS default 350). AWS fixes the TLS listener,
    which serves the apps, at 350 s."""
    access_logs: AccessLogs | None = None
    """`{bucket, prefix}`: write access logs to S3; default off."""
    deletion_protection: bool | None = None
    """Refuse to delete the NLB (the controller cannot remove it either until this is turned off); default off."""
    tags: Annotated[dict[str, str], AfterValidator(_tags)] = {}
    """Extra AWS tags on the NLB, its listeners and target groups (at most 47)."""
    deregistration_delay: Annotated[int, AfterValidator(_deregistration_delay)] | None = None
    """Seconds the NLB keeps a draining controller pod's connections after it leaves the target group, and the
    controller pods keep serving after they are told to stop (121-3600); default gangplank's 150."""


def effective(default: LoadBalancerSettings, edge: LoadBalancerSettings | None) -> LoadBalancerSettings:
    """An edge's settings: what it sets, else the stack-wide ones (field by field; `tags` are merged, the edge's
    winning)."""
    if edge is None:
        return default
    values = {name: getattr(default, name) for name in LoadBalancerSettings.model_fields}
    for name in edge.model_fields_set:
        values[name] = getattr(edge, name)
    values["tags"] = {**default.tags, **edge.tags}
    # Both are valid; only the number of merged tags can pass the limit, which Settings checks as an input error.
    return LoadBalancerSettings.model_construct(_fields_set=set(default.model_fields_set | edge.model_fields_set),
                                                **values)


# -- what the AWS Load Balancer Controller reads ---------------------------------------------------------------

LBC_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
DESIGN_ATTRIBUTES = ("load_balancing.cross_zone.enabled", "preserve_client_ip.enabled", "proxy_protocol_v2.enabled")
"""Attributes of gangplank's traffic design (components/flavors/traffic.py) that no setting changes."""
PLAIN_LISTENER = "TCP-80"
"""The NLB's plain listener (`<protocol>-<port>`, the listener-attributes annotation's suffix): the redirect one."""


def nlb_attributes(settings: LoadBalancerSettings) -> tuple[list[str], list[str], dict[str, list[str]], list[str]]:
    """(load balancer attributes, target group attributes, listener attributes by `<protocol>-<port>`, tags), each
    as `key=value` items for the controller's comma-separated annotations. Access logs and deletion protection are
    always said (`false` when off) and the idle timeout always (AWS's 350 when unset): the controller changes only
    what an annotation names, so removing a setting must say the default again (module docstring)."""
    logs = settings.access_logs
    attributes = [f"access_logs.s3.enabled={'true' if logs else 'false'}"]
    if logs is not None:
        attributes.append(f"access_logs.s3.bucket={logs.bucket}")
        if logs.prefix:
            attributes.append(f"access_logs.s3.prefix={logs.prefix}")
    attributes.append(f"deletion_protection.enabled={'true' if settings.deletion_protection else 'false'}")
    groups = ([f"deregistration_delay.timeout_seconds={settings.deregistration_delay}"]
              if settings.deregistration_delay is not None else [])
    idle = settings.idle_timeout if settings.idle_timeout is not None else IDLE_TIMEOUT_DEFAULT
    listeners = {PLAIN_LISTENER: [f"tcp.idle_timeout.seconds={idle}"]}
    tags = [f"{key}={value}" for key, value in sorted(settings.tags.items())]
    return attributes, groups, listeners, tags


def with_load_balancer_settings(annotations: dict[str, object], settings: LoadBalancerSettings) -> dict[str, object]:
    """The NLB Service's annotations (`traffic.nlb_service_annotations`) with the edge's settings added: attribute
    lists extend the ones already there, a setting of gangplank's own (cross-zone, preserve client IP) is never
    overridden."""
    attributes, groups, listeners, tags = nlb_attributes(settings)
    merged = dict(annotations)
    for suffix, items in (("attributes", attributes), ("target-group-attributes", groups)):
        present = dict(item.split("=", 1) for item in str(merged.get(LBC_PREFIX + suffix, "")).split(",") if item)
        for item in items:
            key, value = item.split("=", 1)
            if key not in DESIGN_ATTRIBUTES:
                present[key] = value
        if present:
            merged[LBC_PREFIX + suffix] = ",".join(f"{key}={value}" for key, value in present.items())
    for listener, items in listeners.items():
        merged[f"{LBC_PREFIX}listener-attributes.{listener}"] = ",".join(items)
    if tags:
        merged[LBC_PREFIX + "additional-resource-tags"] = ",".join(tags)
    return merged
