"""The reference documents the tests check against: the one registry of them, and how a session gets them.

They are not in the repository. The team keeps them in `shared/` beside it (or where
`GANGPLANK_SHARED_DIR` points), each folder with a NOTICE naming its source, licence and sha256.
`DOCUMENTS` lists every one, with its pinned upstream URL (raw.githubusercontent.com at the
NOTICE's commit) and its sha256. At the start of a test session (`tests/conftest.py`):

- where `shared/` holds every required document, the tests read them there (each checked against
  its sha256, so a corrupted copy is named rather than tested against);
- otherwise the missing ones are fetched from upstream into `.reference-documents/` in the
  repository (git-ignored; `GANGPLANK_REFERENCE_CACHE` names another folder), the copies in
  `shared/` are copied beside them, each checked, and the tests read that folder;
- where a required document can be neither found nor fetched, the session stops with one line
  saying where to put the documents or what to run;
- an optional document (not in every `shared/` folder yet) is never fetched by a session: a machine
  without GitHub would pay a timeout in every run. `tests/fetch-reference-documents.sh` fetches it;
  until then the tests that read it skip, saying so in one line (`missing_optional`).

docs/testing.md, "Running the tests", says the same for people.

`tests/fetch-reference-documents.sh [DIR]` runs `python3 -m tests.reference fetch DIR` (default
`../shared`): the same registry, for machines that want the folder itself. Only the standard library
is used here, so the script runs before anything is installed. `GANGPLANK_REFERENCE_BASE_URL`
replaces `https://raw.githubusercontent.com` (the tests of the fetching serve the documents from
127.0.0.1).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("GANGPLANK_SHARED_DIR") or ROOT.parent / "shared")
CACHE_DIR = Path(os.environ.get("GANGPLANK_REFERENCE_CACHE") or ROOT / ".reference-documents")
UPSTREAM = "https://raw.githubusercontent.com"
BASE_URL = os.environ.get("GANGPLANK_REFERENCE_BASE_URL") or UPSTREAM
FETCH_TIMEOUT_S = 30
SHOWN_NAMES = 4
"""Documents named one by one in the line that stops a session; the rest are counted."""


@dataclass(frozen=True)
class Source:
    """An upstream repository at the revision the documents were copied from (see each NOTICE)."""

    repo: str
    """`owner/name` on GitHub."""
    revision: str
    """The commit the NOTICE names (immutable, unlike a tag); a tag only where no commit is pinned yet."""
    tag: str
    """The release tag at that revision, for people."""


F5_INGRESS = Source("nginx/kubernetes-ingress", "f92a24e4fd2b52c72739c4a1f4f9bb6424bf5731", "v5.5.4")
GATEWAY_API = Source("kubernetes-sigs/gateway-api", "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3", "v1.6.1")
ENVOY_GATEWAY = Source("envoyproxy/gateway", "39763b1c07ec30a5526fe70434a2cfe4181de642", "v1.9.0")
NGINX_GATEWAY_FABRIC = Source("nginx/nginx-gateway-fabric", "5e34a17a8f7787e90f41d1af91258a556f0795b4", "v2.6.7")
UPTIMEROBOT_CLI = Source("uptimerobot/uptimerobot-cli", "48cf89d87d3e003bfb2049ab9ce0f56618d783ef", "2026-07-29")
FORECASTLE = Source("stakater/Forecastle", "80741ab5dcf2a43fe87f0b250c11e40b197e0fcc", "v1.0.159")


@dataclass(frozen=True)
class Document:
    """One reference document: where it sits under `shared/`, where it comes from, and its sha256."""

    path: str
    """Relative to `shared/` (and to the cache folder), e.g. `charts/nginx-ingress-2.6.4.values.schema.json`."""
    source: Source
    upstream_path: str
    """Path in the upstream repository."""
    sha256: str
    required: bool = True
    """False for a document not in every shared/ folder yet: only `tests/fetch-reference-documents.sh` fetches it,
    and the tests that read it skip when it is missing (`missing_optional`), rather than the session stopping."""

    def url(self, base_url: str = UPSTREAM) -> str:
        return f"{base_url.rstrip('/')}/{self.source.repo}/{self.source.revision}/{self.upstream_path}"


def _folder(shared: str, source: Source, upstream: str, sums: str) -> tuple[Document, ...]:
    """Documents copied file for file from one upstream folder: `sums` as the NOTICE lists them."""
    documents = []
    for line in sums.strip().splitlines():
        digest, name = line.split()
        documents.append(Document(f"{shared}/{name}", source, f"{upstream}/{name}", digest))
    return tuple(documents)


DOCUMENTS: tuple[Document, ...] = (
    # charts/NOTICE
    Document("charts/nginx-ingress-2.6.4.values.schema.json", F5_INGRESS, "charts/nginx-ingress/values.schema.json",
             "49a1b1a68c6a79dc0f923f557cc778ec0e56d2835389c649163114910e56bd4c"),
    Document("charts/nginx-gateway-fabric-2.6.7.values.schema.json", NGINX_GATEWAY_FABRIC,
             "charts/nginx-gateway-fabric/values.schema.json",
             "9d3fd4b04f33f441c990c9782befc877173ce35280701315a57a3594386ae83d"),
    Document("charts/envoy-gateway-helm-v1.9.0.values.tmpl.yaml", ENVOY_GATEWAY, "charts/gateway-helm/values.tmpl.yaml",
             "d8f66cda56be8775f4421454297e7b502096aa3cf62546aecd82f27cd00edc36"),
    # uptimerobot/NOTICE
    Document("uptimerobot/openapi-v3.yaml", UPTIMEROBOT_CLI, "openapi/openapi.yaml",
             "1067b9e072927ec0e2de83520cf2e44db83d81427668673dc1a663db8675783d"),
    # gateway-api/NOTICE
    *_folder("gateway-api/standard", GATEWAY_API, "config/crd/standard", """
    0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419  gateway.networking.k8s.io_backendtlspolicies.yaml
    53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5  gateway.networking.k8s.io_gatewayclasses.yaml
    25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a  gateway.networking.k8s.io_gateways.yaml
    53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc  gateway.networking.k8s.io_grpcroutes.yaml
    a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852  gateway.networking.k8s.io_httproutes.yaml
    bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70  gateway.networking.k8s.io_listenersets.yaml
    8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3  gateway.networking.k8s.io_referencegrants.yaml
    d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6  gateway.networking.k8s.io_tcproutes.yaml
    bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb  gateway.networking.k8s.io_tlsroutes.yaml
    4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de  gateway.networking.k8s.io_udproutes.yaml
    afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e  gateway.networking.k8s.io_vap_safeupgrades.yaml
    """),
    # envoy-gateway/NOTICE
    *_folder("envoy-gateway", ENVOY_GATEWAY, "charts/gateway-helm/charts/crds/crds/generated", """
    bb1901aea758d05458b853b07db04a96a1ea4346b177e392e5ce7398573805be  gateway.envoyproxy.io_backends.yaml
    cd75a4c222df5487aa9ca8957b48bcc3255eb25de02ed9153faf620bc160f786  gateway.envoyproxy.io_backendtrafficpolicies.yaml
    2c7eaa1ce30de626e9c362b8d9002281c2f435f970020fa81902ad7f30b38d5b  gateway.envoyproxy.io_clienttrafficpolicies.yaml
    92f4dfdd67be4b242511381d6175f517782e655233fdf5b5e28a400ea5601f79  gateway.envoyproxy.io_envoyextensionpolicies.yaml
    8e9110c32b414ea5c43a85e272dc2dee8917ed0bfa36a9a2b72fde1f3fba6083  gateway.envoyproxy.io_envoypatchpolicies.yaml
    3e9ea2f348445e3798b02daf02bf024b0d944227cf5ef8a18da7f675a1afd223  gateway.envoyproxy.io_envoyproxies.yaml
    ad46193dbec0a28cc97fa93a64bcd1f464858544d884eeac5e4d767526dcfd3d  gateway.envoyproxy.io_httproutefilters.yaml
    6412914ec5b7c48f58b85f60a80767ba15a50c8d374480cf5f2d872e4a764466  gateway.envoyproxy.io_securitypolicies.yaml
    """),
    # nginx-gateway-fabric/NOTICE
    *_folder("nginx-gateway-fabric", NGINX_GATEWAY_FABRIC, "config/crd/bases", """
    7e37d8ee9ac9cfe3331941f18e6bc59f67cf01e165e3e64ae113823127be9708  gateway.nginx.org_authenticationfilters.yaml
    74967a08b57b742bacc50a982991b78ac4f861ed618930a62b8ba14217374dfd  gateway.nginx.org_clientsettingspolicies.yaml
    52c095daac8053c35d2bebc6be8bd345d027777ede429dd5191f098e38117f14  gateway.nginx.org_nginxgateways.yaml
    d04b97d3d34af1031251b0f1cc02582c2ff97d4df25792bbba9ca23e4aeed62b  gateway.nginx.org_nginxproxies.yaml
    bb95fd20d29c801da1c2d4f940a7bdc6362d9fb15e920cbca41b87b31fa1211c  gateway.nginx.org_observabilitypolicies.yaml
    6176f5ff0e2e84a444f2804d63f14e779628ca706ba56eeafd7a22baf34604b7  gateway.nginx.org_proxysettingspolicies.yaml
    dcb6b28415c54631140415530f33288b3f8151225fc36a2b0b5ef4331964f2ee  gateway.nginx.org_ratelimitpolicies.yaml
    64df468463ac91b890c74bf6fe315e715b4df2d6d7786cc1ccfe6ac756910fc1  gateway.nginx.org_snippetsfilters.yaml
    e39d0bf75de3b8bb31c329ddc0a8b54386c77e034dd0ee4dcca3f27bbc49a66a  gateway.nginx.org_snippetspolicies.yaml
    6bf89b19dc24205d1d1ffa4115d917ef55deb63267ed0369fc03eed414810713  gateway.nginx.org_upstreamsettingspolicies.yaml
    f0ee939a1f8461b3d3c98840f2fa11dbd5956174e54e3c9ced8f90c2bc5b5c3d  gateway.nginx.org_wafpolicies.yaml
    """),
    # nginx-ingress-crds/NOTICE
    *_folder("nginx-ingress-crds", F5_INGRESS, "config/crd/bases", """
    c1c2019720a0eb3779e0d827c8e3765052c1f1e053294b715aa34b33b8e6a1a5  k8s.nginx.org_globalconfigurations.yaml
    01fa6e12406c1dbd8f4be188f341e8570831bc07bcf1c3b2c397328ca22247c8  k8s.nginx.org_policies.yaml
    ee4b32994cada8b1b57f85855f8742b7a3a0628ccdd6cf3d824e26027dcbe296  k8s.nginx.org_transportservers.yaml
    361f66b95a6fa67b157bf107fee71755723e50aeff2cbc6f047d7dcaf504e4f8  k8s.nginx.org_virtualserverroutes.yaml
    d69b659a69a6af83c832a0e753c41d959e28821d0414e58819835248ff41e923  k8s.nginx.org_virtualservers.yaml
    """),
    # No NOTICE yet, not in every shared/ folder: the ForecastleApp CRD of the Forecastle chart, stakater/Forecastle
    # at tag v1.0.159 (commit 80741ab5), Apache License 2.0.
    Document("forecastle/forecastleApp.yaml", FORECASTLE,
             "deployments/kubernetes/chart/forecastle/crds/forecastleApp.yaml",
             "1c18caab68e837d56c33fcddffd1fd2c26da19428aca24040a46dd479c6ade44", required=False),
)
REQUIRED = tuple(document for document in DOCUMENTS if document.required)


def complete_in(folder: Path, documents: Sequence[Document] = DOCUMENTS) -> bool:
    """Whether `folder` holds a file for every document (their contents are checked by `prepare`)."""
    return all((folder / document.path).is_file() for document in documents)


REFERENCE_DIR = SHARED_DIR if complete_in(SHARED_DIR, REQUIRED) else CACHE_DIR
"""Where the tests read the documents: `shared/` when it holds every required one, else the cache `prepare`
fills. An optional document is read from `shared/` where it is there, else from the cache."""
F5_VALUES_SCHEMA = REFERENCE_DIR / "charts" / "nginx-ingress-2.6.4.values.schema.json"
UPTIMEROBOT_OPENAPI = REFERENCE_DIR / "uptimerobot" / "openapi-v3.yaml"
GATEWAY_API_CRDS = REFERENCE_DIR / "gateway-api" / "standard"
"""Gateway API v1.6.1's standard-channel CRDs."""
ENVOY_GATEWAY_CRDS = REFERENCE_DIR / "envoy-gateway"
"""Envoy Gateway v1.9.0's CRDs."""
ENVOY_GATEWAY_VALUES_TEMPLATE = REFERENCE_DIR / "charts" / "envoy-gateway-helm-v1.9.0.values.tmpl.yaml"
"""The Envoy Gateway chart's values template (it has no values schema): the keys and defaults the chart reads."""
NGINX_GATEWAY_FABRIC_CRDS = REFERENCE_DIR / "nginx-gateway-fabric"
NGINX_INGRESS_CRDS = REFERENCE_DIR / "nginx-ingress-crds"
_FORECASTLE = "forecastle/forecastleApp.yaml"
FORECASTLE_CRD = (SHARED_DIR if (SHARED_DIR / _FORECASTLE).is_file() else CACHE_DIR) / _FORECASTLE
"""The ForecastleApp CRD (optional: the tests that need it say so when it is missing)."""
FORECASTLE_CRD_SHA256 = next(document.sha256 for document in DOCUMENTS if document.path == _FORECASTLE)


