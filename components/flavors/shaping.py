"""Canary and A/B routing, session stickiness and external authentication: the intents, and what each flavor
makes of them (or why it cannot).

Pure functions of plain data; the flavors call them from `unsupported`, `ingress_annotations`, `rule_filters` and
`route_policies`, and `components/apps` from where an app's objects are assembled.

Which flavor expresses what (each refusal is an input error naming the flavor and what it lacks):

- canary: ingress-nginx, a canary Ingress (`canary-*` annotations); envoy-gateway, weighted `backendRefs` and
  header matches; nginx-inc (F5 OSS, custom resources off) refuses: only VirtualServer `splits`/`matches` split;
- sticky: ingress-nginx, `affinity: cookie`; envoy-gateway, a BackendTrafficPolicy consistent hash on a cookie;
  nginx-inc refuses: NGINX Plus only;
- external auth: ingress-nginx, `auth-url`, `auth-signin`, `auth-response-headers`; envoy-gateway, SecurityPolicy
  `extAuth` (no sign-in redirect); nginx-inc refuses: a Policy custom resource.

Request routing to the canary, as ingress-nginx decides it (rootfs/etc/nginx/lua/balancer.lua
`route_to_alternative_balancer`, controller-v1.15.1): a request affinitized to the app's backend (sticky) stays
there; one affinitized to the canary goes there; otherwise the header (`canary-by-header` with `-value`: an exact
match; with `-pattern`: `ngx.re.match`, a match anywhere) selects the canary, then the cookie (`always` selects
it, `never` keeps the app), then `math.random(100) <= weight`. A header that does not match falls through to the
cookie, and the cookie's other values to the weight. The Gateway API rendering reproduces that order with rules
(`canary_rules`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

INGRESS_NGINX = "nginx.ingress.kubernetes.io/"
CANARY_ALWAYS, CANARY_NEVER = "always", "never"
"""Cookie values ingress-nginx reads for `canary-by-cookie` (balancer.lua `route_to_alternative_balancer`)."""
SIGNIN_REDIRECT_PARAM = "rd"
"""The query parameter ingress-nginx adds to `auth-signin` with the URL the client asked for (template.go
`buildAuthSignURL`, `defaultGlobalAuthRedirectParam`)."""


@dataclass(frozen=True)
class CanaryIntent:
    """A second backend for a share of an app's requests (apps.yaml `canary`)."""

    service: str
    """The canary's Service (in the app's namespace)."""
    port: int
    """Its port."""
    weight: int
    """Percent (0-100) of the requests that no header or cookie decides."""
    header: str | None = None
    """A request header that selects the canary..."""
    header_value: str | None = None
    """...when its value is exactly this,"""
    header_pattern: str | None = None
    """...or when this regular expression matches it anywhere."""
    cookie: str | None = None
    """A cookie whose value `always` selects the canary and `never` the app."""

    @property
    def by_request(self) -> bool:
        """Whether a header or a cookie of the request can choose the backend."""
        return self.header is not None or self.cookie is not None


@dataclass(frozen=True)
class StickyIntent:
    """Session affinity by a cookie the controller sets (apps.yaml `sticky`)."""

    cookie: str
    """The cookie's name."""
    max_age: int | None
    """Its lifetime in seconds; None for a session cookie."""


@dataclass(frozen=True)
class ExternalAuthIntent:
    """An external authentication service asked about every request (apps.yaml `auth.external`)."""

    url: str
    """The check endpoint: 2xx lets the request through, 401/403 refuses it."""
    signin: str | None = None
    """Where a 401 is redirected, with the asked-for URL in `rd`; None: the client gets the 401."""
    response_headers: tuple[str, ...] = ()
    """Headers of the service's answer passed to the app."""


# -- what each flavor lacks ---------------------------------------------------------------------


def nginx_inc_problems(canary: CanaryIntent | None, sticky: StickyIntent | None,
                       external: ExternalAuthIntent | None) -> list[tuple[str, str]]:
    """The F5 NGINX Ingress Controller (OSS, v5.5.4) as gangplank runs it: Ingresses, custom resources off.

    - canary: F5 splits traffic and matches headers and cookies only in a VirtualServer (`splits`, `matches`,
      k8s.nginx.org/v1); an Ingress has no such annotation (internal/configs/annotations.go). VirtualServers need
      the controller's custom resources, which gangplank keeps off on F5 edges (`enableCustomResources: false`):
      turning them on is a controller change whose precondition is the k8s.nginx.org CRDs in the cluster.
    - sticky: `nginx.com/sticky-cookie-services` is an NGINX Plus annotation (StickyCookieServicesAnnotationPlus),
      and VirtualServer `sessionCookie` is refused in OSS (pkg/apis/configuration/validation/virtualserver.go
      rejectPlusResourcesInOSS): nginx OSS has no `sticky` directive.
    - external auth: F5 5.5 offers it as a Policy custom resource (`externalAuth`, attached with
      `nginx.org/policies`), custom resources again, and reaches the service as a Kubernetes Service, not a URL.
    """
    found = []
    if canary is not None:
        found.append(("canary", "the F5 NGINX Ingress Controller splits traffic and matches headers or cookies only "
                                "in VirtualServer custom resources (splits/matches), which gangplank keeps off on F5 "
                                "edges; an Ingress cannot carry a canary: use an ingress-nginx or envoy-gateway edge"))
    if sticky is not None:
        found.append(("sticky", "session cookies are an NGINX Plus feature of the F5 controller "
                                "(nginx.com/sticky-cookie-services, VirtualServer sessionCookie); nginx OSS has no "
                                "sticky directive: use an ingress-nginx or envoy-gateway edge"))
    if external is not None:
        found.append(("external_auth", "the F5 controller offers external auth only as a Policy custom resource "
                                       "(externalAuth), which gangplank keeps off on F5 edges, and only towards a "
                                       "Kubernetes Service: use an ingress-nginx or envoy-gateway edge"))
    return found


