"""Worked examples for legal clocks: each case names the rule it checks and the day a lawyer computes."""
from datetime import UTC, date, datetime, time

import pytest

from app.engine.calendar import BERLIN, DeadlineError
from app.engine.calendar_rules import (
    BEKANNTGABE,
    compute,
    end_of,
    is_working_day,
    notified_on,
    parse_offset,
    remind_on,
)


def at(y, m, d, hh=10, mm=0):
    """An aware Europe/Berlin instant."""
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


CASES = [
    # (id naming the rule, trigger, offset, options, expected last day)
    # --- § 187 Abs. 1, § 188 Abs. 2 Alt. 1 BGB (ereignis) ---------------------------------------------------------
    ("ereignis: event day not counted, 2 weeks end on the same weekday (§ 74 AsylG Klage)",
     date(2026, 3, 2), "P14D", {}, date(2026, 3, 16)),
    ("ereignis: 1 month ends on the day with the same number (Widerspruch § 84 SGG)",
     date(2026, 3, 10), "P1M", {}, date(2026, 4, 10)),
    ("ereignis: 31 Jan + 1 month ends on 28 Feb, § 188 Abs. 3 BGB (not 3 Mar as SpiffWorkflow)",
     date(2027, 1, 31), "P1M", {}, date(2027, 3, 1)),  # 28 Feb 2027 is a Sunday -> § 193 -> Mon 1 Mar
    ("ereignis: 31 Jan + 1 month in a leap year ends on 29 Feb",
     date(2028, 1, 31), "P1M", {}, date(2028, 2, 29)),
    ("ereignis: 29 Feb + 1 year ends on 28 Feb (§ 188 Abs. 3 BGB, leap year)",
     date(2028, 2, 29), "P1Y", {}, date(2029, 2, 28)),
    ("ereignis: 30 Apr + 1 month ends on 30 May, not the month end 31 May",
     date(2025, 4, 30), "P1M", {}, date(2025, 5, 30)),
    ("ereignis: datetime trigger late at night counts the Berlin day (22:00 UTC = next day in summer)",
     datetime(2026, 6, 30, 22, 30, tzinfo=UTC), "P1D", {}, date(2026, 7, 2)),
    ("ereignis: 3 months over the turn of the year",
     date(2026, 11, 30), "P3M", {}, date(2027, 3, 1)),  # 28 Feb 2027 is a Sunday -> Mon 1 Mar
    ("ereignis: 6 weeks = 42 days (§ 188 Abs. 2 BGB)",
     date(2026, 1, 7), "P6W", {}, date(2026, 2, 18)),
    # --- § 193 BGB shift ----------------------------------------------------------------------------------------
    ("§ 193 BGB: last day Karfreitag moves over Easter to Tuesday",
     date(2026, 3, 20), "P14D", {}, date(2026, 4, 7)),
    ("§ 193 BGB: last day Ostermontag moves to Tuesday",
     date(2026, 3, 23), "P14D", {}, date(2026, 4, 7)),
    ("§ 193 BGB: last day Fronleichnam (NRW holiday) moves to Friday",
     date(2026, 5, 21), "P14D", {}, date(2026, 6, 5)),
    ("§ 193 BGB: last day Allerheiligen 2027 (Monday, NRW holiday) moves to Tuesday",
     date(2027, 10, 1), "P1M", {}, date(2027, 11, 2)),
    ("§ 193 BGB: last day Saturday moves to Monday",
     date(2026, 3, 7), "P7D", {}, date(2026, 3, 16)),  # Sat 14 Mar -> Mon 16 Mar
    ("§ 193 BGB: last day Sunday moves to Monday",
     date(2026, 3, 1), "P14D", {}, date(2026, 3, 16)),
    ("§ 193 BGB: 24 Dec is no holiday, a clock may end on it",
     date(2026, 11, 24), "P1M", {}, date(2026, 12, 24)),
    ("§ 193 BGB: 31 Dec is no holiday, a clock may end on it",
     date(2026, 11, 30), "P1M1D", {}, date(2026, 12, 31)),
    ("§ 193 BGB: 31 Oct (Reformationstag) is no NRW holiday",
     date(2025, 10, 17), "P14D", {}, date(2025, 10, 31)),
    ("§ 193 BGB: Buß- und Bettag is no NRW holiday",
     date(2026, 11, 4), "P14D", {}, date(2026, 11, 18)),
    ("§ 193 BGB: Christmas 25/26 Dec and the weekend move to Monday 28 Dec",
     date(2026, 12, 11), "P14D", {}, date(2026, 12, 28)),
    ("§ 193 BGB: Neujahr on Friday moves to Monday 4 Jan",
     date(2026, 12, 1), "P1M", {}, date(2027, 1, 4)),
    ("§ 193 BGB: 1 Mai moves to Monday 4 May",
     date(2026, 4, 1), "P1M", {}, date(2026, 5, 4)),
    ("§ 193 BGB: Christi Himmelfahrt moves to Friday",
     date(2026, 4, 30), "P14D", {}, date(2026, 5, 15)),
    ("§ 193 BGB: Pfingstmontag moves to Tuesday",
     date(2026, 5, 11), "P14D", {}, date(2026, 5, 26)),
    ("§ 193 BGB: Tag der Deutschen Einheit on Saturday moves to Monday",
     date(2026, 9, 19), "P14D", {}, date(2026, 10, 5)),
    # --- shift none (§ 26 Abs. 4 SGB X, § 42 Abs. 5 SGB VIII) -----------------------------------------------------
    ("shift none: § 42 Abs. 5 SGB VIII 'mit Ablauf des folgenden Tages' from Karfreitag 22:00 ends Saturday",
     at(2026, 4, 3, 22), "P1D", {"shift": "none"}, date(2026, 4, 4)),
    ("shift none: benefit period ending on a Saturday stays (§ 26 Abs. 4 SGB X)",
     date(2025, 9, 1), "P6M", {"rule": "beginn", "shift": "none"}, date(2026, 2, 28)),
    ("shift none: same period with § 193 would move to Monday (contrast)",
     date(2025, 9, 1), "P6M", {"rule": "beginn"}, date(2026, 3, 2)),
    # --- § 187 Abs. 2, § 188 Abs. 2 Alt. 2 BGB (beginn) ---------------------------------------------------------
    ("beginn: benefit period from the 1st of a month, 12 months end on 31 Dec (§ 41 Abs. 3 SGB II)",
     date(2026, 1, 1), "P12M", {"rule": "beginn", "shift": "none"}, date(2026, 12, 31)),
    ("beginn: benefit period from 1 Feb, 6 months end on 31 Jul",
     date(2026, 2, 1), "P6M", {"rule": "beginn", "shift": "none"}, date(2026, 7, 31)),
    ("beginn: 18th birthday on a Saturday — the age is reached at the end of the Friday (§ 187 Abs. 2 S. 2 BGB)",
     date(2008, 3, 7), "P18Y", {"rule": "beginn", "shift": "none"}, date(2026, 3, 6)),  # 7 Mar 2026 is a Saturday
    ("beginn: born 29 Feb, 18 years completed at the end of 28 Feb (§ 188 Abs. 2 Alt. 2 BGB)",
     date(2008, 2, 29), "P18Y", {"rule": "beginn", "shift": "none"}, date(2026, 2, 28)),
    ("beginn: from 31 Mar, 1 month ends 30 Apr (§ 188 Abs. 3 BGB)",
     date(2026, 3, 31), "P1M", {"rule": "beginn", "shift": "none"}, date(2026, 4, 30)),
    ("beginn: from 30 Jan 2026, 1 month ends 28 Feb (no 30 Feb, § 188 Abs. 3 BGB)",
     date(2026, 1, 30), "P1M", {"rule": "beginn", "shift": "none"}, date(2026, 2, 28)),
    ("beginn: 14 days from the start of a day count that day (last day = day 14)",
     date(2026, 3, 2), "P14D", {"rule": "beginn"}, date(2026, 3, 16)),  # Sun 15 Mar -> § 193 -> Mon 16
    ("beginn: 14 days without shift end on the Sunday",
     date(2026, 3, 2), "P14D", {"rule": "beginn", "shift": "none"}, date(2026, 3, 15)),
    ("beginn: 36 months' stay § 2 AsylbLG from entry on 2 Mar 2025 end 1 Mar 2028",
     date(2025, 3, 2), "P36M", {"rule": "beginn", "shift": "none"}, date(2028, 3, 1)),
    # --- werktage-nrw (§ 7 Abs. 4 SGB VIII style) --------------------------------------------------------------
    ("werktage-nrw: 7 Werktage from Monday 2 Mar end Wednesday 11 Mar (§ 42a Abs. 4 SGB VIII)",
     at(2026, 3, 2), "P7D", {"calendar": "werktage-nrw"}, date(2026, 3, 11)),
    ("werktage-nrw: Karfreitag and Ostermontag are not counted",
     at(2026, 4, 1), "P3D", {"calendar": "werktage-nrw"}, date(2026, 4, 8)),
    ("werktage-nrw: Fronleichnam is not counted",
     at(2026, 6, 3), "P1D", {"calendar": "werktage-nrw"}, date(2026, 6, 5)),
    ("werktage-nrw: Allerheiligen 2027 (Monday) is not counted",
     at(2027, 10, 29), "P1D", {"calendar": "werktage-nrw"}, date(2027, 11, 2)),
    ("werktage-nrw: 24 and 31 Dec are counted as Werktage",
     at(2026, 12, 23), "P1D", {"calendar": "werktage-nrw"}, date(2026, 12, 24)),
    ("werktage-nrw: 31 Dec counted, Neujahr not",
     at(2026, 12, 30), "P2D", {"calendar": "werktage-nrw"}, date(2027, 1, 4)),
    ("werktage-nrw: 31 Oct is a Werktag in NRW",
     at(2025, 10, 30), "P1D", {"calendar": "werktage-nrw"}, date(2025, 10, 31)),
    ("werktage-nrw: Buß- und Bettag is a Werktag in NRW",
     at(2026, 11, 17), "P1D", {"calendar": "werktage-nrw"}, date(2026, 11, 18)),
    ("werktage-nrw: trigger on a Saturday counts from Monday as the first Werktag",
     at(2026, 3, 7), "P2D", {"calendar": "werktage-nrw"}, date(2026, 3, 10)),
    ("werktage-nrw beginn: the trigger day itself is the first Werktag",
     date(2026, 3, 2), "P3D", {"calendar": "werktage-nrw", "rule": "beginn"}, date(2026, 3, 4)),
    ("werktage-nrw: 14 Werktage health prognosis over Easter",
     at(2026, 3, 30), "P14D", {"calendar": "werktage-nrw"}, date(2026, 4, 21)),
    # --- month end / first of month ---------------------------------------------------------------------------
    ("monatsende: § 1 Abs. 3 AsylbLG entitlement ends with the month of the change",
     date(2026, 3, 10), "P0D", {"rule": "monatsende", "shift": "none"}, date(2026, 3, 31)),
    ("monatsende: February of a leap year ends on the 29th",
     date(2028, 2, 3), "P0D", {"rule": "monatsende", "shift": "none"}, date(2028, 2, 29)),
    ("monatsende: February of a common year ends on the 28th",
     date(2027, 2, 3), "P0D", {"rule": "monatsende", "shift": "none"}, date(2027, 2, 28)),
    ("monatsende: month end on a Saturday stays without shift",
     date(2026, 1, 15), "P0D", {"rule": "monatsende", "shift": "none"}, date(2026, 1, 31)),
    ("monatsende: with § 193 a Saturday month end moves to Monday",
     date(2026, 1, 15), "P0D", {"rule": "monatsende"}, date(2026, 2, 2)),
    ("monatsende: 'end of the month after next' = +1M then month end",
     date(2026, 1, 31), "P1M", {"rule": "monatsende", "shift": "none"}, date(2026, 2, 28)),
    ("monatsanfang: § 37 Abs. 2 SGB II application takes effect back to the 1st",
     date(2026, 3, 17), "P0D", {"rule": "monatsanfang"}, date(2026, 3, 1)),
    ("monatsanfang: a 1st on a Sunday is still the 1st (no shift for a start)",
     date(2026, 2, 27), "P0D", {"rule": "monatsanfang"}, date(2026, 2, 1)),
    # --- Bekanntgabe (posted decisions) ----------------------------------------------------------------------
    ("bekanntgabe-sgbx: posted Mon 2 Mar, notified Fri 6 Mar, Widerspruch 1 month ends Mon 6 Apr -> Ostermontag",
     date(2026, 3, 2), "P1M", {"rule": "bekanntgabe-sgbx"}, date(2026, 4, 7)),
    ("bekanntgabe-sgbx: posted Wed 4 Mar, notified on the 4th day Sunday 8 Mar (no shift, BSG), ends Wed 8 Apr",
     date(2026, 3, 4), "P1M", {"rule": "bekanntgabe-sgbx"}, date(2026, 4, 8)),
    ("bekanntgabe-vwvfg: posted Tue 10 Mar, notified Sat 14 -> Mon 16 Mar, Klage 1 month ends Thu 16 Apr",
     date(2026, 3, 10), "P1M", {"rule": "bekanntgabe-vwvfg"}, date(2026, 4, 16)),
    # --- backwards offsets -------------------------------------------------------------------------------------
    ("backwards: 3 months before the title expires 30 Jun (§ 81 Abs. 4 AufenthG)",
     date(2026, 6, 30), "-P3M", {}, date(2026, 3, 30)),
    ("backwards: 3 months before 31 May clamp to 28 Feb (§ 188 Abs. 3 BGB)",
     date(2026, 5, 31), "-P3M", {"shift": "none"}, date(2026, 2, 28)),
    ("backwards: a Saturday target moves to the working day before, never later",
     date(2026, 5, 31), "-P3M", {}, date(2026, 2, 27)),
    ("backwards: 1 year before the help ends (§ 41 Abs. 3 SGB VIII) on Karfreitag moves to Thursday",
     date(2027, 4, 3), "-P1Y", {}, date(2026, 4, 2)),
    ("backwards werktage-nrw: 2 Werktage before a Tuesday after Ostermontag is Thursday",
     date(2026, 4, 7), "-P2D", {"calendar": "werktage-nrw"}, date(2026, 4, 1)),
]


