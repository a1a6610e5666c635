"""Where the time goes: in-process timings and pyinstrument hotspots of a completion and of a timer firing.

Complements the measures with the view the lead engineer needs for fixes: one completion through the
service layer (no HTTP), unprofiled and then profiled, on SQLite (and PostgreSQL), and the scheduler's
`fire_due_timers` over a batch of due cases. The history hotspots come from history_growth.py itself.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event

from bench import harness
from bench.profiling import Hotspots, available
from bench.stats import describe, ms

FULL = {"cases": 30, "timers": 300}
QUICK = {"cases": 2, "timers": 10}


def _completions(cfg: harness.Config, backend: str, cases: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Median in-process completion (commit included), then a profile of the same walk."""
    from app.extensions import db

    app = harness.make_app(cfg, backend, "hotspots")
    clock = harness.system_clock()
    samples: list[float] = []
    statements: list[int] = []
    counter = [0]
    samples_pragma = None
    label = "PostgreSQL" if backend == "postgresql" else "SQLite"
    spots = Hotspots(f"pathway cases through the service layer ({label}): start + 10 completions each")
    try:
        with app.app_context():
            session = db.session
            world = harness.seed_world(session, clock)
            harness.deploy_model(session, world, "pathway12.bpmn", clock)
            original = harness.complete

            def timed(*args: Any, **kwargs: Any) -> Any:
                before = counter[0]
                started = time.perf_counter()
                result = original(*args, **kwargs)
                samples.append(time.perf_counter() - started)
                statements.append(counter[0] - before)
                return result

            def count(*_args: Any) -> None:
                counter[0] += 1

            event.listen(db.engine, "before_cursor_execute", count)

            harness.walk_pathway(session, world, "HOT-WARM", clock)
            if backend == "sqlite":
                samples_pragma = session.connection().exec_driver_sql("PRAGMA synchronous").scalar()
                session.commit()
            harness.complete = timed
            try:
                for index in range(cases):
                    harness.walk_pathway(session, world, f"HOT-{index:04d}", clock)
            finally:
                harness.complete = original
                event.remove(db.engine, "before_cursor_execute", count)
            with spots.profile():
                for index in range(cases):
                    harness.walk_pathway(session, world, f"HOTP-{index:04d}", clock)
    finally:
        harness.dispose(app)
    stats = describe([ms(s) for s in samples])
    stats["statements"] = sum(statements) / max(1, len(statements))
    stats["synchronous"] = samples_pragma
    return stats, spots.report()


def _timers(cfg: harness.Config, backend: str, count: int) -> tuple[float, dict[str, Any]]:
    """Profile the scheduler service firing `count` due timers; ms per fired case (profiled)."""
    from app.extensions import db
    from app.scheduler.service import fire_due_timers

    app = harness.make_app(cfg, backend, "hotspots-timers")
    clock = harness.system_clock()
    label = "PostgreSQL" if backend == "postgresql" else "SQLite"
    spots = Hotspots(f"scheduler: fire_due_timers over {count} due cases ({label})")
    try:
        with app.app_context():
            session = db.session
            world = harness.seed_world(session, clock)
            harness.deploy_model(session, world, "wait_timer.bpmn", clock)
            # Plan the due time after the last start (a case started after it would fire at once, at start).
            began = time.perf_counter()
            for index in range(10):
                harness.start_case(session, world, "bench_wait", f"C-{index:05d}",
                                   {"faellig": "2099-01-01T00:00:00+00:00"}, clock)
            per_start = (time.perf_counter() - began) / 10
            due = datetime.now(timezone.utc) + timedelta(seconds=0.5 + per_start * count * 3)
            for index in range(count):
                harness.start_case(session, world, "bench_wait", f"T-{index:05d}", {"faellig": due.isoformat()}, clock)
            if datetime.now(timezone.utc) >= due:
                raise RuntimeError("starting the cases took longer than planned; their timers fired at start")
            time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds() + 0.05))
            started = time.perf_counter()
            with spots.profile():
                fired = fire_due_timers(session, clock=clock, limit=count)
            elapsed = time.perf_counter() - started
            if len(fired) != count:
                raise RuntimeError(f"fired {len(fired)} of {count} due timers")
    finally:
        harness.dispose(app)
    return ms(elapsed) / count, spots.report()


def run(cfg: harness.Config) -> dict[str, Any]:
    """In-process completion medians and hotspot tables."""
    sizes = QUICK if cfg.quick else FULL
    metrics: dict[str, Any] = {}
    reports = []
    backends = ["sqlite", "postgresql"] if cfg.has_pg else ["sqlite"]
    for backend in backends:
        suffix = "sqlite" if backend == "sqlite" else "pg"
        stats, report = _completions(cfg, backend, sizes["cases"])
        metrics[f"service_complete_ms_median_{suffix}"] = stats["median"]
        metrics[f"service_complete_ms_p95_{suffix}"] = stats["p95"]
        metrics[f"sql_statements_per_completion_{suffix}"] = stats["statements"]
        if backend == "sqlite":
            metrics["sqlite_synchronous_pragma"] = stats["synchronous"]
        reports.append(report)
    for backend in backends:
        per_fire, report = _timers(cfg, backend, sizes["timers"])
        metrics[f"timer_fire_ms_per_case_profiled_{'sqlite' if backend == 'sqlite' else 'pg'}"] = per_fire
        reports.append(report)
    notes = [f"in-process completions (service call + commit, no HTTP) over {sizes['cases']} pathway cases"]
    if not available():
        notes.append("pyinstrument is not installed (pip install -e '.[bench]'): no hotspot tables")
    return {"metrics": metrics, "notes": notes, "artifacts": {"hotspots": reports}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
