"""Due and follow-up dates of a new human task, from the model's properties."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from app.engine.calendar import DeadlineError, due_at, parse_duration
from app.engine.juel import is_juel
from app.engine.juel_dates import evaluate_date


def _camunda_date(raw: str | None, now: datetime, data: dict[str, Any]) -> datetime | None:
    """camunda:dueDate is an ISO date-time, an ISO period, or ${variable} holding either."""
    if not raw:
        return None
    value: Any = raw.strip()
    if is_juel(value):
        return evaluate_date(value, now, data)  # ${var}, ${dateTime().plusDays(n)} and the like
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("P"):
        try:
            return due_at(now, value)
        except DeadlineError:
            return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def before(moment: datetime, duration: str) -> datetime:
    """`moment` minus an ISO 8601 duration (months and years on the calendar, the rest exactly)."""
    d = parse_duration(duration)
    return moment - relativedelta(years=d.years, months=d.months, weeks=d.weeks, days=d.days, hours=d.hours,
                                  minutes=d.minutes, seconds=d.seconds)


def compute_due_dates(info: dict[str, Any], now: datetime,
                      data: dict[str, Any]) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(due_at, follow_up_at, remind_at) for a task created at `now`: lotse:dueIn first, camunda:dueDate second."""
    calendar = info.get("calendar") or "kalendertage"
    due = (due_at(now, info["due_in"], calendar) if info.get("due_in")
           else _camunda_date(info.get("camunda_due_date"), now, data))
    follow = (due_at(now, info["follow_up_in"], calendar) if info.get("follow_up_in")
              else _camunda_date(info.get("camunda_follow_up_date"), now, data))
    remind = before(due, info["remind_before"]) if due and info.get("remind_before") else None
    return due, follow, remind
