"""Erasing a case's personal data: payloads become tombstones, the chain stays intact and records the erasure.

What goes: payload contents (form data, message payloads, start data) and their salts, the case data in
the stored engine state, the data of failed operations kept with incidents. What stays: every event —
who did what, when, in which office — so the trail still verifies. Only ended cases are erased: a
running case still needs its data (cancel it first).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.audit.models import AuditPayload
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, NotFound
from app.instances.models import Incident, ProcessInstance

ERASERS = ("admin",)
ENDED = ("completed", "cancelled")


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
    done = [{"instance_id": i.id, "payloads": erase_instance(session, i, actor=actor, at=at, reason=reason)}
            for i in instances]
    return {"business_key": business_key, "instances": done, "payloads_erased": sum(d["payloads"] for d in done)}


def erase_instance(session: Session, instance: ProcessInstance, *, actor: str, at: datetime,
                   reason: str | None = None) -> int:
    """Tombstone an ended, locked instance's payloads, wipe its case data, append an `erased` event; count."""
    if instance.status not in ENDED:
        raise Conflict(f"instance {instance.id} is {instance.status}; only ended cases are erased")
    payloads = list(session.scalars(select(AuditPayload).where(
        AuditPayload.instance_id == instance.id, AuditPayload.content.is_not(None))))
    if instance.erased_at is not None and not payloads:
        return 0
    for payload in payloads:
        payload.content, payload.salt, payload.erased_at = None, None, at
    _wipe_engine_data(session, instance)
    for incident in session.scalars(select(Incident).where(Incident.instance_id == instance.id)):
        incident.operation = {k: v for k, v in incident.operation.items() if k != "data"}
    instance.erased_at = at
    audit.record(session, municipality_id=instance.municipality_id, kind="erased", actor=actor, at=at,
                 instance=instance, details={"payloads": len(payloads), "reason": reason})
    session.flush()
    return len(payloads)


def _wipe_engine_data(session: Session, instance: ProcessInstance) -> None:
    """Clear the case data the engine keeps on every task (the form data lives there too)."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    engine = orchestration.engine_for(definition)
    wf = engine.restore(instance.state)
    for workflow in [wf, *wf.subprocesses.values()]:
        workflow.data = {}
        for task in workflow.tasks.values():
            task.data, task.internal_data = {}, {}
    instance.state = engine.dump_state(wf)
