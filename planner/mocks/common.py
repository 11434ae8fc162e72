"""What every part of the planner's mocks shares: stable fake ids, the region, the account, unknowns."""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
from pulumi.runtime import known_types, rpc

MOCK_ACCOUNT = "111122223333"
"""The AWS account every mocked ARN names (the documentation account of the AWS docs)."""


def digest(*parts: str, length: int = 12) -> str:
    """A short stable hex string for fake ids."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def is_unknown(value: Any) -> bool:
    """A value not known yet (preview): the SDK's `Unknown`, or its wire sentinel."""
    return known_types.is_unknown(value) or (isinstance(value, str) and value == rpc.UNKNOWN)
