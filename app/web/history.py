"""The case history for people: audit events of an instance in plain (German or English) sentences."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    task_id = details.get("task_id")
    name = (details.get("name") or (task_names.get(task_id) if task_id is not None else None)
            or elements.get(event.element_id or ""))
    return name or (event.element_id or gettext("task"))


# Sentences that need no more than the task and element names; gettext runs per call, in the reader's locale.
_PLAIN: dict[str, Callable[[str, str], str]] = {
    "instance_started": lambda task, element: gettext("Case started"),
    "task_claimed": lambda task, element: gettext("Task “%(task)s” taken over", task=task),
    "task_unclaimed": lambda task, element: gettext("Task “%(task)s” released to the office queue", task=task),
    "task_completed": lambda task, element: gettext("Task “%(task)s” completed", task=task),
    "task_cancelled": lambda task, element: gettext("Task “%(task)s” withdrawn", task=task),
    "task_reassigned": lambda task, element: gettext("Task “%(task)s” reassigned", task=task),
    "timer_fired": lambda task, element: gettext("Timer “%(element)s” expired", element=element),
    "incident_raised": lambda task, element: gettext("A step failed (incident)"),
    "incident_retried": lambda task, element: gettext("Failed step retried"),
    "reminder_sent": lambda task, element: gettext("Reminder sent for “%(task)s”", task=task),
    "instance_completed": lambda task, element: gettext("Case completed"),
    "instance_cancelled": lambda task, element: gettext("Case cancelled"),
    "erased": lambda task, element: gettext("Personal data erased"),
}


def _sentence(event: AuditEvent, task: str, element: str, names_by_id: dict[str, str]) -> str | None:
    plain = _PLAIN.get(event.kind)
    if plain is not None:
        return plain(task, element)
    details: dict[str, Any] = event.details or {}
    kind = event.kind
    if kind == "task_created":
        office = event.office or gettext("no office")
        return gettext("Task “%(task)s” handed to %(office)s", task=task, office=office)
    if kind == "gateway_decided":
        return _decision(details, element, names_by_id)
    if kind == "message_correlated":
        return gettext("Message “%(message)s” received", message=details.get("message", ""))
    if kind == "message_sent":
        return gettext("Message “%(message)s” sent", message=details.get("message", ""))
    if kind == "escalated":
        return gettext("Deadline of “%(task)s” missed: escalated (level %(level)s)", task=task,
                       level=details.get("level", 1))
    if kind == "due_date_changed":
        new = details.get("new")
        shown = due_display(datetime.fromisoformat(new)) if new else "—"
        return gettext("Deadline of “%(task)s” changed to %(due)s", task=task, due=shown)
    return None  # deployment, user and retention events do not belong to a case's story


def _decision(details: dict[str, Any], element: str, names_by_id: dict[str, str]) -> str:
    taken = [t for t in details.get("taken", []) if isinstance(t, dict)]
    # A flow's name ("ja", "nein") tells the decision best; else the element it led to.
    names = ", ".join(names_by_id.get(t.get("flow") or "") or names_by_id.get(t.get("target") or "")
                      or str(t.get("target") or "") for t in taken)
    if names:
        return gettext("Decision “%(element)s”: %(path)s", element=element, path=names)
    return gettext("Decision “%(element)s” taken", element=element)


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
