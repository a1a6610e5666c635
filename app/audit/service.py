"""Writing and reading the audit trail.

Each instance's events form a hash chain whose head (`audit_seq`, `audit_head`) lives on the instance
row, which the caller already holds locked for the step: extending a chain takes no other lock, so steps
on different instances never wait for each other. Events without an instance (deployments, users,
tokens) form one chain per municipality, serialized by a row lock on the municipality that does not
conflict with the key-share locks running steps take through their foreign keys.

An instance's events are written at the session's next flush, all of a flush in one INSERT per table
(no ORM objects, no ids fetched back): a step's events then cost two statements, not one per event. The
instance row, whose head `record` moves, is written by the same flush. Rows recorded inside a savepoint
that is rolled back are dropped with it.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from app.audit.hashing import event_hash, normalize, payload_hash
from app.audit.models import EVENT_KINDS, AuditEvent, AuditPayload
from app.directory.models import Municipality
from app.instances.models import ProcessInstance

__all__ = ["record", "event_hash", "instance_events", "instance_trail", "event_view", "payloads_by_hash",
           "lock_municipality_chain", "write_pending", "Recorded"]

_UNWRITTEN = "lotse_audit_unwritten"
WRITTEN_MUNICIPALITIES = "lotse_audit_written_municipalities"
_EVENT_INSERT = insert(cast(Table, AuditEvent.__table__)).inline()  # no ids fetched back (the rows are never read here)
_PAYLOAD_INSERT = insert(cast(Table, AuditPayload.__table__)).inline()


@dataclass(slots=True)
class Recorded:
    """An event as recorded: the hashed fields and the hash (the row itself is written at the next flush)."""

    municipality_id: int
    instance_id: int | None
    seq: int
    occurred_at: datetime
    actor: str
    office: str | None
    kind: str
    element_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str = ""


@dataclass(slots=True)
class _Unwritten:
    transaction: SessionTransaction | None
    event: dict[str, Any]
    payload: dict[str, Any] | None


def record(session: Session, *, municipality_id: int, kind: str, actor: str, at: datetime,
           instance: ProcessInstance | None = None, office: str | None = None, element_id: str | None = None,
           details: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> Recorded:
    """Append an event to its instance's chain (the instance row is locked) or to the municipality chain.

    `payload` is personal content (form data, message payloads, names): it is stored apart and only its
    salted hash enters the hashed event, so it can be erased later without breaking the chain.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind '{kind}'")
    details = normalize(details or {})
    instance_id = instance.id if instance is not None else None
    payload_row = None
    if payload:
        payload_row = _payload_row(municipality_id, instance_id, payload, at)
        details["payload_sha256"] = payload_row["sha256"]
    if instance is not None:
        seq, prev = instance.audit_seq + 1, instance.audit_head
    else:
        seq, prev = _next_in_municipality_chain(session, municipality_id)
    row: dict[str, Any] = {
        "municipality_id": municipality_id, "instance_id": instance_id, "seq": seq, "occurred_at": at,
        "actor": actor, "office": office, "kind": kind, "element_id": element_id, "details": details,
        "prev_hash": prev}
    recorded = Recorded(**row)
    row["hash"] = recorded.hash = event_hash(recorded)
    session.info.setdefault(_UNWRITTEN, []).append(_Unwritten(_innermost(session), row, payload_row))
    if instance is not None:
        instance.audit_seq, instance.audit_head = seq, recorded.hash
    else:
        # The municipality chain's next event reads this one back: write it now (admin actions are rare).
        write_pending(session)
    return recorded


def write_pending(session: Session) -> None:
    """Insert the events (and payloads) recorded but not yet written; runs before every flush and commit."""
    unwritten = session.info.get(_UNWRITTEN)
    if not unwritten:
        return
    session.info[_UNWRITTEN] = []
    # The sealer seals these municipalities' grown chains shortly after the commit (app/audit/sealer.py).
    session.info.setdefault(WRITTEN_MUNICIPALITIES, set()).update(item.event["municipality_id"] for item in unwritten)
    connection = session.connection()
    payloads = [item.payload for item in unwritten if item.payload is not None]
    if payloads:
        connection.execute(_PAYLOAD_INSERT, payloads)
    connection.execute(_EVENT_INSERT, [item.event for item in unwritten])


