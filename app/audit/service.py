"""Writing and reading the audit trail."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import EVENT_KINDS, AuditEvent
from app.instances.models import ProcessInstance


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "municipality_id": event.municipality_id, "instance_id": event.instance_id, "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(), "actor": event.actor, "office": event.office,
        "kind": event.kind, "element_id": event.element_id, "details": event.details, "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the canonical serialization of an event (including the previous hash)."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(session: Session, *, municipality_id: int, kind: str, actor: str, at: datetime,
           instance: ProcessInstance | None = None, office: str | None = None, element_id: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEvent:
    """Append an event; instance events extend that instance's hash chain (the instance row is locked)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind '{kind}'")
    seq, prev = 0, ""
    if instance is not None:
        seq, prev = instance.audit_seq + 1, instance.audit_head
    event = AuditEvent(municipality_id=municipality_id, instance_id=instance.id if instance else None, seq=seq,
                       occurred_at=at, actor=actor, office=office, kind=kind, element_id=element_id,
                       details=details or {}, prev_hash=prev)
    event.hash = event_hash(event)
    if instance is not None:
        instance.audit_seq, instance.audit_head = seq, event.hash
    session.add(event)
    return event


def instance_events(session: Session, instance_id: int) -> list[AuditEvent]:
    """All events of an instance in chain order."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                .order_by(AuditEvent.seq)))
