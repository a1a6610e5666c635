"""Presenting case-file entries (API records, schema); what is shown was decided by app/casefile/access.py."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.casefile.access import CaseContent, EntryView
from app.casefile.catalogue import category_label, legal_bases
from app.directory.service import Principal
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask


def entry_record(view: EntryView) -> dict[str, Any]:
    """An entry as the API shows it: who wrote what when, the readable fields with their categories."""
    entry = view.entry
    bases = legal_bases()
    return {
        "id": entry.id, "kind": entry.kind, "office": view.office, "author": entry.author,
        "recorded_at": entry.recorded_at, "element_id": entry.element_id,
        "fields": view.fields, "categories": {k: (entry.categories or {}).get(k) for k in view.fields},
        "withheld": view.withheld, "erased": entry.erased_at is not None,
        "restricted": entry.restricted_at is not None,
        "released_by": [{**via, "legal_basis_title": bases[via["legal_basis"]].title
                         if via.get("legal_basis") in bases else None} for via in view.via],
    }


class EntrySchema(Schema):
    """One case-file entry as the caller may read it."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "start | task | message"})
    office = fields.String(allow_none=True, metadata={"description": "the owning office (controller)"})
    author = fields.String()
    recorded_at = fields.DateTime()
    element_id = fields.String(allow_none=True)
    fields_ = fields.Dict(data_key="fields", attribute="fields",
                          metadata={"description": "the fields the caller may read"})
    categories = fields.Dict(metadata={"description": "field → data category"})
    withheld = fields.List(fields.String(), metadata={"description": "fields the caller may not read"})
    erased = fields.Boolean()
    restricted = fields.Boolean()
    released_by = fields.List(fields.Dict(), metadata={"description": "the hand-offs that released fields to "
                                                                      "the caller's office, with their basis"})


def release_views(content: CaseContent) -> list[dict[str, Any]]:
    """The hand-offs in force for the reader: categories and the legal basis (title, source, text) or consent."""
    bases = legal_bases()
    result = []
    for release in content.releases:
        basis = bases.get(release.legal_basis or "")
        result.append({"id": release.id, "element_id": release.element_id,
                       "categories": [category_label(c) for c in release.categories],
                       "basis_title": basis.title if basis else None, "basis_source": basis.source if basis else None,
                       "basis_text": basis.text if basis else None, "consent_id": release.consent_id,
                       "released_at": release.released_at})
    return result


def refusals(session: Session, task: HumanTask) -> list[dict[str, Any]]:
    """Hand-offs of this task that released nothing (no valid consent): what the receiving step must know."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == task.instance_id,
                                                      AuditEvent.kind == "data_release_refused"))
    return [dict(e.details or {}) for e in events if (e.details or {}).get("task_id") == task.id]


def conflicts_for(session: Session, *, actor: Principal, instance: ProcessInstance) -> list[dict[str, Any]]:
    """Conflicting parallel changes of a case (`data_conflict`); the values only for leads of an office involved."""
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id,
                                                           AuditEvent.kind == "data_conflict")
                                  .order_by(AuditEvent.seq)))
    if not events:
        return []
    from app.audit.service import payloads_by_hash

    payloads = payloads_by_hash(session, instance.municipality_id,
                                [e.details["payload_sha256"] for e in events if e.details.get("payload_sha256")])
    result = []
    for event in events:
        offices = [o for o in event.details.get("offices") or [] if o]
        row = payloads.get(event.details.get("payload_sha256", ""))
        values = None
        if actor.has("lead") and set(offices) & set(actor.office_names) and row is not None and row.content:
            values = f"{row.content.get('first')!r} / {row.content.get('second')!r}"
        result.append({"key": event.details.get("key"), "offices": offices, "values": values,
                       "at": event.occurred_at})
    return result
