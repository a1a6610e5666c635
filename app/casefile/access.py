"""The one who-reads-what rule of the case file, and the reads people make through it.

A person reads the entries of their own offices (every role). Clerks and leads also read what a hand-off
released to their office: the released categories of other offices' entries that existed at the release,
until the release is revoked (a consent withdrawn). Nothing else — not because the office once had a
task in the case, not because the role is municipality-wide. Erased and restricted (§ 84 SGB X) entries
are read by nobody. The engine keeps evaluating on all variables; this rule governs only what people see.

Every read of entry content goes through `read_case` / `read_trail`, which write the access log
(§ 67c Abs. 4 SGB X purpose: data-protection control) in the same call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.access import record_read
from app.audit.service import instance_trail
from app.casefile.models import CaseEntry, CaseRelease
from app.directory.service import Principal, offices_of
from app.instances.models import ProcessInstance

RELEASE_READERS = ("clerk", "lead")
ENTRY_EVENT_KINDS = ("instance_started", "task_completed", "message_correlated", "data_conflict")


@dataclass
class EntryView:
    """One entry as a person may see it: the readable fields and why they may read them."""

    entry: CaseEntry
    office: str | None
    fields: dict[str, Any]
    withheld: list[str]
    via: list[dict[str, Any]] = field(default_factory=list)  # releases that made fields readable


@dataclass
class CaseContent:
    """What a person may read of a case: entries in order and their fold (the data as the person sees it)."""

    entries: list[EntryView]
    data: dict[str, Any]
    releases: list[CaseRelease]


def active_releases(session: Session, actor: Principal, instance_id: int) -> list[CaseRelease]:
    """Releases of a case to the actor's offices that are in force (clerks and leads only)."""
    if not actor.has(*RELEASE_READERS) or not actor.office_ids:
        return []
    return list(session.scalars(select(CaseRelease).where(
        CaseRelease.instance_id == instance_id, CaseRelease.to_office_id.in_(sorted(actor.office_ids)),
        CaseRelease.revoked_at.is_(None)).order_by(CaseRelease.id)))


def readable_fields(entry: CaseEntry, actor: Principal,
                    releases: list[CaseRelease]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fields of an entry the actor may read, and the releases that allowed them (the rule, for one entry)."""
    if entry.erased_at is not None or entry.restricted_at is not None:
        return {}, []
    if entry.office_id is not None and entry.office_id in actor.office_ids:
        return dict(entry.fields), []
    allowed: set[str] = set()
    via: list[dict[str, Any]] = []
    for release in releases:
        if release.upto_entry_id >= entry.id and release.to_office_id != entry.office_id:
            allowed.update(release.categories)
            via.append({"release_id": release.id, "legal_basis": release.legal_basis,
                        "consent_id": release.consent_id, "categories": list(release.categories)})
    categories = entry.categories or {}
    shown = {k: v for k, v in entry.fields.items() if categories.get(k) in allowed}
    used = {categories.get(k) for k in shown}
    return shown, [v for v in via if used.intersection(v["categories"])]


def case_content(session: Session, *, actor: Principal, instance: ProcessInstance) -> CaseContent:
    """The rule applied to a whole case (no access log: use `read_case` where a person reads it)."""
    releases = active_releases(session, actor, instance.id)
    names = {o.id: o.name for o in offices_of(session, instance.municipality_id)}
    views, data = [], {}
    for entry in session.scalars(select(CaseEntry).where(CaseEntry.instance_id == instance.id)
                                 .order_by(CaseEntry.id)):
        shown, via = readable_fields(entry, actor, releases)
        views.append(EntryView(entry, names.get(entry.office_id) if entry.office_id else None, shown,
                               sorted(set(entry.fields) - set(shown)), via))
        data.update(shown)
    return CaseContent(views, data, releases)


def read_case(session: Session, *, actor: Principal, instance: ProcessInstance, action: str, at: datetime,
              task_id: int | None = None) -> CaseContent:
    """A person reads a case's content: the rule applied, the read written to the access log."""
    content = case_content(session, actor=actor, instance=instance)
    shown = [v.entry.id for v in content.entries if v.fields]
    record_read(session, reader=actor, action=action, at=at, instance_id=instance.id, task_id=task_id,
                details={"entries": shown, "releases": [r.id for r in content.releases]})
    return content


class PayloadFilter:
    """Cuts trail records' entry payloads to what one reader may read; streams (one case's entries held at a time)."""

    def __init__(self, session: Session, actor: Principal) -> None:
        self.session, self.actor = session, actor
        self._instance_id: int | None = None
        self._fields: dict[int, dict[str, Any]] = {}

    def _load(self, instance_id: int) -> None:
        instance = self.session.get_one(ProcessInstance, instance_id)
        content = case_content(self.session, actor=self.actor, instance=instance)
        self._instance_id, self._fields = instance_id, {v.entry.id: v.fields for v in content.entries}

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        """The record as this reader may see it (`payload_withheld` is True where content was cut)."""
        payload = event.get("payload")
        if payload is None or event["kind"] not in ENTRY_EVENT_KINDS or event.get("instance_id") is None:
            return {**event, "payload_withheld": False}
        details = event.get("details") or {}
        if event["kind"] == "data_conflict":
            visible = self.actor.has("lead") and bool(set(details.get("offices") or []) & set(self.actor.office_names))
            return {**event, "payload": payload if visible else None, "payload_withheld": not visible}
        if event["instance_id"] != self._instance_id:
            self._load(event["instance_id"])
        readable = self._fields.get(int(details.get("entry_id") or 0), {})
        shown = {k: v for k, v in payload.items() if k in readable}
        return {**event, "payload": shown or None, "payload_withheld": shown != payload}


def filter_trail(session: Session, *, actor: Principal, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Trail records with entry payloads cut to what the actor may read (`payload_withheld` marks the rest)."""
    cut = PayloadFilter(session, actor)
    return [cut(event) for event in events]


def read_trail(session: Session, *, actor: Principal, instance: ProcessInstance, action: str,
               at: datetime, details: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A person reads a case's trail: payloads through the rule, the read written to the access log."""
    events = filter_trail(session, actor=actor, events=instance_trail(session, instance))
    record_read(session, reader=actor, action=action, at=at, instance_id=instance.id,
                details={**(details or {}), "events": len(events)})
    return events
