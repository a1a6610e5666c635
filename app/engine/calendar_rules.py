"""Legal clock rules on top of calendar.py: which day a period starts, ends, and whether § 193 BGB moves it.

A clock is (trigger, offset, calendar, rule, shift):

* ``ereignis`` (default) — the trigger is an event during a day; that day is not counted (§ 187 Abs. 1 BGB) and
  the period ends with the day whose number matches the trigger day (§ 188 Abs. 2 Alt. 1 BGB).
* ``beginn`` — the trigger is the start of a day, which is counted (§ 187 Abs. 2 BGB: periods from the start of a
  day, age); the period ends with the day *before* the matching day (§ 188 Abs. 2 Alt. 2 BGB); when the month has no
  such day, with the month's last day (§ 188 Abs. 3 BGB).
* ``bekanntgabe-sgbx`` / ``bekanntgabe-vwvfg`` — the trigger is the day a decision was posted; it counts as notified
  on the 4th day after posting (§ 37 Abs. 2 S. 1 SGB X; § 41 Abs. 2 S. 1 VwVfG NRW), and from that day the period
  runs as ``ereignis``. See :data:`BEKANNTGABE` for the weekend/holiday handling of the 4th day and its sources.
* ``monatsende`` — the clock ends with the last day of the month in which the counted period ends (§ 1 Abs. 3
  AsylbLG: "mit Ablauf des Monats").
* ``monatsanfang`` — the clock is the first day of the month in which the counted period ends, at its start
  (§ 37 Abs. 2 S. 2 SGB II: the application takes effect back to the first of the month).

``shift="bgb193"`` (default) moves a last day on a Saturday, Sunday or NRW holiday to the next working day (§ 193
BGB, § 26 Abs. 3 SGB X, § 31 Abs. 3 VwVfG NRW); a backwards period moves to the working day *before* instead, so a
"file before" target never becomes later. ``shift="none"`` keeps the day: periods for which a benefit is granted
(§ 26 Abs. 4 SGB X), "mit Ablauf des folgenden Tages" (§ 42 Abs. 5 SGB VIII), ages.

A negative offset (``-P3M``) counts backwards from the trigger ("3 months before the title expires", § 81 Abs. 4
AufenthG; "1 year before the help ends", § 41 SGB VIII): the day with the same number that many months earlier.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.engine.calendar import (
    BERLIN,
    CALENDARS,
    END_OF_DAY,
    DeadlineError,
    Duration,
    _add_months,
    _add_working_days,
    is_working_day,
    parse_duration,
)

RULES = ("ereignis", "beginn", "bekanntgabe-sgbx", "bekanntgabe-vwvfg", "monatsende", "monatsanfang")
SHIFTS = ("bgb193", "none")

# Bekanntgabe of a posted decision: (days after posting, does a 4th day on a weekend/holiday move, source).
BEKANNTGABE = {
    "bekanntgabe-sgbx": (4, False,
                         ("§ 37 Abs. 2 S. 1 SGB X (4th day since 01.01.2025, PostModG); the fiction applies even "
                          "when the 4th day is a Saturday, Sunday or holiday, no shift (BSG, Urteil vom 06.05.2010 – "
                          "B 14 AS 12/09 R; Bayerisches LSG, L 2 U 140/13 — case law cited from memory, not checked "
                          "against the decisions in this project: re-verify); § 193 BGB applies only to the end of "
                          "the period that follows")),
    "bekanntgabe-vwvfg": (4, True,
                          ("§ 41 Abs. 2 S. 1 VwVfG NRW (4th day; re-verify the NRW amendment date); a 4th day on a "
                          "Saturday, Sunday or holiday is moved to the next working day by analogy to § 31 Abs. 3 "
                          "VwVfG NRW, as the BFH holds for § 122 Abs. 2 AO (Urteil vom 14.10.2003 – IX R 68/98, "
                          "cited from memory: re-verify); "
                          "the BVerwG has not settled this, so Lotse takes the reading that never shortens the "
                          "person's period")),
}


@dataclass(frozen=True)
class Offset:
    """A signed ISO 8601 duration: '-P3M' is Offset(Duration(months=3), backwards=True)."""

    duration: Duration
    backwards: bool = False

    def __str__(self) -> str:
        """Canonical text, '-P3M' or 'P14D'."""
        return ("-" if self.backwards else "") + str(self.duration)


@dataclass(frozen=True)
class Clock:
    """Where a computed clock ends: its last day, the instant it expires, and the day § 193 moved it from."""

    last_day: date
    due: datetime
    shifted_from: date | None = None
    start_day: date | None = None  # the day the period counts from (after Bekanntgabe, if any)


def parse_offset(text: str) -> Offset:
    """Parse 'P14D', 'P1M' or a backwards '-P3M'."""
    if not isinstance(text, str):
        raise DeadlineError(f"offset must be a string, got {text!r}")
    stripped = text.strip()
    backwards = stripped.startswith("-")
    return Offset(parse_duration(stripped[1:] if backwards else stripped), backwards)


def check(calendar: str = "kalendertage", rule: str = "ereignis", shift: str = "bgb193") -> None:
    """Raise DeadlineError naming the first unknown calendar, rule or shift."""
    for value, known, what in ((calendar, CALENDARS, "calendar"), (rule, RULES, "rule"), (shift, SHIFTS, "shift")):
        if value not in known:
            raise DeadlineError(f"unknown {what} {value!r}; expected one of {', '.join(known)}")


def trigger_day(trigger: date | datetime) -> date:
    """The Europe/Berlin day of a trigger (a date stays itself; an aware datetime is converted)."""
    if isinstance(trigger, datetime):
        if trigger.tzinfo is None or trigger.utcoffset() is None:
            raise DeadlineError(f"trigger {trigger.isoformat()} has no time zone")
        return trigger.astimezone(BERLIN).date()
    if isinstance(trigger, date):
        return trigger
    raise DeadlineError(f"trigger must be a date or datetime, got {type(trigger).__name__}")


def next_working_day(day: date) -> date:
    """The day itself if it is an NRW working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    """The day itself if it is an NRW working day, else the last one before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def notified_on(posted: date, rule: str = "bekanntgabe-sgbx") -> date:
    """The day a posted decision counts as notified (Bekanntgabefiktion), see BEKANNTGABE for the law."""
    days, moves, _source = BEKANNTGABE[rule]
    day = posted + timedelta(days=days)
    return next_working_day(day) if moves else day


def _subtract_working_days(day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _month_last_day(day: date) -> date:
    return _add_months(day.replace(day=1), 1) - timedelta(days=1)


def _beginn_months(first: date, months: int) -> date:
    """§ 188 Abs. 2 Alt. 2 / Abs. 3 BGB: the day before the matching day, or the month's last day if none."""
    moved = _add_months(first, months)
    if moved.day < first.day:  # the target month has no matching day: § 188 Abs. 3
        return moved
    return moved - timedelta(days=1)


