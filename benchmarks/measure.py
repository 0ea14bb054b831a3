"""Timing and peak memory of one row (one method on one workload).

Time: the first call is a warm-up (for JAX it compiles; skglm's compiles with numba); then up to
``repeats`` more calls are timed and the row's time is their median. A row stops repeating once
its timed calls have used ``budget_s`` seconds (at least one timed call always runs), with one
exception: for a library that compiles nothing (``compiles=False``), a first call longer than
``budget_s`` is the row's only call and its time (``times_s`` is then empty): a warm-up changes
nothing measurable in a call that long, and repeating it could cost the suite an hour.
``compile_s = first − median``: the one-off cost of the first call (compilation, caches), ~0
for libraries that compile nothing.

Peak memory: the kernel's resident-set high-water mark (``VmHWM`` in ``/proc/self/status``) is
reset (``/proc/self/clear_refs``) just before the first call, and the row reports its rise over
the resident set at that moment, across all calls: what the fit needed beyond the data it was
given, native allocations (XLA, BLAS, Fortran, numba) included, which ``tracemalloc`` would miss.
Run in a fresh process per row (the default for full runs) it is exact; in a shared process
(``--no-isolate``) memory freed by an earlier row and kept by the allocator can hide part of it.
``None`` where ``/proc`` is not available (not Linux).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Timing", "time_calls"]

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


class Timing(NamedTuple):
    first_s: float
    times_s: list[float]
    median_s: float
    compile_s: float
    peak_mb: float | None
    result: Any


def _status_kb(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the resident-set high-water mark to the current resident set (Linux ≥ 4.0)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def time_calls(
    run: Callable[[], Any], *, repeats: int, budget_s: float, compiles: bool = True
) -> Timing:
    """Call ``run`` once (warm-up), then time up to ``repeats`` calls (module docstring)."""
    gc.collect()
    tracked = _reset_peak()
    baseline_kb = _status_kb("VmRSS")
    start = time.perf_counter()
    result = run()
    first = time.perf_counter() - start
    times: list[float] = []
    single = not compiles and first > budget_s
    while not single and len(times) < max(repeats, 1) and (not times or sum(times) < budget_s):
        del result  # the previous result is not part of the next call's memory
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    peak_kb = _status_kb("VmHWM") if tracked else None
    median = statistics.median(times) if times else first
    peak_mb = None
    if peak_kb is not None and baseline_kb is not None:
        peak_mb = max(peak_kb - baseline_kb, 0) / 1024
    return Timing(first, times, median, max(first - median, 0.0), peak_mb, result)
