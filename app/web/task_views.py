"""What the clerk screens show of a task and its case, assembled from the services (no business rules here)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import instance_events, payloads_by_hash
from app.definitions.models import ProcessDefinition
from app.directory.absence import display_names, substituting_for
from app.directory.models import Municipality
from app.directory.service import Principal, list_offices
from app.engine.calendar import BERLIN
from app.forms.models import FormDefinition
from app.instances.models import ProcessInstance
from app.tasks import service as tasks
from app.tasks.models import HumanTask
from app.web import formatting
from app.web.history import HistoryEntry, case_history, element_names, escalation_target, message_labels

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class TaskView:
    """A task row or card: the task plus everything displayed next to it."""

    task: HumanTask
    process: str
    office: str
    due: str
    due_iso: str
    left: str
    overdue: bool
    due_today: bool
    calendar: str
    mine: bool
    can_claim: bool
    can_release: bool
    can_complete: bool
    assignee_name: str | None = None
    standing_in: bool = False  # assigned to an absent clerk the viewer stands in for
    escalation: str | None = None  # "eskaliert an Amtsleitung Sozialamt (Stufe 1) am 05.03.2026, 01:00"
    is_test: bool = False  # a designer's test case
    person: str | None = None  # "Amina Haddad, * 17.04.1991" where the viewer may read it (app.web.people)

    @property
    def claimed_by_other(self) -> bool:
        """Someone else holds the task."""
        return bool(self.task.assignee) and not self.mine


def office_names(session: Session, municipality_id: int) -> dict[int, str]:
    """Office id → name for a municipality."""
    return {office.id: office.name for office in list_offices(session, municipality_id)}


def process_names(session: Session, tasks: list[HumanTask]) -> dict[int, tuple[str, bool]]:
    """Instance id → (process name, whether it is a test case) for the given tasks, in one query."""
    ids = {t.instance_id for t in tasks}
    if not ids:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessDefinition.name, ProcessInstance.is_test).join(
        ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(ProcessInstance.id.in_(ids)))
    return {instance_id: (name, bool(is_test)) for instance_id, name, is_test in rows}


def task_view(task: HumanTask, *, actor: Principal, now: datetime, process: str, offices: dict[int, str],
              names: dict[str, str] | None = None, standing_in_for: tuple[str, ...] = (),
              coordination: str | None = None) -> TaskView:
    """Present one task for the given user at the given time (`names`: username → full name)."""
    left = formatting.time_left(now, task.due_at, task.calendar)
    standing_in = bool(task.assignee) and task.assignee in standing_in_for
    mine = task.assignee == actor.username or standing_in
    return TaskView(
        task=task, process=process, office=offices.get(task.office_id, "—") if task.office_id else "—",
        due=formatting.due_display(task.due_at), due_iso=formatting.iso_local(task.due_at), left=left["text"],
        overdue=left["overdue"] and task.status == "open", due_today=left["today"],
        calendar=formatting.calendar_label(task.calendar), mine=mine,
        can_claim=tasks.may_claim(actor, task), can_release=tasks.may_release(actor, task),
        can_complete=tasks.may_complete(actor, task, standing_in_for=standing_in_for),
        assignee_name=(names or {}).get(task.assignee or "", task.assignee) if task.assignee else None,
        standing_in=standing_in, escalation=escalation_text(task, offices, coordination))


def escalation_text(task: HumanTask, offices: dict[int, str], coordination: str | None) -> str | None:
    """Whom a missed deadline was escalated to and when, in words (None while not escalated)."""
    if task.escalated_at is None:
        return None
    office = offices.get(task.office_id) if task.office_id else None
    if task.second_escalated_at is not None:
        return gettext("escalated to %(to)s (level 2) on %(when)s",
                       to=escalation_target(2, office, coordination),
                       when=formatting.din_datetime(task.second_escalated_at))
    return gettext("escalated to %(to)s (level 1) on %(when)s", to=escalation_target(1, office, None),
                   when=formatting.din_datetime(task.escalated_at))


def coordination_office(session: Session, municipality_id: int, offices: dict[int, str]) -> str | None:
    """The office second-level escalations go to."""
    office_id = session.scalar(select(Municipality.coordination_office_id).where(Municipality.id == municipality_id))
    return offices.get(office_id) if office_id else None


def standing_in_for(session: Session, actor: Principal, now: datetime) -> tuple[str, ...]:
    """The absent clerks the actor stands in for today."""
    return tuple(substituting_for(session, actor, now.astimezone(BERLIN).date()))


def task_views(session: Session, tasks: list[HumanTask], *, actor: Principal, now: datetime) -> list[TaskView]:
    """Present many tasks with a handful of extra queries in total."""
    offices = office_names(session, actor.municipality_id)
    processes = process_names(session, tasks)
    names = display_names(session, actor.municipality_id)
    absent = standing_in_for(session, actor, now)
    coordination = coordination_office(session, actor.municipality_id, offices) if any(
        t.second_escalated_at for t in tasks) else None
    views = []
    for t in tasks:
        process, is_test = processes.get(t.instance_id, (t.process_key, False))
        view = task_view(t, actor=actor, now=now, process=process, offices=offices, names=names,
                         standing_in_for=absent, coordination=coordination)
        view.is_test = is_test
        views.append(view)
    return views


@lru_cache(maxsize=64)
def _names(bpmn_xml: str) -> dict[str, str]:
    return element_names(bpmn_xml)


@lru_cache(maxsize=64)
def _messages(bpmn_xml: str) -> dict[str, str]:
    return message_labels(bpmn_xml)


def history(session: Session, instance: ProcessInstance, definition: ProcessDefinition) -> list[HistoryEntry]:
    """The case's story so far, from its audit events, with people by name and reasons for moved deadlines."""
    task_names = dict(session.execute(select(HumanTask.id, HumanTask.name).where(
        HumanTask.instance_id == instance.id)).all())
    events = list(instance_events(session, instance.id))
    hashes = [(e.details or {}).get("payload_sha256") for e in events if e.kind == "due_date_changed"]
    rows = payloads_by_hash(session, instance.municipality_id, [h for h in hashes if h]) if any(hashes) else {}
    reasons = {sha: str((row.content or {}).get("reason") or "") for sha, row in rows.items()
               if row is not None and row.content}
    return case_history(events, task_names=task_names, elements=_names(definition.bpmn_xml),
                        people=display_names(session, instance.municipality_id),
                        messages=_messages(definition.bpmn_xml), reasons=reasons)


