"""Measure 2: the 10-task pathway through the service layer with persistence vs the raw engine in memory.

Same model, same process, same answers. Each repetition runs a batch of cases per mode, modes interleaved
(the order alternates between repetitions); the ratio is taken per repetition, then its median reported.
The service-layer walk includes starting the case, the inbox read that finds each case's open tasks, the
completion and a commit per operation (SQLite file; PostgreSQL as an extra when available).
"""
from __future__ import annotations

import time
from typing import Any

from bench import harness, raw_engine
from bench.stats import median, ms

FULL = {"reps": 7, "batch": 15}
QUICK = {"reps": 2, "batch": 2}


class ServiceWalker(harness.PathwayApp):
    """Walks pathway cases through the services of one app, timing the inbox reads apart."""

    def __init__(self, cfg: harness.Config, backend: str):
        super().__init__(cfg, backend, "ratio")
        self.read_seconds = 0.0

    def walk_batch(self, size: int) -> None:
        """`size` cases in one app context (two apps live in this process: each batch pushes its own)."""
        with self.app.app_context():
            for _ in range(size):
                self.walk()
            self.session.remove()

    def walk(self) -> None:
        """One case from start to end (inside an app context); inbox read time is added to read_seconds."""
        from app.instances.models import ProcessInstance

        self.count += 1
        session, world, clock = self.session, self.world, self.clock
        instance_id = harness.start_case(session, world, "bench_pathway", f"RATIO-{self.count:05d}",
                                         dict(harness.PATHWAY_START), clock)
        for _ in range(50):
            started = time.perf_counter()
            tasks = harness.open_tasks(session, world, instance_id)
            self.read_seconds += time.perf_counter() - started
            if not tasks:
                break
            for task in tasks:
                harness.complete(session, world, task, harness.answer(task.element_id), clock)
        if session.get(ProcessInstance, instance_id).status != "completed":
            raise RuntimeError(f"case {instance_id} did not finish")
        session.remove()


def run(cfg: harness.Config) -> dict[str, Any]:
    """Per-instance time of both modes and their ratio, per repetition."""
    sizes = QUICK if cfg.quick else FULL
    model = raw_engine.RawModel("pathway12.bpmn")
    walkers = {"sqlite": ServiceWalker(cfg, "sqlite")}
    if cfg.has_pg:
        walkers["pg"] = ServiceWalker(cfg, "postgresql")
    try:
        modes = ["raw", *walkers]
        for mode in modes:  # warm-up: caches, imports, the first connection
            raw_engine.walk_pathway(model) if mode == "raw" else walkers[mode].walk_batch(1)
        per_rep: dict[str, list[float]] = {mode: [] for mode in modes}
        reads: dict[str, list[float]] = {mode: [] for mode in walkers}
        for rep in range(sizes["reps"]):
            order = modes if rep % 2 == 0 else list(reversed(modes))
            for mode in order:
                if mode != "raw":
                    walkers[mode].read_seconds = 0.0
                started = time.perf_counter()
                if mode == "raw":
                    for _ in range(sizes["batch"]):
                        raw_engine.walk_pathway(model)
                else:
                    walkers[mode].walk_batch(sizes["batch"])
                per_rep[mode].append((time.perf_counter() - started) / sizes["batch"])
                if mode != "raw":
                    reads[mode].append(walkers[mode].read_seconds / sizes["batch"])
    finally:
        for walker in walkers.values():
            walker.close()
    metrics: dict[str, Any] = {"pathway_ms_per_instance_raw": ms(median(per_rep["raw"]))}
    spreads = {}
    for mode in ("sqlite", "pg"):
        key = "pathway_ratio_vs_raw_engine" + ("" if mode == "sqlite" else "_pg")
        if mode not in walkers:
            metrics[key] = None
            continue
        ratios = [s / r for s, r in zip(per_rep[mode], per_rep["raw"])]
        net = [(s - rd) / r for s, rd, r in zip(per_rep[mode], reads[mode], per_rep["raw"])]
        metrics[key] = median(ratios)
        metrics[f"{key}_without_inbox_reads"] = median(net)
        metrics[f"pathway_ms_per_instance_{mode}"] = ms(median(per_rep[mode]))
        spreads[key] = f"{min(ratios):.1f}–{max(ratios):.1f}× over {len(ratios)} reps"
    notes = [f"{sizes['reps']} repetitions × {sizes['batch']} cases per mode, modes interleaved; "
             "10 user tasks per case"]
    return {"metrics": metrics, "notes": notes, "spreads": spreads}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
