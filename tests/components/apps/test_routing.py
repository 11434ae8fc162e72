"""components/apps/routing.py: who shares a host, asked many times of one catalogue in a run."""

from __future__ import annotations

from typing import Any

import pytest

from components.apps.routing import host_shares, shared_hosts
from components.flavors import get_flavor
from components.inputs.catalog.models import App
from components.inputs.catalog.resolved import ResolvedApp, resolve_app
from tests.conftest import make_settings


def _app(name: str, host: str, path: str = "/") -> ResolvedApp:
    entry: dict[str, Any] = {"name": name, "visibility": "public", "host": host, "paths": [path],
                             "service": {"name": name, "port": 80}}
    return resolve_app(App.model_validate(entry), make_settings(), "dev")


def _catalogue(*extra: ResolvedApp) -> list[ResolvedApp]:
    return [_app("shop", "shop"), _app("blog", "blog"), *extra]


def test_one_catalogue_asked_again_gets_the_answer_it_got():
    apps = _catalogue()
    flavor = get_flavor("nginx-inc")
    assert shared_hosts(list(apps)) is shared_hosts(apps)
    assert host_shares(list(apps), flavor) is host_shares(apps, flavor)


def test_another_catalogue_gets_its_own_answer():
    flavor = get_flavor("nginx-inc")
    alone = _catalogue()
    assert shared_hosts(alone) == frozenset()
    assert [member.app for member in host_shares(alone, flavor)["shop.dev.example.com"].members] == ["shop"]
    # The same apps with one more on shop's host (a path of its own): a new catalogue, a new answer.
    joined = [*alone, _app("shop-api", "shop", "/api")]
    assert shared_hosts(joined) == {"shop.dev.example.com"}
    assert [member.app for member in host_shares(joined, flavor)["shop.dev.example.com"].members] == [
        "shop", "shop-api"]
    # Each edge's own flavor is part of the question: F5 splits a shared host's minions, ingress-nginx does not.
    by_edge = host_shares(joined, {"public": get_flavor("ingress-nginx")})
    assert by_edge is not host_shares(joined, flavor)
    assert by_edge is host_shares(joined, {"public": get_flavor("ingress-nginx")})


def test_an_answer_cannot_be_changed_by_whoever_asked():
    apps = _catalogue(_app("shop-api", "shop", "/api"))
    with pytest.raises(AttributeError):
        shared_hosts(apps).add("blog.dev.example.com")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        host_shares(apps, get_flavor("nginx-inc"))["blog.dev.example.com"] = None  # type: ignore[index]