def ingress_nginx_problems(canary: CanaryIntent | None, sticky: StickyIntent | None) -> list[tuple[str, str]]:
    """ingress-nginx expresses all three; one combination it cannot keep its promise for.

    A request that carries the affinity cookie of the app's backend never reaches the canary, whatever its header
    or cookie (balancer.lua `route_to_alternative_balancer`: `if balancer.is_affinitized(balancer) then return
    false`): with `sticky`, a canary header or cookie would not select the canary for a client that has been
    there before. A weight alone is fine: each client is pinned to the backend it first reached.
    """
    if canary is not None and sticky is not None and canary.by_request:
        return [("canary", "ingress-nginx never sends a request that carries its sticky cookie to the canary "
                           "(balancer.lua route_to_alternative_balancer), so with sticky the canary's header or cookie "
                           "would not select it for returning clients: drop canary.header/cookie or sticky")]
    return []


def envoy_gateway_problems(canary: CanaryIntent | None, sticky: StickyIntent | None,
                           external: ExternalAuthIntent | None) -> list[tuple[str, str]]:
    """Envoy Gateway (v1.9.0) expresses all three, with two limits.

    - Envoy picks among a rule's weighted backends at random, request by request (RouteAction weighted_clusters);
      the consistent hash on the sticky cookie chooses a pod only inside the backend picked. So a weighted split
      and stickiness together would move a client between the app and the canary: refused. A canary chosen by
      header or cookie alone (weight 0) is sticky per backend.
    - SecurityPolicy `extAuth` passes the service's answer on to the client (Envoy ext_authz: a denial's status,
      headers and body), and has no sign-in redirect of its own such as ingress-nginx's `auth-signin`. The auth
      service can redirect itself instead (answer 302 to an unauthenticated request).
    """
    found = []
    if canary is not None and sticky is not None and 0 < canary.weight < 100:
        found.append(("canary.weight",
                      "Envoy Gateway picks between weighted backends request by request, so sticky sessions "
                      "would not hold across a weighted canary: use canary.weight 0 (header or cookie only) "
                      "or drop sticky"))
    if external is not None and external.signin is not None:
        found.append(("external_auth.signin",
                      "Envoy Gateway's extAuth has no sign-in redirect (auth.external.signin): it "
                      "passes the auth service's own answer on, so let the service redirect "
                      "unauthenticated requests itself, and remove signin"))
    if external is not None and _is_ip(urlsplit(external.url).hostname or ""):
        found.append(("external_auth.url",
                      "Envoy Gateway reaches the auth service through a Backend of a DNS name: give "
                      "auth.external.url a host name, not an address"))
    return found


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+|\[?[0-9a-fA-F:]+\]?", host))


# -- ingress-nginx ------------------------------------------------------------------------------


def ingress_nginx_canary_annotations(canary: CanaryIntent) -> dict[str, str]:
    """The canary Ingress's annotations (internal/ingress/annotations/canary/main.go, controller-v1.15.1).

    The canary Ingress has the app's hosts and paths and the canary's backend; ingress-nginx adds it to the app's
    locations as an alternative backend, and every other annotation comes from the app's Ingress.
    """
    annotations = {INGRESS_NGINX + "canary": "true", INGRESS_NGINX + "canary-weight": str(canary.weight)}
    if canary.header is not None:
        annotations[INGRESS_NGINX + "canary-by-header"] = canary.header
        if canary.header_value is not None:
            annotations[INGRESS_NGINX + "canary-by-header-value"] = canary.header_value
        if canary.header_pattern is not None:
            annotations[INGRESS_NGINX + "canary-by-header-pattern"] = canary.header_pattern
    if canary.cookie is not None:
        annotations[INGRESS_NGINX + "canary-by-cookie"] = canary.cookie
    return annotations


