"""What the benchmarks share when they print their figures."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """Seconds as a person reads them: `22 s`, `7.3 min`, `8.3 h`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
