"""What the benchmarks share when they print their figures and draw their charts."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any


def human_duration(seconds: float) -> str:
    """Seconds as a person reads them: `22 s`, `7.3 min`, `8.3 h`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def pyplot() -> Any:
    """matplotlib's pyplot, drawing to files only (CI has no display). Imported on use: the figures print
    without it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_chart(fig: Any, path: Path) -> Path:
    """Write a chart's figure to `path` as a PNG, its folder made if need be, and free the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path


def keep_chart(path: Path) -> Path:
    """A copy of a chart drawn in a scratch folder (`--quick`) that outlives it: `<temp dir>/gangplank-<name>`."""
    kept = Path(tempfile.gettempdir()) / f"gangplank-{path.name}"
    shutil.copyfile(path, kept)
    return kept
