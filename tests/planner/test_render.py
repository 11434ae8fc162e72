"""planner.render: the plan table (`python -m planner`), its wide form and Markdown.

The golden files (tests/planner/goldens.py) pin the exact bytes for a hand-written plan; these
tests plan the real program and check what a reader must be able to find.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from planner.render import render_markdown, render_table, resource_groups
from tests.conftest import STACKS
from tests.planner.goldens import load_plan

PARTNERS_EDGE = '{"partners": {"visibility": "public", "allowedCidrs": ["203.0.113.0/24"]}}'


@pytest.fixture(scope="module")
def dev_plan() -> dict[str, Any]:
    from planner.run import plan
    from tests.conftest import ROOT

    return plan("dev", None, ROOT)


def block(table: str, title: str) -> list[str]:
    """The lines of the section that starts with the line `title`, up to the next blank line."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def row(lines: list[str], app: str) -> list[str]:
    """The cells of an app's row (cells are apart by two spaces or more)."""
    line = next(line for line in lines if line.startswith(f"  {app} "))
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_reads_in_100_columns(plan_stack: Any, stack: str) -> None:
    table = render_table(plan_stack(stack))
    too_wide = [line for line in table.splitlines() if len(line) > 100]
    assert not too_wide, too_wide


def test_the_platform_and_its_edges(dev_plan: dict[str, Any]) -> None:
    table = render_table(dev_plan)
    assert table.startswith(f"Stack dev: 11 apps (8 public, 3 private), {len(dev_plan['resources'])} resources\n")
    assert "  controllers   nginx-inc (chart nginx-ingress 2.6.4), IPv4 only" in table
    assert "  dashboard     https://dashboard.internal.dev.example.com/" in table
    for server in dev_plan["outputs"]["publicNameServers"]:
        assert server in block(table, "  name servers")[0] + " ".join(block(table, "  name servers"))
    edges = block(table, "3 edges:")
    assert edges[1] == "  public   class nginx-public, public zone, admits everyone; 5 apps"
    assert edges[3] == "  private  class nginx-private, private zone, admits only 10.10.0.0/16, 172.20.0.0/22; 3 apps"
    # An edge of another flavor than the stack's says which.
    assert edges[5] == ("  labs     class gangplank-labs-envoy-gateway (envoy-gateway), public zone, admits everyone; "
                        "3 apps")
    for line, edge in ((edges[2], "public"), (edges[4], "private"), (edges[6], "labs")):
        assert line == f"           NLB {dev_plan['outputs']['loadBalancers'][edge]}"


def test_every_app_with_its_edge_url_namespace_monitor_backend_and_protections(dev_plan: dict[str, Any]) -> None:
    table = render_table(dev_plan)
    apps = block(table, "11 apps:")
    assert row(apps, "shop") == ["shop", "public", "https://shop.dev.example.com/", "shop", "KEYWORD every 30m"]
    assert row(apps, "checkout") == ["checkout", "labs", "https://checkout.dev.example.com/", "shop", "HTTP every 30m"]
    assert row(apps, "docs")[-1] == "HTTP every 10m"
    assert row(apps, "admin") == ["admin", "private", "https://admin.internal.dev.example.com/", "backoffice", "no"]
    details = block(table, "  app          backend")
    assert row(details, "shop-api") == ["shop-api", "image ghcr.io/acme/shop-api:2.3.1, 3 replicas",
                                        "rate limit (20 rps, 50 connections)"]
    assert row(details, "preview")[1:] == ["image ghcr.io/acme/shop-web:pr-latest, 1 replica", "basic auth (2 users)"]
    # Two protections: one per line, the second under the first.
    admin = details.index(next(line for line in details if line.startswith("  admin ")))
    assert details[admin].endswith("basic auth (2 users)")
    assert details[admin + 1].strip() == "allow-list (1 CIDR)"
    # The catalogue's canary, sticky and externally authenticated examples (on labs), each under its backend.
    checkout = details.index(next(line for line in details if line.startswith("  checkout ")))
    assert [line.strip() for line in details[checkout + 1:checkout + 3]] == [
        "canary checkout-canary:8080 10%,", "header X-Canary=always, cookie canary"]
    cart = details.index(next(line for line in details if line.startswith("  cart ")))
    assert details[cart + 1].strip() == "sticky (cookie route, 3600 s)"
    assert row(details, "wiki") == ["wiki", "service wiki:80", "external auth (auth.example.com)"]


