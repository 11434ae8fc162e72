"""apps.yaml fields that shape an app's traffic beyond plain routing: `canary`, `sticky` and `auth.external`.

Their models are here, apart from the catalogue's core (`catalog/models.py`), with the rules across their fields
(`shaping_problems`). What each value may hold is the intersection of what every flavor that expresses the
feature accepts, so that a value valid here is never refused by a controller later:

- ingress-nginx (controller-v1.15.1, internal/ingress/annotations/parser/validators.go): the canary's header
  name, header value and cookie name must match `BasicCharsRegex` (`^[/\\-\\._~a-zA-Z0-9/:]*$`), a header pattern
  `IsValidRegex` (those characters plus `^$[](){}*+?|&=\\`); the session cookie's name `BasicCharsRegex`; the
  auth URLs `URLIsValidRegex`;
- Gateway API v1.6.1 (HTTPRoute `HTTPHeaderName`): `^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$`, at most 256 characters;
  Envoy Gateway's header patterns and cookie matches are RE2 (Envoy's `safe_regex`), so a pattern may use only
  what PCRE (ingress-nginx's `ngx.re.match`) and RE2 read alike (`header_pattern_problem`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from components.inputs.problems import shown

if TYPE_CHECKING:
    from components.inputs.catalog.models import App

HEADER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
"""A request header's name: letters, digits and `-` (what ingress-nginx's `BasicCharsRegex` and Gateway API's
`HTTPHeaderName` both accept, without the characters that cannot be in a header name)."""
HEADER_VALUE_PATTERN = r"^[A-Za-z0-9._~:/-]{1,128}$"
"""A header value the canary header must equal (ingress-nginx `canary-by-header-value`: `BasicCharsRegex`)."""
COOKIE_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""A cookie's name: letters, digits, `_` and `-` (a cookie-name token of RFC 6265 that ingress-nginx's
`BasicCharsRegex` accepts, and that a regular expression needs no escape for)."""
HEADER_PATTERN_CHARS = re.compile(r"[-/._~a-zA-Z0-9:^$\[\](){}*+?|&=\\]*")
"""ingress-nginx's `IsValidRegex` character set (`canary-by-header-pattern`)."""
PATTERN_MAX = 256
RESERVED_HEADERS = ("host", "cookie", "authorization", "content-length", "transfer-encoding", "connection")
"""Headers a canary may not be selected by: the host and the cookie are chosen by other fields; the rest are
the connection's or the login's, which a client cannot set freely for a test."""
URL_MAX = 2048
STICKY_MAX_AGE_MAX = 31_536_000
"""A year: the longest an affinity cookie lives."""
RESPONSE_HEADERS_MAX = 20
_URL_CHARS = re.compile(r"[-A-Za-z0-9._~:/?&=,]+")
"""What ingress-nginx accepts in `auth-url` and `auth-signin` (`URLWithNginxVariableRegex`, less `$`: an nginx
variable, and the space): an annotation it refuses is ignored, and the app would be served without its auth."""


