"""Worked examples for legal deadline arithmetic (§§ 187, 188, 193 BGB, NRW)."""

from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest

from app.engine.calendar import (
    BERLIN,
    CALENDARS,
    END_OF_DAY,
    DeadlineError,
    Duration,
    due_at,
    is_working_day,
    parse_duration,
    remaining,
    working_days_between,
)


def berlin(y, m, d, hh=10, mm=0):
    """Aware Europe/Berlin instant (default 10:00, an ordinary office hour)."""
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def eod(y, m, d):
    """Expected due instant for a day-based period ending on that day."""
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=BERLIN)


# --- parse_duration -----------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("P14D", Duration(days=14)),
        ("P2W", Duration(weeks=2)),
        ("P1M", Duration(months=1)),
        ("P1Y2M3DT4H", Duration(years=1, months=2, days=3, hours=4)),
        ("PT30M", Duration(minutes=30)),  # M after T means minutes, not months
        ("P1MT1M", Duration(months=1, minutes=1)),
        ("PT48H", Duration(hours=48)),
        ("P2W3D", Duration(weeks=2, days=3)),  # ISO 8601-2 combination
        ("  P7D\n", Duration(days=7)),  # BPMN XML text often has whitespace
        ("P0D", Duration()),
    ],
)
def test_parse_duration_valid(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "P", "PT", "P1DT", "P-1D", "-P1D", "14 Tage", "P1.5D", "PT0,5H", "P1D2M", "P1H",
     "p1d", "P1Y1Y", "P١D"],
)
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(DeadlineError) as info:
        parse_duration(text)
    assert repr(text) in str(info.value)  # the message names the bad value


def test_parse_duration_rejects_non_string():
    with pytest.raises(DeadlineError):
        parse_duration(14)


def test_duration_is_frozen_validated_and_printable():
    d = parse_duration("P1Y2M3DT4H")
    with pytest.raises(AttributeError):
        d.days = 5
    with pytest.raises(DeadlineError):
        Duration(days=-1)
    assert str(d) == "P1Y2M3DT4H"
    assert str(Duration(minutes=30)) == "PT30M"
    assert str(Duration()) == "P0D"


# --- kalendertage: §§ 187, 188, 193 BGB -----------------------------------------

