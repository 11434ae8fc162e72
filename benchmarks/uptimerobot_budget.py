"""UptimeRobot API budget of the monitor provider: calls and rate-limit waiting per operation.

Runs MonitorProvider against the fake UptimeRobot (tests/fakes) for N monitors:
create N, a no-op update (check + diff only: the engine calls update only when diff
reports a change), refresh N (a fresh provider, as in a new `pulumi refresh` process)
and delete N. The fake enforces the free plan's 10 calls per window, with the window
scaled down from 60 s so the run takes seconds; the last column projects each
operation's duration at the real 10 calls/minute.

Targets: a no-op makes 0 calls; refreshing N monitors makes at most ceil(N/200)+2 calls.
Figures only, no timed assertions. Exit status 1 only if the fake saw traffic that
breaks the OpenAPI document.

    .venv/bin/python benchmarks/uptimerobot_budget.py            # N = 50 and 500
    .venv/bin/python benchmarks/uptimerobot_budget.py --quick    # N = 50, for CI
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from pulumi.dynamic import Config, ConfigureRequest

from components.uptimerobot.client import ClientSettings, RateLimit, shared_throttle
from components.uptimerobot.monitor import ownership_tags
from components.uptimerobot.provider import API_KEY_CONFIG, API_URL_CONFIG, MonitorProvider
from tests.fakes.uptimerobot import FakeUptimeRobot, load_spec

FREE_PLAN_PER_MINUTE = 10
API_KEY = "benchmark-key"


@dataclass
class Row:
    operation: str
    n: int
    calls: int
    target: int | None
    wall_s: float
    wait_s: float

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return f"<= {self.target} {'ok' if self.calls <= self.target else 'OVER'}"


def _provider(fake: FakeUptimeRobot, settings: ClientSettings) -> MonitorProvider:
    provider = MonitorProvider(settings)
    provider.configure(ConfigureRequest(Config({API_KEY_CONFIG: API_KEY, API_URL_CONFIG: fake.url}, "gangplank")))
    return provider


def run(n: int, window_s: float, workers: int) -> tuple[list[Row], list[str]]:
    rate = RateLimit(FREE_PLAN_PER_MINUTE, window_s)
    settings = ClientSettings(rate=rate, read_timeout_s=30)
    with FakeUptimeRobot(load_spec(), api_key=API_KEY, rate_limit=rate.requests, rate_window_s=window_s) as fake:
        provider = _provider(fake, settings)
        throttle = shared_throttle(rate)  # the one every client of this process uses
        rows: list[Row] = []

        def measure(operation: str, target: int | None, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
            calls, waited, started = fake.total_calls, throttle.waited_s, time.monotonic()
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(work, items))
            wall_s, wait_s = time.monotonic() - started, throttle.waited_s - waited
            rows.append(Row(operation, n, fake.total_calls - calls, target, wall_s, wait_s))
            return results

        program_inputs = [
            {"friendly_name": f"app{i} (bench)", "url": f"https://app{i}.example.com/healthz",
             "tags": ownership_tags("bench")}
            for i in range(n)
        ]
        created = measure("create", None, lambda props: provider.create(provider.check({}, props).inputs),
                          program_inputs)

        def no_op(pair: tuple[Any, dict[str, Any]]) -> bool | None:
            # What `pulumi up` does for an unchanged monitor: check, diff, and nothing else.
            monitor, props = pair
            return provider.diff(monitor.id, monitor.outs, provider.check(monitor.outs, props).inputs).changes

        changed = measure("no-op update", 0, no_op, list(zip(created, program_inputs, strict=True)))
        assert not any(changed), "diff reported a change where there is none"
        refresher = _provider(fake, settings)
        measure("refresh", math.ceil(n / 200) + 2, lambda c: refresher.read(c.id, c.outs), created)
        measure("delete", None, lambda c: provider.delete(c.id, c.outs), created)
        return rows, list(fake.violations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=50 only, with a 0.1 s rate window (for CI)")
    parser.add_argument("--window", type=float, help="rate window in seconds standing for 60 s (default 0.3)")
    parser.add_argument("--workers", type=int, default=1, help="parallel calls, like Pulumi's (default 1)")
    args = parser.parse_args(argv)
    sizes = [50] if args.quick else [50, 500]
    window_s = args.window or (0.1 if args.quick else 0.3)

    print(f"UptimeRobot budget: {FREE_PLAN_PER_MINUTE} calls per {window_s}s window (the free plan, 60s scaled "
          f"down {60 / window_s:.0f}x), {args.workers} worker(s)")
    header = f"{'operation':<13}{'N':>5}{'calls':>7}  {'target':<10}{'wall s':>8}{'rate wait s':>13}{'at 10/min':>12}"
    print(header)
    print("-" * len(header))
    violations: list[str] = []
    for n in sizes:
        rows, found = run(n, window_s, args.workers)
        violations += found
        for row in rows:
            real_minutes = row.calls / FREE_PLAN_PER_MINUTE
            print(f"{row.operation:<13}{row.n:>5}{row.calls:>7}  {row.verdict:<10}{row.wall_s:>8.2f}"
                  f"{row.wait_s:>13.2f}{real_minutes:>8.1f} min")
    if violations:
        print(f"\n{len(violations)} OpenAPI violations, e.g. {violations[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
