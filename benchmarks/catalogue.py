"""Synthetic `apps.yaml` catalogues of N apps with a realistic mix, for the scale benchmarks.

The mix follows what a platform team's catalogue tends to look like (and what the issue
asks the benchmarks to cover):

- ~60% public / ~40% private apps;
- ~half route to an existing Service, ~half deploy an image (Deployment + Service);
- ~10% behind basic auth with 1-2 users (a RandomPassword per user + an htpasswd Secret);
- ~20% with a rate limit; some public apps with a KEYWORD monitor; a few with allow-lists
  or a body-size limit;
- ~15% share a host with an earlier app of the same visibility on a path of their own
  (path-based routing: the host keeps one DNS record).

Generation is seeded, so a given N always gives the same catalogue: two runs of a
benchmark measure the same program input.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

PUBLIC_SHARE = 0.60
DEPLOY_SHARE = 0.50
BASIC_AUTH_SHARE = 0.10
RATE_LIMIT_SHARE = 0.20
KEYWORD_MONITOR_SHARE = 0.15
"""Of the public apps."""
SHARED_HOST_SHARE = 0.15
ALLOW_CIDRS_SHARE = 0.05
MAX_BODY_SHARE = 0.10
DEFAULT_SEED = 20261122

TEAMS = ("storefront", "payments", "search", "identity", "data", "ops", "marketing", "support")


@dataclass(frozen=True)
class CatalogueStats:
    """What a generated catalogue contains, for reports and cost models."""

    apps: int
    public: int
    private: int
    deployed: int
    basic_auth_users: int
    basic_auth_apps: int
    rate_limited: int
    keyword_monitors: int
    hosts: int
    public_hosts: int


def generate_apps(n: int, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """`n` app entries (apps.yaml shape, camelCase fields), valid for every example stack."""
    rng = random.Random(f"{seed}/{n}")
    apps: list[dict[str, Any]] = []
    # Apps that own a host, per visibility: candidates for another app to share their host.
    host_owners: dict[str, list[dict[str, Any]]] = {"public": [], "private": []}
    for index in range(n):
        name = f"app-{index:04d}"
        team = TEAMS[rng.randrange(len(TEAMS))]
        visibility = "public" if rng.random() < PUBLIC_SHARE else "private"
        app: dict[str, Any] = {"name": name, "namespace": team, "visibility": visibility}

        owners = host_owners[visibility]
        if owners and rng.random() < SHARED_HOST_SHARE:
            # Join an earlier host on a path of this app's own, so host+path stays unique.
            owner = owners[rng.randrange(len(owners))]
            app["host"] = owner["host"]
            app["paths"] = [f"/{name}"]
            # Apps on one host usually belong to one team (a web app and its API).
            app["namespace"] = owner["namespace"]
        else:
            app["host"] = name
            owners.append(app)

        if rng.random() < DEPLOY_SHARE:
            app["deploy"] = {"image": f"ghcr.io/acme/{name}:1.{index % 17}.{index % 5}",
                             "port": 8080, "replicas": 1 + index % 3}
        else:
            app["service"] = {"name": f"{name}-svc", "port": 80}
        app["healthPath"] = f"{app.get('paths', ['/'])[0].rstrip('/')}/healthz"

        if visibility == "public" and rng.random() < KEYWORD_MONITOR_SHARE:
            app["monitor"] = {"type": "KEYWORD", "keyword": f"{name} ok"}
        if rng.random() < RATE_LIMIT_SHARE:
            rps = rng.choice((5, 10, 20, 50, 100))
            app["rateLimit"] = {"rps": rps, "burst": rps * 2, "connections": rps * 3}
        if rng.random() < BASIC_AUTH_SHARE:
            app["auth"] = {"basic": {"users": ["alice", "bob"][: 1 + rng.randrange(2)]}}
        if rng.random() < ALLOW_CIDRS_SHARE:
            # A private app's clients must be inside the private edge's allow-list: the office VPN every example
            # stack admits (172.20.0.0/22).
            app["allowCidrs"] = [f"172.20.{index % 4}.0/24" if visibility == "private" else f"10.{index % 250}.0.0/16"]
        if rng.random() < MAX_BODY_SHARE:
            app["maxBodySize"] = rng.choice(("4m", "8m", "16m"))
        app["dashboard"] = {"group": team.title()}
        apps.append(app)
    return apps


def stats(apps: list[dict[str, Any]]) -> CatalogueStats:
    """Counts of what a catalogue asks for (hosts as label+visibility, the way they resolve)."""
    hosts = {(a["visibility"], a.get("host", a["name"])) for a in apps}
    return CatalogueStats(
        apps=len(apps),
        public=sum(a["visibility"] == "public" for a in apps),
        private=sum(a["visibility"] == "private" for a in apps),
        deployed=sum("deploy" in a for a in apps),
        basic_auth_users=sum(len(a["auth"]["basic"]["users"]) for a in apps if "auth" in a),
        basic_auth_apps=sum("auth" in a for a in apps),
        rate_limited=sum("rateLimit" in a for a in apps),
        keyword_monitors=sum(a.get("monitor", {}).get("type") == "KEYWORD" for a in apps),
        hosts=len(hosts),
        public_hosts=sum(v == "public" for v, _ in hosts),
    )


def write_catalogue(n: int, directory: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write the catalogue of `n` apps as `apps-<n>.yaml` in `directory` and return its path."""
    path = directory / f"apps-{n}.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(f"# Generated by benchmarks/catalogue.py: {n} apps, seed {seed}.\n")
        dump_apps(generate_apps(n, seed), handle)
    return path


def dump_apps(apps: list[dict[str, Any]], handle: TextIO) -> None:
    """Write `apps` as an apps.yaml document: nested mappings inline (flow style), as people write apps.yaml."""
    yaml.safe_dump({"apps": apps}, handle, default_flow_style=None, sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    """`python benchmarks/catalogue.py N [DIR]`: write the catalogue of N apps (to profile a run by hand)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or not args[0].isdigit() or len(args) > 2:
        print("usage: python benchmarks/catalogue.py N [DIR]", file=sys.stderr)
        return 2
    directory = Path(args[1]) if len(args) > 1 else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    print(write_catalogue(int(args[0]), directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
