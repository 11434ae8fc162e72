"""The program's garbage-collector tuning."""

from __future__ import annotations

import gc

import pytest

from components.process import YOUNG_THRESHOLD, relax_garbage_collector


@pytest.fixture(autouse=True)
def restore_gc():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def test_default_thresholds_are_raised():
    gc.set_threshold(700, 10, 10)
    relax_garbage_collector()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("chosen", [(0, 10, 10), (100_000, 10, 10)])
def test_a_deliberate_threshold_is_left_alone(chosen):
    gc.set_threshold(*chosen)
    relax_garbage_collector()
    assert gc.get_threshold() == chosen
