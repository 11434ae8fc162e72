"""Fixtures of the flavor tests: every Ingress flavor in turn, the CRD schemas of the API server model."""

from __future__ import annotations

import pytest

from components.flavors import get_flavor
from components.flavors.traffic import Flavor
from tests.conftest import FLAVORS as FLAVOR_NAMES
from tests.fakes.apiserver import CrdSchemas
from tests.reference import crd_files


@pytest.fixture(params=FLAVOR_NAMES)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    return get_flavor(request.param)


@pytest.fixture(scope="module")
def schemas() -> CrdSchemas:
    return CrdSchemas(crd_files())
