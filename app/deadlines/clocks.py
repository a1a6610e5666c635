"""Legal clocks of a case: where a clock starts (lotse:dueFrom), when it ends, and clocks bound to the case.

A step computes its clocks while the engine runs (user tasks in orchestration._settle, timers when armed);
`CaseEvents` answers "when did X happen in this case" from the case's own record, loading only what a clock
asks for. A trigger that is missing or malformed raises ClockTriggerError, which the step turns into an incident
naming the element: a clock never silently starts "now".
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import clock_timers
from app.engine.calendar import BERLIN, DeadlineError, due_at
from app.engine.calendar_rules import compute, end_of, parse_offset, remind_on
from app.engine.expressions import ExpressionError
from app.engine.parsing_clocks import trigger_variable

EVENT_LABELS = {"start": "Fallbeginn", "completed": "Abschluss von", "message": "Eingang der Nachricht"}


class ClockTriggerError(ExpressionError):
    """A clock's trigger (lotse:dueFrom) is missing or not a date; raised at the element, becomes an incident."""

    def __init__(self, element_id: str, message: str):
        super().__init__(message)
        self.id = element_id


@dataclass
class Computed:
    """One computed clock: its end, where it started, and how to show it."""

    due_at: datetime
    due_from: date | None = None
    due_from_label: str | None = None
    remind_at: datetime | None = None
    legal: bool | None = None
    against: str | None = None
    last_day: date | None = None


class CaseEvents:
    """When things happened in one case, read lazily; also the case's bound clocks (lotse:clock)."""

    def __init__(self, session: Session | None, instance: Any, *, now: datetime, completing: str | None = None,
                 message: str | None = None):
        self.session, self.instance, self.now = session, instance, now
        self.completing, self.message = completing, message  # what the current step does (not yet recorded)
        self._bound: dict[str, Any] | None = None
        self.new_clocks: list[Any] = []

    def started(self) -> datetime | None:
        """When the case started."""
        return getattr(self.instance, "started_at", None) or self.now

    def _last_event(self, kind: str, match: Any) -> datetime | None:
        if self.session is None or getattr(self.instance, "id", None) is None:
            return None
        from app.audit.models import AuditEvent

        rows = self.session.execute(select(AuditEvent.occurred_at, AuditEvent.element_id, AuditEvent.details).where(
            AuditEvent.instance_id == self.instance.id, AuditEvent.kind == kind).order_by(AuditEvent.seq.desc()))
        return next((row.occurred_at for row in rows if match(row)), None)

    def completed(self, element_id: str) -> datetime | None:
        """When the user task element_id was last completed (this step counts)."""
        if self.completing == element_id:
            return self.now
        return self._last_event("task_completed", lambda row: row.element_id == element_id)

    def message_arrived(self, name: str) -> datetime | None:
        """When the message `name` last reached this case (this step counts)."""
        if self.message == name:
            return self.now
        return self._last_event("message_correlated", lambda row: (row.details or {}).get("message") == name)

    def bound(self, name: str) -> Any | None:
        """The case's clock with this lotse:clock name (None before it was first armed)."""
        if self._bound is None:
            self._bound = {}
            if self.session is not None and getattr(self.instance, "id", None) is not None:
                from app.deadlines.models import CaseClock

                self._bound = {c.name: c for c in self.session.scalars(
                    select(CaseClock).where(CaseClock.instance_id == self.instance.id))}
        return self._bound.get(name)

    def bind(self, clock: Any) -> None:
        """Remember a newly armed bound clock; written after the step succeeded (`write`)."""
        self.bound(clock.name)
        assert self._bound is not None
        self._bound[clock.name] = clock
        self.new_clocks.append(clock)

    def write(self) -> None:
        """Add the clocks this step bound to the case."""
        if self.session is not None:
            for clock in self.new_clocks:
                clock.instance_id = self.instance.id
                self.session.add(clock)
        self.new_clocks = []


def events_for(session: Session, instance: Any, op: Any, *, now: datetime) -> CaseEvents:
    """The case events of a step applying `op` (its completion or message counts as happening now)."""
    completing = None
    if op.kind == "complete" and op.human_task_id is not None:
        from app.tasks.models import HumanTask

        task = session.get(HumanTask, op.human_task_id)
        completing = task.element_id if task is not None else None
    return CaseEvents(session, instance, now=now, completing=completing,
                      message=op.message_name if op.kind == "message" else None)


def timer_clocks(definition: Any) -> dict[str, dict]:
    """Element id → clock attributes of the definition's timers that carry legal-clock properties."""
    return {t["element_id"]: t["clock"] for t in (definition.summary or {}).get("timers", []) if t.get("clock")}


_events: contextvars.ContextVar[tuple[CaseEvents, dict[str, dict]] | None] = contextvars.ContextVar(
    "lotse_case_events", default=None)


@contextlib.contextmanager
def case_clocks(events: CaseEvents, timers: dict[str, dict]) -> Iterator[CaseEvents]:
    """Run a step with its case events and the timer clocks of its definition (element id → attributes)."""
    token = _events.set((events, timers))
    try:
        if timers:
            with clock_timers.arming(lambda element_id, data: _arm(events, timers, element_id, data),
                                     lambda element_id: _fired(events, timers, element_id)):
                yield events
        else:
            yield events
    finally:
        _events.reset(token)


