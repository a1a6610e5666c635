"""Human tasks: the inbox rows, one per READY user task of an instance."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model

TASK_STATUSES = ("open", "completed", "cancelled")
# Partial indexes cover open tasks only (about a tenth of the table); queries must say status = 'open' literally.
OPEN_ONLY = "status = 'open'"


class HumanTask(Model):
    """A user task waiting in an office inbox; inbox and overdue views are indexed queries here."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_inbox", "municipality_id", "office_id", "status", "due_at"),
        Index("ix_human_task_assignee", "assignee", "status"),
        Index("ix_human_task_due", "status", "due_at"),
        # Supervisor insights (app/insights): hand-off times per office, per activity, recent escalations.
        Index("ix_human_task_completed", "municipality_id", "status", "completed_at"),
        Index("ix_human_task_activity", "municipality_id", "process_key", "status", "completed_at"),
        Index("ix_human_task_escalated", "municipality_id", "escalated_at"),
        # The office inbox in its sort order (due date, nulls last, then id) and the per-office overdue summary,
        # both answered from the index alone (assignee and escalated_at included). On PostgreSQL, migration
        # f6a7b8c9d0e1 also creates statistics st_human_task_municipality_office (office implies municipality).
        Index("ix_human_task_open_office", "municipality_id", "office_id", "due_at", "id",
              postgresql_include=["assignee", "escalated_at"],
              postgresql_where=text(OPEN_ONLY), sqlite_where=text(OPEN_ONLY)),
        # Open tasks per activity (overdue summary, process heatmap), grouped in index order.
        Index("ix_human_task_open_activity", "municipality_id", "process_key", "element_id", "name",
              postgresql_include=["created_at", "due_at"],
              postgresql_where=text(OPEN_ONLY), sqlite_where=text(OPEN_ONLY)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    process_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    assignee: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    form_key: Mapped[str | None] = mapped_column(String(200))
    calendar: Mapped[str | None] = mapped_column(String(20))
    legal_source: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Legal clocks (app/deadlines/clocks.py): where the clock started, legal deadline or internal target,
    # 'person' for a clock running against the person, and a pause (app/deadlines/pause.py): while paused,
    # due_at is empty (no overdue view or escalation counts it) and paused_due_at keeps the end it had.
    due_from: Mapped[date | None] = mapped_column(Date())
    due_from_label: Mapped[str | None] = mapped_column(String(200))
    legal: Mapped[bool | None] = mapped_column(Boolean())
    against: Mapped[str | None] = mapped_column(String(10))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pause_mode: Mapped[str | None] = mapped_column(String(20))
    pause_reason: Mapped[str | None] = mapped_column(String(300))
    paused_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # due_at is empty while paused
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    second_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}
