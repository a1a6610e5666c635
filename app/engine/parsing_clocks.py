"""Reading the legal-clock attributes (lotse:dueFrom, lotse:rule, ...) of user tasks and timer events.

The attributes are camunda:properties (Camunda Modeler: "Extensions > Properties"):

* ``lotse:dueFrom`` — where the clock starts: ``${variable}`` (a date or date-time in the case data), ``start``
  (the case started), ``completed:ELEMENT_ID`` (a user task completed), ``message:NAME`` (a message arrived).
  Without it a user task's clock starts when the task is created, a timer's when it is armed.
* ``lotse:dueFromLabel`` — what the trigger is, shown to clerks ("Zustellung des Bescheids").
* ``lotse:rule`` (calendar_rules.RULES), ``lotse:shift`` (``bgb193`` | ``none``), ``lotse:calendar``.
* ``lotse:dueIn`` — the offset, backwards with a minus (``-P3M``, only with lotse:dueFrom); on a timer it replaces
  the timer's own duration.
* ``lotse:legalSource`` — the law; a clock with one is a legal deadline, without one an internal target, unless
  ``lotse:deadline`` says ``legal`` or ``internal`` explicitly (a legal deadline must name its source).
* ``lotse:clock`` — a name binding the clock to the case: a timer re-armed in a loop keeps the first end.
* ``lotse:against`` — ``person``: the clock runs against the person (objection, court, title expiry, reporting
  duty); it is watched as a case deadline and reminds the responsible office.
* ``lotse:pauses`` — a user task id: while this task is open, that task's deadline is paused (``lotse:pauseMode``
  ``hemmung``, the default, or ``unterbrechung``) and it runs again when this task ends (app/deadlines/pause.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

from app.engine.calendar import CALENDARS, DeadlineError
from app.engine.calendar_rules import RULES, SHIFTS, check, compute, parse_offset

CLOCK_PROPERTIES = {
    "lotse:dueFrom": "due_from", "lotse:dueFromLabel": "due_from_label", "lotse:rule": "rule",
    "lotse:shift": "shift", "lotse:clock": "clock", "lotse:against": "against", "lotse:deadline": "deadline",
    "lotse:pauses": "pauses", "lotse:pauseMode": "pause_mode",
}
_TASK_ONLY = ("lotse:pauses", "lotse:pauseMode")
TIMER_PROPERTIES = {**{k: v for k, v in CLOCK_PROPERTIES.items() if k not in _TASK_ONLY},
                    "lotse:dueIn": "due_in", "lotse:calendar": "calendar",
                    "lotse:legalSource": "legal_source", "lotse:remindBefore": "remind_before"}
_VARIABLE = re.compile(r"^[#$]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_EVENT = re.compile(r"^(start|completed:[A-Za-z_][\w.-]*|message:\S.*)$")
_CLOCK_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")

Report = Callable[[str, etree._Element | None], None]


def trigger_variable(due_from: str | None) -> str | None:
    """The case variable a lotse:dueFrom names (``${zugestellt_am}`` → ``zugestellt_am``), else None."""
    match = _VARIABLE.match(due_from or "")
    return match.group(1) if match else None


def _check_trigger(value: str, root: etree._Element, report: Report, at: etree._Element) -> None:
    if trigger_variable(value):
        return
    if not _EVENT.match(value):
        report(f"lotse:dueFrom '{value}' is not a trigger; use ${{variable}}, start, completed:ELEMENT_ID or "
               "message:NAME", at)
        return
    kind, _, ref = value.partition(":")
    if kind == "completed" and ref not in root.xpath("//*[local-name()='userTask']/@id"):
        report(f"lotse:dueFrom '{value}': there is no user task with id '{ref}' in this model", at)
    if kind == "message" and ref not in root.xpath("//*[local-name()='message']/@name"):
        report(f"lotse:dueFrom '{value}': there is no message named '{ref}' in this model", at)


def read(props: dict[str, tuple[str, etree._Element]], root: etree._Element, report: Report, *,
         timer: bool = False, legal_source: str | None = None, due_in: str | None = None,
         calendar: str | None = None) -> dict[str, Any] | None:
    """The clock attributes of one element as a dict (None when it has none); problems go to `report`."""
    names = TIMER_PROPERTIES if timer else CLOCK_PROPERTIES
    found = {names[name]: value for name, (value, _el) in props.items() if name in names and value}
    if not found:
        return None
    at = {names[name]: el for name, (_v, el) in props.items() if name in names}
    clock: dict[str, Any] = {"rule": "ereignis", "shift": "bgb193", "calendar": calendar or "kalendertage",
                             "legal_source": legal_source, "due_in": due_in, **found}
    for key, known in (("rule", RULES), ("shift", SHIFTS), ("calendar", CALENDARS)):
        if clock[key] not in known:
            report(f"lotse:{key} '{clock[key]}' is unknown; use one of {', '.join(known)}", at.get(key))
            return None
    if clock.get("due_from"):
        _check_trigger(clock["due_from"], root, report, at["due_from"])
        if not clock.get("due_in"):
            report("lotse:dueFrom needs lotse:dueIn (the period that runs from it)", at["due_from"])
    if clock.get("pauses") and clock["pauses"] not in root.xpath("//*[local-name()='userTask']/@id"):
        report(f"lotse:pauses '{clock['pauses']}': there is no user task with that id in this model", at["pauses"])
    if clock.get("pause_mode") not in (None, "hemmung", "unterbrechung"):
        report(f"lotse:pauseMode '{clock['pause_mode']}' is unknown; use hemmung or unterbrechung", at["pause_mode"])
    if clock.get("clock") and not _CLOCK_NAME.match(clock["clock"]):
        report(f"lotse:clock '{clock['clock']}' must be a lower-case name (letters, digits, - and _)", at["clock"])
    if clock.get("against") not in (None, "person"):
        report(f"lotse:against '{clock['against']}' is unknown; the only value is 'person'", at["against"])
    if clock.get("deadline") not in (None, "legal", "internal"):
        report(f"lotse:deadline '{clock['deadline']}' is unknown; use legal or internal", at["deadline"])
    elif clock.get("deadline") == "legal" and not clock.get("legal_source"):
        report("lotse:deadline 'legal' needs lotse:legalSource naming the law", at["deadline"])
    clock["legal"] = clock.get("deadline") == "legal" or (clock.get("deadline") is None
                                                          and bool(clock.get("legal_source")))
    _check_offset(clock, report, at.get("due_in"))
    return clock


def _check_offset(clock: dict[str, Any], report: Report, at: etree._Element | None) -> None:
    offset = clock.get("due_in")
    if offset is None:
        return
    try:
        parsed = parse_offset(offset)
        check(clock["calendar"], clock["rule"], clock["shift"])
        if parsed.backwards and not clock.get("due_from"):
            report(f"lotse:dueIn '{offset}' counts backwards and needs lotse:dueFrom (the date it counts back "
                   "from)", at)
            return
        if parsed.duration.has_time_part:
            if clock["rule"] != "ereignis" or clock["shift"] != "bgb193" or clock["calendar"] != "kalendertage":
                report(f"lotse:dueIn '{offset}' has hours or minutes; lotse:rule, lotse:shift and lotse:calendar "
                       "apply to day-based clocks only", at)
            return
        compute(date(2026, 1, 1), parsed, calendar=clock["calendar"], rule=clock["rule"], shift=clock["shift"])
    except DeadlineError as exc:
        report(f"lotse:dueIn '{offset}': {exc}", at)


def signed_duration_ok(value: str, props: dict[str, tuple[str, etree._Element]]) -> bool:
    """True for a backwards lotse:dueIn ('-P3M') on an element that names lotse:dueFrom."""
    if not value.startswith("-") or not props.get("lotse:dueFrom", ("",))[0]:
        return False
    try:
        parse_offset(value)
    except DeadlineError:
        return False
    return True


def read_timer(event: etree._Element, info: Any, props: dict[str, tuple[str, etree._Element]],
               root: etree._Element, report: Report) -> dict[str, Any] | None:
    """The clock attributes of a timer event (None when it has none); only duration timers take them."""
    for name, (_value, el) in props.items():
        if name.startswith("lotse:") and name not in TIMER_PROPERTIES:
            report(f"unknown property '{name}' on a timer (known: {', '.join(sorted(TIMER_PROPERTIES))})", el)
    if not any(name in TIMER_PROPERTIES for name in props):
        return None
    if info.kind != "duration":
        report("legal-clock properties (lotse:dueFrom, lotse:rule, ...) need a timeDuration timer; "
               f"this one is a time{info.kind.capitalize()}", None)
        return None
    due_in = props.get("lotse:dueIn", ("",))[0] or _literal(info.expression)
    if not due_in:
        report("a timer with legal-clock properties needs lotse:dueIn or a literal timeDuration such as P1M", None)
        return None
    return read(props, root, report, timer=True, due_in=due_in,
                legal_source=props.get("lotse:legalSource", ("",))[0] or None)


def _literal(expression: str) -> str | None:
    from app.engine.parsing_timers import looks_like_literal, quoted_literal

    value = quoted_literal(expression) or expression
    return value if looks_like_literal(value) else None
