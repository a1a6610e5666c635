"""Hotspots for missed goals: pyinstrument around a block, folded into top functions by self and total time."""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Iterator

from bench.harness import REPO

TOP = 12


def available() -> bool:
    """True when pyinstrument is installed (it is in the `bench` extra)."""
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return False
    return True


def _where(frame: Any) -> str:
    path = frame.file_path or "?"
    for marker in ("site-packages/", str(REPO) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{frame.function} ({path}:{frame.line_no})"


def _fold(root: Any) -> tuple[dict[str, float], dict[str, float], float]:
    self_time: dict[str, float] = defaultdict(float)
    total_time: dict[str, float] = defaultdict(float)
    stack: list[tuple[Any, frozenset[str]]] = [(root, frozenset())]
    for _ in range(10**7):  # bounded walk over the call tree
        if not stack:
            break
        frame, seen = stack.pop()
        if frame.is_synthetic:
            continue
        key = _where(frame)
        real_children = [c for c in frame.children if not c.is_synthetic]
        self_time[key] += frame.time - sum(c.time for c in real_children)
        if key not in seen:  # recursion: count a function's inclusive time once per stack
            total_time[key] += frame.time
        stack.extend((child, seen | {key}) for child in real_children)
    return self_time, total_time, root.time


class Hotspots:
    """Collects profiles of one or more blocks; `report()` gives the top functions."""

    def __init__(self, label: str, interval: float = 0.0005):
        self.label, self.interval = label, interval
        self.self_time: dict[str, float] = defaultdict(float)
        self.total_time: dict[str, float] = defaultdict(float)
        self.wall = 0.0

    @contextmanager
    def profile(self) -> Iterator[None]:
        """Profile the block (a no-op when pyinstrument is missing)."""
        if not available():
            yield
            return
        from pyinstrument import Profiler

        profiler = Profiler(interval=self.interval)
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            root = profiler.last_session.root_frame() if profiler.last_session else None
            if root is not None:
                self_time, total_time, wall = _fold(root)
                for key, value in self_time.items():
                    self.self_time[key] += value
                for key, value in total_time.items():
                    self.total_time[key] += value
                self.wall += wall

    def report(self) -> dict[str, Any]:
        """Top functions by self time (where the CPU goes) and by total time within Lotse's own code."""
        if not self.wall:
            return {"label": self.label, "wall_s": 0.0, "self": [], "app_total": []}

        def rows(items: dict[str, float]) -> list[list[Any]]:
            ranked = sorted(items.items(), key=lambda kv: -kv[1])[:TOP]
            return [[name, round(seconds * 1000, 1), round(100 * seconds / self.wall, 1)] for name, seconds in ranked]

        app_total = {k: v for k, v in self.total_time.items() if "(app/" in k}
        return {"label": self.label, "wall_s": round(self.wall, 3), "self": rows(self.self_time),
                "app_total": rows(app_total)}
