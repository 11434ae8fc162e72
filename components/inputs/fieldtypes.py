"""Field types shared by the stack settings and the app catalogue: DNS names, URL paths, CIDR blocks.

Each is a pydantic `Annotated` type whose validator explains what a valid value looks like, and
whose JSON Schema (`apps.schema.json`) carries the same rule as a pattern where a pattern can say
it. Patterns are written so that Python (`re.fullmatch`), the Rust engine pydantic uses and
ECMA-262 (JSON Schema's regex dialect, what editors run) read them alike: no lookaround, and
every check in Python is a full match (`$` in Python also matches before a final newline, which
let `name: "shop\\n"` through).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from components.inputs.problems import shown

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
LABEL_PATTERN = rf"^{_LABEL}$"
LABEL_RE = re.compile(_LABEL)
"""One DNS label (RFC 1123); use with `fullmatch`."""
DOMAIN_RE = re.compile(rf"{_LABEL}(\.{_LABEL})+")
"""A domain of two labels or more; use with `fullmatch` (and check the 253-character limit)."""
_HOST_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_PATTERN = rf"^{_HOST_LABEL}(\.{_HOST_LABEL})*$"
"""A host as apps.yaml takes it: a label, or dot-separated labels (ASCII, either case: DNS ignores case)."""
HOST_RE = re.compile(HOST_PATTERN[1:-1])
DNS_NAME_MAX = 253

# URL paths that Kubernetes and both controller flavors accept for `pathType: Prefix`:
# - Kubernetes (pkg/apis/networking/validation, validateIngressHTTPPath): starts with '/', contains none of
#   "//", "/./", "/../", "%2f", "%2F", and does not end in "/." or "/..";
# - ingress-nginx (internal/ingress/inspector/rules.go, validPathType, enforced by `strict-validate-path-type`,
#   on by default since v1.12): only letters, digits, '.', '_', '-' and '/';
# - F5 NGINX Ingress Controller (internal/k8s/validation.go, validatePath): no white space, ';', '{', '}' or '$'
#   (nginx syntax; the paths land in nginx.conf location blocks), no '..' segment, no leading "//".
# The intersection: '/'-separated segments of [A-Za-z0-9._-], none empty (no "//"), none "." or "..".
_SEGMENT = r"([A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+)"
URL_PATH_PATTERN = rf"^/({_SEGMENT}(/{_SEGMENT})*/?)?$"
URL_PATH_RE = re.compile(URL_PATH_PATTERN[1:-1])
URL_PATH_MAX = 1024
_PATH_CHARS = re.compile(r"[A-Za-z0-9._/-]")

# An address and a prefix length (the shape only: host bits and IPv6 grammar are checked by `ipaddress`).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
CIDR_PATTERN = (rf"^({_OCTET}(\.{_OCTET}){{3}}/(3[0-2]|[12]?[0-9])"
                r"|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))$")
CIDR_RE = re.compile(CIDR_PATTERN[1:-1])

# Allow-lists that admit most of the internet are mistakes (or `0.0.0.0/0` split in pieces: 0.0.0.0/1 +
# 128.0.0.0/1). The bound per list and address family is the largest block ever assigned to one organisation:
# an IPv4 /8 (a legacy class A, e.g. 17.0.0.0/8) and an IPv6 /32 (the RIRs' standard allocation to a network
# operator, which holds 65,536 /48 sites). Private and special-purpose ranges do not count.
PUBLIC_PREFIX_BOUND = {4: 8, 6: 32}
NOT_PUBLIC = tuple(ipaddress.ip_network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
    "100.64.0.0/10",  # RFC 6598 shared address space (carrier-grade NAT)
    "127.0.0.0/8", "169.254.0.0/16",  # loopback, link-local
    "fc00::/7", "fe80::/10", "::1/128",  # unique local, link-local, loopback
))


def _ascii_only(value: str, what: str) -> None:
    """Non-ASCII letters change under case folding (U+212A KELVIN SIGN lower-cases to 'k'): refuse them."""
    odd = next((ch for ch in value if not ch.isascii()), None)
    if odd is not None:
        raise ValueError(f"'{shown(value)}' holds the non-ASCII character '{odd}' (U+{ord(odd):04X}); {what} must "
                         "be ASCII (an internationalised name in its 'xn--' form)")


def _domain(value: str) -> str:
    _ascii_only(value, "a domain")
    domain = value.removesuffix(".").lower()
    if len(domain) > DNS_NAME_MAX or not DOMAIN_RE.fullmatch(domain):
        raise ValueError(f"'{shown(value)}' is not a DNS domain name such as 'dev.example.com'")
    return domain


def _label(value: str) -> str:
    if not LABEL_RE.fullmatch(value):
        raise ValueError(
            f"'{shown(value)}' is not a DNS label (RFC 1123: lowercase a-z, 0-9 and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _host(value: str) -> str:
    _ascii_only(value, "a host")
    if value.endswith("."):
        raise ValueError(f"'{shown(value)}' ends with a dot: write a label ('shop') or a name in the zone "
                         "('shop.dev.example.com') without the final dot")
    if len(value) > DNS_NAME_MAX:
        raise ValueError(f"'{shown(value)}' is longer than {DNS_NAME_MAX} characters, the longest DNS name")
    if not HOST_RE.fullmatch(value):
        labels = value.split(".")
        bad = next((label for label in labels if not re.fullmatch(_HOST_LABEL, label)), value)
        if len(labels) > 1:
            raise ValueError(f"'{shown(bad)}' in '{shown(value)}' is not a DNS label (a-z, 0-9 and '-')")
        raise ValueError(f"'{shown(value)}' is not a DNS label (a-z, 0-9 and '-', at most 63 characters)")
    return value


def url_path_problem(value: str) -> str | None:
    """Why `value` is no URL path prefix Kubernetes and both flavors accept (None when it is one)."""
    if not value.startswith("/"):
        return "must start with '/'"
    if len(value) > URL_PATH_MAX:
        return f"is longer than {URL_PATH_MAX} characters"
    odd = next((ch for ch in value if not _PATH_CHARS.fullmatch(ch)), None)
    if odd is not None:
        what = ("white space" if odd.isspace() else f"the control character U+{ord(odd):04X}" if not odd.isprintable()
                else f"'{odd}'")
        reason = {"%": " (no percent-encoding: Kubernetes refuses '%2F' and the controllers match decoded paths)",
                  "?": " (a query string is not part of a path)", "#": " (a fragment never reaches the server)",
                  ";": " (nginx syntax)", "{": " (nginx syntax)", "}": " (nginx syntax)", "$": " (nginx syntax)"}
        return (f"must not contain {what}{reason.get(odd, '')}: a Prefix path may hold only letters, digits, "
                "'.', '_', '-' and '/' (ingress-nginx's strict path validation; regular expressions are not paths)")
    if "//" in value:
        return "must not contain '//' (Kubernetes refuses it)"
    segments = value.split("/")
    if "." in segments or ".." in segments:
        return "must not have a '.' or '..' segment (Kubernetes refuses '/./', '/../' and a trailing '/.' or '/..')"
    return None


def _url_path(value: str) -> str:
    reason = url_path_problem(value)
    if reason is not None:
        raise ValueError(f"'{shown(value)}' {reason}")
    return value


def _cidr(value: str) -> str:
    if not CIDR_RE.fullmatch(value):
        raise ValueError(f"'{shown(value)}' is not a CIDR block: write an address and a prefix length, "
                         "e.g. '10.0.0.0/16' or '2001:db8::/32'")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"'{shown(value)}' is not a CIDR block: {err}") from None
    if network.prefixlen == 0:  # checked per block, so that it is reported with the block's other problems
        raise ValueError(f"the allow-list must not contain '{value}': it admits every address, so the allow-list "
                         "would restrict nothing (for the private edge: it would be public)")
    bound = PUBLIC_PREFIX_BOUND[network.version]
    if network.prefixlen < bound and public_addresses([network]) > 0:
        raise ValueError(f"'{value}' is wider than /{bound}, the largest public block an allow-list may admit "
                         f"(the largest ever assigned to one organisation); list the networks you mean")
    return str(network)


def public_addresses(networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> int:
    """How many addresses outside private and special-purpose ranges the networks admit together."""
    total = 0
    for network in ipaddress.collapse_addresses(networks):
        if not any(network.version == block.version and network.subnet_of(block) for block in NOT_PUBLIC):
            total += network.num_addresses
    return total


def _bounded_allow_list(cidrs: list[str]) -> list[str]:
    for version, bound in PUBLIC_PREFIX_BOUND.items():
        networks = [net for net in map(ipaddress.ip_network, cidrs) if net.version == version]
        count = public_addresses(networks)
        if count > 2 ** ((32 if version == 4 else 128) - bound):
            raise ValueError(f"the IPv{version} blocks admit {count:,} public addresses together, more than one "
                             f"/{bound} (the largest block an allow-list may admit): most of the internet in "
                             "pieces; list the networks you mean")
    return cidrs


def text(max_length: int) -> object:
    """A non-empty line of text of at most `max_length` characters, without control characters."""
    return Field(min_length=1, max_length=max_length, pattern=r"^[^\x00-\x1f\x7f]+$")


Domain = Annotated[str, AfterValidator(_domain)]
"""A DNS domain of two labels or more, lower-cased, without the trailing dot."""
Label = Annotated[str, AfterValidator(_label), WithJsonSchema({"type": "string", "pattern": LABEL_PATTERN})]
"""One DNS label (RFC 1123): also a valid Kubernetes object name."""
HostName = Annotated[str, AfterValidator(_host),
                     WithJsonSchema({"type": "string", "pattern": HOST_PATTERN, "maxLength": DNS_NAME_MAX})]
"""A label or a dotted DNS name, ASCII, without a trailing dot (which zone it belongs to is checked later)."""
UrlPath = Annotated[str, AfterValidator(_url_path),
                    WithJsonSchema({"type": "string", "pattern": URL_PATH_PATTERN, "maxLength": URL_PATH_MAX})]
"""A URL path prefix that Kubernetes (`pathType: Prefix`) and both controller flavors accept."""
Cidr = Annotated[str, AfterValidator(_cidr), WithJsonSchema({"type": "string", "pattern": CIDR_PATTERN})]
"""An IPv4 or IPv6 network without host bits, e.g. `10.0.0.0/16`; a public one at most /8 (IPv4) or /32 (IPv6)."""
ALLOW_LIST_MAX = 500
"""Most blocks in one allow-list: each becomes an nginx `allow` line (and counts towards the 256 KiB of
annotations Kubernetes allows an object)."""
AllowList = Annotated[list[Cidr], Field(max_length=ALLOW_LIST_MAX), AfterValidator(_bounded_allow_list)]
"""CIDR blocks of an allow-list: together at most one /8 (IPv4) or /32 (IPv6) of public addresses."""
CODEOWNER_PATTERN = (r"^(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?"
                     r"|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63})$")
"""A code owner as GitHub's CODEOWNERS names one (GitHub Docs, "About code owners": `@username`,
`@org/team-name`, or an email address). User names are letters, digits and hyphens, at most 39 characters
(GitHub's sign-up rule); team slugs letters, digits, '.', '_' and '-'."""
CodeOwner = Annotated[str, Field(pattern=CODEOWNER_PATTERN)]
