"""Shared fixtures: a fresh event loop per test, settings, catalogues on disk and offline plans."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.inputs.settings import Settings
from planner.run import ProgramRun, plan, run_program
from tests.fakes.fixtures import *  # noqa: F403  (the fake UptimeRobot server and its clients)
from tests.reference import ReferenceDocumentsError, prepare

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
"""The reference pages the README links to (`docs/<topic>.md`)."""
STACKS = ("dev", "staging", "prod")
FLAVORS = ("nginx-inc", "ingress-nginx")
"""The Ingress flavors (tests of Ingress objects run for each)."""
GATEWAY_FLAVORS = ("envoy-gateway",)
"""The Gateway API flavors (tests/components/flavors/test_envoy_gateway.py and the gateway tests beside the others)."""
KUBERNETES_VERSION = "1.33"

# Public and private apps, an existing Service and an image, auth and no auth, and two apps
# sharing one host on different paths: the catalogue the component tests plan.
MIXED_CATALOGUE = """
apps:
  - name: web
    namespace: store
    visibility: public
    host: store
    service: {name: web, port: 80}
    monitor: {type: KEYWORD, keyword: Welcome}
    dashboard: {name: Store, group: Shop, icon: https://example.com/store.png}
  - name: api
    namespace: store
    visibility: public
    host: store
    paths: [/api]
    deploy: {image: ghcr.io/acme/api:1.0, port: 8080, replicas: 2}
    healthPath: /api/health
    rateLimit: {rps: 10, burst: 20, connections: 30}
  - name: admin
    visibility: private
    deploy: {image: ghcr.io/acme/admin:2.0, port: 8000}
    auth: {basic: {users: [alice, bob]}}
    allowCidrs: [10.10.0.0/16]
    maxBodySize: 4m
  - name: grafana
    namespace: monitoring
    visibility: private
    service: {name: grafana, port: 3000}
"""


def pytest_configure(config: pytest.Config) -> None:
    """Have every reference document before collecting anything: from shared/, the cache, or fetched from
    upstream (tests/reference.py); where that cannot be, stop with one line, not a wall of failures."""
    try:
        config.stash[REFERENCE_DOCUMENTS] = prepare().summary()
    except ReferenceDocumentsError as err:
        raise pytest.UsageError(str(err)) from None


REFERENCE_DOCUMENTS = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash.get(REFERENCE_DOCUMENTS, "")


@pytest.fixture(autouse=True)
def fresh_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """Pulumi keeps state on the event loop; as in the SDK's own tests, each test gets its own."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def in_project_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """The program reads Pulumi.<stack>.yaml and apps.yaml from the project directory, as `pulumi up` does."""
    monkeypatch.chdir(ROOT)


def make_settings(**overrides: Any) -> Settings:
    """Settings like the dev stack's, with overrides (snake_case field names)."""
    values: dict[str, Any] = {
        "public_domain": "dev.example.com",
        "vpc_id": "vpc-0a1b2c3d4e5f60718",
        "cluster_name": "dev",
        "private_allowed_cidrs": ["10.10.0.0/16"],
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def write_apps(tmp_path: Path) -> Callable[[str], str]:
    """Write an apps.yaml (dedented) to a temporary file and return its path."""
    def write(text: str, name: str = "apps.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return str(path)

    return write


def validate_kubernetes(manifest: dict[str, Any]) -> None:
    """Fail unless `manifest` is valid against the official schemas (strict: no unknown fields)."""
    import kubernetes_validate

    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.fixture
def run_stack() -> Callable[..., ProgramRun]:
    """Like plan_stack, but returns the run itself (registrations with their raw inputs)."""
    def run(stack: str = "dev", apps_path: str | None = None, **config: str) -> ProgramRun:
        overrides = {f"gangplank:{key}": value for key, value in config.items()}
        return run_program(stack, apps_path, ROOT, overrides)

    return run


@pytest.fixture
def plan_stack() -> Callable[..., dict[str, Any]]:
    """Run the real program under mocks: plan_stack("dev", apps_path=None, **config_overrides)."""
    def run(stack: str = "dev", apps_path: str | None = None, **config: str) -> dict[str, Any]:
        overrides = {f"gangplank:{key}": value for key, value in config.items()}
        return plan(stack, apps_path, ROOT, overrides)

    return run


@pytest.fixture
def run_mocked() -> Iterator[Callable[..., tuple[Any, Any]]]:
    """Declare resources with `program()` under the planner's mocks: run(program) -> (its result, monitor).

    The runtime stays up until the test ends, so `resolve(output)` can read Outputs of the result.
    """
    from pulumi.runtime.stack import wait_for_rpcs

    from planner.mocks.monitor import RecordingMonitor
    from planner.run import mocked_runtime

    runtimes = ExitStack()

    def run(program: Callable[[], Any], stack: str = "dev", monitor_class: type = RecordingMonitor) -> tuple[Any, Any]:
        monitor, loop = runtimes.enter_context(mocked_runtime(stack, monitor_class=monitor_class))
        result = program()
        loop.run_until_complete(wait_for_rpcs())
        return result, monitor

    with runtimes:
        yield run


def resolve(value: Any) -> Any:
    """The value of an Output (or plain value) of a program run with `run_mocked`."""
    import pulumi

    return asyncio.get_event_loop().run_until_complete(pulumi.Output.from_input(value).future())




@pytest.fixture(scope="session")
def cached_run() -> Callable[..., ProgramRun]:
    """The program run once per (stack, flavor, mode) for the whole session: cached_run("dev", "nginx-inc", "fresh").

    Planner modes are slow enough that planning every stack in every mode once per test would cost
    seconds each; tests that only read a run share it (and must not change it).
    """
    import os

    runs: dict[tuple[str, str, str], ProgramRun] = {}

    def run(stack: str = "dev", flavor: str = "nginx-inc", mode: str = "plan") -> ProgramRun:
        key = (stack, flavor, mode)
        if key not in runs:
            cwd = os.getcwd()
            os.chdir(ROOT)
            try:
                runs[key] = run_program(stack, None, ROOT, {"gangplank:flavor": flavor}, mode)  # type: ignore[arg-type]
            finally:
                os.chdir(cwd)
        return runs[key]

    return run


def controller_site(run: ProgramRun, flavor: str, extra_ingresses: list[dict[str, Any]] | None = None) -> Any:
    """The model of the controllers (`tests/fakes/site.py`) answering for a run's Ingresses and Secrets, with the
    public edge's Helm values (for its ports) and, if given, Ingresses of other teams added after gangplank's."""
    from tests.fakes.site import IngressSite

    regs = run.monitor.registrations
    ingresses = [r.revealed_inputs() for r in regs if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    secrets = [r.revealed_inputs() for r in regs if r.type == "kubernetes:core/v1:Secret"]
    [values] = [r.revealed_inputs()["values"] for r in regs
                if r.type == "kubernetes:helm.sh/v3:Release" and r.name.endswith("-public-release")]
    return IngressSite([*ingresses, *(extra_ingresses or [])], secrets, flavor, values)


GATEWAY_SITE_KINDS = ("Gateway", "HTTPRoute", "SecurityPolicy", "BackendTrafficPolicy", "Backend", "BackendTLSPolicy",
                      "ClientTrafficPolicy")


def gateway_site(run: ProgramRun) -> Any:
    """The model of the Gateway API edges (`tests/fakes/gateway_site.py`) answering for a run's routes, policies,
    backends and Secrets, with the edges whose controller reads `Backend`s (their Helm values)."""
    from tests.fakes.gateway_site import GatewaySite

    regs = run.monitor.registrations
    objects = [r.revealed_inputs() for r in regs if r.type.startswith("kubernetes:")
               and (r.type.rsplit(":", 1)[-1] in GATEWAY_SITE_KINDS or r.type == "kubernetes:core/v1:Secret")]
    backend_api = [r.revealed_inputs()["namespace"] for r in regs if r.type == "kubernetes:helm.sh/v3:Release"
                   and (((r.inputs.get("values") or {}).get("config") or {}).get("envoyGateway") or {})
                   .get("extensionApis", {}).get("enableBackend")]
    return GatewaySite.from_manifests(objects, backend_api)


def edge_site(run: ProgramRun, flavor: str) -> Any:
    """The model of the flavor's edges answering for a run: `controller_site` or `gateway_site`."""
    return gateway_site(run) if flavor in GATEWAY_FLAVORS else controller_site(run, flavor)


def of_type(plan: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    """The plan's resources of one Pulumi type token."""
    return [r for r in plan["resources"] if r["type"] == type_]


SPLIT_PLATFORM = "prod-platform"
SPLIT_APP_STACKS = ("prod-services", "prod-web")
BLOG_TEAM = """\
apps:
  - name: blog
    visibility: public
    host: shop
    paths: [/blog]
    service: {name: blog, port: 80}
"""
"""A new team's file, `apps.d/a-blog.yaml` (it sorts before the other teams' files): its app joins the host `shop`
that two other teams' apps serve (in the split example, web's and api's, owned by api)."""


@pytest.fixture(scope="session")
def split_plans() -> dict[str, dict[str, Any]]:
    """The split example planned once per session: its platform stack, its app stacks, and its `all` form (the
    platform's config with `gangplank:role: all` over the app stacks' catalogue, as the live stack runs before
    the split), keyed by stack name and `all`."""
    import os

    from planner.mocks.serving import StackOutputs
    from planner.run import build_plan

    cwd, key = os.getcwd(), os.environ.get("UPTIMEROBOT_API_KEY")
    os.chdir(ROOT)
    try:
        platform = run_program(SPLIT_PLATFORM, None, ROOT, stack_references={})
        references = {f"acme/gangplank/{SPLIT_PLATFORM}": StackOutputs(platform.outputs, platform.secret_outputs)}
        plans = {SPLIT_PLATFORM: build_plan(platform)}
        for stack in SPLIT_APP_STACKS:
            plans[stack] = build_plan(run_program(stack, None, ROOT, stack_references=references))
        os.environ["UPTIMEROBOT_API_KEY"] = "test-key"  # the `all` form deploys monitors: it has a key
        plans["all"] = plan(SPLIT_PLATFORM, None, ROOT, {"gangplank:role": "all", "gangplank:appsFile": "apps.d"})
    finally:
        os.chdir(cwd)
        if key is None:
            os.environ.pop("UPTIMEROBOT_API_KEY", None)
        else:
            os.environ["UPTIMEROBOT_API_KEY"] = key
    return plans


def read_doc(page: str) -> str:
    """The text of a reference page under docs/ (`apps-yaml.md`) or of `README.md`."""
    path = ROOT / page if page == "README.md" else DOCS / page
    return path.read_text(encoding="utf-8")


def stack_edges(stack: str, **edges: dict[str, Any] | None) -> str:
    """A `gangplank:edges` config override: the stack file's edges with `edges` set over them, by name (None:
    left out). A test that changes one edge keeps the stack's others, as a person editing the file would: dev's
    `labs` (Envoy Gateway) serves the catalogue's canary, sticky and external-auth examples."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    merged = {**config.get("gangplank:edges", {}), **edges}
    return json.dumps({name: edge for name, edge in merged.items() if edge is not None})


MOVE_FROM, MOVE_TO = "ingress-nginx", "nginx-inc"
"""The move the tests rehearse: off the retired ingress-nginx to F5's controller (docs/moving-an-edge.md)."""


def move_config(step: str) -> dict[str, str]:
    """Config overrides of the dev stack at each step of moving its public edge from MOVE_FROM to MOVE_TO:
    `before` (every edge on MOVE_FROM, the stack's flavor), `start` (weight 0), `half` (50), `all` (100), `done`."""
    edges = {"before": None, "start": {"move": {"to": MOVE_TO, "weight": 0}},
             "half": {"move": {"to": MOVE_TO, "weight": 50}}, "all": {"move": {"to": MOVE_TO, "weight": 100}},
             "done": {"flavor": MOVE_TO}}[step]
    config = {"gangplank:flavor": MOVE_FROM}
    if edges is not None:
        config["gangplank:edges"] = stack_edges("dev", public=edges)
    return config


MOVE_STEPS = ("before", "start", "half", "all", "done")


@pytest.fixture(scope="session")
def move_runs() -> dict[str, ProgramRun]:
    """The dev stack planned at each step of the move (MOVE_STEPS), once for the session (tests only read them)."""
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return {step: run_program("dev", None, ROOT, move_config(step)) for step in MOVE_STEPS}
    finally:
        os.chdir(cwd)
