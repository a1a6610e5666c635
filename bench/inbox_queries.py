"""Measure 4: inbox and overdue queries with 1M human tasks in PostgreSQL (20k in quick mode).

12 municipalities × 10 offices; 10% open, 85% completed, 5% cancelled; due dates spread ±60 days (15%
without). Rows are bulk-loaded with COPY, then VACUUM (ANALYZE). Timed are the real services:
`list_tasks` for a clerk's office inbox (limit 50, sorted by due date), the same with overdue=true, the web
inbox's "mine or unassigned", and `overdue_summary` for a supervisor; the SQL they issued is EXPLAINed, and the
statements per call and the indexes their plans use are recorded.
"""
from __future__ import annotations

import random
import re
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, text

from bench import bulk, harness
from bench.stats import describe, ms

FULL = {"tasks": 1_000_000, "reps": 300}
QUICK = {"tasks": 20_000, "reps": 30}
MUNICIPALITIES = 12
WARMUP = 10


def _queries(session, worlds: list[harness.World], rng: random.Random, now: datetime) -> dict[str, Any]:
    """One call of each timed query for a random clerk and supervisor: {name: (callable)}."""
    from app.deadlines.service import overdue_summary
    from app.tasks.service import list_tasks

    world = worlds[rng.randrange(len(worlds))]
    clerk = world.clerks[rng.choice(list(world.clerks))]
    return {
        "inbox_office": lambda: list_tasks(session, actor=clerk, now=now, sort_by="due_at", limit=50),
        "inbox_overdue": lambda: list_tasks(session, actor=clerk, now=now, overdue=True, sort_by="due_at", limit=50),
        "inbox_mine_or_queue": lambda: list_tasks(session, actor=clerk, now=now, assignee="me", or_unassigned=True,
                                                  sort_by="due_at", limit=50),
        "overdue_summary": lambda: overdue_summary(session, actor=world.supervisor, now=now),
    }


def _indexes(plan: str) -> list[str]:
    """The indexes a plan reads, in order of first appearance."""
    return list(dict.fromkeys(re.findall(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? "
                                         r"(?:using|on) (\w+)", plan)))


def _explain(session, engine, worlds: list[harness.World],
             now: datetime) -> tuple[dict[str, list[str]], dict[str, int], dict[str, list[str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every distinct statement each query issued; statements per call; indexes used."""
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    plans: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    indexes: dict[str, list[str]] = {}
    for name, call in _queries(session, worlds, random.Random(1), now).items():
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        counts[name] = len(captured)
        seen, texts = set(), []
        for statement, parameters in list(captured):
            if statement in seen:
                continue
            seen.add(statement)
            rows = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(r[0] for r in rows)
            indexes.setdefault(name, [])
            indexes[name] += [index for index in _indexes(plan) if index not in indexes[name]]
            texts.append(f"-- parameters: {parameters}\n{statement}\n\n{plan}")
        plans[name] = texts
        session.rollback()
    return plans, counts, indexes


def run(cfg: harness.Config) -> dict[str, Any]:
    """p50/p95 per query over interleaved repetitions with random clerks and supervisors."""
    keys = ("inbox_p95_ms_1m_tasks_pg", "inbox_office_p95_ms_pg", "inbox_overdue_p95_ms_pg",
            "inbox_mine_or_queue_p95_ms_pg", "overdue_summary_p95_ms_pg")
    if not cfg.has_pg:
        return {"metrics": {k: None for k in keys}, "notes": ["PostgreSQL skipped (no database)"]}
    from app.extensions import db

    sizes = QUICK if cfg.quick else FULL
    app = harness.make_app(cfg, "postgresql", "inbox")
    clock = harness.system_clock()
    now = datetime.now(timezone.utc)
    samples: dict[str, list[float]] = {}
    with app.app_context():
        session = db.session
        started = time.perf_counter()
        worlds, loaded = bulk.load_inbox(session, clock, tasks=sizes["tasks"], municipalities=MUNICIPALITIES, now=now)
        load_seconds = time.perf_counter() - started
        bulk.vacuum_analyze(db.engine, ("human_task", "process_instance"))
        counts = dict(session.execute(text("SELECT status, count(*) FROM human_task GROUP BY status")).all())
        session.rollback()
        rng = random.Random(7)
        for rep in range(sizes["reps"] + WARMUP):
            calls = list(_queries(session, worlds, rng, now).items())
            rng.shuffle(calls)  # interleaved, in a different order each round
            for name, call in calls:
                began = time.perf_counter()
                call()
                elapsed = time.perf_counter() - began
                session.rollback()
                if rep >= WARMUP:
                    samples.setdefault(name, []).append(ms(elapsed))
        plans, statements, indexes = _explain(session, db.engine, worlds, now)
        table_mb = session.scalar(text("SELECT pg_total_relation_size('human_task') / 1048576.0"))
        session.rollback()
    harness.dispose(app)
    stats = {name: describe(values) for name, values in samples.items()}
    metrics: dict[str, Any] = {
        "inbox_office_p95_ms_pg": stats["inbox_office"]["p95"],
        "inbox_overdue_p95_ms_pg": stats["inbox_overdue"]["p95"],
        "inbox_mine_or_queue_p95_ms_pg": stats["inbox_mine_or_queue"]["p95"],
        "overdue_summary_p95_ms_pg": stats["overdue_summary"]["p95"],
        "inbox_office_median_ms_pg": stats["inbox_office"]["median"],
        "inbox_overdue_median_ms_pg": stats["inbox_overdue"]["median"],
        "inbox_mine_or_queue_median_ms_pg": stats["inbox_mine_or_queue"]["median"],
        "overdue_summary_median_ms_pg": stats["overdue_summary"]["median"],
        "inbox_tasks_loaded": loaded, "inbox_load_seconds": load_seconds,
        "human_task_table_mb_pg": float(table_mb),
    }
    metrics["inbox_p95_ms_1m_tasks_pg"] = max(metrics[k] for k in keys[1:])
    metrics.update({f"{name}_statements": count for name, count in statements.items()})
    spreads = {"inbox_p95_ms_1m_tasks_pg": "; ".join(
        f"{name} p50 {s['median']:.1f} / p95 {s['p95']:.1f} ms" for name, s in stats.items())}
    notes = [f"{loaded:,} human tasks ({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))}) in "
             f"{MUNICIPALITIES} municipalities × 10 offices, loaded in {load_seconds:.0f} s; {sizes['reps']} "
             "interleaved repetitions per query", "headline = the worst p95 of the timed queries",
             "SQL statements per call and indexes in their plans: " + "; ".join(
                 f"{name} {statements.get(name, '?')} ({', '.join(indexes.get(name) or ['no index'])})"
                 for name in stats)]
    return {"metrics": metrics, "notes": notes, "spreads": spreads,
            "artifacts": {"plans": plans, "indexes": indexes}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
