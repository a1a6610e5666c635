"""In-app notifications (escalations, reminders) — the default Notifier's storage."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
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
