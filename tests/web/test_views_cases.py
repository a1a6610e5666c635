"""Supervisor and case screens with the test client (both databases): overview, heatmap, case list and view,
and the actions on a case (cancel, retry, move a due date) — each audited."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.web.conftest import csrf, sign_in

YES = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}


def events(app, instance_id: int) -> list:
    """The audit events of a case in chain order."""
    from app.audit.service import instance_events
    from app.extensions import db

    with app.app_context():
        found = instance_events(db.session, instance_id)
        db.session.expunge_all()
        return found


def handed_over(api, key: str) -> dict:
    """A hand-off case whose first task the Ausländerbehörde completed: it waits at the Jobcenter now."""
    case = api.start("aufenthalt_leistung", key).get_json()
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": YES}).status_code == 200
    return api.as_("super").get(f"/api/instances/{case['id']}").get_json()


@pytest.fixture
def deployed(api):
    """Version 1 of the hand-off model."""
    return api.deploy("handoff.bpmn")


def test_case_list_filters_by_status_process_and_reference(app, api, deployed, served):
    one = api.start("aufenthalt_leistung", "AZ-2026-0001").get_json()
    api.start("aufenthalt_leistung", "AZ-2026-0002")
    supervisor = sign_in(app, "super")
    page = supervisor.get("/faelle").get_data(as_text=True)
    assert "2 Fälle" in page and "AZ-2026-0001" in page and "AZ-2026-0002" in page and "läuft" in page
    only = supervisor.get("/faelle?aktenzeichen=AZ-2026-0001").get_data(as_text=True)
    assert f'href="/faelle/{one["id"]}"' in only and "AZ-2026-0002" not in only
    assert "Kein Fall passt" in supervisor.get("/faelle?status=cancelled").get_data(as_text=True)
    assert "2 Fälle" in supervisor.get("/faelle?prozess=aufenthalt_leistung&status=unsinn").get_data(as_text=True)
    assert "Kein Fall passt" in supervisor.get("/faelle?prozess=anderer").get_data(as_text=True)
    lead = sign_in(app, "jc_lead")
    assert "Kein Fall passt" in lead.get("/faelle").get_data(as_text=True)  # nothing reached the Jobcenter yet


def test_case_view_shows_the_path_taken_and_the_trail(app, api, deployed, served):
    from app.audit.models import AccessLogEntry
    from app.extensions import db

    case = handed_over(api, "AZ-2026-0003")
    supervisor = sign_in(app, "super")
    html = supervisor.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "AZ-2026-0003" in html and "Aufenthalt und Leistung (Version 1)" in html and "läuft" in html
    marks = {m["id"]: m["kind"] for m in json.loads(re.search(r"data-marks='([^']*)'", html).group(1))}
    assert marks == {"ut_leistung": "current", "start_antrag": "done", "f1": "done", "ut_pruefen": "done",
                     "f2": "done", "gw_gesichert": "done", "f_ja": "done"}
    assert "Aufgabe „Aufenthaltsstatus prüfen“ abgeschlossen" in html
    assert "Entscheidung „Aufenthalt gesichert?“: ja" in html
    assert "abh · Ausländerbehörde" in html and "02.03.2026, 09:00" in html  # DIN 5008, Berlin time
    assert "Leistungsantrag bearbeiten" in html and "Frist verschieben" in html and "Fall abbrechen …" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.instance_id == case["id"], AccessLogEntry.action == "instance_detail",
            AccessLogEntry.actor == "super")) == 2  # the API call in handed_over() and this page
    designer = sign_in(app, "designer")
    seen = designer.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "Frist verschieben" not in seen and "Fall abbrechen …" not in seen


def test_cancel_needs_a_confirmation_and_a_reason(app, api, deployed, served):
    case = api.start("aufenthalt_leistung", "AZ-2026-0004").get_json()
    supervisor = sign_in(app, "super")
    confirm = supervisor.get(f"/faelle/{case['id']}/abbrechen").get_data(as_text=True)
    assert "Fall AZ-2026-0004 abbrechen?" in confirm and "Fall endgültig abbrechen" in confirm
    token = csrf(supervisor, "/faelle")
    empty = supervisor.post(f"/faelle/{case['id']}/abbrechen", data={"csrf_token": token, "grund": "  "})
    assert empty.status_code == 422 and "Bitte geben Sie einen Grund an." in empty.get_data(as_text=True)
    assert [e.kind for e in events(app, case["id"])].count("instance_cancelled") == 0
    done = supervisor.post(f"/faelle/{case['id']}/abbrechen", data={"csrf_token": token,
                                                                    "grund": "Antrag zurückgenommen"})
    assert done.status_code == 303
    page = supervisor.get(done.headers["Location"]).get_data(as_text=True)
    assert "Der Fall AZ-2026-0004 wurde abgebrochen." in page and "abgebrochen" in page
    assert "Grund des Abbruchs:</strong> Antrag zurückgenommen" in page and "Fall abbrechen …" not in page
    cancelled = [e for e in events(app, case["id"]) if e.kind == "instance_cancelled"]
    assert len(cancelled) == 1 and cancelled[0].actor == "super"
    again = supervisor.post(f"/faelle/{case['id']}/abbrechen", data={"csrf_token": token, "grund": "nochmal"})
    assert again.status_code == 303
    assert "kann nicht mehr abgebrochen werden" in supervisor.get(again.headers["Location"]).get_data(as_text=True)
    lead = sign_in(app, "jc_lead")
    assert lead.post(f"/faelle/{case['id']}/abbrechen", data={"csrf_token": csrf(lead, "/faelle"),
                                                             "grund": "x"}).status_code == 403


def test_admins_retry_an_incident(app, api, served):
    api.deploy("failing.bpmn")
    case = api.start("quote_berechnen", "AZ-Q1", user="jc").get_json()
    task = case["active_tasks"][0]
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/complete",
                              {"data": {"betrag": 100, "anzahl": 0}}).status_code == 422
    [incident] = api.as_("admin").get(f"/api/instances/{case['id']}").get_json()["incidents"]
    supervisor = sign_in(app, "super")
    page = supervisor.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "1 offene Störung" in page and "Schritt st_quote fehlgeschlagen" in page
    assert ">Schritt wiederholen</button>" not in page
    url = f"/faelle/{case['id']}/stoerungen/{incident['id']}/wiederholen"
    assert supervisor.post(url, data={"csrf_token": csrf(supervisor, "/faelle")}).status_code == 403
    admin = sign_in(app, "admin")
    token = csrf(admin, "/faelle")
    assert ">Schritt wiederholen</button>" in admin.get(f"/faelle/{case['id']}").get_data(as_text=True)
    failed = admin.post(url, data={"csrf_token": token})
    assert "Der Schritt ist erneut fehlgeschlagen" in admin.get(failed.headers["Location"]).get_data(as_text=True)
    [again] = api.as_("admin").get(f"/api/instances/{case['id']}").get_json()["incidents"]
    retried = admin.post(f"/faelle/{case['id']}/stoerungen/{again['id']}/wiederholen",
                         data={"csrf_token": token, "daten": '{"anzahl": 4}'})
    assert retried.status_code == 303
    assert "erfolgreich wiederholt" in admin.get(retried.headers["Location"]).get_data(as_text=True)
    kinds = [e.kind for e in events(app, case["id"])]
    assert kinds.count("incident_retried") == 2 and kinds[-1] == "task_created"
    assert api.as_("admin").get(f"/api/instances/{case['id']}").get_json()["status"] == "running"


def test_moving_a_due_date_is_audited_and_limited_to_the_office_lead(app, api, deployed, served):
    case = handed_over(api, "AZ-2026-0005")
    [task] = case["active_tasks"]
    lead = sign_in(app, "jc_lead")
    url = f"/faelle/{case['id']}/aufgaben/{task['id']}/frist"
    token = csrf(lead, "/faelle")
    invalid = lead.post(url, data={"csrf_token": token, "frist": "morgen"})
    assert invalid.status_code == 422 and "Bitte geben Sie Datum und Uhrzeit ein" in invalid.get_data(as_text=True)
    unexplained = lead.post(url, data={"csrf_token": token, "frist": "2026-03-20T16:00"})
    assert unexplained.status_code == 422 and "Bitte geben Sie einen Grund" in unexplained.get_data(as_text=True)
    past = lead.post(url, data={"csrf_token": token, "frist": "2026-02-20T16:00", "grund": "Akte lag vor"})
    assert past.status_code == 422 and "liegt in der Vergangenheit" in past.get_data(as_text=True)
    moved = lead.post(url, data={"csrf_token": token, "frist": "2026-03-20T16:00", "grund": "Nachforderung"})
    assert moved.status_code == 303
    assert "Die Frist von „Leistungsantrag bearbeiten“ ist jetzt 20.03.2026, 16:00." in lead.get(
        moved.headers["Location"]).get_data(as_text=True)
    changed = [e for e in events(app, case["id"]) if e.kind == "due_date_changed"]
    assert len(changed) == 1 and changed[0].actor == "jc_lead"
    assert datetime.fromisoformat(changed[0].details["new"]) == datetime(2026, 3, 20, 15, 0, tzinfo=timezone.utc)
    assert "Frist von „Leistungsantrag bearbeiten“ geändert auf 20.03.2026, 16:00" in lead.get(
        f"/faelle/{case['id']}").get_data(as_text=True)
    other = handed_over(api, "AZ-2026-0006")
    done_task = [e for e in events(app, other["id"]) if e.kind == "task_completed"][0].details["task_id"]
    supervisor = sign_in(app, "super")
    closed = supervisor.post(f"/faelle/{other['id']}/aufgaben/{done_task}/frist",
                             data={"csrf_token": csrf(supervisor, "/faelle"), "frist": "2026-03-20T16:00",
                                   "grund": "Nachforderung"})
    assert "Die Aufgabe ist nicht mehr offen" in supervisor.get(closed.headers["Location"]).get_data(as_text=True)
    assert lead.post(f"/faelle/{case['id']}/aufgaben/{done_task}/frist",
                     data={"csrf_token": token, "frist": "2026-03-20T16:00", "grund": "x"}).status_code == 404


def test_the_overview_shows_overdue_escalated_and_handling_times(app, api, clock, deployed, served):
    from app.deadlines.service import run_deadline_jobs
    from app.extensions import db

    case = handed_over(api, "AZ-2026-0007")
    api.start("aufenthalt_leistung", "AZ-2026-0008")
    clock.set(clock.now() + timedelta(days=20))
    with app.app_context():
        run_deadline_jobs(db.session, clock=clock, notifier=app.extensions["lotse_notifier"])
    supervisor = sign_in(app, "super")
    html = supervisor.get("/aufsicht").get_data(as_text=True)
    assert "Stand: 22.03.2026, 09:00" in html
    offices = html[html.index('id="aemter"'):html.index("</table>", html.index('id="aemter"'))]
    assert "Ausländerbehörde" in offices and "Jobcenter" in offices and "Tage überfällig</span>" in offices
    assert "Aufenthaltsstatus prüfen · AZ-2026-0008" in offices
    assert "0 Std." in offices and "(1 Aufgabe)" in offices  # completed at once by the Ausländerbehörde
    escalations = html[html.index('id="eskalationen"'):]
    assert "AZ-2026-0007" in escalations and "AZ-2026-0008" in escalations and "Stufe 1" in escalations
    assert f'href="/faelle/{case["id"]}"' in escalations
    lead = sign_in(app, "jc_lead").get("/aufsicht").get_data(as_text=True)
    assert "Ihre Ämter" in lead and "AZ-2026-0007" in lead and "AZ-2026-0008" not in lead


def test_the_process_heatmap_counts_waiting_tasks_per_activity(app, api, deployed, served):
    handed_over(api, "AZ-2026-0009")
    api.start("aufenthalt_leistung", "AZ-2026-0010")
    api.start("aufenthalt_leistung", "AZ-2026-0011")
    supervisor = sign_in(app, "super")
    html = supervisor.get("/aufsicht/prozesse/aufenthalt_leistung").get_data(as_text=True)
    marks = {m["id"]: m for m in json.loads(re.search(r"data-marks='([^']*)'", html).group(1))}
    assert (marks["ut_pruefen"]["badge"], marks["ut_leistung"]["badge"]) == ("2", "1")
    assert marks["ut_pruefen"]["label"] == "Aufenthaltsstatus prüfen: 2 wartend · Median 0 Std."
    assert "Zahlen aller Versionen" in html and "<th scope=\"row\">Aufenthaltsstatus prüfen" in html
    one = supervisor.get("/aufsicht/prozesse/aufenthalt_leistung?version=1").get_data(as_text=True)
    assert "Zahlen nur für Version 1." in one
    assert supervisor.get("/aufsicht/prozesse/unbekannt").status_code == 404


def test_the_case_view_checks_the_hash_chain(app, api, deployed, served):
    from app.extensions import db
    from tests.audit.conftest import attacker

    case = handed_over(api, "AZ-2026-0012")
    supervisor = sign_in(app, "super")
    html = supervisor.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "Unverändert: Die Hash-Kette mit 5 Einträgen wurde geprüft." in html
    with app.app_context(), attacker(db.session) as sql:
        sql("UPDATE audit_event SET actor = 'mallory' WHERE instance_id = :i AND seq = 3", i=case["id"])
    page = supervisor.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "Das Protokoll dieses Falls wurde nachträglich verändert." in page
    assert f"instance {case['id']}, seq 3: hash does not match" in page


def test_a_step_failing_after_a_clerks_form_keeps_the_incident_and_the_open_task(app, api, served):
    api.deploy("failing.bpmn")
    case = api.start("quote_berechnen", "AZ-Q2", user="jc").get_json()
    task = case["active_tasks"][0]
    clerk = sign_in(app, "jc")
    answer = clerk.post(f"/aufgaben/{task['id']}", data={"csrf_token": csrf(clerk, "/aufgaben")})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/aufgaben/{task['id']}"
    assert "wurde als Störung erfasst" in clerk.get(answer.headers["Location"]).get_data(as_text=True)
    stored = api.as_("admin").get(f"/api/instances/{case['id']}").get_json()
    [incident] = stored["incidents"]
    assert stored["status"] == "incident" and incident["element_id"] == "st_quote"
    assert [t["id"] for t in stored["active_tasks"]] == [task["id"]]
    assert "incident_raised" in [e.kind for e in events(app, case["id"])]
