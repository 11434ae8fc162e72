"""HTTP client for the UptimeRobot API v3 (monitors only).

Everything about talking to the API lives here; what a monitor *means* lives in
``provider.py``.

- Authentication: ``Authorization: Bearer <key>``. The key is never put in an exception,
  a log line, ``repr()`` or a pickle.
- Retries: a urllib3 ``Retry`` mounted on a requests ``HTTPAdapter``. It retries 429
  (waiting as long as ``Retry-After`` or ``X-RateLimit-Reset`` says), 5xx, connection
  errors and timeouts, with a bounded number of attempts and a bounded total time.
  A ``POST`` that may have reached the server is never re-sent here: the caller gets
  :class:`CreateOutcomeUnknown` and decides (the provider looks for the monitor first).
- Throttle: every request made by this process, whichever client sends it, first takes
  a permit from one shared sliding-window limiter (pyrate-limiter), so a big stack stays
  under the account's rate limit instead of collecting 429s. The free plan allows
  10 requests/minute; set ``UPTIMEROBOT_RATE_PER_MINUTE`` for a paid plan.
"""

from __future__ import annotations

import email.utils
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from pyrate_limiter import InMemoryBucket, Limiter, Rate
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "ClientSettings",
    "CreateOutcomeUnknown",
    "NotFoundError",
    "RateLimit",
    "Throttle",
    "UptimeRobotClient",
    "UptimeRobotError",
    "shared_throttle",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.uptimerobot.com/v3"
MAX_PAGE_SIZE = 200  # the API's maximum for GET /monitors?limit=
RATE_ENV_VAR = "UPTIMEROBOT_RATE_PER_MINUTE"
FREE_PLAN_RATE_PER_MINUTE = 10
# Cursor pagination that never ends would be a server bug; stop instead of looping forever.
_MAX_PAGES = 1000


class UptimeRobotError(Exception):
    """A call to the UptimeRobot API failed.

    ``str(error)`` names the operation, the HTTP status (if a response arrived) and the
    API's own message. It never contains the API key.
    """

    def __init__(self, operation: str, status: int | None, message: str) -> None:
        self.operation = operation
        self.status = status
        self.api_message = message
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"UptimeRobot {operation} failed ({where}): {message}")


class NotFoundError(UptimeRobotError):
    """The API answered 404: the monitor does not exist (any more)."""


