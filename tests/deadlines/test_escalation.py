"""Reminders before, escalation after the due date — each once — and the supervisor's overdue view."""
from __future__ import annotations

from datetime import datetime

from app.deadlines.service import run_deadline_jobs
from app.directory import service as directory
from app.extensions import db

BERLIN_DUE = "2026-03-05T23:59:59.999999+01:00"  # Mon 2 Mar + 3 NRW working days


def _run(app, clock):
    return run_deadline_jobs(db.session, clock=clock, notifier=app.extensions["lotse_notifier"])


def _notes(api, user):
    return api.as_(user).get("/api/notifications").get_json()["items"]


def _kinds(api, instance_id):
    return [e["kind"] for e in api.as_("super").get(f"/api/instances/{instance_id}/audit").get_json()["items"]]


def test_reminder_then_escalation_each_once(app, api, clock):
    api.deploy("deadlines.bpmn")
    case = api.start("leistung_frist", "AZ-D1", user="jc").get_json()
    task = case["active_tasks"][0]
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat(BERLIN_DUE)
    assert task["legal_source"] == "§ 88 SGG" and task["calendar"] == "werktage-nrw"

    clock.set(datetime.fromisoformat("2026-03-04T12:00:00+01:00"))
    assert (_run(app, clock).reminded, _run(app, clock).escalated) == (0, 0)
    clock.set(datetime.fromisoformat("2026-03-05T00:30:00+01:00"))
    assert _run(app, clock).reminded == 1
    assert _run(app, clock).reminded == 0
    assert [n["kind"] for n in _notes(api, "jc")] == ["reminder"]
    assert "Bescheid erlassen" in _notes(api, "jc")[0]["body"]

    clock.set(datetime.fromisoformat("2026-03-05T23:00:00+01:00"))
    assert _run(app, clock).escalated == 0
    assert api.as_("jc").tasks(overdue="true") == []
    clock.set(datetime.fromisoformat("2026-03-06T08:00:00+01:00"))
    assert _run(app, clock).escalated == 1
    assert _run(app, clock).escalated == 0
    [note] = _notes(api, "jc_lead")
    assert note["kind"] == "escalation" and "AZ-D1" in note["subject"] and "§ 88 SGG" in note["body"]
    assert _notes(api, "super") == []  # the office has a lead; the escalation goes there
    assert [t["business_key"] for t in api.as_("jc").tasks(overdue="true")] == ["AZ-D1"]
    assert api.as_("jc").get(f"/api/tasks/{task['id']}").get_json()["escalated_at"] is not None
    assert _kinds(api, case["id"]).count("escalated") == 1
    assert _kinds(api, case["id"]).count("reminder_sent") == 1
    read = api.as_("jc_lead").post(f"/api/notifications/{note['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    assert api.as_("jc").post(f"/api/notifications/{note['id']}/read").status_code == 404


def test_second_level_goes_to_the_coordination_office(app, api, clock, session):
    town = directory.get_municipality(session, "musterstadt")
    coordination = directory.create_office(session, municipality=town, name="KIM-Koordination")
    directory.create_user(session, municipality=town, username="kim_koord", role="clerk", office_name=coordination.name,
                          clock=clock)
    town.coordination_office_id, town.second_escalation_after = coordination.id, "P2D"
    session.commit()
    api.deploy("deadlines.bpmn")
    api.start("leistung_frist", "AZ-D2", user="jc")
    clock.set(datetime.fromisoformat("2026-03-06T08:00:00+01:00"))
    _run(app, clock)
    clock.set(datetime.fromisoformat("2026-03-08T07:59:00+01:00"))
    assert _run(app, clock).escalated_level2 == 0
    clock.set(datetime.fromisoformat("2026-03-08T08:01:00+01:00"))
    assert _run(app, clock).escalated_level2 == 1
    assert _run(app, clock).escalated_level2 == 0
    note = db.session.execute(db.text("SELECT kind, subject FROM notification n JOIN user_account u "
                                      "ON u.id = n.recipient_id WHERE u.username = 'kim_koord'")).all()
    assert [row[0] for row in note] == ["escalation_level2"]


def test_leads_move_due_dates_audited_and_escalation_resets(app, api, clock):
    api.deploy("deadlines.bpmn")
    case = api.start("leistung_frist", "AZ-D3", user="jc").get_json()
    task = case["active_tasks"][0]
    clock.set(datetime.fromisoformat("2026-03-06T08:00:00+01:00"))
    _run(app, clock)
    new_due = "2026-03-13T16:00:00+01:00"
    assert api.as_("jc").patch(f"/api/tasks/{task['id']}", {"due_at": new_due}).status_code == 403
    naive = api.as_("jc_lead").patch(f"/api/tasks/{task['id']}", {"due_at": "2026-03-13T16:00:00"})
    assert naive.status_code == 422
    unexplained = api.as_("jc_lead").patch(f"/api/tasks/{task['id']}", {"due_at": new_due})
    assert unexplained.status_code == 422 and "reason" in unexplained.get_json()["message"]
    past = api.as_("jc_lead").patch(f"/api/tasks/{task['id']}", {"due_at": "2026-03-05T16:00:00+01:00",
                                                                  "reason": "Akte lag vor"})
    assert past.status_code == 422 and "past" in past.get_json()["message"]
    moved = api.as_("jc_lead").patch(f"/api/tasks/{task['id']}", {"due_at": new_due,
                                                                   "reason": "Unterlagen nachgefordert"})
    assert moved.status_code == 200, moved.get_json()
    assert datetime.fromisoformat(moved.get_json()["due_at"]) == datetime.fromisoformat(new_due)
    assert moved.get_json()["escalated_at"] is None
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    change = [e for e in trail if e["kind"] == "due_date_changed"][0]
    assert change["actor"] == "jc_lead"
    assert change["details"]["role"] == "lead" and change["office"] == "Jobcenter"
    assert datetime.fromisoformat(change["details"]["old"]) == datetime.fromisoformat(BERLIN_DUE)
    assert datetime.fromisoformat(change["details"]["new"]) == datetime.fromisoformat(new_due)
    clock.set(datetime.fromisoformat("2026-03-13T17:00:00+01:00"))
    assert _run(app, clock).escalated == 1  # missed again at the new date


def test_overdue_summary_per_office_and_activity(app, api, clock):
    api.deploy("deadlines.bpmn")
    api.deploy("handoff.bpmn")
    api.start("leistung_frist", "AZ-S1", user="jc")
    clock.advance(hours=1)
    api.start("leistung_frist", "AZ-S2", user="jc")
    api.start("aufenthalt_leistung", "AZ-S3")
    clock.set(datetime.fromisoformat("2026-03-06T08:00:00+01:00"))
    _run(app, clock)
    assert api.as_("jc").get("/api/overdue").status_code == 403
    summary = api.as_("super").get("/api/overdue").get_json()
    offices = {o["office"]: o for o in summary["offices"]}
    assert offices["Jobcenter"]["open"] == 2 and offices["Jobcenter"]["overdue"] == 2
    assert offices["Jobcenter"]["escalated"] == 2
    assert offices["Jobcenter"]["oldest_overdue"]["business_key"] in ("AZ-S1", "AZ-S2")
    assert offices["Ausländerbehörde"] == {"office": "Ausländerbehörde", "open": 1, "overdue": 0, "escalated": 0,
                                           "oldest_overdue": None}
    assert summary["activities"][0]["element_id"] == "ut_bescheid"
    assert summary["activities"][0]["longest_wait_hours"] >= summary["activities"][-1]["longest_wait_hours"]
    lead_view = api.as_("jc_lead").get("/api/overdue").get_json()
    assert [o["office"] for o in lead_view["offices"]] == ["Jobcenter"]


def test_metrics_show_backlog_counts(app, api, clock):
    api.deploy("deadlines.bpmn")
    api.start("leistung_frist", "AZ-MX", user="jc")
    body = api.client.get("/metrics").get_data(as_text=True)
    assert 'lotse_open_tasks{municipality="musterstadt"} 1.0' in body
    assert "lotse_timer_lag_seconds_bucket" in body