def ingress_nginx_sticky_annotations(sticky: StickyIntent) -> dict[str, str]:
    """Cookie affinity (internal/ingress/annotations/sessionaffinity/main.go, controller-v1.15.1).

    Written on the canary Ingress too (affinity is one of the annotations a canary keeps its own of): a client that
    reached the canary by the weight stays there (`affinity-canary-behavior` defaults to `sticky`).
    `session-cookie-secure`: every client came over HTTPS (TLS ends at the NLB, which the controller cannot see).
    """
    annotations = {INGRESS_NGINX + "affinity": "cookie", INGRESS_NGINX + "session-cookie-name": sticky.cookie,
                   INGRESS_NGINX + "session-cookie-secure": "true"}
    if sticky.max_age is not None:
        annotations[INGRESS_NGINX + "session-cookie-max-age"] = str(sticky.max_age)
        annotations[INGRESS_NGINX + "session-cookie-expires"] = str(sticky.max_age)
    return annotations


def ingress_nginx_external_auth_annotations(external: ExternalAuthIntent) -> dict[str, str]:
    """`auth-url`, `auth-signin`, `auth-response-headers` (internal/ingress/annotations/authreq/main.go).

    nginx's `auth_request` asks the URL about every request: 2xx lets it through, 401 and 403 are the answer,
    anything else is a 500; with `auth-signin` a 401 becomes a 302 to the sign-in URL with `rd=<the URL asked
    for>` (template.go `buildAuthSignURL`). The listed headers of the service's answer are set on the request to
    the app (replacing what a client sent under those names).
    """
    annotations = {INGRESS_NGINX + "auth-url": external.url}
    if external.signin is not None:
        annotations[INGRESS_NGINX + "auth-signin"] = external.signin
    if external.response_headers:
        annotations[INGRESS_NGINX + "auth-response-headers"] = ",".join(external.response_headers)
    return annotations


# -- Gateway API and Envoy Gateway ---------------------------------------------------------------


def full_match_pattern(pattern: str) -> str:
    """A header pattern as RE2 reads it for Envoy, which matches the whole value (StringMatcher `safe_regex`, EG
    internal/xds/translator/route.go), so that it matches where ingress-nginx's `ngx.re.match` (a search) does."""
    return f".*(?:{pattern}).*"


def cookie_pattern(name: str, value: str) -> str:
    """A `Cookie` header value that carries `name=value` (RFC 6265 `cookie-string`: pairs joined by `; `). Gateway
    API matches no cookies; Envoy Gateway matches the Cookie header with a RegularExpression header match (RE2,
    the whole value). Names and values are letters, digits, `_` and `-` (shaping.COOKIE_NAME_PATTERN), so they
    need no escape."""
    return f"(.*;\\s*)?{name}={value}(;.*)?"


def sticky_load_balancer(sticky: StickyIntent) -> dict[str, Any]:
    """BackendTrafficPolicy `loadBalancer`: a consistent hash on the cookie, which Envoy sets when it is missing.

    Envoy sets the cookie only with a TTL (RouteAction.HashPolicy.Cookie `ttl`; zero makes a session cookie, EG
    internal/xds/translator/route.go passes `ttl` through as a duration), so a session cookie is `0s`.
    """
    ttl = "0s" if sticky.max_age is None else duration(sticky.max_age)
    return {"type": "ConsistentHash",
            "consistentHash": {"type": "Cookie", "cookie": {"name": sticky.cookie, "ttl": ttl}}}


def duration(seconds: int) -> str:
    """Seconds as a Go duration that the CRD's pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$` accepts (`1h30m`)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"


@dataclass(frozen=True)
class AuthEndpoint:
    """Where Envoy reaches an external auth service: a Backend of its host name, the port, TLS or not, the path."""

    hostname: str
    port: int
    tls: bool
    path: str


def auth_endpoint(url: str) -> AuthEndpoint:
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return AuthEndpoint(hostname=(parts.hostname or "").rstrip("."), port=parts.port or (443 if tls else 80),
                        tls=tls, path=path)


def auth_backend_manifest(name: str, namespace: str, endpoint: AuthEndpoint, labels: dict[str, str],
                          api_version: str) -> dict[str, Any]:
    """The Envoy Gateway Backend of an external auth service: its DNS name and port, with TLS verified against the
    system's CA bundle for an https URL (Backend `tls.wellKnownCACertificates: System`, SNI the host name). Backends
    need `extensionApis.enableBackend` in the controller's configuration (EG internal/gatewayapi/runner/runner.go
    `BackendEnabled`)."""
    spec: dict[str, Any] = {"endpoints": [{"fqdn": {"hostname": endpoint.hostname, "port": endpoint.port}}]}
    if endpoint.tls:
        spec["tls"] = {"wellKnownCACertificates": "System", "sni": endpoint.hostname}
    return {"apiVersion": api_version, "kind": "Backend",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)}, "spec": spec}


def ext_auth(external: ExternalAuthIntent, backend: str, group: str) -> dict[str, Any]:
    """SecurityPolicy `extAuth`: an HTTP check at the URL's own path (`pathOverride`, as ingress-nginx's auth-url
    requests it; `path` would append the client's path), the listed response headers passed to the app."""
    endpoint = auth_endpoint(external.url)
    http: dict[str, Any] = {"backendRefs": [{"group": group, "kind": "Backend", "name": backend,
                                             "port": endpoint.port}],
                            "pathOverride": endpoint.path}
    if external.response_headers:
        http["headersToBackend"] = list(external.response_headers)
    return {"http": http}
