"""The test command sets itself up: reference documents from shared/, a cache, or upstream, each checked.

Upstream here is a server on 127.0.0.1 serving the documents at their upstream paths
(`GANGPLANK_REFERENCE_BASE_URL`), never the internet.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests import reference
from tests.conftest import ROOT
from tests.reference import DOCUMENTS, REFERENCE_DIR, REQUIRED, SHARED_DIR, ReferenceDocumentsError, prepare

F5, OPENAPI = DOCUMENTS[0], DOCUMENTS[3]
TWO = (F5, OPENAPI)


@dataclass
class Upstream:
    """What the local server serves (URL path -> bytes) and the paths it was asked for."""

    url: str
    files: dict[str, bytes]
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """Every document this machine has, at its upstream path, served from 127.0.0.1."""
    served = Upstream("", {"/" + d.url("").lstrip("/"): (REFERENCE_DIR / d.path).read_bytes() for d in DOCUMENTS
                           if (REFERENCE_DIR / d.path).is_file()})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            body = served.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_port() -> str:
    """A base URL on 127.0.0.1 where nothing listens: upstream that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_the_registry_is_every_document_the_notices_list() -> None:
    notices = sorted(SHARED_DIR.glob("*/NOTICE"))
    if not notices:
        pytest.skip(f"no NOTICE files in {SHARED_DIR} to compare the registry with")
    listed: dict[str, str] = {}
    for notice in notices:
        text = notice.read_text(encoding="utf-8")
        for sha, name in re.findall(r"^([0-9a-f]{64})\s+(\S+)$", text, flags=re.M):
            [path] = [p for p in notice.parent.rglob(name)]
            listed[path.relative_to(SHARED_DIR).as_posix()] = sha
        # "<file> is ... sha256: <sum>" paragraphs (charts/, uptimerobot/)
        for paragraph in text.split("\n\n"):
            single = re.search(r"sha256: ([0-9a-f]{64})", paragraph)
            if single:
                name = paragraph.split()[0]
                listed[f"{notice.parent.name}/{name}"] = single.group(1)
    noticed = [d for d in DOCUMENTS if (SHARED_DIR / d.path.split("/")[0] / "NOTICE").is_file()]
    assert {d.path: d.sha256 for d in noticed} == listed
    assert {d.path for d in DOCUMENTS} - {d.path for d in noticed} == {d.path for d in DOCUMENTS if not d.required}
    for document in noticed:
        notice = (SHARED_DIR / document.path.split("/")[0] / "NOTICE").read_text(encoding="utf-8")
        assert document.source.revision in notice, f"{document.path}: the registry's commit is not its NOTICE's"
        assert document.url().startswith(f"https://raw.githubusercontent.com/{document.source.repo}/")


def test_a_complete_shared_folder_is_read_where_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    for document in TWO:
        (shared / document.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REFERENCE_DIR / document.path, shared / document.path)
    prepared = prepare(shared, tmp_path / "cache", "http://127.0.0.1:9", TWO)
    assert (prepared.folder, prepared.from_shared, prepared.fetched) == (shared, 2, 0)
    assert not (tmp_path / "cache").exists()


def test_missing_documents_are_fetched_checked_and_kept(tmp_path: Path, upstream: Upstream) -> None:
    cache = tmp_path / "cache"
    before = len(upstream.requests)
    prepared = prepare(tmp_path / "no-shared", cache, upstream.url, TWO)
    assert (prepared.folder, prepared.fetched, prepared.cached) == (cache, 2, 0)
    for document in TWO:
        assert reference.sha256_of(cache / document.path) == document.sha256
    assert len(upstream.requests) == before + 2
    again = prepare(tmp_path / "no-shared", cache, upstream.url, TWO)
    assert (again.fetched, again.cached) == (0, 2) and len(upstream.requests) == before + 2, "fetched twice"
    assert "2 cached" in again.summary()


def test_an_optional_document_is_never_fetched_by_a_session(tmp_path: Path, upstream: Upstream) -> None:
    """A machine without GitHub access would wait for it in every session: only the script fetches it."""
    [optional] = [document for document in DOCUMENTS if not document.required]
    before = len(upstream.requests)
    prepared = prepare(tmp_path / "no-shared", tmp_path / "cache", upstream.url, (OPENAPI, optional))
    assert upstream.requests[before:] == ["/" + OPENAPI.url("").lstrip("/")]
    assert prepared.fetched == 1 and not (tmp_path / "cache" / optional.path).exists()


def test_a_test_that_needs_a_missing_optional_document_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "forecastle" / "forecastleApp.yaml"
    why = reference.missing_optional(path)
    assert why is not None and "\n" not in why
    assert why.startswith("optional reference document forecastle/forecastleApp.yaml is in neither ")
    assert why.endswith(": tests/fetch-reference-documents.sh fetches it")
    path.parent.mkdir()
    path.write_text("kind: CustomResourceDefinition\n", encoding="utf-8")
    assert reference.missing_optional(path) is None


