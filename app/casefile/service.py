"""Writing the case file: one entry per step that brought data, releases for the hand-offs the model declares.

Called by the orchestrator (app/orchestration.py) inside the step's transaction; services flush, never commit.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.casefile.catalogue import legal_bases
from app.casefile.models import CaseEntry, CaseRelease, Consent
from app.definitions.models import ProcessDefinition
from app.directory.service import OfficeRef, Principal, offices_of
from app.forms.models import FormDefinition
from app.forms.service import field_categories
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask


def _office_by_name(session: Session, municipality_id: int, name: str | None) -> OfficeRef | None:
    wanted = (name or "").strip().casefold()
    return next((o for o in offices_of(session, municipality_id) if wanted and o.name.casefold() == wanted), None)


def _single_office(actor: Principal) -> int | None:
    return next(iter(actor.office_ids)) if len(actor.office_ids) == 1 else None


def categories_by_name(session: Session, definition: ProcessDefinition) -> dict[str, str]:
    """Field name → category over the newest versions of the forms the model's user tasks use."""
    keys = sorted({info.get("form_key") for info in (definition.summary.get("user_tasks") or {}).values()
                   if info.get("form_key")})
    if not keys:
        return {}
    newest = (select(FormDefinition.key, func.max(FormDefinition.version).label("v"))
              .where(FormDefinition.municipality_id == definition.municipality_id, FormDefinition.key.in_(keys))
              .group_by(FormDefinition.key).subquery())
    found: dict[str, str] = {}
    for form in session.scalars(select(FormDefinition).join(
            newest, (FormDefinition.key == newest.c.key) & (FormDefinition.version == newest.c.v))
            .where(FormDefinition.municipality_id == definition.municipality_id).order_by(FormDefinition.key)):
        for name, category in field_categories(form).items():
            found.setdefault(name, category)
    return found


def new_entry(session: Session, *, instance: ProcessInstance, definition: ProcessDefinition, kind: str,
              data: dict[str, Any] | None, actor: Principal, now: datetime, task: HumanTask | None = None,
              message_name: str | None = None, categories: dict[str, str] | None = None) -> CaseEntry | None:
    """The entry for a step's data (None when it brought none); added to the session, not flushed.

    The owning office (controller) is the task's office for a completion, the office of the start event's
    lane for a start payload, and the office of the catching element's lane for a message; without a lane,
    the author's office when they have exactly one.
    """
    if not data:
        return None
    casefile = definition.summary.get("casefile") or {}
    office_id: int | None = None
    element_id = None
    if kind == "task" and task is not None:
        office_id, element_id = task.office_id, task.element_id
    else:
        lane = casefile.get("start_lane") if kind == "start" else (casefile.get("message_lanes") or {}).get(
            message_name or "")
        office = _office_by_name(session, instance.municipality_id, lane)
        office_id = office.id if office else _single_office(actor)
        element_id = message_name if kind == "message" else None
    if categories is None:
        categories = categories_by_name(session, definition)
    entry = CaseEntry(municipality_id=instance.municipality_id, instance_id=instance.id, office_id=office_id,
                      author=actor.audit_name, recorded_at=now, kind=kind, element_id=element_id,
                      human_task_id=task.id if task is not None else None, fields=dict(data),
                      categories={k: categories[k] for k in data if k in categories})
    session.add(entry)
    return entry


def valid_consent(session: Session, *, municipality_id: int, business_key: str, purpose: str, office_name: str,
                  now: datetime) -> Consent | None:
    """The newest consent of a person for a purpose naming the office as recipient, not withdrawn nor expired."""
    rows = session.scalars(select(Consent).where(
        Consent.municipality_id == municipality_id, Consent.business_key == business_key, Consent.purpose == purpose,
        Consent.withdrawn_at.is_(None)).order_by(Consent.id.desc()))
    for consent in rows:
        if consent.valid_until is not None and consent.valid_until <= now:
            continue
        if any(r.casefold() == office_name.casefold() for r in consent.recipients):
            return consent
    return None


def release_for_tasks(session: Session, *, instance: ProcessInstance, definition: ProcessDefinition,
                      tasks: list[HumanTask], now: datetime) -> list[CaseRelease]:
    """Releases for the new tasks whose element declares a hand-off; each is audited as `data_released`.

    A hand-off on a consent releases only what a valid consent of the person covers; without one nothing is
    released and `data_release_refused` is recorded (the task page says so).
    """
    handoffs = (definition.summary.get("casefile") or {}).get("handoffs") or {}
    wanted = [(task, handoffs[task.element_id]) for task in tasks
              if task.element_id in handoffs and task.office_id is not None]
    if not wanted:
        return []
    office_names = {o.id: o.name for o in offices_of(session, instance.municipality_id)}
    upto = session.scalar(select(func.max(CaseEntry.id)).where(CaseEntry.instance_id == instance.id)) or 0
    released = []
    for task, handoff in wanted:
        office = office_names.get(task.office_id or 0, "")
        reads = list(handoff["reads"])
        consent = None
        if handoff.get("consent"):
            consent = valid_consent(session, municipality_id=instance.municipality_id,
                                    business_key=instance.business_key, purpose=handoff["consent"],
                                    office_name=office, now=now)
            if consent is None:
                audit.record(session, municipality_id=instance.municipality_id, kind="data_release_refused",
                             actor="system", at=now, instance=instance, office=office, element_id=task.element_id,
                             details={"task_id": task.id, "categories": reads, "consent_purpose": handoff["consent"],
                                      "reason": "no valid consent"})
                continue
            basis = legal_bases().get(handoff.get("legal_basis") or "")
            if basis is None:  # on consent alone: only what the person consented to
                reads = [c for c in reads if c in consent.categories]
        release = CaseRelease(municipality_id=instance.municipality_id, instance_id=instance.id,
                              to_office_id=task.office_id, categories=reads, legal_basis=handoff.get("legal_basis"),
                              consent_id=consent.id if consent else None, element_id=task.element_id,
                              human_task_id=task.id, upto_entry_id=upto, released_at=now)
        session.add(release)
        released.append((release, task, office))
    if released:
        session.flush()
    for release, task, office in released:
        sources = sorted({office_names.get(o or 0, str(o)) for (o,) in session.execute(
            select(CaseEntry.office_id).where(CaseEntry.instance_id == instance.id, CaseEntry.id <= upto,
                                              CaseEntry.office_id != task.office_id,
                                              CaseEntry.office_id.is_not(None)).distinct())})
        audit.record(session, municipality_id=instance.municipality_id, kind="data_released", actor="system",
                     at=now, instance=instance, office=office, element_id=task.element_id,
                     details={"release_id": release.id, "task_id": task.id, "from": sources, "to": office,
                              "categories": release.categories, "legal_basis": release.legal_basis,
                              "consent_id": release.consent_id})
    return [r for r, _t, _o in released]
