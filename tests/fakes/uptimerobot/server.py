"""A stateful fake of UptimeRobot API v3 (the monitor endpoints), held to the official spec.

It serves ``http://127.0.0.1:<ephemeral port>/v3`` from a thread and:

- checks every request and every response it sends against
  ``shared/uptimerobot/openapi-v3.yaml`` with openapi-core, and also rejects request
  properties the DTOs do not declare (the spec leaves them open, so a typo such as
  ``tags`` for ``tagNames`` would otherwise pass). Problems are collected in
  :attr:`FakeUptimeRobot.violations`; tests assert there are none;
- rate-limits like the real service: ``rate_limit`` requests per fixed window of
  ``rate_window_s`` seconds (aligned on the epoch of its ``clock``), with ``X-RateLimit-Limit``,
  ``-Remaining`` and ``-Reset`` (epoch seconds, rounded up) on every response and 429 +
  ``Retry-After`` (whole seconds) for a request over the limit, which is not processed
  (https://uptimerobot.com/api/v3, "Rate limits"); 429s are counted per User-Agent. The clock
  (the ``Date`` header's too) is the system's, or a test's (tests/fakes/clock.py) that moves only
  when told, so that a window boundary falls where the test puts it;
- injects faults: an error status (5xx, 429 with any headers), a slow response, a create
  that succeeds but whose response is lost (the connection is closed), and a read served
  by a replica that has not seen the latest write yet (:meth:`FakeUptimeRobot.serve_stale`);
- stores HTTP basic auth (``authType``, ``httpUsername``, ``httpPassword``) and returns it
  in every MonitorDto, as the real API does;
- checks a monitor against a model of the site from UptimeRobot's probe addresses
  (:meth:`FakeUptimeRobot.probe`);
- counts calls per method and path template.

Where the spec is silent the fake follows the service's NestJS conventions: error
bodies are ``{"statusCode", "message", "error"}``; they are checked against
:data:`~tests.fakes.uptimerobot.spec.ERROR_BODY_SCHEMA`, since the monitor operations
document no error responses.

The fake is split by concern: this module serves, paces and checks; ``monitors.py`` is what
the API does with monitors; ``faults.py`` the faults tests inject; ``spec.py`` the OpenAPI
document.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from components.uptimerobot.pacing import SYSTEM_CLOCK, Clock
from components.uptimerobot.probes import probe_addresses

from .faults import Fault, FaultInjection
from .monitors import MonitorApi
from .spec import CREATE_DTOS, ERROR_BODY_SCHEMA, Spec, SpecRequest, describe

__all__ = ["PROBE_USER_AGENT", "FakeUptimeRobot", "Site"]

#: The User-Agent UptimeRobot's checkers send, as it appears in sites' access logs.
PROBE_USER_AGENT = "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)"

#: A model of a monitored site for :meth:`FakeUptimeRobot.probe`: ``(source_ip, path, headers) -> status``.
Site = Callable[[str, str, Mapping[str, str]], int]


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests uses it

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header (http.server's send_response) on the fake's clock, as its rate-limit headers are.
        clock = getattr(self.server, "fake_clock", None)
        return super().date_time_string(clock() if timestamp is None and clock is not None else timestamp)


class FakeUptimeRobot(FaultInjection, MonitorApi):
    """The fake server. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        spec: Spec,
        *,
        api_key: str = "test-api-key",
        rate_limit: int = 10,
        rate_window_s: float = 60.0,
        probe_seed: int = 0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """``rate_limit`` requests per ``rate_window_s`` seconds is the budget the fake advertises
        and enforces (the free plan: 10 per 60 s); ``probe_seed`` orders the probe addresses;
        ``clock`` (its ``time()``) is the server's clock; tests may replace it while it runs."""
        self.spec = spec
        self.clock = clock
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.rate_window_s = rate_window_s
        self.monitors: dict[int, dict[str, Any]] = {}
        self.violations: list[str] = []
        self.calls: Counter[tuple[str, str]] = Counter()
        self.throttled = 0  # 429s sent because the rate limit was exceeded
        self.throttled_by_agent: Counter[str] = Counter()
        self.stale_served = 0  # reads answered from the lagging replica
        self.probes: list[tuple[int, str, str, int]] = []  # (monitor id, source ip, path, status)
        self.faults_fired = 0
        self._probe_rng = random.Random(probe_seed)
        # A replica that has not seen the latest write: the monitor before it (None: not created yet).
        self._replica: dict[int, dict[str, Any] | None] = {}
        self._faults: deque[Fault] = deque()
        self._ids = itertools.count(800_000_001)
        self._tag_ids: dict[str, int] = {}
        self._window: tuple[int, int] = (-1, 0)  # (window number, requests counted in it)
        self._lock = threading.RLock()
        self._routes = Map(
            [
                Rule("/v3/monitors", endpoint="/monitors", methods=["GET", "POST"]),
                Rule("/v3/monitors/<monitor_id>", endpoint="/monitors/{id}", methods=["GET", "PATCH", "DELETE"]),
            ]
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give a client, like ``https://api.uptimerobot.com/v3``."""
        if self._server is None:
            raise RuntimeError("the fake is not running")
        return f"http://127.0.0.1:{self._server.server_port}/v3"

    def start(self) -> FakeUptimeRobot:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._server.fake_clock = lambda: self.clock.time()  # type: ignore[attr-defined]  # for the Date header
        # A short poll interval: stop() waits up to one interval for the serving loop.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-uptimerobot", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeUptimeRobot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for tests ---------------------------------------------------------------------------

    @property
    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Calls received, filtered by method and/or path template (``/monitors/{id}``)."""
        with self._lock:
            return sum(
                n for (m, p), n in self.calls.items() if method in (None, m) and path in (None, p)
            )

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.throttled = 0
            self.faults_fired = 0

    def monitors_tagged(self, tag: str) -> list[dict[str, Any]]:
        """Stored monitors carrying ``tag``."""
        with self._lock:
            return [dict(m) for m in self.monitors.values() if tag in m["tagNames"]]

    def add_monitor(self, **fields: Any) -> dict[str, Any]:
        """Create a monitor directly (as if made in the UI); fields use the API's names."""
        body = {"type": "HTTP", "interval": 300, "timeout": 30, "httpMethodType": "HEAD", **fields}
        with self._lock:
            return self._store(body)

    def probe(self, monitor_id: int, site: Site, *, source_ip: str | None = None) -> int:
        """Check one stored monitor as UptimeRobot's checkers do, against ``site``, a model of the app.

        - ``monitor_id``: the id of a monitor stored here (``KeyError`` if there is none).
        - ``site``: called once as ``site(source_ip, path, headers)`` and returns the HTTP status
          code (an ``int``) the app would answer:

          - ``source_ip``: the checker's address, one of UptimeRobot's published probe
            addresses as pinned in the repository (``components.uptimerobot.probes.probe_addresses()``),
            e.g. ``"3.12.251.153"`` or ``"2600:1f16:775:3a00:ac3:c5eb:7081:942e"``;
          - ``path``: the monitor URL's path and query, e.g. ``"/healthz"`` (``"/"`` when empty);
          - ``headers``: ``Host`` (the URL's host), ``User-Agent`` (:data:`PROBE_USER_AGENT`),
            and ``Authorization: Basic <base64(user:password)>`` when the monitor has HTTP basic
            auth (``authType`` ``HTTP_BASIC``), with the credentials the API stored.

        - ``source_ip`` (keyword): probe from this address instead (it must be in the pinned list).
          Without it, addresses are drawn from the pinned list with a generator seeded by the
          ``probe_seed`` given to the fake, so a test run is repeatable.

        Returns the status code. As on the real service with its default success codes
        (``successHttpResponseCodes`` ``["2xx", "3xx"]``), the monitor's ``status`` becomes ``UP``
        for 2xx and 3xx and ``DOWN`` otherwise. Only the status is judged: KEYWORD monitors'
        keywords are not looked for. Each probe is recorded in :attr:`probes`.
        """
        addresses = probe_addresses()
        if source_ip is None:
            source_ip = self._probe_rng.choice(addresses)
        elif source_ip not in addresses:
            raise ValueError(f"{source_ip} is not one of UptimeRobot's pinned probe addresses")
        with self._lock:
            monitor = dict(self.monitors[monitor_id])
        url = urlsplit(monitor["url"])
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        # The monitor's own headers (customHttpHeaders) are sent too, a Host among them replacing the URL's: what
        # UptimeRobot's API documents is that they are "sent in the request"; that a Host header is sent as given is
        # what this model assumes (docs/moving-an-edge.md says so, and what a wrong assumption would cost).
        headers = {"Host": url.netloc, "User-Agent": PROBE_USER_AGENT}
        for name, value in (monitor.get("customHttpHeaders") or {}).items():
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name.title() if name.lower() == "host" else name] = value
        if monitor.get("authType") == "HTTP_BASIC":
            pair = f"{monitor.get('httpUsername', '')}:{monitor.get('httpPassword', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        status = int(site(source_ip, path, headers))
        with self._lock:
            if monitor_id in self.monitors:
                self.monitors[monitor_id]["status"] = "UP" if 200 <= status < 400 else "DOWN"
            self.probes.append((monitor_id, source_ip, path, status))
        return status

    # -- WSGI ----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        spec_request = SpecRequest(request)
        adapter = self._routes.bind_to_environ(environ)
        try:
            template, args = adapter.match()
        except HTTPException:  # unknown path or method: the spec check reports it
            template, args = request.path, {}
        method = request.method
        with self._lock:
            self.calls[(method, template)] += 1
            limited, rate_headers = self._count_against_rate_limit()
            if limited:
                self.throttled_by_agent[request.headers.get("User-Agent", "")] += 1
        response, fault = self._respond(request, spec_request, method, template, args, limited)
        for name, value in rate_headers.items():
            response.headers.setdefault(name, value)  # an injected fault's headers win
        self._check_response(spec_request, response, method, template)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay_s)
        if fault is not None and fault.kind == "lose_response":
            # Werkzeug drops a connection quietly when the app raises ConnectionError.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("fault: the response is lost")
        return response(environ, start_response)

    def _count_against_rate_limit(self) -> tuple[bool, dict[str, str]]:
        """Fixed windows of ``rate_window_s`` aligned on the epoch, like the real service's minutes."""
        now = self.clock.time()
        window = math.floor(now / self.rate_window_s)
        number, used = self._window
        if number != window:
            number, used = window, 0
        limited = used >= self.rate_limit
        if not limited:
            used += 1
        self._window = (number, used)
        window_end = (window + 1) * self.rate_window_s
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_limit - used),
            "X-RateLimit-Reset": str(math.ceil(window_end)),
        }
        if limited:
            self.throttled += 1
            # Retry-After is whole seconds (RFC 9110), so a scaled-down window still costs 1s.
            headers["Retry-After"] = str(max(1, math.ceil(window_end - now)))
        return limited, headers

    def _respond(
        self,
        request: Request,
        spec_request: SpecRequest,
        method: str,
        template: str,
        args: dict[str, Any],
        limited: bool,
    ) -> tuple[Response, Fault | None]:
        if limited:
            return self._error(429, "ThrottlerException: Too Many Requests"), None
        problems = self._check_request(spec_request, request, method, template)
        if problems:
            return self._error(400, problems), None
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Invalid API key"), None
        fault = self._take_fault(method, template)
        if fault is not None and fault.kind == "status":
            response = self._error(fault.status, fault.message)
            response.headers.update(fault.headers)
            return response, None
        with self._lock:
            if fault is not None and fault.kind == "stale":
                return self._handle_stale(request, template, args), None
            return self._handle(request, method, template, args), fault

    def _check_request(self, spec_request: SpecRequest, request: Request, method: str, template: str) -> list[str]:
        problems = [describe(e) for e in self.spec.openapi.iter_request_errors(spec_request)]
        if not problems and method in ("POST", "PATCH"):
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                dto = "UpdateMonitorDto" if method == "PATCH" else CREATE_DTOS.get(str(body.get("type")).upper())
                if dto is not None:
                    unknown = sorted(set(body) - self.spec.properties_of(dto))
                    problems += [f"property {name} is not declared in {dto}" for name in unknown]
        if problems:
            with self._lock:
                self.violations += [f"request {method} {request.full_path}: {p}" for p in problems]
        return problems

    def _check_response(self, spec_request: SpecRequest, response: Response, method: str, template: str) -> None:
        problems: list[str] = []
        for error in self.spec.openapi.iter_response_errors(spec_request, WerkzeugOpenAPIResponse(response)):
            if isinstance(error, ResponseNotFound):
                # Undocumented status (the monitor operations document no errors).
                try:
                    jsonschema.validate(json.loads(response.get_data()), ERROR_BODY_SCHEMA)
                except (ValueError, jsonschema.ValidationError) as exc:
                    problems.append(f"error body: {str(exc)[:300]}")
            else:
                problems.append(describe(error))
        if problems:
            with self._lock:
                self.violations += [f"response {response.status_code} to {method} {template}: {p}" for p in problems]
