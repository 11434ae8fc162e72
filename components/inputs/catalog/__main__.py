"""`python -m components.inputs.catalog [PATH]`: write the JSON Schema of apps.yaml."""

from __future__ import annotations

import argparse
import sys

from components.inputs.catalog.schema import SCHEMA_FILE, render_json_schema


def _main(argv: list[str]) -> int:
    """`python -m components.inputs.catalog [PATH]`: write the JSON Schema (default apps.schema.json)."""
    parser = argparse.ArgumentParser(prog="python -m components.inputs.catalog",
                                     description="Write the JSON Schema of apps.yaml, generated from the model.")
    parser.add_argument("path", nargs="?", default=SCHEMA_FILE, help=f"where to write it (default {SCHEMA_FILE})")
    target = parser.parse_args(argv).path
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_json_schema())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
