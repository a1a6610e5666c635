"""Erasing a case's personal data: payloads become tombstones, the chain stays intact and records the erasure.

What goes: payload contents (form data, message payloads, start data) and their salts, the case data in
the stored engine state, the data of failed operations kept with incidents, and the payloads of the
messages the case sent or received (outbox rows). A message the case sent that was never delivered is
withdrawn (status `erased`): delivering it later would carry the erased data into a new case. What
stays: every event — who did what, when, in which office — so the trail still verifies. Only ended
cases are erased: a running case still needs its data (cancel it first).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.audit.models import AuditPayload
from app.casefile.models import CaseEntry
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, NotFound
from app.instances.models import Incident, PendingMessage, ProcessInstance

ERASERS = ("admin",)
ENDED = ("completed", "cancelled")
WITHDRAWN = "erased"  # the outbox status of a pending message withdrawn by erasure


@dataclass(frozen=True)
class Erased:
    """What erasing one instance did: payloads tombstoned, outbox messages cleared or withdrawn."""

    payloads: int = 0
    messages: int = 0


def erase_case(session: Session, *, actor: Principal, business_key: str, clock: Clock,
               reason: str | None = None) -> dict[str, Any]:
    """Erase the personal data of every instance with this business key in the caller's municipality (admins)."""
    if not actor.has(*ERASERS):
        raise Forbidden("only admins erase personal data")
    return erase_business_key(session, municipality_id=actor.municipality_id, business_key=business_key,
                              actor=actor.username, at=clock.now(), reason=reason)


def erase_business_key(session: Session, *, municipality_id: int, business_key: str, actor: str, at: datetime,
                       reason: str | None = None) -> dict[str, Any]:
    """Erase all ended instances of a case; Conflict while one still runs, NotFound when there is none."""
    business_key = (business_key or "").strip()
    # The case's undelivered messages first: the scheduler delivers them with SKIP LOCKED, so once they are
    # locked here no delivery can start a new instance of the case behind this erasure's back.
    session.execute(select(PendingMessage.id).where(
        PendingMessage.municipality_id == municipality_id, PendingMessage.business_key == business_key,
        PendingMessage.status == "pending").order_by(PendingMessage.id).with_for_update())
    ids = list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.municipality_id == municipality_id, ProcessInstance.business_key == business_key,
    ).order_by(ProcessInstance.id)))
    if not ids:
        raise NotFound(f"no case with business key '{business_key}'")
    # Lock in id order so two erasures of overlapping cases cannot deadlock.
    instances = [orchestration.lock_instance(session, instance_id, municipality_id) for instance_id in ids]
    running = [i.id for i in instances if i.status not in ENDED]
    if running:
        raise Conflict(f"case '{business_key}' still runs (instance {', '.join(map(str, running))}); "
                       "cancel it or wait until it ends before erasing", details={"instance_ids": running})
    done = []
    for instance in instances:
        erased = erase_instance(session, instance, actor=actor, at=at, reason=reason)
        done.append({"instance_id": instance.id, "payloads": erased.payloads, "messages": erased.messages})
    return {"business_key": business_key, "instances": done,
            "payloads_erased": sum(d["payloads"] for d in done), "messages_erased": sum(d["messages"] for d in done)}


def erase_instance(session: Session, instance: ProcessInstance, *, actor: str, at: datetime,
                   reason: str | None = None) -> Erased:
    """Erase an ended, locked instance (payloads, case data, its messages); append `erased`; what was erased."""
    if instance.status not in ENDED:
        raise Conflict(f"instance {instance.id} is {instance.status}; only ended cases are erased")
    payloads = list(session.scalars(select(AuditPayload).where(
        AuditPayload.instance_id == instance.id, AuditPayload.content.is_not(None))))
    messages = _messages_to_clear(session, instance)
    if instance.erased_at is not None and not payloads and not messages:
        return Erased()
    for payload in payloads:
        payload.content, payload.salt, payload.erased_at = None, None, at
    for message in messages:
        if message.status == "pending":
            message.status = WITHDRAWN
        message.payload = {}
    _wipe_engine_data(session, instance)
    for entry in session.scalars(select(CaseEntry).where(CaseEntry.instance_id == instance.id,
                                                         CaseEntry.erased_at.is_(None))):
        entry.fields, entry.erased_at = {}, at
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance.id)):
        incident.operation = {k: v for k, v in incident.operation.items() if k != "data"}
    instance.erased_at = at
    audit.record(session, municipality_id=instance.municipality_id, kind="erased", actor=actor, at=at,
                 instance=instance, details={"payloads": len(payloads), "messages": len(messages), "reason": reason})
    session.flush()
    return Erased(len(payloads), len(messages))


def _messages_to_clear(session: Session, instance: ProcessInstance) -> list[PendingMessage]:
    """Outbox rows the instance sent or received that still hold a payload or wait for delivery."""
    rows = session.scalars(select(PendingMessage).where(
        PendingMessage.municipality_id == instance.municipality_id,
        or_(PendingMessage.source_instance_id == instance.id, PendingMessage.target_instance_id == instance.id),
    ).order_by(PendingMessage.id).with_for_update())
    return [row for row in rows if row.payload or row.status == "pending"]


def _wipe_engine_data(session: Session, instance: ProcessInstance) -> None:
    """Clear the case data the engine keeps on every task (the form data lives there too)."""
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    engine = orchestration.engine_for(definition)
    wf = engine.restore(instance.state)
    for workflow in [wf, *wf.subprocesses.values()]:
        workflow.data = {}
        for task in workflow.tasks.values():
            task.data, task.internal_data = {}, {}
    instance.state = engine.dump_state(wf)
