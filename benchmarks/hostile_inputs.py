"""What hostile or careless input costs the loaders: time and peak memory until the problem is reported.

Each row is one class of input that used to crash or hang the planner (an alias bomb took minutes and
gigabytes; 200,000 levels of nesting crashed the process). The loaders must now refuse each in well
under a second, in bounded memory; a valid 1,000-app catalogue is the yardstick.

    .venv/bin/python benchmarks/hostile_inputs.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.catalogue import write_catalogue
from components.inputs.catalog.loading import load_catalogue
from components.inputs.problems import InputError
from components.inputs.settings import Settings

SETTINGS = Settings(public_domain="dev.example.com", vpc_id="vpc-0a1b2c3d4e5f60718",
                    private_allowed_cidrs=["10.10.0.0/16", "172.20.0.0/22"])
"""The dev stack's settings as far as the catalogue depends on them (Pulumi.dev.yaml)."""
APP = "  - name: shop\n    visibility: public\n    service: {name: shop, port: 80}\n"


def alias_bomb() -> str:
    lines = ["x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\napps: []\n"


def cases(work: Path, quick: bool) -> list[tuple[str, Path]]:
    texts: dict[str, str | bytes] = {
        f"alias bomb ({len(alias_bomb())} bytes, 9^9 values expanded)": alias_bomb(),
        "recursive alias": "apps: &a [*a]\n",
        "330 levels of nesting": "apps: " + "[" * 330 + "]" * 330 + "\n",
        "200,000 levels of nesting": "[" * 200_000 + "]" * 200_000,
        "control character in a comment": "apps:\n" + APP + "# \x07\n",
        "1 MB dashboard name": "apps:\n" + APP + "    dashboard: {name: " + "x" * 1_000_000 + "}\n",
        "50 MB file": "apps:\n" + APP + "# " + "x" * (50 * 2**20 if not quick else 5 * 2**20) + "\n",
        "UTF-16 file": ("apps:\n" + APP).encode("utf-16"),
    }
    paths = []
    for index, (name, text) in enumerate(texts.items()):
        path = work / f"case-{index}.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        paths.append((name, path))
    fifo = work / "fifo.yaml"
    os.mkfifo(fifo)
    paths.append(("a FIFO as apps.yaml", fifo))
    paths.append(("valid: 1,000 apps (yardstick)" if not quick else "valid: 100 apps (yardstick)",
                  write_catalogue(100 if quick else 1000, work)))
    return paths


def measure(load: Callable[[], object], repeat: int) -> tuple[float, float, str]:
    best = float("inf")
    outcome = ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = load()
            outcome = f"accepted ({len(result)} apps)" if isinstance(result, list) else "accepted"
        except InputError as err:
            outcome = f"refused: {err.problems[0].message[:60]}"
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    with contextlib.suppress(InputError):
        load()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, one run each (CI smoke test)")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else 5
    print(f"{'input':<52} {'seconds':>9} {'peak MiB':>9}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for name, path in cases(Path(folder), args.quick):
            seconds, peak, outcome = measure(lambda p=path: load_catalogue(str(p), SETTINGS, "dev", ["dev"]), repeat)
            print(f"{name:<52} {seconds:>9.4f} {peak:>9.1f}  {outcome}")
    print(f"(best of {repeat} runs; peak memory traced by tracemalloc on one more run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
