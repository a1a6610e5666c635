"""Measure 7: timer lateness with 10,000 waiting cases, and a burst of 2,000 timers over 4 schedulers.

Cases of bench/models/wait_timer.bpmn (timeDate `${faellig}` from the case data) wait: most for days
(clones of one case started through the services, see bench/bulk.py), while the cases due during a window
are started through the service layer as a real `lotse scheduler --tick 1` process runs (SQLite, then
PostgreSQL). Lateness = the timer_fired event's occurred_at minus the
due time. The burst: 2,000 cases due at the same moment, 4 schedulers on PostgreSQL; the time until the
last one fired, and each fired exactly once (audit trail).
"""
from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench import bulk, harness
from bench.procs import Schedulers
from bench.stats import describe

FULL = {"waiting": 10_000, "due": 1_000, "window": 60, "burst": 2_000}
QUICK = {"waiting": 50, "due": 40, "window": 3, "burst": 40}
BURST_SCHEDULERS = 4
LEAD = 1.5  # seconds of slack between the planned end of the starts and the first due time
GRACE = 90.0


def _start_waiting(session, world: harness.World, clock, dues: list[datetime], prefix: str) -> dict[int, datetime]:
    """Start one case per due time through the service layer; {instance id: due}."""
    created = {}
    for index, due in enumerate(dues):
        instance_id = harness.start_case(session, world, "bench_wait", f"{prefix}-{index:06d}",
                                         {"faellig": due.isoformat()}, clock)
        created[instance_id] = due
    return created


