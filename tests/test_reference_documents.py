"""Without the reference documents in `shared/`, the suite stops at once with one line that says so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.reference import F5_VALUES_SCHEMA, SHARED_DIR, UPTIMEROBOT_OPENAPI


def run_pytest(shared: Path) -> subprocess.CompletedProcess[str]:
    """pytest as a newcomer runs it, on a test that would otherwise pass, with `shared/` at `shared`."""
    env = {**os.environ, "GANGPLANK_SHARED_DIR": str(shared)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/planner/diff/test_markdown.py::test_empty_diff_is_one_line"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_missing_shared_folder_stops_the_suite_with_one_line(tmp_path: Path) -> None:
    done = run_pytest(tmp_path)
    assert done.returncode == 4  # pytest's usage error: nothing was collected, nothing ran
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    [line] = lines
    assert line.startswith(f"ERROR: the tests need reference documents that are not in {tmp_path} ")
    assert "charts/nginx-ingress-2.6.4.values.schema.json" in line and "uptimerobot/openapi-v3.yaml" in line
    assert "GANGPLANK_SHARED_DIR" in line and "Running the tests" in line


def test_one_missing_document_is_named_alone(tmp_path: Path) -> None:
    (tmp_path / "charts").mkdir()
    shutil.copy(F5_VALUES_SCHEMA, tmp_path / "charts" / F5_VALUES_SCHEMA.name)
    done = run_pytest(tmp_path)
    assert done.returncode == 4
    assert "(missing: uptimerobot/openapi-v3.yaml)" in done.stderr
    assert "charts/" not in done.stderr.split("(missing:")[1]


def test_with_the_documents_the_suite_runs(tmp_path: Path) -> None:
    """The check looks where the tests read: a copy of the folder elsewhere works as well."""
    for path in (F5_VALUES_SCHEMA, UPTIMEROBOT_OPENAPI):
        target = tmp_path / path.relative_to(SHARED_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    done = run_pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
