"""Pulumi dynamic provider for UptimeRobot monitors (API v3).

The contract is in DESIGN.md ("UptimeRobot"). In short:

- ``check`` and ``diff`` are local: previews, including PR previews without an API key,
  never call the API.
- ``create`` never makes a second monitor for one resource. Before every create it looks
  for an owned monitor with the same name, URL and type (tags ``gangplank`` and
  ``stack:<name>``), left by an earlier ``pulumi up`` that was interrupted after its POST
  reached UptimeRobot, adopts it and brings it to the inputs (PATCH when anything differs).
  One listing of the stack's tag serves every create of the process and is kept true to
  what the process creates. After a create whose outcome is unknown it looks again.
- ``read`` shares listing pages between monitors (refreshing N monitors costs about
  ``ceil(N/200)`` calls) and is robust to UptimeRobot's stale replicas: an answer that
  differs from what the state says was written is confirmed by fresh reads before it is
  believed (see :data:`READ_SETTLE_S`).
- HTTP basic auth (``http_username``, ``http_password``): the password is a secret input and
  a secret output (the provider marks it, and so does the engine), compared in ``diff``
  without being stored anywhere else; the ``httpPassword`` the API returns never reaches the
  outputs.
- Outputs are the inputs plus ``monitor_id`` and ``status``, always built by
  :func:`outputs_from_api`, so create, update and refresh give the same shape.

Pickling. The SDK pickles the provider with dill into every monitor's state (the
``__provider`` input) *by reference*: the blob names ``components.uptimerobot.provider`` and
``MonitorProvider``, and each refresh, update or delete of an existing monitor unpickles it
in a new provider process. Moving or renaming this class (or module) therefore breaks
``pulumi refresh`` and ``pulumi destroy`` of every monitor already deployed; if it ever moves,
this module must keep re-exporting it under the old name
(``tests/components/uptimerobot/test_serialization.py`` fails if the path changes). Its
pickled state holds only non-secret settings; the API key and the HTTP client are made in
``configure()`` in the provider process.

Credentials. The engine configures a dynamic provider with the *whole* stack config, so
``gangplank:uptimerobotApiKey`` is stored in the state, encrypted like every secret, as the
configuration of the default ``pulumi-python`` provider. It is never a monitor input or
output, and never in the ``__provider`` blob, a log line or an error message.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pulumi.dynamic
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from .client import (
    DEFAULT_BASE_URL,
    ClientSettings,
    CreateOutcomeUnknown,
    NotFoundError,
    UptimeRobotClient,
    UptimeRobotError,
)

__all__ = [
    "API_KEY_CONFIG",
    "API_URL_CONFIG",
    "DEFAULTS",
    "INPUT_FIELDS",
    "OWNERSHIP_TAG",
    "SECRET_INPUTS",
    "MonitorProvider",
    "outputs_from_api",
]

log = logging.getLogger(__name__)

API_KEY_CONFIG = "gangplank:uptimerobotApiKey"
API_URL_CONFIG = "gangplank:uptimerobotApiUrl"
API_KEY_ENV = "UPTIMEROBOT_API_KEY"
API_URL_ENV = "UPTIMEROBOT_API_URL"

OWNERSHIP_TAG = "gangplank"
STACK_TAG_PREFIX = "stack:"

INPUT_FIELDS = (
    "friendly_name",
    "url",
    "type",
    "interval",
    "timeout",
    "http_method",
    "keyword_type",
    "keyword_value",
    "alert_contact_ids",
    "tags",
    "http_username",
    "http_password",
    "custom_http_headers",
    "check_ssl_errors",
)
#: Inputs that are secrets: never shown in a check failure, marked secret in the outputs.
SECRET_INPUTS = ("http_password",)
OUTPUT_ONLY_FIELDS = ("monitor_id", "status")
DEFAULTS: dict[str, Any] = {"type": "HTTP", "interval": 300, "timeout": 30, "http_method": "GET"}

# Creates whose outcome is unknown are retried this many times in all, each after a
# look for the monitor it may have made.
CREATE_ATTEMPTS = 3
# A request that timed out may still be running on the server; give it this long to
# land before looking for the monitor it makes.
ADOPT_SETTLE_S = 2.0
# A refresh runs in one process within seconds; older listings are not trusted by reads.
# Creates keep using the first listing: it is kept true to what the process creates.
LISTING_TTL_S = 60.0
# UptimeRobot may answer a read from a replica that has not seen the latest write yet
# (its Terraform provider, CHANGELOG 1.4.0: "Stabilized monitor ... eventual-consistency
# waits by requiring consecutive matching reads"; and "Fixed ... refresh drift ... by making
# read mapping resilient to stale replica responses"). A read that disagrees with what the
# state says was written is read again after this pause, up to READ_CONFIRMATIONS times,
# until it shows what was written (the first answer was stale) or two answers in a row agree
# (a real change, made outside Pulumi).
READ_SETTLE_S = 1.0
READ_CONFIRMATIONS = 3


def _is_unknown(value: Any) -> bool:
    """True for a value not known yet (preview): the SDK's Unknown, or its wire sentinel."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_contains_unknown(item) for item in value)
    return _is_unknown(value)


