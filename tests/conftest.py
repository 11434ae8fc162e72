"""Shared fixtures: a fresh event loop per test, settings, catalogues on disk and offline plans."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.settings import Settings
from planner.run import plan

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


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


@pytest.fixture
def plan_stack() -> Callable[..., dict[str, Any]]:
    """Run the real program under mocks: plan_stack("dev", apps_path=None, **config_overrides)."""
    def run(stack: str = "dev", apps_path: str | None = None, **config: str) -> dict[str, Any]:
        overrides = {f"gangplank:{key}": value for key, value in config.items()}
        return plan(stack, apps_path, ROOT, overrides)

    return run


from tests.fakes.fixtures import *  # noqa: F403
