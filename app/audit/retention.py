"""Retention periods: per process definition (after a case ends) and for the access log."""
from __future__ import annotations

from datetime import datetime, timedelta

import isodate
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.definitions.models import ProcessDefinition
from app.errors import Invalid
from app.instances.models import ProcessInstance

ENDED = ("completed", "cancelled")


def parse_retention(value: str) -> timedelta | isodate.Duration:
    """A positive ISO 8601 duration such as P10Y, P6M or P30D; Invalid otherwise."""
    try:
        duration = isodate.parse_duration(value.strip())
    except (isodate.ISO8601Error, ValueError, AttributeError) as exc:
        raise Invalid(f"retention '{value}' is not an ISO 8601 duration (e.g. P10Y, P6M, P30D)",
                      details={"fields": {"retention": "ISO 8601 duration"}}) from exc
    reference = datetime(2000, 1, 1)
    if reference + duration <= reference:
        raise Invalid(f"retention '{value}' must be longer than zero", details={"fields": {"retention": "positive"}})
    return duration


def cutoff(now: datetime, retention: str) -> datetime:
    """Cases that ended before this instant have outlived a retention period."""
    return now - parse_retention(retention)


def expired_instances(session: Session, *, now: datetime, limit: int = 1000) -> list[int]:
    """Ended, not yet erased instances whose definition's retention period has passed (oldest first)."""
    found: list[int] = []
    definitions = session.execute(select(ProcessDefinition.id, ProcessDefinition.retention)
                                  .where(ProcessDefinition.retention.is_not(None)).order_by(ProcessDefinition.id))
    # One indexed query per definition version with a retention: the cutoff differs per definition.
    for definition_id, retention in definitions.all():
        if len(found) >= limit:
            break
        assert retention is not None  # the query selects only definitions that have one
        found += session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.definition_id == definition_id, ProcessInstance.status.in_(ENDED),
            ProcessInstance.erased_at.is_(None), ProcessInstance.ended_at <= cutoff(now, retention),
        ).order_by(ProcessInstance.ended_at, ProcessInstance.id).limit(limit - len(found)))
    return found
