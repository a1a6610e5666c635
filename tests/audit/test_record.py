"""Writing events: an instance's events go in at the next flush, all of a flush in one INSERT per table, and
vanish with a savepoint or transaction that is rolled back — the chain and its head always agree."""
from __future__ import annotations

from sqlalchemy import event, select

from app import orchestration
from app.audit import service as audit
from app.audit.models import AuditEvent, AuditPayload
from app.audit.verify import verify, verify_instance
from app.extensions import db
from tests.audit.conftest import walk


def _locked(api, session, business_key):
    case = walk(api, business_key, finish=False)
    session.commit()
    return orchestration.lock_instance(session, case["id"], api.world.municipality_id)


def _record(session, instance, clock, kind="task_claimed", **extra):
    return audit.record(session, municipality_id=instance.municipality_id, kind=kind, actor="abh",
                        at=clock.now(), instance=instance, **extra)


def _kinds(session, instance_id):
    return list(session.scalars(select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))


def test_a_steps_events_are_written_by_its_next_flush_in_one_statement_per_table(api, deployed, session, clock):
    instance = _locked(api, session, "AZ-W-1")
    before = instance.audit_seq
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split("(")[0].strip())

    recorded = [_record(session, instance, clock, payload={"notiz": str(n)}) for n in range(3)]
    assert instance.audit_seq == before + 3 and instance.audit_head == recorded[-1].hash
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements.count("INSERT INTO audit_event") == 1 and statements.count("INSERT INTO audit_payload") == 1
    session.commit()
    assert _kinds(session, instance.id)[-3:] == ["task_claimed"] * 3
    assert verify(session).ok


def test_events_of_a_rolled_back_savepoint_are_dropped_and_the_others_kept(api, deployed, session, clock):
    instance = _locked(api, session, "AZ-W-2")
    _record(session, instance, clock, kind="task_claimed", payload={"notiz": "bleibt"})
    savepoint = session.begin_nested()
    _record(session, instance, clock, kind="task_unclaimed", payload={"notiz": "fällt weg"})
    savepoint.rollback()
    _record(session, instance, clock, kind="task_reassigned")
    session.commit()
    assert _kinds(session, instance.id)[-2:] == ["task_claimed", "task_reassigned"]
    assert "fällt weg" not in str(list(session.scalars(select(AuditPayload.content).where(
        AuditPayload.instance_id == instance.id))))
    assert verify_instance(session, instance).ok
    assert verify(session).ok


def test_events_of_a_rolled_back_transaction_never_reach_a_later_one(api, deployed, session, clock):
    instance = _locked(api, session, "AZ-W-3")
    kinds = _kinds(session, instance.id)
    _record(session, instance, clock, kind="task_claimed")
    session.rollback()
    instance = orchestration.lock_instance(session, instance.id, api.world.municipality_id)
    _record(session, instance, clock, kind="task_reassigned")
    session.commit()
    assert _kinds(session, instance.id) == [*kinds, "task_reassigned"]
    assert verify(session).ok


def test_the_municipality_chain_is_written_at_once(session, world, clock):
    first = audit.record(session, municipality_id=world.municipality_id, kind="token_created", actor="admin",
                         at=clock.now())
    second = audit.record(session, municipality_id=world.municipality_id, kind="token_revoked", actor="admin",
                          at=clock.now())
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    session.commit()
    assert verify(session).ok
