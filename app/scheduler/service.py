"""Firing due BPMN timers: each instance in its own transaction, claimed so that it fires once."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import orchestration
from app.clock import Clock
from app.directory.service import system_principal
from app.instances import messages
from app.instances.models import ProcessInstance
from app.metrics import TIMER_LAG

log = logging.getLogger(__name__)
STUCK_BACKOFF = timedelta(minutes=1)


def _claim_next(session: Session, now) -> ProcessInstance | None:
    # SKIP LOCKED: another scheduler process already working on an instance simply takes the next one.
    return session.scalar(
        select(ProcessInstance)
        # Strictly earlier: SpiffWorkflow fires a timer only once its due time has passed.
        .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at < now)
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def fire_one(session: Session, *, clock: Clock) -> int | None:
    """Fire the timers of the most overdue instance; return its id, or None when nothing is due. Commits."""
    now = clock.now()
    instance = _claim_next(session, now)
    if instance is None:
        return None
    instance_id = instance.id
    due_before = instance.next_timer_at
    if due_before is not None:  # always set: _claim_next picks only instances with a due timer
        TIMER_LAG.observe(max(0.0, (now - due_before).total_seconds()))
    try:
        messages.step(session, instance, orchestration.Operation("timer"),
                      actor=system_principal(instance.municipality_id), clock=clock)
    except orchestration.IncidentRaised as exc:
        log.warning("timer step of instance %s failed: %s", instance_id, exc.message)
    if instance.status == "running" and instance.next_timer_at is not None and instance.next_timer_at < now:
        # The engine did not consider the timer due (clock skew?); don't spin on it every tick.
        log.warning("instance %s: timer due at %s did not fire; retrying in %s", instance_id, due_before, STUCK_BACKOFF)
        instance.next_timer_at = now + STUCK_BACKOFF
    session.commit()
    return instance_id


def next_due_at(session: Session) -> datetime | None:
    """The earliest timer any running instance waits for (None when none waits)."""
    return session.scalar(select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.status == "running"))


def fire_due_timers(session: Session, *, clock: Clock, limit: int = 1000) -> list[int]:
    """Fire every instance whose next timer is due (at most `limit` per call); return their ids."""
    fired: list[int] = []
    while len(fired) < limit:
        instance_id = fire_one(session, clock=clock)
        if instance_id is None:
            break
        fired.append(instance_id)
    return fired
