"""What a planner document is, and `--diff`'s base: a plan of a format this planner reads, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from planner.__main__ import main
from planner.plan_format import FORMAT_VERSION, base_problem, kind_of


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The planner's own JSON outputs for dev: a plan, a preview, a diff and a rollout report."""
    import contextlib
    import io

    found = {}
    for name, args in (("plan", []), ("preview", ["--preview", "fresh"]), ("rollout", ["--rollout"])):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["--stack", "dev", "--format", "json", *args]) == 0
        found[name] = json.loads(out.getvalue())
    base = tmp_path_factory.mktemp("base") / "plan.json"
    base.write_text(json.dumps({**found["plan"], "apps": found["plan"]["apps"][1:]}), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--stack", "dev", "--diff", str(base), "--format", "json"]) == 0
    found["diff"] = json.loads(out.getvalue())
    return found


@pytest.mark.parametrize("kind", ["plan", "preview", "diff", "rollout"])
def test_every_document_says_what_it_is(documents, kind):
    assert (documents[kind]["kind"], documents[kind]["formatVersion"]) == (kind, FORMAT_VERSION)


@pytest.mark.parametrize("kind", ["preview", "diff", "rollout"])
def test_documents_without_a_version_are_told_apart_by_their_shape(documents, kind):
    legacy = {k: v for k, v in documents[kind].items() if k not in ("kind", "formatVersion")}
    assert kind_of(legacy) == kind and base_problem(legacy) is not None


@pytest.mark.parametrize(("kind", "says"), [
    ("diff", "the output of `--diff --format json`, not a plan"),
    ("preview", "a preview plan (`--preview`)"),
    ("rollout", "a rollout report (`--rollout --format json`), not a plan"),
])
@pytest.mark.parametrize("versioned", [True, False])
def test_a_base_that_is_no_plan_exits_1_saying_what_it_is(documents, tmp_path, capsys, kind, says, versioned):
    document = documents[kind] if versioned else {k: v for k, v in documents[kind].items()
                                                  if k not in ("kind", "formatVersion")}
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: not a base for --diff: {says}") and len(err.splitlines()) == 1


def test_a_plan_of_another_format_version_exits_1(documents, tmp_path, capsys):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({**documents["plan"], "formatVersion": FORMAT_VERSION + 1}), encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(path)]) == 1
    assert f"a plan of format version {FORMAT_VERSION + 1}; this planner reads versions 1, 2" in \
        capsys.readouterr().err


def test_a_plan_without_a_version_is_a_base(documents, tmp_path, capsys):
    """The base branch's plan the first pull request after versions came in diffs against (and the
    workflow's empty plan for a base without the planner)."""
    plan = documents["plan"]
    legacy = {k: v for k, v in plan.items() if k not in ("kind", "formatVersion")}
    for resource in legacy["resources"]:
        resource.pop("fromOutputs", None)
        resource.pop("propertyDependencies", None)
    for app in legacy["apps"]:
        app.pop("allowCidrs")
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(legacy), encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(path)]) == 0
    assert capsys.readouterr().out == "No changes to stack `dev`.\n"
    empty = tmp_path / "empty.json"
    empty.write_text('{"stack": "dev", "apps": [], "resources": []}\n', encoding="utf-8")
    assert main(["--stack", "dev", "--diff", str(empty)]) == 0
    assert "Apps: 11 added" in capsys.readouterr().out
