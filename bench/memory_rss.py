"""Measure 8: peak RSS of a web worker and of the scheduler as the number of waiting cases grows.

Waiting cases are clones of one case of bench/models/wait_timer.bpmn started through the service layer
(its state with the due date replaced): 10k, 30k and 100k (quick: 100, 300). At each level gunicorn
(2 workers on PostgreSQL, 1 on SQLite) and one `lotse scheduler --tick 1` run while a client reads inboxes,
case lists, case details, the overdue view and /metrics, and completes tasks; some timers come due so the
scheduler does real work. Peak RSS = VmHWM from /proc after the window.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from bench import bulk, harness, http_walk
from bench.procs import Client, Gunicorn, Schedulers, rss_kb

FULL = {"levels": (10_000, 30_000, 100_000), "due": 300, "window": 20.0, "cases": 20}
QUICK = {"levels": (100, 300), "due": 10, "window": 4.0, "cases": 2}
SCHEDULER_START = 4.0  # seconds until the due clones come due (the scheduler needs ~2-3 s to start)


def _workload(port: int, world: harness.World, cases: list[http_walk.Case], clone_ids: list[int],
              seconds: float) -> dict[str, int]:
    """Cycle through realistic reads and completions for `seconds`; counts per status."""
    rng = random.Random(3)
    supervisor = world.tokens[f"{world.slug}.supervisor"]
    clerks = [world.tokens[name] for name in world.clerk_names.values()]
    client = Client(port)
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    try:
        for step in range(100_000):
            if time.monotonic() >= deadline:
                break
            kind = step % 6
            if kind == 0:
                status, _ = client.request("GET", "/api/tasks?limit=50", token=rng.choice(clerks))
            elif kind == 1:
                status, _ = client.request("GET", f"/api/instances?limit=50&offset={rng.randrange(0, 500)}",
                                           token=supervisor)
            elif kind == 2:
                status, _ = client.request("GET", f"/api/instances/{rng.choice(clone_ids)}", token=supervisor)
            elif kind == 3:
                status, _ = client.request("GET", "/api/overdue", token=supervisor)
            elif kind == 4:
                status, _ = client.request("GET", "/metrics")
            else:
                open_cases = [c for c in cases if c.pending]
                outcome = http_walk.complete_next(client, world, open_cases[0]) if open_cases else None
                status = outcome[0] if outcome else 200
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        client.close()
    return statuses


def _wait_fired(app, level: int, due: int, seconds: float = 30.0) -> int:
    """Wait (bounded) until the scheduler fired the clones due in this level's window; how many it fired."""
    from app.extensions import db

    deadline, fired = time.monotonic() + seconds, 0
    while True:
        with app.app_context():
            fired = db.session.scalar(text(
                "SELECT count(*) FROM audit_event a JOIN process_instance p ON p.id = a.instance_id "
                "WHERE a.kind = 'timer_fired' AND p.business_key LIKE :key"), {"key": f"L{level}-%"})
            db.session.remove()
        if fired >= due or time.monotonic() >= deadline:
            return fired
        time.sleep(0.5)


def run(cfg: harness.Config) -> dict[str, Any]:
    """VmHWM of the busiest web worker and of the scheduler at each level; growth between the levels."""
    from app.extensions import db
    from app.instances.models import ProcessInstance

    sizes = QUICK if cfg.quick else FULL
    backend = "postgresql" if cfg.has_pg else "sqlite"
    workers = 2 if backend == "postgresql" else 1
    rng = random.Random(8)
    app = harness.make_app(cfg, backend, "memory")
    clock = harness.system_clock()
    with app.app_context():
        world = harness.seed_world(db.session, clock, tokens=True)
        harness.deploy_model(db.session, world, "wait_timer.bpmn", clock)
        harness.deploy_model(db.session, world, "pathway12.bpmn", clock)
        template_id = harness.start_case(db.session, world, "bench_wait", "TEMPLATE", {"faellig": bulk.TEMPLATE_DUE},
                                         clock)
    results, notes, present = [], [], 0
    try:
        for level in sizes["levels"]:
            now = datetime.now(timezone.utc)
            with app.app_context():
                template = db.session.get(ProcessInstance, template_id)
                far = [now + timedelta(days=rng.uniform(1, 30)) for _ in range(level - present - sizes["due"])]
                soon = [now + timedelta(seconds=SCHEDULER_START + rng.uniform(0, sizes["window"] / 2))
                        for _ in range(sizes["due"])]
                began = time.perf_counter()
                bulk.clone_waiting(db.session, template, far + soon, f"L{level}")
                clone_seconds = time.perf_counter() - began
                present = level
                clone_ids = [i for (i,) in db.session.query(ProcessInstance.id).filter(
                    ProcessInstance.business_key.like(f"L{level}-%")).limit(2000)]
                cases = http_walk.start_cases(db.session, world, sizes["cases"], clock, f"MEM{level}")
                db.session.remove()
            env = harness.server_env(cfg, app)
            log_dir = cfg.workdir / f"memory-{level}"
            with Gunicorn(env, workers=workers, log_path=cfg.workdir / f"gunicorn-memory-{level}.log") as srv, \
                    Schedulers(env, 1, 1.0, log_dir) as scheduler:
                statuses = _workload(srv.port, world, cases, clone_ids, sizes["window"])
                fired = _wait_fired(app, level, sizes["due"])
                web = max((rss_kb(pid).get("VmHWM", 0) for pid in srv.worker_pids()), default=0)
                sched = max((rss_kb(pid).get("VmHWM", 0) for pid in scheduler.pids()), default=0)
            results.append({"level": level, "web_mb": web / 1024, "scheduler_mb": sched / 1024, "fired": fired})
            notes.append(f"{level:,} waiting cases (cloned in {clone_seconds:.1f} s): web worker peak "
                         f"{web / 1024:.0f} MB, "
                         f"scheduler peak {sched / 1024:.0f} MB; {fired} of the {sizes['due']} due clones fired; "
                         f"responses {dict(sorted(statuses.items()))}")
    finally:
        harness.dispose(app)
    metrics: dict[str, Any] = {}
    for row in results:
        metrics[f"web_worker_peak_rss_mb_at_{row['level']}"] = row["web_mb"]
        metrics[f"scheduler_peak_rss_mb_at_{row['level']}"] = row["scheduler_mb"]
    first, last = results[0], results[-1]
    metrics["web_worker_peak_rss_mb"] = last["web_mb"]
    metrics["scheduler_peak_rss_mb"] = last["scheduler_mb"]
    metrics["web_worker_rss_growth_mb"] = last["web_mb"] - first["web_mb"]
    metrics["scheduler_rss_growth_mb"] = last["scheduler_mb"] - first["scheduler_mb"]
    metrics["memory_max_waiting_instances"] = last["level"]
    metrics["memory_due_clones_not_fired"] = sum(sizes["due"] - row["fired"] for row in results)
    notes.insert(0, f"{backend}; gunicorn {workers} sync worker(s) + 1 scheduler; {sizes['window']:.0f} s of mixed "
                 f"requests per level; {sizes['due']} timers fire per level")
    spread = f"{first['level']:,} → {last['level']:,} waiting: web {first['web_mb']:.0f} → {last['web_mb']:.0f} MB, " \
             f"scheduler {first['scheduler_mb']:.0f} → {last['scheduler_mb']:.0f} MB"
    return {"metrics": metrics, "notes": notes, "spreads": {"memory": spread}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
