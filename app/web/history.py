"""The case history for people: audit events of an instance in plain (German or English) sentences."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from flask_babel import gettext

from app.audit.models import AuditEvent
from app.engine.xmlsafe import XmlError, parse_xml
from app.web.formatting import due_display

SYSTEM_ACTORS = ("system", "")


def element_names(bpmn_xml: str | bytes) -> dict[str, str]:
    """BPMN element and sequence-flow ids mapped to their names (for readable decisions and timers)."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    try:
        root = parse_xml(data).getroot()
    except XmlError:
        return {}
    return {el.get("id"): el.get("name") for el in root.iter() if isinstance(el.tag, str)
            and el.get("id") and el.get("name")}


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the timeline."""

    at: datetime
    text: str
    actor: str | None
    office: str | None
    kind: str


def _task_name(event: AuditEvent, task_names: dict[int, str], elements: dict[str, str]) -> str:
    details = event.details or {}
    name = details.get("name") or task_names.get(details.get("task_id")) or elements.get(event.element_id or "")
    return name or (event.element_id or gettext("task"))


def _sentence(event: AuditEvent, task: str, element: str, names_by_id: dict[str, str]) -> str | None:
    details: dict[str, Any] = event.details or {}
    office = event.office or gettext("no office")
    kind = event.kind
    if kind == "instance_started":
        return gettext("Case started")
    if kind == "task_created":
        return gettext("Task “%(task)s” handed to %(office)s", task=task, office=office)
    if kind == "task_claimed":
        return gettext("Task “%(task)s” taken over", task=task)
    if kind == "task_unclaimed":
        return gettext("Task “%(task)s” released to the office queue", task=task)
    if kind == "task_completed":
        return gettext("Task “%(task)s” completed", task=task)
    if kind == "task_cancelled":
        return gettext("Task “%(task)s” withdrawn", task=task)
    if kind == "task_reassigned":
        return gettext("Task “%(task)s” reassigned", task=task)
    if kind == "gateway_decided":
        taken = [t for t in details.get("taken", []) if isinstance(t, dict)]
        # A flow's name ("ja", "nein") tells the decision best; else the element it led to.
        names = ", ".join(names_by_id.get(t.get("flow") or "") or names_by_id.get(t.get("target") or "")
                          or str(t.get("target") or "") for t in taken)
        if names:
            return gettext("Decision “%(element)s”: %(path)s", element=element, path=names)
        return gettext("Decision “%(element)s” taken", element=element)
    if kind == "timer_fired":
        return gettext("Timer “%(element)s” expired", element=element)
    if kind == "message_correlated":
        return gettext("Message “%(message)s” received", message=details.get("message", ""))
    if kind == "message_sent":
        return gettext("Message “%(message)s” sent", message=details.get("message", ""))
    if kind == "incident_raised":
        return gettext("A step failed (incident)")
    if kind == "incident_retried":
        return gettext("Failed step retried")
    if kind == "reminder_sent":
        return gettext("Reminder sent for “%(task)s”", task=task)
    if kind == "escalated":
        return gettext("Deadline of “%(task)s” missed: escalated (level %(level)s)", task=task,
                       level=details.get("level", 1))
    if kind == "due_date_changed":
        new = details.get("new")
        shown = due_display(datetime.fromisoformat(new)) if new else "—"
        return gettext("Deadline of “%(task)s” changed to %(due)s", task=task, due=shown)
    if kind == "deadline_paused":
        return gettext("Deadline of “%(task)s” paused (%(mode)s): %(reason)s", task=task,
                       mode=details.get("mode", ""), reason=details.get("reason", ""))
    if kind == "deadline_resumed":
        new = details.get("new")
        shown = due_display(datetime.fromisoformat(new)) if new else "—"
        return gettext("Deadline of “%(task)s” running again, now due %(due)s", task=task, due=shown)
    if kind == "instance_completed":
        return gettext("Case completed")
    if kind == "instance_cancelled":
        return gettext("Case cancelled")
    if kind == "erased":
        return gettext("Personal data erased")
    return None  # deployment, user and retention events do not belong to a case's story


def case_history(events: Iterable[AuditEvent], *, task_names: dict[int, str] | None = None,
                 elements: dict[str, str] | None = None) -> list[HistoryEntry]:
    """Timeline entries in chain order; `elements` maps BPMN element and flow ids to their names."""
    task_names, elements = task_names or {}, elements or {}
    entries = []
    for event in events:
        element = elements.get(event.element_id or "") or event.element_id or ""
        text = _sentence(event, _task_name(event, task_names, elements), element, elements)
        if text is None:
            continue
        actor = None if event.actor in SYSTEM_ACTORS else event.actor
        entries.append(HistoryEntry(at=event.occurred_at, text=text, actor=actor, office=event.office,
                                    kind=event.kind))
    return entries
