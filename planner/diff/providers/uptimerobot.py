"""gangplank's own UptimeRobot provider: its `diff` decides, so the plan diff calls it.

`components.uptimerobot.provider.MonitorProvider.diff` compares the managed inputs only
(`INPUT_FIELDS`, in a canonical form: order-free lists, whole numbers, '' == None), makes no network
call, and replaces a monitor only when its `type` changes (`replaces=["type"]`, create first:
`delete_before_replace=False`). Calling it here keeps the plan diff and the engine's preview from
ever disagreeing. A value only the engine will know is handed to it as the engine hands it: unknown.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import rpc

from components.uptimerobot.provider import MonitorProvider
from planner.diff.model import KNOWN_AFTER_APPLY
from planner.diff.providers import Change, ProviderDiff
from planner.resource_types import MONITOR

TYPE = MONITOR
WHY = "a monitor's `{}` (gangplank's `MonitorProvider.diff`)"


def _as_engine_sends(value: Any) -> Any:
    if value == KNOWN_AFTER_APPLY:
        return rpc.UNKNOWN
    if isinstance(value, list):
        return [_as_engine_sends(item) for item in value]
    return value


def diff(change: Change) -> ProviderDiff:
    """Diff of an UptimeRobot monitor, by the provider itself (asked field by field, to name what changes)."""
    provider = MonitorProvider()
    news = {key: _as_engine_sends(value) for key, value in change.new.items()}
    whole = provider.diff("", dict(change.old), news)
    if not whole.changes:
        return ProviderDiff(())
    changed, replaces = [], []
    for path in change.paths:
        field = path.split("[")[0].split(".")[0]
        alone = {**change.old, field: news.get(field)}
        answer = provider.diff("", dict(change.old), alone)
        if answer.changes:
            changed.append(path)
            if field in (answer.replaces or []):
                replaces.append((path, WHY.format(field)))
    return ProviderDiff(tuple(changed), tuple(replaces), delete_before_replace=bool(whole.delete_before_replace))
