#!/usr/bin/env bash
# Fetch every reference document the tests check against (docs/testing.md, "Running the tests")
# into DIR (default ../shared), from the pinned upstream revisions listed in tests/reference.py (the
# one registry of them), and verify each against its sha256. The test command does this by itself
# where documents are missing (into .reference-documents/); this is for machines that want the
# shared/ folder itself.
# Needs only python3 (the standard library). GANGPLANK_REFERENCE_BASE_URL replaces the upstream host.
set -euo pipefail
dir="${1:-../shared}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" -m tests.reference fetch "$dir"
