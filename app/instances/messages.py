"""Correlating messages to waiting instances or to message start events."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import orchestration
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances.models import MessageWait, ProcessInstance
from app.instances.service import start_instance

SENDERS = ("clerk", "lead", "supervisor", "admin")


def correlate(session: Session, *, actor: Principal, name: str, clock: Clock, business_key: str | None = None,
              instance_id: int | None = None, payload: dict[str, Any] | None = None,
              exclude_instance_id: int | None = None, arrived_at: datetime | None = None) -> dict[str, Any]:
    """Deliver a message: to the one instance waiting for it, else to the one process it starts.

    A person's office must be among the senders the receiving element declares (lotse:senders); otherwise
    the answer is the same 404 as when nothing waits, so it does not tell whether the case exists.
    """
    if not actor.has(*SENDERS, "system"):
        raise Forbidden("your role may not send messages")
    if not name:
        raise Invalid("message name is required")
    mid = actor.municipality_id
    query = (select(MessageWait.instance_id).join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
             .where(MessageWait.municipality_id == mid, MessageWait.message_name == name,
                    ProcessInstance.status == "running"))
    if business_key:
        query = query.where(ProcessInstance.business_key == business_key)
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    if exclude_instance_id is not None:
        query = query.where(ProcessInstance.id != exclude_instance_id)
    waiting = sorted(set(session.scalars(query)))
    if len(waiting) > 1:
        raise Conflict(f"message '{name}' matches {len(waiting)} waiting instances; give business_key or instance_id",
                       details={"instance_ids": waiting})
    if waiting and not may_send(session, actor, name, instance_id=waiting[0]):
        raise NotFound(_nothing_waits(name, business_key))
    if waiting:
        instance = orchestration.lock_instance(session, waiting[0], mid)
        orchestration.execute(session, instance, orchestration.Operation("message", message_name=name,
                                                                        data=payload or {}),
                              actor=actor, clock=clock)
        return {"instance_id": instance.id, "started": False}
    if instance_id is not None:
        raise NotFound(f"instance {instance_id} does not wait for message '{name}'")
    return _start_by_message(session, actor=actor, name=name, business_key=business_key, payload=payload, clock=clock,
                             arrived_at=arrived_at)


def _start_by_message(session: Session, *, actor: Principal, name: str, business_key: str | None,
                      payload: dict[str, Any] | None, clock: Clock,
                      arrived_at: datetime | None = None) -> dict[str, Any]:
    deployed = [ProcessDefinition.municipality_id == actor.municipality_id]
    if arrived_at is not None:
        deployed.append(ProcessDefinition.deployed_at <= arrived_at)
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
              .where(*deployed).group_by(ProcessDefinition.key).subquery())
    definitions = [d for d in session.scalars(select(ProcessDefinition).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v)))
        if name in d.summary.get("message_starts", []) and _sender_allowed(actor, d, name)]
    if not definitions:
        raise NotFound(_nothing_waits(name, business_key))
    if len(definitions) > 1:
        raise Conflict(f"message '{name}' starts {len(definitions)} processes: "
                       + ", ".join(d.key for d in definitions))
    if not business_key:
        raise Invalid(f"message '{name}' starts a new case: business_key is required")
    definition = definitions[0]
    instance = start_instance(session, actor=actor, process_key=definition.key, business_key=business_key,
                              data=None, clock=clock, definition_id=definition.id)
    orchestration.execute(session, instance, orchestration.Operation("message", message_name=name, data=payload or {}),
                          actor=actor, clock=clock)
    return {"instance_id": instance.id, "started": True}


def _nothing_waits(name: str, business_key: str | None) -> str:
    return f"nothing waits for message '{name}'" + (f" with business key '{business_key}'" if business_key else "")


def _sender_allowed(actor: Principal, definition: ProcessDefinition, name: str) -> bool:
    if actor.has("system"):
        return True  # hand-offs between cases: the sending model declared them
    declared = ((definition.summary.get("casefile") or {}).get("senders") or {}).get(name)
    if not declared:
        return True  # the element names no senders: any office that may send messages
    return bool({d.casefold() for d in declared} & {n.casefold() for n in actor.office_names})


def may_send(session: Session, actor: Principal, name: str, *, instance_id: int) -> bool:
    """Whether the actor's office may deliver message `name` to this instance (lotse:senders of its model)."""
    definition = session.scalar(select(ProcessDefinition).join(
        ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id
    ).where(ProcessInstance.id == instance_id))
    return definition is not None and _sender_allowed(actor, definition, name)