def header_pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot select a canary on every flavor (None when it can).

    ingress-nginx matches it with `ngx.re.match` (PCRE, unanchored: a match anywhere in the value, balancer.lua
    `route_to_alternative_balancer`), Envoy with RE2 against the whole value (gateway_api renders it as
    `.*(?:pattern).*`). The two agree on a plain regular expression; lookaround, backreferences and possessive
    or atomic groups are PCRE only, and RE2 refuses them.
    """
    if not HEADER_PATTERN_CHARS.fullmatch(pattern):
        odd = next(ch for ch in pattern if not HEADER_PATTERN_CHARS.fullmatch(ch))
        return (f"must not contain '{shown(odd)}': ingress-nginx accepts only letters, digits and "
                "-/._~:^$[](){}*+?|&=\\ in a header pattern")
    if "(?" in pattern.replace("(?:", ""):
        return "uses a '(?' group other than '(?:': lookaround and inline flags are not read alike by PCRE and RE2"
    if re.search(r"\\[0-9gk]", pattern) or "*+" in pattern or "++" in pattern or "?+" in pattern:
        return "uses a backreference or a possessive quantifier, which RE2 (Envoy) does not have"
    try:
        re.compile(pattern)
    except re.error as err:
        return f"is not a regular expression: {err}"
    return None


def _header_pattern(value: str) -> str:
    reason = header_pattern_problem(value)
    if reason is not None:
        raise ValueError(f"'{shown(value)}' {reason}")
    return value


def _header_name(value: str) -> str:
    if value.lower() in RESERVED_HEADERS:
        raise ValueError(f"'{value}' cannot select a canary"
                         + ("; use canary.cookie for a cookie" if value.lower() == "cookie" else ""))
    return value


def url_problem(value: str) -> str | None:
    """Why `value` is not an absolute http(s) URL that ingress-nginx (`auth-url`) and Envoy read alike."""
    parts = urlsplit(value)
    if parts.username or parts.password:
        return "must not carry a login (user:password@): it would be readable in the Ingress"
    if not _URL_CHARS.fullmatch(value):
        return ("may hold only letters, digits and -._~:/?&=, (what ingress-nginx accepts in auth-url: it ignores "
                "an annotation with other characters, which would leave the app without its auth)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL with a host"
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as err:
        return f"has a bad port: {err}"
    return None


def _url(value: str) -> str:
    reason = url_problem(value)
    if reason is not None:
        raise ValueError(f"'{shown(value)}' {reason}")
    return value


HeaderName = Annotated[str, Field(pattern=HEADER_NAME_PATTERN), AfterValidator(_header_name)]
HeaderValue = Annotated[str, Field(pattern=HEADER_VALUE_PATTERN)]
HeaderPattern = Annotated[str, Field(min_length=1, max_length=PATTERN_MAX), AfterValidator(_header_pattern)]
CookieName = Annotated[str, Field(pattern=COOKIE_NAME_PATTERN)]
URL_PATTERN = r"^https?://[-A-Za-z0-9._~:]+([/?][-A-Za-z0-9._~:/?&=,]*)?$"
Url = Annotated[str, AfterValidator(_url), Field(max_length=URL_MAX),
                WithJsonSchema({"type": "string", "pattern": URL_PATTERN, "maxLength": URL_MAX})]
"""An absolute http(s) URL without a login or a fragment."""


class _Strict(BaseModel):
    # As the catalogue's models (catalog.models._Strict): unknown keys are errors, nothing is coerced.
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True, use_attribute_docstrings=True,
                              strict=True)


class CanaryHeader(_Strict):
    """A request header that sends a request to the canary."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["value"]}, {"required": ["pattern"]}]})

    name: HeaderName
    """The header's name (letters, digits and `-`), e.g. `X-Canary`."""
    value: HeaderValue | None = None
    """The value that selects the canary, exactly (letters, digits and `._~:/-`). Exactly one of `value` and
    `pattern`."""
    pattern: HeaderPattern | None = None
    """A regular expression that selects the canary when it matches the value anywhere (`^(beta|qa)$` for the
    whole value). Exactly one of `value` and `pattern`."""


class CanaryCookie(_Strict):
    """A cookie that sends a request to the canary: its value `always` selects the canary, `never` the app."""

    name: CookieName
    """The cookie's name (letters, digits, `_` and `-`)."""


class StickyCookie(_Strict):
    """The cookie that pins a client to one backend pod."""

    name: CookieName
    """The cookie's name (letters, digits, `_` and `-`)."""
    max_age: Annotated[int, Field(ge=1, le=STICKY_MAX_AGE_MAX)] | None = None
    """Seconds the cookie lives (`Max-Age`); default a session cookie, gone when the browser closes."""


