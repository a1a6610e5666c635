"""What one engine step writes to the case file; called by app/orchestration.py inside the step's transaction.

Before the engine runs: a consent step's submission is checked (`consent_step`). After it: the entry of the
step's data (`new_entry`, one INSERT), the consent it documented (`record_consent`), and — once the new tasks
have ids — conflicts at joins and the releases of hand-offs the new tasks declare (`after_step`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import AuditEvent, AuditPayload
from app.casefile import consents
from app.casefile import service as casefile
from app.casefile.models import CaseEntry
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.engine import runtime
from app.engine.join_merge import Conflict
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask

_ENTRY_KINDS = {"start": "start", "complete": "task", "message": "message"}


def consent_step(definition: ProcessDefinition, wf: Any, op_kind: str, engine_task_id: str | None,
                 data: dict[str, Any] | None, *, now: datetime) -> dict[str, Any] | None:
    """For a completion of a consent step (lotse:recordsConsent): the variables with the submission, checked
    (Invalid when the consent would be refused); None for every other step."""
    recording = (definition.summary.get("casefile") or {}).get("records_consent") or []
    if op_kind != "complete" or not recording or engine_task_id is None:
        return None
    found = runtime.task_variables(wf, engine_task_id)
    if found is None or found[0] not in recording:
        return None
    consents.check_submission(found[1], data or {}, today=now.date())
    return {**found[1], **(data or {})}


def new_entry(session: Session, instance: ProcessInstance, definition: ProcessDefinition, op: Any, *,
              actor: Principal, now: datetime) -> CaseEntry | None:
    """The entry of an operation's data (start payload, form submission, message payload); added, not flushed."""
    kind = _ENTRY_KINDS.get(op.kind)
    if kind is None:
        return None
    task = session.get(HumanTask, op.human_task_id) if op.kind == "complete" and op.human_task_id else None
    return casefile.new_entry(session, instance=instance, definition=definition, kind=kind, data=op.data,
                              actor=actor, now=now, task=task, message_name=op.message_name,
                              categories=op.categories)


def record_consent(session: Session, instance: ProcessInstance, variables: dict[str, Any], *,
                   entry: CaseEntry | None, actor: Principal, now: datetime) -> None:
    """Put the consent a consent step documented into the register, for the office that took it."""
    consents.record_from_step(session, instance=instance, variables=variables, actor=actor, now=now,
                              office_id=entry.office_id if entry is not None else None)


def after_step(session: Session, instance: ProcessInstance, definition: ProcessDefinition, *,
               created: list[HumanTask], conflicts: list[Conflict], now: datetime) -> None:
    """Record conflicting parallel changes (`data_conflict`) and release what the new tasks' hand-offs declare."""
    for conflict in conflicts:
        # The values are case content: kept in the erasable payload, not in the hashed details.
        audit.record(session, municipality_id=instance.municipality_id, kind="data_conflict", actor="system", at=now,
                     instance=instance, element_id=conflict.join_element_id,
                     details={"key": conflict.key,
                              "offices": [conflict.first.get("lane"), conflict.second.get("lane")],
                              "elements": [conflict.first.get("element_id"), conflict.second.get("element_id")]},
                     payload={"key": conflict.key, "first": conflict.first.get("value"),
                              "second": conflict.second.get("value")})
    if created:
        casefile.release_for_tasks(session, instance=instance, definition=definition, tasks=created, now=now)


def anonymize_engine(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
                     wf: Any, submitted: dict[str, str] | None = None) -> dict[str, Any] | None:
    """When a step reaches a task with lotse:anonymize (e.g. anonymous counselling after a refused consent),
    remove the fields of those categories from the engine's data before the step is saved; what was removed."""
    wanted = (definition.summary.get("casefile") or {}).get("anonymize") or {}
    if not wanted:
        return None
    reached = [t.task_spec.name for t in runtime.ready_tasks(wf) if t.task_spec.name in wanted]
    if not reached:
        return None
    categories = set(wanted[reached[0]])
    keys = {k for entry in session.scalars(select(CaseEntry).where(CaseEntry.instance_id == instance.id))
            for k, c in (entry.categories or {}).items() if c in categories}
    keys |= {k for k, c in (submitted or {}).items() if c in categories}  # this step's own submission
    if not keys:
        return None
    for workflow in [wf, *wf.subprocesses.values()]:
        for task in workflow.tasks.values():
            for key in keys:
                task.data.pop(key, None)
        for key in keys:
            workflow.data.pop(key, None)
    return {"element_id": reached[0], "categories": sorted(categories), "keys": sorted(keys)}


def anonymize_entries(session: Session, instance: ProcessInstance, anonymized: dict[str, Any], *,
                      now: datetime) -> None:
    """Remove the anonymized fields from the entries and tombstone the trail payloads that carried them."""
    keys = set(anonymized["keys"])
    audit.write_pending(session)  # this step's events and payloads too
    touched = [e for e in session.scalars(select(CaseEntry).where(CaseEntry.instance_id == instance.id))
               if keys & set(e.fields)]
    ids = {e.id for e in touched}
    for entry in touched:
        entry.fields = {k: v for k, v in entry.fields.items() if k not in keys}
        entry.categories = {k: v for k, v in (entry.categories or {}).items() if k not in keys}
    hashes = [e.details["payload_sha256"] for e in session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id == instance.id)) if (e.details or {}).get("payload_sha256")
        and ((e.details or {}).get("entry_id") in ids or keys & set((e.details or {}).get("fields") or []))]
    payloads = list(session.scalars(select(AuditPayload).where(
        AuditPayload.municipality_id == instance.municipality_id, AuditPayload.sha256.in_(hashes or ["-"]),
        AuditPayload.content.is_not(None))))
    for payload in payloads:
        payload.content, payload.salt, payload.erased_at = None, None, now
    audit.record(session, municipality_id=instance.municipality_id, kind="erased", actor="system", at=now,
                 instance=instance, element_id=anonymized["element_id"],
                 details={"payloads": len(payloads), "messages": 0, "categories": anonymized["categories"],
                          "fields": len(keys), "reason": "anonymous from here on (lotse:anonymize)"})
