"""Deployed process definitions: one row per version, with the spec serialized once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model


class ProcessDefinition(Model):
    """A version of a process key in a municipality; running instances stay on their version."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("municipality_id", "key", "version"),
        Index("ix_process_definition_sha", "municipality_id", "key", "sha256"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    dialect: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    # The documents are large and read rarely (diagram, download, first use in a process): loaded on access,
    # so that a step, which reads its definition row for the summary, does not fetch them every time.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    normalized_xml: Mapped[str] = mapped_column(Text, deferred=True)
    spec_document: Mapped[str] = mapped_column(Text, deferred=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # ISO 8601 duration after a case's end when its personal data is erased (None: kept until erased by hand).
    retention: Mapped[str | None] = mapped_column(String(40))
