"""The inputs of an UptimeRobot monitor: their names, defaults, and the rules ``check`` applies.

Validation is local (previews run it without an API key): one pydantic type per input field,
and the rules across fields (KEYWORD-only fields, basic auth needing both halves). A failure
names the input field and never shows a secret input's value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pulumi.dynamic import CheckFailure, CheckResult
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

__all__ = [
    "DEFAULTS",
    "INPUT_FIELDS",
    "OUTPUT_ONLY_FIELDS",
    "SECRET_INPUTS",
    "check_inputs",
    "contains_unknown",
    "is_unknown",
    "plain_props",
]

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


def is_unknown(value: Any) -> bool:
    """True for a value not known yet (preview): the SDK's Unknown, or its wire sentinel."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def contains_unknown(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(contains_unknown(item) for item in value)
    return is_unknown(value)


def plain_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """The props without ``__provider``, secrets unwrapped."""
    return {k: rpc.unwrap_rpc_secret(v) for k, v in props.items() if k != PROVIDER_KEY}


# -- input schema: one pydantic type per input field ------------------------------------------
# Bounds are from the OpenAPI document (CreateHttpMonitorDto / MonitorDto). Only the rules
# pydantic has no constraint for are functions.


def _unless_unknown(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    """List items not known yet (preview) pass through untouched; the others are validated."""
    return value if is_unknown(value) else validate(value)


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
    known = [item for item in items if not is_unknown(item)]
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


def _keyword_failures(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """``keyword_type`` and ``keyword_value`` are required for type KEYWORD, and only for it."""
    monitor_type = inputs.get("type")
    if is_unknown(monitor_type):
        return []
    failures = []
    for name in ("keyword_type", "keyword_value"):
        if monitor_type == "KEYWORD" and name not in inputs:
            failures.append(CheckFailure(name, f"{name} is required when type is KEYWORD"))
        if monitor_type != "KEYWORD" and name in inputs:
            failures.append(CheckFailure(name, f"{name} is only for type KEYWORD, not {monitor_type}"))
    return failures


def _auth_failures(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """Basic auth needs both a user and a password."""
    if "http_username" in inputs and "http_password" not in inputs:
        return [CheckFailure("http_password", "http_password is required when http_username is set")]
    if "http_password" in inputs and "http_username" not in inputs:
        return [CheckFailure("http_username", "http_username is required when http_password is set")]
    return []


def check_inputs(news: Mapping[str, Any]) -> CheckResult:
    """Validate every input (one failure per bad field) and fill defaults. No network.

    A failure about ``http_password`` never shows the value. The password comes back
    marked secret.
    """
    plain = plain_props(news)
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
        if is_unknown(value):
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
    failures.extend(_keyword_failures(inputs))
    failures.extend(_auth_failures(inputs))
    inputs.setdefault("alert_contact_ids", [])
    inputs.setdefault("tags", [])
    for name in SECRET_INPUTS:
        if name in inputs and not is_unknown(inputs[name]):
            inputs[name] = rpc.wrap_rpc_secret(inputs[name])
    return CheckResult(inputs, failures)
