"""A model of the edges' NGINX ingress controllers answering for the Ingresses a plan declares.

`IngressSite` is the `site` the fake UptimeRobot's `probe()` calls: for a request (client address,
path, headers) it builds the nginx configuration the flavor's controller would build from the
Ingresses and Secrets, picks the location nginx would pick, and applies what is in it in nginx's
order (access phase: `allow`/`deny`, then `auth_basic`; `satisfy all`, nginx's default). It also
says which headers reach the app (`forwarded_headers`, from the controller's Helm values), how it connects to a
backend (`connection`) and which controller ports speak TLS
(`tls_ports`). Each rule cites the upstream source it mirrors: nginx/kubernetes-ingress at tag v5.5.4
(`nginx-inc`), kubernetes/ingress-nginx at controller-v1.15.1 (`ingress-nginx`), and nginx itself. The servers and
locations, as each controller builds them from the Ingresses, and nginx's choice of a location are in
`tests/fakes/ingress_servers.py`.

What it leaves out: regular-expression locations (neither flavor emits one for gangplank's paths:
F5 only with `nginx.org/path-regex`, ingress-nginx only with `use-regex` or rewrites), rate limits,
and the `Host` header's port.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import bcrypt

from tests.fakes.ingress_servers import (
    MERGEABLE,
    Location,
    Server,
    annotations_of,
    f5_servers,
    f5_with_status,
    find_location,
    ingress_class,
    ingress_key,
    ingress_nginx_servers,
    rule_paths,
)

OK, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, INTERNAL_ERROR, UNAVAILABLE = 200, 401, 403, 404, 500, 503


# -- the site ------------------------------------------------------------------------------


FLAVOR_SECRETS = {"nginx-inc": ("nginx.org/htpasswd", "htpasswd"), "ingress-nginx": ("Opaque", "auth")}
"""The htpasswd Secret each controller reads: F5 refuses another type (internal/k8s/secrets/validation.go
ValidateHtpasswdSecret, key `htpasswd`); ingress-nginx's `auth-file` reads key `auth`
(internal/ingress/annotations/auth/main.go dumpSecretAuthFile)."""
BROKEN_AUTH = {"nginx-inc": NOT_FOUND, "ingress-nginx": UNAVAILABLE}
"""A location whose htpasswd Secret is missing or unreadable. F5 (v5.5.4): its secret store clears the path of a
missing or invalid Secret (internal/k8s/secrets/store.go), `generateBasicAuthConfig` (internal/configs/ingress.go)
only warns, and the template writes `auth_basic_user_file {{ .Secret }};` unguarded (nginx.ingress.tmpl), so nginx
refuses the configuration (the directive takes one argument), the reload fails and the Ingress never takes effect:
its host is answered by the default server, 404. ingress-nginx denies the location: auth/main.go Parse returns a
LocationDeniedError, and the template answers `return 503` ("Location denied", nginx.tmpl)."""


PROXY_HOST = "upstream_balancer"
"""ingress-nginx's `$proxy_host`: every location proxies to `upstream_balancer` (nginx.tmpl, template.go
buildProxyPass), which is then the name nginx checks an upstream certificate for unless `proxy-ssl-name` says."""


@dataclass(frozen=True)
class BackendConnection:
    """How a controller connects to an app's backend."""

    address: str
    """`<service>.<namespace>.svc:<port>` (the Service; nginx picks the pod)."""
    tls: bool
    verify: bool
    """The backend's certificate is checked (against `ca`, for `name`)."""
    name: str | None
    """The name the certificate is checked for (`proxy_ssl_name`)."""
    sni: str | None
    """The server name sent in the TLS handshake, if any."""
    ca: str | None
    """`namespace/name` of the Secret whose `ca.crt` it is checked against."""


