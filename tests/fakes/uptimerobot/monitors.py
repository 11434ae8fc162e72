"""What the fake does with monitors, as UptimeRobot's API does: store, update, list, and lagging replicas.

Where the spec constrains responses oddly, the fake sends values the spec accepts:
``createDateTime`` as epoch seconds (its ``oneOf: [{}, {type: string}]`` matches any
string twice, so no string is valid) and non-null ``postValueData`` / ``postValueType``
/ ``keywordCaseType`` (``nullable`` does not reach into their ``oneOf`` / ``enum``).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from components.uptimerobot.pacing import Clock

__all__ = ["MonitorApi"]

_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}


class MonitorApi:
    """The monitor endpoints' behaviour, part of :class:`~tests.fakes.uptimerobot.server.FakeUptimeRobot`.

    The server sets up the state used here (``monitors``, ``_replica``, ``_ids``, ``_tag_ids``,
    ``stale_served``, ``clock``), checks each request and calls :meth:`_handle` or
    :meth:`_handle_stale` with its lock held.
    """

    clock: Clock
    monitors: dict[int, dict[str, Any]]
    stale_served: int
    _replica: dict[int, dict[str, Any] | None]
    _ids: itertools.count[int]
    _tag_ids: dict[str, int]

    def _handle(self, request: Request, method: str, template: str, args: dict[str, Any]) -> Response:
        if template == "/monitors" and method == "POST":
            monitor = self._store(request.get_json())
            self._replica[monitor["id"]] = None
            return self._json(self._dto(monitor), 201)
        if template == "/monitors" and method == "GET":
            return self._list(request)
        monitor_id = int(float(args["monitor_id"]))
        monitor = self.monitors.get(monitor_id)
        if monitor is None:
            return self._error(404, f"Monitor with id {monitor_id} not found")
        if method == "GET":
            return self._json(self._dto(monitor))
        self._replica[monitor_id] = copy.deepcopy(monitor)
        if method == "PATCH":
            self._apply(monitor, request.get_json())
            return self._json(self._dto(monitor))
        del self.monitors[monitor_id]
        return Response(status=200)

    def _replica_view(self) -> dict[int, dict[str, Any]]:
        view = {monitor_id: m for monitor_id, m in self.monitors.items() if monitor_id not in self._replica}
        view.update({monitor_id: m for monitor_id, m in self._replica.items() if m is not None})
        return dict(sorted(view.items()))

    def _handle_stale(self, request: Request, template: str, args: dict[str, Any]) -> Response:
        self.stale_served += 1
        view = self._replica_view()
        if template == "/monitors":
            return self._list(request, view)
        monitor_id = int(float(args["monitor_id"]))
        if monitor_id not in view:
            return self._error(404, f"Monitor with id {monitor_id} not found")
        return self._json(self._dto(view[monitor_id]))

    def _store(self, body: dict[str, Any]) -> dict[str, Any]:
        monitor_id = next(self._ids)
        monitor = {
            "id": monitor_id,
            "type": str(body["type"]).upper(),
            "status": "STARTED",
            "createDateTime": int(self.clock.time()),
            "keywordCaseType": 1 if body.get("keywordCaseType") == "CaseSensitive" else 0,
            # The real API returns these too; the provider must never copy them to outputs.
            "apiKey": f"m{monitor_id}-fakemonitorkey",
            "authType": None,
            "httpUsername": "",
            "httpPassword": "",
            "tagNames": [],
            "assignedAlertContacts": [],
        }
        self._apply(monitor, {k: v for k, v in body.items() if k not in ("type", "keywordCaseType")})
        self.monitors[monitor_id] = monitor
        return monitor

    def _apply(self, monitor: dict[str, Any], changes: dict[str, Any]) -> None:
        for name in ("friendlyName", "url", "interval", "timeout", "httpMethodType", "keywordType", "keywordValue",
                     "authType", "httpUsername", "httpPassword"):
            if name in changes:
                monitor[name] = changes[name]
        if "keywordValue" in changes and isinstance(changes["keywordValue"], str):
            monitor["keywordValue"] = changes["keywordValue"].strip()  # as the API does
        if "tagNames" in changes:
            monitor["tagNames"] = list(dict.fromkeys(changes["tagNames"]))
        if "assignedAlertContacts" in changes:
            monitor["assignedAlertContacts"] = [dict(c) for c in changes["assignedAlertContacts"]]
        if "customHttpHeaders" in changes:
            monitor["customHttpHeaders"] = dict(changes["customHttpHeaders"] or {})
        if "checkSSLErrors" in changes:
            monitor["checkSSLErrors"] = bool(changes["checkSSLErrors"])

    def _tag(self, name: str) -> dict[str, Any]:
        tag_id = self._tag_ids.setdefault(name, len(self._tag_ids) + 1)
        return {"id": tag_id, "name": name, "color": "#3BD671"}

    def _dto(self, monitor: dict[str, Any]) -> dict[str, Any]:
        """A MonitorDto as the spec describes it."""
        return {
            "id": monitor["id"],
            "friendlyName": monitor["friendlyName"],
            "url": monitor["url"],
            "type": monitor["type"],
            "status": monitor["status"],
            "interval": monitor["interval"],
            "timeout": monitor.get("timeout"),
            "httpMethodType": monitor.get("httpMethodType"),
            "keywordType": monitor.get("keywordType"),
            "keywordValue": monitor.get("keywordValue"),
            "keywordCaseType": monitor["keywordCaseType"],
            "tags": [self._tag(name) for name in monitor["tagNames"]],
            "assignedAlertContacts": monitor["assignedAlertContacts"],
            "apiKey": monitor["apiKey"],
            "httpUsername": monitor["httpUsername"],
            "httpPassword": monitor["httpPassword"],
            "createDateTime": monitor["createDateTime"],
            "sslBrand": None,
            "sslExpiryDateTime": None,
            "domainExpireDate": None,
            "checkSSLErrors": monitor.get("checkSSLErrors", False),
            "sslExpirationReminder": False,
            "domainExpirationReminder": False,
            "followRedirections": True,
            "authType": monitor["authType"],
            "customHttpHeaders": monitor.get("customHttpHeaders") or None,
            "successHttpResponseCodes": ["2xx", "3xx"],
            "postValueData": {},
            "postValueType": "KEY_VALUE",
            "port": None,
            "gracePeriod": None,
            "responseTimeThreshold": 0,
            "config": {},
            "regionalData": {"REGION": ["na"]},
            "maintenanceWindows": [],
            "psps": [],
            "currentStateDuration": 0,
            "lastIncidentId": None,
            "userId": 1,
            "lastDayUptimes": {"bucketSize": 3600, "histogram": []},
        }

    def _list(self, request: Request, monitors: Mapping[int, dict[str, Any]] | None = None) -> Response:
        monitors = self.monitors if monitors is None else monitors
        query = request.args
        limit = int(float(query.get("limit", 50)))
        if not 1 <= limit <= 200:
            return self._error(400, ["limit must not be less than 1", "limit must not be greater than 200"])
        cursor = float(query.get("cursor", 0))
        url = query.get("url", "").lower()
        name = query.get("name", "").lower()
        tags = {t for t in query.get("tags", "").split(",") if t}
        statuses = {s.upper() for s in query.get("status", "").split(",") if s}
        matching = [
            m
            for monitor_id, m in sorted(monitors.items())
            if monitor_id > cursor
            and url in m["url"].lower()
            and name in m["friendlyName"].lower()
            and (not tags or tags & set(m["tagNames"]))
            and (not statuses or m["status"] in statuses)
        ]
        page = matching[:limit]
        next_link = None
        if len(matching) > limit:
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = str(page[-1]["id"])
            next_link = f"{request.host_url}v3/monitors?{urlencode(params)}"
        return self._json({"nextLink": next_link, "data": [self._dto(m) for m in page]})

    @staticmethod
    def _json(payload: Any, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, mimetype="application/json")

    def _error(self, status: int, message: str | list[str]) -> Response:
        body = {"statusCode": status, "message": message, "error": _REASONS.get(status, "Error")}
        return self._json(body, status)
