"""``uptimerobot.Monitor``: an UptimeRobot monitor as a Pulumi resource.

Type token ``pulumi-python:dynamic/uptimerobot:Monitor``; the work is done by
:class:`~components.uptimerobot.provider.MonitorProvider`, which is pickled into each
monitor's state by its module path (do not move it; see ``provider.py``). The API key is not
an input: the provider reads it from stack config ``gangplank:uptimerobotApiKey`` (secret) or
the ``UPTIMEROBOT_API_KEY`` environment variable. (The engine stores the whole stack config,
encrypted, as the provider's configuration in the state; that is where the key is kept.)

``http_password`` is always made secret here, whatever the caller passed, and the output of
the same name is declared secret too, so it is encrypted in the state and shown as
``[secret]`` in previews and plans.

Example::

    Monitor(
        "shop",
        MonitorArgs(friendly_name="shop (prod)", url="https://shop.example.com/healthz",
                    tags=ownership_tags("prod")),
    )
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi.dynamic

from .input_schema import DEFAULTS, SECRET_INPUTS
from .listings import OWNERSHIP_TAG, STACK_TAG_PREFIX
from .provider import MonitorProvider

__all__ = ["Monitor", "MonitorArgs", "ownership_tags"]


def ownership_tags(stack: str) -> list[str]:
    """The tags that mark a monitor as this program's, for one stack.

    Stacks sharing an UptimeRobot account use them to find their own monitors and
    leave the others alone.
    """
    return [OWNERSHIP_TAG, f"{STACK_TAG_PREFIX}{stack}"]


@dataclass
class MonitorArgs:
    """Inputs of a :class:`Monitor`. Defaults match the provider's."""

    friendly_name: pulumi.Input[str]
    """Name shown in UptimeRobot (at most 250 characters)."""

    url: pulumi.Input[str]
    """The http:// or https:// URL to check."""

    type: pulumi.Input[str] = DEFAULTS["type"]
    """``"HTTP"`` (status code check) or ``"KEYWORD"`` (looks for a keyword in the body).
    Changing it replaces the monitor."""

    interval: pulumi.Input[int] = DEFAULTS["interval"]
    """Seconds between checks, at least 30."""

    timeout: pulumi.Input[int] = DEFAULTS["timeout"]
    """Seconds to wait for the site to answer, 0 to 60."""

    http_method: pulumi.Input[str] = DEFAULTS["http_method"]
    """HTTP method of the check: HEAD, GET, POST, PUT, PATCH, DELETE, OPTIONS or QUERY."""

    keyword_type: pulumi.Input[str] | None = None
    """KEYWORD monitors only (required there): ``"ALERT_EXISTS"`` or ``"ALERT_NOT_EXISTS"``."""

    keyword_value: pulumi.Input[str] | None = None
    """KEYWORD monitors only (required there): the text to look for (case-insensitive)."""

    alert_contact_ids: pulumi.Input[Sequence[pulumi.Input[int]]] | None = None
    """Ids of existing UptimeRobot alert contacts to notify; order does not matter."""

    tags: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Tag names; include :func:`ownership_tags` so that monitors left by an interrupted run
    are adopted instead of duplicated and a refresh lists this stack's monitors in a few calls.
    Order does not matter."""

    http_username: pulumi.Input[str] | None = None
    """HTTP basic auth user the monitor sends (sent as ``authType: HTTP_BASIC``); needs
    ``http_password``. At most 255 characters, no ``:``."""

    http_password: pulumi.Input[str] | None = None
    """HTTP basic auth password (1 to 255 characters); needs ``http_username``. Always stored
    and shown as a secret."""

    custom_http_headers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """HTTP headers the check sends (``customHttpHeaders``), e.g. ``{"Host": "shop.example.com"}`` to ask a load
    balancer by its own DNS name for a host it serves. None or empty: none."""

    check_ssl_errors: pulumi.Input[bool] | None = None
    """Whether a certificate error fails the check (``checkSSLErrors``); None leaves UptimeRobot's default."""


class Monitor(pulumi.dynamic.Resource, module="uptimerobot", name="Monitor"):
    """An UptimeRobot monitor. Outputs: every input, plus ``monitor_id`` and ``status``."""

    friendly_name: pulumi.Output[str]
    url: pulumi.Output[str]
    type: pulumi.Output[str]
    interval: pulumi.Output[int]
    timeout: pulumi.Output[int]
    http_method: pulumi.Output[str]
    keyword_type: pulumi.Output[str | None]
    keyword_value: pulumi.Output[str | None]
    alert_contact_ids: pulumi.Output[list[int]]
    tags: pulumi.Output[list[str]]
    http_username: pulumi.Output[str | None]
    http_password: pulumi.Output[str | None]
    """Secret. The password last written, while the monitor still has it; None otherwise."""
    custom_http_headers: pulumi.Output[dict[str, str] | None]
    check_ssl_errors: pulumi.Output[bool | None]
    monitor_id: pulumi.Output[int]
    """The monitor's id in UptimeRobot (also the resource id, as a string)."""
    status: pulumi.Output[str]
    """The monitor's status as last seen (e.g. ``UP``, ``DOWN``, ``PAUSED``)."""

    def __init__(
        self,
        name: str,
        args: MonitorArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Not dataclasses.asdict: it deep-copies, and Outputs must be passed as they are.
        props = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}
        # Declared with None so the SDK exposes them as Output attributes; None is not sent.
        props["monitor_id"] = None
        props["status"] = None
        if props["http_password"] is not None:
            props["http_password"] = pulumi.Output.secret(props["http_password"])
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_INPUTS)))
        # pulumi 3.272's serialize_provider wraps pickle._Pickler._batch_setitems for sorting
        # and never unwraps it: each dynamic resource nests one more wrapper, and the ~980th
        # in a process hits RecursionError. Put the originals back after each serialization.
        batch_setitems, save_dict = pickle._Pickler._batch_setitems, pickle._Pickler.save_dict
        try:
            super().__init__(MonitorProvider(), name, props, opts)
        finally:
            pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = batch_setitems, save_dict
