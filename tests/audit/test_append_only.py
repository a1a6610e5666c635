"""audit_event is append-only (a trigger on PostgreSQL, verify on SQLite); chains never wait on each other."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.audit.ledger import seal_municipality
from app.audit.verify import verify
from app.extensions import db
from app.instances.models import ProcessInstance
from tests.audit.conftest import attacker, walk

UPDATE = "UPDATE audit_event SET actor = 'mallory' WHERE id = (SELECT min(id) FROM audit_event)"


def test_updating_an_event_is_refused_on_postgresql_and_detected_on_sqlite(session, world, backend):
    session.commit()
    if backend == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(UPDATE))
        session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("DELETE FROM audit_event"))
        session.rollback()
        assert verify(session).ok
    else:
        session.execute(text(UPDATE))
        session.commit()
        [problem] = verify(session).problems
        assert problem.seq == 1 and "hash does not match" in problem.message


def test_the_ledger_and_the_access_log_are_guarded_on_postgresql(api, deployed, session, clock, backend):
    if backend != "postgresql":
        pytest.skip("the triggers exist on PostgreSQL only; SQLite relies on verify")
    case = api.start("aufenthalt_leistung", "AZ-P-1").get_json()
    api.as_("abh").get(f"/api/instances/{case['id']}")
    seal_municipality(session, municipality_id=api.world.municipality_id, at=clock.now())
    session.commit()
    for statement in ("UPDATE audit_seal SET hash = 'x'", "DELETE FROM audit_seal_entry",
                      "UPDATE access_log SET actor = 'x'"):
        with pytest.raises(DBAPIError, match="not allowed"):
            session.execute(text(statement))
        session.rollback()
    session.execute(text("DELETE FROM access_log"))  # pruning deletes old rows
    session.rollback()
    with attacker(session) as sql:  # a DBA can still switch the triggers off; verify is the backstop
        sql("UPDATE audit_seal SET hash = 'x'")
    assert not verify(session).ok


def test_steps_on_different_instances_never_wait_for_each_other(api, deployed, session, clock, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serializes every writer by design; PostgreSQL shows the absence of a global lock")
    first_case = walk(api, "AZ-P-2", finish=False)
    second_case = walk(api, "AZ-P-3", finish=False)
    mid = api.world.municipality_id
    session.commit()
    busy, other = Session(db.engine), Session(db.engine)
    try:
        # Transaction 1, still open: a step on the first case, an admin action and a ledger seal.
        locked = orchestration.lock_instance(busy, first_case["id"], mid)
        audit.record(busy, municipality_id=mid, kind="task_claimed", actor="abh", at=clock.now(), instance=locked,
                     payload={"note": "in progress"})
        audit.record(busy, municipality_id=mid, kind="token_created", actor="admin", at=clock.now())
        busy.flush()
        assert seal_municipality(busy, municipality_id=mid, at=clock.now()) is not None
        # Transaction 2 would fail instead of waiting if anything above blocked it.
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        instance = orchestration.lock_instance(other, second_case["id"], mid)
        audit.record(other, municipality_id=mid, kind="task_claimed", actor="jc", at=clock.now(), instance=instance,
                     details={"old": None, "new": "jc"}, payload={"note": "also in progress"})
        other.commit()
    finally:
        busy.rollback()
        busy.close()
        other.close()
    session.expire_all()
    assert session.scalar(select(ProcessInstance.audit_seq).where(ProcessInstance.id == second_case["id"])) == 6
    assert verify(session).ok
