"""A corpus of hostile and careless inputs, each run through the real CLI (`planner.__main__.main`).

Every case is one class of input that used to crash the planner (a traceback, a segfault, a hang)
or that it waved through. Each must now exit 1 with one line per problem, each line naming the
file and, where the file has one, the line; no traceback, nothing on stdout. A few inputs that
were wrongly refused (YAML merge keys) must plan.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from planner.__main__ import main
from planner.stackconfig import SECRET_PLACEHOLDER
from tests.conftest import ROOT

STACK = (ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8")
GOOD_APP = """
  - name: shop
    visibility: public
    service: {name: shop, port: 80}
"""


def apps(*entries: str) -> str:
    return "apps:\n" + "".join(textwrap.dedent(entry).strip("\n").replace("\n", "\n    ").join(("  - ", "\n"))
                               for entry in entries)


def app(**fields: str) -> str:
    """One entry: the good app with fields replaced or added (values as YAML text)."""
    values = {"name": "shop", "visibility": "public", "service": "{name: shop, port: 80}", **fields}
    return "\n".join(f"{key}: {value}" for key, value in values.items() if value is not None)


def stack_with(*lines: str, drop: tuple[str, ...] = ()) -> str:
    """The dev stack file with config lines added (or replacing a key of the same name) or dropped."""
    keys = {line.split(":")[0] + ":" + line.split(":")[1] for line in lines} | set(drop)
    kept, skipping = [], False
    for line in STACK.splitlines():
        key = ":".join(line.strip().split(":")[:2])
        if line.startswith("  ") and not line.startswith("    ") and key in keys:
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept + [f"  {line}" for line in lines]) + "\n"


@dataclass
class Case:
    id: str
    expect: str
    """A fragment one problem line must hold."""
    apps: str | bytes | None = None
    """apps.yaml of the case; None: the project's own."""
    stack: str | bytes | None = None
    """Pulumi.dev.yaml of the case; None: the project's own."""
    base: str | None = None
    """A --diff base plan (text)."""
    args: list[str] = field(default_factory=list)
    line: int | None = 0
    """The line the expected problem names; 0: any line; None: none (a problem of the whole file)."""
    in_file: str = "apps.yaml"
    """The file the expected problem names."""
    problems: int | None = None
    """How many problems; None: at least one."""


