"""No duplicates after an interrupted `pulumi up`: every create first adopts the stack's orphan.

An orphan is a monitor a POST made while the `pulumi up` that sent it died before recording
it (killed, lost network, crashed runner). The next `pulumi up` runs in a new provider
process, knows nothing of it, and would create a second monitor for the same app.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from components.uptimerobot.provider import MonitorProvider
from tests.components.uptimerobot.inputs import checked
from tests.fakes.fixtures import configured_provider
from tests.fakes.uptimerobot.server import FakeUptimeRobot


def interrupted_up(fake: FakeUptimeRobot, **inputs: object) -> int:
    """A `pulumi up` whose create reached UptimeRobot and then died: the monitor exists, no state has it."""
    provider = configured_provider(fake)
    return int(provider.create(checked(provider, **inputs)).id)


def test_an_orphan_left_by_an_interrupted_up_is_adopted_never_duplicated(fake_uptimerobot: FakeUptimeRobot) -> None:
    orphan = interrupted_up(fake_uptimerobot)
    fake_uptimerobot.reset_counts()

    next_up = configured_provider(fake_uptimerobot)  # a new process
    result = next_up.create(checked(next_up))

    assert int(result.id) == orphan
    assert list(fake_uptimerobot.monitors) == [orphan]
    assert fake_uptimerobot.count("POST", "/monitors") == 0
    assert fake_uptimerobot.count("PATCH") == 0  # it already matches the inputs
    assert result.outs["monitor_id"] == orphan


def test_an_adopted_orphan_is_brought_to_the_inputs(fake_uptimerobot: FakeUptimeRobot) -> None:
    # The interrupted run had older inputs (the interval and contacts changed since).
    orphan = interrupted_up(fake_uptimerobot, interval=1800.0, alert_contact_ids=[9.0])
    fake_uptimerobot.reset_counts()

    next_up = configured_provider(fake_uptimerobot)
    result = next_up.create(checked(next_up, interval=60.0))

    stored = fake_uptimerobot.monitors[orphan]
    assert int(result.id) == orphan
    assert (stored["interval"], [c["alertContactId"] for c in stored["assignedAlertContacts"]]) == (60, [7, 3])
    assert fake_uptimerobot.count("PATCH", "/monitors/{id}") == 1
    assert (result.outs["interval"], result.outs["alert_contact_ids"]) == (60, [3, 7])
    assert next_up.diff(result.id, result.outs, checked(next_up, interval=60.0)).changes is False


def test_two_stacks_never_adopt_each_others_monitors(fake_uptimerobot: FakeUptimeRobot) -> None:
    # Same account, same app name and URL (a shared test domain), two stacks.
    prod_orphan = interrupted_up(fake_uptimerobot, tags=["gangplank", "stack:prod"])
    fake_uptimerobot.reset_counts()

    dev = configured_provider(fake_uptimerobot)
    dev_result = dev.create(checked(dev, tags=["gangplank", "stack:dev"]))
    prod = configured_provider(fake_uptimerobot)
    prod_result = prod.create(checked(prod, tags=["gangplank", "stack:prod"]))

    assert int(dev_result.id) != prod_orphan
    assert int(prod_result.id) == prod_orphan
    assert fake_uptimerobot.count("POST", "/monitors") == 1  # dev's own
    assert fake_uptimerobot.count("PATCH") == 0  # prod's monitor was never touched by dev
    assert sorted(m["tagNames"][1] for m in fake_uptimerobot.monitors.values()) == ["stack:dev", "stack:prod"]


def test_monitors_not_marked_as_ours_are_never_adopted(fake_uptimerobot: FakeUptimeRobot) -> None:
    # A look-alike made by hand, without the ownership tag, and one of another type.
    by_hand = fake_uptimerobot.add_monitor(friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz",
                                           tagNames=["stack:dev"])
    keyword = fake_uptimerobot.add_monitor(friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz",
                                           type="KEYWORD", keywordType="ALERT_EXISTS", keywordValue="ok",
                                           tagNames=["gangplank", "stack:dev"])
    provider = configured_provider(fake_uptimerobot)

    result = provider.create(checked(provider))

    assert int(result.id) not in (by_hand["id"], keyword["id"])
    assert len(fake_uptimerobot.monitors) == 3


def test_untagged_monitors_are_created_without_a_listing(fake_uptimerobot: FakeUptimeRobot) -> None:
    provider = configured_provider(fake_uptimerobot)

    provider.create(checked(provider, tags=["team:web"]))

    assert fake_uptimerobot.count("GET", "/monitors") == 0
    assert fake_uptimerobot.count("POST", "/monitors") == 1


def test_one_listing_serves_every_parallel_create_of_a_process(fake_uptimerobot: FakeUptimeRobot) -> None:
    """A first `up` of many monitors lists the stack once; orphans among them are adopted once each."""
    orphans = [interrupted_up(fake_uptimerobot, friendly_name=f"app{i} (dev)", url=f"https://app{i}.example.com/")
               for i in (3, 7, 11)]
    for i in range(250):  # another stack's monitors are not in the listing
        fake_uptimerobot.add_monitor(friendlyName=f"p{i}", url=f"https://p{i}.example.com/", tagNames=["stack:prod"])
    fake_uptimerobot.reset_counts()
    provider = configured_provider(fake_uptimerobot)
    inputs = [checked(provider, friendly_name=f"app{i} (dev)", url=f"https://app{i}.example.com/") for i in range(24)]

    with ThreadPoolExecutor(4) as pool:  # the SDK's provider server runs four threads
        results = list(pool.map(provider.create, inputs))

    assert fake_uptimerobot.count("GET", "/monitors") == 1
    assert fake_uptimerobot.count("POST", "/monitors") == 21
    assert len(fake_uptimerobot.monitors_tagged("stack:dev")) == 24
    assert len({r.id for r in results}) == 24
    assert [int(results[i].id) for i in (3, 7, 11)] == orphans


def test_a_monitor_created_in_this_run_is_not_adopted_by_another_create(fake_uptimerobot: FakeUptimeRobot) -> None:
    # Two resources that want identical monitors get one each: the listing knows the first is taken.
    provider = configured_provider(fake_uptimerobot)

    first = provider.create(checked(provider))
    second = provider.create(checked(provider))

    assert first.id != second.id
    assert fake_uptimerobot.count("POST", "/monitors") == 2


def test_renamed_resource_keeps_its_monitor(fake_uptimerobot: FakeUptimeRobot) -> None:
    """A resource renamed without an alias: the engine creates the new one, then deletes the old.

    The create adopts the old resource's monitor (same name and URL); the delete that follows
    in the same run must not remove what the new resource now holds.
    """
    old = interrupted_up(fake_uptimerobot)  # the old resource's monitor, in state under the old name
    provider = configured_provider(fake_uptimerobot)

    renamed = provider.create(checked(provider))
    provider.delete(str(old), {"tags": ["gangplank", "stack:dev"], "monitor_id": old})

    assert int(renamed.id) == old
    assert list(fake_uptimerobot.monitors) == [old]
    assert fake_uptimerobot.count("DELETE") == 0


def test_an_orphan_deleted_meanwhile_is_replaced_by_a_new_monitor(fake_uptimerobot: FakeUptimeRobot) -> None:
    orphan = interrupted_up(fake_uptimerobot, interval=1800.0)
    provider = configured_provider(fake_uptimerobot)
    provider._listings.find(provider._api(), "stack:dev", orphan)  # the stack was listed ...
    del fake_uptimerobot.monitors[orphan]  # ... and then someone deleted the orphan in the UI

    result = provider.create(checked(provider, interval=60.0))

    assert int(result.id) != orphan
    assert list(fake_uptimerobot.monitors) == [int(result.id)]


def test_adoption_needs_exact_name_and_url(
    monitor_provider: MonitorProvider, fake_uptimerobot: FakeUptimeRobot
) -> None:
    # The API's own filters match in part and ignore case; the provider does not.
    near = [
        fake_uptimerobot.add_monitor(friendlyName="Shop (dev)", url="https://shop.dev.example.com/healthz",
                                     tagNames=["gangplank", "stack:dev"]),
        fake_uptimerobot.add_monitor(friendlyName="shop (dev)", url="https://shop.dev.example.com/healthz/deep",
                                     tagNames=["gangplank", "stack:dev"]),
    ]

    result = monitor_provider.create(checked(monitor_provider))

    assert int(result.id) not in [m["id"] for m in near]