def test_why_apps_are_not_monitored(dev_plan: dict[str, Any]) -> None:
    reasons = block(render_table(dev_plan), "Not monitored:")
    assert reasons[1:] == [
        "  preview — disabled in apps.yaml (monitor.enabled: false)",
        "  grafana, argocd, admin — private: UptimeRobot probes from the internet and cannot reach it",
    ]


def test_a_stack_with_monitors_off_says_so(plan_stack: Any) -> None:
    table = render_table(plan_stack("dev", monitorsEnabled="false"))
    reasons = " ".join(" ".join(block(table, "Not monitored:")).split())
    assert "monitors are off for this stack (gangplank:monitorsEnabled)" in reasons
    assert all(row(block(table, "11 apps:"), app)[-1] == "no" for app in ("shop", "docs", "grafana", "wiki"))


@pytest.mark.parametrize(("stack", "line"), [
    ("dev", "Left out of dev by their `stacks:` (1 app): status (in prod)"),
    ("prod", "Left out of prod by their `stacks:` (4 apps): preview (in dev, staging), checkout (in dev), cart (in "
             "dev), wiki (in dev)"),
])
def test_apps_left_out_of_the_stack(plan_stack: Any, stack: str, line: str) -> None:
    assert line in " ".join(render_table(plan_stack(stack)).splitlines())  # wrapped at 100 columns


def test_resource_counts_say_where_they_come_from(dev_plan: dict[str, Any]) -> None:
    groups, rows = resource_groups(dev_plan)
    assert groups == ["apps", "hosts", "dashboard", "platform"]
    per_type = {type_: (total, dict(per)) for type_, total, per in rows}
    # 12 components for 11 apps: the 11 apps, and the dashboard's own.
    assert per_type["gangplank:apps:ExposedApp"] == (12, {"apps": 11, "dashboard": 1})
    assert per_type["gangplank:apps:Host"] == (11, {"hosts": 10, "dashboard": 1})
    assert sum(total for total, _ in per_type.values()) == len(dev_plan["resources"])
    table = render_table(dev_plan)
    assert re.search(r"^  gangplank:apps:ExposedApp\s+12\s+11\s+-\s+1\s+-$", table, re.M)
    assert re.search(rf"^  all types\s+{len(dev_plan['resources'])}\s+\d+\s+\d+\s+\d+\s+\d+$", table, re.M)


def test_plurals() -> None:
    plan = load_plan("head.json")
    plan["apps"] = plan["apps"][:1]
    plan["resources"] = plan["resources"][:1]
    plan["outputs"]["platform"]["edges"].pop("private")
    table = render_table(plan)
    assert table.startswith("Stack dev: 1 app (1 public), 1 resource\n")
    assert "1 edge:" in table and "1 app:" in table and "; 1 app\n" in table
    assert "1 resource by type" in table


def test_unknown_values_show_as_unknown() -> None:
    """A preview knows neither the load balancers' host names nor the zone's name servers yet."""
    plan = load_plan("head.json")
    plan["outputs"]["loadBalancers"] = {"public": "[unknown]", "private": "[unknown]"}
    plan["outputs"]["publicNameServers"] = "[unknown]"
    plan["apps"][0]["monitor"] = "[unknown]"
    for text in (render_table(plan), render_table(plan, wide=True), render_markdown(plan)):
        assert "[unknown]" not in text
        assert "(unknown)" in text
    table = render_table(plan)
    assert "           NLB (unknown)" in table
    assert "  name servers  (unknown)" in table


def test_an_app_on_two_edges(plan_stack: Any, write_apps: Any) -> None:
    path = write_apps("""
        apps:
          - name: api
            edges: [public, private]
            host: api
            aliases: [www]
            service: {name: api, port: 80}
          - name: partner
            edges: [partners]
            service: {name: partner, port: 80}
    """)
    plan = plan_stack("dev", path, edges=PARTNERS_EDGE)
    table = render_table(plan)
    assert row(block(table, "2 apps:"), "api")[1] == "public, private"
    assert "  partners  class nginx-partners, public zone, admits only 203.0.113.0/24; 1 app" in table
    assert "  public    class nginx-public, public zone, admits everyone; 1 app" in table
    wide = render_table(plan, wide=True)
    assert ("api.dev.example.com, www.dev.example.com, api.internal.dev.example.com, "
            "www.internal.dev.example.com") in wide


def test_wide_is_one_line_per_app_with_every_column(dev_plan: dict[str, Any]) -> None:
    wide = render_table(dev_plan, wide=True)
    apps = block(wide, "11 apps:")
    assert re.split(r"\s{2,}", apps[1].strip()) == [
        "app", "edges", "class", "URL", "hosts", "namespace", "backend", "protections", "monitor"]
    assert len(apps) == 2 + 1 + len(dev_plan["apps"])  # title, header, rule, one line per app
    assert row(apps, "admin")[-2:] == ["basic auth (2 users), allow-list (1 CIDR)",
                                       "no: private: UptimeRobot probes from the internet and cannot reach it"]


