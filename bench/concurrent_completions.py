"""Measure 6: concurrent completions, 8 client threads against gunicorn on PostgreSQL (threaded and sync workers).

Each thread walks its own pathway cases to the end over HTTP. The server setups run side by side and take
turns in rounds (the machine is shared: one setup's bad moment should not decide its number); a setup's
throughput is the median of its rounds. Afterwards the audit trail is checked: every
acknowledged completion has exactly one task_completed event, the count equals the successful responses
and every case ended (nothing lost, nothing doubled). A second phase fires the same completion twice at
once for a set of tasks: exactly one may succeed.
"""
from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from bench import harness, http_walk
from bench.procs import Client, Gunicorn, cpu_seconds, postgres_pids
from bench.stats import describe, median, ms

THREADS = 8
# (label, gunicorn worker class, processes, threads per process); the first is the headline (the setup the
# README recommends: one sync worker per core when PostgreSQL shares the machine). A completion is CPU work
# in the worker and in PostgreSQL, so more processes than cores only add switching, and each case's steps
# spread over more workflow caches (4 workers cost ~40% more CPU per completion than 2 in our measurements).
# Threads could overlap one request's waits on PostgreSQL with another's work; on 2 cores they lose more to
# the GIL than they gain. Both stay comparison rows.
SERVERS = (("sync_2", "sync", 2, 1), ("sync_4", "sync", 4, 1), ("gthread_4x3", "gthread", 4, 3))
FULL = {"cases": 80, "rounds": 3, "race": 20, "warmup": THREADS}
QUICK = {"cases": 4, "rounds": 2, "race": 3, "warmup": 2}


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


@dataclass
class _Measured:
    """One server setup's timed rounds: throughput per round, all responses, CPU spent by process group."""

    rates: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cpu: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # workers, PostgreSQL, client (seconds)
    instance_ids: list[int] = field(default_factory=list)

    def timed_walk(self, srv: Gunicorn, world: harness.World, cases: list[http_walk.Case]) -> None:
        """Walk one round's cases with THREADS clients; note throughput and the CPU the processes used."""
        server_pids = [srv.proc.pid, *srv.worker_pids()]
        before = (cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time())
        result = _walk_all(srv.port, world, cases)
        after = (cpu_seconds(server_pids), cpu_seconds(postgres_pids()), time.process_time())
        for index in range(3):
            self.cpu[index] += after[index] - before[index]
        self.rates.append(sum(1 for s in result["statuses"] if s == 200) / result["wall"])
        self.statuses += result["statuses"]
        self.latencies += result["latencies"]
        self.failures += result["failures"]
        self.instance_ids += [case.instance_id for case in cases]


