"""Case-file tables: entries (what one office wrote at one step), releases (hand-offs) and consents."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model

ENTRY_KINDS = ("start", "task", "message")


class CaseEntry(Model):
    """An append-only fact of a case: the fields one office (the controller) wrote at one step.

    `categories` maps each field to its data category (catalogue id; missing = unknown, readable only by
    the owning office). Erasure empties `fields` and sets `erased_at`; restriction (§ 84 SGB X) sets
    `restricted_at` and keeps the content for those who must keep it, unreadable to everyone else.
    """

    __tablename__ = "case_entry"
    __table_args__ = (Index("ix_case_entry_instance", "instance_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    author: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(20))
    element_id: Mapped[str | None] = mapped_column(String(200))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    categories: Mapped[dict[str, Any]] = mapped_column(JSON)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    restricted_reason: Mapped[str | None] = mapped_column(Text)


class CaseRelease(Model):
    """A hand-off: categories of other offices' entries (up to `upto_entry_id`) released to one office."""

    __tablename__ = "case_release"
    __table_args__ = (Index("ix_case_release_instance", "instance_id", "to_office_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    to_office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    categories: Mapped[list[str]] = mapped_column(JSON)
    legal_basis: Mapped[str | None] = mapped_column(String(64))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consent.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(200))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    upto_entry_id: Mapped[int] = mapped_column(default=0)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class Consent(Model):
    """A consent in the register (§ 67b Abs. 2 SGB X): one purpose, its recipients and categories."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_person", "municipality_id", "business_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    business_key: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    given_by: Mapped[str] = mapped_column(String(200))
    legal_representative: Mapped[str | None] = mapped_column(String(200))
    informed_purpose: Mapped[bool] = mapped_column(default=False)
    informed_recipients: Mapped[bool] = mapped_column(default=False)
    informed_withdrawal: Mapped[bool] = mapped_column(default=False)
    form: Mapped[str] = mapped_column(String(20), default="schriftlich")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