class Sticky(_Strict):
    """Session affinity: a client keeps reaching the pod that served it first."""

    cookie: StickyCookie
    """The affinity cookie the controller sets and reads."""


class ExternalAuth(_Strict):
    """An external authentication service asked about every request (as ingress-nginx's `auth-url`)."""

    url: Url
    """The service's check endpoint (e.g. oauth2-proxy's `https://auth.example.com/oauth2/auth`): a 2xx answer lets
    the request through, 401 or 403 refuses it."""
    signin: Url | None = None
    """Where a client refused with 401 is sent to sign in (e.g. `https://auth.example.com/oauth2/start`), with the
    page it asked for (`?rd=`); default none: the client gets the 401."""
    response_headers: Annotated[list[HeaderName], Field(max_length=RESPONSE_HEADERS_MAX,
                                                        json_schema_extra={"uniqueItems": True})] = []
    """Headers of the service's answer passed on to the app (e.g. `X-Auth-Request-User`)."""


CANARY_SUFFIX = "-canary"
"""A deployed canary's Deployment and Service are `<app>-canary`."""


def shaping_problems(app: App) -> list[tuple[list[str | int], str]]:
    """Rules across the fields of `auth`, `canary` and `sticky` (components/inputs/shaping.py)."""
    found: list[tuple[list[str | int], str]] = []
    salvage = app._salvage  # a field whose parts were set aside as invalid is not judged again
    if app.auth is not None and (app.auth.basic is None) == (app.auth.external is None) \
            and not salvage.touched("auth"):
        found.append((["auth"], "basic auth and external auth together are refused: a client would need both a "
                                "password and the auth service's session; give one of 'basic' and 'external'"
                      if app.auth.basic else "give one of 'basic' and 'external'"))
    headers = [header.lower() for header in (app.external_auth.response_headers if app.external_auth else [])]
    for position, header in enumerate(headers):
        if header in headers[:position]:
            found.append((["auth", "external", "responseHeaders", position], f"header '{header}' is listed twice"))
    canary = app.canary
    if canary is not None and not salvage.touched("canary"):
        if (canary.service is None) == (canary.deploy is None):
            which = "both" if canary.service else "neither"
            found.append((["canary", "service"], "give exactly one of 'service' (an existing Service) and 'deploy' "
                                                 f"(an image to run) for the canary; found {which}"))
        header = canary.header
        if header is not None and (header.value is None) == (header.pattern is None):
            found.append((["canary", "header"], "give exactly one of 'value' (the exact value that selects the "
                                                "canary) and 'pattern' (a regular expression)"))
        main, second = app.service or app.deploy, canary.service or canary.deploy
        if main is not None and second is not None and main.protocol != second.protocol:
            found.append((["canary", "service" if canary.service else "deploy", "protocol"],
                          f"the canary speaks {second.protocol} and the app {main.protocol}: both backends of one "
                          "route share its protocol (ingress-nginx takes it from the app's Ingress)"))
        if main is not None and second is not None and second.tls is not None and second.tls != main.tls:
            found.append((["canary", "service" if canary.service else "deploy", "tls"],
                          "the canary's backend is reached as the app's is: its TLS settings are the app's "
                          "(`tls` of the app's service or deploy); remove this one or make it the same"))
        if app.service is not None and canary.service is not None and canary.service.name == app.service.name \
                and canary.service.port == app.service.port:
            found.append((["canary", "service"], "is the app's own Service and port: a canary is another backend"))
        if canary.deploy is not None and len(app.name + CANARY_SUFFIX) > 63:
            found.append((["canary", "deploy"], f"the canary's Deployment would be named '{app.name}{CANARY_SUFFIX}', "
                                                "longer than 63 characters: shorten the app's name"))
        if canary.deploy is not None and not app.name[0].isalpha():
            found.append((["canary", "deploy"], f"'{app.name}' must start with a letter: a deployed canary gets a "
                                                f"Service '{app.name}{CANARY_SUFFIX}'"))
    return found
