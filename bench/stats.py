"""Small statistics for noisy machines: medians, percentiles and spreads."""
from __future__ import annotations

import math
import statistics
import time
from contextlib import contextmanager
from typing import Iterator, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation; None for no values."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return float(data[low] + (data[high] - data[low]) * (pos - low))


def median(values: Sequence[float]) -> float | None:
    """The median, None for no values."""
    return float(statistics.median(values)) if values else None


def describe(values: Sequence[float]) -> dict[str, float | int | None]:
    """n, median, p5, p95, p99, min and max of a sample."""
    return {"n": len(values), "median": median(values), "p5": percentile(values, 5), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "min": min(values) if values else None,
            "max": max(values) if values else None}


def spread(low: float | None, high: float | None, unit: str = "", digits: int = 2) -> str:
    """A readable range such as '3.1–4.7 ms'."""
    if low is None or high is None:
        return "–"
    return f"{low:.{digits}f}–{high:.{digits}f}{(' ' + unit) if unit else ''}"


def ms(seconds: float) -> float:
    """Seconds to milliseconds."""
    return seconds * 1000.0


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Measure a block: `with stopwatch() as t: ...` then t[0] holds the seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)
