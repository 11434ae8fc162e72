"""A model of an NGINX ingress controller answering for the Ingresses a plan declares.

`IngressSite` is the `site` the fake UptimeRobot's `probe()` calls: for a request (client
address, path, headers) it picks the location nginx would pick and applies what gangplank's
annotations ask for there, in nginx's order (the access phase: the allow-list, then basic auth;
`satisfy all`, nginx's default). Only what decides whether a monitor can pass is modelled:

- location choice: an exact match first (`location = /p`), else the longest Prefix match, element
  by element (nginx docs, "location"; Kubernetes Ingress `pathType`). What makes a location exact
  differs: ingress-nginx honours `pathType: Exact`; the F5 templates build the location from the
  path and the `nginx.org/path-regex` annotation only (v5.5.4 `makeLocationPath`), so for F5 the
  model ignores `pathType` and a missing annotation leaves a prefix location;
- allow-lists: F5's `allow ...; deny all;` location snippets, ingress-nginx's
  `allowlist-source-range`;
- basic auth: the htpasswd Secret the Ingress names, checked with bcrypt (both flavors' crypt()).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import bcrypt

OK, UNAUTHORIZED, FORBIDDEN, NOT_FOUND = 200, 401, 403, 404


@dataclass(frozen=True)
class _Location:
    path: str
    exact: bool
    ingress: Mapping[str, Any]


def _annotations(ingress: Mapping[str, Any]) -> Mapping[str, str]:
    return ingress["metadata"].get("annotations") or {}


def _matches(location: _Location, path: str) -> bool:
    if location.exact:
        return path == location.path
    prefix = location.path.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def _allow_list(annotations: Mapping[str, str]) -> list[str] | None:
    snippets = annotations.get("nginx.org/location-snippets", "")
    allowed = re.findall(r"^allow (\S+);$", snippets, re.M)
    if allowed or "deny all;" in snippets:
        return allowed
    source_range = annotations.get("nginx.ingress.kubernetes.io/allowlist-source-range")
    return source_range.split(",") if source_range else None


def _secret_name(annotations: Mapping[str, str]) -> str | None:
    return annotations.get("nginx.org/basic-auth-secret") or annotations.get("nginx.ingress.kubernetes.io/auth-secret")


class IngressSite:
    """Answers requests as the controllers would, from revealed Ingress and Secret manifests."""

    def __init__(self, ingresses: Iterable[Mapping[str, Any]], secrets: Iterable[Mapping[str, Any]],
                 flavor: str) -> None:
        self._locations: dict[str, list[_Location]] = {}
        for ingress in ingresses:
            exact_all = _annotations(ingress).get("nginx.org/path-regex") == "exact"
            for rule in ingress["spec"].get("rules") or []:
                for entry in (rule.get("http") or {}).get("paths") or []:
                    exact = exact_all if flavor == "nginx-inc" else entry["pathType"] == "Exact"
                    location = _Location(entry["path"], exact, ingress)
                    self._locations.setdefault(rule["host"], []).append(location)
        self._htpasswd: dict[tuple[str, str], dict[str, bytes]] = {}
        for secret in secrets:
            for text in (secret.get("stringData") or {}).values():
                users = dict(line.split(":", 1) for line in text.splitlines() if line)
                key = (secret["metadata"]["namespace"], secret["metadata"]["name"])
                self._htpasswd[key] = {user: digest.encode() for user, digest in users.items()}

    def location(self, host: str, path: str) -> _Location | None:
        candidates = [loc for loc in self._locations.get(host, []) if _matches(loc, path)]
        exact = [loc for loc in candidates if loc.exact]
        if exact:
            return exact[0]
        return max(candidates, key=lambda loc: len(loc.path.rstrip("/")), default=None)

    def __call__(self, source_ip: str, path: str, headers: Mapping[str, str]) -> int:
        location = self.location(headers["Host"], path.split("?", 1)[0])
        if location is None:
            return NOT_FOUND
        annotations = _annotations(location.ingress)
        allowed = _allow_list(annotations)
        client = ipaddress.ip_address(source_ip)
        if allowed is not None and not any(client in ipaddress.ip_network(cidr) for cidr in allowed):
            return FORBIDDEN
        secret = _secret_name(annotations)
        if secret is not None:
            users = self._htpasswd[(location.ingress["metadata"]["namespace"], secret)]
            scheme, _, token = headers.get("Authorization", "").partition(" ")
            if scheme != "Basic":
                return UNAUTHORIZED
            user, _, password = base64.b64decode(token).decode().partition(":")
            if user not in users or not bcrypt.checkpw(password.encode(), users[user]):
                return UNAUTHORIZED
        return OK