def missing_optional(path: Path) -> str | None:
    """Why a test that reads the optional document at `path` skips (one line), or None when it is there."""
    if path.is_file():
        return None
    return (f"optional reference document {path.relative_to(path.parents[1])} is in neither {SHARED_DIR} nor "
            f"{CACHE_DIR}: tests/fetch-reference-documents.sh fetches it")


def crd_files() -> list[Path]:
    """Every CRD file the API server model installs: Gateway API, Envoy Gateway, and Forecastle's where present."""
    files = sorted(GATEWAY_API_CRDS.glob("*.yaml")) + sorted(ENVOY_GATEWAY_CRDS.glob("*.yaml"))
    return files + ([FORECASTLE_CRD] if FORECASTLE_CRD.is_file() else [])


class ReferenceDocumentsError(Exception):
    """The documents cannot be had: the message is one line saying which, and what to do."""


@dataclass(frozen=True)
class Prepared:
    """Where the session's documents came from."""

    folder: Path
    """The folder the tests read them from."""
    shared: Path
    from_shared: int
    fetched: int
    cached: int

    def summary(self) -> str:
        parts = [f"{count} {how}" for count, how in ((self.from_shared, f"from {self.shared}"),
                                                     (self.cached, "cached"), (self.fetched, "fetched"))
                 if count]
        return f"reference documents: {', '.join(parts)}, read from {self.folder}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named(documents: Sequence[Document]) -> str:
    names = [document.path for document in documents]
    shown = ", ".join(names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def fetch(document: Document, target: Path, base_url: str = BASE_URL) -> str | None:
    """Download `document` to `target` (atomically) and check its sha256; None when done, else why not."""
    url = document.url(base_url)
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            data = response.read()
    except urllib.error.HTTPError as err:
        return f"{url}: HTTP {err.code}"
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return f"{url}: {reason}"
    actual = hashlib.sha256(data).hexdigest()
    if actual != document.sha256:
        return f"{url}: sha256 {actual}, expected {document.sha256}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)
    return None


def prepare(shared: Path = SHARED_DIR, cache: Path = CACHE_DIR, base_url: str = BASE_URL,
            documents: Sequence[Document] = DOCUMENTS) -> Prepared:
    """Make every document readable in one folder, checked against its sha256 (see the module's docstring)."""
    corrupted = [document for document in documents if (shared / document.path).is_file()
                 and sha256_of(shared / document.path) != document.sha256]
    if corrupted:
        raise ReferenceDocumentsError(
            f"reference documents in {shared} do not match their pinned sha256 (corrupted or another version): "
            f"{_named(corrupted)}; replace them (tests/fetch-reference-documents.sh {shared} fetches them where "
            "GitHub is reachable) or remove them, and the tests fetch their own copies")
    required = [document for document in documents if document.required]  # optional ones: never fetched here
    if complete_in(shared, required):
        return Prepared(shared, shared, len(required), 0, 0)
    from_shared = cached = 0
    to_fetch = []
    for document in required:
        target = cache / document.path
        if target.is_file() and sha256_of(target) == document.sha256:
            cached += 1
        elif (shared / document.path).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shared / document.path, target)
            from_shared += 1
        else:
            to_fetch.append(document)
    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = [(document, why) for document, why in
                    zip(to_fetch, pool.map(lambda d: fetch(d, cache / d.path, base_url), to_fetch), strict=True) if why]
    if failures:
        missing = [document for document, _ in failures]
        raise ReferenceDocumentsError(
            f"the tests need {len(missing)} reference document(s) that are not in {shared} and could not be fetched "
            f"({failures[0][1]}): put the team's shared/ folder beside the repository or point GANGPLANK_SHARED_DIR "
            f"at it, or run tests/fetch-reference-documents.sh where GitHub is reachable (missing: {_named(missing)})")
    return Prepared(cache, shared, from_shared, len(to_fetch), cached)


