"""Erasure and restriction of one office's entries of a case (Art. 17 DSGVO; Sperrung, § 84 SGB X).

Erasing acts on the entries the office owns: their fields go, the trail payloads of the events that carried
them become tombstones, and the keys are removed from the ended case's engine data; other offices' entries
stay. Where records must be kept (a legal duty, a pending dispute, § 84 Abs. 3 SGB X), restriction marks the
entries instead: nobody reads them through Lotse any more, the content stays for whoever must produce it.
Either way the trail records it and still verifies (tombstones follow an `erased` event).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.audit.models import AuditEvent, AuditPayload
from app.casefile.models import CaseEntry
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal, find_office
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances.models import ProcessInstance

MODES = ("erase", "restrict")
ENDED = ("completed", "cancelled")


def erase_office_entries(session: Session, *, actor: Principal, business_key: str, office: str, mode: str,
                         reason: str, now: datetime) -> dict[str, Any]:
    """Erase (ended cases) or restrict (any case) the entries one office owns in a case (admins)."""
    if not actor.has("admin"):
        raise Forbidden("only admins erase or restrict personal data")
    if mode not in MODES:
        raise Invalid(f"mode must be one of {', '.join(MODES)}", details={"fields": {"mode": "erase or restrict"}})
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", details={"fields": {"reason": "required"}})
    found = find_office(session, actor.municipality_id, office or "")
    if found is None:
        raise NotFound(f"no office '{office}'")
    ids = list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.municipality_id == actor.municipality_id,
        ProcessInstance.business_key == (business_key or "").strip()).order_by(ProcessInstance.id)))
    if not ids:
        raise NotFound(f"no case with business key '{business_key}'")
    instances = [orchestration.lock_instance(session, i, actor.municipality_id) for i in ids]
    running = [i.id for i in instances if i.status not in ENDED]
    if mode == "erase" and running:
        raise Conflict(f"case '{business_key}' still runs (instance {', '.join(map(str, running))}); restrict "
                       "its entries or erase them after it ended", details={"instance_ids": running})
    done = []
    for instance in instances:
        entries = list(session.scalars(select(CaseEntry).where(
            CaseEntry.instance_id == instance.id, CaseEntry.office_id == found.id, CaseEntry.erased_at.is_(None))))
        if mode == "erase":
            payloads = _erase(session, instance, entries, now=now)
            audit.record(session, municipality_id=instance.municipality_id, kind="erased", actor=actor.username,
                         at=now, instance=instance, office=found.name,
                         details={"office": found.name, "entries": [e.id for e in entries], "payloads": payloads,
                                  "messages": 0, "reason": reason})
        else:
            for entry in entries:
                entry.restricted_at, entry.restricted_reason = now, reason
            audit.record(session, municipality_id=instance.municipality_id, kind="data_restricted",
                         actor=actor.username, at=now, instance=instance, office=found.name,
                         details={"office": found.name, "entries": [e.id for e in entries],
                                  "legal_source": "§ 84 Abs. 3 SGB X"}, payload={"reason": reason})
        done.append({"instance_id": instance.id, "entries": len(entries)})
    session.flush()
    return {"business_key": business_key, "office": found.name, "mode": mode, "instances": done}


def _erase(session: Session, instance: ProcessInstance, entries: list[CaseEntry], *, now: datetime) -> int:
    """Empty the entries, tombstone their trail payloads, drop their keys from the engine data; payloads erased."""
    if not entries:
        return 0
    ids = {e.id for e in entries}
    keys = {k for e in entries for k in e.fields}
    for entry in entries:
        entry.fields, entry.erased_at = {}, now
    hashes = [event.details["payload_sha256"] for event in session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance.id))
        if (event.details or {}).get("entry_id") in ids and (event.details or {}).get("payload_sha256")]
    payloads = list(session.scalars(select(AuditPayload).where(
        AuditPayload.municipality_id == instance.municipality_id, AuditPayload.sha256.in_(hashes or ["-"]),
        AuditPayload.content.is_not(None))))
    for payload in payloads:
        payload.content, payload.salt, payload.erased_at = None, None, now
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    engine = orchestration.engine_for(definition)
    wf = engine.restore(instance.state)
    for workflow in [wf, *wf.subprocesses.values()]:
        for key in keys:
            workflow.data.pop(key, None)
        for task in workflow.tasks.values():
            for key in keys:
                task.data.pop(key, None)
    instance.state = engine.dump_state(wf)
    return len(payloads)
