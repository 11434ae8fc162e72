"""`pulumi.com/waitFor` as pulumi-kubernetes reads it: whether a route's create ends only once its Gateway
accepted it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.flavors.gateway_api import WAIT_FOR
from planner.mocks.monitor import Registration


def waits_for_acceptance(reg: Registration, accepted_by: str = "") -> bool:
    """Whether pulumi-kubernetes ends the route's create only once its Gateway accepted it: its `pulumi.com/waitFor`
    (components/flavors/gateway_api.py `accepted_wait`) holds for the status the controller writes when it accepts
    the route on each parentRef, and does not for the route as just stored (no status)."""
    manifest = {**reg.inputs, "status": None}
    refs = (reg.inputs.get("spec") or {}).get("parentRefs") or []
    accepted = {**reg.inputs, "status": {"parents": [
        {"parentRef": dict(ref), "controllerName": accepted_by,
         "conditions": [{"type": "Accepted", "status": "True"}, {"type": "ResolvedRefs", "status": "True"}]}
        for ref in refs]}}
    return wait_for_holds(manifest, accepted) and not wait_for_holds(manifest, manifest)


def wait_for_holds(manifest: Mapping[str, Any], observed: Mapping[str, Any]) -> bool:
    """Whether `observed` (the object as the API server holds it) satisfies the `pulumi.com/waitFor` annotation of
    `manifest`, as pulumi-kubernetes v4.34 decides (provider/pkg/metadata/overrides.go `ReadyCondition`: a JSON array of
    expressions, or one; each must hold. provider/pkg/jsonpath/jsonpath.go `Parse`: `jsonpath=` then `{path}` or
    `{path}=value`, "==" kept whole, the path read as RFC 9535 JSONPath from `$`; `Matches`: the first value the path
    selects, compared as text. provider/pkg/await/condition/custom.go `NewCustom`: `condition=Type[=value]`, the
    value `True` by default, on `status.conditions`). No annotation: False (nothing is waited for)."""
    import json

    text = ((manifest.get("metadata") or {}).get("annotations") or {}).get(WAIT_FOR)
    if not text:
        return False
    try:
        expressions = json.loads(text)
    except json.JSONDecodeError:
        expressions = [text]
    if isinstance(expressions, str):
        expressions = [expressions]
    return bool(expressions) and all(_holds(str(expression), observed) for expression in expressions)


def _holds(expression: str, observed: Mapping[str, Any]) -> bool:
    import re

    import jsonpath_rfc9535

    if expression.startswith("condition="):
        kind, _, value = expression.removeprefix("condition=").partition("=")
        conditions = ((observed.get("status") or {}).get("conditions") or [])
        return any(c.get("type") == kind and str(c.get("status")) == (value or "True") for c in conditions)
    if not expression.startswith("jsonpath="):
        return False
    parts = expression.removeprefix("jsonpath=").replace("==", "\0").split("=")
    if len(parts) > 2:
        return False
    path = parts[0].replace("\0", "==")
    value = parts[1].replace("\0", "==") if len(parts) == 2 else ""
    found = re.search(r"\{\s*(.*?)\s*\}", path)
    if found is None:
        return False
    query = found.group(1) if found.group(1).startswith("$") else "$" + found.group(1)
    selected = [node.value for node in jsonpath_rfc9535.compile(query).find(dict(observed))]
    if not selected:
        return False
    first = selected[0]
    if isinstance(first, (dict, list)):
        return not value
    shown = {True: "true", False: "false"}.get(first, first) if isinstance(first, bool) else first
    return not value or str(shown) == value
