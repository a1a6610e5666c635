"""The audit trail: append-only events hash-chained per instance, erasable payloads, the sealing ledger, access log.

Chains: every instance has its own chain (`instance_id` set, head kept on the instance row); events without
an instance (deployments, users, tokens) form one chain per municipality (`instance_id` NULL). The ledger
(`audit_seal` + `audit_seal_entry`) periodically records the heads of all chains that grew, itself a hash
chain per municipality. The access log is a separate table with its own retention.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model

EVENT_KINDS = (
    "definition_deployed", "form_deployed", "instance_started", "instance_completed", "instance_cancelled",
    "task_created", "task_claimed", "task_unclaimed", "task_completed", "task_cancelled", "gateway_decided",
    "timer_fired", "message_correlated", "message_sent", "incident_raised", "incident_retried", "escalated",
    "reminder_sent", "due_date_changed", "task_reassigned", "erased", "retention_changed", "user_created",
    "user_changed", "user_deactivated", "role_granted", "role_revoked", "token_created", "token_revoked",
    "deadline_paused", "deadline_resumed",
    # The case file (app/casefile): hand-offs, conflicts at joins, consents, restriction.
    "data_released", "data_release_refused", "data_conflict", "consent_recorded", "consent_withdrawn",
    "data_restricted", "message_refused",
    "login_throttled", "password_changed", "directory_sign_in",
    # Compatibility (app/definitions/migration, app/external): case migration and external task jobs.
    "instance_migrated", "external_task_locked", "external_task_completed", "external_task_failed",
)
ACCESS_ACTIONS = ("task_detail", "instance_detail", "audit_trail", "audit_export")


class AuditEvent(Model):
    """One state change: who, when, which office, what element, old and new values (never updated)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_instance_seq", "instance_id", "seq", unique=True),
        # A municipality's events in chain order (verify --municipality, export by municipality).
        Index("ix_audit_event_municipality_instance_seq", "municipality_id", "instance_id", "seq"),
        # The municipality chain (events without an instance) has its own gap-free sequence.
        Index("ix_audit_event_municipality_chain", "municipality_id", "seq", unique=True,
              postgresql_where=text("instance_id IS NULL"), sqlite_where=text("instance_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
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


class AuditPayload(Model):
    """Personal content of an event, kept apart so erasure leaves the chain intact.

    The key is a salted SHA-256 of the content: the event commits to it, yet once content and salt are
    gone (tombstone) the hash can no longer be used to confirm a guessed value, and two cases with equal
    content never share a row (erasing one leaves the other).
    """

    __tablename__ = "audit_payload"
    __table_args__ = (UniqueConstraint("municipality_id", "sha256"),
                      Index("ix_audit_payload_municipality_instance", "municipality_id", "instance_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str | None] = mapped_column(String(32))
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditSeal(Model):
    """One entry of a municipality's ledger: the chain heads that grew since the previous seal."""

    __tablename__ = "audit_seal"
    __table_args__ = (UniqueConstraint("municipality_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    seq: Mapped[int]
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entry_count: Mapped[int]
    entries_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditSealEntry(Model):
    """A chain head as sealed: instance (NULL = the municipality chain), sequence number and event hash."""

    __tablename__ = "audit_seal_entry"
    __table_args__ = (Index("ix_audit_seal_entry_chain", "municipality_id", "instance_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seal_id: Mapped[int] = mapped_column(ForeignKey("audit_seal.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    # No foreign key on purpose: inserting one would KEY SHARE-lock the instance row, which waits for (and
    # then blocks) the FOR UPDATE of a running step. The ledger must also outlive what it testifies about.
    instance_id: Mapped[int | None]
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class AuditSealedHead(Model):
    """Bookkeeping for the sealer: the last sealed sequence of each instance chain (not trusted by verify)."""

    __tablename__ = "audit_sealed_head"
    instance_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # no FK: see AuditSealEntry
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    seq: Mapped[int]


class AccessLogEntry(Model):
    """Who read a case's data; kept apart from the process trail, used only for data-protection control."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_time", "municipality_id", "occurred_at"),
        Index("ix_access_log_instance", "instance_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    office: Mapped[str | None] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(40))
    # No foreign keys: the log must outlive nothing and block nothing; ids are kept as plain references.
    instance_id: Mapped[int | None]
    task_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
