"""DNS decisions: record names, ExternalDNS ownership markers, and who declares a host's records.

gangplank never overwrites a record it did not create (`allow_overwrite` is never set), and
it marks its own records the way ExternalDNS's TXT registry does, with an owner id of its
own. ExternalDNS then leaves gangplank's records alone, and gangplank leaves ExternalDNS's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OWNER_PREFIX = "gangplank"


def owner_id(stack: str) -> str:
    """The ExternalDNS owner id of a stack: distinct per stack, never ExternalDNS's own."""
    return f"{OWNER_PREFIX}-{stack}"


def ownership_record_name(record_type: str, host: str) -> str:
    """Name of the ExternalDNS TXT registry record for a record (`a-<host>`, `aaaa-<host>`).

    This is ExternalDNS's current registry format: a TXT beside the A record at the same name
    would be fine for A, but the prefixed form works for every record type.
    """
    return f"{record_type.lower()}-{host}"


def ownership_value(stack: str, resource: str) -> str:
    """The TXT value ExternalDNS reads: heritage, owner and the Kubernetes resource behind the name."""
    return f"heritage=external-dns,external-dns/owner={owner_id(stack)},external-dns/resource={resource}"


def record_types(dualstack: bool) -> list[str]:
    """Alias records a host gets: AAAA too when the load balancer has IPv6 addresses."""
    return ["A", "AAAA"] if dualstack else ["A"]


@dataclass(frozen=True)
class HostShare:
    """The apps that share one host, in catalogue order."""

    host: str
    apps: tuple[str, ...]

    @property
    def owner(self) -> str:
        """The app that declares the host's records (and, for mergeable flavors, its master Ingress)."""
        return self.apps[0]

    @property
    def shared(self) -> bool:
        return len(self.apps) > 1


def host_shares(apps: Iterable[tuple[str, str]]) -> dict[str, HostShare]:
    """Group `(app name, host)` pairs by host: one DNS record per host, whatever the number of apps."""
    grouped: dict[str, list[str]] = {}
    for name, host in apps:
        grouped.setdefault(host, []).append(name)
    return {host: HostShare(host, tuple(names)) for host, names in grouped.items()}


def host_resource_name(host: str) -> str:
    """Resource-name stem of what belongs to a host rather than an app.

    Named after the host, not the owning app, so that when the owner changes (the first app
    of a shared host is removed) the records keep their URN: Pulumi sees no change instead of
    a create that Route53 would refuse (the name exists) followed by a delete.
    """
    return host
