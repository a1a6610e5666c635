"""Legal deadline arithmetic for NRW administrative procedures.

Implements §§ 187, 188, 193 BGB (applied via § 26 SGB X / § 31 VwVfG) for
event-triggered periods, plus a working-day calendar ("Werktage" in the sense
of § 7 Abs. 4 SGB VIII: Monday to Friday, excluding NRW public holidays).

Conventions (other modules rely on them):

* Every period starts from an event at a timezone-aware instant. The local day
  of the event is always determined in Europe/Berlin, whatever zone the input
  instant carries.
* End-of-day convention: a day-based period ends at the *last representable
  instant* of its last day, ``datetime.combine(day, time.max, BERLIN)``, i.e.
  23:59:59.999999 Europe/Berlin. So "on time" is exactly ``now <= due`` and
  ``due + 1 µs`` is midnight of the following day.
* Durations with any time component (H/M/S) are exact elapsed time: P1DT12H is
  36 real hours, computed in UTC, without end-of-day rounding or § 193 shift.
* A zero duration (P0D, PT0S) means "due immediately" and returns the start.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

import holidays

from app.engine import bounds

__all__ = [
    "BERLIN",
    "CALENDARS",
    "END_OF_DAY",
    "DeadlineError",
    "Duration",
    "due_at",
    "is_working_day",
    "parse_duration",
    "remaining",
    "working_days_between",
]

CALENDARS = ("kalendertage", "werktage-nrw")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
END_OF_DAY = time.max  # 23:59:59.999999 local time, see module docstring

_KALENDERTAGE, _WERKTAGE = CALENDARS


class DeadlineError(ValueError):
    """Invalid deadline definition (duration text or calendar name)."""


# Integers only: fractional units ("P1.5D") have no defined legal meaning for
# day-based periods, and [0-9] with re.ASCII keeps non-Latin digits out.
_DURATION_RE = re.compile(
    r"P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?"
    r"(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?",
    re.ASCII,
)


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration split into its non-negative integer components."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def __post_init__(self) -> None:
        # Directly constructed instances must obey the same rules as parsed ones.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DeadlineError(
                    f"Duration.{f.name} must be a non-negative integer, got {value!r}"
                )

    @property
    def has_time_part(self) -> bool:
        """True if hours, minutes or seconds are set (exact elapsed-time mode)."""
        return bool(self.hours or self.minutes or self.seconds)

    @property
    def is_zero(self) -> bool:
        """True if every component is zero."""
        return not any(getattr(self, f.name) for f in fields(self))

    def __str__(self) -> str:
        """Return the canonical ISO 8601 text, e.g. 'P1M14D' or 'PT48H'."""
        date_part = "".join(
            f"{v}{u}"
            for v, u in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if v
        )
        time_part = "".join(
            f"{v}{u}" for v, u in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S")) if v
        )
        if not date_part and not time_part:
            return "P0D"
        return "P" + date_part + ("T" + time_part if time_part else "")


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as 'P14D', 'P2W', 'P1M14D' or 'PT48H'."""
    if not isinstance(text, str):
        raise DeadlineError(f"duration must be a string, got {text!r}")
    # Timer expressions in BPMN XML often carry surrounding whitespace/newlines.
    candidate = text.strip()
    match = _DURATION_RE.fullmatch(candidate)
    if match is None:
        hint = " (negative durations are not allowed)" if "-" in candidate else ""
        raise DeadlineError(
            f"invalid ISO 8601 duration {text!r}{hint}; expected e.g. 'P14D', 'P1M', 'PT48H'"
        )
    parts = match.groupdict()
    if all(v is None for v in parts.values()):
        raise DeadlineError(f"invalid ISO 8601 duration {text!r}: no components")
    if "T" in candidate and all(parts[k] is None for k in ("hours", "minutes", "seconds")):
        raise DeadlineError(f"invalid ISO 8601 duration {text!r}: 'T' without time components")
    return Duration(**{k: int(v) for k, v in parts.items() if v is not None})


# --- holidays -------------------------------------------------------------


@functools.cache
def _nrw_holidays(year: int) -> frozenset[date]:
    """Return the NRW public holidays of one year."""
    # Constructing a holidays object is slow, and HolidayBase mutates itself on
    # lookups of new years (not thread-safe); a frozen set per year avoids both.
    return frozenset(holidays.country_holidays("DE", subdiv="NW", years=year).keys())


def is_working_day(day: date) -> bool:
    """True if the day is Monday–Friday and not a public holiday in NRW."""
    if isinstance(day, datetime):
        day = _berlin_day(day)
    return day.weekday() < 5 and day not in _nrw_holidays(day.year)


def _next_working_day_from(day: date) -> date:
    """Return the day itself if it is a working day, else the next working day."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _add_working_days(day: date, count: int) -> date:
    """Return the count-th working day after day (day itself not counted)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _working_days_after(first: date, last: date) -> int:
    """Count working days in (first, last]; requires first <= last."""
    span = (last - first).days
    full_weeks, rest = divmod(span, 7)
    # Each full week contributes exactly five weekdays; count the rest by hand.
    weekdays = full_weeks * 5
    weekdays += sum(1 for i in range(1, rest + 1) if (first + timedelta(days=i)).weekday() < 5)
    holidays_on_weekdays = sum(
        1
        for year in range(first.year, last.year + 1)
        for h in _nrw_holidays(year)
        if first < h <= last and h.weekday() < 5
    )
    return weekdays - holidays_on_weekdays


