"""Sealing chain heads into the municipality ledger.

A seal records, for every chain of a municipality that grew since it was last sealed, its head
(sequence number and hash), and is itself chained to the previous seal. With the heads sealed, deleting
an instance's whole chain (events and head together) or cutting off its tail is detected: the ledger
still names what was there. Sealing takes the municipality's chain lock (not the instance rows): steps
go on while a seal is written, their newer heads go into the next seal.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.audit.hashing import entries_digest, seal_hash
from app.audit.models import AuditEvent, AuditSeal, AuditSealedHead, AuditSealEntry
from app.audit.service import lock_municipality_chain
from app.directory.models import Municipality
from app.instances.models import ProcessInstance

MAX_ENTRIES_PER_SEAL = 5000


def ledger_head(session: Session, municipality_id: int) -> AuditSeal | None:
    """The newest seal of a municipality (its hash is what to keep outside the database)."""
    return session.scalar(select(AuditSeal).where(AuditSeal.municipality_id == municipality_id)
                          .order_by(AuditSeal.seq.desc()).limit(1))


def _municipality_chain_entry(session: Session, municipality_id: int) -> list[tuple[int | None, int, str]]:
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(
        AuditEvent.municipality_id == municipality_id, AuditEvent.instance_id.is_(None),
    ).order_by(AuditEvent.seq.desc()).limit(1)).first()
    sealed = session.scalar(select(func.max(AuditSealEntry.seq)).where(
        AuditSealEntry.municipality_id == municipality_id, AuditSealEntry.instance_id.is_(None)))
    if head is None or head.seq <= (sealed or 0):
        return []
    return [(None, head.seq, head.hash)]


def _grown_instance_chains(session: Session, municipality_id: int, limit: int) -> list[tuple[int, int, str]]:
    # audit_seq/audit_head are committed together with the events they point to, so each row read here
    # names events that exist; a step committing meanwhile is simply sealed next time.
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.audit_seq, ProcessInstance.audit_head)
        .outerjoin(AuditSealedHead, AuditSealedHead.instance_id == ProcessInstance.id)
        .where(ProcessInstance.municipality_id == municipality_id,
               ProcessInstance.audit_seq > func.coalesce(AuditSealedHead.seq, 0))
        .order_by(ProcessInstance.id).limit(limit))
    return [(r.id, r.audit_seq, r.audit_head) for r in rows]


def seal_municipality(session: Session, *, municipality_id: int, at: datetime,
                      max_entries: int = MAX_ENTRIES_PER_SEAL) -> AuditSeal | None:
    """Seal the chain heads that grew since the last seal; None when nothing grew. Flushes only."""
    lock_municipality_chain(session, municipality_id)
    entries = _municipality_chain_entry(session, municipality_id)
    entries += _grown_instance_chains(session, municipality_id, max_entries - len(entries))
    if not entries:
        return None
    previous = ledger_head(session, municipality_id)
    seal = AuditSeal(municipality_id=municipality_id, seq=previous.seq + 1 if previous else 1, sealed_at=at,
                     entry_count=len(entries), entries_sha256=entries_digest(entries),
                     prev_hash=previous.hash if previous else "")
    seal.hash = seal_hash(seal)
    session.add(seal)
    session.flush()
    session.execute(insert(AuditSealEntry), [
        {"seal_id": seal.id, "municipality_id": municipality_id, "instance_id": iid, "seq": seq, "hash": head}
        for iid, seq, head in entries])
    _remember_sealed(session, municipality_id, [(iid, seq) for iid, seq, _ in entries if iid is not None])
    session.flush()
    return seal


def _remember_sealed(session: Session, municipality_id: int, heads: list[tuple[int, int]]) -> None:
    if not heads:
        return
    ids = [iid for iid, _ in heads]
    known: set[int] = set()
    for start in range(0, len(ids), 500):
        known.update(session.scalars(select(AuditSealedHead.instance_id).where(
            AuditSealedHead.instance_id.in_(ids[start:start + 500]))))
    updates = [{"instance_id": iid, "seq": seq} for iid, seq in heads if iid in known]
    inserts = [{"instance_id": iid, "municipality_id": municipality_id, "seq": seq}
               for iid, seq in heads if iid not in known]
    if updates:
        session.execute(update(AuditSealedHead), updates)
    if inserts:
        session.execute(insert(AuditSealedHead), inserts)


def municipality_ids(session: Session) -> list[int]:
    """All municipality ids (the sealer visits each)."""
    return list(session.scalars(select(Municipality.id).order_by(Municipality.id)))
