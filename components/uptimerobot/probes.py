"""UptimeRobot's probe (checker) addresses, pinned in the repository.

An app reachable only from allow-listed addresses fails its uptime monitor unless the
checkers' addresses are admitted (for its health path at least). UptimeRobot publishes them
at :data:`SOURCE_URL`, one address per line; ``probe_addresses.txt`` beside this module is a
pinned copy (its header says where and when it was taken). Pinned, not fetched at run time:
a plan must not change because a web page did, and previews run without network.

- :func:`probe_addresses` — the addresses, as in the file (normalised spelling);
- :func:`probe_cidrs` — the same as CIDR blocks: ``/32`` for an IPv4 address, ``/128`` for
  IPv6 (a range in the source stays a range);
- refresh the copy (needs network, so not from CI or this workplace)::

      python -m components.uptimerobot.probes --refresh            # from SOURCE_URL
      python -m components.uptimerobot.probes --refresh --source URL --output PATH
      python -m components.uptimerobot.probes                      # print the pinned CIDRs

  The refresh refuses to write anything unless every line of the source is an address or a
  CIDR and there is at least one; review the diff (``git diff``) before committing it, and
  plan the stacks: allow-lists built from it change with it.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import ipaddress
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import requests

__all__ = ["PINNED_FILE", "SOURCE_URL", "parse_addresses", "probe_addresses", "probe_cidrs", "refresh", "render"]

SOURCE_URL = "https://uptimerobot.com/inc/files/ips/IPv4andIPv6.txt"
PINNED_FILE = Path(__file__).with_name("probe_addresses.txt")


def _normalise(entry: str) -> str:
    """One address or CIDR in canonical spelling (``2406:...:0579`` → ``2406:...:579``)."""
    if "/" in entry:
        return str(ipaddress.ip_network(entry, strict=True))
    return str(ipaddress.ip_address(entry))


def parse_addresses(text: str, *, where: str = SOURCE_URL) -> list[str]:
    """The addresses of a list in UptimeRobot's format: one per line (CRLF or LF), ``#`` comments.

    Raises ``ValueError`` naming ``where`` and the line for anything that is not an address
    or a CIDR block, and for a list with no address at all. Duplicates are dropped.
    """
    found: dict[str, None] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            found[_normalise(entry)] = None
        except ValueError:
            raise ValueError(f"{where}:{number}: {entry!r} is not an IP address or CIDR block") from None
    if not found:
        raise ValueError(f"{where}: no address found")
    return list(found)


@functools.cache
def _pinned(path: Path) -> tuple[str, ...]:
    return tuple(parse_addresses(path.read_text(encoding="utf-8"), where=str(path)))


def probe_addresses(path: Path = PINNED_FILE) -> tuple[str, ...]:
    """UptimeRobot's probe addresses from the pinned copy, in its order."""
    return _pinned(path)


@functools.cache
def probe_cidrs(path: Path = PINNED_FILE) -> tuple[str, ...]:
    """The probe addresses as CIDR blocks (``3.12.251.153/32``, ``2a01:4f8:c0c:83fa::1/128``)."""
    return tuple(str(ipaddress.ip_network(address)) for address in probe_addresses(path))


def render(addresses: Sequence[str], *, source: str, date: datetime.date, how: Iterable[str] = ()) -> str:
    """The pinned file: a header saying where and when the list was taken, then one address a line."""
    header = [
        "# UptimeRobot's probe (checker) addresses: a pinned copy of the list UptimeRobot publishes at",
        f"# source: {source}",
        f"# date: {date.isoformat()}",
        *(f"# {line}" for line in how),
        "# refresh: python -m components.uptimerobot.probes --refresh   (needs network; see probes.py)",
        f"# count: {len(addresses)}",
    ]
    return "\n".join([*header, *addresses]) + "\n"


def refresh(source: str = SOURCE_URL, output: Path = PINNED_FILE, *, timeout_s: float = 30.0) -> list[str]:
    """Download the list from ``source``, check every line, and rewrite ``output``. Returns the addresses.

    Nothing is written if the download fails or any line is not an address.
    """
    response = requests.get(source, timeout=timeout_s, headers={"User-Agent": "gangplank-probe-refresh/1"})
    response.raise_for_status()
    addresses = parse_addresses(response.text, where=source)
    today = datetime.datetime.now(datetime.UTC).date()
    output.write_text(render(addresses, source=source, date=today, how=["how: downloaded from the source."]),
                      encoding="utf-8")
    _pinned.cache_clear()
    probe_cidrs.cache_clear()
    return addresses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="UptimeRobot's probe addresses (the pinned copy)")
    parser.add_argument("--refresh", action="store_true", help="download the list again and rewrite the pinned copy")
    parser.add_argument("--source", default=SOURCE_URL, help=f"where to download from (default {SOURCE_URL})")
    parser.add_argument("--output", type=Path, default=PINNED_FILE, help="the file to write (default: the pinned copy)")
    args = parser.parse_args(argv)
    if args.refresh:
        try:
            addresses = refresh(args.source, args.output)
        except (requests.RequestException, ValueError) as exc:
            print(f"not refreshed: {exc}", file=sys.stderr)
            return 1
        print(f"{args.output}: {len(addresses)} addresses from {args.source}")
        return 0
    print("\n".join(probe_cidrs(args.output)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