def test_markdown_shows_the_same_as_the_table(dev_plan: dict[str, Any]) -> None:
    markdown = render_markdown(dev_plan)
    resources = len(dev_plan["resources"])
    assert markdown.startswith(f"### Stack dev: 11 apps (8 public, 3 private), {resources} resources\n")
    assert "- controllers: `nginx-inc` (chart `nginx-ingress 2.6.4`), IPv4 only" in markdown
    assert "- dashboard: `https://dashboard.internal.dev.example.com/`" in markdown
    app_rows = [line for line in markdown.splitlines() if re.match(r"\| `[a-z-]+` \| `(public|private|labs)", line)]
    assert [line.split(" | ")[0][3:-1] for line in app_rows] == [app["name"] for app in dev_plan["apps"]]
    assert "`allow-list (2 CIDRs)`<br>`rate limit (10 rps)`" in markdown
    assert "Left out of `dev` by their `stacks:` (1 app): `status` (in `prod`)." in markdown
    assert "| `gangplank:apps:ExposedApp` | 12 | 11 | - | 1 | - |" in markdown


def test_markdown_values_cannot_break_a_row() -> None:
    plan = copy.deepcopy(load_plan("head.json"))
    plan["apps"][0]["backend"] = "image a|b `c`\n@team"
    markdown = render_markdown(plan)
    line = next(line for line in markdown.splitlines() if line.startswith("| `shop`"))
    assert line.count(" | ") == 6  # seven cells
    assert "`` image a\\|b `c` @team ``" in line


def test_the_split_stickiness_and_external_auth_show_in_100_columns(plan_stack: Any, write_apps: Any) -> None:
    path = write_apps("""
        apps:
          - name: shop
            visibility: public
            deploy: {image: ghcr.io/acme/storefront:2026.12.01-rc.1, port: 8080}
            healthPath: /healthz
            canary:
              deploy: {image: ghcr.io/acme/storefront:2026.12.02, port: 8080}
              weight: 10
              header: {name: X-Canary, pattern: "^(beta|qa)$"}
              cookie: {name: canary}
          - name: wiki
            visibility: public
            service: {name: wiki, port: 80}
            healthPath: /health
            auth: {external: {url: "https://auth.example.com/oauth2/auth"}}
            sticky: {cookie: {name: route, maxAge: 3600}}
    """)
    plan = plan_stack("dev", path, flavor="ingress-nginx")
    table = render_table(plan)
    assert not [line for line in table.splitlines() if len(line) > 100]
    lines = block(table, "  app   backend")
    assert [line.rstrip() for line in lines[2:8]] == [
        "  shop  image ghcr.io/acme/storefront:2026.12.01-rc.1,  -",
        "          2 replicas",
        "        canary shop-canary:8080 10%,",
        "          header X-Canary~^(beta|qa)$, cookie canary",
        "  wiki  service wiki:80                                 external auth (auth.example.com)",
        "        sticky (cookie route, 3600 s)",
    ]
    [shop] = [app for app in plan["apps"] if app["name"] == "shop"]
    assert shop["canary"] == {"backend": "shop-canary:8080", "weight": 10, "header": "X-Canary", "headerValue": None,
                              "headerPattern": "^(beta|qa)$", "cookie": "canary"}


def test_apps_left_out_follow_the_files_as_they_are_now(tmp_path: Path) -> None:
    """The plan's `appsLeftOut` reuses the program's reading of the catalogue, never an older text of a file."""
    from components.inputs.catalog.loading import read_catalogue_file
    from planner.catalogue import apps_left_out

    team = tmp_path / "apps.d"
    team.mkdir()
    entry = "apps:\n  - name: blog\n    visibility: public\n    service: {name: blog, port: 80}\n"
    (team / "web.yaml").write_text(entry + "    stacks: [prod]\n", encoding="utf-8")
    read_catalogue_file(str(team / "web.yaml"))
    assert apps_left_out(str(team), "dev") == [{"name": "blog", "stacks": ["prod"]}]
    (team / "web.yaml").write_text(entry + "    stacks: [dev]\n", encoding="utf-8")
    assert apps_left_out(str(team), "dev") == []
    assert apps_left_out(str(team), "prod") == [{"name": "blog", "stacks": ["dev"]}]
    assert apps_left_out(str(team), "prod", teams=["api"]) == []
