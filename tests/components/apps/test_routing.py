"""components/apps/routing.py: who shares a host, asked many times of one catalogue in a run."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from components.apps.routing import _host_shares, _shared_hosts, host_shares, shared_hosts
from components.flavors import get_flavor
from components.inputs.catalog.models import App
from components.inputs.catalog.resolved import ResolvedApp, resolve_app
from tests.conftest import make_settings


def _app(name: str, host: str, path: str = "/", aliases: tuple[str, ...] = ()) -> ResolvedApp:
    entry: dict[str, Any] = {"name": name, "visibility": "public", "host": host, "paths": [path],
                             "service": {"name": name, "port": 80}}
    if aliases:
        entry["aliases"] = list(aliases)
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


def test_each_edges_flavor_is_part_of_the_question():
    # shop serves its host and an alias; shop-api shares shop's host. F5 (nginx-inc) joins a shared host through
    # minions of one host each, so shop's route splits per host; ingress-nginx keeps one Ingress for both hosts.
    apps = [_app("shop", "shop", aliases=("store",)), _app("shop-api", "shop", "/api")]
    alias = "store.dev.example.com"

    def alias_ingress(flavor: str) -> str:
        return host_shares(apps, {"public": get_flavor(flavor)})[alias].members[0].ingress

    assert alias_ingress("nginx-inc") == f"shop-{alias}"
    assert alias_ingress("ingress-nginx") == "shop"
    assert alias_ingress("nginx-inc") == f"shop-{alias}"


def test_an_answer_keeps_the_apps_it_was_given_alive():
    """Answers are found by the identity of the apps: while one is kept, its apps must be, or a new catalogue's
    objects could take their ids and get an answer about other apps."""
    apps = [_app("keep", "keep"), _app("keep-api", "keep", "/api")]
    shared_hosts(apps)
    held = [weakref.ref(app) for app in apps]
    del apps
    gc.collect()
    assert all(ref() is not None for ref in held)


def test_answers_stay_right_while_catalogues_come_and_go():
    """Catalogues made and dropped one after another (their objects' ids free for reuse) each get their own
    answer, the one the uncached functions give."""
    flavor = get_flavor("nginx-inc")
    for round_ in range(40):
        apps = [_app(f"app{index}", f"h{(round_ + index) % 7}", f"/p{index}") for index in range(round_ % 5 + 1)]
        assert shared_hosts(apps) == _shared_hosts(apps)
        assert dict(host_shares(apps, flavor)) == _host_shares(apps, flavor)
        del apps


def test_an_answer_cannot_be_changed_by_whoever_asked():
    apps = _catalogue(_app("shop-api", "shop", "/api"))
    with pytest.raises(AttributeError):
        shared_hosts(apps).add("blog.dev.example.com")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        host_shares(apps, get_flavor("nginx-inc"))["blog.dev.example.com"] = None  # type: ignore[index]
