"""camunda:dueDate / followUpDate: the date expressions people write in Camunda models, without eval.

Accepted: an ISO 8601 date-time, an ISO 8601 period (from the task's creation), `${variable}` holding either
(or a date), and a chain on `dateTime()` / `now()` / a variable such as
`${dateTime().plusDays(14)}` or `${antragsdatum.plusWeeks(2).plusDays(frist)}` with plus/minus Years, Months,
Weeks, Days, Hours, Minutes and Seconds, each given a whole number or a variable; Joda's `.toDate()` is allowed at
the end. Anything else is rejected at upload, naming the task.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from dateutil.relativedelta import relativedelta

_EXPR = re.compile(r"^[$#]\{\s*(?P<base>dateTime\(\s*\)|now\(\s*\)|[A-Za-z][A-Za-z0-9_]*)(?P<calls>(?:\s*\.\s*"
                   r"[A-Za-z]+\(\s*[^()]*\))*)\s*\}$")
_CALL = re.compile(r"\.\s*(?P<name>[A-Za-z]+)\(\s*(?P<arg>[^()]*?)\s*\)")
_UNITS = {"Years": "years", "Months": "months", "Weeks": "weeks", "Days": "days", "Hours": "hours",
          "Minutes": "minutes", "Seconds": "seconds"}
_NUMBER = re.compile(r"^-?[0-9]{1,6}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PERIOD = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
EXAMPLE = "${dateTime().plusDays(14)}"


class DateExpressionError(ValueError):
    """The text is no date expression Lotse understands."""


def _calls(text: str) -> list[tuple[str, str]]:
    calls = [(m.group("name"), m.group("arg")) for m in _CALL.finditer(text)]
    for position, (name, arg) in enumerate(calls):
        if name == "toDate" and not arg and position == len(calls) - 1:
            continue
        unit = name[4:] if name.startswith("plus") else name[5:]
        if not (name.startswith(("plus", "minus")) and unit in _UNITS) or not (_NUMBER.match(arg) or
                                                                               _NAME.match(arg)):
            raise DateExpressionError(f"'{name}({arg})' is not supported; use plusDays(n), plusWeeks(n), "
                                      "plusMonths(n) (or minus…, Years, Hours, Minutes) with a number or variable")
    return [(n, a) for n, a in calls if n != "toDate"]


def _literal_error(text: str) -> str | None:
    if _PERIOD.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return (f"'{text}' is neither an ISO 8601 date-time (e.g. 2026-12-01T09:00:00+01:00), a period (e.g. P14D) "
                f"nor a date expression (e.g. {EXAMPLE})")
    return None if parsed.tzinfo else f"'{text}' has no time zone (e.g. 2026-12-01T09:00:00+01:00)"


def date_expression_error(raw: str | None) -> str | None:
    """Why the dueDate/followUpDate text cannot be evaluated, or None when it can."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.startswith(("${", "#{")):
        return _literal_error(text)
    match = _EXPR.match(text)
    if match is None:
        return f"'{text}' is not a date expression Lotse evaluates (e.g. {EXAMPLE} or ${{variable}})"
    try:
        _calls(match.group("calls"))
    except DateExpressionError as exc:
        return str(exc)
    return None


def _as_datetime(value: Any, now: datetime) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=now.tzinfo)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if _PERIOD.match(text):
            from app.engine.calendar import due_at

            return due_at(now, text)
        try:
            return _as_datetime(datetime.fromisoformat(text), now)
        except ValueError:
            return None
    return None


def evaluate_date(raw: str | None, now: datetime, data: dict[str, Any]) -> datetime | None:
    """The moment a dueDate/followUpDate text means for a task created at `now` with case data `data`."""
    text = (raw or "").strip()
    if not text or date_expression_error(text):
        return None
    match = _EXPR.match(text)
    if match is None:
        return _as_datetime(text, now)
    base = match.group("base")
    moment = now if base.startswith(("dateTime", "now")) else _as_datetime(data.get(base), now)
    if moment is None:
        return None
    for name, arg in _calls(match.group("calls")):
        amount = int(arg) if _NUMBER.match(arg) else data.get(arg)
        if isinstance(amount, bool) or not isinstance(amount, int):
            return None
        unit = _UNITS[name[4:] if name.startswith("plus") else name[5:]]
        step = relativedelta(**{unit: amount})
        moment = moment + step if name.startswith("plus") else moment - step
    return moment
