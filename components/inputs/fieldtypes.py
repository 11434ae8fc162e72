"""Field types shared by the stack settings and the app catalogue: DNS names and CIDR blocks.

Each is a pydantic `Annotated` type whose validator explains what a valid value looks like.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+$")
LABEL_RE = re.compile(rf"^{_LABEL}$")


def _domain(value: str) -> str:
    value = value.rstrip(".").lower()
    if not DOMAIN_RE.match(value):
        raise ValueError(f"'{value}' is not a DNS domain name such as 'dev.example.com'")
    return value


def _label(value: str) -> str:
    if not LABEL_RE.match(value):
        raise ValueError(
            f"'{value}' is not a DNS label (RFC 1123: lowercase a-z, 0-9 and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as err:
        raise ValueError(f"'{value}' is not a CIDR block: {err}") from None


Domain = Annotated[str, AfterValidator(_domain)]
"""A DNS domain of two labels or more, lower-cased, without the trailing dot."""
Label = Annotated[str, AfterValidator(_label)]
"""One DNS label (RFC 1123): also a valid Kubernetes object name."""
Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 or IPv6 network without host bits, e.g. `10.0.0.0/16`."""
