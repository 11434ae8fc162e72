"""UptimeRobot API budget of the monitor provider: calls per operation, and how long creates take.

Three tables.

1. Calls per operation, measured: MonitorProvider against the fake UptimeRobot (tests/fakes)
   for N monitors: create N (a first `up`), a no-op update (check + diff only: the engine calls
   update only when diff reports a change), refresh N (a fresh provider, as in a new
   `pulumi refresh` process) and delete N. The fake's budget is set high: this table counts
   calls, not time. Targets: a no-op makes 0 calls; refreshing N makes at most ceil(N/200)+2.

2. Wall time of creating N monitors (250 and 5,000), on the free plan (10 calls a minute) and
   on a paid plan (twice the plan's monitors a minute, at most 5,000: https://uptimerobot.com/api/v3,
   "Rate limits"), before (every call paced at a fixed 10 a minute, the old default) and after
   (paced on the API's X-RateLimit headers). Derived on a SIMULATED CLOCK, because nobody waits
   eight hours for a benchmark: a discrete-event simulation of
   - the server: fixed 60 s windows aligned on the epoch, X-RateLimit-Limit/-Remaining/-Reset in
     whole epoch seconds, a Date header in whole seconds, 429 + Retry-After past the limit;
   - the provider: 4 calls at once (the SDK's dynamic provider server runs 4 worker threads),
     each taking an ASSUMED round trip (``--latency``, default 0.35 s; the real API's was not
     measured from here), the server counting it halfway;
   - "after": the very RateBudget class the provider uses (components/uptimerobot/pacing.py),
     one listing of the stack before the creates (adoption), then one POST per monitor;
   - "before": a sliding window of 10 permits per 60 s (what pyrate-limiter enforced), one
     POST per monitor and no listing (the old provider listed only after a lost response).
   Each figure is the mean over four phases of the first call within the server's minute.

3. The simulation checked against the real code: the provider against the fake with a small
   budget (5 calls per 1 s window), measured on the real clock, next to what the simulation
   predicts for the same budget and the measured round trip.

Figures only, no timed assertions. Exit status 1 only if the fake saw traffic that breaks the
OpenAPI document.

    .venv/bin/python benchmarks/uptimerobot_budget.py            # N = 50 and 500; 250 and 5,000 simulated
    .venv/bin/python benchmarks/uptimerobot_budget.py --quick    # N = 50; the same simulations (for CI)
"""

from __future__ import annotations

import argparse
import bisect
import email.utils
import heapq
import itertools
import math
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from pulumi.dynamic import Config, ConfigureRequest

from benchmarks.report import human_duration
from components.uptimerobot import provider as provider_module
from components.uptimerobot.client import ClientSettings
from components.uptimerobot.monitor import ownership_tags
from components.uptimerobot.pacing import RateBudget
from components.uptimerobot.provider import API_KEY_CONFIG, API_URL_CONFIG, MonitorProvider
from planner.rollout.figures import FREE_PLAN_RATE_PER_MINUTE, PAID_PLAN_MAX_RATE_PER_MINUTE, PAID_PLAN_RATE_PER_MONITOR
from tests.fakes.uptimerobot.server import FakeUptimeRobot
from tests.fakes.uptimerobot.spec import load_spec

WORKERS = 4  # pulumi.dynamic.__main__: grpc.server(ThreadPoolExecutor(max_workers=4))
API_KEY = "benchmark-key"


# -- 1. calls per operation, measured against the fake -------------------------------------------


@dataclass
class CallRow:
    operation: str
    n: int
    calls: int
    target: int | None
    refused: int

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return f"<= {self.target} {'ok' if self.calls <= self.target else 'OVER'}"


def _provider(fake: FakeUptimeRobot) -> MonitorProvider:
    provider = MonitorProvider(ClientSettings(ceiling=None, read_timeout_s=30))
    provider.configure(ConfigureRequest(Config({API_KEY_CONFIG: API_KEY, API_URL_CONFIG: fake.url}, "gangplank")))
    return provider


