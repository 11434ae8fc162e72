"""The sample outputs the docs show, generated from the example stacks, so that they never drift.

Each sample sits in a page between `<!-- sample: NAME -->` and `<!-- /sample -->` and is what the
planner prints today, run as a user runs it in this repository:

- `dev-table` (docs/planner.md): `python -m planner --stack dev`;
- `dev-diff` (docs/pull-requests.md): the plan-diff comment for a change to the dev stack's
  catalogue (`SAMPLE_CHANGE`): `python -m planner --stack dev --apps CHANGED --diff BASE.json`,
  where BASE.json is the plan of the repository's `apps.yaml`.

tests/test_samples.py fails when a page's sample is not what the planner prints. After an intended
change, rewrite them and review the diff like code:

    .venv/bin/python -m tests.samples          # rewrites the samples in docs/
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

SAMPLE_CHANGE = (
    ("adds the app `blog`", "\n  - name: argocd\n", """
  - name: blog
    visibility: public
    deploy: {image: ghcr.io/acme/blog:1.0.0, port: 8080}
    healthPath: /healthz

  - name: argocd
"""),
    ("makes `docs` check every 5 minutes", "    monitor: {interval: 600}\n", "    monitor: {interval: 300}\n"),
    ("moves `argocd` to the host `argo`", "    host: deploy\n", "    host: argo\n"),
    ("gives `admin` a third user", "users: [alice, bob]", "users: [alice, bob, carol]"),
)
"""The change the diff sample shows: (what it does, in words; text of apps.yaml; what it becomes)."""


def changed_catalogue() -> str:
    """The repository's apps.yaml with `SAMPLE_CHANGE` applied."""
    text = (ROOT / "apps.yaml").read_text(encoding="utf-8")
    for what, old, new in SAMPLE_CHANGE:
        assert text.count(old) == 1, f"apps.yaml changed: the sample change that {what} no longer applies"
        text = text.replace(old, new)
    return text


def _planner(*args: str) -> str:
    """What `python -m planner ARGS` prints in the repository (stdout), failing on any exit but 0."""
    from planner.__main__ import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(ROOT):
        code = main(list(args))
    assert code == 0, f"python -m planner {' '.join(args)} exited {code}"
    return out.getvalue()


def dev_table() -> str:
    return _planner("--stack", "dev")


def dev_diff() -> str:
    with tempfile.TemporaryDirectory() as folder:
        base, changed = Path(folder) / "base.json", Path(folder) / "apps.yaml"
        base.write_text(_planner("--stack", "dev", "--format", "json"), encoding="utf-8")
        changed.write_text(changed_catalogue(), encoding="utf-8")
        return _planner("--stack", "dev", "--apps", str(changed), "--diff", str(base))


SAMPLES: dict[str, tuple[str, Callable[[], str], str]] = {
    "dev-table": ("planner.md", dev_table, "```text\n{}```\n"),
    "dev-diff": ("pull-requests.md", dev_diff, "{}"),
}
"""Sample name -> (its page under docs/, what renders it, how the page frames it)."""


def block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- sample: {re.escape(name)} -->\n)(.*?)(<!-- /sample -->)", re.S)


def shown(name: str) -> str:
    """The sample as its page shows it now (between the markers)."""
    page, _, _ = SAMPLES[name]
    match = block(name).search((DOCS / page).read_text(encoding="utf-8"))
    assert match, f"docs/{page} has no sample '{name}' (<!-- sample: {name} --> ... <!-- /sample -->)"
    return match.group(2)


def rendered(name: str) -> str:
    """The sample as the planner prints it today, framed as its page shows it."""
    _, render, frame = SAMPLES[name]
    return frame.format(render())


def main() -> int:
    for name, (page, _, _) in SAMPLES.items():
        path = DOCS / page
        text = path.read_text(encoding="utf-8")
        shown(name)  # the markers are there
        new = rendered(name)
        match = block(name).search(text)
        assert match is not None
        path.write_text(text[:match.start(2)] + new + text[match.end(2):], encoding="utf-8")
        print(f"wrote the sample '{name}' in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
