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

SYSTEM_ACTORS = ("system", "scheduler", "demo", "cli", "")


def element_names(bpmn_xml: str | bytes) -> dict[str, str]:
    """BPMN element and sequence-flow ids mapped to their names (for readable decisions and timers)."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    try:
        root = parse_xml(data).getroot()
    except XmlError:
        return {}
    return {el.get("id"): el.get("name") for el in root.iter() if isinstance(el.tag, str)
            and el.get("id") and el.get("name")}


def message_labels(bpmn_xml: str | bytes) -> dict[str, str]:
    """Message names mapped to the name of the event that sends or receives them ("UMA_erkannt" → "UMA erkannt")."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    try:
        root = parse_xml(data).getroot()
    except XmlError:
        return {}
    by_id = {el.get("id"): el.get("name") for el in root.iter() if isinstance(el.tag, str)
             and el.tag.endswith("}message") and el.get("name")}
    labels: dict[str, str] = {}
    for event in root.iter():
        if not isinstance(event.tag, str) or not event.get("name"):
            continue
        for child in event:
            if isinstance(child.tag, str) and child.tag.endswith("messageEventDefinition"):
                message = by_id.get(child.get("messageRef"))
                if message:
                    labels.setdefault(message, event.get("name"))
    return labels


def message_label(name: str, labels: dict[str, str]) -> str:
    """A message as people read it: its event's label, else its name with spaces."""
    return labels.get(name) or name.replace("_", " ")


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
    "timer_fired": lambda task, element: gettext("Timer “%(element)s” expired", element=element),
    "incident_raised": lambda task, element: gettext("A step failed (incident)"),
    "incident_retried": lambda task, element: gettext("Failed step retried"),
    "reminder_sent": lambda task, element: gettext("Reminder sent for “%(task)s”", task=task),
    "instance_completed": lambda task, element: gettext("Case completed"),
    "instance_cancelled": lambda task, element: gettext("Case cancelled"),
    "erased": lambda task, element: gettext("Personal data erased"),
}


def _sentence(event: AuditEvent, task: str, element: str, names_by_id: dict[str, str],
              context: dict[str, Any]) -> str | None:
    plain = _PLAIN.get(event.kind)
    if plain is not None:
        return plain(task, element)
    details: dict[str, Any] = event.details or {}
    people: dict[str, str] = context.get("people") or {}
    messages: dict[str, str] = context.get("messages") or {}
    kind = event.kind
    if kind == "task_created":
        office = event.office or gettext("no office")
        return gettext("Task “%(task)s” handed to %(office)s", task=task, office=office)
    if kind == "task_reassigned":
        return _reassigned(details, task, people)
    if kind == "gateway_decided":
        if not names_by_id.get(event.element_id or ""):
            return None  # an unnamed gateway is plumbing of the model, not a decision anyone took
        return _decision(details, element, names_by_id)
    if kind == "message_correlated":
        return gettext("Message “%(message)s” received", message=message_label(details.get("message", ""), messages))
    if kind == "message_sent":
        return gettext("Message “%(message)s” sent", message=message_label(details.get("message", ""), messages))
    if kind == "escalated":
        return gettext("Deadline of “%(task)s” missed: escalated to %(to)s (level %(level)s)", task=task,
                       to=escalation_target(details.get("level", 1), event.office, details.get("to_office"),
                                            details.get("recipients")),
                       level=details.get("level", 1))
    if kind == "due_date_changed":
        new = details.get("new")
        shown = due_display(datetime.fromisoformat(new)) if new else "—"
        reason = (context.get("reasons") or {}).get(details.get("payload_sha256") or "")
        if reason:
            return gettext("Deadline of “%(task)s” changed to %(due)s (reason: %(reason)s)", task=task, due=shown,
                           reason=reason)
        return gettext("Deadline of “%(task)s” changed to %(due)s", task=task, due=shown)
    if kind == "deadline_paused":
        return gettext("Deadline of “%(task)s” paused (%(mode)s): %(reason)s", task=task,
                       mode=details.get("mode", ""), reason=details.get("reason", ""))
    if kind == "deadline_resumed":
        new = details.get("new")
        shown = due_display(datetime.fromisoformat(new)) if new else "—"
        return gettext("Deadline of “%(task)s” running again, now due %(due)s", task=task, due=shown)
    return None  # deployment, user and retention events do not belong to a case's story


def escalation_target(level: int, office: str | None, to_office: str | None, recipients: list | None = None) -> str:
    """Whom an escalation went to: the head of the task's office (level 1), the coordination office (level 2)."""
    if level == 2:
        return to_office or gettext("the coordination office")
    if office:
        return gettext("the head of %(office)s", office=office)
    return gettext("the supervisors")


def _decision(details: dict[str, Any], element: str, names_by_id: dict[str, str]) -> str:
    taken = [t for t in details.get("taken", []) if isinstance(t, dict)]
    # A flow's name ("ja", "nein") tells the decision best; else the element it led to.
    names = ", ".join(names_by_id.get(t.get("flow") or "") or names_by_id.get(t.get("target") or "")
                      or str(t.get("target") or "") for t in taken)
    if names:
        return gettext("Decision “%(element)s”: %(path)s", element=element, path=names)
    return gettext("Decision “%(element)s” taken", element=element)


def _reassigned(details: dict[str, Any], task: str, people: dict[str, str]) -> str:
    new = people.get(details.get("new") or "", details.get("new") or "—")
    if details.get("on_behalf_of"):
        return gettext("Task “%(task)s” taken over in Vertretung for %(user)s", task=task,
                       user=people.get(details["on_behalf_of"], details["on_behalf_of"]))
    if details.get("old"):
        return gettext("Task “%(task)s” reassigned from %(old)s to %(new)s", task=task,
                       old=people.get(details["old"], details["old"]), new=new)
    return gettext("Task “%(task)s” assigned to %(new)s", task=task, new=new)


def case_history(events: Iterable[AuditEvent], *, task_names: dict[int, str] | None = None,
                 elements: dict[str, str] | None = None, people: dict[str, str] | None = None,
                 messages: dict[str, str] | None = None, reasons: dict[str, str] | None = None) -> list[HistoryEntry]:
    """Timeline entries in chain order; `elements` maps BPMN element and flow ids to their names, `people`
    usernames to full names, `messages` message names to their labels, `reasons` payload hashes to reasons."""
    task_names, elements = task_names or {}, elements or {}
    context = {"people": people or {}, "messages": messages or {}, "reasons": reasons or {}}
    entries = []
    for event in events:
        element = elements.get(event.element_id or "") or event.element_id or ""
        text = _sentence(event, _task_name(event, task_names, elements), element, elements, context)
        if text is None:
            continue
        actor = gettext("System") if event.actor in SYSTEM_ACTORS else (people or {}).get(event.actor, event.actor)
        entries.append(HistoryEntry(at=event.occurred_at, text=text, actor=actor, office=event.office,
                                    kind=event.kind))
    return entries
