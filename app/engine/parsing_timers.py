"""ISO 8601 timer literals as modelers write them, checked the way SpiffWorkflow evaluates them."""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime

import isodate
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.engine import bounds

TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?=[\dT])(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$"
)
# What counts as "the modeler wrote a literal": durations, repetitions and dates.
_LITERAL_HINT = re.compile(r"^(?:R\d*/\S*|P[\dT]\S*|\d{4}-\d{2}-\d{2}\S*)$")

_EXAMPLES = {
    "duration": "PT1H or P14D",
    "date": "2026-12-01T09:00:00+01:00",
    "cycle": "R3/PT10M",
}


def looks_like_literal(text: str) -> bool:
    """True if the text is meant as an ISO 8601 literal rather than an expression."""
    return bool(_LITERAL_HINT.match(text))


def quoted_literal(text: str) -> str | None:
    """The string value of a python string literal such as '"PT1H"', else None."""
    if not text or text[0] not in "'\"":
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def quote(literal: str) -> str:
    """Python source text of a string literal."""
    return json.dumps(literal)


def duration_pattern_ok(text: str) -> bool:
    """True if text has the shape of an ISO 8601 duration with at least one component."""
    return bool(_DURATION.match(text))


def duration_error(text: str) -> str | None:
    """Why text is not an ISO 8601 duration SpiffWorkflow can evaluate, or None."""
    if not _DURATION.match(text):
        if re.match(r"^PT.*[YWD]", text):
            return (f"'{text}' is not a valid ISO 8601 duration: years, weeks and days go before the T "
                    "(e.g. P1D, not PT1D)")
        return f"'{text}' is not a valid ISO 8601 duration (e.g. PT1H, P14D, P1Y2M3DT4H)"
    if too_long := bounds.duration_problem(text):  # before the engine walks it month by month
        return too_long
    if re.search(r"[.,]\d+[A-Z].", text):
        return f"'{text}' has a fraction before its last unit; only the last unit may be fractional"
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
        TimerEventDefinition.get_timedelta_from_start(dict(parsed))
        isodate.parse_duration(text.replace(",", "."))
    except Exception:  # noqa: BLE001 - the library raises bare Exception
        if "W" in text:
            return f"'{text}' combines weeks with other units, which is not supported (write days instead)"
        return f"'{text}' is not a duration the engine can evaluate"
    return None


def datetime_error(text: str, what: str = "timeDate") -> str | None:
    """Why text is not an ISO 8601 date-time with offset, or None."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return f"'{text}' is not a valid ISO 8601 date-time (e.g. {_EXAMPLES['date']})"
    if value.tzinfo is None:
        return (f"{what} '{text}' needs an offset or Z (e.g. {_EXAMPLES['date']}); "
                "without one the server's local time zone would apply")
    return None


def cycle_error(text: str) -> str | None:
    """Why text is not an ISO 8601 repeating interval SpiffWorkflow can evaluate, or None."""
    if not re.match(r"^R\d*/", text):
        return f"'{text}' is not an ISO 8601 repeating interval (e.g. R3/PT10M or R/PT1H)"
    parts = text.split("/")[1:]
    if len(parts) not in (1, 2) or not any(part.startswith("P") for part in parts):
        return f"'{text}' must be R[n]/duration, R[n]/start/duration or R[n]/duration/end"
    for part in parts:
        error = duration_error(part) if part.startswith("P") else datetime_error(part, "timeCycle date")
        if error:
            return error
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:  # noqa: BLE001 - the library raises bare Exception
        return f"'{text}' is not a repeating interval the engine can evaluate"
    return None


def literal_error(kind: str, literal: str) -> str | None:
    """Why a timer literal of the given kind ('duration'|'date'|'cycle') is invalid, or None."""
    if kind == "duration":
        return duration_error(literal)
    if kind == "date":
        return datetime_error(literal)
    return cycle_error(literal)


def example(kind: str) -> str:
    """A valid example literal for the kind, for error messages."""
    return _EXAMPLES[kind]
