"""Process instances (cases), their message subscriptions and incidents."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model

INSTANCE_STATUSES = ("running", "incident", "completed", "cancelled")


class ProcessInstance(Model):
    """A running or finished case; `revision` guards against lost updates."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_business_key", "municipality_id", "business_key"),
        Index("ix_process_instance_status", "municipality_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running")
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    audit_seq: Mapped[int] = mapped_column(default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the case's personal data was erased (on request or after its retention period).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A designer's test case: marked on every screen, left out of statistics and the heatmap (docs/ui.md).
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false())

    __mapper_args__ = {"version_id_col": revision}


class MessageWait(Model):
    """A message an instance waits for; kept in step with the engine so correlation is a lookup."""

    __tablename__ = "message_wait"
    __table_args__ = (Index("ix_message_wait_lookup", "municipality_id", "message_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    message_name: Mapped[str] = mapped_column(String(200))


class Incident(Model):
    """A failed step: the element, the message, and the operation to retry."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    operation: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class PendingMessage(Model):
    """A message thrown by an instance (the outbox), until it is delivered to another case (or expires)."""

    __tablename__ = "pending_message"
    __table_args__ = (Index("ix_pending_message_open", "status", "municipality_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    name: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | expired | erased
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    target_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
