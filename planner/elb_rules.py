"""AWS's rules for an NLB's attributes, listener attributes and tags, where moto (5.2) is laxer, for the replay.

moto accepts any `tcp.idle_timeout.seconds` on any listener (30, 99999, on a TLS listener), access logs without a
bucket, and any number of tags; AWS does not:

- `tcp.idle_timeout.seconds` is 60-6000 s (ELB API reference, ListenerAttribute) and applies to TCP listeners
  only: "The connection idle timeout for TLS listeners is 350 seconds and can't be modified" (ELB user guide for
  Network Load Balancers, "Update the TCP idle timeout"; the console shows the attribute only for TCP listeners);
- `access_logs.s3.enabled` and `deletion_protection.enabled` are `true` or `false`; enabled access logs need
  `access_logs.s3.bucket` (LoadBalancerAttribute);
- a resource holds at most 50 tags, none under the reserved `aws:` prefix (ELB "Tag your Network Load Balancer").

The AWS Load Balancer Controller reads the attributes from the Service's annotations
(`aws-load-balancer-attributes`, `...-listener-attributes.<protocol>-<port>`, `...-additional-resource-tags`) and
writes 3 tracking tags of its own on each resource (pkg/deploy/tracking/provider.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LBC_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
LISTENER_ATTRIBUTES = LBC_PREFIX + "listener-attributes."
TAGS = LBC_PREFIX + "additional-resource-tags"
IDLE_TIMEOUT = "tcp.idle_timeout.seconds"
IDLE_TIMEOUT_RANGE = (60, 6000)
TAGS_PER_RESOURCE = 50
LBC_TRACKING_TAGS = 3


class Refused(Exception):
    """What AWS would answer, as its error code and message."""


def pairs(text: str) -> list[tuple[str, str]]:
    """`k=v,k2=v2` annotation values (the controller's stringMap: split on ',', then on the first '=')."""
    found = []
    for item in text.split(","):
        if item.strip():
            key, _, value = item.partition("=")
            found.append((key.strip(), value.strip()))
    return found


def listener_attributes(annotations: Mapping[str, Any],
                        listeners: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """The attributes to set per listener ARN, from `...-listener-attributes.<protocol>-<port>` annotations; raises
    Refused where AWS would (module docstring). `listeners`: `<protocol>-<port>` -> ARN of the listeners built. An
    annotation for a listener the NLB does not have is ignored, as the controller ignores it."""
    found: dict[str, list[dict[str, str]]] = {}
    for key, value in annotations.items():
        if not str(key).startswith(LISTENER_ATTRIBUTES):
            continue
        listener = str(key).removeprefix(LISTENER_ATTRIBUTES)
        if listener not in listeners:
            continue
        protocol = listener.split("-", 1)[0]
        for name, text in pairs(str(value)):
            if name == IDLE_TIMEOUT:
                if protocol != "TCP":
                    raise Refused(f"ValidationError: the attribute '{IDLE_TIMEOUT}' cannot be modified on a "
                                  f"{protocol} listener ({listener}): the idle timeout of TLS listeners is fixed "
                                  "at 350 seconds")
                if not text.isdigit() or not IDLE_TIMEOUT_RANGE[0] <= int(text) <= IDLE_TIMEOUT_RANGE[1]:
                    raise Refused(f"ValidationError: '{IDLE_TIMEOUT}' value '{text}' must be between "
                                  f"'{IDLE_TIMEOUT_RANGE[0]}-{IDLE_TIMEOUT_RANGE[1]}' inclusive ({listener})")
            found.setdefault(listeners[listener], []).append({"Key": name, "Value": text})
    return found


def check_load_balancer_attributes(attributes: list[tuple[str, str]]) -> None:
    values = dict(attributes)
    for name in ("access_logs.s3.enabled", "deletion_protection.enabled", "load_balancing.cross_zone.enabled"):
        if name in values and values[name] not in ("true", "false"):
            raise Refused(f"ValidationError: '{name}' must be 'true' or 'false', not '{values[name]}'")
    if values.get("access_logs.s3.enabled") == "true" and not values.get("access_logs.s3.bucket"):
        raise Refused("ValidationError: access logs are enabled without 'access_logs.s3.bucket'")


def tags(annotations: Mapping[str, Any]) -> list[dict[str, str]]:
    """The additional tags, checked as AWS checks every resource the controller tags with them."""
    found = [{"Key": key, "Value": value} for key, value in pairs(str(annotations.get(TAGS, "")))]
    if len(found) + LBC_TRACKING_TAGS > TAGS_PER_RESOURCE:
        raise Refused(f"TooManyTags: {len(found)} additional tags and the controller's {LBC_TRACKING_TAGS} pass "
                      f"the {TAGS_PER_RESOURCE} tags a resource may hold")
    for tag in found:
        if tag["Key"].lower().startswith("aws:"):
            raise Refused(f"ValidationError: tag keys starting with 'aws:' are reserved ('{tag['Key']}')")
    return found
