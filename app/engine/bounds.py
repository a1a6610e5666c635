"""Upper bounds on what a model or a case may ask of the engine, checked in constant time.

A duration such as `P99999999999999999999Y` or `P10000000D` on a working-day calendar is well-formed ISO 8601,
yet computing its end walks month by month or day by day for far longer than any request may take, or ends
beyond the year 9999 that Python's dates reach. Lotse refuses durations longer than MAX_DURATION_YEARS at
upload (naming the element) and again wherever a deadline or timer is computed from data; the length is
estimated from the components alone, without stepping through a calendar.
"""
from __future__ import annotations

import re
from typing import Any

MAX_DURATION_YEARS = 100
_MAX_DAYS = MAX_DURATION_YEARS * 366
_MAX_DIGITS = 12  # longer numbers are refused before they are converted (int() of a long string is slow)
_DAYS_PER_UNIT = {"Y": 366.0, "M": 31.0, "W": 7.0, "D": 1.0, "H": 1 / 24, "S": 1 / 86400}
_COMPONENT = re.compile(r"([0-9]+(?:[.,][0-9]*)?)([YMWDHS])")

# What a step can raise from bad data (beyond the engine's own errors): these become incidents, never a 500.
DATA_FAILURES: tuple[type[BaseException], ...] = (ArithmeticError, ValueError, TypeError, LookupError,
                                                   RecursionError)


def duration_days(text: str) -> float | None:
    """An upper estimate of an ISO 8601 duration in days (months as 31, years as 366); None when unreadable."""
    if not isinstance(text, str):
        return None
    candidate = text.strip().upper().lstrip("+-")  # a backwards offset (-P3M) is as long as its forward twin
    if not candidate.startswith("P") or len(candidate) > 200:
        return None
    date_part, _, time_part = candidate[1:].partition("T")
    total = 0.0
    for part, in_time in ((date_part, False), (time_part, True)):
        for number, unit in _COMPONENT.findall(part):
            if len(number.split(",")[0].split(".")[0]) > _MAX_DIGITS:
                return float("inf")
            value = float(number.replace(",", "."))
            if in_time and unit == "M":
                total += value / 1440
            else:
                total += value * _DAYS_PER_UNIT[unit]
    return total


def duration_problem(duration: Any) -> str | None:
    """Why a duration (text, or any object whose str() is ISO 8601) is too long to compute, or None."""
    days = duration_days(str(duration))
    if days is not None and days > _MAX_DAYS:
        return (f"duration '{str(duration)[:40]}' is out of range: longer than the limit of "
                f"{MAX_DURATION_YEARS} years")
    return None


def timer_problem(literal: str) -> str | None:
    """Why a timer literal (duration, date or R[n]/… cycle) has a too-long duration part, or None."""
    for part in str(literal).split("/"):
        if part.strip().upper().startswith("P"):
            problem = duration_problem(part)
            if problem:
                return problem
    return None
