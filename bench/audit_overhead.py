"""Audit overhead: a pathway step with the audit chain written vs the same step with `audit.record` a no-op.

The pathway model of measure 2 runs through the service layer (SQLite file; PostgreSQL as well when
available), a commit per operation. Each repetition walks one case with the trail and one without it,
the order alternating between repetitions, on the same database; only the completions are timed
(service call + commit). Per task, the median over all cases of each mode; the overhead is the sum of
those medians with the trail over the sum without, minus one. "Without" replaces
`app.audit.service.record` in this process only: every caller goes through the module
(`audit.record(...)`), which the script checks before it trusts the swap.
"""
from __future__ import annotations

import contextlib
import sys
import time
from collections import defaultdict
from types import SimpleNamespace
from typing import Any, Iterator

from bench import harness
from bench.stats import median, ms, percentile

FULL_REPS = 60
QUICK_REPS = 3
MODES = ("audit", "off")


def _check_call_sites(original: Any) -> None:
    """Refuse to measure when a module holds `record` by name: the swap would not reach it."""
    holders = [name for name, module in list(sys.modules.items())
               if name.startswith("app.") and name != "app.audit.service"
               and getattr(module, "record", None) is original]
    if holders:
        raise RuntimeError(f"`record` is imported by name in {holders}; swapping app.audit.service.record "
                           "would not switch the trail off there")


@contextlib.contextmanager
def audit_off() -> Iterator[None]:
    """`audit.record` does nothing (returns a dummy event) inside the block."""
    from app.audit import service

    original = service.record
    dummy = SimpleNamespace(seq=0, hash="", details={})

    def no_record(session: Any, **_kwargs: Any) -> Any:
        return dummy

    service.record = no_record
    try:
        yield
    finally:
        service.record = original


@contextlib.contextmanager
def timed_record(box: list[float]) -> Iterator[None]:
    """Add the time spent inside `audit.record` (and the number of events) to box = [seconds, events]."""
    from app.audit import service

    original = service.record

    def record(session: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(session, **kwargs)
        finally:
            box[0] += time.perf_counter() - started
            box[1] += 1

    service.record = record
    try:
        yield
    finally:
        service.record = original


class StepWalker(harness.PathwayApp):
    """Walks pathway cases through the services of one app, timing each completion."""

    def __init__(self, cfg: harness.Config, backend: str):
        super().__init__(cfg, backend, "audit")

    def walk_case(self) -> list[tuple[str, float]]:
        """One case start to end (in its own app context): (element id, seconds) of every completion."""
        from app.instances.models import ProcessInstance

        self.count += 1
        session, world, clock = self.session, self.world, self.clock
        timings: list[tuple[str, float]] = []
        with self.app.app_context():
            instance_id = harness.start_case(session, world, "bench_pathway", f"AUDIT-{self.count:05d}",
                                             dict(harness.PATHWAY_START), clock)
            for _ in range(50):
                tasks = harness.open_tasks(session, world, instance_id)
                if not tasks:
                    break
                for task in tasks:
                    started = time.perf_counter()
                    harness.complete(session, world, task, harness.answer(task.element_id), clock)
                    timings.append((task.element_id, time.perf_counter() - started))
            if session.get(ProcessInstance, instance_id).status != "completed":
                raise RuntimeError(f"case {instance_id} did not finish")
            session.remove()
        return timings


def _measure(walker: StepWalker, reps: int) -> dict[str, Any]:
    """One case per mode and repetition, the order alternating; completion times by task, per mode."""
    by_task: dict[str, dict[str, list[float]]] = {mode: defaultdict(list) for mode in MODES}
    per_case: dict[str, list[float]] = {mode: [] for mode in MODES}
    inside = [0.0, 0]
    for rep in range(reps):
        for mode in (MODES if rep % 2 == 0 else tuple(reversed(MODES))):
            with (audit_off() if mode == "off" else timed_record(inside)):
                timings = walker.walk_case()
            for element_id, seconds in timings:
                by_task[mode][element_id].append(seconds)
            per_case[mode].append(sum(seconds for _, seconds in timings) / len(timings))
    tasks = sorted(by_task["audit"])
    # Per task the median over all cases (a load spike on a shared machine hits single completions), then
    # summed over the pathway's tasks: the step mix is the same in both modes.
    with_s = sum(median(by_task["audit"][t]) for t in tasks)
    off_s = sum(median(by_task["off"][t]) for t in tasks)
    pairs = [(a - o) / o * 100.0 for a, o in zip(per_case["audit"], per_case["off"])]
    steps = sum(len(v) for v in by_task["audit"].values())
    return {"overhead_pct": (with_s - off_s) / off_s * 100.0, "with_ms": ms(with_s / len(tasks)),
            "off_ms": ms(off_s / len(tasks)), "pairs": pairs, "record_ms": ms(inside[0] / steps),
            "events_per_step": inside[1] / steps, "steps": steps}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Per-step time with and without the trail, per backend; the overhead in percent."""
    from app.audit import service

    reps = QUICK_REPS if cfg.quick else FULL_REPS
    walkers = {"sqlite": StepWalker(cfg, "sqlite")}
    if cfg.has_pg:
        walkers["pg"] = StepWalker(cfg, "postgresql")
    _check_call_sites(service.record)
    metrics: dict[str, Any] = {}
    spreads: dict[str, str] = {}
    notes = [f"{reps} repetitions × one pathway case per mode (10 completions each), modes interleaved, the order "
             "alternating; only completions timed (service call + commit). Overhead = Σ over the tasks of the "
             "median completion with the trail / the same without − 1; spread = p25–p75 (min–max) of the "
             "overhead of each pair of cases"]
    try:
        for walker in walkers.values():  # warm-up: caches, imports, the first connection, both modes
            walker.walk_case()
            with audit_off():
                walker.walk_case()
        for backend, walker in walkers.items():
            result = _measure(walker, reps)
            key = f"audit_overhead_pct_{backend}"
            metrics[key] = result["overhead_pct"]
            metrics[f"audit_step_ms_with_{backend}"] = result["with_ms"]
            metrics[f"audit_step_ms_without_{backend}"] = result["off_ms"]
            metrics[f"audit_record_ms_per_step_{backend}"] = result["record_ms"]
            metrics[f"audit_events_per_step_{backend}"] = result["events_per_step"]
            pairs = result["pairs"]
            spreads[key] = (f"{percentile(pairs, 25):.0f}–{percentile(pairs, 75):.0f}% "
                            f"({min(pairs):.0f}–{max(pairs):.0f}%) over {len(pairs)} pairs")
            notes.append(f"{backend}: a completion takes {result['with_ms']:.2f} ms with the trail, "
                         f"{result['off_ms']:.2f} ms without (mean over the tasks of their medians); "
                         f"{result['events_per_step']:.1f} events per completion, {result['record_ms']:.3f} ms of "
                         "it inside `audit.record` (the rows are inserted by the step's flush, so only the "
                         "difference of the two modes is the full cost)")
    finally:
        for walker in walkers.values():
            walker.close()
    if "pg" not in walkers:
        metrics["audit_overhead_pct_pg"] = None
    return {"metrics": metrics, "notes": notes, "spreads": spreads}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
