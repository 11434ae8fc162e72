"""Pulumi dynamic provider for UptimeRobot monitors (API v3).

The contract is in DESIGN.md ("UptimeRobot"). In short:

- ``check`` and ``diff`` are local: previews, including PR previews without an API key,
  never call the API.
- ``create`` survives a lost response: after a create whose outcome is unknown it looks
  for the monitor (same URL, name, type and tags) and adopts it instead of making a
  duplicate.
- ``read`` shares listing pages between monitors: refreshing N monitors costs about
  ``ceil(N/200)`` calls, not N.
- Outputs are the inputs plus ``monitor_id`` and ``status``, always built by
  :func:`outputs_from_api`, so create, update and refresh give the same shape.

The provider is pickled into the stack (``__provider``) and unpickled in a separate
provider process, so its pickled state holds only non-secret settings; the API key and
the HTTP client are made in ``configure()`` in that process.
"""

from __future__ import annotations

import functools
import logging
import os
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
)
OUTPUT_ONLY_FIELDS = ("monitor_id", "status")
DEFAULTS: dict[str, Any] = {"type": "HTTP", "interval": 300, "timeout": 30, "http_method": "GET"}

# Creates whose outcome is unknown are retried this many times in all, each after a
# look for the monitor it may have made.
CREATE_ATTEMPTS = 3
# A request that timed out may still be running on the server; give it this long to
# land before looking for the monitor it makes.
ADOPT_SETTLE_S = 2.0
# A refresh runs in one process within seconds; older listings are not trusted.
LISTING_TTL_S = 60.0


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
        given = error["input"]
        shown = str(len(given)) if error["type"] == "string_too_long" else _shown(given)
        where = name + "".join(f"[{part}]" for part in error["loc"])
        reasons.append(f"{where} {problem}, got {shown}")
    return "; ".join(reasons)


def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """The props without ``__provider``, secrets unwrapped."""
    return {k: rpc.unwrap_rpc_secret(v) for k, v in props.items() if k != PROVIDER_KEY}


def _canonical(name: str, value: Any) -> Any:
    """A comparable form of one input: order-free lists, whole numbers, '' == None."""
    if name in ("alert_contact_ids", "tags"):
        items = value or []
        if name == "alert_contact_ids":
            items = [int(i) for i in items]
        return tuple(sorted(set(items)))
    if name in ("interval", "timeout") and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    if value == "":
        return None
    return value


