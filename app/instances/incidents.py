"""Incidents: listing failed steps and retrying them."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, NotFound
from app.instances import messages
from app.instances.access import visible_instances
from app.instances.models import Incident, ProcessInstance


def list_incidents(session: Session, *, actor: Principal, status: str | None = "open", instance_id: int | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[Incident], int]:
    """Incidents on instances the caller may see, newest first."""
    visible = visible_instances(select(ProcessInstance.id), actor)
    query = select(Incident).where(Incident.municipality_id == actor.municipality_id, Incident.instance_id.in_(visible))
    if status:
        query = query.where(Incident.status == status)
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(Incident.id.desc()).limit(limit).offset(offset))), total


RETRIERS = ("admin",)


def may_retry(actor: Principal, incident: Incident) -> bool:
    """Whether `retry_incident` would re-run the incident's step now (admins; an open incident)."""
    return actor.has(*RETRIERS) and incident.status == "open"


def retry_incident(session: Session, *, actor: Principal, incident_id: int, clock: Clock,
                   data: dict[str, Any] | None = None) -> Incident:
    """Re-run the failed operation (admins); optional data is merged into the operation's data."""
    if not actor.has(*RETRIERS):
        raise Forbidden("only admins retry incidents")
    incident = session.get(Incident, incident_id)
    if incident is None or incident.municipality_id != actor.municipality_id:
        raise NotFound(f"incident {incident_id} not found")
    instance = orchestration.lock_instance(session, incident.instance_id, actor.municipality_id)
    session.refresh(incident)
    if incident.status != "open":
        raise Conflict(f"incident {incident_id} is {incident.status}, not open")
    op = orchestration.Operation.from_json(incident.operation)
    if data:
        op.data = {**(op.data or {}), **data}
    now = clock.now()
    incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, actor.username
    instance.status = "running"
    audit.record(session, municipality_id=instance.municipality_id, kind="incident_retried", actor=actor.username,
                 at=now, instance=instance, element_id=incident.element_id,
                 details={"incident_id": incident.id, "fields": sorted((data or {}).keys())})
    session.flush()
    messages.step(session, instance, op, actor=actor, clock=clock)
    if session.scalar(select(func.count()).select_from(Incident).where(
            Incident.instance_id == instance.id, Incident.status == "open")):
        instance.status = "incident"
    return incident
