"""Messages between cases: stepping a case and handing on what it sent, correlation, and the outbox.

A message thrown by one instance is delivered to the instance of the same business key that waits for it
(or starts the process it starts). Orchestration only queues it (a PendingMessage row) and knows nothing of
delivery: `step` runs an operation through orchestration and then delivers what the step sent. Messages nobody
waits for yet stay pending and are retried by the scheduler (`deliver_pending`), so a hand-off does not get lost
when the receiving case has not reached its catch event.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import orchestration
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal, system_principal
from app.engine import runtime
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances.models import MessageWait, PendingMessage, ProcessInstance

SENDERS = ("clerk", "lead", "supervisor", "admin")
STARTERS = ("clerk", "lead", "designer", "admin", "system")
# How long an undeliverable message waits before it expires (LOTSE_MESSAGE_EXPIRY overrides it).
PENDING_FOR = timedelta(days=7)


def step(session: Session, instance: ProcessInstance, op: orchestration.Operation, *, actor: Principal,
         clock: Clock, wf: Any = None) -> orchestration.Stepped:
    """Run an operation on a case (orchestration.execute), then hand the messages it sent to their cases."""
    stepped = orchestration.execute(session, instance, op, actor=actor, clock=clock, wf=wf)
    # Hand-offs happen after the step is safely written; undeliverable ones stay pending.
    for message in stepped.sent:
        deliver(session, message, clock=clock)
    return stepped


def check_start(actor: Principal, business_key: str | None) -> str:
    """Who may start cases, and the case reference they need; returns the reference trimmed."""
    if not actor.has(*STARTERS):
        raise Forbidden("only clerks, designers and admins start cases")
    business_key = (business_key or "").strip()
    if not business_key:
        raise Invalid("business_key (the case reference) is required", details={"fields": {"business_key": "required"}})
    return business_key


def start_case(session: Session, *, actor: Principal, definition: ProcessDefinition, business_key: str,
               data: dict[str, Any] | None, clock: Clock) -> ProcessInstance:
    """Create a case on a definition version and run it to its first wait (after `check_start`)."""
    engine = orchestration.engine_for(definition)
    with runtime.engine_clock(clock):
        wf = engine.new_workflow(data or {})
    instance = ProcessInstance(municipality_id=actor.municipality_id, definition_id=definition.id,
                               business_key=business_key, status="running", state=engine.dump_state(wf),
                               started_by=actor.username, started_at=clock.now())
    session.add(instance)
    session.flush()
    step(session, instance, orchestration.Operation("start", data=data or {}), actor=actor, clock=clock, wf=wf)
    return instance


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
        step(session, instance, orchestration.Operation("message", message_name=name, data=payload or {}),
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
    instance = start_case(session, actor=actor, definition=definitions[0], clock=clock, data=None,
                          business_key=check_start(actor, business_key))
    step(session, instance, orchestration.Operation("message", message_name=name, data=payload or {}),
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


def deliver(session: Session, message: PendingMessage, *, clock: Clock) -> bool:
    """Try to deliver one pending message; True when it reached a case (which may then have an incident)."""
    actor = system_principal(message.municipality_id)
    try:
        # A message starts only a process that was deployed when it arrived, never a later model.
        result = correlate(session, actor=actor, name=message.name, business_key=message.business_key,
                           payload=message.payload, clock=clock, exclude_instance_id=message.source_instance_id,
                           arrived_at=message.created_at)
    except orchestration.IncidentRaised as exc:
        result = {"instance_id": exc.details["instance_id"]}
    except (NotFound, Conflict):
        return False
    message.status, message.delivered_at = "delivered", clock.now()
    message.target_instance_id = result["instance_id"]
    session.flush()
    return True


def deliver_pending(session: Session, *, clock: Clock, limit: int = 200, expire_after: timedelta | None = None) -> int:
    """Scheduler job: retry pending messages (oldest first), expire old ones; commits per message."""
    delivered = 0
    now = clock.now()
    expire_after = expire_after or PENDING_FOR
    ids = list(session.scalars(select(PendingMessage.id).where(PendingMessage.status == "pending")
                               .order_by(PendingMessage.id).limit(limit)))
    for message_id in ids:
        message = session.scalar(select(PendingMessage).where(PendingMessage.id == message_id,
                                                              PendingMessage.status == "pending")
                                 .with_for_update(skip_locked=True))
        if message is None:
            session.rollback()
            continue
        if message.created_at < now - expire_after:
            message.status = "expired"
        elif deliver(session, message, clock=clock):
            delivered += 1
        session.commit()
    return delivered
