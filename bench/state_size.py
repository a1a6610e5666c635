"""Measure 5: stored engine state per finished pathway case (process_instance.state; audit trail excluded).

Cases are walked through the service layer on SQLite; the state column's length as stored is the headline.
Beside it: the JSON inside (plain, gzip), what it is made of (per task field), and on PostgreSQL the stored
(TOAST) size plus the rough size of the case's human_task and audit rows.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

from sqlalchemy import text

from bench import harness
from bench.stats import median

FULL, QUICK = 20, 3


def _breakdown(state: str) -> dict[str, Any]:
    """Bytes of the state's JSON by part: each task field summed over all tasks, and the rest."""
    state = harness.state_json(state)
    doc = json.loads(state)
    fields: Counter[str] = Counter()
    tasks = doc.get("tasks", {})
    for task in tasks.values():
        for key, value in task.items():
            fields[key] += len(json.dumps(value, separators=(",", ":"))) + len(key) + 4
    rest = len(state.encode()) - sum(fields.values())
    return {"tasks": len(tasks), "per_field_bytes": dict(fields.most_common()), "outside_tasks_bytes": rest}


def _walk(cfg: harness.Config, backend: str, count: int) -> tuple[Any, list[int], list[str]]:
    from app.extensions import db
    from app.instances.models import ProcessInstance

    app = harness.make_app(cfg, backend, "state")
    clock = harness.system_clock()
    with app.app_context():
        world = harness.seed_world(db.session, clock)
        harness.deploy_model(db.session, world, "pathway12.bpmn", clock)
        ids = [harness.walk_pathway(db.session, world, f"STATE-{i:04d}", clock) for i in range(count)]
        states = [db.session.get(ProcessInstance, i).state for i in ids]
        db.session.rollback()
    return app, ids, states


def _pg_sizes(app, ids: list[int]) -> dict[str, float]:
    from app.extensions import db

    params = {"ids": ids}
    with app.app_context():
        row = db.session.execute(text(
            "SELECT avg(pg_column_size(state)), avg(octet_length(state)) FROM process_instance WHERE id = ANY(:ids)"),
            params).one()
        tasks = db.session.execute(text(
            "SELECT avg(pg_column_size(h.*)), count(*)::float / :n FROM human_task h WHERE instance_id = ANY(:ids)"),
            {**params, "n": len(ids)}).one()
        audit = db.session.execute(text(
            "SELECT sum(pg_column_size(a.*))::float / :n, count(*)::float / :n FROM audit_event a "
            "WHERE instance_id = ANY(:ids)"), {**params, "n": len(ids)}).one()
        payload = db.session.scalar(text(
            "SELECT coalesce(sum(pg_column_size(p.*)), 0)::float / :n FROM audit_payload p "
            "WHERE instance_id = ANY(:ids)"),
            {**params, "n": len(ids)})
        db.session.rollback()
    return {"state_bytes_stored_pg": float(row[0]), "state_bytes_text_pg": float(row[1]),
            "human_task_row_bytes_pg": float(tasks[0]), "human_tasks_per_case": float(tasks[1]),
            "audit_bytes_per_case_pg": float(audit[0]) + float(payload or 0), "audit_events_per_case": float(audit[1])}


def run(cfg: harness.Config) -> dict[str, Any]:
    """Median state bytes per finished case, its gzip size and composition; PostgreSQL sizes when available."""
    count = QUICK if cfg.quick else FULL
    app, _ids, states = _walk(cfg, "sqlite", count)
    harness.dispose(app)
    sizes = [len(s.encode()) for s in states]
    documents = [harness.state_json(s) for s in states]
    metrics: dict[str, Any] = {
        "bytes_per_finished_instance": median(sizes),
        "bytes_per_finished_instance_json": median([len(d.encode()) for d in documents]),
        "bytes_per_finished_instance_json_gzip": median([len(gzip.compress(d.encode())) for d in documents]),
    }
    breakdown = _breakdown(states[0])
    metrics["engine_tasks_per_finished_instance"] = breakdown["tasks"]
    notes = [f"{count} finished pathway cases (10 user tasks each); headline = the bytes of the state column as "
             "stored (the spec is stored once per definition); the JSON inside is "
             f"{metrics['bytes_per_finished_instance_json']:,.0f} B",
             "JSON composition (bytes, summed over the state's tasks): " + ", ".join(
                 f"{k} {v:,}" for k, v in breakdown["per_field_bytes"].items())
             + f"; outside tasks {breakdown['outside_tasks_bytes']:,}"]
    if cfg.has_pg:
        app, ids, _ = _walk(cfg, "postgresql", max(2, count // 4))
        metrics.update(_pg_sizes(app, ids))
        harness.dispose(app)
    else:
        notes.append("PostgreSQL sizes skipped (no database)")
    spread = f"{min(sizes):,}–{max(sizes):,} B over {count} cases"
    return {"metrics": metrics, "notes": notes, "spreads": {"bytes_per_finished_instance": spread},
            "artifacts": {"state_breakdown": breakdown}}


if __name__ == "__main__":
    harness.main(run, __doc__.splitlines()[0])
