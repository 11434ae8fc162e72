"""Which monitors are the stack's, and the per-process view of them that reads and creates share.

Monitors carry ownership tags (``gangplank`` and ``stack:<name>``): listing a stack's tag
finds its monitors in ``ceil(N/200)`` calls, and only a monitor with both tags can be adopted
as an orphan of an interrupted run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .api_mapping import api_text
from .client import UptimeRobotClient, UptimeRobotError

__all__ = ["LISTING_TTL_S", "OWNERSHIP_TAG", "STACK_TAG_PREFIX", "Listings", "listing_tag", "owner_tags"]

OWNERSHIP_TAG = "gangplank"
STACK_TAG_PREFIX = "stack:"

# A refresh runs in one process within seconds; older listings are not trusted by reads.
# Creates keep using the first listing: it is kept true to what the process creates.
LISTING_TTL_S = 60.0


def listing_tag(tags: Iterable[Any]) -> str | None:
    """The tag whose listing should hold this monitor: the stack's, else the ownership tag."""
    tags = [t for t in tags or [] if isinstance(t, str)]
    for tag in tags:
        if tag.startswith(STACK_TAG_PREFIX):
            return tag
    return OWNERSHIP_TAG if OWNERSHIP_TAG in tags else None


def owner_tags(tags: Iterable[Any]) -> tuple[str, str] | None:
    """``(gangplank, stack:<name>)`` when the monitor carries both: only then is it adoptable."""
    tags = [t for t in tags or [] if isinstance(t, str)]
    stack = next((t for t in tags if t.startswith(STACK_TAG_PREFIX)), None)
    return (OWNERSHIP_TAG, stack) if stack is not None and OWNERSHIP_TAG in tags else None


def _is_orphan_of(monitor: Mapping[str, Any], desired: Mapping[str, Any], owners: tuple[str, str]) -> bool:
    """A monitor an earlier run made for these inputs: exact name and URL, same type, owned by the stack."""
    return (
        api_text(monitor.get("url")) == desired["url"]
        and api_text(monitor.get("friendlyName")) == desired["friendly_name"]
        and str(monitor.get("type") or "").upper() == desired["type"]
        and set(owners) <= {tag["name"] for tag in monitor.get("tags") or []}
    )


def _several(desired: Mapping[str, Any], matches: Iterable[Mapping[str, Any]]) -> UptimeRobotError:
    ids = ", ".join(str(m["id"]) for m in matches)
    return UptimeRobotError(
        "create monitor",
        None,
        f"several monitors match {desired['friendly_name']!r} ({ids}); "
        "delete the duplicates in UptimeRobot and run again",
    )


class Listings:
    """Per-process view of the monitors listed by tag, and of the monitors creates have claimed.

    Reads use it so N reads cost ~N/200 calls, not N; creates use it to find orphans of
    earlier runs with one listing per stack, not one per create. Every create, update and
    delete of this process is written into it, so it stays true while the process runs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tag: dict[str, tuple[float, dict[int, dict[str, Any]]]] = {}
        self._claimed: set[int] = set()
        """Monitors a create of this process made or adopted: another create must not adopt them."""
        self._adopted: set[int] = set()
        """Monitors that existed before this process and a create of it adopted (see
        :meth:`MonitorProvider.delete`)."""

    def _listing(self, client: UptimeRobotClient, tag: str, max_age_s: float | None) -> dict[int, dict[str, Any]]:
        # Called with the lock held: concurrent callers wait for one listing instead of each fetching it.
        cached = self._by_tag.get(tag)
        if cached is None or (max_age_s is not None and time.monotonic() - cached[0] > max_age_s):
            monitors = {int(m["id"]): m for m in client.list_monitors(tags=[tag])}
            cached = self._by_tag[tag] = (time.monotonic(), monitors)
        return cached[1]

    def find(self, client: UptimeRobotClient, tag: str, monitor_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._listing(client, tag, LISTING_TTL_S).get(monitor_id)

    def claim_orphan(
        self, client: UptimeRobotClient, desired: Mapping[str, Any], owners: tuple[str, str]
    ) -> dict[str, Any] | None:
        """The unclaimed monitor of the stack that matches ``desired``, now claimed; None if there is none."""
        with self._lock:
            listing = self._listing(client, owners[1], None)
            matches = [m for i, m in listing.items() if i not in self._claimed and _is_orphan_of(m, desired, owners)]
            if len(matches) > 1:
                raise _several(desired, matches)
            if not matches:
                return None
            monitor_id = int(matches[0]["id"])
            self._claimed.add(monitor_id)
            self._adopted.add(monitor_id)
            return dict(matches[0])

    def claim(self, monitors: Iterable[Mapping[str, Any]], desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """The one unclaimed monitor among ``monitors`` (the one a lost create made), now claimed."""
        with self._lock:
            free = [m for m in monitors if int(m["id"]) not in self._claimed]
            if len(free) > 1:
                raise _several(desired, free)
            if not free:
                return None
            self._claimed.add(int(free[0]["id"]))
            return dict(free[0])

    def adopted(self, monitor_id: int) -> bool:
        with self._lock:
            return monitor_id in self._adopted

    def remember(self, monitor: Mapping[str, Any], *, created: bool = False) -> None:
        """Keep cached listings true to a monitor this process created or changed."""
        names = {tag["name"] for tag in monitor.get("tags") or []}
        monitor_id = int(monitor["id"])
        with self._lock:
            if created:
                self._claimed.add(monitor_id)
            for tag, (_, monitors) in self._by_tag.items():
                if tag in names:
                    monitors[monitor_id] = dict(monitor)
                else:
                    monitors.pop(monitor_id, None)

    def forget(self, monitor_id: int) -> None:
        with self._lock:
            for _, monitors in self._by_tag.values():
                monitors.pop(monitor_id, None)
