"""apps.schema.json and the loader agree: a value one accepts and the other refuses is a bug.

The schema is checked as editors run it: JSON Schema patterns are ECMA-262 regular expressions
(JSON Schema 2020-12 §6.4), so `pattern` is evaluated with `regress` (Rust's ECMA-262 engine);
Python's `re` would let `"shop\\n"` match `^...$`, which no editor does.

The loader is stricter than any schema can be in a few documented places, each listed in
`LOADER_ONLY`: CIDR arithmetic (host bits, IPv6 grammar, how much of the internet an allow-list
admits). Rules across apps or needing the stack (unique hosts, zones, known stacks) are not
structure and are not compared here.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
import regress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.inputs import fieldtypes
from components.inputs.catalog.schema import json_schema
from components.inputs.catalog.structure import parse_catalogue
from components.inputs.yamlfile import _NOT_PRINTABLE as NOT_PRINTABLE
from components.inputs.yamlfile import parse_yaml


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any):
    if validator.is_type(instance, "string") and regress.Regex(pattern, "u").find(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


EditorValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})
SCHEMA = EditorValidator(json_schema())
BASE: dict[str, Any] = {"name": "shop", "visibility": "public", "service": {"name": "shop", "port": 80}}
DELETE = object()


def app_with(**fields: Any) -> dict[str, Any]:
    app = copy.deepcopy(BASE)
    for key, value in fields.items():
        if value is DELETE:
            app.pop(key, None)
        else:
            app[key] = value
    return app


def loader_accepts(app: dict[str, Any]) -> tuple[bool, list[str]]:
    # Through the real reader: JSON text is YAML 1.2 too (characters YAML forbids raw are written escaped).
    text = NOT_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps({"apps": [app]}, ensure_ascii=False))
    root = parse_yaml(text, "apps.yaml")
    _, problems = parse_catalogue("apps.yaml", root)
    return not problems, [str(problem) for problem in problems]


def schema_accepts(app: dict[str, Any]) -> bool:
    return SCHEMA.is_valid({"apps": [app]})


LONG_PATH = "/" + "a" * 1100
CORPUS: list[tuple[str, dict[str, Any]]] = [
    *[(f"name={v!r}", app_with(name=v)) for v in
      ["shop", "Shop", "shop\n", "a" * 63, "a" * 64, "-a", "a-", "1shop", "", 5, None, "\u017fhop", "s.hop"]],
    *[(f"namespace={v!r}", app_with(namespace=v)) for v in ["shop", "shop\n", "Shop", None, ""]],
    *[(f"visibility={v!r}", app_with(visibility=v)) for v in ["public", "private", "sideways", None, 1]],
    *[(f"edges={v!r}", app_with(visibility=DELETE, edges=v)) for v in
      [["public"], [], ["public", "public"], ["Public"], "public", [1], None, ["a\n"]]],
    ("visibility and edges", app_with(edges=["public"])),
    *[(f"host={v!r}", app_with(host=v)) for v in
      ["shop", "Shop", "shop.", "shop.dev.example.com", "*.dev.example.com", "shop_1", "\u212aube", "a" * 64,
       ".".join(["a"] * 127), ".".join(["a"] * 126) + "a", "", "shop\n", 5, None, "a..b", "-a.b"]],
    *[(f"aliases={v!r}", app_with(aliases=v)) for v in [["www"], ["www."], [""], "www", [None], []]],
    *[(f"paths={v!r}", app_with(paths=v)) for v in
      [["/"], ["/api"], ["/api/"], ["api"], ["//"], ["/a//b"], ["/./"], ["/.."], ["/a/.."], ["/a/."], ["/.well-known"],
       ["/..."], ["/..a"], ["/a%2Fb"], ["/a?b"], ["/a#b"], ["/a;b"], ["/a}"], ["/a\x00"], ["/a b"], ["/v1.2/x_y-z"],
       ["/api.*"], ["/(a|b)"], ["/a~b"], [], "/", [LONG_PATH], ["/a\n"], [""]]],
    *[(f"healthPath={v!r}", app_with(healthPath=v)) for v in ["/healthz", "healthz", "/h?x=1", "/a/../b", None]],
    *[(f"service={v!r}", app_with(service=v)) for v in
      [{"name": "s", "port": 0}, {"name": "s", "port": 65536}, {"name": "s", "port": 80.0}, {"name": "s", "port": "80"},
       {"name": "s", "port": True}, {"name": "s", "port": 80, "protocol": "HTTPS"},
       {"name": "s", "port": 80, "protocol": "https"}, {"name": "s"}, None, {"name": "s", "port": 80, "x": 1},
       {"name": "S", "port": 80}, [], "shop",
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"serverName": "s.shop.svc"}},
       {"name": "s", "port": 443, "tls": {"serverName": "s.shop.svc"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"verify": True}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"verify": True, "caSecret": "ca"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"verify": False, "caSecret": "ca"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"verify": "yes"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"serverName": "a b"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"caSecret": "CA"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": {"sni": "x"}},
       {"name": "s", "port": 443, "protocol": "HTTPS", "tls": None}]],
    *[(f"deploy={v!r}", app_with(service=DELETE, deploy=v)) for v in
      [{"image": "x", "port": 80}, {"image": "x y", "port": 80}, {"image": "", "port": 80},
       {"image": "x", "port": 80, "replicas": 0}, {"image": "x", "port": 80, "replicas": 1},
       {"image": "x", "port": 80, "replicas": 100}, {"image": "x", "port": 80, "replicas": 101},
       {"image": "x\n", "port": 80}, {"image": "x", "port": 80, "protocol": "HTTPS"}, None,
       {"image": "x", "port": 80, "tls": {}}, {"image": "x", "port": 80, "protocol": "HTTPS", "tls": {}}]],
    *[(f"deploy.image={v!r}", app_with(service=DELETE, deploy={"image": v, "port": 80})) for v in
      ["ghcr.io/acme/shop:1.4", "UPPER/Case:Tag:two", "not an image!!", "UPPER/case", "Shop", "localhost:5000/a:b",
       "[::1]:5000/a", "a:tag:two", "a@sha256:" + "f" * 64, "a:1@sha256:" + "f" * 64, "a@sha256:xyz", "a//b", "a/",
       "a__b/c--d.e_f", "a___b", "-a", "a:-tag", "a:" + "t" * 128, "a:" + "t" * 129, "ghcr.io:x/a", "x\n"]],
    ("service and deploy", app_with(deploy={"image": "x", "port": 80})),
    ("neither service nor deploy", app_with(service=DELETE)),
    ("deployed name starts with a digit", app_with(name="1shop", service=DELETE, deploy={"image": "x", "port": 80})),
    *[(f"monitor={v!r}", app_with(monitor=v)) for v in
      [{}, {"type": "KEYWORD"}, {"type": "KEYWORD", "keyword": "ok"}, {"keyword": "ok"},
       {"type": "HTTP", "keyword": None}, {"type": "KEYWORD", "keyword": None},
       {"interval": 29}, {"interval": 30}, {"interval": 86400},
       {"interval": 86401}, {"enabled": "yes"}, {"enabled": None}, {"alertContactIds": [0]}, {"alertContactIds": [1]},
       {"type": "KEYWORD", "keyword": "a\nb"}, {"type": "KEYWORD", "keyword": "x" * 500},
       {"type": "KEYWORD", "keyword": "x" * 501}, {"type": "ping"}, None]],
    *[(f"dashboard={v!r}", app_with(dashboard=v)) for v in
      [{"name": "x" * 200}, {"name": "x" * 201}, {"name": "a\nb"}, {"name": ""}, {"icon": "https://x/y.png"},
       {"icon": "ftp://x"}, {"icon": "https://x y"}, {"group": "Ops"}, {"name": "x" * 1_000_000}]],
    *[(f"rateLimit={v!r}", app_with(rateLimit=v)) for v in
      [{"rps": 1}, {"rps": 0}, {"rps": 1, "burst": -1}, {"rps": 1, "connections": 0}, {"burst": 1}]],
    *[(f"auth={v!r}", app_with(auth=v)) for v in
      [{"basic": {"users": ["a", "b"]}}, {"basic": {"users": ["a", "a"]}}, {"basic": {"users": []}},
       {"basic": {"users": ["a b"]}}, {"basic": {}}, {"basic": {"users": ["x"] * 101}}]],
    *[(f"allowCidrs={v!r}", app_with(allowCidrs=v)) for v in
      [["10.0.0.0/8"], ["203.0.113.0/24"], ["10.0.0.0"], ["010.0.0.0/8"], ["2001:db8::/32"], ["10.0.0.0/33"],
       ["10.0.0.0/8\n"], "10.0.0.0/8", [], ["10.0.0.0/255.0.0.0"]]],
    *[(f"maxBodySize={v!r}", app_with(maxBodySize=v)) for v in ["8m", "8", "8x", "12345678901m", 8, "8M\n"]],
    *[(f"stacks={v!r}", app_with(stacks=v)) for v in [["dev"], [], ["Dev"], None]],
    ("unknown field", app_with(hostt="x")),
    *[(f"auth={v!r}", app_with(auth=v)) for v in
      [{"external": {"url": "https://auth.example.com/oauth2/auth"}}, {"external": {"url": "ftp://a/b"}},
       {"external": {"url": "https://a", "signin": "https://a/start", "responseHeaders": ["X-User"]}},
       {"external": {"url": "https://a", "responseHeaders": ["X User"]}},
       {"external": {"url": "https://a", "responseHeaders": ["X-A", "X-A"]}}, {"external": {"url": "https://a b"}},
       {"external": {"url": "https://a/#frag"}}, {"external": {"url": "https://user:pw@auth.example.com/"}},
       {"external": {"url": "https://auth.example.com/check?next=$request_uri"}},
       {"basic": {"users": ["a"]}, "external": {"url": "https://a"}}, {}, {"external": {}}]],
    *[(f"canary={v!r}", app_with(canary=v)) for v in
      [{"service": {"name": "next", "port": 80}}, {"service": {"name": "next", "port": 80}, "weight": 101},
       {"service": {"name": "next", "port": 80}, "weight": -1}, {"weight": 10},
       {"service": {"name": "next", "port": 80}, "deploy": {"image": "x", "port": 80}},
       {"deploy": {"image": "x", "port": 80}, "weight": 100},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X-Canary", "value": "always"}},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X-Canary", "pattern": "^(a|b)$"}},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X-Canary"}},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X-Canary", "value": "a", "pattern": "a"}},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X Canary", "value": "a"}},
       {"service": {"name": "next", "port": 80}, "header": {"name": "X-Canary", "value": "a b"}},
       {"service": {"name": "next", "port": 80}, "cookie": {"name": "canary"}},
       {"service": {"name": "next", "port": 80}, "cookie": {"name": "can=ary"}}]],
    *[(f"sticky={v!r}", app_with(sticky=v)) for v in
      [{"cookie": {"name": "route"}}, {"cookie": {"name": "route", "maxAge": 3600}}, {"cookie": {"name": "route",
                                                                                               "maxAge": 0}},
       {"cookie": {"name": "a;b"}}, {"cookie": {}}, {}]],
]

# What the loader refuses and no JSON Schema pattern can: arithmetic on addresses.
LOADER_ONLY: list[tuple[str, dict[str, Any]]] = [
    (f"allowCidrs={v!r}", app_with(allowCidrs=v)) for v in
    [["10.0.0.1/8"], ["0.0.0.0/1"], ["0.0.0.0/0"], ["1:2:3/64"], ["0.0.0.0/1", "128.0.0.0/1"], ["::/1", "8000::/1"],
     ["8.0.0.0/9", "8.128.0.0/9", "9.0.0.0/9"], ["2001:db8::1/32"]]
] + [
    # ParseNormalizedNamed beyond regexp.go's referencePat (components/inputs/imageref.py, IMAGE_PATTERN)
    (f"deploy.image={v!r}", app_with(service=DELETE, deploy={"image": v, "port": 80})) for v in
    ["a" * 64, "a@sha256:" + "f" * 32, "a@md5:" + "f" * 32, "a@sha256:" + "F" * 64, "a/" + "b" * 254]
] + [
    # Regular expressions PCRE and RE2 read differently, and URLs the schema's pattern cannot fully judge.
    *[(f"canary.header.pattern={v!r}", app_with(canary={"service": {"name": "n", "port": 80},
                                                         "header": {"name": "X-C", "pattern": v}})) for v in
      ["(?=a)b", "(a)\\1", "a++", "(", "[a"]],
    *[(f"auth.external.url={v!r}", app_with(auth={"external": {"url": v}})) for v in
      ["https://auth.example.com:99999/"]],
    ("canary header Cookie", app_with(canary={"service": {"name": "n", "port": 80},
                                              "header": {"name": "Cookie", "value": "a"}})),
    ("canary speaks HTTPS, app HTTP", app_with(canary={"service": {"name": "n", "port": 80, "protocol": "HTTPS"}})),
    ("canary is the app's Service", app_with(canary={"service": {"name": "shop", "port": 80}})),
]


@pytest.mark.parametrize("case, app", CORPUS, ids=[case[:80] for case, _ in CORPUS])
def test_schema_and_loader_agree(case, app):
    accepted, problems = loader_accepts(app)
    assert schema_accepts(app) == accepted, (case, problems)


@pytest.mark.parametrize("case, app", LOADER_ONLY, ids=[case for case, _ in LOADER_ONLY])
def test_loader_is_stricter_only_where_documented(case, app):
    accepted, _ = loader_accepts(app)
    assert schema_accepts(app) and not accepted


def test_the_corpus_has_both_outcomes():
    outcomes = [loader_accepts(app)[0] for _, app in CORPUS]
    assert outcomes.count(False) > 30 and outcomes.count(True) > 30


def test_patterns_are_read_alike_by_python_and_ecma():
    # the same text, three engines: Python (the loader), Rust (pydantic), ECMA-262 (editors)
    for pattern in (fieldtypes.LABEL_PATTERN, fieldtypes.HOST_PATTERN, fieldtypes.URL_PATH_PATTERN,
                    fieldtypes.CIDR_PATTERN):
        assert "(?" not in pattern  # no lookaround: the Rust engine has none
        regress.Regex(pattern, "u")
        re.compile(pattern)


PATH_ALPHABET = st.sampled_from([*"/a.Z9_-%?#;{}~ \n\x00é", "..", "//", "/./", "/../"])
FUZZ = settings(max_examples=300, deadline=timedelta(milliseconds=200), database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(PATH_ALPHABET, max_size=12).map("".join))
def test_path_rules_and_path_pattern_agree(path):
    by_rules = fieldtypes.url_path_problem(path) is None
    assert by_rules == (regress.Regex(fieldtypes.URL_PATH_PATTERN, "u").find(path) is not None), path
    assert by_rules == (fieldtypes.URL_PATH_RE.fullmatch(path) is not None or path == "/"), path


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("aZ0-._\n\u212a*")), max_size=70))
def test_host_rules_and_host_pattern_agree(host):
    try:
        fieldtypes._host(host)
        valid = True
    except ValueError:
        valid = False
    assert valid == (regress.Regex(fieldtypes.HOST_PATTERN, "u").find(host) is not None and len(host) <= 253), host


FIELD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 70000), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12), st.sampled_from(["public", "private", "/", "/api", "shop", "HTTP", "KEYWORD", "10.0.0.0/8"]),
)
APPS = st.fixed_dictionaries(
    {"name": st.sampled_from(["shop", "api", "Shop", "1a"])},
    optional={
        "visibility": st.sampled_from(["public", "private", "x"]),
        "edges": st.lists(st.sampled_from(["public", "private", "Bad"]), max_size=3),
        "host": FIELD_VALUES, "paths": st.lists(FIELD_VALUES, max_size=3), "healthPath": FIELD_VALUES,
        "service": st.fixed_dictionaries({"name": st.sampled_from(["s", "S"]), "port": FIELD_VALUES}),
        "deploy": st.fixed_dictionaries({"image": st.sampled_from(["x", "x y"]), "port": st.integers(0, 70000)},
                                        optional={"replicas": FIELD_VALUES}),
        "monitor": st.fixed_dictionaries({}, optional={"type": st.sampled_from(["HTTP", "KEYWORD"]),
                                                       "keyword": FIELD_VALUES, "interval": FIELD_VALUES}),
        "allowCidrs": st.lists(st.sampled_from(["10.0.0.0/8", "203.0.113.0/24", "10.0.0.1/8", "x"]), max_size=2),
        "stacks": st.lists(st.sampled_from(["dev", "prod", "Dev"]), max_size=2),
        "other": FIELD_VALUES,
    },
)


@FUZZ
@given(APPS)
def test_loader_and_schema_agree_on_generated_apps(app):
    """The catalogue loader on generated entries: never a crash, and the schema's verdict unless the loader
    refused an address the schema cannot judge."""
    accepted, problems = loader_accepts(app)
    assert all("\n" not in problem and problem.startswith("apps.yaml:") for problem in problems)
    cidr_only = problems and all("field 'allowCidrs" in problem for problem in problems)
    if not cidr_only:
        assert schema_accepts(app) == accepted, problems