def _reader(app, cfg: harness.Config):
    """A plain engine for polling: on SQLite read-only (the app's engine opens every transaction as a writer)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        return create_engine(f"sqlite:///file:{uri.split(':///', 1)[1]}?mode=ro&uri=true")
    return create_engine(cfg.pg_url, connect_args={"options": f"-csearch_path={cfg.schema}"})


def _fired(engine, ids: list[int]) -> list[tuple[int, datetime]]:
    from app.audit.models import AuditEvent

    found = []
    with Session(engine) as session:
        for start in range(0, len(ids), 500):
            found += session.execute(select(AuditEvent.instance_id, AuditEvent.occurred_at).where(
                AuditEvent.kind == "timer_fired", AuditEvent.instance_id.in_(ids[start:start + 500]))).all()
    return found


def _tasks_created(engine, ids: list[int]) -> int:
    from app.tasks.models import HumanTask

    with Session(engine) as session:
        return sum(session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id.in_(ids[s:s + 500]))) for s in range(0, len(ids), 500))


def _wait_fired(engine, ids: list[int], until: float) -> list[tuple[int, datetime]]:
    fired = []
    while time.time() < until:
        fired = _fired(engine, ids)
        if len({i for i, _ in fired}) >= len(ids):
            break
        time.sleep(1.0)
    return _fired(engine, ids)


def _prepare(cfg: harness.Config, backend: str, name: str):
    from app.extensions import db

    app = harness.make_app(cfg, backend, name)
    clock = harness.system_clock()
    with app.app_context():
        world = harness.seed_world(db.session, clock)
        harness.deploy_model(db.session, world, "wait_timer.bpmn", clock)
    return app, world, clock


def lateness(cfg: harness.Config, backend: str, sizes: dict[str, Any]) -> dict[str, Any]:
    """Lateness of the timers due during the window, with the other cases waiting for days."""
    from app.extensions import db
    from app.instances.models import ProcessInstance

    rng = random.Random(11)
    app, world, clock = _prepare(cfg, backend, "timers")
    now = datetime.now(timezone.utc)
    reader = _reader(app, cfg)
    try:
        with app.app_context():
            # The waiting population: clones of a case started through the services (bench/bulk.py), due in
            # 1-30 days; then a calibration of how long one start takes, to plan the due window.
            background = [now + timedelta(days=rng.uniform(1, 30)) for _ in range(sizes["waiting"] - sizes["due"])]
            template = db.session.get(ProcessInstance, harness.start_case(db.session, world, "bench_wait", "TEMPLATE",
                                                                          {"faellig": bulk.TEMPLATE_DUE}, clock))
            bulk.clone_waiting(db.session, template, background, "WAIT")
            per_start = _timed_starts(db.session, world, clock, [datetime(2099, 1, 1, tzinfo=timezone.utc)] * 20,
                                      "CAL")
            db.session.remove()
        # The scheduler runs from here on; the due cases are started while it ticks, each before its due time.
        with Schedulers(harness.server_env(cfg, app), 1, 1.0, cfg.workdir / f"{backend}-lateness") as procs:
            with app.app_context():
                base = datetime.now(timezone.utc) + timedelta(seconds=per_start * sizes["due"] * 2.5 + LEAD)
                dues = sorted(base + timedelta(seconds=rng.uniform(0, sizes["window"])) for _ in range(sizes["due"]))
                due_by_id = _start_waiting(db.session, world, clock, dues, "DUE")
                created_late = _created_late(db.session, due_by_id)
                db.session.remove()
            fired = _wait_fired(reader, list(due_by_id), dues[-1].timestamp() + GRACE)
            log_lines = procs.log_text(0).count("\n")
    finally:
        reader.dispose()
        harness.dispose(app)
    late = [(at - due_by_id[i]).total_seconds() for i, at in fired]
    counts: dict[int, int] = {}
    for instance_id, _ in fired:
        counts[instance_id] = counts.get(instance_id, 0) + 1
    return {"lateness": describe(late), "missing": len(due_by_id) - len(counts),
            "duplicates": sum(1 for c in counts.values() if c > 1), "created_late": created_late,
            "per_start_ms": per_start * 1000, "log_lines_per_fire": log_lines / max(1, len(fired))}


def _timed_starts(session, world: harness.World, clock, dues: list[datetime], prefix: str) -> float:
    """Start cases and return the seconds one start took (at least 1 ms, for planning due times)."""
    began = time.perf_counter()
    _start_waiting(session, world, clock, dues, prefix)
    return max(0.001, (time.perf_counter() - began) / max(1, len(dues)))


def _created_late(session, due_by_id: dict[int, datetime]) -> int:
    """Cases whose start was committed only after their due time (their lateness would be overstated)."""
    from app.instances.models import ProcessInstance

    ids, started = list(due_by_id), {}
    for start in range(0, len(ids), 500):
        started.update(session.execute(select(ProcessInstance.id, ProcessInstance.started_at).where(
            ProcessInstance.id.in_(ids[start:start + 500]))).all())
    return sum(1 for i, due in due_by_id.items() if i in started and started[i] >= due)


def burst(cfg: harness.Config, sizes: dict[str, Any]) -> dict[str, Any]:
    """All timers due at one moment, fired by 4 scheduler processes on PostgreSQL."""
    from app.extensions import db

    app, world, clock = _prepare(cfg, "postgresql", "burst")
    reader = _reader(app, cfg)
    log_dir = cfg.workdir / "burst"
    try:
        with app.app_context():
            per_start = _timed_starts(db.session, world, clock, [datetime(2099, 1, 1, tzinfo=timezone.utc)] * 20, "CAL")
            db.session.remove()
        with Schedulers(harness.server_env(cfg, app), BURST_SCHEDULERS, 1.0, log_dir) as procs:
            with app.app_context():
                moment = datetime.now(timezone.utc) + timedelta(seconds=per_start * sizes["burst"] * 2.5 + LEAD)
                due_by_id = _start_waiting(db.session, world, clock, [moment] * sizes["burst"], "BURST")
                created_late = _created_late(db.session, due_by_id)
                db.session.remove()
            fired = _wait_fired(reader, list(due_by_id), moment.timestamp() + GRACE)
            shares = [sum(int(n) for n in re.findall(r"fired timers of (\d+) instance", procs.log_text(i)))
                      for i in range(BURST_SCHEDULERS)]
        tasks = _tasks_created(reader, list(due_by_id))
    finally:
        reader.dispose()
        harness.dispose(app)
    counts: dict[int, int] = {}
    for instance_id, _ in fired:
        counts[instance_id] = counts.get(instance_id, 0) + 1
    last = max((at for _, at in fired), default=None)
    first = min((at for _, at in fired), default=None)
    return {"seconds": (last - moment).total_seconds() if last else None,
            "first_s": (first - moment).total_seconds() if first else None,
            "missing": len(due_by_id) - len(counts), "duplicates": sum(1 for c in counts.values() if c > 1),
            "tasks_created": tasks, "shares": shares, "created_late": created_late}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Lateness on SQLite and PostgreSQL (headline: the worse p99) and the burst on PostgreSQL."""
    sizes = QUICK if cfg.quick else FULL
    metrics: dict[str, Any] = {}
    notes = [f"{sizes['waiting']:,} waiting cases: {sizes['due']:,} started through the service layer and due within "
             f"a {sizes['window']} s window, the rest clones of a started case due in 1–30 days; one "
             "`lotse scheduler --tick 1`"]
    spreads = {}
    p99s = []
    for backend in ("sqlite", "postgresql"):
        suffix = "sqlite" if backend == "sqlite" else "pg"
        if backend == "postgresql" and not cfg.has_pg:
            metrics[f"timer_lateness_p99_s_{suffix}"] = None
            notes.append("PostgreSQL lateness skipped (no database)")
            continue
        result = lateness(cfg, backend, sizes)
        stats = result["lateness"]
        metrics[f"timer_lateness_p99_s_{suffix}"] = stats["p99"]
        metrics[f"timer_lateness_p50_s_{suffix}"] = stats["median"]
        metrics[f"timer_lateness_max_s_{suffix}"] = stats["max"]
        metrics[f"timer_missing_{suffix}"] = result["missing"]
        metrics[f"timer_duplicates_{suffix}"] = result["duplicates"]
        metrics[f"timer_start_ms_{suffix}"] = result["per_start_ms"]
        p99s.append(stats["p99"])
        spreads[suffix] = f"{suffix}: p50 {stats['median']:.2f} / p99 {stats['p99']:.2f} / max {stats['max']:.2f} s"
        metrics[f"timer_created_late_{suffix}"] = result["created_late"]
        metrics[f"scheduler_log_lines_per_fire_{suffix}"] = result["log_lines_per_fire"]
    metrics["timer_lateness_p99_s"] = max(p99s) if p99s else None
    if cfg.has_pg:
        result = burst(cfg, sizes)
        metrics["timer_burst_2000_s"] = result["seconds"]
        metrics["timer_burst_first_s"] = result["first_s"]
        metrics["timer_burst_missing"] = result["missing"]
        metrics["timer_burst_duplicates"] = result["duplicates"]
        metrics["timer_burst_tasks_created"] = result["tasks_created"]
        metrics["timer_burst_created_late"] = result["created_late"]
        notes.append(f"burst: {sizes['burst']:,} timers due at one moment, {BURST_SCHEDULERS} schedulers fired "
                     f"{result['shares']} instances each; {result['tasks_created']:,} follow-up tasks created")
        spreads["burst"] = f"first fired after {result['first_s']:.2f} s" if result["first_s"] is not None else "–"
    else:
        metrics["timer_burst_2000_s"] = None
        notes.append("burst skipped (needs PostgreSQL)")
    notes.append("headline lateness = the worse p99 of SQLite and PostgreSQL")
    return {"metrics": metrics, "notes": notes, "spreads": {"timer_lateness_p99_s": "; ".join(
        v for k, v in spreads.items() if k != "burst"), "timer_burst_2000_s": spreads.get("burst", "–")}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
