"""The YAML reader: bounded cost for hostile files, one reading of YAML, lines for every problem."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.inputs.yamlfile import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_FILE_BYTES, YamlFileError, load_yaml, parse_yaml
from components.inputs.yamllines import line_of, plain


def issues(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(YamlFileError) as caught:
        parse_yaml(text, "apps.yaml")
    return [(issue.line, issue.message) for issue in caught.value.issues]


def one_issue(text: str) -> tuple[int | None, str]:
    found = issues(text)
    assert len(found) == 1, found
    return found[0]


def test_lines_of_keys_and_items():
    root = parse_yaml("apps:\n  - name: a\n    port: 80\n  - name: b\n", "apps.yaml")
    assert plain(root) == {"apps": [{"name": "a", "port": 80}, {"name": "b"}]}
    assert line_of(root, ["apps", 0, "port"]) == 3
    assert line_of(root, ["apps", 1]) == 4
    assert line_of(root, ["apps", 1, "nope"]) == 4


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_once():
    text = billion_laughs()
    assert len(text) < 600  # 9**9 = 387 million values once expanded
    line, message = one_issue(text)
    assert "alias bomb" in message and f"{MAX_ALIAS_VALUES:,}" in message
    assert line is not None and line <= 9


def test_aliases_within_the_bound_expand():
    data = plain(parse_yaml(billion_laughs(levels=3, width=9), "apps.yaml"))
    assert len(data["l2"]) == 9 and data["l2"][0] == [["lol"] * 9] * 9


@pytest.mark.parametrize("text", ["apps: &a [*a]\n", "a: &a {b: *a}\n", "a: &a [x, [y, *a]]\n"])
def test_recursive_alias(text):
    assert "inside its own anchor" in one_issue(text)[1]


def test_undefined_alias():
    assert "names no anchor" in one_issue("a: *nope\n")[1]


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 330, 200_000])
def test_deep_nesting_is_refused_before_composing(levels):
    # 200,000 levels crashed PyYAML's C composer (a segfault); the event scan stops at the limit.
    line, message = one_issue("[" * levels + "]" * levels)
    assert line == 1 and f"more than {MAX_DEPTH} levels" in message


def test_nesting_through_an_alias_counts():
    inner = "[" * 40 + "]" * 40
    outer = "[" * 28 + "*a" + "]" * 28
    assert "nests the document" in one_issue(f"a: &a {inner}\nb: {outer}\n")[1]


def test_nesting_up_to_the_limit_reads():
    depth = MAX_DEPTH
    assert parse_yaml("[" * depth + "]" * depth, "apps.yaml") is not None


@pytest.mark.parametrize("char, name", [("\x07", "U+0007 (BEL)"), ("\x00", "U+0000 (NUL)"), ("\x7f", "U+007F (DEL)"),
                                        ("\x1b", "U+001B (ESCAPE)"), ("\x85\x9f", "U+009F")])
def test_control_characters_anywhere_even_in_comments(char, name):
    line, message = one_issue(f"apps: []\n# a comment with {char} in it\n")
    assert line == 2 and name in message and "even in a comment" in message


def test_many_control_characters_are_summed_up():
    found = issues("a: \x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\n")
    assert len(found) == 11 and "2 more control character(s)" in found[-1][1]


def test_non_scalar_keys():
    assert "mapping key must be a plain value, found a list" in one_issue("? [a, b]\n: 1\n")[1]
    assert "found a mapping" in one_issue("? {a: b}\n: 1\n")[1]
    assert "alias '*k' of a collection" in one_issue("x: &k [1]\n? *k\n: 2\n")[1]


@pytest.mark.parametrize("text, shown", [
    ("a: !!python/object:os.system {b: 1}\n", "!!python/object:os.system"),
    ("a: !secret {b: 1}\n", "!secret"),
    ("a: !!str {b: 1}\n", "!!str"),
    ("a: !!set [x]\n", "!!set"),
    ("a: !!binary aGVsbG8=\n", "!!binary"),
    ("a: !Ref x\n", "!Ref"),
])
def test_tags_are_refused_on_collections_and_values(text, shown):
    line, message = one_issue(text)
    assert line == 1 and f"'{shown}'" in message and "not supported" in message
    if "secret" in shown:
        assert "does not make a value secret" in message


@pytest.mark.parametrize("text, value", [("a: !!str 80\n", "80"), ("a: ! 80\n", "80"), ("a: '0120'\n", "0120"),
                                         ("a: |\n  yes\n", "yes\n")])
def test_text_tags_and_quotes_make_text(text, value):
    assert plain(parse_yaml(text, "apps.yaml")) == {"a": value}


@pytest.mark.parametrize("value, yaml11", [
    ("0120", "the number 80"), ("1:20", "the number 80"), ("yes", "the boolean true"), ("off", "the boolean false"),
    ("On", "the boolean true"), ("1_000", "the number 1000"), ("0b101", "the number 5"), ("2026-11-02", "a date"),
    ("0o17", "text"), ("1e3", "text"), ("=", "unreadable"),
])
def test_values_yaml_11_and_12_read_differently_are_refused(value, yaml11):
    line, message = one_issue(f"x:\n  port: {value}\n")
    assert line == 2 and f"'{value}' is {yaml11} in YAML 1.1" in message and "quote" in message


@pytest.mark.parametrize("value, read", [
    ("80", 80), ("-3", -3), ("0x1F", 31), ("1.5", 1.5), ("80.0", 80), ("true", True), ("False", False),
    ("null", None), ("~", None), ("", None), ("shop", "shop"), (".inf", float("inf")), ("0", 0), ("+12", 12),
])
def test_values_both_read_alike_are_read(value, read):
    assert plain(parse_yaml(f"x: {value}\n", "apps.yaml")) == {"x": read}


def test_an_ambiguous_key_is_refused_too():
    assert "'on' is the boolean true in YAML 1.1" in one_issue("on: push\n")[1]


def test_every_ambiguous_value_is_reported_with_its_location():
    with pytest.raises(YamlFileError) as caught:
        parse_yaml("apps:\n  - port: 0120\n    enabled: yes\n", "apps.yaml")
    assert [(issue.line, issue.location) for issue in caught.value.issues] == [
        (2, ("apps", 0, "port")), (3, ("apps", 0, "enabled"))]
    assert plain(caught.value.document) == {"apps": [{"port": 120, "enabled": "yes"}]}


def test_merge_keys_override():
    text = """
