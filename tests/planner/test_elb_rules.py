"""The replay of a change keeps an NLB whose deletion protection is on, as AWS does (moto deletes it anyway)."""

from __future__ import annotations

import json

from planner.transition.cli import rehearse_change


def test_removing_an_edge_whose_nlb_is_protected_is_refused(run_stack, write_apps) -> None:
    apps = write_apps("apps:\n  - {name: blog, edges: [partners], service: {name: blog, port: 80}}\n")
    edge = {"visibility": "public", "loadBalancer": {"deletionProtection": True}}
    before = run_stack("dev", apps, edges=json.dumps({"partners": edge}))
    after = run_stack("dev", write_apps("apps: []\n", name="none.yaml"))
    [(_, first), (_, change)] = rehearse_change(before, after)
    assert [line for line in first if line.outcome == "rejected"] == []
    refused = [line for line in change if line.outcome == "rejected"]
    assert refused and "cannot be deleted because deletion protection is enabled" in refused[0].detail
    unprotected = run_stack("dev", apps, edges=json.dumps({"partners": {"visibility": "public"}}))
    assert all(line.outcome != "rejected" for _, lines in rehearse_change(unprotected, after) for line in lines)