def _innermost(session: Session) -> SessionTransaction | None:
    # Callers outside app/ (tests, scripts) may hand in Flask-SQLAlchemy's scoped proxy, which lacks these two.
    real = session() if isinstance(session, scoped_session) else session
    return real.get_nested_transaction() or real.get_transaction()


@orm_event.listens_for(Session, "before_flush")
def _write_before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    write_pending(session)


@orm_event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


@orm_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    unwritten = session.info.get(_UNWRITTEN)
    if not unwritten:
        return
    if not previous.nested:
        session.info[_UNWRITTEN] = []
        return
    session.info[_UNWRITTEN] = [item for item in unwritten if not _within(item.transaction, previous)]


@orm_event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.get(_UNWRITTEN):
        session.info[_UNWRITTEN] = []  # closed without commit: nothing of it was written


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def lock_municipality_chain(session: Session, municipality_id: int) -> None:
    """Serialize writers of a municipality's own chain and its ledger (FOR NO KEY UPDATE on PostgreSQL).

    NO KEY UPDATE rather than UPDATE: inserts referencing the municipality (every step writes some) take
    KEY SHARE locks, which this lock lets through; only other chain writers and sealers wait.
    """
    session.execute(select(Municipality.id).where(Municipality.id == municipality_id)
                    .with_for_update(key_share=True))


def _next_in_municipality_chain(session: Session, municipality_id: int) -> tuple[int, str]:
    lock_municipality_chain(session, municipality_id)
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(
        AuditEvent.municipality_id == municipality_id, AuditEvent.instance_id.is_(None),
    ).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (last.seq + 1, last.hash) if last else (1, "")


def _payload_row(municipality_id: int, instance_id: int | None, content: dict[str, Any],
                 at: datetime) -> dict[str, Any]:
    salt = secrets.token_hex(16)
    content = normalize(content)
    return {"municipality_id": municipality_id, "instance_id": instance_id, "sha256": payload_hash(salt, content),
            "salt": salt, "content": content, "created_at": at, "erased_at": None}


def instance_events(session: Session, instance_id: int) -> list[AuditEvent]:
    """All events of an instance in chain order."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))


def payloads_by_hash(session: Session, municipality_id: int, hashes: Iterable[str]) -> dict[str, AuditPayload]:
    """The payload rows of the given hashes (present or tombstoned)."""
    wanted = sorted(set(hashes))
    found: dict[str, AuditPayload] = {}
    for start in range(0, len(wanted), 500):  # stay below the bind-parameter limits of both databases
        rows = session.scalars(select(AuditPayload).where(AuditPayload.municipality_id == municipality_id,
                                                          AuditPayload.sha256.in_(wanted[start:start + 500])))
        found.update((row.sha256, row) for row in rows)
    return found


def event_view(event: AuditEvent, payloads: dict[str, AuditPayload]) -> dict[str, Any]:
    """An event as the API and the export show it: the hashed fields plus its payload (None once erased)."""
    sha = (event.details or {}).get("payload_sha256")
    row = payloads.get(sha) if sha else None
    return {
        "municipality_id": event.municipality_id, "instance_id": event.instance_id, "seq": event.seq,
        "occurred_at": event.occurred_at, "actor": event.actor, "office": event.office, "kind": event.kind,
        "element_id": event.element_id, "details": event.details,
        "payload": row.content if row is not None else None,
        "payload_erased": bool(sha) and (row is None or row.content is None),
        "prev_hash": event.prev_hash, "hash": event.hash,
    }


def instance_trail(session: Session, instance: ProcessInstance) -> list[dict[str, Any]]:
    """The events of an instance with their payloads, in chain order."""
    events = instance_events(session, instance.id)
    hashes = [e.details["payload_sha256"] for e in events if (e.details or {}).get("payload_sha256")]
    payloads = payloads_by_hash(session, instance.municipality_id, hashes)
    return [event_view(e, payloads) for e in events]
