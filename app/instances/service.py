"""Starting, reading and cancelling instances."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.definitions.service import latest
from app.directory.service import Principal
from app.errors import Forbidden, Invalid, NotFound
from app.instances import messages
from app.instances.access import visible_instances
from app.instances.models import INSTANCE_STATUSES, Incident, PendingMessage, ProcessInstance
from app.tasks.models import HumanTask


def start_instance(session: Session, *, actor: Principal, process_key: str, business_key: str,
                   data: dict[str, Any] | None, clock: Clock, definition_id: int | None = None,
                   co_start: bool = True) -> ProcessInstance:
    """Start a case on the newest version of a process (or a given version) and run it to its first wait.

    In a collaboration, the other pools that start without trigger start too (co_start).
    """
    business_key = messages.check_start(actor, business_key)
    if definition_id is not None:
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None or definition.municipality_id != actor.municipality_id:
            raise NotFound(f"definition {definition_id} not found")
    else:
        definition = latest(session, actor.municipality_id, process_key)
        if definition is None:
            raise NotFound(f"no process with key '{process_key}' is deployed")
    instance = messages.start_case(session, actor=actor, definition=definition, business_key=business_key,
                                   data=data, clock=clock)
    if co_start:
        _start_collaboration(session, actor=actor, definition=definition, business_key=business_key, clock=clock,
                             first=instance)
    return instance


def _start_collaboration(session: Session, *, actor: Principal, definition: ProcessDefinition, business_key: str,
                         clock: Clock, first: ProcessInstance) -> None:
    """The other pools of a collaboration that start without trigger join the case (same business key)."""
    started = [first.id]
    for key in definition.summary.get("co_starts", []):
        partner = latest(session, actor.municipality_id, key)
        if partner is None:
            continue
        try:
            started.append(start_instance(session, actor=actor, process_key=key, business_key=business_key,
                                          data=None, clock=clock, definition_id=partner.id, co_start=False).id)
        except orchestration.IncidentRaised as exc:  # that pool's case has an incident; the first one runs on
            started.append(exc.details["instance_id"])
    # Messages thrown before their receiver existed reach it now, not at the scheduler's next round.
    for message in session.scalars(select(PendingMessage).where(PendingMessage.status == "pending",
                                                                PendingMessage.source_instance_id.in_(started))):
        messages.deliver(session, message, clock=clock)


def get_instance(session: Session, *, actor: Principal, instance_id: int) -> ProcessInstance:
    """An instance the caller may see (404 otherwise)."""
    instance = session.scalar(visible_instances(select(ProcessInstance), actor)
                              .where(ProcessInstance.id == instance_id))
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def list_instances(session: Session, *, actor: Principal, status: str | None = None, process_key: str | None = None,
                   business_key: str | None = None, limit: int = 50, offset: int = 0,
                   is_test: bool | None = None) -> tuple[list[ProcessInstance], int]:
    """Instances the caller may see, newest first (`is_test`: only test cases, or only real ones)."""
    query = visible_instances(select(ProcessInstance), actor)
    if is_test is not None:
        query = query.where(ProcessInstance.is_test.is_(is_test))
    if status:
        if status not in INSTANCE_STATUSES:
            raise Invalid(f"unknown status '{status}'; one of {', '.join(INSTANCE_STATUSES)}")
        query = query.where(ProcessInstance.status == status)
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    if process_key:
        query = query.join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(
            ProcessDefinition.key == process_key)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # Newest by start, as the case list says (ids follow insertion, not the start of a case seeded from the past).
    rows = session.scalars(query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def instance_details(session: Session, instance: ProcessInstance) -> dict[str, Any]:
    """Status, definition, active tasks and open incidents of an instance (its content: app/casefile/access.py)."""
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                         HumanTask.status == "open").order_by(HumanTask.id)))
    incidents = list(session.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                            Incident.status == "open")))
    return {"definition": definition, "active_tasks": tasks, "incidents": incidents}


CANCELLERS = ("supervisor", "admin")
ENDED = ("completed", "cancelled")


def may_cancel(actor: Principal, instance: ProcessInstance) -> bool:
    """Whether `cancel_instance` would cancel the case now (supervisors and admins; a case not yet ended)."""
    return actor.has(*CANCELLERS) and instance.status not in ENDED


def cancel_instance(session: Session, *, actor: Principal, instance_id: int, clock: Clock,
                    reason: str | None = None) -> ProcessInstance:
    """Cancel a running case (supervisors and admins); its open tasks are withdrawn."""
    get_instance(session, actor=actor, instance_id=instance_id)
    if not actor.has(*CANCELLERS):
        raise Forbidden("only supervisors and admins cancel cases")
    instance = orchestration.lock_instance(session, instance_id, actor.municipality_id)
    if instance.status in ENDED:
        from app.errors import Conflict
        raise Conflict(f"instance {instance_id} is already {instance.status}")
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    engine = orchestration.engine_for(definition)
    wf = engine.restore(instance.state)
    wf.cancel()
    now = clock.now()
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.status == "open")):
        task.status, task.completed_at = "cancelled", now
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                           Incident.status == "open")):
        incident.status, incident.resolved_at, incident.resolved_by = "cancelled", now, actor.username
    instance.state = engine.dump_state(wf)
    instance.status, instance.ended_at = "cancelled", now
    orchestration.clear_instance_waits(session, instance)
    audit.record(session, municipality_id=instance.municipality_id, kind="instance_cancelled", actor=actor.username,
                 at=now, instance=instance, payload={"reason": reason} if reason else None)  # free text: erasable
    session.flush()
    return instance