def _inputs(n: int, stack: str = "bench") -> list[dict[str, Any]]:
    return [{"friendly_name": f"app{i} ({stack})", "url": f"https://app{i}.example.com/healthz",
             "tags": ownership_tags(stack)} for i in range(n)]


def count_calls(n: int) -> tuple[list[CallRow], list[str]]:
    with FakeUptimeRobot(load_spec(), api_key=API_KEY, rate_limit=100_000, rate_window_s=1.0) as fake:
        provider = _provider(fake)
        rows: list[CallRow] = []

        def measure(operation: str, target: int | None, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
            calls, refused = fake.total_calls, fake.throttled
            with ThreadPoolExecutor(WORKERS) as pool:
                results = list(pool.map(work, items))
            rows.append(CallRow(operation, n, fake.total_calls - calls, target, fake.throttled - refused))
            return results

        program_inputs = _inputs(n)
        created = measure("create", None, lambda props: provider.create(provider.check({}, props).inputs),
                          program_inputs)

        def no_op(pair: tuple[Any, dict[str, Any]]) -> bool | None:
            monitor, props = pair
            return provider.diff(monitor.id, monitor.outs, provider.check(monitor.outs, props).inputs).changes

        changed = measure("no-op update", 0, no_op, list(zip(created, program_inputs, strict=True)))
        assert not any(changed), "diff reported a change where there is none"
        refresher = _provider(fake)
        measure("refresh", math.ceil(n / 200) + 2, lambda c: refresher.read(c.id, c.outs), created)
        measure("delete", None, lambda c: provider.delete(c.id, c.outs), created)
        return rows, list(fake.violations)


# -- 2. wall time on a simulated clock -----------------------------------------------------------


class SimServer:
    """UptimeRobot's rate limit as the fake models it: fixed windows on the epoch, whole-second headers."""

    def __init__(self, limit: int, epoch0: float, period_s: float = 60.0) -> None:
        self.limit, self.epoch0, self.period_s = limit, epoch0, period_s
        self.window, self.used, self.refused = -1, 0, 0

    def answer(self, t: float) -> tuple[int, dict[str, str]]:
        now = self.epoch0 + t
        window = math.floor(now / self.period_s)
        if window != self.window:
            self.window, self.used = window, 0
        limited = self.used >= self.limit
        if not limited:
            self.used += 1
        end = (window + 1) * self.period_s
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - self.used),
            "X-RateLimit-Reset": str(math.ceil(end)),
            "Date": email.utils.formatdate(math.floor(now), usegmt=True),
        }
        if limited:
            self.refused += 1
            headers["Retry-After"] = str(max(1, math.ceil(end - now)))
        return (429 if limited else 200), headers


@dataclass
class SimResult:
    seconds: float
    calls: int
    refused: int


@dataclass(order=True)
class _Event:
    time: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self._events: list[_Event] = []
        self._seq = itertools.count()

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, _Event(when, next(self._seq), action))

    def run(self) -> None:
        while self._events:
            event = heapq.heappop(self._events)
            self.now = event.time
            event.action()