# -- input schema: one pydantic type per input field ------------------------------------------
# Bounds are from the OpenAPI document (CreateHttpMonitorDto / MonitorDto). Only the rules
# pydantic has no constraint for are functions.


def _unless_unknown(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    """List items not known yet (preview) pass through untouched; the others are validated."""
    return value if _is_unknown(value) else validate(value)


def _from_pulumi_number(value: Any) -> Any:
    # Pulumi sends every number as a float (300.0); the strict int then refuses 300.5 and bools.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError("must be an http:// or https:// URL with a host")
    return url


def _no_surrounding_whitespace(keyword: str) -> str:
    if keyword != keyword.strip():
        # UptimeRobot trims it, which would show as a change on every preview.
        raise ValueError("must not start or end with whitespace")
    return keyword


def _no_commas(tag: str) -> str:
    if "," in tag:
        # The API filters by a comma-separated tag list, so a comma would split the tag.
        raise ValueError("must not contain commas")
    return tag


def _no_colon(username: str) -> str:
    if ":" in username:
        # RFC 7617 section 2: the user-id of HTTP basic auth cannot contain a colon.
        raise ValueError("must not contain ':' (HTTP basic auth splits user and password at the first colon)")
    return username


def _header_name(name: str) -> str:
    # RFC 9110 section 5.1: a field name is a token (no spaces, separators or control characters).
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        raise ValueError(f"{name!r} is not an HTTP header name")
    return name


def _header_value(value: str) -> str:
    # RFC 9110 section 5.5: no CR, LF or NUL in a field value (they would split or end the request's headers).
    if any(c in value for c in "\r\n\0"):
        raise ValueError("must not contain line breaks or NUL")
    return value


def _unique(items: list[Any]) -> list[Any]:
    known = [item for item in items if not _is_unknown(item)]
    duplicates = sorted({str(item) for item in known if known.count(item) > 1})
    if duplicates:
        raise ValueError(f"must not hold duplicates ({', '.join(duplicates)})")
    return items


NOT_BLANK = r"\S"  # matched anywhere: at least one character that is not whitespace
WholeNumber = Annotated[int, BeforeValidator(_from_pulumi_number), Field(strict=True)]
MonitorType = Literal["HTTP", "KEYWORD"]
HttpMethod = Literal["HEAD", "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"]
KeywordType = Literal["ALERT_EXISTS", "ALERT_NOT_EXISTS"]
AlertContactId = Annotated[WholeNumber, Field(ge=1)]
Tag = Annotated[str, Field(strict=True, pattern=NOT_BLANK, max_length=250), AfterValidator(_no_commas)]

INPUT_TYPES: dict[str, Any] = {
    "friendly_name": Annotated[str, Field(strict=True, pattern=NOT_BLANK, max_length=250)],
    "url": Annotated[str, Field(strict=True, pattern=NOT_BLANK, max_length=10_000), AfterValidator(_http_url)],
    "type": MonitorType,
    "interval": Annotated[WholeNumber, Field(ge=30, le=2_678_400)],  # seconds
    "timeout": Annotated[WholeNumber, Field(ge=0, le=60)],  # seconds
    "http_method": HttpMethod,
    "keyword_type": KeywordType,
    "keyword_value": Annotated[
        str, Field(strict=True, pattern=NOT_BLANK, max_length=500), AfterValidator(_no_surrounding_whitespace)
    ],
    "alert_contact_ids": Annotated[
        list[Annotated[AlertContactId, WrapValidator(_unless_unknown)]], AfterValidator(_unique)
    ],
    "tags": Annotated[list[Annotated[Tag, WrapValidator(_unless_unknown)]], AfterValidator(_unique)],
    # CreateHttpMonitorDto / UpdateMonitorDto: httpUsername and httpPassword, maxLength 255.
    "http_username": Annotated[
        str, Field(strict=True, pattern=NOT_BLANK, max_length=255), AfterValidator(_no_colon)
    ],
    "http_password": Annotated[str, Field(strict=True, min_length=1, max_length=255)],
    # CreateHttpMonitorDto / UpdateMonitorDto: customHttpHeaders, an object of strings; checkSSLErrors, a boolean.
    "custom_http_headers": dict[
        Annotated[str, Field(strict=True, min_length=1, max_length=256), AfterValidator(_header_name)],
        Annotated[str, Field(strict=True, max_length=4096), AfterValidator(_header_value)],
    ],
    "check_ssl_errors": Annotated[bool, Field(strict=True)],
}


@functools.cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """The validator of one input, built on first use (previews only need it in ``check``)."""
    return TypeAdapter(INPUT_TYPES[name])


def _shown(value: Any) -> str:
    """A given value as the user wrote it: Pulumi's 10.0 is shown as 10."""
    if isinstance(value, list | tuple):
        return f"[{', '.join(_shown(item) for item in value)}]"
    return repr(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


# Pydantic's error types as short reasons, filled from the error's context.
_PROBLEMS = {
    "value_error": "{error}",  # one of the functions above: its message says what is wrong
    "literal_error": "must be {expected}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "must not be blank",  # the only pattern is NOT_BLANK
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "list_type": "must be a list",
}


def _reason(name: str, exc: ValidationError) -> str:
    """Pydantic's errors for one input as one short reason: what is wrong and what was given."""
    reasons = []
    for error in exc.errors(include_url=False):
        template = _PROBLEMS.get(error["type"])
        problem = template.format(**error.get("ctx", {})) if template else error["msg"]
        where = name + "".join(f"[{part}]" for part in error["loc"])
        if name in SECRET_INPUTS:
            reasons.append(f"{where} {problem}")  # never what was given, nor its length
            continue
        given = error["input"]
        shown = str(len(given)) if error["type"] == "string_too_long" else _shown(given)
        reasons.append(f"{where} {problem}, got {shown}")
    return "; ".join(reasons)


def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """The props without ``__provider``, secrets unwrapped."""
    return {k: rpc.unwrap_rpc_secret(v) for k, v in props.items() if k != PROVIDER_KEY}


def _canonical(name: str, value: Any) -> Any:
    """A comparable form of one input: order-free lists, whole numbers, '' == None."""
    value = rpc.unwrap_rpc_secret(value)
    if name in ("alert_contact_ids", "tags"):
        items = value or []
        if name == "alert_contact_ids":
            items = [int(i) for i in items]
        return tuple(sorted(set(items)))
    if name in ("interval", "timeout") and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    if name == "custom_http_headers":
        # No headers and an empty object are the same; header names are case-insensitive (RFC 9110 section 5.1).
        return tuple(sorted((str(k).lower(), v) for k, v in dict(value or {}).items())) or None
    if value == "":
        return None
    return value


def _api_text(value: Any) -> str | None:
    # UptimeRobot has returned names and URLs HTML-escaped (its Terraform provider,
    # CHANGELOG 1.3.7: "Normalized monitor name and url when the API returns HTML-escaped
    # values"); compare and store them as they were written.
    return html.unescape(value) if isinstance(value, str) else value


def outputs_from_api(monitor: Mapping[str, Any], written: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Outputs from a monitor as the API returns it (create, update, get and list alike).

    Only the fields the resource manages are copied: the API also returns a
    monitor-specific ``apiKey`` and ``httpPassword``, which must never reach the state.
    ``written`` holds the inputs last written (create, update) or the state (read): the
    ``http_password`` output is the written one, marked secret, when the monitor still has
    it (an empty ``httpPassword`` from the API counts as not shown); otherwise it is None,
    so the next diff sees a change and the update sets it again.
    """
    timeout = monitor.get("timeout")
    auth_type = monitor.get("authType")
    username = monitor.get("httpUsername") or None
    if auth_type not in (None, "HTTP_BASIC"):
        username = None  # NONE, DIGEST or BEARER: not the basic auth this resource manages
    wanted = rpc.unwrap_rpc_secret((written or {}).get("http_password"))
    shown = monitor.get("httpPassword")
    password = None
    if username is not None and wanted and (not shown or shown == wanted):
        password = rpc.wrap_rpc_secret(wanted)
    return {
        "friendly_name": _api_text(monitor.get("friendlyName")),
        "url": _api_text(monitor.get("url")),
        "type": str(monitor.get("type") or "").upper() or None,
        "interval": int(monitor["interval"]),
        "timeout": int(timeout) if timeout is not None else None,
        "http_method": monitor.get("httpMethodType") or None,
        "keyword_type": monitor.get("keywordType") or None,
        "keyword_value": monitor.get("keywordValue") or None,
        "alert_contact_ids": sorted(
            {int(contact["alertContactId"]) for contact in monitor.get("assignedAlertContacts") or []}
        ),
        "tags": sorted({tag["name"] for tag in monitor.get("tags") or []}),
        "http_username": username,
        "http_password": password,
        "custom_http_headers": dict(monitor.get("customHttpHeaders") or {}) or None,
        # Managed only when the inputs set it: the API reports its own default for every monitor.
        "check_ssl_errors": (bool(monitor.get("checkSSLErrors"))
                             if (written or {}).get("check_ssl_errors") is not None else None),
        "monitor_id": int(monitor["id"]),
        "status": str(monitor.get("status")) if monitor.get("status") is not None else None,
    }


def _agrees(monitor: Mapping[str, Any], written: Mapping[str, Any]) -> bool:
    """Whether the API's monitor shows every managed input as ``written`` has it."""
    return _same_inputs(outputs_from_api(monitor, written), written)


def _same_inputs(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two sets of inputs agree on every managed input, each compared in its canonical form."""
    return all(_canonical(name, a.get(name)) == _canonical(name, b.get(name)) for name in INPUT_FIELDS)


def _desired(props: Mapping[str, Any]) -> dict[str, Any]:
    """Checked inputs as plain values with defaults (for create and update)."""
    plain = _plain(props)
    desired: dict[str, Any] = {name: plain.get(name) for name in INPUT_FIELDS}
    for name, default in DEFAULTS.items():
        if desired[name] is None:
            desired[name] = default
    desired["interval"] = int(desired["interval"])
    desired["timeout"] = int(desired["timeout"])
    desired["alert_contact_ids"] = [int(i) for i in desired["alert_contact_ids"] or []]
    desired["tags"] = list(desired["tags"] or [])
    return desired


def _api_body(desired: Mapping[str, Any], *, for_create: bool) -> dict[str, Any]:
    """The JSON body of POST /monitors (Create{Http,Keyword}MonitorDto) or PATCH (UpdateMonitorDto)."""
    body: dict[str, Any] = {
        "friendlyName": desired["friendly_name"],
        "url": desired["url"],
        "interval": desired["interval"],
        "timeout": desired["timeout"],
        "httpMethodType": desired["http_method"],
        "tagNames": list(desired["tags"]),
        # Threshold and recurrence are paid-plan features; 0 is what the free plan has.
        "assignedAlertContacts": [
            {"alertContactId": contact_id, "threshold": 0, "recurrence": 0}
            for contact_id in desired["alert_contact_ids"]
        ],
    }
    if for_create:
        # The type never changes in an update: a type change is a replacement.
        body["type"] = desired["type"]
    if desired["type"] == "KEYWORD":
        body["keywordType"] = desired["keyword_type"]
        body["keywordValue"] = desired["keyword_value"]
        if for_create:
            # Required when creating a keyword monitor; not an input of ours.
            body["keywordCaseType"] = "CaseInsensitive"
    headers = dict(desired.get("custom_http_headers") or {})
    if headers or not for_create:
        body["customHttpHeaders"] = headers  # {} in an update clears headers set outside Pulumi
    if desired.get("check_ssl_errors") is not None:
        body["checkSSLErrors"] = bool(desired["check_ssl_errors"])
    if desired.get("http_username"):
        body["authType"] = "HTTP_BASIC"
        body["httpUsername"] = desired["http_username"]
        body["httpPassword"] = desired["http_password"]
    else:
        # The body is the whole desired state: no auth clears any set outside Pulumi.
        body["authType"] = "NONE"
        if not for_create:
            body["httpUsername"] = ""
            body["httpPassword"] = ""
    return body


def _listing_tag(tags: Iterable[Any]) -> str | None:
    """The tag whose listing should hold this monitor: the stack's, else the ownership tag."""
    tags = [t for t in tags or [] if isinstance(t, str)]
    for tag in tags:
        if tag.startswith(STACK_TAG_PREFIX):
            return tag
    return OWNERSHIP_TAG if OWNERSHIP_TAG in tags else None


def _owner_tags(tags: Iterable[Any]) -> tuple[str, str] | None:
    """``(gangplank, stack:<name>)`` when the monitor carries both: only then is it adoptable."""
    tags = [t for t in tags or [] if isinstance(t, str)]
    stack = next((t for t in tags if t.startswith(STACK_TAG_PREFIX)), None)
    return (OWNERSHIP_TAG, stack) if stack is not None and OWNERSHIP_TAG in tags else None


def _is_orphan_of(monitor: Mapping[str, Any], desired: Mapping[str, Any], owners: tuple[str, str]) -> bool:
    """A monitor an earlier run made for these inputs: exact name and URL, same type, owned by the stack."""
    return (
        _api_text(monitor.get("url")) == desired["url"]
        and _api_text(monitor.get("friendlyName")) == desired["friendly_name"]
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


class _Listings:
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


class MonitorProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for ``uptimerobot.Monitor`` against UptimeRobot API v3.

    Existing monitors' state pickles this class by its module path,
    ``components.uptimerobot.provider.MonitorProvider``: keep it importable there (see the
    module docstring).
    """

    def __init__(self, settings: ClientSettings | None = None) -> None:
        """``settings`` tunes pacing and retries (tests shrink them); None reads the environment
        of the process that runs the provider."""
        super().__init__()
        self._settings = settings
        self._init_runtime_state()

    def _init_runtime_state(self) -> None:
        self._api_key: str | None = None
        self._base_url = DEFAULT_BASE_URL
        self._client: UptimeRobotClient | None = None
        self._client_lock = threading.Lock()
        self._listings = _Listings()

    # The SDK pickles the provider into the stack state. Only the settings go in: the key,
    # the client and the caches are made again in the provider process.
    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": self._settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._settings = state.get("_settings")
        self._init_runtime_state()

    def configure(self, req: ConfigureRequest) -> None:
        """Read the API key and URL: stack config first, then the environment.

        The engine passes the whole stack config, namespaced (``gangplank:...``, ``aws:...``),
        secrets already decrypted. A missing key is not an error here: check and diff
        (previews) do not need it.
        """
        config = req.config
        self._api_key = str(config.get(API_KEY_CONFIG) or os.environ.get(API_KEY_ENV) or "") or None
        self._base_url = str(config.get(API_URL_CONFIG) or os.environ.get(API_URL_ENV) or DEFAULT_BASE_URL)
        with self._client_lock:
            self._client = None

    @property
    def base_url(self) -> str:
        """The API base URL that ``configure()`` chose."""
        return self._base_url

    def _api(self) -> UptimeRobotClient:
        with self._client_lock:
            if self._client is None:
                if self._api_key is None:
                    # Also covers a provider used without configure() (plain Python use).
                    self._api_key = os.environ.get(API_KEY_ENV) or None
                    self._base_url = os.environ.get(API_URL_ENV) or self._base_url
                if not self._api_key:
                    raise UptimeRobotError(
                        "configure",
                        None,
                        "no API key: set it with `pulumi config set --secret uptimerobotApiKey <key>` "
                        f"or the {API_KEY_ENV} environment variable",
                    )
                self._client = UptimeRobotClient(self._api_key, self._base_url, self._settings)
            return self._client

    # -- local: check and diff ------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input (one failure per bad field) and fill defaults. No network.

        A failure about ``http_password`` never shows the value. The password comes back
        marked secret.
        """
        plain = _plain(news)
        failures: list[CheckFailure] = []
        inputs: dict[str, Any] = {}
        for name in sorted(set(plain) - set(INPUT_FIELDS)):
            if name in OUTPUT_ONLY_FIELDS and plain[name] is None:
                continue
            reason = "is an output, not an input" if name in OUTPUT_ONLY_FIELDS else "is not a monitor input"
            failures.append(CheckFailure(name, f"{name} {reason}"))
        for name in INPUT_FIELDS:
            value = plain.get(name)
            if value is None:
                value = DEFAULTS.get(name)
            if value is None:
                continue
            if _is_unknown(value):
                inputs[name] = value
                continue
            try:
                inputs[name] = _adapter(name).validate_python(value)
            except ValidationError as exc:
                failures.append(CheckFailure(name, _reason(name, exc)))
                inputs[name] = value
        for name in ("friendly_name", "url"):
            if name not in inputs:
                failures.append(CheckFailure(name, f"{name} is required"))
        failures.extend(self._check_keyword_fields(inputs))
        failures.extend(self._check_auth_fields(inputs))
        inputs.setdefault("alert_contact_ids", [])
        inputs.setdefault("tags", [])
        for name in SECRET_INPUTS:
            if name in inputs and not _is_unknown(inputs[name]):
                inputs[name] = rpc.wrap_rpc_secret(inputs[name])
        return CheckResult(inputs, failures)

    @staticmethod
    def _check_keyword_fields(inputs: Mapping[str, Any]) -> list[CheckFailure]:
        monitor_type = inputs.get("type")
        if _is_unknown(monitor_type):
            return []
        failures = []
        for name in ("keyword_type", "keyword_value"):
            if monitor_type == "KEYWORD" and name not in inputs:
                failures.append(CheckFailure(name, f"{name} is required when type is KEYWORD"))
            if monitor_type != "KEYWORD" and name in inputs:
                failures.append(CheckFailure(name, f"{name} is only for type KEYWORD, not {monitor_type}"))
        return failures

    @staticmethod
    def _check_auth_fields(inputs: Mapping[str, Any]) -> list[CheckFailure]:
        """Basic auth needs both a user and a password."""
        if "http_username" in inputs and "http_password" not in inputs:
            return [CheckFailure("http_password", "http_password is required when http_username is set")]
        if "http_password" in inputs and "http_username" not in inputs:
            return [CheckFailure("http_username", "http_username is required when http_password is set")]
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare managed inputs only (not ``__provider``, ``status``, list order). No network.

        ``olds`` are the state's outputs: the password there is the one last written (the
        engine decrypts it for the provider), so a changed password is an update.
        """
        old, new = _plain(olds), _plain(news)
        changed = [
            name
            for name in INPUT_FIELDS
            if _contains_unknown(new.get(name)) or _canonical(name, old.get(name)) != _canonical(name, new.get(name))
        ]
        replaces = ["type"] if "type" in changed else []
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    # -- remote: create, read, update, delete ---------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the stack's orphan with these name, URL and type if there is one; else create."""
        desired = _desired(props)
        monitor = self._adopt_orphan(desired)
        if monitor is None:
            monitor = self._create_or_find(desired)
        outs = outputs_from_api(monitor, desired)
        return CreateResult(str(outs["monitor_id"]), outs)

    def _adopt_orphan(self, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """A monitor an interrupted earlier run made for these inputs, brought to them; None if none."""
        owners = _owner_tags(desired["tags"])
        if owners is None:
            return None  # not marked as ours: nothing could tell an orphan from someone else's monitor
        client = self._api()
        orphan = self._listings.claim_orphan(client, desired, owners)
        if orphan is None:
            return None
        log.warning(
            "adopting monitor %s (%r), left by an earlier run that did not record it, instead of creating another",
            orphan["id"],
            desired["friendly_name"],
        )
        if _agrees(orphan, desired):
            return orphan
        try:
            monitor = client.update_monitor(int(orphan["id"]), _api_body(desired, for_create=False))
        except NotFoundError:
            self._listings.forget(int(orphan["id"]))
            return None  # deleted since it was listed: create one
        self._listings.remember(monitor)
        return monitor

    def _create_or_find(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        client = self._api()
        body = _api_body(desired, for_create=True)
        last_error: CreateOutcomeUnknown | None = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                monitor = client.create_monitor(body)
            except CreateOutcomeUnknown as exc:
                last_error = exc
                log.warning(
                    "create of monitor %r may or may not have happened (attempt %d of %d): %s; "
                    "looking for it before trying again",
                    desired["friendly_name"],
                    attempt,
                    CREATE_ATTEMPTS,
                    exc,
                )
            else:
                self._listings.remember(monitor, created=True)
                return monitor
            if ADOPT_SETTLE_S:
                time.sleep(ADOPT_SETTLE_S)
            adopted = self._find_created(desired)
            if adopted is not None:
                log.warning("adopted monitor %s (%r) created by the lost request", adopted["id"], desired["url"])
                self._listings.remember(adopted)
                return adopted
        raise UptimeRobotError(
            "create monitor",
            last_error.status if last_error else None,
            f"gave up creating {desired['friendly_name']!r} after {CREATE_ATTEMPTS} attempts "
            f"with unknown outcome, and found no such monitor; last error: {last_error}",
        )

    def _find_created(self, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """The monitor our lost create made: same URL, name, type and all of our tags, unclaimed."""
        ownership = [t for t in desired["tags"] if t == OWNERSHIP_TAG or t.startswith(STACK_TAG_PREFIX)]
        wanted_tags = set(desired["tags"])
        matches = [
            monitor
            for monitor in self._api().list_monitors(url=desired["url"], tags=ownership or None)
            if _api_text(monitor.get("url")) == desired["url"]
            and _api_text(monitor.get("friendlyName")) == desired["friendly_name"]
            and str(monitor.get("type") or "").upper() == desired["type"]
            and wanted_tags <= {tag["name"] for tag in monitor.get("tags") or []}
        ]
        return self._listings.claim(matches, desired)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The monitor as UptimeRobot has it; ``ReadResult("", {})`` if it is gone.

        ``props`` are the state's outputs on a refresh, or only ``__provider`` for an import
        (``pulumi import``, ``Monitor.get``). When the answer differs from what the state
        says was written, it is confirmed before it is believed (:data:`READ_SETTLE_S`).
        """
        monitor_id = self._monitor_id(id_)
        plain = _plain(props)
        written = plain if "friendly_name" in plain else None
        monitor = self._fetch(monitor_id, plain)
        if written is not None and (monitor is None or not _agrees(monitor, written)):
            monitor = self._settle(monitor_id, monitor, written)
        if monitor is None:
            return ReadResult(id_="", outs={})
        return ReadResult(id_=str(monitor_id), outs=outputs_from_api(monitor, written))

    def _fetch(self, monitor_id: int, plain: Mapping[str, Any]) -> dict[str, Any] | None:
        tag = _listing_tag(plain.get("tags") or [])
        if tag is not None:
            monitor = self._listings.find(self._api(), tag, monitor_id)
            if monitor is not None:
                return monitor
        # Not in this stack's listing: untagged, re-tagged by hand, or deleted.
        return self._get(monitor_id)

    def _get(self, monitor_id: int) -> dict[str, Any] | None:
        try:
            return self._api().get_monitor(monitor_id)
        except NotFoundError:
            return None

    def _settle(
        self, monitor_id: int, first: dict[str, Any] | None, written: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Read again until the monitor shows what was written, or two answers in a row agree."""
        previous = first
        for _ in range(READ_CONFIRMATIONS):
            if READ_SETTLE_S:
                time.sleep(READ_SETTLE_S)
            again = self._get(monitor_id)
            if again is not None and _agrees(again, written):
                log.info("monitor %s: an earlier read was stale; a fresh one shows what was written", monitor_id)
                return again
            if _same_answer(again, previous, written):
                return again  # a real change (or deletion), seen twice
            previous = again
        return previous

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        monitor_id = self._monitor_id(id_)
        desired = _desired(news)
        body = _api_body(desired, for_create=False)
        try:
            monitor = self._api().update_monitor(monitor_id, body)
        except NotFoundError as exc:
            raise UptimeRobotError(
                exc.operation,
                exc.status,
                f"{exc.api_message}; it was deleted outside Pulumi: run `pulumi refresh` to recreate it",
            ) from None
        self._listings.remember(monitor)
        return UpdateResult(outputs_from_api(monitor, desired))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Delete the monitor; one already gone is fine.

        A monitor that a create of this same run adopted is left alone: the resource being
        deleted is the one it belonged to before (a renamed resource without an alias is
        created, adopting the monitor, before the old one is deleted), and it now belongs to
        the new resource.
        """
        monitor_id = self._monitor_id(id_)
        if self._listings.adopted(monitor_id):
            log.warning("monitor %s was adopted by another resource in this run; not deleting it", monitor_id)
            return
        try:
            self._api().delete_monitor(monitor_id)
        except NotFoundError:
            log.info("monitor %s was already gone", monitor_id)
        self._listings.forget(monitor_id)

    @staticmethod
    def _monitor_id(id_: str) -> int:
        try:
            return int(id_)
        except (TypeError, ValueError):
            raise UptimeRobotError("use monitor id", None, f"monitor ids are numbers, got {id_!r}") from None


def _same_answer(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, written: Mapping[str, Any]) -> bool:
    """Two reads show the same managed state (both gone counts)."""
    if a is None or b is None:
        return a is None and b is None
    return _same_inputs(outputs_from_api(a, written), outputs_from_api(b, written))