# --- date helpers ------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    """Reject dates and naive datetimes: the Berlin day would be a guess."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _berlin_day(value: datetime) -> date:
    """Return the Europe/Berlin calendar day of an aware instant."""
    _require_aware(value, "datetime")
    return value.astimezone(BERLIN).date()


def _end_of_day(day: date) -> datetime:
    """Return the due instant for a period whose last day is day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BERLIN)


def _add_months(day: date, months: int) -> date:
    """Add months, clamping to the month's last day (§ 188 Abs. 3 BGB)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    # The day before the 1st of the following month is this month's last day.
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_first - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _check_calendar(calendar: str) -> None:
    """Raise DeadlineError for unknown calendar names."""
    if calendar not in CALENDARS:
        raise DeadlineError(f"unknown calendar {calendar!r}; expected one of {CALENDARS}")


# --- deadlines -------------------------------------------------------------


def due_at(start: datetime, duration: str | Duration, calendar: str = _KALENDERTAGE) -> datetime:
    """Return the aware Europe/Berlin instant at which a period from start ends."""
    _require_aware(start, "start")
    _check_calendar(calendar)
    dur = duration if isinstance(duration, Duration) else parse_duration(duration)
    if too_long := bounds.duration_problem(dur):  # refused before any day-by-day counting
        raise DeadlineError(too_long)
    if calendar == _WERKTAGE and (dur.years or dur.months or dur.weeks or dur.has_time_part):
        # A "week" or "month" of working days has no single legal reading, and
        # hours are not working-day units; force modellers to state days.
        raise DeadlineError(
            f"calendar {calendar!r} only supports whole days (e.g. 'P7D'), got {str(dur)!r}"
        )
    try:
        if dur.is_zero:
            return start.astimezone(BERLIN)
        if dur.has_time_part:
            return _exact(start, dur)
        event_day = _berlin_day(start)
        if calendar == _WERKTAGE:
            # The last counted day is a working day by construction: no § 193 shift.
            return _end_of_day(_add_working_days(event_day, dur.days))
        # § 187 Abs. 1: the event day is not counted, so adding to it yields
        # the last day; § 188 Abs. 2/3: months keep the day number or clamp.
        last = _add_months(event_day, dur.years * 12 + dur.months)
        last += timedelta(days=dur.weeks * 7 + dur.days)
        # § 193: a last day on Sa/Su/holiday moves to the next working day.
        return _end_of_day(_next_working_day_from(last))
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, DeadlineError):
            raise
        raise DeadlineError(
            f"duration {str(dur)!r} from {start.isoformat()} is out of range"
        ) from exc


def _exact(start: datetime, dur: Duration) -> datetime:
    """Add a duration with a time component as exact elapsed time."""
    local = start.astimezone(BERLIN)
    if dur.years or dur.months:
        # Months have no fixed length: move the local date (clamped), keep the
        # wall-clock time; the rest is then added as real elapsed time.
        moved = _add_months(local.date(), dur.years * 12 + dur.months)
        local = local.replace(year=moved.year, month=moved.month, day=moved.day)
    elapsed = timedelta(
        weeks=dur.weeks, days=dur.days, hours=dur.hours, minutes=dur.minutes, seconds=dur.seconds
    )
    # UTC arithmetic so that DST changes yield real elapsed hours.
    return (local.astimezone(UTC) + elapsed).astimezone(BERLIN)


def working_days_between(start: datetime, end: datetime) -> int:
    """Count NRW working days from start's day (exclusive) to end's day (inclusive)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    first, last = _berlin_day(start), _berlin_day(end)
    if last < first:
        return -_working_days_after(last, first)
    return _working_days_after(first, last)


# remaining() result: "overdue" is now > due (now == due is on time); "days"
# counts Berlin day boundaries between the earlier and the later of now/due
# (working days for werktage-nrw, calendar days otherwise), never negative, so
# the UI shows "noch N Werktage" or "N Tage überfällig"; "hours" is the whole
# number of real elapsed hours between them (floored, never negative).
def remaining(now: datetime, due: datetime, calendar: str) -> dict:
    """Return {"overdue", "days", "hours", "unit"} describing time left until due."""
    _require_aware(now, "now")
    _require_aware(due, "due")
    _check_calendar(calendar)
    # Compare and subtract in UTC: with a shared tzinfo Python would use
    # wall-clock time and miscount hours across DST changes.
    now_utc, due_utc = now.astimezone(UTC), due.astimezone(UTC)
    overdue = now_utc > due_utc
    earlier, later = (due_utc, now_utc) if overdue else (now_utc, due_utc)
    if calendar == _WERKTAGE:
        days = working_days_between(earlier, later)
        unit = "werktage"
    else:
        days = (_berlin_day(later) - _berlin_day(earlier)).days
        unit = "kalendertage"
    hours = int((later - earlier).total_seconds() // 3600)
    return {"overdue": overdue, "days": days, "hours": hours, "unit": unit}
