"""DIN 5008 dates in Europe/Berlin and the time left until a deadline, in German and English."""
from __future__ import annotations

from datetime import datetime, timezone

from app.engine.calendar import BERLIN, due_at
from app.web.formatting import din_date, din_datetime, due_display, time_left

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def test_din_5008_in_berlin_time():
    assert din_datetime(datetime(2026, 3, 5, 13, 30, tzinfo=timezone.utc)) == "05.03.2026, 14:30"
    assert din_datetime(datetime(2026, 7, 5, 12, 30, tzinfo=timezone.utc)) == "05.07.2026, 14:30"  # summer time
    assert din_date(datetime(2026, 3, 5, 23, 30, tzinfo=timezone.utc)) == "06.03.2026"  # already the 6th in Berlin
    assert din_date("2026-03-05") == "05.03.2026" and din_date(None) == ""


def test_day_based_deadlines_show_the_day_only():
    assert due_display(due_at(MONDAY, "P14D")) == "16.03.2026"
    assert due_display(datetime(2026, 3, 4, 9, 15, tzinfo=BERLIN)) == "04.03.2026, 09:15"


def test_time_left_in_working_days_and_calendar_days(german):
    due = due_at(MONDAY, "P5D", "werktage-nrw")  # Monday 9 March
    assert time_left(MONDAY, due, "werktage-nrw")["text"] == "noch 5 Werktage"
    assert time_left(MONDAY, due_at(MONDAY, "P1D", "werktage-nrw"), "werktage-nrw")["text"] == "noch 1 Werktag"
    late = time_left(datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN), due, "werktage-nrw")
    assert late == {"text": "2 Werktage überfällig", "overdue": True, "today": False}
    assert time_left(MONDAY, due_at(MONDAY, "P14D"), None)["text"] == "noch 14 Tage"
    assert time_left(datetime(2026, 3, 18, 9, 0, tzinfo=BERLIN), due_at(MONDAY, "P14D"), "kalendertage")["text"] \
        == "2 Tage überfällig"
    assert time_left(datetime(2026, 3, 16, 9, 0, tzinfo=BERLIN), due_at(MONDAY, "P14D"), None) == {
        "text": "heute fällig", "overdue": False, "today": True}
    assert time_left(MONDAY, due_at(MONDAY, "PT5H"), None)["text"] == "noch 5 Stunden"
    assert time_left(MONDAY, MONDAY.replace(hour=6), None)["text"] == "seit 2 Stunden überfällig"
    assert time_left(MONDAY, None, None)["text"] == ""


def test_time_left_in_english(english):
    assert time_left(MONDAY, due_at(MONDAY, "P5D", "werktage-nrw"), "werktage-nrw")["text"] == "5 working days left"
    assert time_left(datetime(2026, 3, 18, 9, 0, tzinfo=BERLIN), due_at(MONDAY, "P14D"), None)["text"] \
        == "2 days overdue"