def simulate_after(n: int, limit: int, latency_s: float, phase_s: float, workers: int = WORKERS,
                   period_s: float = 60.0) -> SimResult:
    """N creates paced by RateBudget (the provider's own class), after one listing of the stack."""
    clock, budget = _Clock(), RateBudget()
    epoch0 = 1_800_000_000.0 - 1_800_000_000.0 % period_s + phase_s  # the server's clock at t = 0
    server = SimServer(limit, epoch0, period_s)
    queue: deque[str] = deque(["list"] + ["create"] * n)
    state = {"listed": False, "calls": 0, "done": 0, "finished_at": 0.0}
    parked: dict[int, int] = {}  # worker -> token of its pending wake-up
    tokens = itertools.count()

    def try_send(worker: int) -> None:
        if not queue:
            return
        if queue[0] == "create" and not state["listed"]:
            park(worker, None)  # creates wait for the stack's listing (one lock in the provider)
            return
        wait = budget.wait_time(clock.now)
        if wait != 0.0:
            park(worker, wait)  # None: until an answer arrives
            return
        send(worker, queue.popleft())

    def send(worker: int, job: str) -> None:
        budget.start()
        state["calls"] += 1
        answer: list[tuple[int, dict[str, str]]] = []
        clock.at(clock.now + latency_s / 2, lambda: answer.append(server.answer(clock.now)))
        clock.at(clock.now + latency_s, lambda: answered(worker, job, *answer[0]))

    def answered(worker: int, job: str, status: int, headers: dict[str, str]) -> None:
        budget.finish(headers, clock.now, epoch0 + clock.now)
        if status == 429:
            # urllib3 sleeps Retry-After, then the same call asks the pacer again.
            def again() -> None:
                queue.appendleft(job)
                try_send(worker)

            clock.at(clock.now + float(headers["Retry-After"]), again)
        else:
            state["listed"] = state["listed"] or job == "list"
            state["done"] += 1
            state["finished_at"] = clock.now
            clock.at(clock.now, lambda: try_send(worker))
        wake_all()

    def park(worker: int, wait: float | None) -> None:
        token = next(tokens)
        parked[worker] = token
        if wait is not None:
            clock.at(clock.now + wait, lambda: wake(worker, token))

    def wake(worker: int, token: int) -> None:
        if parked.get(worker) == token:
            del parked[worker]
            try_send(worker)

    def wake_all() -> None:  # Condition.notify_all
        for worker, token in list(parked.items()):
            clock.at(clock.now, lambda w=worker, t=token: wake(w, t))

    for worker in range(workers):
        clock.at(0.0, lambda w=worker: try_send(w))
    clock.run()
    assert state["done"] == n + 1, "the simulation lost a call"
    return SimResult(state["finished_at"], state["calls"], server.refused)


def simulate_before(n: int, limit: int, latency_s: float, phase_s: float, rate_per_minute: int = 10,
                    workers: int = WORKERS) -> SimResult:
    """N creates paced at a fixed sliding window of ``rate_per_minute`` (the old Throttle), no listing."""
    epoch0 = 1_800_000_000.0 - 1_800_000_000.0 % 60 + phase_s
    server = SimServer(limit, epoch0)
    permits: list[float] = []  # permit times, sorted
    free_at = [0.0] * workers
    finished = 0.0
    for _ in range(n):
        worker = min(range(workers), key=free_at.__getitem__)
        start = free_at[worker]
        while True:
            # At most rate_per_minute permits in any 60 s: wait for the one rate_per_minute back to age out.
            # (start - 60, start]; the epsilon keeps a permit exactly 60 s back out despite float rounding.
            in_window = bisect.bisect_right(permits, start) - bisect.bisect_right(permits, start - 60.0 + 1e-9)
            if in_window < rate_per_minute:
                break
            start = permits[bisect.bisect_right(permits, start) - rate_per_minute] + 60.0
        bisect.insort(permits, start)
        status, headers = server.answer(start + latency_s / 2)
        end = start + latency_s
        if status == 429:
            end += float(headers["Retry-After"]) + latency_s  # never happens at 10/min; counted if it did
        free_at[worker] = end
        finished = max(finished, end)
    return SimResult(finished, n, server.refused)


PHASES_S = (0.0, 15.0, 30.0, 45.0)


def mean_result(results: list[SimResult]) -> SimResult:
    return SimResult(statistics.fmean(r.seconds for r in results), results[0].calls, sum(r.refused for r in results))