KALENDERTAGE_CASES = [
    # Plain days: Mon 2 Mar 2026 + 14 days; the event day is not counted
    # (§ 187 Abs. 1), so the last day is Mon 16 Mar, a working day.
    (berlin(2026, 3, 2), "P14D", eod(2026, 3, 16)),
    # Last day Sat 7 Mar 2026 -> § 193 moves the end to Mon 9 Mar.
    (berlin(2026, 3, 2), "P5D", eod(2026, 3, 9)),
    # Last day Sun 8 Mar 2026 -> Mon 9 Mar (§ 193).
    (berlin(2026, 3, 2), "P6D", eod(2026, 3, 9)),
    # Fri 27 Mar + 7 days = Karfreitag 3 Apr 2026; Sat, Sun (Easter 5 Apr) and
    # Ostermontag 6 Apr are all non-working -> Tue 7 Apr.
    (berlin(2026, 3, 27), "P7D", eod(2026, 4, 7)),
    # Thu 21 May + 14 days = Fronleichnam 4 Jun 2026 (NRW holiday) -> Fri 5 Jun.
    (berlin(2026, 5, 21), "P14D", eod(2026, 6, 5)),
    # Thu 10 Dec 2026 + 14 days = Thu 24 Dec: Heiligabend is no public holiday,
    # so the period ends that day.
    (berlin(2026, 12, 10), "P14D", eod(2026, 12, 24)),
    # Thu 11 Dec 2025 + 2 weeks = Thu 25 Dec; 25 Dec, 26 Dec (Fri), Sat 27 and
    # Sun 28 are non-working -> Mon 29 Dec 2025.
    (berlin(2025, 12, 11), "P2W", eod(2025, 12, 29)),
    # Thu 18 Dec 2025 + 14 days = Neujahr Thu 1 Jan 2026 -> Fri 2 Jan 2026.
    (berlin(2025, 12, 18), "P14D", eod(2026, 1, 2)),
    # Fri 18 Dec 2026 + 14 days = Neujahr Fri 1 Jan 2027, then Sat/Sun -> Mon 4 Jan.
    (berlin(2026, 12, 18), "P14D", eod(2027, 1, 4)),
    # Month with the same day number: Tue 10 Mar + 1 month = Fri 10 Apr 2026
    # (§ 188 Abs. 2: the day whose number matches the event day).
    (berlin(2026, 3, 10), "P1M", eod(2026, 4, 10)),
    # 31 Jan 2026 + 1 month: February has no 31st -> its last day, 28 Feb
    # (§ 188 Abs. 3), which is a Saturday -> Mon 2 Mar 2026 (§ 193).
    (berlin(2026, 1, 31), "P1M", eod(2026, 3, 2)),
    # Leap year: 31 Jan 2028 + 1 month -> 29 Feb 2028, a Tuesday, no shift.
    (berlin(2028, 1, 31), "P1M", eod(2028, 2, 29)),
    # 30 Nov 2025 + 3 months -> no 30 Feb -> Sat 28 Feb 2026 -> Mon 2 Mar.
    (berlin(2025, 11, 30), "P3M", eod(2026, 3, 2)),
    # 30 Nov 2027 + 3 months -> 29 Feb 2028 (leap year, Tuesday).
    (berlin(2027, 11, 30), "P3M", eod(2028, 2, 29)),
    # Years: 29 Feb 2028 + 1 year -> no 29 Feb 2029 -> Wed 28 Feb 2029.
    (berlin(2028, 2, 29), "P1Y", eod(2029, 2, 28)),
    # Weeks: Wed 4 Mar + 2 weeks ends on a Wednesday, 18 Mar (§ 188 Abs. 2).
    (berlin(2026, 3, 4), "P2W", eod(2026, 3, 18)),
    # Mixed: Tue 10 Mar + 1 month = 10 Apr, + 14 days = Fri 24 Apr 2026.
    (berlin(2026, 3, 10), "P1M14D", eod(2026, 4, 24)),
    # Months are applied before days: 30 Jan 2028 + 1M = 29 Feb, + 1D = Wed
    # 1 Mar 2028 (days first would give 31 Jan + 1M = 29 Feb).
    (berlin(2028, 1, 30), "P1M1D", eod(2028, 3, 1)),
    # DST: clocks go forward on Sun 29 Mar 2026. Sat 28 Mar + 1 day = Sun 29 Mar
    # -> § 193 -> Mon 30 Mar, end of day (calendar rule, not 24 hours).
    (berlin(2026, 3, 28), "P1D", eod(2026, 3, 30)),
    # Event late in the evening still happens on that day: Fri 6 Mar 23:30
    # + 3 days = Mon 9 Mar.
    (berlin(2026, 3, 6, 23, 30), "P3D", eod(2026, 3, 9)),
    # ...whereas 30 minutes after midnight the event day is Sat 7 Mar -> Tue 10 Mar.
    (berlin(2026, 3, 7, 0, 30), "P3D", eod(2026, 3, 10)),
    # 2026-06-30T23:30Z is Wed 1 Jul 01:30 in Berlin: the Berlin day counts,
    # so + 2 days = Fri 3 Jul (not Thu 2 Jul).
    (datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc), "P2D", eod(2026, 7, 3)),
]


@pytest.mark.parametrize("start, duration, expected", KALENDERTAGE_CASES)
def test_due_at_kalendertage(start, duration, expected):
    due = due_at(start, duration)
    assert due == expected
    assert due.tzinfo is BERLIN
    assert due.timetz() == END_OF_DAY.replace(tzinfo=BERLIN)


