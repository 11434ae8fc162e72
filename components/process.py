"""Process-level tuning of the program's Python interpreter."""

from __future__ import annotations

import gc

# Young-generation threshold while the program declares resources (Python's default: 700).
YOUNG_THRESHOLD = 50_000


def relax_garbage_collector() -> None:
    """Collect garbage far less often while the program declares its resources.

    A program run is one burst of allocation (resources, Outputs, futures) that lives until
    the end; with the default thresholds the collector walks it again and again, about half
    the run time of a stack with hundreds of apps (docs/performance.md). What the imports made
    is frozen out of collection for good. A threshold someone set on purpose (0 = collector
    off, or an already higher one) is left alone.
    """
    gc.freeze()
    young, _, _ = gc.get_threshold()
    if 0 < young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, 20, 100)
