"""Pacing calls to UptimeRobot on the budget the API itself announces.

UptimeRobot documents its rate limit per account and plan (free: 10 requests a minute; paid:
twice the plan's monitors a minute, at most 5,000) and sends it with every answer
(https://uptimerobot.com/api/v3, "Rate limits"):

- ``X-RateLimit-Limit``: the current limit;
- ``X-RateLimit-Remaining``: calls left in the current period;
- ``X-RateLimit-Reset``: epoch seconds at which the period ends;
- ``Retry-After`` (with a 429): seconds to wait before trying again.

:class:`RateBudget` is the decision: given what the last answers said and how many requests
this process has in flight, may one more go now, and if not, how long to wait. It is pure
(time is passed in), so the benchmark drives the very same code on a simulated clock.
:class:`Pacer` wraps it for threads, on a :class:`Clock` (the system's, or a test's). No
maintained library paces a client on these headers (pyrate-limiter and the like enforce a rate
fixed in advance), so the rule is written here;
the optional fixed ceiling (``UPTIMEROBOT_RATE_PER_MINUTE``) still uses pyrate-limiter.

The rule:

- Nothing known yet (first call, or the announced period is over): one request at a time
  goes out and its answer tells the budget. Another client using the same key (a second
  ``pulumi up`` on another stack) is therefore seen at once instead of assumed away.
- A period is known: send while ``remaining - in flight > 0``. Requests still in flight when
  an answer arrived may already be counted in its ``remaining``: counting them again is the
  safe side.
- None remain: wait until the period's reset, then probe again.
- The reset is an instant on the server's clock. It is turned into a local wait with the
  answer's ``Date`` header (whole seconds, rounded down, so the wait is at most a second
  too long, never too short); without ``Date`` the local clock is trusted.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pyrate_limiter import InMemoryBucket, Limiter, Rate
from requests.structures import CaseInsensitiveDict

__all__ = ["MAX_PERIOD_S", "SYSTEM_CLOCK", "BudgetWindow", "Clock", "Pacer", "RateBudget", "RateLimit", "SystemClock",
           "parse_budget"]

#: The longest wait a reset may impose before probing again (the API's period is a minute;
#: a far-off reset is more likely a clock or header problem than a real budget).
MAX_PERIOD_S = 120.0


class Clock(Protocol):
    """Where the pacer and the client read the time and wait: the system's clock, or a test's that moves only when
    it is waited on (tests/fakes/clock.py), so that tests assert the waits computed rather than time a machine."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (local waits and deadlines)."""
        ...

    def time(self) -> float:
        """Epoch seconds (to read the server's `Retry-After` dates and `X-RateLimit-Reset`)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (a retry's wait)."""
        ...

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """Wait on `condition` (held by the caller) until it is notified or `seconds` pass."""
        ...


class SystemClock:
    """The system's clock: `time.monotonic`, `time.time`, `time.sleep` and `Condition.wait`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(timeout=seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class RateLimit:
    """A fixed ceiling: at most ``requests`` calls in any ``period_s`` seconds."""

    requests: int
    period_s: float = 60.0


@dataclass
class BudgetWindow:
    """One announced rate-limit period, as far as this process knows it."""

    reset_epoch: float
    """``X-RateLimit-Reset``: when the period ends, on the server's clock."""
    ends_at: float
    """The same instant on the local monotonic clock."""
    remaining: int
    limit: int | None


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


def parse_budget(headers: Mapping[str, Any] | None, now: float, wall: float) -> BudgetWindow | None:
    """The period an answer announces, or None if it carries no rate-limit headers.

    ``now`` is the local monotonic time the answer arrived, ``wall`` the local epoch time then.
    """
    if not headers:
        return None
    headers = CaseInsensitiveDict(headers)
    remaining = _header_int(headers, "X-RateLimit-Remaining")
    reset = _header_int(headers, "X-RateLimit-Reset")
    if remaining is None or reset is None:
        return None
    server_now = wall
    date = headers.get("Date")
    if date:
        parsed = email.utils.parsedate_tz(str(date))
        if parsed is not None:
            server_now = float(email.utils.mktime_tz(parsed))
    wait = min(max(0.0, reset - server_now), MAX_PERIOD_S)
    return BudgetWindow(float(reset), now + wait, max(0, remaining), _header_int(headers, "X-RateLimit-Limit"))


