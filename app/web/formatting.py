"""Display helpers: DIN 5008 dates in Europe/Berlin and the time left until a legal deadline."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext, ngettext

from app.engine.calendar import BERLIN, END_OF_DAY, remaining

CALENDAR_DEFAULT = "kalendertage"


def berlin(moment: datetime) -> datetime:
    """The instant in Berlin local time."""
    return moment.astimezone(BERLIN)


def din_date(value: datetime | date | str | None) -> str:
    """DIN 5008 numeric date, e.g. 05.03.2026 (Berlin day for instants)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = berlin(value).date()
    return value.strftime("%d.%m.%Y")


def din_datetime(value: datetime | None) -> str:
    """DIN 5008 date and time in Berlin, e.g. 05.03.2026, 14:30."""
    if value is None:
        return ""
    local = berlin(value)
    return f"{local:%d.%m.%Y}, {local:%H:%M}"


def is_end_of_day(value: datetime) -> bool:
    """True for day-based deadlines, which end at the last instant of a Berlin day."""
    return berlin(value).timetz().replace(tzinfo=None) == END_OF_DAY


def due_display(value: datetime | None) -> str:
    """A deadline as people read it: just the day for day-based periods, else day and time."""
    if value is None:
        return ""
    return din_date(value) if is_end_of_day(value) else din_datetime(value)


def iso_local(value: datetime | None) -> str:
    """Machine-readable value for <time datetime=…>."""
    return berlin(value).isoformat(timespec="minutes") if value else ""


def calendar_label(calendar: str | None) -> str:
    """German/English name of a deadline calendar."""
    if calendar == "werktage-nrw":
        return gettext("working days (NRW)")
    return gettext("calendar days")


def time_left(now: datetime, due: datetime | None, calendar: str | None) -> dict:
    """{"text", "overdue", "today"} for a deadline: "noch 3 Werktage", "2 Tage überfällig", "heute fällig"."""
    if due is None:
        return {"text": "", "overdue": False, "today": False}
    left = remaining(now, due, calendar or CALENDAR_DEFAULT)
    days, hours = left["days"], left["hours"]
    working = left["unit"] == "werktage"
    if left["overdue"]:
        if days == 0:
            text = ngettext("overdue for %(num)d hour", "overdue for %(num)d hours", max(hours, 1))
        elif working:
            text = ngettext("%(num)d working day overdue", "%(num)d working days overdue", days)
        else:
            text = ngettext("%(num)d day overdue", "%(num)d days overdue", days)
        return {"text": text, "overdue": True, "today": False}
    if days == 0:
        if is_end_of_day(due):
            return {"text": gettext("due today"), "overdue": False, "today": True}
        return {"text": ngettext("%(num)d hour left", "%(num)d hours left", hours), "overdue": False, "today": True}
    if working:
        text = ngettext("%(num)d working day left", "%(num)d working days left", days)
    else:
        text = ngettext("%(num)d day left", "%(num)d days left", days)
    return {"text": text, "overdue": False, "today": False}

