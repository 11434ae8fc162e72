"""`python -m planner`: the contract in DESIGN.md (flags, exit codes, JSON shape, secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from planner.__main__ import main
from planner.mocks.common import digest
from planner.stackconfig import SECRET_PLACEHOLDER
from tests.conftest import ROOT, STACKS


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The planner as a user runs it: a fresh process in the project directory."""
    return subprocess.run([sys.executable, "-m", "planner", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_in_json(stack, capsys):
    assert main(["--stack", stack, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["stack"] == stack
    assert plan["apps"] and all({"name", "visibility", "url"} <= set(app) for app in plan["apps"])
    for resource in plan["resources"]:
        assert {"type", "name", "inputs", "id", "parent"} <= set(resource)
        assert "__provider" not in resource["inputs"]
    names = [app["name"] for app in plan["apps"]]
    assert ("status" in names) == (stack == "prod")
    assert ("preview" in names) == (stack != "prod")


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_human_formats(fmt, capsys):
    assert main(["--stack", "dev", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "https://shop.dev.example.com/" in out
    assert "kubernetes:networking.k8s.io/v1:Ingress" in out


def test_table_has_one_row_per_app(capsys):
    main(["--stack", "dev"])
    lines = capsys.readouterr().out.splitlines()
    shop = next(line for line in lines if line.startswith("  shop "))
    assert shop.split() == ["shop", "public", "https://shop.dev.example.com/", "shop", "KEYWORD", "every", "30m"]
    grafana = next(line for line in lines if line.startswith("  grafana "))
    assert grafana.split()[1:] == ["private", "https://grafana.internal.dev.example.com/", "monitoring", "no"]


def test_wide_table(capsys):
    assert main(["--stack", "dev", "--wide"]) == 0
    shop = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("  shop "))
    assert "nginx-public" in shop and "service shop-web:80" in shop and "rate limit (50 rps)" in shop


HASH_PROBE = "gangplank"
"""A string whose hash tells two processes' hash seeds apart."""


def test_output_is_deterministic(capsys):
    """The same input gives the same bytes in another process, whose string hashes differ (any order taken from a
    set or a hash would show): one plan in a subprocess with another hash seed than this process's, one here."""
    ours = os.environ.get("PYTHONHASHSEED", "")
    other_seed = str((int(ours) + 1) % 2**32) if ours.isdigit() else "1"
    code = (f"import sys; print('hash', hash({HASH_PROBE!r}), file=sys.stderr); "
            "from planner.__main__ import main; sys.exit(main(sys.argv[1:]))")
    other = subprocess.run([sys.executable, "-c", code, "--stack", "prod", "--format", "json"], cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": other_seed}, capture_output=True, text=True,
                           timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stderr.splitlines()[0] != f"hash {hash(HASH_PROBE)}"  # the two processes hash differently
    assert main(["--stack", "prod", "--format", "json"]) == 0
    assert capsys.readouterr().out == other.stdout


def test_no_secret_value_is_printed(capsys):
    main(["--stack", "dev", "--format", "json"])
    out = capsys.readouterr().out
    plan = json.loads(out)
    assert SECRET_PLACEHOLDER not in out
    # the passwords the offline random provider generates for the preview app's users
    for user in ("qa", "product"):
        assert digest(f"preview-password-{user}", "password", length=64)[:24] not in out
    assert "$2b$" not in out  # no htpasswd hash either
    secrets = [r for r in plan["resources"] if r["type"] == "kubernetes:core/v1:Secret"]
    assert secrets and all(s["inputs"]["stringData"] == "[secret]" or
                           set(s["inputs"]["stringData"].values()) == {"[secret]"} for s in secrets)
    assert plan["outputs"]["basicAuthPasswords"] == "[secret]"
    stack_file = (ROOT / "Pulumi.dev.yaml").read_text()
    ciphertext = stack_file.split("secure: ")[1].split()[0]
    assert ciphertext not in out


def test_invalid_catalogue_exits_1_listing_every_problem(write_apps):
    path = write_apps("""
        apps:
          - name: Shop
            visibility: public
            service: {name: shop, port: 80}
          - name: api
            visibility: private
            monitor: {enabled: true}
            service: {name: api, port: 80}
        """)
    result = run_cli("--apps", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert f"{path}:2: app 'Shop' field 'name': 'Shop' is not a DNS label" in lines[0]
    assert lines[1].startswith(f"{path}:7: app 'api' field 'monitor.enabled': private apps cannot be monitored")
    assert lines[-1] == "2 problem(s); nothing was planned."


def test_missing_apps_file_exits_1():
    result = run_cli("--apps", "does-not-exist.yaml")
    assert result.returncode == 1
    assert result.stderr.startswith("does-not-exist.yaml: catalogue field 'apps': file not found")
    assert "Traceback" not in result.stderr


def test_unknown_stack_exits_1(capsys):
    assert main(["--stack", "qa"]) == 1
    assert ("Pulumi.qa.yaml: config '*': file not found; known stacks: dev, prod, prod-platform, prod-services, "
            "prod-web, staging") in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["--format", "xml"], ["--stack"], ["--bogus"],
    ["--diff", "base.json", "--format", "table"],  # a diff is Markdown or JSON: never silently something else
    ["--wide", "--format", "json"],
    ["--diff", "base.json", "--format", "json", "--wide"],  # JSON is never cut: --wide means nothing there
    ["--allow-other-stack"],
])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.fixture
def dev_base(tmp_path, capsys):
    """A `--format json` plan of dev without its first app, written to a file."""
    assert main(["--stack", "dev", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    plan["apps"] = plan["apps"][1:]
    path = tmp_path / "base-dev.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_diff_as_json(dev_base, capsys):
    assert main(["--stack", "dev", "--diff", str(dev_base), "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)  # JSON, not Markdown
    assert diff["stack"] == diff["baseStack"] == "dev"
    assert [(app["name"], app["change"]) for app in diff["apps"]] == [("shop", "added")]


def test_a_wide_diff_keeps_long_lines(dev_base, capsys):
    plan = json.loads(dev_base.read_text(encoding="utf-8"))
    ingress = next(r for r in plan["resources"] if r["name"] == "docs-ingress")
    ingress["inputs"]["metadata"]["namespace"] = "handbook"  # a replacement: a long risk line
    dev_base.write_text(json.dumps(plan), encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(dev_base), "--wide"]) == 0
    wide = capsys.readouterr().out
    assert main(["--stack", "dev", "--diff", str(dev_base)]) == 0
    narrow = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 100 < max(len(line) for line in wide.splitlines())


def test_diff_is_markdown_by_default(dev_base, capsys):
    assert main(["--stack", "dev", "--diff", str(dev_base)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Stack `dev`\n") and "- `shop`: **added**" in out


def test_a_base_of_another_stack_is_refused(dev_base, capsys):
    assert main(["--stack", "prod", "--diff", str(dev_base)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"{dev_base}: a plan of stack 'dev', not of 'prod'; to compare two stacks, "
                            "pass --allow-other-stack\n")
    assert main(["--stack", "prod", "--diff", str(dev_base), "--allow-other-stack"]) == 0
    assert capsys.readouterr().out.startswith("### Stack `prod` (compared with stack `dev`)")


def test_unreadable_diff_base_exits_1(tmp_path, capsys):
    base = tmp_path / "base.json"
    base.write_text("{not json")
    assert main(["--diff", str(base)]) == 1
    assert f"{base}:1: not a JSON plan: Expecting property name" in capsys.readouterr().err


@pytest.mark.parametrize("text, says", [
    ('{"resources": [1]}', "'resources[0]': expected an object, found a number"),
    ('{"apps": "abc", "resources": []}', "'apps': expected a list, found a string"),
    ('{"resources": [{"type": "t", "name": "n", "options": [1]}]}', "'resources[0].options': expected an object"),
    ('{"resources": [{"type": 1, "name": "n"}], "apps": [{"name": 2}]}', "(and 1 more problem(s))"),
    ('{"apps": []}', "'resources': missing"),
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"a": ' * 200 + "1" + "}" * 200, "nested more than 100 levels deep"),
])
def test_a_malformed_diff_base_is_not_a_json_plan(tmp_path, capsys, text, says):
    base = tmp_path / "base.json"
    base.write_text(text)
    assert main(["--diff", str(base)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{base}: not a JSON plan: ") and says in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_the_planners_own_plan_is_a_valid_base(tmp_path, capsys):
    assert main(["--stack", "dev", "--format", "json"]) == 0
    base = tmp_path / "base.json"
    base.write_text(capsys.readouterr().out)
    assert main(["--stack", "dev", "--diff", str(base)]) == 0
    assert "No changes to stack `dev`" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--apps", "--stack", "--diff"])
def test_an_empty_flag_is_named(flag, capsys):
    assert main([flag, ""]) == 1
    wanted = "stack name" if flag == "--stack" else "file path"
    assert capsys.readouterr().err == f"{flag}: an empty value; give a {wanted}\n"


def test_a_stack_name_pulumi_refuses_is_named(capsys):
    assert main(["--stack", "../etc/x"]) == 1
    assert capsys.readouterr().err.startswith("--stack: '../etc/x' is not a stack name")


def test_an_internal_error_is_a_bug_not_invalid_input(monkeypatch, capsys):
    """CI must tell a crash from invalid input: a bug exits 3 and says where it happened."""
    import planner.__main__ as cli

    def broken_plan(*args, **kwargs):
        return {}["apps"]  # a KeyError, as a bug would raise

    monkeypatch.setattr(cli, "run_program", broken_plan)
    assert main(["--stack", "dev"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err  # for the bug report
    last = err.splitlines()[-1]
    assert last.startswith("python -m planner: internal error at test_cli.py:")
    assert "(broken_plan): KeyError: 'apps'" in last and "This is a bug in gangplank" in last


def test_an_internal_error_in_a_fresh_process_exits_3(tmp_path):
    (tmp_path / "Pulumi.dev.yaml").write_text((ROOT / "Pulumi.dev.yaml").read_text())
    (tmp_path / "apps.yaml").write_text((ROOT / "apps.yaml").read_text())
    (tmp_path / "__main__.py").write_text("raise RuntimeError('the program broke')\n")
    result = subprocess.run([sys.executable, "-c", "import sys; from planner.__main__ import main; "
                             "sys.exit(main(['--stack', 'dev']))"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 3, result.stderr
    assert "internal error at __main__.py:1" in result.stderr and "RuntimeError: the program broke" in result.stderr


def test_rehearse_without_the_emulator_says_what_to_install(monkeypatch, capsys):
    import importlib.util

    from planner.__main__ import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a))
    with pytest.raises(SystemExit) as exited:
        main(["--stack", "dev", "--rehearse"])
    assert exited.value.code == 2
    assert "--rehearse needs moto and boto3: .venv/bin/pip install -r requirements-dev.txt" in capsys.readouterr().err
