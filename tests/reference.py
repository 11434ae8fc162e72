"""Reference documents the tests check against, kept outside the repository in `shared/`.

`shared/` sits beside the repository (or where `GANGPLANK_SHARED_DIR` points): the F5 chart's
values schema (`charts/`) and UptimeRobot's OpenAPI document (`uptimerobot/`), each with a NOTICE.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(os.environ.get("GANGPLANK_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
F5_VALUES_SCHEMA = SHARED_DIR / "charts" / "nginx-ingress-2.6.4.values.schema.json"
UPTIMEROBOT_OPENAPI = SHARED_DIR / "uptimerobot" / "openapi-v3.yaml"
