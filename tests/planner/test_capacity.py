"""The plan's capacity warnings: what was declared, counted against `gangplank:limits`, shown in table and diff."""

from __future__ import annotations

import json

import pytest

from components.apps.capacity import stack_usage
from components.apps.dashboard import dashboard_app
from components.inputs.catalog.loading import load_catalogue
from components.inputs.settings_parsing import known_stacks, parse_settings
from planner.capacity import plan_usage
from planner.diff import diff_plans, render_diff_markdown
from planner.render import render_markdown, render_table
from planner.run import build_plan
from tests.conftest import FLAVORS, ROOT, STACKS, stack_edges

NEW_EDGES = {"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]},
             "finance": {"visibility": "private", "allowedCidrs": ["10.40.0.0/16"]}}
"""Two edges added to a stack's own (dev's `labs`, an Envoy Gateway edge, counts its HTTPRoutes)."""
NEAR = json.dumps({"recordsPerZone": 20, "ingressesPerEdge": 5})


def _sorted(usage):
    return sorted((u.limit, u.subject, u.count, u.unit or "") for u in usage)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("config", [{}, {"dnsRecords": "wildcard"}, {"edges": NEW_EDGES, "dualstack": "true"}],
                         ids=["perHost", "wildcard", "edges"])
def test_what_the_program_counts_before_declaring_is_what_it_declares(run_stack, stack, flavor, config):
    if "edges" in config:
        config = {**config, "edges": stack_edges(stack, **config["edges"])}
    run = run_stack(stack, flavor=flavor, **config)
    settings = parse_settings(run.config, "Pulumi.yaml", secret_keys=run.secret_keys)
    apps = load_catalogue(settings.apps_file, settings, stack, known_stacks(ROOT))
    before = stack_usage(settings, apps, dashboard_app(settings, stack))
    assert _sorted(before) == _sorted(plan_usage(build_plan(run)))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_moving_edge_is_counted_alike_before_and_after_declaring(run_stack, flavor):
    """Both controllers of a moving edge count their own Ingresses and certificate; the zone its weighted records."""
    other = next(f for f in FLAVORS if f != flavor)
    run = run_stack("prod", flavor=flavor, edges=json.dumps({"public": {"move": {"to": other, "weight": 40}}}))
    settings = parse_settings(run.config, "Pulumi.yaml", secret_keys=run.secret_keys)
    apps = load_catalogue(settings.apps_file, settings, "prod", known_stacks(ROOT))
    before = stack_usage(settings, apps, dashboard_app(settings, "prod"))
    assert _sorted(before) == _sorted(plan_usage(build_plan(run)))
    subjects = {u.subject: u.count for u in before if u.limit == "ingressesPerEdge"}
    assert subjects[f"edge public ({other})"] > 0 and f"load balancer of edge public ({other})" in {
        u.subject for u in before}


def test_the_table_lists_the_warnings(plan_stack):
    table = render_table(plan_stack("dev", limits=NEAR))
    assert "Warnings (3):" in table
    assert "- zone dev.example.com: 18 record sets, near gangplank:limits.recordsPerZone = 20" in table
    # labs serves HTTPRoutes: the plan's warning (the PR's) names them, as the program's own does.
    assert "- edge labs: 5 HTTPRoutes, near gangplank:limits.ingressesPerEdge = 5" in table
    assert "Warnings" not in render_table(plan_stack("dev"))
    assert "- edge public: 8 Ingresses, past gangplank:limits.ingressesPerEdge = 5" in render_markdown(
        plan_stack("dev", limits=NEAR))


def test_the_pull_request_diff_shows_the_heads_warnings(plan_stack, write_apps):
    base = plan_stack("dev", limits=NEAR)
    more = (ROOT / "apps.yaml").read_text(encoding="utf-8") + (
        "\n  - name: blog\n    visibility: public\n    service: {name: blog, port: 80}\n")
    head = plan_stack("dev", write_apps(more), limits=NEAR)
    markdown = render_diff_markdown(diff_plans(base, head))
    assert "> [!CAUTION]" in markdown
    assert "> - zone dev.example.com: 20 record sets, near gangplank:limits.recordsPerZone = 20" in markdown
    # Without warnings in the head plan, the diff is as it always was.
    assert "[!CAUTION]" not in render_diff_markdown(diff_plans(plan_stack("dev"), plan_stack("dev", write_apps(more))))


def test_an_unchanged_stack_near_a_limit_still_says_so(plan_stack):
    plan = plan_stack("dev", limits=NEAR)
    markdown = render_diff_markdown(diff_plans(plan, plan))
    assert markdown.startswith("No changes to stack `dev`.\n\n> [!CAUTION]\n")
    assert render_diff_markdown(diff_plans(plan_stack("dev"), plan_stack("dev"))) == "No changes to stack `dev`.\n"
