"""The pacing rule on its own: what the budget lets through, on a clock the test controls."""

from __future__ import annotations

import email.utils
import threading

import pytest

from components.uptimerobot.pacing import MAX_PERIOD_S, Pacer, RateBudget, parse_budget
from tests.fakes.clock import FakeClock

EPOCH = 1_800_000_000.0  # the server's and the local wall clock at local monotonic time 0 (FakeClock's start)


def answer(remaining: int, reset_in: float, *, limit: int = 10, at: float = 0.0, date: bool = True) -> dict[str, str]:
    """Headers of an answer sent at local monotonic time ``at``, the period ending ``reset_in`` s later."""
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(EPOCH + at + reset_in)),
    }
    if date:
        headers["Date"] = email.utils.formatdate(EPOCH + at, usegmt=True)
    return headers


def test_with_nothing_known_one_request_probes_the_budget() -> None:
    budget = RateBudget()
    assert budget.wait_time(0.0) == 0.0
    budget.start()
    assert budget.wait_time(0.0) is None  # wait for the probe's answer

    budget.finish(answer(remaining=9, reset_in=60), now=0.2, wall=EPOCH + 0.2)

    for _ in range(9):
        assert budget.wait_time(0.3) == 0.0
        budget.start()
    assert budget.wait_time(0.3) == pytest.approx(60 - 0.3, abs=1)  # nine in flight use up the nine left


def test_none_remaining_waits_for_the_reset_then_probes_again() -> None:
    budget = RateBudget()
    budget.start()
    budget.finish(answer(remaining=0, reset_in=42), now=1.0, wall=EPOCH + 1.0)

    assert budget.wait_time(1.0) == pytest.approx(42.0)
    assert budget.wait_time(43.0) == 0.0  # the period is over: what it counted no longer holds
    assert budget.window is None


def test_requests_in_flight_count_against_what_remains() -> None:
    budget = RateBudget()
    budget.start()
    budget.start()  # two went out together after an earlier period (both probes of a new one)
    budget.finish(answer(remaining=2, reset_in=30), now=0.1, wall=EPOCH + 0.1)

    assert budget.in_flight == 1
    assert budget.wait_time(0.1) == 0.0  # 2 remaining - 1 in flight
    budget.start()
    assert budget.wait_time(0.1) > 0


def test_answers_out_of_order_keep_the_lowest_count_and_old_periods_are_ignored() -> None:
    budget = RateBudget()
    for remaining in (5, 7):
        budget.start()
        budget.finish(answer(remaining=remaining, reset_in=30), now=0.1, wall=EPOCH + 0.1)
    assert budget.window is not None and budget.window.remaining == 5

    budget.start()
    budget.finish(answer(remaining=9, reset_in=90, at=-60), now=0.2, wall=EPOCH + 0.2)  # the period before
    assert budget.window.remaining == 5

    budget.start()
    budget.finish(answer(remaining=9, reset_in=90), now=0.3, wall=EPOCH + 0.3)  # a newer period
    assert (budget.window.remaining, budget.window.reset_epoch) == (9, EPOCH + 90)


def test_the_reset_is_read_on_the_servers_clock() -> None:
    # The local clock is 25 s ahead of the server's; the server's Date header tells.
    headers = answer(remaining=0, reset_in=20)
    window = parse_budget(headers, now=100.0, wall=EPOCH + 25)
    assert window is not None and window.ends_at == pytest.approx(120.0)

    # Without Date the local clock is all there is.
    no_date = answer(remaining=0, reset_in=20, date=False)
    window = parse_budget(no_date, now=100.0, wall=EPOCH + 25)
    assert window is not None and window.ends_at == pytest.approx(100.0)


def test_a_far_reset_is_capped_and_missing_headers_say_nothing() -> None:
    window = parse_budget(answer(remaining=0, reset_in=86_400), now=0.0, wall=EPOCH)
    assert window is not None and window.ends_at == MAX_PERIOD_S
    assert parse_budget({"Content-Type": "application/json"}, now=0.0, wall=EPOCH) is None
    assert parse_budget(None, now=0.0, wall=EPOCH) is None
    lower_case = {k.lower(): v for k, v in answer(remaining=3, reset_in=10).items()}
    assert parse_budget(lower_case, now=0.0, wall=EPOCH).remaining == 3  # header names ignore case


def test_without_headers_requests_go_one_at_a_time() -> None:
    budget = RateBudget()
    budget.start()
    budget.finish({}, now=0.1, wall=EPOCH)
    assert budget.wait_time(0.1) == 0.0
    budget.start()
    assert budget.wait_time(0.1) is None


def test_the_pacer_blocks_a_thread_until_an_answer_frees_a_turn() -> None:
    pacer = Pacer()
    pacer.acquire()  # the probe
    second_went = threading.Event()

    def second() -> None:
        pacer.acquire()
        second_went.set()
        pacer.finish(None)

    worker = threading.Thread(target=second)
    worker.start()
    assert not second_went.wait(0.3)  # held while the probe is unanswered
    pacer.finish(answer(remaining=5, reset_in=60))
    assert second_went.wait(2)
    worker.join()
    assert pacer.requests == 2


def test_finish_without_acquire_in_the_same_thread_is_ignored() -> None:
    pacer = Pacer()
    pacer.finish(answer(remaining=0, reset_in=60))
    assert pacer.window is None
    pacer.acquire()
    pacer.finish(answer(remaining=4, reset_in=60))
    pacer.finish(answer(remaining=0, reset_in=60))  # the adapter after the retry hook: a no-op
    assert pacer.window is not None and pacer.window.remaining == 4


def test_the_pacer_waits_on_its_clock_until_the_announced_reset() -> None:
    clock = FakeClock(EPOCH)  # the answers' Date is EPOCH too
    pacer = Pacer(clock=clock)
    pacer.acquire()
    pacer.finish(answer(remaining=0, reset_in=42))

    pacer.acquire()  # none remain: wait for the reset, then probe the new period

    assert pacer.waits == clock.waits == [42.0] and clock.time() == EPOCH + 42
    assert pacer.requests == 2 and pacer.window is None