def _counted_last_day(start: date, offset: Offset, calendar: str, rule: str) -> date:
    dur = offset.duration
    months = dur.years * 12 + dur.months
    days = dur.weeks * 7 + dur.days
    if calendar == "werktage-nrw":
        if months or dur.weeks:
            raise DeadlineError(f"calendar 'werktage-nrw' only counts whole days (e.g. 'P7D'), got {offset}")
        if offset.backwards:
            return _subtract_working_days(start, dur.days)
        # beginn: the start day itself is the first working day counted (if it is one).
        if rule == "beginn" and dur.days and is_working_day(start):
            return _add_working_days(start, dur.days - 1)
        return _add_working_days(start, dur.days)
    if offset.backwards:
        return _add_months(start, -months) - timedelta(days=days)
    if rule == "beginn":
        if months and not days:
            return _beginn_months(start, months)
        last = _add_months(start, months) + timedelta(days=days)
        return last - timedelta(days=1) if (months or days) else start
    return _add_months(start, months) + timedelta(days=days)


def compute(trigger: date | datetime, offset: str | Offset, *, calendar: str = "kalendertage",
            rule: str = "ereignis", shift: str = "bgb193") -> Clock:
    """The clock that runs `offset` from `trigger` under the given calendar, rule and § 193 setting."""
    check(calendar, rule, shift)
    off = offset if isinstance(offset, Offset) else parse_offset(offset)
    if off.duration.has_time_part:
        raise DeadlineError(f"a legal clock counts days, months or years; {off} has hours or minutes")
    start = trigger_day(trigger)
    if rule in BEKANNTGABE:
        start = notified_on(start, rule)
    try:
        last = _counted_last_day(start, off, calendar, rule)
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, DeadlineError):
            raise
        raise DeadlineError(f"offset {off} from {start.isoformat()} is out of range") from exc
    if rule == "monatsanfang":
        first = last.replace(day=1)
        return Clock(first, datetime.combine(first, time.min, tzinfo=BERLIN), None, start)
    if rule == "monatsende":
        last = _month_last_day(last)
    shifted_from = None
    if shift == "bgb193" and not is_working_day(last):
        shifted_from = last
        last = previous_working_day(last) if off.backwards else next_working_day(last)
    return Clock(last, end_of(last), shifted_from, start)


def end_of(day: date) -> datetime:
    """The instant a legal clock whose last day is `day` expires: 24:00 Europe/Berlin of that day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BERLIN)


def remind_on(due: datetime, before: str, calendar: str = "kalendertage") -> datetime:
    """Start (00:00 Berlin) of the reminder day: `before` ahead of `due` on the clock's own calendar.

    Werktage clocks count back working days; any reminder falling on a Saturday, Sunday or holiday moves to the
    working day before, so nobody is reminded on a Sunday.
    """
    off = parse_offset(before)
    day = trigger_day(due)
    dur = off.duration
    if calendar == "werktage-nrw" and not (dur.years or dur.months or dur.weeks or dur.has_time_part):
        day = _subtract_working_days(day, dur.days)
    else:
        day = _add_months(day, -(dur.years * 12 + dur.months)) - timedelta(days=dur.weeks * 7 + dur.days)
    return datetime.combine(previous_working_day(day), time.min, tzinfo=BERLIN)
