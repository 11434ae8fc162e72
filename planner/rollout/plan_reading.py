"""What the rollout reads of a plan's resources (the JSON contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def label(resource: Mapping[str, Any]) -> str:
    return f"{resource['type']}::{resource['name']}"


def options_of(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("options") or {}


def dns_name(value: Any) -> str:
    return str(value or "").rstrip(".").lower()


def is_component(resource: Mapping[str, Any]) -> bool:
    """Components have no id in a plan; every custom resource (and read) has one, `[unknown]` in previews."""
    return resource.get("id") is None
