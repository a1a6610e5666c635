"""The audit trail: append-only events, hash-chained per instance."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import db

EVENT_KINDS = (
    "definition_deployed", "form_deployed", "instance_started", "instance_completed", "instance_cancelled",
    "task_created", "task_claimed", "task_unclaimed", "task_completed", "task_cancelled", "gateway_decided",
    "timer_fired", "message_correlated", "incident_raised", "incident_retried",
)


class AuditEvent(db.Model):
    """One state change: who, when, which office, what element, old and new values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance_seq", "instance_id", "seq", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    office: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
