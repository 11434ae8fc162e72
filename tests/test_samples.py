"""The sample outputs the docs show are what the planner prints for the example stacks (tests/samples.py)."""

from __future__ import annotations

import pytest

from tests import samples


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_the_docs_show_what_the_planner_prints(name: str) -> None:
    page = samples.SAMPLES[name][0]
    assert samples.shown(name) == samples.rendered(name), (
        f"the sample '{name}' in docs/{page} is not what the planner prints: run `python -m tests.samples`")


def test_the_table_sample_is_the_dev_stack() -> None:
    table = samples.shown("dev-table")
    assert table.startswith("```text\nStack dev: 11 apps (8 public, 3 private), ")  # apps.yaml's dev apps
    # The catalogue's canary, sticky and externally authenticated examples, on dev's labs edge (docs/apps-yaml.md).
    for shown in ("  labs     class gangplank-labs-envoy-gateway (envoy-gateway)", "canary checkout-canary:8080 10%,",
                  "sticky (cookie route, 3600 s)", "external auth (auth.example.com)"):
        assert shown in table


def test_the_diff_sample_shows_each_part_of_the_change() -> None:
    diff = samples.shown("dev-diff")
    assert diff.startswith("### Stack `dev`\n\nApps: 1 added, 3 changed, 0 removed.")
    for shown in ("- `blog`: **added**, `https://blog.dev.example.com/`", "`monitor.interval`: `600` → `300`",
                  "App `argocd` moves", "`admin-password-carol` (create)"):
        assert shown in diff
