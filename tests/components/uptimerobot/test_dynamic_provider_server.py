"""The monitor provider behind the SDK's real dynamic provider server, driven over gRPC as the engine does.

`pulumi up` starts `python -m pulumi.dynamic` in the project directory; the server prints its
port and the engine speaks the ResourceProvider protocol (`pulumi.runtime.proto`) to it:
Configure once with the *whole* stack config (keys with their namespaces, `secure:` values as
secrets), then Check, Diff, Create, Read, Update and Delete, each with the `__provider` pickle
the SDK made. Because the server answers Configure with `acceptSecrets: false`, the engine
sends every later property plainly (pulumi/pulumi `pkg/resource/plugin/provider_plugin.go`:
`KeepSecrets: protocol.acceptSecrets`) and re-marks outputs whose inputs were secret
(`annotateSecrets`); the messages below are built that way.

One server process and one fake UptimeRobot serve the whole module (the server configures
the provider once per process, as in a real deployment).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from components.uptimerobot.provider import MonitorProvider
from tests.fakes.fixtures import TEST_API_KEY
from tests.fakes.uptimerobot.server import FakeUptimeRobot
from tests.fakes.uptimerobot.spec import Spec

ROOT = Path(__file__).resolve().parents[3]
MONITOR_TYPE = "pulumi-python:dynamic/uptimerobot:Monitor"
PASSWORD = "grpc-Probe-Passw0rd-77"
BLOB = serialize_provider(MonitorProvider())  # as Monitor makes it: the provider process reads its own env


def urn(name: str) -> str:
    return f"urn:pulumi:dev::gangplank::gangplank:apps:ExposedApp${MONITOR_TYPE}::{name}"


def secret(value: Any) -> dict[str, Any]:
    """A secret property value on the wire."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)  # numbers become doubles, as the engine sends them
    return message


