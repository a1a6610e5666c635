"""Measure 6: concurrent completions, 8 client threads against gunicorn on PostgreSQL (threaded and sync workers).

Each thread walks its own pathway cases to the end over HTTP. Afterwards the audit trail is checked: every
acknowledged completion has exactly one task_completed event, the count equals the successful responses
and every case ended (nothing lost, nothing doubled). A second phase fires the same completion twice at
once for a set of tasks: exactly one may succeed.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import text

from bench import harness, http_walk
from bench.procs import Client, Gunicorn, cpu_seconds, postgres_pids
from bench.stats import describe, ms

THREADS = 8
# (label, gunicorn worker class, processes, threads per process); the first is the headline (the setup the
# README recommends: one sync worker per core when PostgreSQL shares the machine). A completion is CPU work
# in the worker and in PostgreSQL, so more processes than cores only add switching, and each case's steps
# spread over more workflow caches (4 workers cost ~40% more CPU per completion than 2 in our measurements).
# Threads could overlap one request's waits on PostgreSQL with another's work; on 2 cores they lose more to
# the GIL than they gain. Both stay comparison rows.
SERVERS = (("sync_2", "sync", 2, 1), ("sync_4", "sync", 4, 1), ("gthread_4x3", "gthread", 4, 3))
FULL = {"cases": 120, "race": 20, "warmup": THREADS}
QUICK = {"cases": 8, "race": 3, "warmup": 2}


def _walk_all(port: int, world: harness.World, cases: list[http_walk.Case]) -> dict[str, Any]:
    """THREADS threads, each walking its share of the cases; statuses, latencies and wall time."""
    statuses: list[int] = []
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 1)

    def worker(mine: list[http_walk.Case]) -> None:
        client = Client(port)
        try:
            start.wait(timeout=60)
            for case in mine:
                for _ in range(100):  # bounded: a case has 10 tasks
                    outcome = http_walk.complete_next(client, world, case)
                    if outcome is None:
                        break
                    with lock:
                        statuses.append(outcome[0])
                        latencies.append(outcome[1])
        except Exception as exc:  # noqa: BLE001 - counted as a failure of the run
            with lock:
                failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(cases[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - began
    return {"statuses": statuses, "latencies": latencies, "wall": wall, "failures": failures}


def _race(port: int, world: harness.World, cases: list[http_walk.Case]) -> list[list[int]]:
    """For each case's first task, two simultaneous completions; the statuses per task."""
    results = []
    for case in cases:
        task_id, office, element_id = case.next_task()
        token = world.tokens[world.clerk_names[office]]
        statuses: list[int] = []
        gate = threading.Barrier(2)

        def submit() -> None:
            client = Client(port)
            try:
                gate.wait(timeout=30)
                status, _ = client.request("POST", f"/api/tasks/{task_id}/complete",
                                           {"data": harness.answer(element_id)}, token=token)
                statuses.append(status)
            finally:
                client.close()

        pair = [threading.Thread(target=submit) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(timeout=60)
        results.append(sorted(statuses))
    return results


def _audit_check(app, instance_ids: list[int]) -> dict[str, int]:
    """Events vs completed tasks vs ended cases, from the database."""
    from app.extensions import db

    params = {"ids": instance_ids}
    with app.app_context():
        session = db.session
        events = session.scalar(text("SELECT count(*) FROM audit_event WHERE kind = 'task_completed' "
                                     "AND instance_id = ANY(:ids)"), params)
        doubled = session.scalar(text(
            "SELECT count(*) FROM (SELECT details->>'task_id' FROM audit_event WHERE kind = 'task_completed' "
            "AND instance_id = ANY(:ids) GROUP BY 1 HAVING count(*) > 1) d"), params)
        completed = session.scalar(text("SELECT count(*) FROM human_task WHERE status = 'completed' "
                                        "AND instance_id = ANY(:ids)"), params)
        without_event = session.scalar(text(
            "SELECT count(*) FROM human_task h WHERE h.status = 'completed' AND h.instance_id = ANY(:ids) AND NOT "
            "EXISTS (SELECT 1 FROM audit_event a WHERE a.kind = 'task_completed' AND a.instance_id = h.instance_id "
            "AND (a.details->>'task_id')::int = h.id)"), params)
        ended = session.scalar(text("SELECT count(*) FROM process_instance WHERE status = 'completed' "
                                    "AND id = ANY(:ids)"), params)
        session.rollback()
    return {"events": events, "doubled": doubled, "completed_tasks": completed, "without_event": without_event,
            "ended_cases": ended}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Completions per second for each worker count, with the audit-trail checks and the double-submit race."""
    if not cfg.has_pg:
        return {"metrics": {"completions_per_s_pg": None}, "notes": ["PostgreSQL skipped (no database)"]}
    from app.extensions import db

    sizes = QUICK if cfg.quick else FULL
    app = harness.make_app(cfg, "postgresql", "concurrency")
    clock = harness.system_clock()
    with app.app_context():
        world = harness.seed_world(db.session, clock, tokens=True)
        harness.deploy_model(db.session, world, "pathway12.bpmn", clock)
        batches = {label: http_walk.start_cases(db.session, world, sizes["cases"], clock, f"CONC-{label}")
                   for label, *_ in SERVERS}
        # Walked before the timed run, so that each worker has loaded the model (steady state, not start-up).
        warmups = {label: http_walk.start_cases(db.session, world, sizes["warmup"], clock, f"WARM-{label}")
                   for label, *_ in SERVERS}
        race_cases = http_walk.start_cases(db.session, world, sizes["race"], clock, "RACE")
    harness.dispose(app)
    metrics: dict[str, Any] = {}
    notes = []
    for label, worker_class, workers, threads in SERVERS:
        headline = label == SERVERS[0][0]
        with Gunicorn(harness.server_env(cfg, app), workers=workers, worker_class=worker_class, threads=threads,
                      log_path=cfg.workdir / f"gunicorn-conc-{label}.log") as srv:
            http_walk.health(Client(srv.port))
            _walk_all(srv.port, world, warmups[label])
            server_pids = [srv.proc.pid, *srv.worker_pids()]
            cpu_before = (cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time())
            result = _walk_all(srv.port, world, batches[label])
            cpu_after = (cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time())
            race = _race(srv.port, world, race_cases) if headline else []
        ok = sum(1 for s in result["statuses"] if s == 200)
        errors = len(result["statuses"]) - ok + len(result["failures"])
        check = _audit_check(app, [c.instance_id for c in batches[label]])
        suffix = "" if headline else f"_{label}"
        lat = describe([ms(s) for s in result["latencies"]])
        metrics[f"completions_per_s_pg{suffix}"] = ok / result["wall"]
        metrics[f"concurrent_errors{suffix}"] = errors
        metrics[f"concurrent_latency_p95_ms{suffix}"] = lat["p95"]
        metrics[f"concurrent_latency_median_ms{suffix}"] = lat["median"]
        metrics[f"concurrent_lost_steps{suffix}"] = (ok - check["events"]) if ok >= check["events"] else 0
        metrics[f"concurrent_doubled_steps{suffix}"] = check["doubled"] + max(0, check["events"] - ok)
        metrics[f"concurrent_cases_not_ended{suffix}"] = len(batches[label]) - check["ended_cases"]
        metrics[f"concurrent_tasks_without_event{suffix}"] = check["without_event"]
        # CPU per successful completion: gunicorn's processes, PostgreSQL's, and this client process's threads.
        for part, before, after in zip(("workers", "postgres", "client"), cpu_before, cpu_after):
            metrics[f"concurrent_cpu_ms_{part}{suffix}"] = (after - before) * 1000 / max(ok, 1)
        notes.append(f"{worker_class} {workers}×{threads}: {ok} completions in {result['wall']:.1f} s "
                     f"({ok / result['wall']:.0f}/s), {errors} errors; audit: "
                     f"{check['events']} task_completed events, {check['completed_tasks']} completed tasks, "
                     f"{check['ended_cases']}/{len(batches[label])} cases ended; CPU per completion: workers "
                     f"{metrics[f'concurrent_cpu_ms_workers{suffix}']:.2f} ms, PostgreSQL "
                     f"{metrics[f'concurrent_cpu_ms_postgres{suffix}']:.2f} ms, client "
                     f"{metrics[f'concurrent_cpu_ms_client{suffix}']:.2f} ms"
                     + (f"; client failures: {result['failures'][:3]}" if result["failures"] else ""))
        if race:
            metrics["double_submit_duplicates"] = sum(1 for pair in race if pair.count(200) > 1)
            metrics["double_submit_lost"] = sum(1 for pair in race if pair.count(200) == 0)
            notes.append(f"double submit of {len(race)} tasks: responses {sorted({tuple(p) for p in race})}")
    spread = f"latency per completion p50 {metrics['concurrent_latency_median_ms']:.0f} / p95 " \
             f"{metrics['concurrent_latency_p95_ms']:.0f} ms under load"
    notes.insert(0, f"{THREADS} client threads (one process, keep-alive where the server allows it); gunicorn "
                 + ", ".join(f"{k} {w} processes × {t} threads" for _l, k, w, t in SERVERS)
                 + f" (headline: the first); {sizes['cases']} cases × 10 completions per server setup, timed after "
                 f"{sizes['warmup']} warm-up cases")
    return {"metrics": metrics, "notes": notes, "spreads": {"completions_per_s_pg": spread}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
