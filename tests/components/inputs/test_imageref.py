"""deploy.image: the OCI distribution reference grammar, and refusals that say what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
import regress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.inputs.imageref import IMAGE_PATTERN, image_problem


@pytest.mark.parametrize("image", [
    "shop", "shop:1.4", "ghcr.io/acme/shop:1.4", "registry.example.com:5000/team/app:v2", "localhost/app",
    "[2001:db8::1]:5000/app", "acme/shop@sha256:" + "0" * 64, "acme/shop:1.4@sha256:" + "a" * 64, "a__b/c---d",
])
def test_references_the_kubelet_pulls_are_accepted(image):
    assert image_problem(image) is None


def test_upper_case_and_a_second_colon_are_each_named():
    problem = image_problem("UPPER/Case:Tag:two")
    assert problem is not None
    assert "the repository part 'Case' must be lowercase" in problem
    assert "'UPPER' before it is read as a registry host" in problem
    assert "the tag 'Tag:two' may hold only letters, digits, '_', '.' and '-'" in problem
    assert "one ':' separates the tag" in problem


def test_characters_no_reference_holds_are_what_is_named():
    problem = image_problem("not an image!!")
    assert problem == ("'not an image!!' is not an image reference: it holds white space and '!', which no part of "
                       "a reference may hold; write [registry/]repository[:tag][@digest], e.g. "
                       "'ghcr.io/acme/shop:1.4'")


@pytest.mark.parametrize("image, says", [
    ("", "it is empty"),
    ("shop\n", "white space"),  # the port's `$` takes 'shop\n' for 'shop'; the kubelet does not
    ("Shop", "the repository part 'Shop' must be lowercase"),
    ("ghcr.io:x/app", "the registry 'ghcr.io:x' is not a host name"),
    ("a//b", "the repository has an empty part"),
    ("shop:", "the tag after ':' is empty"),
    ("shop@sha256:abc", "the digest 'sha256:abc' must be"),
    ("a" * 64, "64 hex digits alone are an image id"),
    ("acme/" + "b" * 255, "the repository is longer than 255 characters"),
])
def test_each_refusal_says_what_is_wrong(image, says):
    problem = image_problem(image)
    assert problem is not None and says in problem, problem
    assert "\n" not in problem


@settings(max_examples=400, deadline=timedelta(milliseconds=200), database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*"aZ09.-_/:@", "__", "--", "sha256:", "localhost", "[::1]"]), max_size=10)
       .map("".join))
def test_the_schema_pattern_is_the_grammar(image):
    """What editors check (IMAGE_PATTERN) and what the loader checks agree on short references (the loader is
    stricter only on digests, 64-digit ids and 255-character paths, which these cannot reach)."""
    by_pattern = regress.Regex(IMAGE_PATTERN, "u").find(image) is not None
    assert by_pattern == (image_problem(image) is None), image