def _main(argv: list[str]) -> int:
    """`python3 -m tests.reference fetch [DIR]`: every document into DIR (default ../shared), checked."""
    if not argv or argv[0] != "fetch" or len(argv) > 2:
        print("usage: python3 -m tests.reference fetch [DIR]", file=sys.stderr)
        return 2
    folder = Path(argv[1] if len(argv) > 1 else ROOT.parent / "shared")
    todo = [document for document in DOCUMENTS if not ((folder / document.path).is_file()
                                                        and sha256_of(folder / document.path) == document.sha256)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(zip(todo, pool.map(lambda d: fetch(d, folder / d.path), todo), strict=True))
    failures = [why for document, why in outcomes if why and document.required]
    for why in failures[:SHOWN_NAMES]:
        print(f"cannot fetch {why}", file=sys.stderr)
    if failures:
        more = f" ({len(failures) - SHOWN_NAMES} more not shown)" if len(failures) > SHOWN_NAMES else ""
        print(f"{len(failures)} of {len(REQUIRED)} reference documents could not be fetched{more}", file=sys.stderr)
        return 1
    for _, why in outcomes:
        if why:  # an optional one: the tests that read it say so
            print(f"optional, not fetched: {why}", file=sys.stderr)
    fetched = sum(why is None for _, why in outcomes)
    print(f"{len(REQUIRED)} reference documents in {folder} ({fetched} fetched, each checked against its sha256)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