def test_a_partial_shared_folder_is_completed_from_upstream(tmp_path: Path, upstream: Upstream) -> None:
    shared = tmp_path / "shared"
    (shared / F5.path).parent.mkdir(parents=True)
    shutil.copy(REFERENCE_DIR / F5.path, shared / F5.path)
    prepared = prepare(shared, tmp_path / "cache", upstream.url, TWO)
    assert (prepared.folder, prepared.from_shared, prepared.fetched) == (tmp_path / "cache", 1, 1)
    assert all((tmp_path / "cache" / document.path).is_file() for document in TWO)


def test_a_download_that_is_not_the_pinned_document_is_refused(tmp_path: Path, upstream: Upstream) -> None:
    path = "/" + OPENAPI.url("").lstrip("/")
    original = upstream.files[path]
    upstream.files[path] = original + b"\n# changed upstream\n"
    try:
        with pytest.raises(ReferenceDocumentsError) as caught:
            prepare(tmp_path / "no-shared", tmp_path / "cache", upstream.url, [OPENAPI])
    finally:
        upstream.files[path] = original
    assert f"expected {OPENAPI.sha256}" in str(caught.value) and "uptimerobot/openapi-v3.yaml" in str(caught.value)
    assert not (tmp_path / "cache" / OPENAPI.path).exists(), "a wrong download was kept"


def test_a_corrupted_copy_in_shared_is_named(tmp_path: Path, upstream: Upstream) -> None:
    shared = tmp_path / "shared"
    (shared / OPENAPI.path).parent.mkdir(parents=True)
    (shared / OPENAPI.path).write_bytes((REFERENCE_DIR / OPENAPI.path).read_bytes()[:-10])
    with pytest.raises(ReferenceDocumentsError) as caught:
        prepare(shared, tmp_path / "cache", upstream.url, TWO)
    message = str(caught.value)
    assert "\n" not in message and "do not match their pinned sha256" in message
    assert "uptimerobot/openapi-v3.yaml" in message and F5.path not in message


def test_what_can_be_neither_found_nor_fetched_is_one_line(tmp_path: Path, closed_port: str) -> None:
    with pytest.raises(ReferenceDocumentsError) as caught:
        prepare(tmp_path / "no-shared", tmp_path / "cache", closed_port, DOCUMENTS)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"the tests need {len(REQUIRED)} reference document(s) that are not in ")
    assert "GANGPLANK_SHARED_DIR" in message and "tests/fetch-reference-documents.sh" in message
    assert f"and {len(REQUIRED) - reference.SHOWN_NAMES} more" in message


def run_pytest(tmp_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    """The README's test command on a fresh clone without shared/, on one test that would otherwise pass."""
    env = {**os.environ, "GANGPLANK_SHARED_DIR": str(tmp_path / "no-shared"),
           "GANGPLANK_REFERENCE_CACHE": str(tmp_path / "cache"), "GANGPLANK_REFERENCE_BASE_URL": base_url}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/planner/diff/test_markdown.py::test_empty_diff_is_one_line"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_a_fresh_clone_fetches_what_it_needs_and_runs(tmp_path: Path, upstream: Upstream) -> None:
    done = run_pytest(tmp_path, upstream.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert reference.complete_in(tmp_path / "cache", REQUIRED)


def test_without_shared_or_upstream_the_suite_stops_with_one_line(tmp_path: Path, closed_port: str) -> None:
    done = run_pytest(tmp_path, closed_port)
    assert done.returncode == 4  # pytest's usage error: nothing was collected, nothing ran
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: the tests need ") and "GANGPLANK_SHARED_DIR" in lines[0]


def test_the_fetch_script_fills_a_folder_from_the_registry(tmp_path: Path, upstream: Upstream) -> None:
    env = {**os.environ, "GANGPLANK_REFERENCE_BASE_URL": upstream.url}
    done = subprocess.run(["bash", "tests/fetch-reference-documents.sh", str(tmp_path / "shared")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert reference.complete_in(tmp_path / "shared", REQUIRED)
    assert all(reference.sha256_of(tmp_path / "shared" / d.path) == d.sha256 for d in REQUIRED)


def test_the_fetch_script_fails_when_upstream_cannot_be_reached(tmp_path: Path, closed_port: str) -> None:
    env = {**os.environ, "GANGPLANK_REFERENCE_BASE_URL": closed_port}
    done = subprocess.run(["bash", "tests/fetch-reference-documents.sh", str(tmp_path / "shared")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"{len(REQUIRED)} of {len(REQUIRED)} reference documents could not be fetched" in done.stderr