def outputs_from_api(monitor: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs from a monitor as the API returns it (create, update, get and list alike).

    Only the fields the resource manages are copied: the API also returns a
    monitor-specific ``apiKey`` and ``httpPassword``, which must never reach the state.
    """
    timeout = monitor.get("timeout")
    return {
        "friendly_name": monitor.get("friendlyName"),
        "url": monitor.get("url"),
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
        "monitor_id": int(monitor["id"]),
        "status": str(monitor.get("status")) if monitor.get("status") is not None else None,
    }


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
    return body


def _listing_tag(tags: Iterable[Any]) -> str | None:
    """The tag whose listing should hold this monitor: the stack's, else the ownership tag."""
    tags = [t for t in tags or [] if isinstance(t, str)]
    for tag in tags:
        if tag.startswith(STACK_TAG_PREFIX):
            return tag
    return OWNERSHIP_TAG if OWNERSHIP_TAG in tags else None


class _Listings:
    """Per-process cache of monitors listed by tag, so N reads cost ~N/200 calls, not N."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_tag: dict[str, tuple[float, dict[int, dict[str, Any]]]] = {}

    def find(self, client: UptimeRobotClient, tag: str, monitor_id: int) -> dict[str, Any] | None:
        # One lock for loading: concurrent reads wait for the listing instead of each
        # fetching it.
        with self._lock:
            cached = self._by_tag.get(tag)
            if cached is None or time.monotonic() - cached[0] > LISTING_TTL_S:
                monitors = {int(m["id"]): m for m in client.list_monitors(tags=[tag])}
                cached = self._by_tag[tag] = (time.monotonic(), monitors)
            return cached[1].get(monitor_id)

    def remember(self, monitor: Mapping[str, Any]) -> None:
        """Keep cached listings true to changes this process made."""
        names = {tag["name"] for tag in monitor.get("tags") or []}
        with self._lock:
            for tag, (_, monitors) in self._by_tag.items():
                if tag in names:
                    monitors[int(monitor["id"])] = dict(monitor)
                else:
                    monitors.pop(int(monitor["id"]), None)

    def forget(self, monitor_id: int) -> None:
        with self._lock:
            for _, monitors in self._by_tag.values():
                monitors.pop(monitor_id, None)


class MonitorProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for ``uptimerobot.Monitor`` against UptimeRobot API v3."""

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

        A missing key is not an error here: check and diff (previews) do not need it.
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
        """Validate every input (one failure per bad field) and fill defaults. No network."""
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
        inputs.setdefault("alert_contact_ids", [])
        inputs.setdefault("tags", [])
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

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare managed inputs only (not ``__provider``, ``status``, list order). No network."""
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
        desired = _desired(props)
        monitor = self._create_or_adopt(desired)
        self._listings.remember(monitor)
        outs = outputs_from_api(monitor)
        return CreateResult(str(outs["monitor_id"]), outs)

    def _create_or_adopt(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        client = self._api()
        body = _api_body(desired, for_create=True)
        last_error: CreateOutcomeUnknown | None = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return client.create_monitor(body)
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
            if ADOPT_SETTLE_S:
                time.sleep(ADOPT_SETTLE_S)
            adopted = self._find_created(desired)
            if adopted is not None:
                log.warning("adopted monitor %s (%r) created by the lost request", adopted["id"], desired["url"])
                return adopted
        raise UptimeRobotError(
            "create monitor",
            last_error.status if last_error else None,
            f"gave up creating {desired['friendly_name']!r} after {CREATE_ATTEMPTS} attempts "
            f"with unknown outcome, and found no such monitor; last error: {last_error}",
        )

    def _find_created(self, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """The monitor our lost create made: same URL, name, type and all of our tags."""
        ownership = [t for t in desired["tags"] if t == OWNERSHIP_TAG or t.startswith(STACK_TAG_PREFIX)]
        wanted_tags = set(desired["tags"])
        matches = [
            monitor
            for monitor in self._api().list_monitors(url=desired["url"], tags=ownership or None)
            if monitor.get("url") == desired["url"]
            and monitor.get("friendlyName") == desired["friendly_name"]
            and str(monitor.get("type") or "").upper() == desired["type"]
            and wanted_tags <= {tag["name"] for tag in monitor.get("tags") or []}
        ]
        if len(matches) > 1:
            ids = ", ".join(str(m["id"]) for m in matches)
            raise UptimeRobotError(
                "create monitor",
                None,
                f"several monitors match {desired['friendly_name']!r} ({ids}); "
                "delete the duplicates in UptimeRobot and run again",
            )
        return matches[0] if matches else None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        monitor_id = self._monitor_id(id_)
        plain = _plain(props)
        monitor = None
        tag = _listing_tag(plain.get("tags") or [])
        if tag is not None:
            monitor = self._listings.find(self._api(), tag, monitor_id)
        if monitor is None:
            # Not in this stack's listing: untagged, re-tagged by hand, or deleted.
            try:
                monitor = self._api().get_monitor(monitor_id)
            except NotFoundError:
                return ReadResult(id_="", outs={})
        return ReadResult(id_=str(monitor_id), outs=outputs_from_api(monitor))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        monitor_id = self._monitor_id(id_)
        body = _api_body(_desired(news), for_create=False)
        try:
            monitor = self._api().update_monitor(monitor_id, body)
        except NotFoundError as exc:
            raise UptimeRobotError(
                exc.operation,
                exc.status,
                f"{exc.api_message}; it was deleted outside Pulumi: run `pulumi refresh` to recreate it",
            ) from None
        self._listings.remember(monitor)
        return UpdateResult(outputs_from_api(monitor))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        monitor_id = self._monitor_id(id_)
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
