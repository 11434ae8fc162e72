"""Between Pulumi's props and UptimeRobot's monitors: plain inputs, comparisons, outputs and request bodies.

Outputs are always built by :func:`outputs_from_api`, so create, update and refresh give
the same shape; inputs are compared in a canonical form (order-free lists, whole numbers,
'' == None), so only a real change is a diff.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from pulumi.runtime import rpc

from .input_schema import DEFAULTS, INPUT_FIELDS, plain_props

__all__ = [
    "agrees",
    "api_body",
    "api_text",
    "canonical",
    "desired_inputs",
    "outputs_from_api",
    "same_answer",
    "same_inputs",
]


def canonical(name: str, value: Any) -> Any:
    """A comparable form of one input: order-free lists, whole numbers, '' == None."""
    value = rpc.unwrap_rpc_secret(value)
    if name in ("alert_contact_ids", "tags"):
        items = value or []
        if name == "alert_contact_ids":
            items = [int(i) for i in items]
        return tuple(sorted(set(items)))
    if name in ("interval", "timeout") and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    if name == "custom_http_headers":
        # No headers and an empty object are the same; header names are case-insensitive (RFC 9110 section 5.1).
        return tuple(sorted((str(k).lower(), v) for k, v in dict(value or {}).items())) or None
    if value == "":
        return None
    return value


def api_text(value: Any) -> str | None:
    # UptimeRobot has returned names and URLs HTML-escaped (its Terraform provider,
    # CHANGELOG 1.3.7: "Normalized monitor name and url when the API returns HTML-escaped
    # values"); compare and store them as they were written.
    return html.unescape(value) if isinstance(value, str) else value


def outputs_from_api(monitor: Mapping[str, Any], written: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Outputs from a monitor as the API returns it (create, update, get and list alike).

    Only the fields the resource manages are copied: the API also returns a
    monitor-specific ``apiKey`` and ``httpPassword``, which must never reach the state.
    ``written`` holds the inputs last written (create, update) or the state (read): the
    ``http_password`` output is the written one, marked secret, when the monitor still has
    it (an empty ``httpPassword`` from the API counts as not shown); otherwise it is None,
    so the next diff sees a change and the update sets it again.
    """
    timeout = monitor.get("timeout")
    auth_type = monitor.get("authType")
    username = monitor.get("httpUsername") or None
    if auth_type not in (None, "HTTP_BASIC"):
        username = None  # NONE, DIGEST or BEARER: not the basic auth this resource manages
    wanted = rpc.unwrap_rpc_secret((written or {}).get("http_password"))
    shown = monitor.get("httpPassword")
    password = None
    if username is not None and wanted and (not shown or shown == wanted):
        password = rpc.wrap_rpc_secret(wanted)
    return {
        "friendly_name": api_text(monitor.get("friendlyName")),
        "url": api_text(monitor.get("url")),
        "type": str(monitor.get("type") or "").upper() or None,
        "interval": int(monitor["interval"]),
        "timeout": int(timeout) if timeout is not None else None,
        "http_method": monitor.get("httpMethodType") or None,
        "keyword_type": monitor.get("keywordType") or None,
        "keyword_value": monitor.get("keywordValue") or None,
        "alert_contact_ids": sorted(
            {int(contact["alertContactId"]) for contact in monitor.get("assignedAlertContacts") or []}
        ),
        "tags": sorted({tag["name"] for tag in monitor.get("tags") or []}),
        "http_username": username,
        "http_password": password,
        "custom_http_headers": dict(monitor.get("customHttpHeaders") or {}) or None,
        # Managed only when the inputs set it: the API reports its own default for every monitor.
        "check_ssl_errors": (bool(monitor.get("checkSSLErrors"))
                             if (written or {}).get("check_ssl_errors") is not None else None),
        "monitor_id": int(monitor["id"]),
        "status": str(monitor.get("status")) if monitor.get("status") is not None else None,
    }


def agrees(monitor: Mapping[str, Any], written: Mapping[str, Any]) -> bool:
    """Whether the API's monitor shows every managed input as ``written`` has it."""
    return same_inputs(outputs_from_api(monitor, written), written)


def same_inputs(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two sets of inputs agree on every managed input, each compared in its canonical form."""
    return all(canonical(name, a.get(name)) == canonical(name, b.get(name)) for name in INPUT_FIELDS)


def desired_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """Checked inputs as plain values with defaults (for create and update)."""
    plain = plain_props(props)
    desired: dict[str, Any] = {name: plain.get(name) for name in INPUT_FIELDS}
    for name, default in DEFAULTS.items():
        if desired[name] is None:
            desired[name] = default
    desired["interval"] = int(desired["interval"])
    desired["timeout"] = int(desired["timeout"])
    desired["alert_contact_ids"] = [int(i) for i in desired["alert_contact_ids"] or []]
    desired["tags"] = list(desired["tags"] or [])
    return desired


def api_body(desired: Mapping[str, Any], *, for_create: bool) -> dict[str, Any]:
    """The JSON body of POST /monitors (Create{Http,Keyword}MonitorDto) or PATCH (UpdateMonitorDto)."""
    body: dict[str, Any] = {
        "friendlyName": desired["friendly_name"],
        "url": desired["url"],
        "interval": desired["interval"],
        "timeout": desired["timeout"],
        "httpMethodType": desired["http_method"],
        "tagNames": list(desired["tags"]),
        # Threshold and recurrence are paid-plan features; 0 is what the free plan has.
        "assignedAlertContacts": [
            {"alertContactId": contact_id, "threshold": 0, "recurrence": 0}
            for contact_id in desired["alert_contact_ids"]
        ],
    }
    if for_create:
        # The type never changes in an update: a type change is a replacement.
        body["type"] = desired["type"]
    if desired["type"] == "KEYWORD":
        body["keywordType"] = desired["keyword_type"]
        body["keywordValue"] = desired["keyword_value"]
        if for_create:
            # Required when creating a keyword monitor; not an input of ours.
            body["keywordCaseType"] = "CaseInsensitive"
    headers = dict(desired.get("custom_http_headers") or {})
    if headers or not for_create:
        body["customHttpHeaders"] = headers  # {} in an update clears headers set outside Pulumi
    if desired.get("check_ssl_errors") is not None:
        body["checkSSLErrors"] = bool(desired["check_ssl_errors"])
    if desired.get("http_username"):
        body["authType"] = "HTTP_BASIC"
        body["httpUsername"] = desired["http_username"]
        body["httpPassword"] = desired["http_password"]
    else:
        # The body is the whole desired state: no auth clears any set outside Pulumi.
        body["authType"] = "NONE"
        if not for_create:
            body["httpUsername"] = ""
            body["httpPassword"] = ""
    return body


def same_answer(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, written: Mapping[str, Any]) -> bool:
    """Two reads show the same managed state (both gone counts)."""
    if a is None or b is None:
        return a is None and b is None
    return same_inputs(outputs_from_api(a, written), outputs_from_api(b, written))
