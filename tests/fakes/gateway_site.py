"""A model of an Envoy Gateway edge answering for the Gateway API objects a plan declares.

`GatewaySite` is the `site` the fake UptimeRobot's `probe()` calls (as `tests.fakes.site.IngressSite` is for
the Ingress flavors): for a request (client address, path, headers, and the NLB port it came in on) it picks
the route rule Gateway API says it reaches and applies the protections Envoy Gateway attaches there, in
Envoy's filter order. Only what decides whether a request is answered is modelled:

- the listener: port 80 is the Gateway's redirect listener (its platform route answers 308), port 443
  its apps listener (TLS ended at the NLB);
- the rule: among the rules of every route attached to the apps listener whose `hostnames` include the
  host, Gateway API's precedence (kubernetes-sigs/gateway-api apis/v1/httproute_types.go, `Matches`): an
  Exact path match, then the PathPrefix match with the most characters, then (ties) the oldest route,
  then the first by `{namespace}/{name}`, then the first rule of the route. Prefixes match element by
  element (`/api` matches `/api` and `/api/x`, not `/apix`). No rule: 404;
- the protections: the SecurityPolicy and BackendTrafficPolicy that target the rule's route, in Envoy
  Gateway's filter order (internal/xds/translator/httpfilters.go `newOrderedHTTPFilter`: basic_auth 8,
  rbac 301, local_ratelimit 302): basic auth against the Secret's `{SHA}` htpasswd lines (401), the
  allow-list of client CIDRs (403), then the per-client local rate limit (429);
- the rate limit: each rule a token bucket per client address (`sourceCIDR` `Distinct`) of `requests`
  tokens, refilled to `requests` every `unit` since its first request (Envoy source/extensions/filters/
  common/local_ratelimit/local_ratelimit_impl.cc `TimerTokenBucket`, dynamic descriptors made on first
  use); a request must find a token in every rule it matches (`requestAllowed`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OK, REDIRECT, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, TOO_MANY = 200, 308, 401, 403, 404, 429
UNIT_SECONDS = {"Second": 1, "Minute": 60, "Hour": 3600, "Day": 86400}


@dataclass(frozen=True)
class Rule:
    route: Mapping[str, Any]
    index: int
    match_type: str
    value: str

    def matches(self, path: str) -> bool:
        if self.match_type == "Exact":
            return path == self.value
        prefix = self.value.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")

    @property
    def key(self) -> str:
        metadata = self.route["metadata"]
        return f"{metadata['namespace']}/{metadata['name']}"


@dataclass
class _Bucket:
    tokens: int
    started: float
    fills: int = 0


@dataclass
class GatewaySite:
    """Answers requests as the edge's Envoy proxies would, from revealed manifests (routes, policies, Secrets)."""

    routes: list[Mapping[str, Any]]
    policies: list[Mapping[str, Any]]
    secrets: list[Mapping[str, Any]]
    clock: float = 0.0
    """Seconds since the start: what the rate limit's buckets refill by (tests move it)."""
    _buckets: dict[tuple[str, int, str], _Bucket] = field(default_factory=dict)

    @classmethod
    def from_manifests(cls, manifests: Iterable[Mapping[str, Any]]) -> GatewaySite:
        manifests = list(manifests)
        return cls(routes=[m for m in manifests if m.get("kind") == "HTTPRoute"],
                   policies=[m for m in manifests if m.get("kind") in ("SecurityPolicy", "BackendTrafficPolicy")],
                   secrets=[m for m in manifests if m.get("kind") == "Secret" or "stringData" in m])

    # -- routing ----------------------------------------------------------------------------

    def _attached(self, listener: str) -> list[Mapping[str, Any]]:
        return [route for route in self.routes
                if any(ref.get("sectionName") == listener for ref in route["spec"].get("parentRefs") or [])]

    def rule(self, host: str, path: str) -> Rule | None:
        """The rule a request for `host` and `path` reaches on the apps listener (module docstring)."""
        candidates = []
        for route in self._attached("apps"):
            if host not in (route["spec"].get("hostnames") or []):
                continue
            for index, rule in enumerate(route["spec"].get("rules") or []):
                for match in rule.get("matches") or [{"path": {"type": "PathPrefix", "value": "/"}}]:
                    path_match = match.get("path") or {"type": "PathPrefix", "value": "/"}
                    candidate = Rule(route, index, path_match.get("type", "PathPrefix"), path_match["value"])
                    if candidate.matches(path):
                        candidates.append(candidate)
        if not candidates:
            return None
        # Every route here is as old as the others (one plan): the name breaks the tie, then the rule order.
        return min(candidates, key=lambda c: (c.match_type != "Exact", -len(c.value.rstrip("/")), c.key, c.index))

    # -- protections ------------------------------------------------------------------------

    def _policies(self, kind: str, route: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        metadata = route["metadata"]
        return [policy for policy in self.policies if policy["kind"] == kind
                and policy["metadata"]["namespace"] == metadata["namespace"]
                and any(ref.get("kind") == "HTTPRoute" and ref.get("name") == metadata["name"]
                        for ref in policy["spec"].get("targetRefs") or [])]

    def _htpasswd(self, namespace: str, name: str) -> dict[str, str]:
        for secret in self.secrets:
            if secret["metadata"]["namespace"] == namespace and secret["metadata"]["name"] == name:
                text = next(iter((secret.get("stringData") or {}).values()))
                return dict(line.split(":", 1) for line in text.splitlines() if line)
        raise KeyError(f"no Secret {namespace}/{name}")

    def _authenticated(self, policy: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
        users = self._htpasswd(policy["metadata"]["namespace"], policy["spec"]["basicAuth"]["users"]["name"])
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        user, _, password = base64.b64decode(token).decode().partition(":")
        expected = users.get(user, "")
        digest = "{SHA}" + base64.b64encode(hashlib.sha1(password.encode(), usedforsecurity=False).digest()).decode()
        return expected.startswith("{SHA}") and hmac.compare_digest(expected, digest)

    def _rate_limited(self, policy: Mapping[str, Any], client: str) -> bool:
        rules = ((policy["spec"].get("rateLimit") or {}).get("local") or {}).get("rules") or []
        address = ipaddress.ip_address(client)
        matched = []
        for index, rule in enumerate(rules):
            selectors = rule.get("clientSelectors") or []
            if all(address in ipaddress.ip_network(s["sourceCIDR"]["value"]) for s in selectors if "sourceCIDR" in s):
                matched.append((index, rule["limit"]))
        name = f"{policy['metadata']['namespace']}/{policy['metadata']['name']}"
        for index, limit in matched:
            interval = UNIT_SECONDS[limit["unit"]]
            bucket = self._buckets.setdefault((name, index, client), _Bucket(limit["requests"], self.clock))
            fills = int((self.clock - bucket.started) // interval)
            if fills > bucket.fills:
                bucket.tokens, bucket.fills = limit["requests"], fills
            if bucket.tokens == 0:
                return True
            bucket.tokens -= 1
        return False

    def __call__(self, source_ip: str, path: str, headers: Mapping[str, str], port: int = 443) -> int:
        if port == 80:
            redirects = [rule for route in self._attached("redirect") for rule in route["spec"].get("rules") or []
                         if any(f.get("type") == "RequestRedirect" for f in rule.get("filters") or [])]
            return REDIRECT if redirects else NOT_FOUND
        rule = self.rule(headers["Host"], path.split("?", 1)[0])
        if rule is None:
            return NOT_FOUND
        client = ipaddress.ip_address(source_ip)
        for policy in self._policies("SecurityPolicy", rule.route):
            spec = policy["spec"]
            if "basicAuth" in spec and not self._authenticated(policy, headers):
                return UNAUTHORIZED
            authorization = spec.get("authorization")
            if authorization is not None:
                allowed = any(client in ipaddress.ip_network(cidr) for r in authorization.get("rules") or []
                              if r.get("action") == "Allow" for cidr in r["principal"].get("clientCIDRs") or [])
                if not allowed and authorization.get("defaultAction", "Deny") == "Deny":
                    return FORBIDDEN
        for policy in self._policies("BackendTrafficPolicy", rule.route):
            if self._rate_limited(policy, source_ip):
                return TOO_MANY
        return OK
