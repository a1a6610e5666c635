"""The access log: who read a case's data (task detail, instance detail, trail, export).

Kept apart from the process trail on purpose: it serves data-protection control only (§ 67c Abs. 4
SGB X), has its own short retention (§ 79 SGB X; default six months) and is pruned by the scheduler.
Rows are never updated (a PostgreSQL trigger refuses it); pruning deletes whole old rows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from app.audit.models import ACCESS_ACTIONS, AccessLogEntry
from app.directory.service import Principal
from app.errors import Forbidden

ACCESS_LOG_READERS = ("admin",)


def record_access(session: Session, *, municipality_id: int, actor: str, action: str, at: datetime,
                  office: str | None = None, instance_id: int | None = None, task_id: int | None = None,
                  details: dict[str, Any] | None = None) -> AccessLogEntry:
    """Append one read to the access log."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access action '{action}'")
    entry = AccessLogEntry(municipality_id=municipality_id, occurred_at=at, actor=actor, office=office,
                           action=action, instance_id=instance_id, task_id=task_id, details=details or {})
    session.add(entry)
    return entry


def record_read(session: Session, *, reader: Principal, action: str, at: datetime, instance_id: int | None = None,
                task_id: int | None = None, details: dict[str, Any] | None = None) -> AccessLogEntry:
    """Log a read by an authenticated caller, with the offices they read for."""
    return record_access(session, municipality_id=reader.municipality_id, actor=reader.username, action=action,
                         at=at, office=", ".join(sorted(reader.office_names)) or None, instance_id=instance_id,
                         task_id=task_id, details={"roles": sorted(reader.roles), **(details or {})})


def list_access(session: Session, *, actor: Principal, instance_id: int | None = None, username: str | None = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[AccessLogEntry], int]:
    """The caller's municipality's access log, newest first (admins only: the log is purpose-bound)."""
    if not actor.has(*ACCESS_LOG_READERS):
        raise Forbidden("only admins read the access log")
    query = select(AccessLogEntry).where(AccessLogEntry.municipality_id == actor.municipality_id)
    if instance_id is not None:
        query = query.where(AccessLogEntry.instance_id == instance_id)
    if username:
        query = query.where(AccessLogEntry.actor == username)
    if since is not None:
        query = query.where(AccessLogEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AccessLogEntry.occurred_at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def prune_access_log(session: Session, *, before: datetime) -> int:
    """Delete access-log rows older than `before` (all municipalities); return how many."""
    result = session.execute(delete(AccessLogEntry).where(AccessLogEntry.occurred_at < before))
    return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result is a cursor result