class RateBudget:
    """Whether one more request may go now. Not thread-safe: :class:`Pacer` holds a lock around it."""

    def __init__(self) -> None:
        self.window: BudgetWindow | None = None
        self.in_flight = 0

    def wait_time(self, now: float) -> float | None:
        """0: send now. A number: wait that long, then ask again. None: wait for an answer in flight."""
        window = self.window
        if window is not None and now >= window.ends_at:
            self.window = window = None  # the period is over: its count no longer holds
        if window is None:
            return 0.0 if self.in_flight == 0 else None
        if window.remaining - self.in_flight > 0:
            return 0.0
        return window.ends_at - now

    def start(self) -> None:
        """A request is going out."""
        self.in_flight += 1

    def finish(self, headers: Mapping[str, Any] | None, now: float, wall: float) -> None:
        """A request ended: with an answer's headers, or None (no answer: timeout, dropped connection)."""
        self.in_flight = max(0, self.in_flight - 1)
        announced = parse_budget(headers, now, wall)
        if announced is None:
            return
        current = self.window
        if current is None or announced.reset_epoch > current.reset_epoch:
            self.window = announced
        elif announced.reset_epoch == current.reset_epoch:
            # Answers of one period may arrive out of order: the lowest count is the latest.
            current.remaining = min(current.remaining, announced.remaining)
            current.ends_at = min(current.ends_at, announced.ends_at)
            current.limit = announced.limit or current.limit
        # An answer from a period already over says nothing about the current one.


_OPEN_ATTEMPT = threading.local()


class Pacer:
    """Blocks each request until the announced budget (and the optional ceiling) allow it.

    One per account in a process (see ``client.shared_pacer``): every provider thread takes
    its turn here. Each :meth:`acquire` must be followed by one :meth:`finish` in the same
    thread; extra :meth:`finish` calls are ignored, so both the retry hook and the adapter
    may report the end of an attempt.
    """

    def __init__(self, ceiling: RateLimit | None = None, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._budget = RateBudget()
        self._cond = threading.Condition()
        self._ceiling = (
            Limiter(InMemoryBucket([Rate(ceiling.requests, max(1, round(ceiling.period_s * 1000)))]))
            if ceiling is not None
            else None
        )
        self.requests = 0
        """Attempts that took a turn."""
        self.waits: list[float] = []
        """Each wait for a period to end that the budget imposed, in seconds (for tests and figures)."""

    @property
    def window(self) -> BudgetWindow | None:
        """The period last announced (for tests and figures)."""
        with self._cond:
            return self._budget.window

    def acquire(self) -> None:
        """Block until one more request fits, then count it as in flight."""
        if self._ceiling is not None:
            self._ceiling.try_acquire("uptimerobot", blocking=True)
        with self._cond:
            while True:
                wait = self._budget.wait_time(self._clock.monotonic())
                if wait == 0.0:
                    break
                if wait is None:
                    # An answer in flight notifies; the timeout only bounds a lost notification.
                    self._cond.wait(timeout=1.0)
                    continue
                wait = min(wait, MAX_PERIOD_S)
                self.waits.append(wait)
                self._clock.wait(self._cond, wait)  # an answer that frees a turn notifies here too
            self._budget.start()
            self.requests += 1
        _OPEN_ATTEMPT.pacer = self

    def finish(self, headers: Mapping[str, Any] | None) -> None:
        """The attempt this thread started ended (headers of its answer, or None)."""
        if getattr(_OPEN_ATTEMPT, "pacer", None) is not self:
            return
        _OPEN_ATTEMPT.pacer = None
        with self._cond:
            self._budget.finish(headers, self._clock.monotonic(), self._clock.time())
            self._cond.notify_all()