def _arm(events: CaseEvents, timers: dict[str, dict], element_id: str, data: dict[str, Any]) -> datetime | None:
    """Due instant of a timer with legal-clock properties (None: not ours); a bound clock keeps its first end."""
    clock = timers.get(element_id)
    if clock is None:
        return None
    name = clock.get("clock")
    bound = events.bound(name) if name else None
    if bound is not None:
        return clock_timers.NEVER if bound.fired_at is not None else bound.due_at
    computed = compute_clock(element_id, clock, data, events, events.now)
    if name:
        from app.deadlines.models import CaseClock

        events.bind(CaseClock(municipality_id=events.instance.municipality_id, name=name, element_id=element_id,
                              due_from=computed.due_from, due_from_label=computed.due_from_label,
                              due_at=computed.due_at, legal_source=clock.get("legal_source"),
                              legal=computed.legal, against=computed.against, armed_at=events.now))
    return computed.due_at


def _fired(events: CaseEvents, timers: dict[str, dict], element_id: str) -> None:
    name = (timers.get(element_id) or {}).get("clock")
    bound = events.bound(name) if name else None
    if bound is not None and bound.fired_at is None:
        bound.fired_at = events.now


def current() -> tuple[CaseEvents, dict[str, dict]] | None:
    """The case events and timer clocks of the running step (None outside one)."""
    return _events.get()


def _as_trigger(value: Any) -> date | datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def resolve_trigger(element_id: str, clock: dict[str, Any], data: dict[str, Any], events: CaseEvents | None,
                    now: datetime) -> tuple[date | datetime, str | None]:
    """(trigger, label) of a clock: its lotse:dueFrom, or `now` when it has none."""
    due_from = clock.get("due_from")
    label = clock.get("due_from_label")
    if not due_from:
        return now, label
    variable = trigger_variable(due_from)
    if variable:
        raw = data.get(variable)
        if raw is None or raw == "":
            raise ClockTriggerError(element_id, f"lotse:dueFrom '{due_from}': the case has no value for "
                                    f"'{variable}', so the deadline cannot be computed")
        value = _as_trigger(raw)
        if value is None:
            raise ClockTriggerError(element_id, f"lotse:dueFrom '{due_from}': '{variable}' = {str(raw)[:40]!r} is "
                                    "not a date (YYYY-MM-DD) or a date-time with time zone")
        return value, label
    kind, _, ref = due_from.partition(":")
    found = None
    if events is not None:
        found = {"start": lambda: events.started(), "completed": lambda: events.completed(ref),
                 "message": lambda: events.message_arrived(ref)}[kind]()
    if found is None:
        raise ClockTriggerError(element_id, f"lotse:dueFrom '{due_from}': that has not happened in this case yet")
    return found, label or f"{EVENT_LABELS[kind]} {ref}".strip()


def compute_clock(element_id: str, clock: dict[str, Any], data: dict[str, Any], events: CaseEvents | None,
                  now: datetime) -> Computed:
    """Compute one clock (user task or timer) from its attributes and the case."""
    trigger, label = resolve_trigger(element_id, clock, data, events, now)
    offset = clock.get("due_in") or "P0D"
    try:
        if parse_offset(offset).duration.has_time_part:
            start = trigger if isinstance(trigger, datetime) else datetime.combine(trigger, time.min, BERLIN)
            due, last = due_at(start, offset), None
        else:
            result = compute(trigger, offset, calendar=clock.get("calendar") or "kalendertage",
                             rule=clock.get("rule") or "ereignis", shift=clock.get("shift") or "bgb193")
            due, last = result.due, result.last_day
    except DeadlineError as exc:
        raise ClockTriggerError(element_id, f"deadline of '{element_id}': {exc}") from exc
    remind = None
    if clock.get("remind_before"):
        remind = remind_on(due, clock["remind_before"], clock.get("calendar") or "kalendertage")
    trigger_day = trigger.astimezone(BERLIN).date() if isinstance(trigger, datetime) else trigger
    return Computed(due, trigger_day if clock.get("due_from") else None, label if clock.get("due_from") else None,
                    remind, clock.get("legal"), clock.get("against"), last)


def task_deadline(info: dict[str, Any], now: datetime, data: dict[str, Any],
                  events: CaseEvents | None = None) -> Computed | None:
    """The clock of a new user task with legal-clock attributes (None for tasks without)."""
    clock = info.get("clock")
    if not clock:
        return None
    if events is None:
        running = current()
        events = running[0] if running else None
    merged = {**clock, "due_in": info.get("due_in") or clock.get("due_in"),
              "remind_before": info.get("remind_before")}
    if not merged["due_in"]:
        return None
    return compute_clock(info.get("element_id") or "", merged, data, events, now)


def ends_at_day_end(due: datetime) -> bool:
    """True when a due instant is the end of a Berlin day (a legal clock), not a time of day."""
    return due.astimezone(BERLIN) == end_of(due.astimezone(BERLIN).date())


__all__ = ["CaseEvents", "ClockTriggerError", "Computed", "case_clocks", "compute_clock", "current",
           "ends_at_day_end", "events_for", "resolve_trigger", "task_deadline", "timer_clocks"]