@pytest.mark.parametrize("trigger, offset, options, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worked_example(trigger, offset, options, expected):
    clock = compute(trigger, offset, **options)
    assert clock.last_day == expected
    if options.get("rule") != "monatsanfang":  # a start, not an end: see test_monatsanfang_is_the_start_of_the_day
        assert clock.due == datetime.combine(expected, time.max, tzinfo=BERLIN)


def test_legal_clock_ends_at_24_00_berlin_across_dst():
    """End of day: a clock ending on the DST change day still expires at 24:00 Berlin (UTC+2 then)."""
    clock = compute(date(2026, 3, 15), "P14D", shift="none")  # 29 Mar 2026: clocks go forward
    assert clock.due.astimezone(BERLIN).strftime("%H:%M") == "23:59"
    assert clock.due.utcoffset().total_seconds() == 7200


def test_dst_autumn_end_of_day_is_utc_plus_one():
    """DST back on 25 Oct 2026: the day has 25 hours, its end is 22:59:59 UTC."""
    clock = compute(date(2026, 10, 11), "P14D", shift="none")
    assert clock.last_day == date(2026, 10, 25)
    assert clock.due.utcoffset().total_seconds() == 3600


def test_shift_records_the_original_day():
    """§ 193 BGB: the clock keeps the day it moved from, so the clerk can see why."""
    clock = compute(date(2026, 3, 20), "P14D")
    assert (clock.shifted_from, clock.last_day) == (date(2026, 4, 3), date(2026, 4, 7))
    assert compute(date(2026, 3, 2), "P14D").shifted_from is None


def test_monatsanfang_is_the_start_of_the_day():
    """§ 37 Abs. 2 SGB II: the first of the month at 00:00, not its end."""
    clock = compute(date(2026, 3, 17), "P0D", rule="monatsanfang")
    assert clock.due == datetime(2026, 3, 1, 0, 0, tzinfo=BERLIN)


@pytest.mark.parametrize("posted, rule, expected", [
    (date(2026, 3, 2), "bekanntgabe-sgbx", date(2026, 3, 6)),     # Mon -> Fri
    (date(2026, 3, 4), "bekanntgabe-sgbx", date(2026, 3, 8)),     # 4th day Sunday stays (BSG B 14 AS 12/09 R)
    (date(2026, 3, 30), "bekanntgabe-sgbx", date(2026, 4, 3)),    # 4th day Karfreitag stays
    (date(2026, 3, 30), "bekanntgabe-vwvfg", date(2026, 4, 7)),   # VwVfG NRW: Karfreitag -> over Easter to Tuesday
    (date(2026, 5, 31), "bekanntgabe-vwvfg", date(2026, 6, 5)),   # 4th day Fronleichnam -> Friday
])
def test_bekanntgabe_fourth_day(posted, rule, expected):
    """§ 37 Abs. 2 SGB X: 4th day after posting as is; § 41 Abs. 2 VwVfG NRW: moved off weekends and holidays."""
    assert notified_on(posted, rule) == expected


def test_bekanntgabe_rules_name_their_source():
    """Every Bekanntgabe rule documents its law and its weekend handling."""
    for _days, _moves, source in BEKANNTGABE.values():
        assert "§" in source and ("BSG" in source or "BFH" in source)


@pytest.mark.parametrize("due, before, calendar, expected", [
    # Werktage clock due Tue 7 Apr 2026: two Werktage before are Wed 1 Apr (Easter Fri and Mon not counted).
    (datetime.combine(date(2026, 4, 7), time.max, tzinfo=BERLIN), "P2D", "werktage-nrw", date(2026, 4, 1)),
    # Calendar clock due Tue 16 Mar: 2 days before is Saturday -> reminded on Friday 13 Mar, never on the weekend.
    (datetime.combine(date(2026, 3, 16), time.max, tzinfo=BERLIN), "P2D", "kalendertage", date(2026, 3, 13)),
    # One month before 31 Mar 2026 -> 28 Feb (Saturday) -> Friday 27 Feb.
    (datetime.combine(date(2026, 3, 31), time.max, tzinfo=BERLIN), "P1M", "kalendertage", date(2026, 2, 27)),
])
def test_reminders_count_on_the_clock_calendar_and_avoid_sundays(due, before, calendar, expected):
    """Reminder rule: counted on the deadline's own calendar, moved to the working day before."""
    remind = remind_on(due, before, calendar)
    assert remind == datetime.combine(expected, time.min, tzinfo=BERLIN)
    assert is_working_day(remind.date())


@pytest.mark.parametrize("kwargs, message", [
    ({"rule": "tage"}, "unknown rule"),
    ({"shift": "sometimes"}, "unknown shift"),
    ({"calendar": "bundesweit"}, "unknown calendar"),
])
def test_unknown_options_are_named(kwargs, message):
    """Bad model attributes are rejected with the attribute named."""
    with pytest.raises(DeadlineError, match=message):
        compute(date(2026, 3, 2), "P1M", **kwargs)


def test_werktage_months_are_rejected():
    """werktage-nrw counts whole days only: a 'month of Werktage' has no legal reading."""
    with pytest.raises(DeadlineError, match="whole days"):
        compute(date(2026, 3, 2), "P1M", calendar="werktage-nrw")


def test_time_parts_are_not_legal_clocks():
    """Legal clocks count days; PT48H stays an internal target (calendar.due_at)."""
    with pytest.raises(DeadlineError, match="hours"):
        compute(date(2026, 3, 2), "PT48H")


def test_naive_datetime_trigger_is_rejected():
    """A trigger without a time zone would make the Berlin day a guess."""
    with pytest.raises(DeadlineError, match="time zone"):
        compute(datetime(2026, 3, 2, 10), "P14D")


def test_offset_parsing():
    """'-P3M' is a backwards offset; the text round-trips."""
    assert str(parse_offset("-P3M")) == "-P3M" and parse_offset("-P3M").backwards
    assert not parse_offset(" P14D ").backwards
    with pytest.raises(DeadlineError):
        parse_offset("--P3M")


def test_end_of_is_the_last_instant_of_the_day():
    """24:00 Berlin is represented as 23:59:59.999999 (the last instant still 'on time')."""
    assert end_of(date(2026, 3, 2)) == datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=BERLIN)
