"""A model of ingress-nginx (controller-v1.15.1) answering a request for the Ingresses a plan declares: which
location, whether the access phase lets it through, which backend and pod serve it, and what the client and the app
are told. What `tests.fakes.site.IngressSite` leaves out for the monitors: canaries, stickiness, external auth.

Each rule cites what it mirrors (kubernetes/ingress-nginx at controller-v1.15.1):

- locations: the Ingresses without `canary: "true"`; an exact path first (`pathType: Exact`, `location = /p`),
  else the longest prefix, element by element (nginx "location");
- upstreams: a location's upstream is `<namespace>-<service>-<port number, else port name>` (internal/ingress/
  controller/controller.go `upstreamName`). A canary Ingress's path joins the upstream of the location with the
  same host, path and path type as its alternative backend, and so every location of that upstream
  (controller.go `mergeAlternativeBackends`, `mergeAlternativeBackend`);
- the access phase, in nginx's order (src/http/ngx_http.c `ngx_http_init_phase_handlers` runs a phase's handlers
  in the reverse order of the modules' registration, auto/modules registers auth_request, auth_basic, access):
  the allow-list (`allowlist-source-range`, 403), then the external auth request (`auth-url`): nginx's
  `auth_request` lets 2xx through, answers 401 and 403 itself and anything else with 500; with `auth-signin` a 401
  becomes a 302 to the sign-in URL with `rd=https://<host><uri>` (template.go `buildAuthSignURL`); the headers of
  `auth-response-headers` are copied from the auth answer to the request to the app;
- the backend: balancer.lua `route_to_alternative_balancer` (affinity, header, cookie, weight, in that order);
- stickiness: balancer/sticky.lua. The cookie's value is `<upstream key>|<backend key>`, the backend key
  `md5(md5(name) .. name)` of the balancer's backend; `is_affinitized` compares the backend key; `balance` sends
  to the pod the upstream key hashes to (resty.chash `find`), or picks a new key and sets the cookie. Without
  `affinity` a balancer is round robin and never affinitized.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

OK, FOUND, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, ERROR = 200, 302, 401, 403, 404, 500
PREFIX = "nginx.ingress.kubernetes.io/"
AuthService = Callable[[str, Mapping[str, str]], tuple[int, Mapping[str, str]]]
"""An external auth service: (the auth URL, the client's request headers) -> (status, response headers)."""


@dataclass(frozen=True)
class Answer:
    """What the client gets, and where the request went."""

    status: int
    backend: str | None = None
    """`<namespace>/<service>` that served it."""
    pod: int | None = None
    """Which of the backend's pods."""
    to_app: Mapping[str, str] = field(default_factory=dict)
    """Headers the app received beside the client's (from the auth answer)."""
    cookies: Mapping[str, str] = field(default_factory=dict)
    """Cookies set on the client (`Set-Cookie` name -> value)."""
    cookie_attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    location: str | None = None
    """`Location` of a redirect."""


@dataclass
class _Balancer:
    backend: str
    """`<namespace>-<service>-<port>`."""
    service: str
    annotations: Mapping[str, str]
    pods: int
    alternative: _Balancer | None = None
    turn: int = 0

    @property
    def sticky(self) -> bool:
        return self.annotations.get(PREFIX + "affinity") == "cookie"

    @property
    def cookie_name(self) -> str:
        return self.annotations.get(PREFIX + "session-cookie-name", "INGRESSCOOKIE")

    @property
    def backend_key(self) -> str:
        inner = hashlib.md5(self.backend.encode(), usedforsecurity=False).hexdigest()
        return hashlib.md5((inner + self.backend).encode(), usedforsecurity=False).hexdigest()

    def affinitized(self, cookies: Mapping[str, str]) -> bool:
        if not self.sticky or self.cookie_name not in cookies:
            return False
        parts = cookies[self.cookie_name].split("|")
        return len(parts) > 1 and parts[1] == self.backend_key

    def find(self, key: str) -> int:
        """resty.chash: the same key always reaches the same pod."""
        return zlib.crc32(key.encode()) % self.pods


@dataclass(frozen=True)
class _Location:
    host: str
    path: str
    exact: bool
    ingress: Mapping[str, Any]
    upstream: str

    def matches(self, path: str) -> bool:
        if self.exact:
            return path == self.path
        prefix = self.path.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")


def _annotations(ingress: Mapping[str, Any]) -> Mapping[str, str]:
    return ingress["metadata"].get("annotations") or {}


def _upstream(ingress: Mapping[str, Any], backend: Mapping[str, Any]) -> tuple[str, str]:
    service = backend["service"]
    port = service["port"].get("number") or service["port"].get("name")
    return f"{ingress['metadata']['namespace']}-{service['name']}-{port}", service["name"]


def parse_cookies(header: str) -> dict[str, str]:
    cookies = {}
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            cookies.setdefault(name, value)
    return cookies


class IngressNginxTraffic:
    """Answers requests as ingress-nginx would, from revealed Ingress manifests of the ingress-nginx flavor."""

    def __init__(self, ingresses: Iterable[Mapping[str, Any]], auth_service: AuthService | None = None,
                 pods: int = 3, seed: int = 0) -> None:
        self.auth_service = auth_service
        self.random = random.Random(seed)
        self.balancers: dict[str, _Balancer] = {}
        self.locations: list[_Location] = []
        canaries = []
        for ingress in ingresses:
            if _annotations(ingress).get(PREFIX + "canary") == "true":
                canaries.append(ingress)
                continue
            for rule in ingress["spec"].get("rules") or []:
                for entry in rule["http"]["paths"]:
                    upstream, service = _upstream(ingress, entry["backend"])
                    self.balancers.setdefault(upstream, _Balancer(upstream, service, _annotations(ingress), pods))
                    self.locations.append(_Location(rule["host"], entry["path"], entry["pathType"] == "Exact",
                                                    ingress, upstream))
        for canary in canaries:
            for rule in canary["spec"].get("rules") or []:
                for entry in rule["http"]["paths"]:
                    upstream, service = _upstream(canary, entry["backend"])
                    alternative = _Balancer(upstream, service, _annotations(canary), pods)
                    for location in self.locations:
                        if (location.host, location.path, location.exact) == (
                                rule["host"], entry["path"], entry["pathType"] == "Exact") \
                                and location.upstream != upstream:
                            self.balancers[location.upstream].alternative = alternative

    def location(self, host: str, path: str) -> _Location | None:
        candidates = [loc for loc in self.locations if loc.host == host and loc.matches(path)]
        exact = [loc for loc in candidates if loc.exact]
        if exact:
            return exact[0]
        return max(candidates, key=lambda loc: len(loc.path.rstrip("/")), default=None)

    # -- balancer.lua ---------------------------------------------------------------------

    def _to_alternative(self, primary: _Balancer, headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
        """`route_to_alternative_balancer`, line by line."""
        if primary.affinitized(cookies):
            return False
        alternative = primary.alternative
        if alternative is None:
            return False
        if alternative.affinitized(cookies):
            return True
        policy = alternative.annotations
        header_name = policy.get(PREFIX + "canary-by-header")
        header = _header(headers, header_name) if header_name else None
        if header is not None:
            value = policy.get(PREFIX + "canary-by-header-value")
            pattern = policy.get(PREFIX + "canary-by-header-pattern")
            if value:
                if header == value:
                    return True
            elif pattern:
                if re.search(pattern, header):  # ngx.re.match: unanchored
                    return True
            elif header == "always":
                return True
            elif header == "never":
                return False
        cookie_name = policy.get(PREFIX + "canary-by-cookie")
        cookie = cookies.get(cookie_name) if cookie_name else None
        if cookie == "always":
            return True
        if cookie == "never":
            return False
        weight = int(policy.get(PREFIX + "canary-weight", "0"))
        return self.random.randint(1, 100) <= weight

    def _balance(self, balancer: _Balancer, cookies: Mapping[str, str]) -> tuple[int, dict[str, str],
                                                                                    dict[str, dict[str, str]]]:
        """sticky.lua `balance` (or round robin without affinity): the pod, and the cookie set if any."""
        if not balancer.sticky:
            balancer.turn += 1
            return balancer.turn % balancer.pods, {}, {}
        raw = cookies.get(balancer.cookie_name)
        if raw:
            return balancer.find(raw.split("|")[0]), {}, {}
        key = f"{self.random.random():.12f}.{self.random.randint(0, 999999)}"
        value = f"{key}|{balancer.backend_key}"
        attributes = {"HttpOnly": "", "Path": "/"}
        if balancer.annotations.get(PREFIX + "session-cookie-secure") == "true":
            attributes["Secure"] = ""
        if PREFIX + "session-cookie-max-age" in balancer.annotations:
            attributes["Max-Age"] = balancer.annotations[PREFIX + "session-cookie-max-age"]
        return balancer.find(key), {balancer.cookie_name: value}, {balancer.cookie_name: attributes}

    # -- a request --------------------------------------------------------------------------

    def __call__(self, source_ip: str, path: str, headers: Mapping[str, str]) -> Answer:
        host, uri = headers["Host"], path
        location = self.location(host, path.split("?", 1)[0])
        if location is None:
            return Answer(NOT_FOUND)
        annotations = _annotations(location.ingress)
        allowed = annotations.get(PREFIX + "allowlist-source-range")
        if allowed and not any(ipaddress.ip_address(source_ip) in ipaddress.ip_network(cidr)
                               for cidr in allowed.split(",")):
            return Answer(FORBIDDEN)
        to_app: dict[str, str] = {}
        auth_url = annotations.get(PREFIX + "auth-url")
        if auth_url is not None:
            assert self.auth_service is not None, "an app with auth-url needs an auth service in the model"
            status, answer = self.auth_service(auth_url, headers)
            if status == UNAUTHORIZED and PREFIX + "auth-signin" in annotations:
                signin = annotations[PREFIX + "auth-signin"]
                joiner = "&" if "?" in signin else "?"
                return Answer(FOUND, location=f"{signin}{joiner}rd=https://{host}{quote(uri, safe='/?=&')}")
            if status in (UNAUTHORIZED, FORBIDDEN):
                return Answer(status)
            if not 200 <= status < 300:
                return Answer(ERROR)
            wanted = [h.strip() for h in annotations.get(PREFIX + "auth-response-headers", "").split(",") if h.strip()]
            to_app = {name: value for name in wanted if (value := _header(answer, name)) is not None}
        cookies = parse_cookies(headers.get("Cookie", ""))
        balancer = self.balancers[location.upstream]
        if self._to_alternative(balancer, headers, cookies):
            assert balancer.alternative is not None
            balancer = balancer.alternative
        pod, set_cookies, attributes = self._balance(balancer, cookies)
        namespace = location.ingress["metadata"]["namespace"]
        return Answer(OK, backend=f"{namespace}/{balancer.service}", pod=pod, to_app=to_app, cookies=set_cookies,
                      cookie_attributes=attributes)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """nginx's `$http_<name>`: header names are case-insensitive."""
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)
