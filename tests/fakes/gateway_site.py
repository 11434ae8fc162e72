"""A model of an Envoy Gateway edge answering for the Gateway API objects a plan declares.

`GatewaySite` is the `site` the fake UptimeRobot's `probe()` calls (as `tests.fakes.site.IngressSite` is for
the Ingress flavors): for a request (client address, path, headers, and the NLB port it came in on) it picks
the route rule Gateway API says it reaches and applies the protections Envoy Gateway attaches there, in
Envoy's filter order. Only what decides whether a request is answered is modelled:

- the listener: port 80 is the Gateway's redirect listener (its platform route answers 308), port 443
  its apps listener (TLS ended at the NLB);
- attachment (`_attached`): a route serves on a listener only where one of its `parentRefs` names that Gateway
  (group and kind default to gateway.networking.k8s.io/Gateway, the namespace to the route's own) and either
  names the listener (`sectionName`) or names none (the whole Gateway), with no other `port`; and the listener
  admits it: `allowedRoutes.namespaces.from` `All`, or `Same` (the CRD's default) for a route in the Gateway's
  namespace (`Selector` is not modelled: gangplank writes none), and `allowedRoutes.kinds` (default: the HTTP
  protocol's, HTTPRoute) naming HTTPRoute (gateway.networking.k8s.io_httproutes.yaml and _gateways.yaml v1.6.1:
  `ParentReference`, `AllowedRoutes`). A listener `hostname` is not modelled either (gangplank writes none, so every
  host of the route is served): a Gateway with one stops the model;
- the rule: among the rules of every route attached to the apps listener whose `hostnames` include the
  host, and whose match's path and headers (all of them) the request has, Gateway API's precedence
  (kubernetes-sigs/gateway-api apis/v1/httproute_types.go, `Matches`): an Exact path match, then the
  PathPrefix match with the most characters, then the most header matches, then (ties) the oldest route,
  then the first by `{namespace}/{name}`, then the first rule of the route. Prefixes match element by
  element (`/api` matches `/api` and `/api/x`, not `/apix`). Header names are case-insensitive; an `Exact`
  header match compares the value, a `RegularExpression` one matches the whole value with RE2 (Envoy's
  StringMatcher `safe_regex`, EG internal/xds/translator/route.go). No rule: 404;
- the backend (`answer`): one of the rule's `backendRefs`, at random in proportion to their weights (default 1;
  weight 0 never: Envoy's weighted_clusters); with a BackendTrafficPolicy consistent hash on a cookie (EG
  `loadBalancer.consistentHash.cookie`, Envoy RouteAction.HashPolicy.Cookie), the pod is the one the cookie's
  value hashes to, and a request without the cookie is sent to a pod and given a cookie that hashes to it
  (with `Max-Age` the TTL; a zero TTL makes a session cookie). The weighted pick happens before the hash, per
  request;
- the protections: the SecurityPolicy and BackendTrafficPolicy that target the rule's route, in Envoy
  Gateway's filter order (internal/xds/translator/httpfilters.go `newOrderedHTTPFilter`: ext_authz 6,
  basic_auth 8, rbac 301, local_ratelimit 302): the external auth service (`extAuth`: a 2xx answer lets the
  request through with `headersToBackend` copied onto it; any other answer goes to the client as it is, status
  and `Location` included: Envoy ext_authz), basic auth against the Secret's `{SHA}` htpasswd lines (401), the
  allow-list of client CIDRs (403), then the per-client local rate limit (429);
- the rate limit: each rule a token bucket per client address (`sourceCIDR` `Distinct`) of `requests`
  tokens, refilled to `requests` every `unit` since its first request (Envoy source/extensions/filters/
  common/local_ratelimit/local_ratelimit_impl.cc `TimerTokenBucket`, dynamic descriptors made on first
  use); a request must find a token in every rule it matches (`requestAllowed`);
- the connection to the backend (`connection`), as Envoy Gateway v1.9.0 builds the upstream cluster: a
  Service reference goes to its endpoints, with TLS only when a BackendTLSPolicy targets the Service
  (verified against its CA for its `hostname`, which is also the SNI); a reference to Envoy Gateway's
  `Backend` is valid only where the edge's controller has `extensionApis.enableBackend` (internal/gatewayapi/
  backend.go `ProcessBackends`: "Backend is not enabled") and the Backend exists in the route's namespace,
  and connects to its FQDN endpoint with the Backend's `tls` (`insecureSkipVerify`, `sni`); TLS that is
  neither verified nor skipped is invalid (backendtlspolicy.go `applyBackendTLSSetting`: "CACertificate must
  be specified when InsecureSkipVerify is false"). A request to an invalid backend gets 500 (Gateway API,
  HTTPRouteRule `backendRefs`: "requests that would have otherwise been routed to an invalid backend ...
  500"). A BackendTLSPolicy that targets a Backend is not modelled (gangplank writes none);
- what the app is told of the client (`forwarded_headers`): the connection manager's `X-Forwarded-For`, then the
  ClientTrafficPolicy's early header changes and the rule's header modifiers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

from tests.fakes.nginx_traffic import Answer, parse_cookies

OK, REDIRECT, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, TOO_MANY, INVALID_BACKEND = 200, 308, 401, 403, 404, 429, 500
AuthService = Callable[[str, Mapping[str, str]], tuple[int, Mapping[str, str]]]
"""An external auth service: (`https://<backend host>:<port><path>`, the client's request headers) -> (status,
response headers)."""
GATEWAY_GROUP = "gateway.networking.k8s.io"
UNIT_SECONDS = {"Second": 1, "Minute": 60, "Hour": 3600, "Day": 86400}


@dataclass(frozen=True)
class Rule:
    route: Mapping[str, Any]
    index: int
    match_type: str
    value: str
    headers: tuple[Mapping[str, str], ...] = ()

    def matches(self, path: str, headers: Mapping[str, str] | None = None) -> bool:
        for match in self.headers:
            value = next((v for k, v in (headers or {}).items() if k.lower() == match["name"].lower()), None)
            if value is None:
                return False
            if match.get("type", "Exact") == "Exact" and value != match["value"]:
                return False
            if match.get("type") == "RegularExpression" and not re2.fullmatch(match["value"], value):
                return False
        if self.match_type == "Exact":
            return path == self.value
        prefix = self.value.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")

    @property
    def key(self) -> str:
        metadata = self.route["metadata"]
        return f"{metadata['namespace']}/{metadata['name']}"


@dataclass(frozen=True)
class Connection:
    """How the proxy connects to a rule's backend."""

    address: str
    """`host:port` it connects to (a Service's cluster name and port, or a Backend's FQDN endpoint)."""
    tls: bool
    verify: bool
    """The backend's certificate is checked (against `ca`, for `sni`)."""
    sni: str | None
    ca: tuple[str, ...] = ()
    """`kind/name` of the CA objects it is checked against."""


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
    backends: list[Mapping[str, Any]] = field(default_factory=list)
    """Envoy Gateway `Backend`s and Gateway API `BackendTLSPolicy`s."""
    gateways: list[Mapping[str, Any]] = field(default_factory=list)
    """The edges' `Gateway`s: the listeners routes attach to (`_attached`)."""
    client_traffic: list[Mapping[str, Any]] = field(default_factory=list)
    """Envoy Gateway `ClientTrafficPolicy`s (how the edge's listeners read the client: `forwarded_headers`)."""
    backend_api: frozenset[str] = frozenset()
    """Namespaces of the Gateways whose controller has `extensionApis.enableBackend`."""
    auth_service: AuthService | None = None
    """The external auth service the routes' `extAuth` asks (tests provide one)."""
    pods: int = 3
    """Pods behind every Service."""
    random: random.Random = field(default_factory=lambda: random.Random(0))
    clock: float = 0.0
    """Seconds since the start: what the rate limit's buckets refill by (tests move it)."""
    _buckets: dict[tuple[str, int, str], _Bucket] = field(default_factory=dict)

    @classmethod
    def from_manifests(cls, manifests: Iterable[Mapping[str, Any]],
                       backend_api: Iterable[str] = (), **options: Any) -> GatewaySite:
        manifests = list(manifests)
        return cls(routes=[m for m in manifests if m.get("kind") == "HTTPRoute"],
                   policies=[m for m in manifests if m.get("kind") in ("SecurityPolicy", "BackendTrafficPolicy")],
                   secrets=[m for m in manifests if m.get("kind") == "Secret" or "stringData" in m],
                   backends=[m for m in manifests if m.get("kind") in ("Backend", "BackendTLSPolicy")],
                   client_traffic=[m for m in manifests if m.get("kind") == "ClientTrafficPolicy"],
                   gateways=[m for m in manifests if m.get("kind") == "Gateway"],
                   backend_api=frozenset(backend_api), **options)

    # -- routing ----------------------------------------------------------------------------

    def _attached(self, listener: str) -> list[Mapping[str, Any]]:
        """The routes that serve on the Gateways' listener of that name (module docstring: attachment)."""
        return [route for route in self.routes
                if any(self._admits(gateway, spec, route) for gateway in self.gateways
                       for spec in gateway["spec"]["listeners"] if spec["name"] == listener)]

    @staticmethod
    def _admits(gateway: Mapping[str, Any], listener: Mapping[str, Any], route: Mapping[str, Any]) -> bool:
        namespace = route["metadata"]["namespace"]
        gateway_namespace = gateway["metadata"]["namespace"]
        referenced = any(ref.get("group", GATEWAY_GROUP) == GATEWAY_GROUP and ref.get("kind", "Gateway") == "Gateway"
                         and ref["name"] == gateway["metadata"]["name"]
                         and ref.get("namespace", namespace) == gateway_namespace
                         and ref.get("sectionName", listener["name"]) == listener["name"]
                         and ref.get("port", listener["port"]) == listener["port"]
                         for ref in route["spec"].get("parentRefs") or [])
        allowed = listener.get("allowedRoutes") or {}
        origin = (allowed.get("namespaces") or {}).get("from", "Same")
        assert origin in ("All", "Same"), f"allowedRoutes.namespaces.from {origin} is not modelled"
        assert "hostname" not in listener, "a listener hostname is not modelled"
        kinds = allowed.get("kinds") or [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]
        return (referenced and (origin == "All" or namespace == gateway_namespace)
                and any(kind.get("group", GATEWAY_GROUP) == GATEWAY_GROUP and kind["kind"] == "HTTPRoute"
                        for kind in kinds))

    def rule(self, host: str, path: str, headers: Mapping[str, str] | None = None) -> Rule | None:
        """The rule a request for `host` and `path` (with `headers`) reaches on the apps listener (module docstring)."""
        candidates = []
        for route in self._attached("apps"):
            if host not in (route["spec"].get("hostnames") or []):
                continue
            for index, rule in enumerate(route["spec"].get("rules") or []):
                for match in rule.get("matches") or [{"path": {"type": "PathPrefix", "value": "/"}}]:
                    path_match = match.get("path") or {"type": "PathPrefix", "value": "/"}
                    candidate = Rule(route, index, path_match.get("type", "PathPrefix"), path_match["value"],
                                     tuple(match.get("headers") or ()))
                    if candidate.matches(path, headers):
                        candidates.append(candidate)
        if not candidates:
            return None
        # Every route here is as old as the others (one plan): the name breaks the tie, then the rule order.
        return min(candidates, key=lambda c: (c.match_type != "Exact", -len(c.value.rstrip("/")), -len(c.headers),
                                              c.key, c.index))

    def _backend(self, rule: Rule, cookies: Mapping[str, str]) -> tuple[str, int, dict[str, str], dict[str, str]]:
        """(service, pod, cookies set, their attributes) for a request that reached `rule` (module docstring)."""
        refs = [ref for ref in rule.route["spec"]["rules"][rule.index].get("backendRefs") or []
                if ref.get("weight", 1) > 0]
        if not refs:  # a hand-made route without backends: only its protections are modelled
            return "", 0, {}, {}
        pick = self.random.uniform(0, sum(ref.get("weight", 1) for ref in refs))
        for ref in refs:
            pick -= ref.get("weight", 1)
            if pick <= 0:
                break
        service = ref["name"]
        hashing = next((p["spec"]["loadBalancer"] for p in self._policies("BackendTrafficPolicy", rule.route)
                        if (p["spec"].get("loadBalancer") or {}).get("type") == "ConsistentHash"), None)
        if hashing is None or hashing["consistentHash"]["type"] != "Cookie":
            return service, self.random.randrange(self.pods), {}, {}
        cookie = hashing["consistentHash"]["cookie"]
        if cookie["name"] in cookies:
            return service, zlib.crc32(cookies[cookie["name"]].encode()) % self.pods, {}, {}
        # Envoy makes up the value (a hash of the connection's address) and hashes it for this request too.
        value = f"{self.random.getrandbits(64):016x}"
        attributes = {"Path": "/", "HttpOnly": ""}
        seconds = _seconds(cookie.get("ttl", "0s"))
        if seconds:
            attributes["Max-Age"] = str(seconds)
        return service, zlib.crc32(value.encode()) % self.pods, {cookie["name"]: value}, {cookie["name"]: attributes}

    def _ext_auth(self, policy: Mapping[str, Any], headers: Mapping[str, str]) -> tuple[int, Mapping[str, str]]:
        http = policy["spec"]["extAuth"]["http"]
        ref = http["backendRefs"][0]
        backend = next(b for b in self.backends if b["kind"] == "Backend" and b["metadata"]["name"] == ref["name"]
                       and b["metadata"]["namespace"] == policy["metadata"]["namespace"])
        endpoint = backend["spec"]["endpoints"][0]["fqdn"]
        scheme = "https" if "tls" in backend["spec"] else "http"
        assert self.auth_service is not None, "a route with extAuth needs an auth service in the model"
        return self.auth_service(f"{scheme}://{endpoint['hostname']}:{endpoint['port']}{http['pathOverride']}", headers)

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

    def htpasswd_users(self, namespace: str, name: str) -> set[str]:
        """The logins in an htpasswd Secret."""
        return set(self._htpasswd(namespace, name))

    # -- the backend ------------------------------------------------------------------------

    def connection(self, host: str, path: str, headers: Mapping[str, str] | None = None) -> Connection | None:
        """How the proxy connects to the backend of the rule a request reaches; None: an invalid backend (500)."""
        rule = self.rule(host, path, headers)
        assert rule is not None, (host, path)
        route = rule.route
        namespace = route["metadata"]["namespace"]
        refs = route["spec"]["rules"][rule.index].get("backendRefs") or []
        if not refs:
            return None  # nothing to forward to (gangplank's rules always have one backend)
        ref = refs[0]
        kind, group = ref.get("kind", "Service"), ref.get("group", "")
        if (group, kind) == ("", "Service"):
            address = f"{ref['name']}.{namespace}.svc:{ref['port']}"
            policies = [p for p in self.backends if p["kind"] == "BackendTLSPolicy"
                        and p["metadata"]["namespace"] == namespace
                        and any(t.get("kind") == "Service" and t["name"] == ref["name"]
                                for t in p["spec"]["targetRefs"])]
            if not policies:
                return Connection(address, tls=False, verify=False, sni=None)
            validation = policies[0]["spec"]["validation"]  # the oldest; one plan's are equally old
            return Connection(address, tls=True, verify=True, sni=validation["hostname"],
                              ca=tuple(f"{c['kind']}/{c['name']}" for c in validation.get("caCertificateRefs") or []))
        if (group, kind) != ("gateway.envoyproxy.io", "Backend"):
            return None
        gateways = {parent.get("namespace", namespace) for parent in route["spec"]["parentRefs"]}
        if not gateways <= self.backend_api:
            return None  # "The Backend was not accepted since Backend is not enabled in Envoy Gateway Config"
        found = [b for b in self.backends if b["kind"] == "Backend" and b["metadata"]["namespace"] == namespace
                 and b["metadata"]["name"] == ref["name"]]
        if not found:
            return None
        spec = found[0]["spec"]
        endpoint = spec["endpoints"][0]["fqdn"]
        address = f"{endpoint['hostname']}:{endpoint['port']}"
        tls = spec.get("tls")
        if tls is None:
            return Connection(address, tls=False, verify=False, sni=None)
        ca = tuple(f"{c['kind']}/{c['name']}" for c in tls.get("caCertificateRefs") or [])
        if not tls.get("insecureSkipVerify", False) and not ca:
            return None
        return Connection(address, tls=True, verify=not tls.get("insecureSkipVerify", False), sni=tls.get("sni"),
                          ca=ca)

    # -- what reaches the app ------------------------------------------------------------------

    def forwarded_headers(self, client_ip: str, headers: Mapping[str, str], nlb: str, path: str = "/"
                          ) -> dict[str, str | None]:
        """The client-address and scheme headers the app receives for a request from `client_ip` through the NLB (at
        its address `nlb`), from the edge's ClientTrafficPolicy and the rule the request reaches.

        The connection's remote address is the PROXY header's when the policy requires proxy protocol (Envoy's
        proxy_protocol listener filter replaces it), else the NLB's. Envoy Gateway sets the connection manager's
        `use_remote_address` unless the policy has `clientIPDetection` (EG internal/xds/translator/listener.go,
        v1.9.0); with it, Envoy appends that address to `X-Forwarded-For` (unless `disableXForwardedForAppend`) and
        sets `X-Forwarded-Proto` to the connection's scheme, plain HTTP here (Envoy docs, http_conn_man/headers.rst).
        Then `headers.earlyRequestHeaders` (before routing), then the rule's RequestHeaderModifier (route level,
        after the connection manager's own): `remove`, `set` (replacing), `add`, with Envoy's
        `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%` substituted (any other operator: not modelled). Headers no one
        sets (`X-Real-IP` unless a rule does) reach the app as the client sent them."""
        policies = self.client_traffic
        spec = policies[0]["spec"] if policies else {}
        remote = client_ip if "proxyProtocol" in spec else nlb
        sent = {name.lower(): (name, value) for name, value in headers.items()}
        detection = spec.get("clientIPDetection")
        if detection is None:
            previous = sent.get("x-forwarded-for", ("", ""))[1]
            sent["x-forwarded-for"] = ("X-Forwarded-For", f"{previous}, {remote}" if previous else remote)
            sent["x-forwarded-proto"] = ("X-Forwarded-Proto", "http")
        else:
            raise NotImplementedError("the model has no clientIPDetection (gangplank sets none)")

        def modify(modifier: Mapping[str, Any]) -> None:
            for name in modifier.get("remove") or []:
                sent.pop(name.lower(), None)
            for entry in modifier.get("set") or []:
                sent[entry["name"].lower()] = (entry["name"], _substitute(entry["value"], remote))
            for entry in modifier.get("add") or []:
                before = sent.get(entry["name"].lower(), ("", ""))[1]
                value = _substitute(entry["value"], remote)
                sent[entry["name"].lower()] = (entry["name"], f"{before},{value}" if before else value)

        modify((spec.get("headers") or {}).get("earlyRequestHeaders") or {})
        rule = self.rule(headers["Host"], path, headers)
        assert rule is not None, (headers["Host"], path)
        for rule_filter in rule.route["spec"]["rules"][rule.index].get("filters") or []:
            if rule_filter.get("type") == "RequestHeaderModifier":
                modify(rule_filter["requestHeaderModifier"])
        return {name: sent.get(name.lower(), ("", None))[1]
                for name in ("X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port")}

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
        return self.answer(source_ip, path, headers, port).status

    def answer(self, source_ip: str, path: str, headers: Mapping[str, str], port: int = 443) -> Answer:
        """The whole answer: status, and for a request let through, the backend, the pod and what the app is told."""
        if port == 80:
            redirects = [rule for route in self._attached("redirect") for rule in route["spec"].get("rules") or []
                         if any(f.get("type") == "RequestRedirect" for f in rule.get("filters") or [])]
            return Answer(REDIRECT if redirects else NOT_FOUND)
        rule = self.rule(headers["Host"], path.split("?", 1)[0], headers)
        if rule is None:
            return Answer(NOT_FOUND)
        client = ipaddress.ip_address(source_ip)
        to_app: dict[str, str] = {}
        for policy in self._policies("SecurityPolicy", rule.route):
            if "extAuth" not in policy["spec"]:
                continue
            status, auth_headers = self._ext_auth(policy, headers)
            if not 200 <= status < 300:
                return Answer(status, location=next((v for k, v in auth_headers.items() if k.lower() == "location"),
                                                    None))
            for name in policy["spec"]["extAuth"]["http"].get("headersToBackend") or []:
                value = next((v for k, v in auth_headers.items() if k.lower() == name.lower()), None)
                if value is not None:
                    to_app[name] = value
        for policy in self._policies("SecurityPolicy", rule.route):
            spec = policy["spec"]
            if "basicAuth" in spec and not self._authenticated(policy, headers):
                return Answer(UNAUTHORIZED)
            authorization = spec.get("authorization")
            if authorization is not None:
                allowed = any(client in ipaddress.ip_network(cidr) for r in authorization.get("rules") or []
                              if r.get("action") == "Allow" for cidr in r["principal"].get("clientCIDRs") or [])
                if not allowed and authorization.get("defaultAction", "Deny") == "Deny":
                    return Answer(FORBIDDEN)
        for policy in self._policies("BackendTrafficPolicy", rule.route):
            if self._rate_limited(policy, source_ip):
                return Answer(TOO_MANY)
        if self.connection(headers["Host"], path.split("?", 1)[0], headers) is None:
            return Answer(INVALID_BACKEND)
        service, pod, cookies, attributes = self._backend(rule, parse_cookies(headers.get("Cookie", "")))
        return Answer(OK, backend=f"{rule.route['metadata']['namespace']}/{service}", pod=pod, to_app=to_app,
                      cookies=cookies, cookie_attributes=attributes)


def _substitute(value: str, remote: str) -> str:
    """A route-level header value as Envoy formats it: `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%` is the connection's
    remote address, `%%` a literal `%` (Envoy docs, http_conn_man/headers.rst "Custom request/response headers")."""
    def operator(found: re.Match[str]) -> str:
        if found.group(0) == "%%":
            return "%"
        if found.group(1) == "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
            return remote
        raise NotImplementedError(f"the model has no header operator {found.group(0)}")

    return re.sub(r"%%|%([A-Z_]+(?:\([^)]*\))?)%", operator, value)


def _seconds(duration: str) -> int:
    """A Go duration of the CRD's pattern (`1h30m`, `0s`) in whole seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return int(sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", duration)))
