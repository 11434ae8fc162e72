"""planner/mocks/serving.py sends a dynamic resource through its own provider's `check`, as the engine does."""

from __future__ import annotations

import subprocess
import sys

import pulumi_kubernetes as k8s
from pulumi.runtime.stack import wait_for_rpcs

from components.uptimerobot.monitor import Monitor, MonitorArgs
from planner.run import mocked_runtime
from tests.conftest import ROOT


def test_a_dynamic_resource_goes_through_its_providers_check():
    with mocked_runtime("dev") as (monitor, loop):
        Monitor("m", MonitorArgs(friendly_name="m", url="https://m.example.com/", interval=10,
                                 type="KEYWORD", keyword_type="ALERT_EXISTS", keyword_value=" ok"))
        loop.run_until_complete(wait_for_rpcs())
    failures = {f.field: f.reason for f in monitor.mocks.check_failures}
    assert set(failures) == {"interval", "keyword_value"}
    assert failures["interval"].startswith("interval must be at least 30")


def test_a_keyword_with_a_trailing_space_fails_the_offline_plan(write_apps):
    """Today only the real preview (the provider's check) refused it; the offline plan passed it."""
    path = write_apps("""
        apps:
          - name: shop
            visibility: public
            service: {name: shop, port: 80}
            monitor:
              type: KEYWORD
              keyword: "Acme Shop "
        """)
    result = subprocess.run([sys.executable, "-m", "planner", "--apps", path], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout
    assert result.stdout == "" and "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:7: app 'shop' field 'monitor.keyword': ")
    assert "keyword_value must not start or end with whitespace" in first


def test_the_check_sees_unknowns_in_previews():
    """In a preview an input may be unknown; the provider's check lets it through, as the engine's does."""
    with mocked_runtime("dev", mode="fresh") as (monitor, loop):
        namespace = k8s.core.v1.Namespace("ns", metadata={"name": "a"})
        Monitor("m", MonitorArgs(friendly_name="m", url=namespace.id.apply(lambda i: f"https://{i}.example.com/")))
        loop.run_until_complete(wait_for_rpcs())
    assert monitor.mocks.check_failures == []
    (registration,) = [r for r in monitor.registrations if r.name == "m"]
    assert registration.inputs["url"] == "[unknown]"