class IngressSite:
    """Answers requests as a flavor's controllers would, from revealed Ingress and Secret manifests.

    `values`: the controllers' Helm values (any edge's: the edges differ only in names), for the ports.
    """

    def __init__(self, ingresses: Iterable[Mapping[str, Any]], secrets: Iterable[Mapping[str, Any]],
                 flavor: str, values: Mapping[str, Any] | None = None) -> None:
        self.flavor = flavor
        self.values = values or {}
        self.conflicts: list[str] = []
        """What the controllers would leave out, in their own words (a taken host or path)."""
        self.ingresses = list(ingresses)
        by_class: dict[str, list[Mapping[str, Any]]] = {}
        for ingress in self.ingresses:
            by_class.setdefault(ingress_class(ingress, flavor), []).append(ingress)
        self.with_status: set[str] = set()
        """`namespace/name` of the Ingresses the controller gives a load-balancer status (what pulumi-kubernetes
        waits for): on F5 `f5_with_status`; ingress-nginx writes it into every Ingress of its class
        (internal/ingress/status/status.go `updateStatus`, over `IngressLister.ListIngresses`)."""
        for klass in sorted(by_class):
            self.with_status |= (f5_with_status(by_class[klass]) if flavor == "nginx-inc"
                                 else {ingress_key(ingress) for ingress in by_class[klass]})
        build = f5_servers if flavor == "nginx-inc" else ingress_nginx_servers
        self.servers: dict[str, Server] = {}
        for klass in sorted(by_class):
            for host, server in build(by_class[klass], self.conflicts).items():
                if host in self.servers:
                    raise ValueError(f"host {host} is served by two classes: one DNS name, one load balancer")
                self.servers[host] = server
        secret_type, key = FLAVOR_SECRETS[flavor]
        self._htpasswd: dict[tuple[str, str], dict[str, bytes]] = {}
        for secret in secrets:
            text = (secret.get("stringData") or {}).get(key)
            if secret.get("type", "Opaque") != secret_type or text is None:
                continue
            users = dict(line.split(":", 1) for line in text.splitlines() if line)
            place = (secret["metadata"]["namespace"], secret["metadata"]["name"])
            self._htpasswd[place] = {user: digest.encode() for user, digest in users.items()}

    def htpasswd_users(self, namespace: str, name: str) -> set[str]:
        """The users an htpasswd Secret holds, as the controller reads it."""
        return set(self._htpasswd.get((namespace, name), {}))

    def location(self, host: str, path: str) -> Location | None:
        server = self.servers.get(host)
        return find_location(server.locations, path.split("?", 1)[0]) if server is not None else None

    def __call__(self, source_ip: str, path: str, headers: Mapping[str, str]) -> int:
        location = self.location(headers["Host"], path)
        if location is None:
            return NOT_FOUND
        client = ipaddress.ip_address(source_ip)
        # The access phase, `satisfy all` (nginx's default): the first handler that refuses answers. allow/deny runs
        # before auth_basic, so a stranger gets 403, not 401: ngx_http_init_phase_handlers (src/http/ngx_http.c)
        # runs a phase's handlers in the reverse order of their modules' registration, and auto/modules registers
        # ngx_http_auth_basic_module before ngx_http_access_module.
        if location.allow is not None and not any(client in ipaddress.ip_network(c) for c in location.allow):
            return FORBIDDEN
        if location.auth is not None:
            users = self._htpasswd.get(location.auth)
            if users is None:
                return BROKEN_AUTH[self.flavor]
            scheme, _, token = headers.get("Authorization", "").partition(" ")
            if scheme != "Basic":
                return UNAUTHORIZED
            user, _, password = base64.b64decode(token).decode().partition(":")
            if user not in users or not bcrypt.checkpw(password.encode(), users[user]):
                return UNAUTHORIZED
        return OK

    # -- the connection to the backend ---------------------------------------------------------

    def connection(self, host: str, path: str) -> BackendConnection:
        """How the controller connects to the backend of the location a request reaches.

        ingress-nginx: `backend-protocol: HTTPS` makes `proxy_pass https://upstream_balancer` (template.go
        buildProxyPass); the proxy-ssl-* annotations are read only beside `proxy-ssl-secret` (proxyssl/main.go Parse
        returns at its error) and emitted per location (nginx.tmpl: `proxy_ssl_verify`, `proxy_ssl_name` when set,
        `proxy_ssl_server_name`); nginx's defaults are `proxy_ssl_verify off`, `proxy_ssl_server_name off` and
        `proxy_ssl_name $proxy_host`, the host of proxy_pass: `upstream_balancer` (nginx docs,
        ngx_http_proxy_module). F5: `nginx.org/ssl-services` names the Services reached with TLS; it never verifies
        (no CA without an EgressMTLS Policy), and the name comes only from a location snippet."""
        location = self.location(host, path)
        assert location is not None, (host, path)
        annotations = annotations_of(location.ingress)
        [backend] = {(entry["backend"]["service"]["name"], str(entry["backend"]["service"]["port"].get(
            "number", entry["backend"]["service"]["port"].get("name"))))
            for rule in location.ingress["spec"]["rules"] if rule["host"] == host for entry in rule_paths(rule)}
        address = f"{backend[0]}.{location.ingress['metadata']['namespace']}.svc:{backend[1]}"
        if self.flavor == "nginx-inc":
            services = [s.strip() for s in annotations.get("nginx.org/ssl-services", "").split(",") if s.strip()]
            snippets = annotations.get("nginx.org/location-snippets", "")
            name = re.search(r"^proxy_ssl_name (\S+);$", snippets, re.M)
            sni = re.search(r"^proxy_ssl_server_name on;$", snippets, re.M) is not None
            return BackendConnection(address, backend[0] in services, False, name.group(1) if name else None,
                                     name.group(1) if name and sni else None, None)
        prefix = "nginx.ingress.kubernetes.io/"
        tls = annotations.get(prefix + "backend-protocol", "HTTP").upper() == "HTTPS"
        if prefix + "proxy-ssl-secret" not in annotations:
            return BackendConnection(address, tls, False, PROXY_HOST, None, None)
        name = annotations.get(prefix + "proxy-ssl-name") or PROXY_HOST
        server_name = annotations.get(prefix + "proxy-ssl-server-name", "off") == "on"
        return BackendConnection(address, tls, annotations.get(prefix + "proxy-ssl-verify", "off") == "on", name,
                                 name if server_name else None, annotations[prefix + "proxy-ssl-secret"])

    # -- what reaches the app ----------------------------------------------------------------

    def forwarded_headers(self, client_ip: str, headers: Mapping[str, str], nlb: str) -> dict[str, str]:
        """The client-address and scheme headers the app receives for a request from `client_ip` that the NLB, from
        its address `nlb`, passes on with a PROXY header naming `client_ip`, as the controller's Helm values configure
        nginx (its ConfigMap entries, each with the controller's default when absent).

        Both templates send `X-Real-IP $remote_addr`. ingress-nginx (nginx.tmpl at controller-v1.15.1): the realip
        module is on with `use-forwarded-headers`, `use-proxy-protocol` or `enable-real-ip`; its header is
        `proxy_protocol` with proxy protocol alone, the custom `X-Forwarded-For-Proxy-Protocol` with both (the
        client's `X-Forwarded-For` when the PROXY address is in `proxy-real-ip-cidr`, else the PROXY address: the
        `geo`/`map`/`more_set_input_headers` block), else `forwarded-for-header`; `real_ip_recursive on`;
        `set_real_ip_from` each of `proxy-real-ip-cidr` (default 0.0.0.0/0, config.go defIPCIDR). `X-Forwarded-For` is
        `$full_x_forwarded_for` (the client's header, then the PROXY address) with `use-forwarded-headers` and
        `compute-full-forwarded-for`, else `$remote_addr`; `X-Forwarded-Port` the PROXY header's port (443) with
        proxy protocol, which makes the scheme `https` (lua_ingress.lua). F5 (nginx.ingress.tmpl at v5.5.4, ConfigMap
        keys of internal/configs/configmaps.go): `set_real_ip_from` per `set-real-ip-from`, `real_ip_header` only
        when `real-ip-header` is set (else nginx's default, `X-Real-IP`), `real_ip_recursive` with
        `real-ip-recursive`; `X-Forwarded-For $proxy_add_x_forwarded_for` (the client's header, then
        `$remote_addr`), `X-Forwarded-Port $server_port`, `X-Forwarded-Proto` https under `redirect-to-https`."""
        sent = {name.lower(): value for name, value in headers.items()}
        controller = self.values["controller"]
        if self.flavor == "nginx-inc":
            entries = controller["config"]["entries"]
            proxy_protocol = client_ip if _on(entries.get("proxy-protocol")) else None
            trusted = _list(entries.get("set-real-ip-from"))
            remote = _real_ip(nlb, entries.get("real-ip-header") or "X-Real-IP", sent, proxy_protocol, trusted,
                              _on(entries.get("real-ip-recursive")))
            previous = sent.get("x-forwarded-for")
            return {"X-Real-IP": remote, "X-Forwarded-For": f"{previous}, {remote}" if previous else remote,
                    "X-Forwarded-Port": str(self.app_port()),
                    "X-Forwarded-Proto": "https" if _on(entries.get("redirect-to-https")) else "http"}
        config = controller.get("config") or {}
        forwarded, use_proxy = _on(config.get("use-forwarded-headers")), _on(config.get("use-proxy-protocol"))
        proxy_protocol = client_ip if use_proxy else None
        trusted = _list(config.get("proxy-real-ip-cidr", "0.0.0.0/0"))
        header = config.get("forwarded-for-header", "X-Forwarded-For")
        remote = nlb
        if forwarded or use_proxy or _on(config.get("enable-real-ip")):
            if forwarded and use_proxy:
                chosen = sent.get(header.lower(), "") if _within(client_ip, trusted) else client_ip
                sent = {**sent, "x-forwarded-for-proxy-protocol": chosen}
                header = "X-Forwarded-For-Proxy-Protocol"
            elif use_proxy:
                header = "proxy_protocol"
            remote = _real_ip(nlb, header, sent, proxy_protocol, trusted, recursive=True)
        previous = sent.get("x-forwarded-for")
        if forwarded and _on(config.get("compute-full-forwarded-for")):
            last = proxy_protocol if use_proxy else nlb
            forwarded_for = f"{previous}, {last}" if previous else str(last)
        else:
            forwarded_for = remote
        return {"X-Real-IP": remote, "X-Forwarded-For": forwarded_for,
                "X-Forwarded-Port": "443" if use_proxy else str(self.app_port()),
                "X-Forwarded-Proto": "https" if use_proxy else "http"}

    # -- ports ---------------------------------------------------------------------------------

    def app_port(self) -> int:
        """The pod port the NLB's TLS listener (443) reaches: the Service port's target, by container-port name
        (F5 chart `service.customPorts`, ingress-nginx chart `service.targetPorts.https`)."""
        controller = self.values["controller"]
        service = controller["service"]
        if self.flavor == "nginx-inc":
            [https] = [p for p in service.get("customPorts") or [] if p["port"] == 443]
            target = https["targetPort"]
        else:
            target = service["targetPorts"]["https"]
        return int(controller["containerPort"][target]) if isinstance(target, str) else int(target)

    def edge_class(self) -> str:
        """The IngressClass of the controller whose values the site has."""
        controller = self.values["controller"]
        return str((controller.get("ingressClass") if self.flavor == "nginx-inc"
                    else controller["ingressClassResource"])["name"])

    def tls_ports(self) -> set[int]:
        """Ports that controller's nginx accepts TLS on: nginx keeps one set of options per address and port and
        ORs `ssl` over every server listening there (src/http/ngx_http.c ngx_http_add_addresses), so one server's
        `ssl` makes the port TLS for all."""
        if self.flavor == "ingress-nginx":
            # Every server listens on the http port plain and on the https port with ssl, whatever the Ingress
            # (nginx.tmpl `buildHTTPListener` / `buildHTTPSListener`).
            return {int(self.values["controller"]["containerPort"].get("https", 443))}
        controller = self.values["controller"]
        entries = controller["config"]["entries"]
        listens: list[tuple[int, bool]] = [(int(controller.get("defaultHTTPListenerPort", 80)), False),
                                           (int(controller.get("defaultHTTPSListenerPort", 443)), True)]
        for snippet in (entries.get("server-snippets", ""), entries.get("http-snippets", "")):
            listens += [(int(port), "ssl" in rest.split()) for port, rest in
                        re.findall(r"^\s*listen (?:\[::\]:)?(\d+)([^;]*);", snippet, re.M)]
        for host in self.servers:
            holder = self._holder(host)
            if holder is None or ingress_class(holder, self.flavor) != self.edge_class():
                continue
            annotations = annotations_of(holder)
            ports = _port_list(annotations.get("nginx.org/listen-ports")) or [80]
            listens += [(port, False) for port in ports]
            # addSSLConfig (internal/configs/ingress.go): the server is SSL when spec.tls names its host; then it
            # listens on its SSL ports, [443] unless nginx.org/listen-ports-ssl (config_params.go
            # NewDefaultConfigParams, annotations.go), with `ssl` (nginx.ingress.tmpl, the SSLPorts loop).
            if any(host in (tls.get("hosts") or []) for tls in holder["spec"].get("tls") or []):
                ssl_ports = _port_list(annotations.get("nginx.org/listen-ports-ssl")) or [443]
                listens += [(port, True) for port in ssl_ports]
        return {port for port, ssl in listens if ssl}

    def _holder(self, host: str) -> Mapping[str, Any] | None:
        """The regular or master Ingress whose server `host` is (F5: minions add no server of their own)."""
        for ingress in self.ingresses:
            if annotations_of(ingress).get(MERGEABLE) == "minion":
                continue
            if any(rule["host"] == host for rule in ingress["spec"].get("rules") or []):
                return ingress
        return None


