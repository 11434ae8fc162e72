"""Monitor inputs as the engine sends them to the provider, for the provider's tests."""

from __future__ import annotations

from typing import Any

from components.uptimerobot.provider import MonitorProvider

PROVIDER_BLOB = "gASVpickled-provider-blob"


def sent(**overrides: Any) -> dict[str, Any]:
    """Inputs as Pulumi sends them to the provider: with __provider, numbers as floats."""
    props: dict[str, Any] = {
        "__provider": PROVIDER_BLOB,
        "friendly_name": "shop (dev)",
        "url": "https://shop.dev.example.com/healthz",
        "interval": 300.0,
        "alert_contact_ids": [7.0, 3.0],
        "tags": ["gangplank", "stack:dev"],
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


def checked(provider: MonitorProvider, **overrides: Any) -> dict[str, Any]:
    """Inputs after a check without failures, as the engine hands them to create and update."""
    result = provider.check({}, sent(**overrides))
    assert [(f.property, f.reason) for f in result.failures] == []
    return {"__provider": PROVIDER_BLOB, **result.inputs}