def form_properties(session: Session, municipality_id: int) -> dict[str, dict[str, Any]]:
    """Field name → JSON Schema property, over the newest version of every form of the municipality."""
    props: dict[str, dict[str, Any]] = {}
    rows = session.execute(select(FormDefinition.key, FormDefinition.schema).where(
        FormDefinition.municipality_id == municipality_id).order_by(FormDefinition.key, FormDefinition.version.desc()))
    seen: set[str] = set()
    for key, doc in rows:
        if key in seen:
            continue
        seen.add(key)
        for name, prop in ((doc or {}).get("schema", {}).get("properties") or {}).items():
            if isinstance(prop, dict):
                props.setdefault(name, prop)
    return props


def _number(value: float | int, decimals: int | None = None) -> str:
    """German digits: 2.100,5 (thousands with a dot, decimals with a comma)."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    if isinstance(value, float) and decimals is None:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fact_value(value: Any, prop: dict[str, Any] | None) -> str:
    """One value as people read it: yes/no, DIN 5008 dates, the option's title, € amounts, German numbers."""
    prop = prop or {}
    options = {str(o.get("const")): str(o.get("title")) for o in prop.get("oneOf") or []
               if isinstance(o, dict) and "const" in o and o.get("title")}
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if str(value) in options:
        return options[str(value)]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return formatting.din_date(value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            return formatting.din_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        title = str(prop.get("title") or "")
        if "Euro" in title or "€" in title or prop.get("unit") in ("EUR", "€"):
            return f"{_number(float(value), 2)} €"
        return _number(value)
    return str(value)


def fact_label(key: str, prop: dict[str, Any] | None) -> str:
    """A field's form label, else its name in words."""
    title = (prop or {}).get("title")
    return str(title) if title else key.replace("_", " ").capitalize()


def case_facts(data: dict[str, Any], props: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """The case's data as label/value pairs (scalars only; technical keys starting with '_' are left out)."""
    facts = []
    for key, value in data.items():
        if key.startswith("_") or isinstance(value, (dict, list)) or value is None:
            continue
        facts.append((fact_label(key, props.get(key)), fact_value(value, props.get(key))))
    return facts
