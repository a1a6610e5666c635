"""Model facts in German words: durations, problem kinds, warnings and version changes."""
from __future__ import annotations

from app.definitions.diff import Change
from app.web.model_texts import change_group, change_text, duration_text, problem_kind, warning_text


def test_iso_durations_in_words(german):
    assert duration_text("P14D") == "14 Tage" and duration_text('"PT48H"') == "48 Stunden"
    assert duration_text("P1Y2M") == "1 Jahr, 2 Monate" and duration_text("P1W") == "1 Woche"
    assert duration_text("PT1H30M") == "1 Stunde, 30 Minuten"
    assert duration_text("2026-04-01T00:00") == "2026-04-01T00:00" and duration_text(None) == "—"
    assert duration_text("P") == "P"


def test_durations_in_english(english):
    assert duration_text("P1D") == "1 day" and duration_text("P3D") == "3 days"


def test_problem_kinds_and_warnings(german):
    assert problem_kind("expression") == "Ausdruck nicht erlaubt" and problem_kind("???") == "Problem"
    summary = {"user_tasks": {"a": {"name": "Prüfen", "lane": "Wohngeld"}, "b": {"name": "Ohne"}}}
    assert warning_text({"element_id": "a"}, summary).startswith("„Prüfen“: Die Lane „Wohngeld“ ist kein Amt")
    assert warning_text({"element_id": "b"}, summary).startswith("„Ohne“ liegt in keiner Lane")


def test_changes_in_words(german):
    names = {"t1": "Erinnerung", "a": "Prüfen"}
    assert change_text(Change("lane_added", name="Jobcenter")) == "Lane „Jobcenter“ hinzugefügt"
    assert change_text(Change("task_added", element_id="a", name="Prüfen", new=None)) == \
        "Aufgabe „Prüfen“ hinzugefügt (—)"
    assert change_text(Change("task_changed", element_id="a", name="Prüfen", field="calendar",
                              old="kalendertage", new="werktage-nrw")) == \
        "„Prüfen“: Berechnet in Kalendertagen → Werktagen (NRW)"
    assert change_text(Change("task_changed", element_id="a", name="Prüfen", field="legal_source", old=None,
                              new="§ 37 SGB II")) == "„Prüfen“: Rechtsgrundlage — → § 37 SGB II"
    assert change_text(Change("timer_changed", element_id="t1", field="interrupting", old=True, new=False),
                       names) == "Timer „Erinnerung“: Unterbrechend ja → nein"
    assert change_text(Change("timer_changed", element_id="t1", field="attached_to", old="a", new="b"), names) == \
        "Timer „Erinnerung“: Angeheftet an Prüfen → b"
    assert change_text(Change("timer_added", element_id="t2", new='"P3D"'), names) == \
        "Timer „t2“ hinzugefügt (3 Tage)"
    assert [change_group(Change(k, field=f)) for k, f in (("lane_removed", None), ("task_renamed", "name"),
                                                          ("task_changed", "due_in"), ("task_changed", "lane"),
                                                          ("timer_removed", None))] == \
        ["lanes", "tasks", "deadlines", "tasks", "timers"]
