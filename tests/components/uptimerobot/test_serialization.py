"""The provider survives the Pulumi SDK's serializer and runs in a fresh process; the pickle holds no secret.

`pulumi up` pickles the provider with ``pulumi.dynamic.dynamic.serialize_provider`` into
the ``__provider`` input, and a separate provider process unpickles it, calls
``configure()`` with the stack config, then the CRUD methods. The subprocess below does
the same steps as ``pulumi.dynamic.__main__.get_provider``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from pulumi.dynamic.dynamic import serialize_provider

from components.uptimerobot.provider import MonitorProvider
from tests.fakes.fixtures import FAST_SETTINGS, TEST_API_KEY, configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot

ROOT = Path(__file__).resolve().parents[3]

PROVIDER_PROCESS = textwrap.dedent(
    """
    import base64, json, sys

    import dill
    from pulumi.dynamic import Config, ConfigureRequest
    from pulumi.runtime._serialization import _deserialize

    job = json.load(sys.stdin)
    provider = _deserialize(lambda: dill.loads(base64.b64decode(job["provider"])))
    provider.configure(ConfigureRequest(Config(job["config"], project_name="gangplank")))

    news = {"__provider": job["provider"], "friendly_name": "shop (dev)", "interval": 300.0,
            "url": "https://shop.dev.example.com/healthz", "tags": ["gangplank", "stack:dev"]}
    checked = provider.check({}, news)
    inputs = {**checked.inputs, "__provider": job["provider"]}
    created = provider.create(inputs)
    read = provider.read(created.id, {**created.outs, "__provider": job["provider"]})
    no_change = provider.diff(created.id, read.outs, inputs)
    updated = provider.update(created.id, read.outs, {**inputs, "interval": 600.0})
    provider.delete(created.id, updated.outs)
    gone = provider.read(created.id, updated.outs)
    print(json.dumps({
        "failures": [f.property for f in checked.failures],
        "id": created.id, "outs": created.outs, "read_outs": read.outs,
        "changes": no_change.changes, "updated_interval": updated.outs["interval"],
        "gone": [gone.id, gone.outs],
        "module": type(provider).__module__,
    }))
    """
)


def test_pickle_holds_no_credentials_and_does_not_change_with_configuration(fake_uptimerobot: FakeUptimeRobot) -> None:
    blank = serialize_provider(MonitorProvider())
    configured = configured_provider(fake_uptimerobot)
    configured.create({"friendly_name": "x", "url": "https://x.example.com", "tags": ["gangplank"]})  # has a client

    blob = serialize_provider(configured)
    raw = base64.b64decode(blob)

    assert TEST_API_KEY.encode() not in raw
    assert fake_uptimerobot.url.encode() not in raw
    assert b"components.uptimerobot.provider" in raw  # pickled by reference, not by value
    assert serialize_provider(MonitorProvider()) == blank  # deterministic: no spurious diffs of __provider
    assert blob == serialize_provider(MonitorProvider(FAST_SETTINGS))  # the key and client are left out


def test_provider_runs_in_a_fresh_process_from_the_sdk_pickle(fake_uptimerobot: FakeUptimeRobot) -> None:
    blob = serialize_provider(MonitorProvider())  # as Monitor does: settings come from the provider's env
    job = {
        "provider": blob,
        "config": {"gangplank:uptimerobotApiKey": TEST_API_KEY, "gangplank:uptimerobotApiUrl": fake_uptimerobot.url},
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPTIMEROBOT_")}
    env["UPTIMEROBOT_RATE_PER_MINUTE"] = "6000"

    # cwd is the project directory, as for Pulumi's provider process; nothing else is imported.
    done = subprocess.run(
        [sys.executable, "-c", PROVIDER_PROCESS],
        input=json.dumps(job),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["module"] == "components.uptimerobot.provider"
    assert result["failures"] == []
    assert result["outs"]["monitor_id"] == int(result["id"])
    assert result["read_outs"] == result["outs"]
    assert result["changes"] is False
    assert result["updated_interval"] == 600
    assert result["gone"] == ["", {}]
    assert fake_uptimerobot.monitors == {}
    assert TEST_API_KEY not in done.stdout + done.stderr


# The `__provider` input of every monitor deployed so far, exactly as the SDK serialised it
# (pulumi 3.272, `serialize_provider(MonitorProvider())`): it names the class by module path.
DEPLOYED_BLOB = (
    "gASVSwAAAAAAAACMH2NvbXBvbmVudHMudXB0aW1lcm9ib3QucHJvdmlkZXKUjA9Nb25pdG9yUHJvdmlkZXKUk5QpgZR9lIwJX3NldHRpbmdzlE5zYi4="
)


def test_the_provider_class_stays_where_deployed_state_looks_for_it() -> None:
    """Fails if MonitorProvider moves or is renamed: existing monitors could no longer be refreshed or deleted.

    If it must move, keep `components.uptimerobot.provider.MonitorProvider` importable (a re-export)
    and keep this blob unpickling to it.
    """
    import dill
    from pulumi.runtime._serialization import _deserialize

    assert (MonitorProvider.__module__, MonitorProvider.__qualname__) == (
        "components.uptimerobot.provider", "MonitorProvider")
    # What the provider process does with the blob of an existing monitor (pulumi.dynamic.__main__.get_provider).
    provider = _deserialize(lambda: dill.loads(base64.b64decode(DEPLOYED_BLOB)))
    assert type(provider) is MonitorProvider
    # New monitors get the same blob: the class pickles by reference, with no state but settings.
    assert serialize_provider(MonitorProvider()) == DEPLOYED_BLOB
