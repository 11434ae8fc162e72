"""Fixtures of the flavor tests: every Ingress flavor in turn."""

from __future__ import annotations

import pytest

from components.flavors import get_flavor
from components.flavors.traffic import Flavor
from tests.conftest import FLAVORS as FLAVOR_NAMES


@pytest.fixture(params=FLAVOR_NAMES)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    return get_flavor(request.param)
