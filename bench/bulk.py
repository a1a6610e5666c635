"""Bulk data for the large measures: an inbox of 1M human tasks (COPY) and clones of a waiting case."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import insert, text

from bench import harness

OFFICES_10 = (*harness.OFFICES, "Jugendamt", "Gesundheitsamt", "Bürgerbüro", "Schulamt", "Agentur für Arbeit")
# The ten tasks a pathway case passes (element id, name), as in bench/models/pathway12.bpmn.
PATHWAY_TASKS = (("ut01", "Fall anlegen"), ("ut02", "Clearinggespräch"), ("ut04", "Aufenthaltsstatus prüfen"),
                 ("ut05", "Fiktionsbescheinigung ausstellen"), ("ut06", "Leistungen bewilligen"),
                 ("ut07", "SGB-II-Antrag prüfen"), ("ut08", "Eingliederungsvereinbarung"),
                 ("ut09", "Sprachkurs vermitteln"), ("ut10", "Integrationsplan vereinbaren"), ("ut11", "Abschluss"))
STATUS_MIX = (("open", 0.10), ("completed", 0.85), ("cancelled", 0.05))
DUE_SPREAD_DAYS = 60
NO_DUE_SHARE = 0.15
ASSIGNED_SHARE = 0.3


def _raw(session):
    """The psycopg connection under the session's current connection."""
    return session.connection().connection.driver_connection


def column_defaults(table) -> dict[str, Any]:
    """Each column's scalar model default (None where it has none): what COPY must send for a missing value."""
    return {c.name: c.default.arg if c.default is not None and c.default.is_scalar else None for c in table.columns}


def _copy(session, table, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows (dicts by column name; a missing column takes its model default, else NULL); returns the count."""
    names = [c.name for c in table.columns if c.name != "id"]
    defaults = column_defaults(table)
    count = 0
    with _raw(session).cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name, defaults[name]) for name in names])
                count += 1
    return count


def _pick_status(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for status, share in STATUS_MIX:
        acc += share
        if roll < acc:
            return status
    return STATUS_MIX[-1][0]


def load_inbox(session, clock, *, tasks: int, municipalities: int, now: datetime,
               seed: int = 5) -> tuple[list[harness.World], int]:
    """Seed municipalities × 10 offices and COPY `tasks` human tasks (10 per case) with a realistic mix."""
    from app.instances.models import ProcessInstance
    from app.tasks.models import HumanTask

    rng = random.Random(seed)
    worlds, definitions = [], []
    for number in range(municipalities):
        world = harness.seed_world(session, clock, slug=f"gemeinde-{number:02d}", offices=OFFICES_10)
        worlds.append(world)
        definitions.append(harness.deploy_model(session, world, "pathway12.bpmn", clock).id)
    cases = tasks // len(PATHWAY_TASKS)
    statuses = [[_pick_status(rng) for _ in PATHWAY_TASKS] for _ in range(cases)]

    def instances() -> Iterable[dict[str, Any]]:
        for index in range(cases):
            running = "open" in statuses[index]
            started = now - timedelta(days=rng.uniform(0, 120))
            timer = now + timedelta(days=rng.uniform(-1, 14)) if running and rng.random() < 0.2 else None
            yield {"municipality_id": worlds[index % municipalities].municipality_id,
                   "definition_id": definitions[index % municipalities], "business_key": f"AZ-{index:07d}",
                   "status": "running" if running else "completed", "state": "{}", "revision": 1,
                   "next_timer_at": timer, "audit_seq": 0, "audit_head": "", "started_by": "bench",
                   "started_at": started, "ended_at": None if running else started + timedelta(days=30)}

    _copy(session, ProcessInstance.__table__, instances())
    ids = [row[0] for row in session.execute(text("SELECT id FROM process_instance WHERE started_by = 'bench' "
                                                  "ORDER BY id"))]

    def human_tasks() -> Iterable[dict[str, Any]]:
        for index, instance_id in enumerate(ids):
            world = worlds[index % municipalities]
            for step, (element_id, name) in enumerate(PATHWAY_TASKS):
                status = statuses[index][step]
                office = OFFICES_10[rng.randrange(len(OFFICES_10))]
                created = now - timedelta(days=rng.uniform(0, 90))
                due = None if rng.random() < NO_DUE_SHARE else now + timedelta(
                    days=rng.uniform(-DUE_SPREAD_DAYS, DUE_SPREAD_DAYS))
                assigned = status == "open" and rng.random() < ASSIGNED_SHARE
                yield {"municipality_id": world.municipality_id, "instance_id": instance_id,
                       "engine_task_id": f"00000000-0000-4000-8000-{index * 10 + step:012x}",
                       "element_id": element_id, "name": name, "process_key": "bench_pathway",
                       "business_key": f"AZ-{index:07d}", "office_id": world.office_ids[office],
                       "assignee": world.clerk_names[office] if assigned else None, "status": status,
                       "created_at": created, "due_at": due, "revision": 1,
                       "completed_at": created + timedelta(days=3) if status != "open" else None,
                       "completed_by": world.clerk_names[office] if status == "completed" else None}

    loaded = _copy(session, HumanTask.__table__, human_tasks())
    session.commit()
    return worlds, loaded


def vacuum_analyze(engine, tables: Iterable[str]) -> None:
    """VACUUM (ANALYZE) outside a transaction, as autovacuum would have done on a live system."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


TEMPLATE_DUE = "2099-12-31T23:59:59+00:00"


def clone_waiting(session, template, dues: list[datetime], prefix: str) -> int:
    """Insert copies of a waiting case whose timer date came from case data, one per due time (fast path).

    The engine state is the template's with the due date replaced (in the case data and the armed timer),
    stored in the same encoding;
    the audit chain continues from the template's head, so clones' chains do not verify on their own.
    """
    from app.instances.models import ProcessInstance

    document = harness.state_json(template.state)
    if TEMPLATE_DUE not in document:
        raise RuntimeError("the template case does not carry the template due date in its state")
    rows = ({"municipality_id": template.municipality_id, "definition_id": template.definition_id,
             "business_key": f"{prefix}-{index:06d}", "status": "running",
             "state": harness.encode_like(template.state, document.replace(TEMPLATE_DUE, due.isoformat())),
             "revision": 1, "next_timer_at": due,
             "audit_seq": template.audit_seq, "audit_head": template.audit_head, "started_by": template.started_by,
             "started_at": template.started_at} for index, due in enumerate(dues))
    if session.get_bind().dialect.name == "postgresql":
        count = _copy(session, ProcessInstance.__table__, rows)
    else:
        count, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == 2000:
                session.execute(insert(ProcessInstance.__table__), batch)
                count, batch = count + len(batch), []
        if batch:
            session.execute(insert(ProcessInstance.__table__), batch)
            count += len(batch)
    session.commit()
    return count
