"""HTTP client for the UptimeRobot API v3 (monitors only).

Everything about talking to the API lives here; what a monitor *means* lives in
``provider.py``.

- Authentication: ``Authorization: Bearer <key>``. The key is never put in an exception,
  a log line, ``repr()`` or a pickle; nor is a monitor's ``httpPassword`` sent in a body.
- Retries: a urllib3 ``Retry`` mounted on a requests ``HTTPAdapter``. It retries 429
  (waiting as long as ``Retry-After`` or ``X-RateLimit-Reset`` says), 5xx, connection
  errors and timeouts, with a bounded number of attempts and a bounded total time.
  A ``POST`` that may have reached the server is never re-sent here: the caller gets
  :class:`CreateOutcomeUnknown` and decides (the provider looks for the monitor first).
- Pacing: every attempt made by this process with one API key, whichever client sends it,
  first takes its turn from one shared :class:`~.pacing.Pacer`, which follows the budget the
  API announces in ``X-RateLimit-*`` headers (see ``pacing.py``): a paid plan runs at its own
  rate, a free plan waits for its period to reset instead of collecting 429s.
  ``UPTIMEROBOT_RATE_PER_MINUTE``, if set, is an extra ceiling on top; there is none by default.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from .pacing import SYSTEM_CLOCK, Clock, Pacer, RateLimit

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "ClientSettings",
    "CreateOutcomeUnknown",
    "NotFoundError",
    "RateLimit",
    "UptimeRobotClient",
    "UptimeRobotError",
    "ceiling_from_env",
    "shared_pacer",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.uptimerobot.com/v3"
MAX_PAGE_SIZE = 200  # the API's maximum for GET /monitors?limit=
RATE_ENV_VAR = "UPTIMEROBOT_RATE_PER_MINUTE"
#: Body fields whose values are secret: redacted from every error message.
SECRET_BODY_FIELDS = ("httpPassword",)
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


def ceiling_from_env(environ: Mapping[str, str] | None = None) -> RateLimit | None:
    """``UPTIMEROBOT_RATE_PER_MINUTE`` (of `environ`, default the process's) as a fixed ceiling, or None when
    unset (the default).

    The API's own headers pace every call; the ceiling only keeps this process further below
    them, e.g. to leave room for other tools using the same key.
    """
    raw = (os.environ if environ is None else environ).get(RATE_ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{RATE_ENV_VAR} must be a whole number of requests, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{RATE_ENV_VAR} must be at least 1, got {value}")
    return RateLimit(value)


@dataclass(frozen=True)
class ClientSettings:
    """How the client paces and retries. Contains nothing secret (it is pickled with the provider).

    The defaults suit the real API; tests shrink the time scales.
    """

    #: An optional fixed ceiling on top of the API's announced budget (None: no ceiling).
    ceiling: RateLimit | None = field(default_factory=ceiling_from_env)
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


_PACERS: dict[tuple[str, str, RateLimit | None, Clock], Pacer] = {}
_PACERS_LOCK = threading.Lock()


def shared_pacer(base_url: str, api_key: str, ceiling: RateLimit | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> Pacer:
    """The process-wide pacer of one account: every client with the same key and URL (and clock) shares it.

    The budget is per account, so clients of one key must wait in one queue. The key is
    kept only as a hash.
    """
    key = (base_url.rstrip("/"), hashlib.sha256(api_key.encode()).hexdigest(), ceiling, clock)
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = Pacer(ceiling, clock=clock)
        return pacer


def _seconds_until(header_value: str, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date (``now``: epoch seconds)."""
    value = header_value.strip()
    if value.isdigit():
        return float(value)
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - now)