def run(cfg: harness.Config) -> dict[str, Any]:
    """Completions per second for each server setup (median of interleaved rounds), audit checks, the race."""
    if not cfg.has_pg:
        return {"metrics": {"completions_per_s_pg": None}, "notes": ["PostgreSQL skipped (no database)"]}
    from app.extensions import db

    sizes = QUICK if cfg.quick else FULL
    app = harness.make_app(cfg, "postgresql", "concurrency")
    clock = harness.system_clock()
    with app.app_context():
        world = harness.seed_world(db.session, clock, tokens=True)
        harness.deploy_model(db.session, world, "pathway12.bpmn", clock)
        rounds = {label: [http_walk.start_cases(db.session, world, sizes["cases"], clock, f"CONC-{label}-{number}")
                          for number in range(sizes["rounds"])] for label, *_ in SERVERS}
        # Walked before the timed rounds, so that each worker has loaded the model (steady state, not start-up).
        warmups = {label: http_walk.start_cases(db.session, world, sizes["warmup"], clock, f"WARM-{label}")
                   for label, *_ in SERVERS}
        race_cases = http_walk.start_cases(db.session, world, sizes["race"], clock, "RACE")
    harness.dispose(app)
    measured = {label: _Measured() for label, *_ in SERVERS}
    with ExitStack() as stack:
        servers = {}
        for label, worker_class, workers, threads in SERVERS:
            servers[label] = stack.enter_context(Gunicorn(
                harness.server_env(cfg, app), workers=workers, worker_class=worker_class, threads=threads,
                log_path=cfg.workdir / f"gunicorn-conc-{label}.log"))
            http_walk.health(Client(servers[label].port))
            _walk_all(servers[label].port, world, warmups[label])
        # Idle servers wait in accept(); the setups take turns, each round starting with the next one.
        for number in range(sizes["rounds"]):
            for label, *_ in SERVERS[number % len(SERVERS):] + SERVERS[:number % len(SERVERS)]:
                measured[label].timed_walk(servers[label], world, rounds[label][number])
        race = _race(servers[SERVERS[0][0]].port, world, race_cases)
    metrics: dict[str, Any] = {}
    notes = [f"{THREADS} client threads (one process, keep-alive where the server allows it); gunicorn "
             + ", ".join(f"{k} {w} processes × {t} threads" for _l, k, w, t in SERVERS)
             + f" (headline: the first), all started at once; {sizes['rounds']} rounds of {sizes['cases']} cases × "
             f"10 completions per setup, the setups taking turns (each round led by another), after "
             f"{sizes['warmup']} warm-up cases per setup; throughput = the median of the rounds"]
    for label, worker_class, workers, threads in SERVERS:
        suffix = "" if label == SERVERS[0][0] else f"_{label}"
        metrics.update(_setup_metrics(app, measured[label], suffix))
        m = measured[label]
        notes.append(f"{worker_class} {workers}×{threads}: " + ", ".join(f"{rate:.0f}/s" for rate in m.rates)
                     + f" per round; {metrics[f'concurrent_errors{suffix}']} errors; audit: "
                     f"{metrics[f'concurrent_events{suffix}']} task_completed events for "
                     f"{metrics[f'concurrent_ok{suffix}']} acknowledged completions, "
                     f"{len(m.instance_ids) - metrics[f'concurrent_cases_not_ended{suffix}']}/{len(m.instance_ids)} "
                     f"cases ended; CPU per completion: workers {metrics[f'concurrent_cpu_ms_workers{suffix}']:.2f} ms, "
                     f"PostgreSQL {metrics[f'concurrent_cpu_ms_postgres{suffix}']:.2f} ms, client "
                     f"{metrics[f'concurrent_cpu_ms_client{suffix}']:.2f} ms"
                     + (f"; client failures: {m.failures[:3]}" if m.failures else ""))
    metrics["double_submit_duplicates"] = sum(1 for pair in race if pair.count(200) > 1)
    metrics["double_submit_lost"] = sum(1 for pair in race if pair.count(200) == 0)
    notes.append(f"double submit of {len(race)} tasks (headline setup): responses {sorted({tuple(p) for p in race})}")
    head = measured[SERVERS[0][0]]
    spread = f"{min(head.rates):.0f}–{max(head.rates):.0f}/s over {len(head.rates)} rounds; latency per completion " \
             f"p50 {metrics['concurrent_latency_median_ms']:.0f} / p95 {metrics['concurrent_latency_p95_ms']:.0f} ms " \
             "under load"
    return {"metrics": metrics, "notes": notes, "spreads": {"completions_per_s_pg": spread}}


def _setup_metrics(app, m: _Measured, suffix: str) -> dict[str, Any]:
    ok = sum(1 for s in m.statuses if s == 200)
    check = _audit_check(app, m.instance_ids)
    lat = describe([ms(s) for s in m.latencies])
    metrics = {
        f"completions_per_s_pg{suffix}": median(m.rates),
        f"concurrent_ok{suffix}": ok,
        f"concurrent_events{suffix}": check["events"],
        f"concurrent_errors{suffix}": len(m.statuses) - ok + len(m.failures),
        f"concurrent_latency_p95_ms{suffix}": lat["p95"],
        f"concurrent_latency_median_ms{suffix}": lat["median"],
        f"concurrent_lost_steps{suffix}": max(0, ok - check["events"]),
        f"concurrent_doubled_steps{suffix}": check["doubled"] + max(0, check["events"] - ok),
        f"concurrent_cases_not_ended{suffix}": len(m.instance_ids) - check["ended_cases"],
        f"concurrent_tasks_without_event{suffix}": check["without_event"],
    }
    # CPU per successful completion: gunicorn's processes, PostgreSQL's, and this client process's threads.
    for part, seconds in zip(("workers", "postgres", "client"), m.cpu):
        metrics[f"concurrent_cpu_ms_{part}{suffix}"] = seconds * 1000 / max(ok, 1)
    return metrics


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