apps:
  - &web
    name: shop
    port: 80
    tags: [a]
  - <<: *web
    name: shop-eu
  - name: first
    <<: *web
"""
    apps = plain(parse_yaml(text, "apps.yaml"))["apps"]
    assert apps[1] == {"name": "shop-eu", "port": 80, "tags": ["a"]}
    assert apps[2]["name"] == "first"  # a key before `<<` wins too


def test_merge_of_several_mappings_earlier_wins():
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n"
    assert plain(parse_yaml(text, "apps.yaml"))["c"] == {"x": 1, "y": 2, "z": 3}


def test_merged_values_keep_their_own_lines():
    root = parse_yaml("a: &a\n  x: 1\nb:\n  <<: *a\n  y: 2\n", "apps.yaml")
    assert line_of(root, ["b", "x"]) == 2 and line_of(root, ["b", "y"]) == 5


def test_a_real_duplicate_key_stays_an_error():
    assert one_issue("a: &a {x: 1}\nb:\n  <<: *a\n  y: 1\n  y: 2\n") == (
        5, "invalid YAML: duplicate key 'y' (first on line 4)")


def test_merge_needs_mappings():
    assert "merge key '<<' takes a mapping" in one_issue("a: {<<: [1]}\n")[1]


def test_one_document_only():
    assert "more than one YAML document" in one_issue("a: 1\n---\nb: 2\n")[1]


def test_syntax_error_names_the_line():
    line, message = one_issue("a: 1\nb: [unclosed\n")
    assert line in (2, 3) and message.startswith("invalid YAML:")


# -- files ------------------------------------------------------------------------------


def file_error(path) -> YamlFileError:
    with pytest.raises(YamlFileError) as caught:
        load_yaml(str(path))
    return caught.value


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "apps.yaml"
    os.mkfifo(fifo)
    assert "named pipe (FIFO), not a regular file" in file_error(fifo).message


def test_a_directory_is_refused(tmp_path):
    assert "a directory, not a regular file" in file_error(tmp_path).message


def test_missing_file(tmp_path):
    assert file_error(tmp_path / "nope.yaml").message == "file not found"


def test_oversized_file(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    assert "larger than 4 MiB" in file_error(path).message


@pytest.mark.parametrize("data, found", [
    ("apps: []\n".encode("utf-16"), "UTF-16 (little-endian)"),
    ("apps: []\n".encode("utf-16-be"), "UTF-16 or UTF-32"),
    (b"\xfe\xff" + "apps: []\n".encode("utf-16-be"), "UTF-16 (big-endian)"),
    ("apps: []\n".encode("utf-32"), "UTF-32"),
])
def test_utf16_and_utf32_are_named(tmp_path, data, found):
    path = tmp_path / "apps.yaml"
    path.write_bytes(data)
    error = file_error(path)
    assert found in error.message and "save it as UTF-8" in error.message


def test_a_utf8_bom_is_fine(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_bytes(b"\xef\xbb\xbfapps: []\n")
    assert plain(load_yaml(str(path))) == {"apps": []}


def test_bad_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "apps.yaml"
    path.write_bytes(b"apps:\n  - name: caf\xe9\n")
    error = file_error(path)
    assert error.line == 2 and "not UTF-8: byte 0xe9 at column 14" in error.message


YAMLISH = st.lists(st.sampled_from([*"ab01:-?[]{},&*!|>'\"#<=~. \n\t", "\x07", "é", "<<", "&a", "*a", "!!str",
                                    "- ", ": ", "---", "%YAML 1.1", "\\u0000"]), max_size=40).map("".join)


@settings(max_examples=400, deadline=timedelta(milliseconds=200), database=None)
@given(YAMLISH)
def test_any_text_reads_or_is_refused_with_a_line(text):
    """A bounded fuzzer: whatever the text, the reader returns data or a YamlFileError, never anything else."""
    try:
        parse_yaml(text, "apps.yaml")
    except YamlFileError as err:
        assert err.issues and all(issue.message and "\n" not in issue.message for issue in err.issues)
        assert all(issue.line is None or 1 <= issue.line <= text.count("\n") + 2 for issue in err.issues)


def test_a_value_taken_from_an_anchor_has_two_lines():
    root = parse_yaml("x: &web\n  name: web\n  port: 80\napps:\n  - *web\n  - <<: *web\n    port: 81\n", "a.yaml")
    assert line_of(root, ["apps", 0, "name"]) == 2  # where the content is written: the anchor
    assert line_of(root, ["apps", 0, "name"], where_used=True) == 5  # where this entry takes it: the alias
    assert line_of(root, ["apps", 1, "name"], where_used=True) == 6  # a merged key: the merge key's line
    assert line_of(root, ["apps", 1, "port"], where_used=True) == 7  # the entry's own key
