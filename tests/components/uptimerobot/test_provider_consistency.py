"""Reads right after writes, against a fake whose replica can serve one stale answer.

UptimeRobot's own Terraform provider found reads after writes coming from a stale replica
(CHANGELOG 1.4.0). A refresh right after `pulumi up` (a new process, e.g. `pulumi refresh
--expect-no-changes` in CI) must return what was written, not what the replica remembers,
and the next preview must show no change.
"""

from __future__ import annotations

from components.uptimerobot.provider import MonitorProvider
from tests.components.uptimerobot.inputs import PROVIDER_BLOB, checked
from tests.fakes.fixtures import configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot


def refresh(fake: FakeUptimeRobot, monitor_id: str, state: dict[str, object]) -> dict[str, object]:
    """`pulumi refresh` of one monitor: a new provider process, the state's outputs as props."""
    read = configured_provider(fake).read(monitor_id, {**state, "__provider": PROVIDER_BLOB})
    assert read.id == monitor_id
    return read.outs


def test_a_stale_listing_after_an_update_does_not_undo_it(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    news = checked(monitor_provider, interval=60.0, tags=["gangplank", "stack:dev", "team:web"])
    updated = monitor_provider.update(created.id, created.outs, news)
    fake_uptimerobot.serve_stale("/monitors")  # the listing still shows interval 300, no team tag

    outs = refresh(fake_uptimerobot, created.id, updated.outs)

    assert fake_uptimerobot.stale_served == 1  # the provider did see the stale answer
    assert outs == updated.outs
    assert monitor_provider.diff(created.id, outs, news).changes is False


def test_a_stale_get_after_a_create_does_not_lose_the_monitor(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    # Untagged, so the refresh reads it by id; the replica has not seen the create: 404.
    inputs = checked(monitor_provider, tags=[])
    created = monitor_provider.create(inputs)
    fake_uptimerobot.serve_stale("/monitors/{id}")

    outs = refresh(fake_uptimerobot, created.id, created.outs)

    assert fake_uptimerobot.stale_served == 1
    assert outs == created.outs  # not ReadResult("", {}), which would make Pulumi forget it
    assert monitor_provider.diff(created.id, outs, inputs).changes is False


def test_a_stale_listing_that_misses_a_new_monitor_falls_back_to_the_fresh_one(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider))
    fake_uptimerobot.serve_stale("/monitors")

    outs = refresh(fake_uptimerobot, created.id, created.outs)

    assert outs == created.outs
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 1


def test_a_change_made_outside_pulumi_is_still_seen_at_the_cost_of_one_read(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    inputs = checked(monitor_provider)
    created = monitor_provider.create(inputs)
    fake_uptimerobot.monitors[int(created.id)]["interval"] = 900  # someone edited it in the UI
    fake_uptimerobot.reset_counts()

    outs = refresh(fake_uptimerobot, created.id, created.outs)

    assert outs["interval"] == 900
    assert monitor_provider.diff(created.id, outs, inputs).changes is True
    # The listing, then one GET that agrees with it.
    assert (fake_uptimerobot.count("GET", "/monitors"), fake_uptimerobot.count("GET", "/monitors/{id}")) == (1, 1)


def test_a_deleted_monitor_is_gone_after_a_confirming_read(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    created = monitor_provider.create(checked(monitor_provider, tags=[]))
    del fake_uptimerobot.monitors[int(created.id)]
    fake_uptimerobot.reset_counts()

    read = configured_provider(fake_uptimerobot).read(created.id, created.outs)

    assert (read.id, read.outs) == ("", {})
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 2


def test_an_import_reads_by_id_without_settling(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    monitor = fake_uptimerobot.add_monitor(friendlyName="legacy", url="https://legacy.example.com/",
                                           tagNames=["gangplank", "stack:dev"])

    read = monitor_provider.read(str(monitor["id"]), {"__provider": PROVIDER_BLOB})

    assert read.outs["friendly_name"] == "legacy"
    assert fake_uptimerobot.count("GET", "/monitors/{id}") == 1
    assert fake_uptimerobot.count("GET", "/monitors") == 0
