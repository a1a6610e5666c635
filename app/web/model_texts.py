"""Model facts in words: validation problems, deployment warnings, version changes, ISO 8601 durations."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext, ngettext

from app.definitions.diff import Change
from app.web.formatting import calendar_label

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_text(value: str | None) -> str:
    """"P14D" → "14 Tage", "PT48H" → "48 Stunden"; anything else unchanged; None → "—"."""
    if not value:
        return "—"
    raw = value.strip().strip('"\'')
    match = _DURATION.match(raw)
    if not match or not any(match.groups()):
        return raw
    years, months, weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    units = (
        (years, lambda n: ngettext("%(num)d year", "%(num)d years", n)),
        (months, lambda n: ngettext("%(num)d month", "%(num)d months", n)),
        (weeks, lambda n: ngettext("%(num)d week", "%(num)d weeks", n)),
        (days, lambda n: ngettext("%(num)d day", "%(num)d days", n)),
        (hours, lambda n: ngettext("%(num)d hour", "%(num)d hours", n)),
        (minutes, lambda n: ngettext("%(num)d minute", "%(num)d minutes", n)),
        (seconds, lambda n: ngettext("%(num)d second", "%(num)d seconds", n)),
    )
    return ", ".join(say(amount) for amount, say in units if amount)


def _problem_kinds() -> dict[str, str]:
    return {"xml": gettext("XML error"), "xsd": gettext("Does not match the BPMN schema"),
            "unsupported": gettext("Not supported"), "call_target": gettext("Called process missing"),
            "expression": gettext("Expression not allowed"), "timer": gettext("Timer not understood"),
            "property": gettext("Property invalid"), "structure": gettext("Structure"),
            "reserved_id": gettext("Reserved id"), "confirm": gettext("Needs your confirmation")}


def problem_kind(code: str | None) -> str:
    """The German/English name of a problem code from the BPMN check."""
    return _problem_kinds().get(code or "", gettext("Problem"))


def callers_of(key: str, latest: list[Any]) -> list[str]:
    """Names of the deployed processes (newest versions) whose call activities call this process."""
    return sorted({d.name for d in latest if key in ((d.summary or {}).get("called_elements") or [])
                   and d.key != key})


def split_warnings(summary: dict[str, Any], callers: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """(real warnings, lanes resolved by the caller): in a process other processes call (or one this model calls), a
    task in a lane that is no office goes to the calling task's office at run time (Lotse resolves the caller's
    lane), so it is no warning."""
    kept, resolved = [], []
    for warning in summary.get("warnings") or []:
        task = (summary.get("user_tasks") or {}).get(warning.get("element_id") or "") or {}
        own = task.get("process_id") in ("", None, *(summary.get("processes") or []))
        # A task of a process this model calls takes the calling task's office as well.
        if task.get("lane") and (callers or not own):
            if task["lane"] not in resolved:
                resolved.append(task["lane"])
            continue
        kept.append(warning)
    return kept, resolved


def warning_text(warning: dict[str, Any], summary: dict[str, Any]) -> str:
    """A deployment warning (a user task whose lane names no office) as a sentence."""
    element_id = warning.get("element_id") or ""
    task = (summary.get("user_tasks") or {}).get(element_id) or {}
    name = task.get("name") or element_id
    if task.get("lane"):
        return gettext("“%(task)s”: the lane “%(lane)s” is not an office of this municipality – the task will wait "
                       "in no office inbox.", task=name, lane=task["lane"])
    return gettext("“%(task)s” lies in no lane and names no office – the task will wait in no office inbox.",
                   task=name)


def _field_label(field: str | None) -> str:
    labels = {"lane": gettext("Office (lane)"), "form_key": gettext("Form"), "due_in": gettext("Deadline"),
              "calendar": gettext("Counted in"), "legal_source": gettext("Legal basis"),
              "remind_before": gettext("Reminder before the deadline"), "follow_up_in": gettext("Follow-up"),
              "camunda_due_date": gettext("Due date (camunda:dueDate)"), "kind": gettext("Kind"),
              "expression": gettext("Expression"), "attached_to": gettext("Attached to"),
              "interrupting": gettext("Interrupting")}
    return labels.get(field or "", field or "")


def _value(field: str | None, value: Any, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if field in ("due_in", "remind_before", "follow_up_in", "expression"):
        return duration_text(str(value))
    if field == "calendar":
        return calendar_label(value)
    if field == "interrupting":
        return gettext("yes") if value else gettext("no")
    if field == "kind":
        return {"duration": gettext("duration"), "date": gettext("date"), "cycle": gettext("cycle")}.get(value, value)
    if field == "attached_to":
        return names.get(value) or value
    return str(value)


def change_text(change: Change, names: dict[str, str] | None = None) -> str:
    """One version change as a sentence; `names` maps element ids to names (for timers)."""
    names = names or {}
    kind = change.kind
    element = names.get(change.element_id or "") or change.element_id or ""
    if kind == "lane_added":
        return gettext("Lane “%(lane)s” added", lane=change.name)
    if kind == "lane_removed":
        return gettext("Lane “%(lane)s” removed", lane=change.name)
    if kind == "task_added":
        return gettext("Task “%(task)s” added (%(lane)s)", task=change.name, lane=change.new or "—")
    if kind == "task_removed":
        return gettext("Task “%(task)s” removed", task=change.name)
    if kind == "task_renamed":
        return gettext("Task “%(old)s” renamed to “%(new)s”", old=change.old, new=change.new)
    if kind == "task_changed":
        return gettext("“%(task)s”: %(field)s %(old)s → %(new)s", task=change.name, field=_field_label(change.field),
                       old=_value(change.field, change.old, names), new=_value(change.field, change.new, names))
    if kind == "timer_added":
        return gettext("Timer “%(timer)s” added (%(value)s)", timer=element,
                       value=_value("expression", change.new, names))
    if kind == "timer_removed":
        return gettext("Timer “%(timer)s” removed", timer=element)
    if kind == "timer_changed":
        return gettext("Timer “%(timer)s”: %(field)s %(old)s → %(new)s", timer=element,
                       field=_field_label(change.field), old=_value(change.field, change.old, names),
                       new=_value(change.field, change.new, names))
    return kind


def change_group(change: Change) -> str:
    """Which heading a change is listed under: lanes, tasks, deadlines or timers."""
    if change.kind.startswith("lane"):
        return "lanes"
    if change.kind.startswith("timer"):
        return "timers"
    return "deadlines" if change.is_deadline else "tasks"
