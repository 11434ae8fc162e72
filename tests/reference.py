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
REFERENCE_DOCUMENTS = (F5_VALUES_SCHEMA, UPTIMEROBOT_OPENAPI)


def missing_reference_documents() -> list[Path]:
    """The reference documents that are not where the tests look for them."""
    return [path for path in REFERENCE_DOCUMENTS if not path.is_file()]


def missing_documents_message(missing: list[Path]) -> str:
    """One line: what is missing, where it was looked for, and what to do about it."""
    names = ", ".join(str(path.relative_to(SHARED_DIR)) for path in missing)
    return (f"the tests need reference documents that are not in {SHARED_DIR} (missing: {names}); put the "
            "shared/ folder beside the repository or set GANGPLANK_SHARED_DIR to it "
            "(docs/testing.md, 'Running the tests', says where they come from)")