def bomb(levels: int = 9) -> str:
    lines = ["x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


CASES = [
    # -- crashes: now clear errors, fast ---------------------------------------------------------
    Case("alias bomb", "alias bomb", apps=bomb() + "apps: []\n", line=6),
    Case("alias bomb in the stack file", "alias bomb", stack=STACK + "  " + bomb().replace("\n", "\n  "),
         in_file="Pulumi.dev.yaml"),
    Case("recursive alias", "inside its own anchor", apps="apps: &a [*a]\n", line=1),
    Case("330 levels", "more than 64 levels", apps="apps: " + "[" * 330 + "]" * 330 + "\n", line=1),
    Case("200,000 levels (segfaulted)", "more than 64 levels", apps="[" * 200_000 + "]" * 200_000, line=1),
    Case("200,000 levels in the stack file", "more than 64 levels",
         stack=STACK + "  deep: " + "{a: " * 200_000 + "1" + "}" * 200_000 + "\n", in_file="Pulumi.dev.yaml"),
    Case("mapping key that is a list", "mapping key must be a plain value", apps="? [a, b]\n: 1\n", line=1),
    Case("BEL in a comment", "U+0007 (BEL)", apps=apps(app()) + "# ring \x07\n", line=5),
    Case("DEL in a value", "U+007F (DEL)", apps=apps(app(name="sh\x7fop")), line=2),
    Case("NUL in the stack file", "U+0000 (NUL)", stack=STACK.replace("# Development", "# Dev\x00elopment"),
         in_file="Pulumi.dev.yaml", line=1),
    Case("hostTemplate format spec", "may use only {name} and {stack}",
         stack=stack_with("gangplank:hostTemplate: '{name:.3}'"), in_file="Pulumi.dev.yaml"),
    Case("hostTemplate index", "may use only {name} and {stack}",
         stack=stack_with("gangplank:hostTemplate: '{name[2]}'"),
         in_file="Pulumi.dev.yaml"),
    Case("hostTemplate huge width", "may use only {name} and {stack}",
         stack=stack_with("gangplank:hostTemplate: '{name:>999999999}'"), in_file="Pulumi.dev.yaml"),
    Case("diff base: resources of numbers", "not a JSON plan: 'resources[0]': expected an object, found a number",
         base='{"resources": [1]}', in_file="base.json", line=None),
    Case("diff base: apps a string", "not a JSON plan: 'apps': expected a list, found a string",
         base='{"apps": "abc", "resources": []}', in_file="base.json", line=None),
    Case("diff base: options a list", "'resources[0].options': expected an object, found a list",
         base='{"resources": [{"type": "t", "name": "n", "options": [1]}]}', in_file="base.json", line=None),
    Case("diff base: 100,000 levels", "not a JSON plan: nested", base="[" * 100_000 + "]" * 100_000,
         in_file="base.json", line=None),
    Case("diff base: truncated", "not a JSON plan: Unterminated string", base='{"stack": "dev", "resources": [{"ty',
         in_file="base.json", line=1),
    Case("diff base: not an object", "not a JSON plan: expected an object", base="[]", in_file="base.json",
         line=None),
    # -- wrongly accepted: now refused with the reason -----------------------------------------
    Case("name with a newline", r"'shop\n' is not a DNS label", apps=apps(app(name='"shop\\n"')), line=2),
    Case("name as a block scalar", r"'shop\n' is not a DNS label", apps=apps(app(name="|\n  shop")), line=2),
    Case("namespace with a newline", r"field 'namespace': 'shop\n'", apps=apps(app(namespace='"shop\\n"')), line=5),
    Case("host with a newline", "field 'host'", apps=apps(app(host='"shop\\n"')), line=5),
    Case("alias with a newline", "field 'aliases[0]'", apps=apps(app(aliases='["www\\n"]')), line=5),
    Case("publicDomain with a newline", r"'dev.example.com\n' is not a DNS domain",
         stack=stack_with('gangplank:publicDomain: "dev.example.com\\n"'), in_file="Pulumi.dev.yaml"),
    Case("hostTemplate with a newline", "must make a DNS label",
         stack=stack_with('gangplank:hostTemplate: "{name}\\n"'),
         in_file="Pulumi.dev.yaml"),
    Case("edge name with a newline", r"'partners\n' is not a DNS label",
         stack=stack_with('gangplank:edges: {"partners\\n": {visibility: public}}'), in_file="Pulumi.dev.yaml"),
    *[Case(f"path {path!r}", reason, apps=apps(app(paths=json.dumps([path]))), line=5) for path, reason in [
        ("//", "'//'"), ("/a/../b", "'..' segment"), ("/a/..", "'..' segment"), ("/a%2Fb", "'%'"),
        ("/a?x=1", "query string"), ("/a#top", "fragment"), ("/a;b", "';' (nginx syntax)"), ("/a}", "'}'"),
        ("/a\u0000", "control character U+0000"), ("/api.*", "'*'"), ("/(a|b)", "'('")]],
    Case("healthPath with a query", "query string", apps=apps(app(healthPath="/health?full=1")), line=5),
    Case("child names collide", "its RandomPassword would be named 'a-password-b-password-c'",
         apps=apps(app(name="a", auth="{basic: {users: [b-password-c]}}", monitor="{enabled: false}"),
                   app(name="a-password-b", service="{name: x, port: 80}", auth="{basic: {users: [c]}}",
                       monitor="{enabled: false}")), line=10),
    Case("private allow-list: IPv4 in halves", "'0.0.0.0/1' is wider than /8",
         stack=stack_with("gangplank:privateAllowedCidrs: [0.0.0.0/1, 128.0.0.0/1]"), in_file="Pulumi.dev.yaml"),
    Case("private allow-list: IPv6 in halves", "'::/1' is wider than /32",
         stack=stack_with("gangplank:privateAllowedCidrs: ['::/1', '8000::/1']"), in_file="Pulumi.dev.yaml"),
    Case("private allow-list: /9 pieces", "more than one /8", in_file="Pulumi.dev.yaml",
         stack=stack_with(f"gangplank:privateAllowedCidrs: [{', '.join(f'{n}.0.0.0/9' for n in range(20, 22))}, "
                          "22.0.0.0/9]")),
    Case("private allow-list: a quarter", "'0.0.0.0/2' is wider than /8",
         stack=stack_with("gangplank:privateAllowedCidrs: [0.0.0.0/2]"), in_file="Pulumi.dev.yaml"),
    Case("private allow-list: /0", "must not contain '0.0.0.0/0'",
         stack=stack_with("gangplank:privateAllowedCidrs: [0.0.0.0/0]"), in_file="Pulumi.dev.yaml"),
    Case("edge allow-list in pieces", "more than one /8", in_file="Pulumi.dev.yaml",
         stack=stack_with("gangplank:edges: {partners: {visibility: public, allowedCidrs: "
                          f"[{', '.join(f'{n}.0.0.0/8' for n in range(20, 24))}]}}}}")),
    Case("app allow-list in pieces", "more than one /8", line=5,
         apps=apps(app(allowCidrs="[8.0.0.0/9, 8.128.0.0/9, 9.0.0.0/9]"))),
    Case("1 MB dashboard name", "at most 200 characters", apps=apps(app(dashboard="{name: " + "x" * 1_000_000 + "}")),
         line=5),
    Case("50 MB file", "larger than 4 MiB", apps=apps(app()) + "# " + "x" * (50 * 2**20) + "\n", line=None),
    Case("!!python/object on a mapping", "'!!python/object:os.system'",
         apps=apps(app(service="!!python/object:os.system {name: shop, port: 80}")), line=4),
    Case("!secret on a mapping", "does not make a value secret", apps=apps(app(dashboard="!secret {name: x}")),
         line=5),
    Case("!!str on a mapping", "'!!str' on a mapping", apps=apps(app(dashboard="!!str {name: x}")), line=5),
    Case("zone id that is none", "is not a Route53 hosted zone id", stack=stack_with("gangplank:parentZoneId: parent"),
         in_file="Pulumi.dev.yaml"),
    Case("zone id as its API path", "give the id alone: 'Z0123'", in_file="Pulumi.dev.yaml",
         stack=stack_with("gangplank:publicZoneId: /hostedzone/Z0123", drop=("gangplank:parentZoneId",))),
    Case("plaintext UptimeRobot key", "is stored in plain text", in_file="Pulumi.dev.yaml",
         stack=stack_with("gangplank:uptimerobotApiKey: ur123456-leaked")),
    Case("typo in a key", "did you mean 'gangplank:monitorInterval'?", in_file="Pulumi.dev.yaml",
         stack=stack_with("gangplank:monitorIntervall: 60")),
    Case("unknown namespace", "unknown config namespace 'gangplnk'; did you mean 'gangplank:vpcId'?",
         in_file="Pulumi.dev.yaml", stack=stack_with("gangplnk:vpcId: vpc-0a1b2c3d4e5f60718")),
    Case("missing aws:region", "config 'aws:region': required by pulumi-aws", in_file="Pulumi.dev.yaml", line=None,
         stack=stack_with(drop=("aws:region",))),
    Case("stacks: []", "puts the app in no stack", apps=apps(app(stacks="[]")), line=5),
    Case("private allowCidrs outside privateAllowedCidrs", "'192.168.7.0/24' can never reach the app",
         apps=apps(app(visibility="private", allowCidrs="[192.168.7.0/24]")), line=5),
    Case("host with a trailing dot", "'shop.' ends with a dot", apps=apps(app(host="shop.")), line=5),
    Case("host with KELVIN SIGN", "non-ASCII character", apps=apps(app(host="\u212aube")), line=5),
    # -- one reading of YAML ----------------------------------------------------------------------
    Case("octal port", "'0120' is the number 80 in YAML 1.1", apps=apps(app(service="{name: shop, port: 0120}")),
         line=4),
    Case("sexagesimal port", "'1:20' is the number 80 in YAML 1.1", apps=apps(app(service="{name: shop, port: 1:20}")),
         line=4),
    Case("yes", "'yes' is the boolean true in YAML 1.1", apps=apps(app(monitor="{enabled: yes}")), line=5),
    Case("off in the stack file", "'off' is the boolean false", stack=stack_with("gangplank:dualstack: off"),
         in_file="Pulumi.dev.yaml"),
    # -- messages --------------------------------------------------------------------------------
    Case("newline inside a value stays on one line", r"(got 'a\nb')", apps=apps(app(dashboard='{name: "a\\nb"}')),
         line=5),
    Case("UTF-16", "UTF-16 (little-endian)", apps=apps(app()).encode("utf-16"), line=1),
    Case("not UTF-8", "not UTF-8: byte 0xe9", apps=apps(app(namespace="caf\xe9")).encode("latin-1"), line=5),
    Case("secure publicDomain", "not shown: it is secret", in_file="Pulumi.dev.yaml",
         stack=stack_with("gangplank:publicDomain: {secure: v1:abc}")),
    Case("empty --apps", "--apps: an empty value", args=["--apps", ""], in_file="--apps", line=None),
    Case("a FIFO as apps.yaml", "named pipe (FIFO)", apps="FIFO", line=None),
    Case("a real duplicate key", "duplicate key 'visibility'", apps=apps(app() + "\nvisibility: private"), line=5),
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory with the real program and, per case, its own apps.yaml / Pulumi.dev.yaml."""
    def make(case: Case) -> list[str]:
        for name in ("__main__.py", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
            (tmp_path / name).symlink_to(ROOT / name)
        for name, content, default in (("apps.yaml", case.apps, ROOT / "apps.yaml"),
                                       ("Pulumi.dev.yaml", case.stack, ROOT / "Pulumi.dev.yaml")):
            target = tmp_path / name
            if content == "FIFO":
                os.mkfifo(target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content if content is not None else default.read_text(encoding="utf-8"),
                                  encoding="utf-8")
        args = ["--stack", "dev", *case.args]
        if case.base is not None:
            (tmp_path / "base.json").write_text(case.base, encoding="utf-8")
            args += ["--diff", "base.json"]
        monkeypatch.chdir(tmp_path)
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name, raising=False)
        return args

    return make


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_exits_1_with_one_clear_line_per_problem(case, project, capsys):
    status = main(project(case))
    out, err = capsys.readouterr()
    assert status == 1, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    lines = err.splitlines()
    problems = [line for line in lines if not re.fullmatch(r"\d+ problem\(s\); nothing was planned\.", line)]
    if case.in_file not in ("base.json", "--apps"):
        assert lines[-1] == f"{len(problems)} problem(s); nothing was planned."
    assert problems and all(re.match(r"(apps\.yaml|Pulumi\.dev\.yaml|base\.json|--apps)(:\d+)?: ", p) for p in problems)
    matching = [p for p in problems if case.expect in p]
    assert matching, problems
    where = re.match(r"([^:]+)(?::(\d+))?: ", matching[0])
    assert where is not None and where.group(1) == case.in_file
    if case.line is None:
        assert where.group(2) is None, matching[0]
    elif case.line:
        assert where.group(2) == str(case.line), matching[0]
    if case.problems is not None:
        assert len(problems) == case.problems
    assert SECRET_PLACEHOLDER not in err and "ur123456-leaked" not in err and "v1:abc" not in err
    assert all(len(p) < 2000 for p in problems)  # a 1 MB value is never echoed whole


MERGED = """
apps:
  - &web
    name: shop
    visibility: public
    service: {name: shop-web, port: 80}
    dashboard: {group: Storefront}
  - &eu
    <<: *web
    name: shop-eu
    host: shop-eu
    dashboard: {group: Europe}
  - <<: [*eu, *web]
    name: shop-ops
    host: shop-ops
    visibility: private
"""


def test_merge_keys_that_override_plan(project, capsys):
    assert main(project(Case("merge", "", apps=MERGED, args=["--format", "json"]))) == 0, capsys.readouterr().err
    apps_planned = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)["apps"]}
    assert apps_planned["shop-eu"]["url"] == "https://shop-eu.dev.example.com/"
    assert apps_planned["shop-eu"]["dashboardGroup"] == "Europe"
    assert apps_planned["shop-ops"]["url"] == "https://shop-ops.internal.dev.example.com/"
    assert apps_planned["shop-ops"]["dashboardGroup"] == "Europe"  # *eu is listed first: it wins over *web


def test_the_project_as_it_is_plans(project, capsys):
    assert main(project(Case("as is", ""))) == 0, capsys.readouterr().err


def test_a_fifo_stack_file_is_refused(tmp_path, monkeypatch, capsys):
    os.mkfifo(tmp_path / "Pulumi.dev.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["--stack", "dev"]) == 1
    assert "Pulumi.dev.yaml: config '*': cannot read the file: it is a named pipe (FIFO)" in capsys.readouterr().err


def test_the_corpus_covers_every_file(tmp_path):
    assert {case.in_file for case in CASES} == {"apps.yaml", "Pulumi.dev.yaml", "base.json", "--apps"}
    assert Path(ROOT / "apps.yaml").is_file()
