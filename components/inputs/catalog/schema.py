"""The JSON Schema of apps.yaml (`apps.schema.json`), generated from `Catalogue`
(`python -m components.inputs.catalog`)."""

from __future__ import annotations

import json
from typing import Any

from components.inputs.catalog.models import Catalogue

SCHEMA_FILE = "apps.schema.json"
SCHEMA_ID = "https://gangplank.dev/apps.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of apps.yaml, for editors (yaml-language-server) and CI."""
    schema = Catalogue.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render_json_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
