"""Property paths, written as Pulumi writes them."""

from __future__ import annotations

import pytest

from planner.paths import join, leaves, matches, of_steps, steps


@pytest.mark.parametrize(("path", "parsed"), [
    ("spec.rules[0].host", ("spec", "rules", 0, "host")),
    ('metadata.annotations["nginx.org/x"]', ("metadata", "annotations", "nginx.org/x")),
    ("spec.containers[*].image", ("spec", "containers", None, "image")),
    ("a", ("a",)),
])
def test_paths_parse_and_print(path, parsed):
    assert steps(path) == parsed
    if None not in parsed:
        assert of_steps(parsed) == path


def test_join_quotes_keys_that_are_not_plain_names():
    assert join("", "a") == "a" and join("a", 0) == "a[0]" and join("m", "x.y/z") == 'm["x.y/z"]'


def test_a_pattern_matches_itself_and_what_is_under_it():
    assert matches(steps("spec.selector"), steps("spec.selector.matchLabels.app"))
    assert matches(steps("spec.containers[*].image"), steps("spec.containers[3].image"))
    assert not matches(steps("spec.selector"), steps("spec.replicas"))
    assert not matches(steps("spec.selector.matchLabels"), steps("spec.selector"))


def test_leaves_of_a_value():
    assert list(leaves({"a": [1, {"b": 2}], "c": {}})) == [("a[0]", 1), ("a[1].b", 2), ("c", {})]


def test_a_path_it_cannot_read_is_an_error():
    with pytest.raises(ValueError, match="not a property path"):
        steps("a..b")