def plain(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def stack_config(fake_url: str) -> dict[str, Any]:
    """The dev stack's config as the engine hands it to a dynamic provider (deploy/target.go GetPackageConfig):
    every key with its namespace, values as strings (structured ones as JSON), secure ones as secrets."""
    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and "secure" in value:
            config[key] = secret(TEST_API_KEY)  # the decrypted value of the `secure:` entry
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    assert "gangplank:uptimerobotApiKey" in config and "aws:region" in config
    config["gangplank:uptimerobotApiUrl"] = fake_url  # `pulumi config set gangplank:uptimerobotApiUrl ...`
    return config


@dataclass
class Server:
    stub: provider_pb2_grpc.ResourceProviderStub
    process: subprocess.Popen[bytes]
    fake: FakeUptimeRobot
    configured: Any

    def check(self, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
        return self.stub.Check(proto.CheckRequest(urn=urn(name), name=name, type=MONITOR_TYPE,
                                                  olds=struct(olds or {}), news=struct({"__provider": BLOB, **news})))

    def checked(self, name: str, **news: Any) -> dict[str, Any]:
        """Check's inputs as the engine passes them on (plainly: the provider does not accept secrets)."""
        response = self.check(name, news)
        assert [(f.property, f.reason) for f in response.failures] == []
        return unwrapped(plain(response.inputs))

    def create(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any], struct_pb2.Struct]:
        response = self.stub.Create(proto.CreateRequest(urn=urn(name), name=name, type=MONITOR_TYPE,
                                                        properties=struct(inputs)))
        return response.id, unwrapped(plain(response.properties)), response.properties


def unwrapped(props: dict[str, Any]) -> dict[str, Any]:
    return {key: rpc.unwrap_rpc_secret(value) for key, value in props.items()}


def is_secret_on_the_wire(properties: struct_pb2.Struct, key: str) -> bool:
    value = properties.fields[key]
    return value.HasField("struct_value") and (
        value.struct_value.fields[rpc._special_sig_key].string_value == rpc._special_secret_sig
    )


@pytest.fixture(scope="module")
def server(uptimerobot_spec: Spec) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPTIMEROBOT_")}
    with FakeUptimeRobot(uptimerobot_spec, api_key=TEST_API_KEY, rate_limit=1000, rate_window_s=1.0) as fake:
        # As the engine starts it: the project directory, the project's Python.
        process = subprocess.Popen([sys.executable, "-m", "pulumi.dynamic"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline().decode().strip())  # the server prints its port first
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=30)
                stub = provider_pb2_grpc.ResourceProviderStub(channel)
                config = stack_config(fake.url)
                # provider_plugin.go Configure: `args` keeps the secrets; the deprecated `variables`
                # map is keyed `<pkg>:config:<key>` with the secrets removed.
                variables = {f"pulumi-python:config:{key}": str(rpc.unwrap_rpc_secret(value))
                             for key, value in config.items()}
                configured = stub.Configure(proto.ConfigureRequest(
                    args=struct(config), variables=variables, acceptSecrets=True, acceptResources=True,
                    sends_old_inputs=True, sends_old_inputs_to_delete=True,
                    type="pulumi:providers:pulumi-python", name="default",
                ))
                yield Server(stub, process, fake, configured)
        finally:
            process.terminate()
            out, err = process.communicate(timeout=30)
        logs = (out + err).decode(errors="replace")
        assert TEST_API_KEY not in logs and PASSWORD not in logs, "a secret reached the provider's output"
    assert fake.violations == []


def test_configure_declines_secrets_so_the_engine_sends_plain_values(server: Server) -> None:
    assert server.configured.acceptSecrets is False


def test_check_and_diff_over_grpc_make_no_call(server: Server) -> None:
    calls = server.fake.total_calls
    news = {"friendly_name": "grpc-check (dev)", "url": "https://grpc-check.dev.example.com/healthz",
            "interval": 300, "tags": ["gangplank", "stack:dev"], "http_username": "probe", "http_password": PASSWORD}

    response = server.check("grpc-check", news)

    assert list(response.failures) == []
    assert is_secret_on_the_wire(response.inputs, "http_password")  # marked by the provider, not only the engine
    assert plain(response.inputs)["__provider"] == BLOB
    inputs = unwrapped(plain(response.inputs))
    olds = {**inputs, "monitor_id": 1.0, "status": "UP"}
    same = server.stub.Diff(proto.DiffRequest(id="1", urn=urn("grpc-check"), olds=struct(olds), news=struct(inputs)))
    rotated = server.stub.Diff(proto.DiffRequest(id="1", urn=urn("grpc-check"), olds=struct(olds),
                                                 news=struct({**inputs, "http_password": PASSWORD + "x"})))
    assert (same.changes, rotated.changes) == (proto.DiffResponse.DIFF_NONE, proto.DiffResponse.DIFF_SOME)
    assert list(rotated.replaces) == []
    assert server.fake.total_calls == calls


def test_check_failures_name_the_field_over_grpc(server: Server) -> None:
    response = server.check("grpc-bad", {"friendly_name": "bad", "url": "ftp://x", "interval": 10,
                                         "http_password": PASSWORD})

    assert sorted(f.property for f in response.failures) == ["http_username", "interval", "url"]
    assert all(PASSWORD not in f.reason for f in response.failures)


def test_a_preview_with_unknown_values_checks_and_diffs(server: Server) -> None:
    news = {"friendly_name": "grpc-preview (dev)", "url": rpc.UNKNOWN, "tags": ["gangplank", "stack:dev"]}
    checked = server.check("grpc-preview", news)
    assert list(checked.failures) == []
    olds = {"friendly_name": "grpc-preview (dev)", "url": "https://old.example.com/", "monitor_id": 1.0}
    diff = server.stub.Diff(proto.DiffRequest(id="1", urn=urn("grpc-preview"), olds=struct(olds),
                                              news=checked.inputs))
    assert diff.changes == proto.DiffResponse.DIFF_SOME


def test_create_read_update_delete_over_grpc(server: Server) -> None:
    fake = server.fake
    inputs = server.checked("grpc-crud", friendly_name="grpc-crud (dev)", url="https://grpc-crud.dev.example.com/h",
                            interval=300, tags=["gangplank", "stack:dev"], http_username="probe",
                            http_password=PASSWORD)

    monitor_id, outs, wire = server.create("grpc-crud", inputs)

    stored = fake.monitors[int(monitor_id)]
    assert (stored["authType"], stored["httpPassword"]) == ("HTTP_BASIC", PASSWORD)
    assert outs["monitor_id"] == int(monitor_id) and outs["interval"] == 300
    assert is_secret_on_the_wire(wire, "http_password")
    assert stored["apiKey"] not in json.dumps(plain(wire))
    assert plain(wire)["__provider"] == BLOB

    # Refresh: the engine sends the state's outputs and inputs, plainly.
    read = server.stub.Read(proto.ReadRequest(id=monitor_id, urn=urn("grpc-crud"), properties=struct(outs),
                                              inputs=struct(inputs)))
    assert read.id == monitor_id
    assert unwrapped(plain(read.properties)) == outs
    assert is_secret_on_the_wire(read.properties, "http_password")
    no_change = server.stub.Diff(proto.DiffRequest(id=monitor_id, urn=urn("grpc-crud"), olds=read.properties,
                                                   news=struct(inputs)))
    assert no_change.changes == proto.DiffResponse.DIFF_NONE

    news = {**inputs, "interval": 60}
    updated = server.stub.Update(proto.UpdateRequest(id=monitor_id, urn=urn("grpc-crud"), olds=struct(outs),
                                                     news=struct(news)))
    assert unwrapped(plain(updated.properties))["interval"] == 60
    assert fake.monitors[int(monitor_id)]["interval"] == 60

    server.stub.Delete(proto.DeleteRequest(id=monitor_id, urn=urn("grpc-crud"), properties=updated.properties))
    assert int(monitor_id) not in fake.monitors
    server.stub.Delete(proto.DeleteRequest(id=monitor_id, urn=urn("grpc-crud"), properties=updated.properties))
    gone = server.stub.Read(proto.ReadRequest(id=monitor_id, urn=urn("grpc-crud"), properties=updated.properties))
    assert gone.id == ""


def test_an_import_reads_with_only_an_id(server: Server) -> None:
    existing = server.fake.add_monitor(friendlyName="grpc-legacy", url="https://grpc-legacy.example.com/",
                                       authType="HTTP_BASIC", httpUsername="ops", httpPassword="ui-password-5",
                                       tagNames=["gangplank", "stack:dev"])

    # `pulumi import` / `Monitor.get`: no state, only the inputs the program gives (the pickle).
    read = server.stub.Read(proto.ReadRequest(id=str(existing["id"]), urn=urn("grpc-legacy"),
                                              inputs=struct({"__provider": BLOB})))

    outs = unwrapped(plain(read.properties))
    assert read.id == str(existing["id"])
    assert (outs["friendly_name"], outs["http_username"], outs.get("http_password")) == ("grpc-legacy", "ops", None)
    assert "ui-password-5" not in json.dumps(plain(read.properties))


def test_parallel_creates_share_one_listing_and_make_no_duplicate(server: Server) -> None:
    fake = server.fake
    names = [f"grpc-par{i}" for i in range(12)]
    inputs = [server.checked(n, friendly_name=f"{n} (staging)", url=f"https://{n}.staging.example.com/",
                             tags=["gangplank", "stack:staging"]) for n in names]
    listings = fake.count("GET", "/monitors")

    with ThreadPoolExecutor(8) as pool:  # the engine sends them at once; the server runs four at a time
        results = list(pool.map(lambda pair: server.create(*pair), zip(names, inputs, strict=True)))

    assert len({monitor_id for monitor_id, _, _ in results}) == 12
    assert len(fake.monitors_tagged("stack:staging")) == 12
    assert fake.count("GET", "/monitors") - listings == 1
