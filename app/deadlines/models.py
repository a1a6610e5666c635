"""In-app notifications (escalations, reminders) — the default Notifier's storage."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model


class Notification(Model):
    """A message to one user about a task (escalation, second-level escalation, reminder)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient", "recipient_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CaseClock(Model):
    """A clock bound to a case by name (lotse:clock): armed once, kept when a loop re-arms its timer."""

    __tablename__ = "case_clock"
    __table_args__ = (UniqueConstraint("instance_id", "name", name="uq_case_clock_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    element_id: Mapped[str] = mapped_column(String(200))
    due_from: Mapped[date | None] = mapped_column(Date())
    due_from_label: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    legal_source: Mapped[str | None] = mapped_column(String(300))
    legal: Mapped[bool | None] = mapped_column(Boolean())
    against: Mapped[str | None] = mapped_column(String(10))
    armed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