class CreateOutcomeUnknown(UptimeRobotError):
    """A create may or may not have happened (timeout, dropped connection, lost response, 5xx).

    Sending the POST again could make a duplicate monitor, so the client never does;
    look for the monitor first.
    """


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` calls in any ``period_s`` seconds."""

    requests: int
    period_s: float = 60.0

    @classmethod
    def from_env(cls) -> RateLimit:
        """``UPTIMEROBOT_RATE_PER_MINUTE`` (default 10, the free plan's limit)."""
        raw = os.environ.get(RATE_ENV_VAR, "").strip()
        if not raw:
            return cls(FREE_PLAN_RATE_PER_MINUTE)
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{RATE_ENV_VAR} must be a whole number of requests, got {raw!r}") from None
        if value < 1:
            raise ValueError(f"{RATE_ENV_VAR} must be at least 1, got {value}")
        return cls(value)


@dataclass(frozen=True)
class ClientSettings:
    """How the client paces and retries. Contains nothing secret (it is pickled with the provider).

    The defaults suit the real API; tests shrink the time scales.
    """

    rate: RateLimit = field(default_factory=RateLimit.from_env)
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    #: Retries after the first attempt, whatever the cause.
    max_retries: int = 5
    #: Exponential backoff between retries that the server gave no wait time for.
    backoff_factor_s: float = 0.5
    backoff_max_s: float = 30.0
    #: Total time one call may spend waiting for retries. A 429 asking for a longer
    #: wait fails at once instead of sleeping.
    retry_budget_s: float = 180.0


class Throttle:
    """A blocking rate limiter shared by every request of the process (see :func:`shared_throttle`)."""

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        # A sliding-window log: at most `requests` permits in any window, so the fixed
        # windows the server counts in can never see more than that either.
        self._limiter = Limiter(InMemoryBucket([Rate(rate.requests, max(1, round(rate.period_s * 1000)))]))
        self._stats_lock = threading.Lock()
        self.waited_s = 0.0
        """Seconds callers spent waiting for a permit (the rate-limit budget benchmark reads it)."""

    def acquire(self) -> None:
        """Block until one more request fits in the rate limit."""
        started = time.monotonic()
        self._limiter.try_acquire("uptimerobot", blocking=True)
        waited = time.monotonic() - started
        with self._stats_lock:
            self.waited_s += waited


_THROTTLES: dict[RateLimit, Throttle] = {}
_THROTTLES_LOCK = threading.Lock()


def shared_throttle(rate: RateLimit) -> Throttle:
    """The process-wide throttle for ``rate``: every client with the same rate shares it."""
    with _THROTTLES_LOCK:
        throttle = _THROTTLES.get(rate)
        if throttle is None:
            throttle = _THROTTLES[rate] = Throttle(rate)
        return throttle


def _seconds_until(header_value: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date."""
    value = header_value.strip()
    if value.isdigit():
        return float(value)
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def _server_requested_wait(status: int, headers: Mapping[str, str]) -> float | None:
    """How long the server asked us to wait before the next call, if it said so.

    ``Retry-After`` first; for a 429 without it, ``X-RateLimit-Reset`` (epoch seconds
    at which the current rate-limit window ends), as UptimeRobot documents.
    """
    retry_after = headers.get("Retry-After")
    if retry_after:
        wait = _seconds_until(retry_after)
        if wait is not None:
            return wait
    reset = headers.get("X-RateLimit-Reset")
    if status == 429 and reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


class _ApiRetry(Retry):
    """urllib3's Retry, plus: 429 on any method, X-RateLimit-Reset, a time budget, the throttle.

    Retry objects are immutable and copied on every attempt through ``new()``, so the
    extra attributes are carried there.
    """

    def __init__(
        self,
        *args: Any,
        throttle: Throttle | None = None,
        budget_s: float = 180.0,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.throttle = throttle
        self.budget_s = budget_s
        self.deadline = deadline

    def new(self, **kw: Any) -> _ApiRetry:
        kw.setdefault("throttle", self.throttle)
        kw.setdefault("budget_s", self.budget_s)
        kw.setdefault("deadline", self.deadline)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # A 429 means the request was refused before it was processed, so even a POST
        # is safe to send again.
        if status_code == 429:
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        return _server_requested_wait(response.status, response.headers)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> _ApiRetry:
        new_retry = super().increment(method, url, response, error, _pool, _stacktrace)
        # The budget starts at the first failure: the first attempt is bounded by its timeout.
        deadline = new_retry.deadline if new_retry.deadline is not None else time.monotonic() + self.budget_s
        new_retry = new_retry.new(deadline=deadline)
        wait = new_retry.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = new_retry.get_backoff_time()
        if time.monotonic() + wait > deadline:
            reason = error or ResponseError(
                f"the server asked to wait {wait:.0f}s, beyond the retry budget of {self.budget_s:.0f}s"
            )
            # With raise_on_status=False urllib3 hands the last response back, so the caller
            # still sees the real status and the API's message.
            raise MaxRetryError(_pool, url or "", reason)
        return new_retry

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.throttle is not None:
            self.throttle.acquire()


class _ThrottledAdapter(HTTPAdapter):
    """Takes a throttle permit before the first attempt (retries take theirs in ``_ApiRetry.sleep``)."""

    def __init__(self, throttle: Throttle, **kwargs: Any) -> None:
        self._throttle = throttle
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._throttle.acquire()
        return super().send(request, *args, **kwargs)


def _api_message(response: requests.Response) -> str:
    """The API's error message (NestJS style ``{"message": str | [str]}``), else the body text."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        message = payload.get("message") or payload.get("error")
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        if message:
            return str(message)
    text = response.text.strip()
    return text[:500] if text else (response.reason or "no message")


def _cursor_from_next_link(next_link: str | None) -> str | None:
    if not next_link:
        return None
    cursor = parse_qs(urlsplit(next_link).query).get("cursor")
    if not cursor:
        raise UptimeRobotError("list monitors", None, f"nextLink without a cursor: {next_link}")
    return cursor[0]


class UptimeRobotClient:
    """A thread-safe client for the monitor endpoints of UptimeRobot API v3."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        settings: ClientSettings | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("an UptimeRobot API key is required")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.settings = settings or ClientSettings()
        self.throttle = shared_throttle(self.settings.rate)
        retry = _ApiRetry(
            total=self.settings.max_retries,
            # PATCH is idempotent here (the body is the whole desired state); POST is not.
            allowed_methods=frozenset({"GET", "PATCH", "DELETE"}),
            status_forcelist=frozenset({500, 502, 503, 504}),
            backoff_factor=self.settings.backoff_factor_s,
            backoff_max=self.settings.backoff_max_s,
            raise_on_status=False,
            throttle=self.throttle,
            budget_s=self.settings.retry_budget_s,
        )
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "gangplank-uptimerobot/1",
            }
        )
        adapter = _ThrottledAdapter(self.throttle, max_retries=retry, pool_maxsize=8)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def __repr__(self) -> str:
        return f"UptimeRobotClient(base_url={self.base_url!r})"

    def __reduce__(self) -> Any:
        # A client holds the key; refusing to pickle it keeps the key out of any pickle.
        raise TypeError("UptimeRobotClient holds credentials and must not be pickled")

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    # -- monitors -------------------------------------------------------------------------

    def create_monitor(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /monitors``. Raises :class:`CreateOutcomeUnknown` when it may have happened."""
        return self._request("create monitor", "POST", "/monitors", json=dict(body))

    def get_monitor(self, monitor_id: int) -> dict[str, Any]:
        """``GET /monitors/{id}``. Raises :class:`NotFoundError` on 404."""
        return self._request(f"get monitor {monitor_id}", "GET", f"/monitors/{int(monitor_id)}")

    def update_monitor(self, monitor_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH /monitors/{id}``. Raises :class:`NotFoundError` on 404."""
        return self._request(
            f"update monitor {monitor_id}", "PATCH", f"/monitors/{int(monitor_id)}", json=dict(body)
        )

    def delete_monitor(self, monitor_id: int) -> None:
        """``DELETE /monitors/{id}``. Raises :class:`NotFoundError` on 404."""
        self._request(f"delete monitor {monitor_id}", "DELETE", f"/monitors/{int(monitor_id)}")

    def list_monitors(
        self,
        *,
        url: str | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """``GET /monitors``, following cursor pagination; yields every monitor.

        Filters are the API's: ``url`` and ``name`` match case-insensitively *in part*,
        ``tags`` matches monitors having *any* of the tags. Callers check exact matches.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        params: dict[str, Any] = {"limit": page_size}
        if url:
            params["url"] = url
        if name:
            params["name"] = name
        if tags:
            params["tags"] = ",".join(tags)
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            page = self._request("list monitors", "GET", "/monitors", params=params)
            yield from page.get("data") or []
            # Take only the cursor from nextLink: following the link itself would send
            # the key to whatever host the link names.
            cursor = _cursor_from_next_link(page.get("nextLink"))
            if cursor is None:
                return
            if cursor in seen:
                raise UptimeRobotError("list monitors", None, f"pagination cursor {cursor} repeated")
            seen.add(cursor)
            params["cursor"] = cursor
        raise UptimeRobotError("list monitors", None, f"more than {_MAX_PAGES} pages")

    # -- plumbing -------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
            )
        except requests.RequestException as exc:
            reason = self._redact(f"{type(exc).__name__}: {exc}")
            if method == "POST":
                raise CreateOutcomeUnknown(operation, None, reason) from None
            raise UptimeRobotError(operation, None, reason) from None
        status = response.status_code
        if status >= 400:
            message = self._redact(_api_message(response))
            if status == 404:
                raise NotFoundError(operation, status, message)
            if method == "POST" and status >= 500:
                raise CreateOutcomeUnknown(operation, status, message)
            if status == 429:
                wait = _server_requested_wait(status, response.headers)
                if wait is not None:
                    message += f" (the server asked to wait {math.ceil(wait)}s)"
            raise UptimeRobotError(operation, status, message)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UptimeRobotError(operation, status, "the response is not JSON") from None
