"""Reference documents the tests check against, kept outside the repository in `shared/`.

`shared/` sits beside the repository (or where `GANGPLANK_SHARED_DIR` points): the F5 chart's
values schema (`charts/`) and UptimeRobot's OpenAPI document (`uptimerobot/`), each with a NOTICE
naming its upstream source. docs/testing.md, "Running the tests", says where to get them.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(os.environ.get("GANGPLANK_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
F5_VALUES_SCHEMA = SHARED_DIR / "charts" / "nginx-ingress-2.6.4.values.schema.json"
UPTIMEROBOT_OPENAPI = SHARED_DIR / "uptimerobot" / "openapi-v3.yaml"
GATEWAY_API_CRDS = SHARED_DIR / "gateway-api" / "standard"
"""Gateway API v1.6.1's standard-channel CRDs (kubernetes-sigs/gateway-api config/crd/standard at tag v1.6.1)."""
ENVOY_GATEWAY_CRDS = SHARED_DIR / "envoy-gateway"
"""Envoy Gateway v1.9.0's CRDs (envoyproxy/gateway charts/gateway-helm/charts/crds/crds/generated at tag v1.9.0)."""
ENVOY_GATEWAY_VALUES_TEMPLATE = SHARED_DIR / "charts" / "envoy-gateway-helm-v1.9.0.values.tmpl.yaml"
"""The Envoy Gateway chart's values template (it has no values schema): the keys and defaults the chart reads."""
FORECASTLE_CRD = SHARED_DIR / "forecastle" / "forecastleApp.yaml"
"""The ForecastleApp CRD of the Forecastle chart v1.0.159 (stakater/Forecastle deployments/kubernetes/chart/
forecastle/crds/forecastleApp.yaml at tag v1.0.159, sha256 `FORECASTLE_CRD_SHA256`): not in every shared/ folder
yet; `tests/fetch-reference-documents.sh` fetches it, and the tests that need it say so when it is missing."""
FORECASTLE_CRD_SHA256 = "1c18caab68e837d56c33fcddffd1fd2c26da19428aca24040a46dd479c6ade44"
REFERENCE_DOCUMENTS = (F5_VALUES_SCHEMA, UPTIMEROBOT_OPENAPI)


def crd_files() -> list[Path]:
    """Every CRD file the API server model installs: Gateway API, Envoy Gateway, and Forecastle's where present."""
    files = sorted(GATEWAY_API_CRDS.glob("*.yaml")) + sorted(ENVOY_GATEWAY_CRDS.glob("*.yaml"))
    return files + ([FORECASTLE_CRD] if FORECASTLE_CRD.is_file() else [])


def missing_reference_documents() -> list[Path]:
    """The reference documents that are not where the tests look for them."""
    return [path for path in REFERENCE_DOCUMENTS if not path.is_file()]


def missing_documents_message(missing: list[Path]) -> str:
    """One line: what is missing, where it was looked for, and what to do about it."""
    names = ", ".join(str(path.relative_to(SHARED_DIR)) for path in missing)
    return (f"the tests need reference documents that are not in {SHARED_DIR} (missing: {names}); put the "
            "shared/ folder beside the repository or set GANGPLANK_SHARED_DIR to it "
            "(docs/testing.md, 'Running the tests', says where they come from)")
