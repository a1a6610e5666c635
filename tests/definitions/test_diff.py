"""The version diff: lanes, user tasks (added, removed, renamed), deadlines and timers between summaries."""
from __future__ import annotations

from app.definitions.diff import Change, diff_summaries, version_changes


def summary(lanes=("Ausländerbehörde",), tasks=None, timers=()):
    """A deployment summary as app.definitions.service stores it (only the parts the diff reads)."""
    return {"lanes": list(lanes), "user_tasks": tasks or {}, "timers": list(timers), "warnings": []}


def task(name, lane="Ausländerbehörde", **extra):
    """A user task entry of a summary."""
    return {"element_id": "", "name": name, "lane": lane, "form_key": None, "due_in": None, "calendar": None,
            "legal_source": None, "remind_before": None, "follow_up_in": None, **extra}


def test_identical_summaries_have_no_changes():
    one = summary(tasks={"a": task("Prüfen", due_in="P14D")}, timers=[{"element_id": "t", "kind": "duration",
                                                                        "expression": "P1D"}])
    assert diff_summaries(one, dict(one)) == []


def test_lanes_added_and_removed():
    changes = diff_summaries(summary(lanes=["Ausländerbehörde", "Sozialamt"]),
                             summary(lanes=["Ausländerbehörde", "Jobcenter"]))
    assert changes == [Change("lane_added", name="Jobcenter"), Change("lane_removed", name="Sozialamt")]


def test_tasks_added_removed_and_renamed():
    old = summary(tasks={"a": task("Prüfen"), "b": task("Bescheid")})
    new = summary(tasks={"a": task("Status prüfen"), "c": task("Leistung", lane="Jobcenter")})
    changes = diff_summaries(old, new)
    assert Change("task_added", element_id="c", name="Leistung", new="Jobcenter") in changes
    assert Change("task_removed", element_id="b", name="Bescheid", old="Ausländerbehörde") in changes
    assert Change("task_renamed", element_id="a", name="Status prüfen", field="name", old="Prüfen",
                  new="Status prüfen") in changes
    assert len(changes) == 3


def test_deadline_changes_per_task():
    old = summary(tasks={"a": task("Prüfen", due_in="P14D", calendar="kalendertage", legal_source="§ 81 AufenthG")})
    new = summary(tasks={"a": task("Prüfen", due_in="P10D", calendar="werktage-nrw", legal_source="§ 81 AufenthG")})
    changes = diff_summaries(old, new)
    assert [(c.field, c.old, c.new) for c in changes] == [("due_in", "P14D", "P10D"),
                                                        ("calendar", "kalendertage", "werktage-nrw")]
    assert all(c.is_deadline and c.element_id == "a" for c in changes)


def test_a_legal_source_added_and_a_task_moved_to_another_lane():
    old = summary(tasks={"a": task("Prüfen")})
    new = summary(tasks={"a": task("Prüfen", lane="Jobcenter", legal_source="§ 37 SGB II")})
    changes = diff_summaries(old, new)
    assert [(c.field, c.old, c.new, c.is_deadline) for c in changes] == [
        ("lane", "Ausländerbehörde", "Jobcenter", False), ("legal_source", None, "§ 37 SGB II", True)]


def test_empty_strings_and_missing_keys_are_the_same():
    old = summary(tasks={"a": {"name": "Prüfen", "due_in": ""}})
    assert diff_summaries(old, summary(tasks={"a": {"name": "Prüfen"}})) == []


def test_timers_added_removed_and_changed():
    old = summary(timers=[{"element_id": "t1", "kind": "duration", "expression": "P1D", "attached_to": "a",
                           "interrupting": True},
                          {"element_id": "t2", "kind": "date", "expression": "2026-04-01"}])
    new = summary(timers=[{"element_id": "t1", "kind": "duration", "expression": "P3D", "attached_to": "a",
                           "interrupting": False},
                          {"element_id": "t3", "kind": "cycle", "expression": "R3/P1W"}])
    changes = diff_summaries(old, new)
    assert changes == [Change("timer_added", element_id="t3", new="R3/P1W"),
                       Change("timer_removed", element_id="t2", old="2026-04-01"),
                       Change("timer_changed", element_id="t1", field="expression", old="P1D", new="P3D"),
                       Change("timer_changed", element_id="t1", field="interrupting", old=True, new=False)]


def test_the_first_version_is_compared_with_nothing():
    first = summary(lanes=["Jobcenter"], tasks={"a": task("Prüfen")})
    assert diff_summaries(None, first) == [Change("lane_added", name="Jobcenter"),
                                           Change("task_added", element_id="a", name="Prüfen",
                                                  new="Ausländerbehörde")]


def test_version_changes_compare_each_version_with_the_one_before():
    v1 = summary(tasks={"a": task("Prüfen")})
    v2 = summary(tasks={"a": task("Prüfen", due_in="P5D")})
    v3 = dict(v2)
    result = version_changes([(3, v3), (1, v1), (2, v2)])
    assert result[1] is None
    assert [(c.field, c.new) for c in result[2]] == [("due_in", "P5D")]
    assert result[3] == []


def test_malformed_summaries_do_not_break_the_diff():
    assert diff_summaries({"user_tasks": {"x": "kaputt"}, "timers": ["kaputt"]}, summary()) == [
        Change("lane_added", name="Ausländerbehörde")]
