"""A clock for tests that moves only when it is waited on or told to.

It serves as the fake UptimeRobot's clock (its rate-limit windows, `X-RateLimit-Reset`, `Date`) and as
the client's and pacer's (`components.uptimerobot.pacing.Clock`): a wait advances it at once and is
recorded. A test then asserts what was waited for and how many requests were refused, never how long
a machine took (the project's rule: no timed assertions), and a window boundary falls where the test
puts it, not where the wall clock happens to be.
"""

from __future__ import annotations

import threading

__all__ = ["EPOCH", "FakeClock"]

EPOCH = 1_800_000_000.0
"""A start on a whole minute (so on a boundary of every window of 1, 2, 5, 10, 30 or 60 s), in 2027."""


class FakeClock:
    """`time()` and `monotonic()` read the same instant; `sleep` and `wait` advance it and are recorded."""

    def __init__(self, start: float = EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []
        """Every `sleep` (a retry's wait), in seconds, in order."""
        self.waits: list[float] = []
        """Every `wait` (the pacer's wait for a period to end), in seconds, in order."""

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += seconds

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """The whole timeout passes at once (the caller holds `condition`: nobody else moves meanwhile)."""
        with self._lock:
            self.waits.append(seconds)
            self._now += seconds