def _on(value: Any) -> bool:
    """A ConfigMap boolean (both controllers parse with strconv.ParseBool: `true`, `1`, `t`...)."""
    return str(value).strip().lower() in ("1", "t", "true")


def _list(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _within(address: str, cidrs: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == ipaddress.ip_network(cidr).version and ip in ipaddress.ip_network(cidr) for cidr in cidrs)


def _real_ip(peer: str, header: str, sent: Mapping[str, str], proxy_protocol: str | None, trusted: list[str],
             recursive: bool) -> str:
    """`$remote_addr` after nginx's realip module (src/http/modules/ngx_http_realip_module.c
    `ngx_http_realip_handler`): unchanged unless the connection's address is in `set_real_ip_from`; then the PROXY
    header's address for `proxy_protocol`, else the header's value read as a list (`X-Real-IP` and any other header
    as `X-Forwarded-For`): its last address, or with `real_ip_recursive` the last one not itself trusted
    (src/http/ngx_http_core_module.c `ngx_http_get_forwarded_addr`). A missing or unparsable value changes nothing."""
    if not _within(peer, trusted):
        return peer
    if header == "proxy_protocol":
        return proxy_protocol or peer
    value = sent.get(header.lower())
    if not value:
        return peer
    addresses = [part.strip() for part in value.split(",")]
    chosen = addresses[-1]
    if recursive:
        for address in reversed(addresses):
            chosen = address
            if not _within(address, trusted):
                break
    return chosen if _within(chosen, ["0.0.0.0/0", "::/0"]) else peer


def _port_list(text: str | None) -> list[int]:
    """internal/configs/parsing_helpers.go ParsePortList: comma-separated port numbers."""
    return [int(part) for part in (text or "").split(",") if part.strip()]