def test_end_of_day_convention():
    # The due instant is the last microsecond of the last day: anything on
    # that day is on time, the next midnight is late.
    due = due_at(berlin(2026, 3, 2), "P14D")
    assert due == datetime(2026, 3, 16, 23, 59, 59, 999999, tzinfo=BERLIN)
    assert due + timedelta(microseconds=1) == datetime(2026, 3, 17, tzinfo=BERLIN)
    assert due.isoformat() == "2026-03-16T23:59:59.999999+01:00"


def test_default_calendar_is_kalendertage():
    start = berlin(2026, 3, 2)
    assert due_at(start, "P5D") == due_at(start, "P5D", "kalendertage")
    assert CALENDARS == ("kalendertage", "werktage-nrw")


def test_accepts_duration_instance():
    assert due_at(berlin(2026, 3, 2), Duration(days=14)) == eod(2026, 3, 16)


# --- exact elapsed time -------------------------------------------------------

EXACT_CASES = [
    # Spring DST change on Sun 29 Mar 2026 (02:00 -> 03:00): 24 real hours
    # after Sat 10:00 CET is Sun 11:00 CEST on the wall clock.
    (berlin(2026, 3, 28, 10), "PT24H", berlin(2026, 3, 29, 11)),
    # Autumn change on Sun 25 Oct 2026: 24 hours after Sat 10:00 CEST is Sun 09:00 CET.
    (berlin(2026, 10, 24, 10), "PT24H", berlin(2026, 10, 25, 9)),
    # Exact hours ignore weekends/holidays (no § 193): Fri 10:00 + 48h = Sun 10:00.
    (berlin(2026, 3, 6, 10), "PT48H", berlin(2026, 3, 8, 10)),
    # Minutes roll over midnight without end-of-day rounding.
    (berlin(2026, 3, 2, 23, 45), "PT30M", berlin(2026, 3, 3, 0, 15)),
    # Any time component makes the whole duration exact: P1DT12H = 36 hours.
    (berlin(2026, 3, 2, 10), "P1DT12H", berlin(2026, 3, 3, 22)),
    # Months with a time part: move the date (clamped), keep wall-clock time.
    (berlin(2026, 1, 31, 10), "P1MT1H", berlin(2026, 2, 28, 11)),
]


@pytest.mark.parametrize("start, duration, expected", EXACT_CASES)
def test_due_at_exact(start, duration, expected):
    due = due_at(start, duration)
    assert due == expected
    assert due.tzinfo is BERLIN
    # Same wall-clock fields too, i.e. really local Berlin time.
    assert due.replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_zero_duration_is_due_immediately():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert due_at(start, "PT0S") == start
    assert due_at(start, "P0D", "werktage-nrw") == start


# --- werktage-nrw -------------------------------------------------------------

WERKTAGE_CASES = [
    # Fri 6 Mar 2026 + 3 Werktage: Mon 9 (1), Tue 10 (2), Wed 11 (3).
    (berlin(2026, 3, 6), "P3D", eod(2026, 3, 11)),
    # Wed 1 Apr 2026 + 5 Werktage across Easter: Thu 2 (1), [Karfreitag 3,
    # Sat, Sun, Ostermontag 6], Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5).
    (berlin(2026, 4, 1), "P5D", eod(2026, 4, 10)),
    # Wed 3 Jun 2026 + 1 Werktag: Thu 4 Jun is Fronleichnam -> Fri 5 Jun.
    (berlin(2026, 6, 3), "P1D", eod(2026, 6, 5)),
    # UMA report (§ 42a Abs. 4 SGB VIII, 7 Werktage) from Mon 11 May 2026:
    # 12, 13, [Himmelfahrt 14], 15, 18, 19, 20, 21 -> Thu 21 May.
    (berlin(2026, 5, 11), "P7D", eod(2026, 5, 21)),
    # Event on a Saturday: the first Werktag after it is Mon 9 Mar.
    (berlin(2026, 3, 7), "P1D", eod(2026, 3, 9)),
    # Christmas 2025: Tue 23 Dec + 2 Werktage: Wed 24 (1, not a holiday),
    # [25, 26, Sat, Sun], Mon 29 Dec (2).
    (berlin(2025, 12, 23), "P2D", eod(2025, 12, 29)),
]