def _server_requested_wait(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """How long the server asked us to wait before the next call, if it said so (``now``: epoch seconds).

    ``Retry-After`` first; for a 429 without it, ``X-RateLimit-Reset`` (epoch seconds
    at which the current rate-limit window ends), as UptimeRobot documents.
    """
    retry_after = headers.get("Retry-After")
    if retry_after:
        wait = _seconds_until(retry_after, now)
        if wait is not None:
            return wait
    reset = headers.get("X-RateLimit-Reset")
    if status == 429 and reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


class _ApiRetry(Retry):
    """urllib3's Retry, plus: 429 on any method, X-RateLimit-Reset, a time budget, the pacer.

    Every attempt takes a turn from the pacer (the first in the adapter, retries in
    :meth:`sleep`) and reports its end (retried outcomes in :meth:`increment`, the final
    answer in the adapter), so the pacer sees the headers of every answer, 429s included.

    Retry objects are immutable and copied on every attempt through ``new()``, so the
    extra attributes are carried there.
    """

    def __init__(
        self,
        *args: Any,
        pacer: Pacer | None = None,
        budget_s: float = 180.0,
        deadline: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.budget_s = budget_s
        self.deadline = deadline
        self.clock = clock

    def new(self, **kw: Any) -> _ApiRetry:
        kw.setdefault("pacer", self.pacer)
        kw.setdefault("budget_s", self.budget_s)
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("clock", self.clock)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # A 429 means the request was refused before it was processed, so even a POST
        # is safe to send again.
        if status_code == 429:
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        return _server_requested_wait(response.status, response.headers, self.clock.time())

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> _ApiRetry:
        if self.pacer is not None:
            self.pacer.finish(response.headers if response is not None else None)
        new_retry = super().increment(method, url, response, error, _pool, _stacktrace)
        # The budget starts at the first failure: the first attempt is bounded by its timeout.
        deadline = new_retry.deadline if new_retry.deadline is not None else self.clock.monotonic() + self.budget_s
        new_retry = new_retry.new(deadline=deadline)
        wait = new_retry.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = new_retry.get_backoff_time()
        if self.clock.monotonic() + wait > deadline:
            reason = error or ResponseError(
                f"the server asked to wait {wait:.0f}s, beyond the retry budget of {self.budget_s:.0f}s"
            )
            # With raise_on_status=False urllib3 hands the last response back, so the caller
            # still sees the real status and the API's message.
            raise MaxRetryError(_pool, url or "", reason)
        return new_retry

    def sleep(self, response: Any = None) -> None:
        # urllib3's Retry.sleep (util/retry.py, 2.x) on this retry's clock: the server's wait if it named one
        # (`sleep_for_retry`), else the exponential backoff (`_sleep_backoff`).
        wait = self.get_retry_after(response) if self.respect_retry_after_header and response is not None else None
        if not wait:
            wait = self.get_backoff_time()
        if wait > 0:
            self.clock.sleep(wait)
        if self.pacer is not None:
            self.pacer.acquire()


class _PacedAdapter(HTTPAdapter):
    """Takes the pacer's turn for the first attempt and reports how the last one ended."""

    def __init__(self, pacer: Pacer, **kwargs: Any) -> None:
        self._pacer = pacer
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._pacer.acquire()
        response: requests.Response | None = None
        try:
            response = super().send(request, *args, **kwargs)
            return response
        finally:
            # A no-op when the retry hook already reported this attempt.
            self._pacer.finish(response.headers if response is not None else None)


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
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """``clock``: where the pacer and the retries read the time and wait (a test's clock in tests)."""
        if not api_key:
            raise ValueError("an UptimeRobot API key is required")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.settings = settings or ClientSettings()
        self._clock = clock
        self.pacer = shared_pacer(self.base_url, api_key, self.settings.ceiling, clock)
        retry = _ApiRetry(
            total=self.settings.max_retries,
            # PATCH is idempotent here (the body is the whole desired state); POST is not.
            allowed_methods=frozenset({"GET", "PATCH", "DELETE"}),
            status_forcelist=frozenset({500, 502, 503, 504}),
            backoff_factor=self.settings.backoff_factor_s,
            backoff_max=self.settings.backoff_max_s,
            raise_on_status=False,
            pacer=self.pacer,
            budget_s=self.settings.retry_budget_s,
            clock=clock,
        )
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "gangplank-uptimerobot/1",
            }
        )
        adapter = _PacedAdapter(self.pacer, max_retries=retry, pool_maxsize=8)
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

    def _redact(self, text: str, secrets: Sequence[str] = ()) -> str:
        for secret in (self._api_key, *secrets):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        secrets = [str(json[name]) for name in SECRET_BODY_FIELDS if isinstance(json, dict) and json.get(name)]
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
            )
        except requests.RequestException as exc:
            reason = self._redact(f"{type(exc).__name__}: {exc}", secrets)
            if method == "POST":
                raise CreateOutcomeUnknown(operation, None, reason) from None
            raise UptimeRobotError(operation, None, reason) from None
        status = response.status_code
        if status >= 400:
            message = self._redact(_api_message(response), secrets)
            if status == 404:
                raise NotFoundError(operation, status, message)
            if method == "POST" and status >= 500:
                raise CreateOutcomeUnknown(operation, status, message)
            if status == 429:
                wait = _server_requested_wait(status, response.headers, self._clock.time())
                if wait is not None:
                    message += f" (the server asked to wait {math.ceil(wait)}s)"
            raise UptimeRobotError(operation, status, message)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise UptimeRobotError(operation, status, "the response is not JSON") from None
