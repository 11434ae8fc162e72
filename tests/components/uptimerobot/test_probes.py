"""UptimeRobot's probe addresses: the pinned copy, its CIDRs, and the refresh script (against a local server)."""

from __future__ import annotations

import datetime
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from components.uptimerobot import probes
from components.uptimerobot.probes import PINNED_FILE, SOURCE_URL, parse_addresses, probe_addresses, probe_cidrs


def test_the_pinned_copy_says_where_and_when_it_comes_from() -> None:
    header = [line for line in PINNED_FILE.read_text().splitlines() if line.startswith("#")]
    assert f"# source: {SOURCE_URL}" in header
    dates = [line.removeprefix("# date: ") for line in header if line.startswith("# date: ")]
    assert len(dates) == 1 and datetime.date.fromisoformat(dates[0])
    counts = [int(line.removeprefix("# count: ")) for line in header if line.startswith("# count: ")]
    assert counts == [len(probe_addresses())]


def test_probe_cidrs_are_host_routes_of_both_families() -> None:
    cidrs = probe_cidrs()
    networks = [ipaddress.ip_network(c) for c in cidrs]
    assert len(set(cidrs)) == len(cidrs) > 100
    assert {n.version for n in networks} == {4, 6}
    assert all(n.prefixlen == (32 if n.version == 4 else 128) for n in networks)
    assert all(n.is_global for n in networks)  # real internet addresses, nothing private or reserved
    assert "3.12.251.153/32" in cidrs
    # The source spells some IPv6 addresses with leading zeros; CIDRs are canonical.
    assert "2406:da1c:9c8:dc02:82b2:f0fd:ee96:579/128" in cidrs


def test_parse_accepts_crlf_comments_and_ranges_and_names_bad_lines() -> None:
    text = "3.12.251.153\r\n# note\r\n\r\n2406:DA1C::0579\r\n69.162.124.224/28\r\n3.12.251.153\r\n"
    assert parse_addresses(text) == ["3.12.251.153", "2406:da1c::579", "69.162.124.224/28"]
    with pytest.raises(ValueError, match=r"list.txt:2: 'not-an-ip' is not an IP address"):
        parse_addresses("3.12.251.153\nnot-an-ip\n", where="list.txt")
    with pytest.raises(ValueError, match="no address found"):
        parse_addresses("# empty\n")


class _Source(BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def source() -> Iterator[tuple[str, type[_Source]]]:
    """A stand-in for uptimerobot.com on 127.0.0.1 serving the list."""
    handler = type("Source", (_Source,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/inc/files/ips/IPv4andIPv6.txt", handler
    server.shutdown()
    server.server_close()


def test_refresh_rewrites_the_copy_from_the_source(source: tuple[str, type[_Source]], tmp_path: Path) -> None:
    url, handler = source
    handler.body = b"3.12.251.153\r\n2600:1f16:775:3a00:ac3:c5eb:7081:942e\r\n"
    output = tmp_path / "probe_addresses.txt"

    assert probes.main(["--refresh", "--source", url, "--output", str(output)]) == 0

    text = output.read_text()
    assert f"# source: {url}" in text
    assert f"# date: {datetime.datetime.now(datetime.UTC).date().isoformat()}" in text
    assert probe_cidrs(output) == ("3.12.251.153/32", "2600:1f16:775:3a00:ac3:c5eb:7081:942e/128")


@pytest.mark.parametrize(("status", "body"), [(200, b"3.12.251.153\r\n<html>oops</html>\r\n"), (503, b""), (200, b"")])
def test_refresh_writes_nothing_from_a_bad_source(
    source: tuple[str, type[_Source]], tmp_path: Path, status: int, body: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = source
    handler.status, handler.body = status, body
    output = tmp_path / "probe_addresses.txt"
    output.write_text("3.12.251.153\n")

    assert probes.main(["--refresh", "--source", url, "--output", str(output)]) == 1

    assert output.read_text() == "3.12.251.153\n"
    assert "not refreshed" in capsys.readouterr().err
