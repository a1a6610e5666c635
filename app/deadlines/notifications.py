"""The signed-in user's notifications (escalations, reminders, assignments): list, count, mark read."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.deadlines.models import Notification
from app.directory.service import Principal
from app.errors import NotFound


def list_notifications(session: Session, *, actor: Principal, unread: bool = False, limit: int = 50,
                       offset: int = 0) -> tuple[list[Notification], int]:
    """The actor's notifications, newest first."""
    query = select(Notification).where(Notification.recipient_id == actor.user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def unread_count(session: Session, *, actor: Principal) -> int:
    """How many of the actor's notifications are unread (the bell's number)."""
    if actor.user_id is None:
        return 0
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == actor.user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, *, actor: Principal, notification_id: int, clock: Clock) -> Notification:
    """Mark one of the actor's notifications read (404 for anyone else's)."""
    note = session.get(Notification, notification_id)
    if note is None or note.recipient_id != actor.user_id:
        raise NotFound(f"notification {notification_id} not found")
    note.read_at = note.read_at or clock.now()
    session.flush()
    return note


def mark_all_read(session: Session, *, actor: Principal, clock: Clock) -> int:
    """Mark all of the actor's unread notifications read; returns how many."""
    result = session.execute(update(Notification).where(
        Notification.recipient_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=clock.now()))
    return cast(CursorResult[Any], result).rowcount or 0  # an UPDATE's result is a cursor result
