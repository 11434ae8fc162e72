"""Pulumi dynamic provider for UptimeRobot monitors (API v3).

The contract is in DESIGN.md ("UptimeRobot"). In short:

- ``check`` and ``diff`` are local: previews, including PR previews without an API key,
  never call the API.
- ``create`` never makes a second monitor for one resource. Before every create it looks
  for an owned monitor with the same name, URL and type (tags ``gangplank`` and
  ``stack:<name>``), left by an earlier ``pulumi up`` that was interrupted after its POST
  reached UptimeRobot, adopts it and brings it to the inputs (PATCH when anything differs).
  One listing of the stack's tag serves every create of the process and is kept true to
  what the process creates. After a create whose outcome is unknown it looks again.
- ``read`` shares listing pages between monitors (refreshing N monitors costs about
  ``ceil(N/200)`` calls) and is robust to UptimeRobot's stale replicas: an answer that
  differs from what the state says was written is confirmed by fresh reads before it is
  believed (see :data:`READ_SETTLE_S`).
- HTTP basic auth (``http_username``, ``http_password``): the password is a secret input and
  a secret output (the provider marks it, and so does the engine), compared in ``diff``
  without being stored anywhere else; the ``httpPassword`` the API returns never reaches the
  outputs.
- Outputs are the inputs plus ``monitor_id`` and ``status``, always built by
  :func:`~components.uptimerobot.api_mapping.outputs_from_api`, so create, update and refresh
  give the same shape.

This module holds the provider class; its parts are beside it: ``input_schema.py`` (the inputs,
their defaults and the rules ``check`` applies), ``api_mapping.py`` (props to API bodies, API
monitors to outputs, comparisons) and ``listings.py`` (ownership tags, the shared listings).

Pickling. The SDK pickles the provider with dill into every monitor's state (the
``__provider`` input) *by reference*: the blob names ``components.uptimerobot.provider`` and
``MonitorProvider``, and each refresh, update or delete of an existing monitor unpickles it
in a new provider process. Moving or renaming this class (or module) therefore breaks
``pulumi refresh`` and ``pulumi destroy`` of every monitor already deployed; if it ever moves,
this module must keep re-exporting it under the old name
(``tests/components/uptimerobot/test_serialization.py`` fails if the path changes). Its
pickled state holds only non-secret settings; the API key and the HTTP client are made in
``configure()`` in the provider process.

Credentials. The engine configures a dynamic provider with the *whole* stack config, so
``gangplank:uptimerobotApiKey`` is stored in the state, encrypted like every secret, as the
configuration of the default ``pulumi-python`` provider. It is never a monitor input or
output, and never in the ``__provider`` blob, a log line or an error message.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

import pulumi.dynamic
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from .api_mapping import (
    agrees,
    api_body,
    api_text,
    canonical,
    desired_inputs,
    outputs_from_api,
    same_answer,
)
from .client import (
    DEFAULT_BASE_URL,
    ClientSettings,
    CreateOutcomeUnknown,
    NotFoundError,
    UptimeRobotClient,
    UptimeRobotError,
)
from .input_schema import INPUT_FIELDS, check_inputs, contains_unknown, plain_props
from .listings import OWNERSHIP_TAG, STACK_TAG_PREFIX, Listings, listing_tag, owner_tags

__all__ = ["API_KEY_CONFIG", "API_KEY_ENV", "API_URL_CONFIG", "API_URL_ENV", "MonitorProvider"]

log = logging.getLogger(__name__)

API_KEY_CONFIG = "gangplank:uptimerobotApiKey"
API_URL_CONFIG = "gangplank:uptimerobotApiUrl"
API_KEY_ENV = "UPTIMEROBOT_API_KEY"
API_URL_ENV = "UPTIMEROBOT_API_URL"

# Creates whose outcome is unknown are retried this many times in all, each after a
# look for the monitor it may have made.
CREATE_ATTEMPTS = 3
# A request that timed out may still be running on the server; give it this long to
# land before looking for the monitor it makes.
ADOPT_SETTLE_S = 2.0
# UptimeRobot may answer a read from a replica that has not seen the latest write yet
# (its Terraform provider, CHANGELOG 1.4.0: "Stabilized monitor ... eventual-consistency
# waits by requiring consecutive matching reads"; and "Fixed ... refresh drift ... by making
# read mapping resilient to stale replica responses"). A read that disagrees with what the
# state says was written is read again after this pause, up to READ_CONFIRMATIONS times,
# until it shows what was written (the first answer was stale) or two answers in a row agree
# (a real change, made outside Pulumi).
READ_SETTLE_S = 1.0
READ_CONFIRMATIONS = 3


class MonitorProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for ``uptimerobot.Monitor`` against UptimeRobot API v3.

    Existing monitors' state pickles this class by its module path,
    ``components.uptimerobot.provider.MonitorProvider``: keep it importable there (see the
    module docstring).
    """

    def __init__(self, settings: ClientSettings | None = None) -> None:
        """``settings`` tunes pacing and retries (tests shrink them); None reads the environment
        of the process that runs the provider."""
        super().__init__()
        self._settings = settings
        self._init_runtime_state()

    def _init_runtime_state(self) -> None:
        self._api_key: str | None = None
        self._base_url = DEFAULT_BASE_URL
        self._client: UptimeRobotClient | None = None
        self._client_lock = threading.Lock()
        self._listings = Listings()

    # The SDK pickles the provider into the stack state. Only the settings go in: the key,
    # the client and the caches are made again in the provider process.
    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": self._settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._settings = state.get("_settings")
        self._init_runtime_state()

    def configure(self, req: ConfigureRequest) -> None:
        """Read the API key and URL: stack config first, then the environment.

        The engine passes the whole stack config, namespaced (``gangplank:...``, ``aws:...``),
        secrets already decrypted. A missing key is not an error here: check and diff
        (previews) do not need it.
        """
        config = req.config
        self._api_key = str(config.get(API_KEY_CONFIG) or os.environ.get(API_KEY_ENV) or "") or None
        self._base_url = str(config.get(API_URL_CONFIG) or os.environ.get(API_URL_ENV) or DEFAULT_BASE_URL)
        with self._client_lock:
            self._client = None

    @property
    def base_url(self) -> str:
        """The API base URL that ``configure()`` chose."""
        return self._base_url

    def _api(self) -> UptimeRobotClient:
        with self._client_lock:
            if self._client is None:
                if self._api_key is None:
                    # Also covers a provider used without configure() (plain Python use).
                    self._api_key = os.environ.get(API_KEY_ENV) or None
                    self._base_url = os.environ.get(API_URL_ENV) or self._base_url
                if not self._api_key:
                    raise UptimeRobotError(
                        "configure",
                        None,
                        "no API key: set it with `pulumi config set --secret uptimerobotApiKey <key>` "
                        f"or the {API_KEY_ENV} environment variable",
                    )
                self._client = UptimeRobotClient(self._api_key, self._base_url, self._settings)
            return self._client

    # -- local: check and diff ------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input (one failure per bad field) and fill defaults. No network.

        A failure about ``http_password`` never shows the value. The password comes back
        marked secret. The rules are in :func:`~components.uptimerobot.input_schema.check_inputs`.
        """
        return check_inputs(news)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare managed inputs only (not ``__provider``, ``status``, list order). No network.

        ``olds`` are the state's outputs: the password there is the one last written (the
        engine decrypts it for the provider), so a changed password is an update.
        """
        old, new = plain_props(olds), plain_props(news)
        changed = [
            name
            for name in INPUT_FIELDS
            if contains_unknown(new.get(name)) or canonical(name, old.get(name)) != canonical(name, new.get(name))
        ]
        replaces = ["type"] if "type" in changed else []
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    # -- remote: create, read, update, delete ---------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the stack's orphan with these name, URL and type if there is one; else create."""
        desired = desired_inputs(props)
        monitor = self._adopt_orphan(desired)
        if monitor is None:
            monitor = self._create_or_find(desired)
        outs = outputs_from_api(monitor, desired)
        return CreateResult(str(outs["monitor_id"]), outs)

    def _adopt_orphan(self, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """A monitor an interrupted earlier run made for these inputs, brought to them; None if none."""
        owners = owner_tags(desired["tags"])
        if owners is None:
            return None  # not marked as ours: nothing could tell an orphan from someone else's monitor
        client = self._api()
        orphan = self._listings.claim_orphan(client, desired, owners)
        if orphan is None:
            return None
        log.warning(
            "adopting monitor %s (%r), left by an earlier run that did not record it, instead of creating another",
            orphan["id"],
            desired["friendly_name"],
        )
        if agrees(orphan, desired):
            return orphan
        try:
            monitor = client.update_monitor(int(orphan["id"]), api_body(desired, for_create=False))
        except NotFoundError:
            self._listings.forget(int(orphan["id"]))
            return None  # deleted since it was listed: create one
        self._listings.remember(monitor)
        return monitor

    def _create_or_find(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        client = self._api()
        body = api_body(desired, for_create=True)
        last_error: CreateOutcomeUnknown | None = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                monitor = client.create_monitor(body)
            except CreateOutcomeUnknown as exc:
                last_error = exc
                log.warning(
                    "create of monitor %r may or may not have happened (attempt %d of %d): %s; "
                    "looking for it before trying again",
                    desired["friendly_name"],
                    attempt,
                    CREATE_ATTEMPTS,
                    exc,
                )
            else:
                self._listings.remember(monitor, created=True)
                return monitor
            if ADOPT_SETTLE_S:
                time.sleep(ADOPT_SETTLE_S)
            adopted = self._find_created(desired)
            if adopted is not None:
                log.warning("adopted monitor %s (%r) created by the lost request", adopted["id"], desired["url"])
                self._listings.remember(adopted)
                return adopted
        raise UptimeRobotError(
            "create monitor",
            last_error.status if last_error else None,
            f"gave up creating {desired['friendly_name']!r} after {CREATE_ATTEMPTS} attempts "
            f"with unknown outcome, and found no such monitor; last error: {last_error}",
        )

    def _find_created(self, desired: Mapping[str, Any]) -> dict[str, Any] | None:
        """The monitor our lost create made: same URL, name, type and all of our tags, unclaimed."""
        ownership = [t for t in desired["tags"] if t == OWNERSHIP_TAG or t.startswith(STACK_TAG_PREFIX)]
        wanted_tags = set(desired["tags"])
        matches = [
            monitor
            for monitor in self._api().list_monitors(url=desired["url"], tags=ownership or None)
            if api_text(monitor.get("url")) == desired["url"]
            and api_text(monitor.get("friendlyName")) == desired["friendly_name"]
            and str(monitor.get("type") or "").upper() == desired["type"]
            and wanted_tags <= {tag["name"] for tag in monitor.get("tags") or []}
        ]
        return self._listings.claim(matches, desired)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The monitor as UptimeRobot has it; ``ReadResult("", {})`` if it is gone.

        ``props`` are the state's outputs on a refresh, or only ``__provider`` for an import
        (``pulumi import``, ``Monitor.get``). When the answer differs from what the state
        says was written, it is confirmed before it is believed (:data:`READ_SETTLE_S`).
        """
        monitor_id = self._monitor_id(id_)
        plain = plain_props(props)
        written = plain if "friendly_name" in plain else None
        monitor = self._fetch(monitor_id, plain)
        if written is not None and (monitor is None or not agrees(monitor, written)):
            monitor = self._settle(monitor_id, monitor, written)
        if monitor is None:
            return ReadResult(id_="", outs={})
        return ReadResult(id_=str(monitor_id), outs=outputs_from_api(monitor, written))

    def _fetch(self, monitor_id: int, plain: Mapping[str, Any]) -> dict[str, Any] | None:
        tag = listing_tag(plain.get("tags") or [])
        if tag is not None:
            monitor = self._listings.find(self._api(), tag, monitor_id)
            if monitor is not None:
                return monitor
        # Not in this stack's listing: untagged, re-tagged by hand, or deleted.
        return self._get(monitor_id)

    def _get(self, monitor_id: int) -> dict[str, Any] | None:
        try:
            return self._api().get_monitor(monitor_id)
        except NotFoundError:
            return None

    def _settle(
        self, monitor_id: int, first: dict[str, Any] | None, written: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Read again until the monitor shows what was written, or two answers in a row agree."""
        previous = first
        for _ in range(READ_CONFIRMATIONS):
            if READ_SETTLE_S:
                time.sleep(READ_SETTLE_S)
            again = self._get(monitor_id)
            if again is not None and agrees(again, written):
                log.info("monitor %s: an earlier read was stale; a fresh one shows what was written", monitor_id)
                return again
            if same_answer(again, previous, written):
                return again  # a real change (or deletion), seen twice
            previous = again
        return previous

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        monitor_id = self._monitor_id(id_)
        desired = desired_inputs(news)
        body = api_body(desired, for_create=False)
        try:
            monitor = self._api().update_monitor(monitor_id, body)
        except NotFoundError as exc:
            raise UptimeRobotError(
                exc.operation,
                exc.status,
                f"{exc.api_message}; it was deleted outside Pulumi: run `pulumi refresh` to recreate it",
            ) from None
        self._listings.remember(monitor)
        return UpdateResult(outputs_from_api(monitor, desired))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Delete the monitor; one already gone is fine.

        A monitor that a create of this same run adopted is left alone: the resource being
        deleted is the one it belonged to before (a renamed resource without an alias is
        created, adopting the monitor, before the old one is deleted), and it now belongs to
        the new resource.
        """
        monitor_id = self._monitor_id(id_)
        if self._listings.adopted(monitor_id):
            log.warning("monitor %s was adopted by another resource in this run; not deleting it", monitor_id)
            return
        try:
            self._api().delete_monitor(monitor_id)
        except NotFoundError:
            log.info("monitor %s was already gone", monitor_id)
        self._listings.forget(monitor_id)

    @staticmethod
    def _monitor_id(id_: str) -> int:
        try:
            return int(id_)
        except (TypeError, ValueError):
            raise UptimeRobotError("use monitor id", None, f"monitor ids are numbers, got {id_!r}") from None
