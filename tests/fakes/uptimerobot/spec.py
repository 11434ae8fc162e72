"""The UptimeRobot v3 OpenAPI document the fake holds every request and response to."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

from tests.reference import UPTIMEROBOT_OPENAPI

__all__ = ["CREATE_DTOS", "ERROR_BODY_SCHEMA", "Spec", "SpecRequest", "describe", "load_spec", "spec_path"]

SPEC_HOST_URL = "https://api.uptimerobot.com/"  # the spec's server origin; its path is /v3

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["statusCode", "message"],
    "properties": {
        "statusCode": {"type": "integer"},
        "message": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "error": {"type": "string"},
    },
}

CREATE_DTOS = {"HTTP": "CreateHttpMonitorDto", "KEYWORD": "CreateKeywordMonitorDto"}


def spec_path() -> Path:
    """``shared/uptimerobot/openapi-v3.yaml``: ``shared/`` sits beside the repository."""
    return UPTIMEROBOT_OPENAPI


@dataclass(frozen=True)
class Spec:
    """The OpenAPI document, parsed (``raw``) and ready to validate with (``openapi``)."""

    raw: dict[str, Any]
    openapi: OpenAPI

    def properties_of(self, schema_name: str) -> set[str]:
        return set(self.raw["components"]["schemas"][schema_name].get("properties", {}))


@functools.cache
def load_spec() -> Spec:
    """Parse the spec once per process (about a second)."""
    with spec_path().open(encoding="utf-8") as handle:
        raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Spec(raw=raw, openapi=OpenAPI.from_dict(raw))


class SpecRequest(WerkzeugOpenAPIRequest):
    """Presents a request to the fake as if it had been sent to the spec's server."""

    @property
    def host_url(self) -> str:
        return SPEC_HOST_URL


def describe(error: BaseException) -> str:
    """openapi-core errors nest their reasons; spell them all out."""
    parts = [type(error).__name__ + (f": {error}" if str(error) else "")]
    cause = error.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {str(cause)[:200]}")
        for schema_error in getattr(cause, "schema_errors", None) or ():
            where = "/".join(str(p) for p in schema_error.absolute_path)
            parts.append(f"{schema_error.message[:200]} at /{where}")
        cause = cause.__cause__
    return "; ".join(parts)