def wall_time_table(latency_s: float) -> list[str]:
    lines = [
        f"Wall time to create N monitors: simulated clock, {WORKERS} calls at once, assumed round trip "
        f"{latency_s:.2f} s, mean of {len(PHASES_S)} phases",
        f"{'plan':<22}{'N':>6}{'limit/min':>11} | {'before: fixed 10/min':>22}{'calls':>7} |"
        f" {'after: headers':>16}{'calls':>7}{'429s':>6} | {'speed-up':>8}",
    ]
    lines.append("-" * len(lines[1]))
    for n in (250, 5000):
        for plan, limit in (("free", FREE_PLAN_RATE_PER_MINUTE),
                            (f"paid ({n} monitors)", min(PAID_PLAN_RATE_PER_MONITOR * n,
                                                         PAID_PLAN_MAX_RATE_PER_MINUTE))):
            before = mean_result([simulate_before(n, limit, latency_s, p) for p in PHASES_S])
            after = mean_result([simulate_after(n, limit, latency_s, p) for p in PHASES_S])
            lines.append(
                f"{plan:<22}{n:>6}{limit:>11} | {human_duration(before.seconds):>22}{before.calls:>7} |"
                f" {human_duration(after.seconds):>16}{after.calls:>7}{after.refused:>6} |"
                f" {before.seconds / after.seconds:>7.1f}x"
            )
    return lines


# -- 3. the simulation against the real code -----------------------------------------------------


def calibrate(n: int, limit: int = 5, window_s: float = 1.0) -> tuple[list[str], list[str]]:
    """The provider creating N monitors against the fake advertising ``limit`` per ``window_s``."""
    provider_module.ADOPT_SETTLE_S = 0.0
    with FakeUptimeRobot(load_spec(), api_key=API_KEY, rate_limit=limit, rate_window_s=window_s) as fake:
        provider = _provider(fake)
        inputs = [provider.check({}, props).inputs for props in _inputs(n, "calibration")]
        # The round trip of one call to the fake, to give the simulation the same latency.
        samples = []
        for _ in range(3):
            started = time.monotonic()
            list(provider._api().list_monitors(tags=["none"]))
            samples.append(time.monotonic() - started)
        time.sleep(window_s)  # start the measured run on a fresh window
        phase = time.time() % window_s
        started = time.monotonic()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(provider.create, inputs))
        measured = time.monotonic() - started
        refused = fake.throttled
        violations = list(fake.violations)
    latency = statistics.median(samples)
    simulated = simulate_after(n, limit, latency, phase, period_s=window_s)
    return [
        f"The simulation against the real code: {n} creates, the fake advertising {limit} calls per {window_s:.0f} s",
        f"  measured (provider + fake, real clock): {measured:6.2f} s, {refused} answered 429",
        f"  simulated (same budget, round trip {latency * 1000:.1f} ms): {simulated.seconds:6.2f} s, "
        f"{simulated.refused} answered 429",
    ], violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=50 for the measured table, a smaller calibration")
    parser.add_argument("--latency", type=float, default=0.35,
                        help="assumed round trip of one API call in the simulation, seconds (default 0.35)")
    args = parser.parse_args(argv)
    sizes = [50] if args.quick else [50, 500]

    print("Calls per operation: the provider against the fake UptimeRobot (counts, not times)")
    header = f"{'operation':<13}{'N':>5}{'calls':>7}  {'target':<10}{'429s':>5}"
    print(header)
    print("-" * len(header))
    violations: list[str] = []
    for n in sizes:
        rows, found = count_calls(n)
        violations += found
        for row in rows:
            print(f"{row.operation:<13}{row.n:>5}{row.calls:>7}  {row.verdict:<10}{row.refused:>5}")
    print()
    print("\n".join(wall_time_table(args.latency)))
    print()
    lines, found = calibrate(8 if args.quick else 20)
    violations += found
    print("\n".join(lines))
    if violations:
        print(f"\n{len(violations)} OpenAPI violations, e.g. {violations[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