@pytest.mark.parametrize("start, duration, expected", WERKTAGE_CASES)
def test_due_at_werktage(start, duration, expected):
    assert due_at(start, duration, "werktage-nrw") == expected


@pytest.mark.parametrize("duration", ["P1W", "P1M", "P1Y", "PT8H", "P1DT1H"])
def test_werktage_rejects_non_day_units(duration):
    with pytest.raises(DeadlineError, match="werktage-nrw"):
        due_at(berlin(2026, 3, 2), duration, "werktage-nrw")


# --- bad inputs -----------------------------------------------------------------

@pytest.mark.parametrize("duration", ["PT", "P-1D", "14 Tage", ""])
def test_due_at_rejects_bad_duration(duration):
    with pytest.raises(DeadlineError):
        due_at(berlin(2026, 3, 2), duration)


@pytest.mark.parametrize("calendar", ["werktage", "Kalendertage", "werktage_NRW", ""])
def test_due_at_rejects_unknown_calendar(calendar):
    with pytest.raises(DeadlineError, match=repr(calendar)):
        due_at(berlin(2026, 3, 2), "P1D", calendar)


def test_naive_start_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 3, 2, 10, 0), "P1D")
    with pytest.raises(ValueError):
        due_at(date(2026, 3, 2), "P1D")


def test_out_of_range_is_a_deadline_error():
    with pytest.raises(DeadlineError, match="out of range"):
        due_at(berlin(2026, 3, 2), "P9000Y")


# --- is_working_day -------------------------------------------------------------

@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 3, 2), True),  # ordinary Monday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2026, 4, 3), False),  # Karfreitag
        (date(2026, 4, 6), False),  # Ostermontag
        (date(2026, 5, 14), False),  # Christi Himmelfahrt
        (date(2026, 5, 25), False),  # Pfingstmontag
        (date(2026, 6, 4), False),  # Fronleichnam (NRW)
        (date(2026, 11, 2), True),  # Monday after Allerheiligen (Sun 1 Nov)
        (date(2027, 11, 1), False),  # Allerheiligen on a Monday (NRW)
        (date(2026, 12, 24), True),  # Heiligabend is no public holiday
        (date(2026, 12, 31), True),  # Silvester neither
        (date(2027, 3, 26), False),  # Karfreitag 2027 (Easter 28 Mar 2027)
        (date(2027, 3, 29), False),  # Ostermontag 2027
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


def test_subdivision_matters():
    # Fronleichnam is a holiday in NRW but not in Berlin: the NW subdivision
    # is what makes 4 Jun 2026 a non-working day.
    assert date(2026, 6, 4) in holidays.country_holidays("DE", subdiv="NW", years=2026)
    assert date(2026, 6, 4) not in holidays.country_holidays("DE", subdiv="BE", years=2026)
    assert not is_working_day(date(2026, 6, 4))


def test_is_working_day_uses_berlin_day_of_datetime():
    # 2026-06-03T22:30Z is already Fronleichnam (4 Jun) in Berlin.
    assert not is_working_day(datetime(2026, 6, 3, 22, 30, tzinfo=timezone.utc))


# --- working_days_between -------------------------------------------------------

