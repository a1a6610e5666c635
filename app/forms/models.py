"""Form definitions: JSON Schema plus UI hints, versioned per municipality and key."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model


class FormDefinition(Model):
    """A form a user task refers to by its form key."""

    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("municipality_id", "key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
