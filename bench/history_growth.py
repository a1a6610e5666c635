"""Measure 3: the cost of one completion as a case's history grows (user task in a gateway loop).

One case of bench/models/loop.bpmn is completed 10, 100 and 1000 times through the service layer
(SQLite file, commit per completion); next to it, in lockstep, the same loop runs in the raw engine in
memory, so both see the same machine noise. The cost at a checkpoint is the median of the completions
just before and after it; the ratio compares the largest checkpoint to the smallest.
"""
from __future__ import annotations

import time
from typing import Any

from bench import harness, raw_engine
from bench.profiling import Hotspots
from bench.stats import median, ms

FULL = (10, 100, 1000)
QUICK = (10, 100)
WINDOW = 5  # completions on each side of a checkpoint
PROFILED = 5  # completions after the last window, profiled (not timed: the profiler slows them down)


def run(cfg: harness.Config) -> dict[str, Any]:
    """Per-checkpoint medians for the service layer and the raw engine, and their growth ratios."""
    from app.extensions import db
    from app.instances.models import ProcessInstance
    from app.tasks.models import HumanTask
    from app.tasks.service import next_tasks

    checkpoints = QUICK if cfg.quick else FULL
    last = checkpoints[-1] + WINDOW + PROFILED
    profiled = range(checkpoints[-1] + WINDOW, last + 1)
    windows = {c: range(c - WINDOW, c + WINDOW) for c in checkpoints}
    app = harness.make_app(cfg, "sqlite", "history")
    clock = harness.system_clock()
    model = raw_engine.RawModel("loop.bpmn")
    service_s: dict[int, list[float]] = {c: [] for c in checkpoints}
    raw_s: dict[int, list[float]] = {c: [] for c in checkpoints}
    state_bytes: dict[int, int] = {}
    hotspots = Hotspots(f"one completion at ~{checkpoints[-1]} iterations (service layer, SQLite; "
                        f"{PROFILED + 1} completions after the timed window)")
    with app.app_context():
        session = db.session
        world = harness.seed_world(session, clock)
        harness.deploy_model(session, world, "loop.bpmn", clock)
        instance_id = harness.start_case(session, world, "bench_loop", "LOOP-1", {"weiter": True}, clock)
        wf = model.new_workflow({"weiter": True})
        task = harness.open_tasks(session, world, instance_id)[0]
        for iteration in range(1, last + 2):
            final = iteration == last + 1
            data = {"weiter": not final, "runde": iteration}
            in_window = [c for c, span in windows.items() if iteration in span]
            profile = hotspots.profile() if iteration in profiled else _null()
            with profile:
                started = time.perf_counter()
                harness.complete(session, world, task, data, clock)
                service_time = time.perf_counter() - started
            ready = raw_engine.ready_user_tasks(wf)
            started = time.perf_counter()
            raw_engine.complete(wf, ready[0], data)
            raw_time = time.perf_counter() - started
            for checkpoint in in_window:
                service_s[checkpoint].append(service_time)
                raw_s[checkpoint].append(raw_time)
            if iteration in windows and iteration not in state_bytes:
                state_bytes[iteration] = len(session.get(ProcessInstance, instance_id).state.encode())
            if not final:  # the next round's task, as the completion response names it (a fresh session each time)
                following = next_tasks(session, session.get(HumanTask, task.id))[0]
                task = harness.TaskRef(following.id, following.office_id, following.element_id)
                session.remove()
        instance = session.get(ProcessInstance, instance_id)
        if instance.status != "completed" or not wf.completed:
            raise RuntimeError("the loop case did not end")
    harness.dispose(app)
    low, high = checkpoints[0], checkpoints[-1]
    metrics: dict[str, Any] = {}
    for c in checkpoints:
        metrics[f"history_step_ms_at_{c}"] = ms(median(service_s[c]))
        metrics[f"history_raw_engine_step_ms_at_{c}"] = ms(median(raw_s[c]))
        metrics[f"history_state_bytes_at_{c}"] = state_bytes.get(c)
    service_ratio = median(service_s[high]) / median(service_s[low])
    raw_ratio = median(raw_s[high]) / median(raw_s[low])
    metrics[f"history_step_ratio_{high}_vs_{low}"] = service_ratio
    metrics[f"history_raw_engine_ratio_{high}_vs_{low}"] = raw_ratio
    if high != 1000:  # quick mode: the headline key still exists, measured at the quick checkpoint
        metrics["history_step_ratio_1000_vs_10"] = service_ratio
        metrics["history_raw_engine_ratio_1000_vs_10"] = raw_ratio
    spread = (f"at {low}: {ms(min(service_s[low])):.1f}–{ms(max(service_s[low])):.1f} ms; at {high}: "
              f"{ms(min(service_s[high])):.1f}–{ms(max(service_s[high])):.1f} ms (min–max of {2 * WINDOW})")
    notes = [f"checkpoints {checkpoints}; {2 * WINDOW} completions around each; raw engine in lockstep",
             f"the raw engine's own ratio in this run: {raw_ratio:.1f}×"]
    if high != 1000:
        notes.append(f"quick mode: history_step_ratio_1000_vs_10 holds the {high} vs {low} ratio")
    return {"metrics": metrics, "notes": notes, "spreads": {"history_step_ratio_1000_vs_10": spread},
            "artifacts": {"hotspots": [hotspots.report()]}}


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