@pytest.mark.parametrize(
    "start, end, expected",
    [
        (berlin(2026, 3, 6), berlin(2026, 3, 11, 9), 3),  # Fri -> Wed: Mon, Tue, Wed
        (berlin(2026, 3, 2, 8), berlin(2026, 3, 2, 18), 0),  # same day
        (berlin(2026, 4, 1), berlin(2026, 4, 10), 5),  # across Easter 2026
        (berlin(2026, 4, 10), berlin(2026, 4, 1), -5),  # reversed -> negative
        (berlin(2026, 3, 7), berlin(2026, 3, 8), 0),  # Sat -> Sun
        (berlin(2026, 5, 11), berlin(2026, 5, 21), 7),  # Himmelfahrt skipped
        # Full year 2026: 261 weekdays minus 8 NRW holidays on weekdays
        # (Neujahr, Karfreitag, Ostermontag, 1 Mai, Himmelfahrt, Pfingstmontag,
        # Fronleichnam, 25 Dez; 3 Okt, 1 Nov and 26 Dez fall on weekends).
        (berlin(2025, 12, 31), berlin(2026, 12, 31), 253),
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_working_days_between_agrees_with_due_at():
    # The closed-form count must match the day-by-day walk of due_at, here
    # across Easter, Himmelfahrt, Pfingsten and Fronleichnam 2026.
    start = berlin(2026, 3, 20)
    for n in range(1, 60):
        assert working_days_between(start, due_at(start, f"P{n}D", "werktage-nrw")) == n


def test_working_days_between_rejects_naive():
    with pytest.raises(ValueError):
        working_days_between(datetime(2026, 3, 2), berlin(2026, 3, 3))


# --- remaining ------------------------------------------------------------------

@pytest.mark.parametrize(
    "now, due, calendar, expected",
    [
        # Fri 6 Mar 10:00, due Wed 11 Mar end of day: 3 Werktage; 5 days
        # 13 h 59 min -> 133 whole hours.
        (berlin(2026, 3, 6), eod(2026, 3, 11), "werktage-nrw",
         {"overdue": False, "days": 3, "hours": 133, "unit": "werktage"}),
        # Mon 2 Mar 10:00, due 16 Mar end of day: 14 calendar days, 349 h.
        (berlin(2026, 3, 2), eod(2026, 3, 16), "kalendertage",
         {"overdue": False, "days": 14, "hours": 349, "unit": "kalendertage"}),
        # Due end of Mon 2 Mar, now Wed 4 Mar 12:00: 2 days / 36 hours overdue.
        (berlin(2026, 3, 4, 12), eod(2026, 3, 2), "kalendertage",
         {"overdue": True, "days": 2, "hours": 36, "unit": "kalendertage"}),
        # Due end of Fri 6 Mar, now Tue 10 Mar 08:00: Mon + Tue = 2 Werktage overdue.
        (berlin(2026, 3, 10, 8), eod(2026, 3, 6), "werktage-nrw",
         {"overdue": True, "days": 2, "hours": 80, "unit": "werktage"}),
        # Exact timer later the same day: 0 days, 0 whole hours left.
        (berlin(2026, 3, 2, 14, 30), berlin(2026, 3, 2, 15), "kalendertage",
         {"overdue": False, "days": 0, "hours": 0, "unit": "kalendertage"}),
        # Across the spring DST change only 23 real hours pass between
        # Sat 28 Mar 12:00 and Sun 29 Mar 12:00.
        (berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12), "kalendertage",
         {"overdue": False, "days": 1, "hours": 23, "unit": "kalendertage"}),
        # Exactly at the due instant is still on time.
        (eod(2026, 3, 2), eod(2026, 3, 2), "kalendertage",
         {"overdue": False, "days": 0, "hours": 0, "unit": "kalendertage"}),
    ],
)
def test_remaining(now, due, calendar, expected):
    assert remaining(now, due, calendar) == expected


def test_remaining_rejects_bad_input():
    with pytest.raises(DeadlineError, match="'tage'"):
        remaining(berlin(2026, 3, 2), eod(2026, 3, 3), "tage")
    with pytest.raises(ValueError):
        remaining(datetime(2026, 3, 2), eod(2026, 3, 3), "kalendertage")


def test_end_of_day_constant():
    assert END_OF_DAY == time(23, 59, 59, 999999)
