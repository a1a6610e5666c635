"""Failing steps become incidents that admins retry; messages reach waiting cases or start new ones."""
from __future__ import annotations

from tests.factories import case_variables


def test_failing_step_rolls_back_and_raises_an_incident_that_admin_retries(api):
    api.deploy("failing.bpmn")
    case = api.start("quote_berechnen", "AZ-Q1", user="jc").get_json()
    task = case["active_tasks"][0]
    response = api.as_("jc").post(f"/api/tasks/{task['id']}/complete", {"data": {"betrag": 100, "anzahl": 0}})
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "incident_raised" and body["details"]["element_id"] == "st_quote"
    # the completion was rolled back: the task is still open, the case shows the incident
    assert api.as_("jc").get(f"/api/tasks/{task['id']}").get_json()["status"] == "open"
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "incident"
    [incident] = detail["incidents"]
    assert incident["element_id"] == "st_quote" and "zero" in incident["message"].lower()
    listed = api.as_("super").get("/api/incidents").get_json()
    assert [i["id"] for i in listed["items"]] == [incident["id"]]
    assert api.as_("super").post(f"/api/incidents/{incident['id']}/retry").status_code == 403
    retried = api.as_("admin").post(f"/api/incidents/{incident['id']}/retry", {"data": {"anzahl": 4}})
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "resolved"
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "running" and case_variables(case["id"])["quote"] == 25  # computed by the engine
    assert [t["element_id"] for t in detail["active_tasks"]] == ["ut_weiter"]
    kinds = [e["kind"] for e in api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]]
    assert kinds == ["instance_started", "task_created", "incident_raised", "incident_retried", "task_completed",
                     "task_created"]
    assert api.as_("admin").post(f"/api/incidents/{incident['id']}/retry").status_code == 409


def test_message_reaches_the_waiting_case_by_business_key(api):
    api.deploy("messages.bpmn")
    one = api.start("unterlagen_warten", "AZ-M1").get_json()
    api.start("unterlagen_warten", "AZ-M2")
    assert one["active_tasks"] == []
    ambiguous = api.as_("abh").post("/api/messages", {"name": "Unterlagen_eingegangen"})
    assert ambiguous.status_code == 409
    response = api.as_("abh").post("/api/messages", {"name": "Unterlagen_eingegangen", "business_key": "AZ-M1",
                                                      "payload": {"seiten": 12}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"instance_id": one["id"], "started": False}
    detail = api.as_("super").get(f"/api/instances/{one['id']}").get_json()
    assert [t["element_id"] for t in detail["active_tasks"]] == ["ut_sichten"]
    again = api.as_("abh").post("/api/messages", {"name": "Unterlagen_eingegangen", "business_key": "AZ-M1"})
    assert again.status_code == 404
    unknown = api.as_("abh").post("/api/messages", {"name": "Gibt_es_nicht", "business_key": "AZ-M1"})
    assert unknown.status_code == 404 and "Gibt_es_nicht" in unknown.get_json()["message"]


def test_message_start_event_starts_a_case(api):
    api.deploy("message_start.bpmn")
    response = api.as_("jc").post("/api/messages", {"name": "Neuer_Fall", "business_key": "AZ-N1",
                                                     "payload": {"quelle": "BAMF"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["started"] is True
    [task] = api.as_("jc").tasks()
    assert task["element_id"] == "ut_anlegen" and task["business_key"] == "AZ-N1"


def test_a_thrown_message_starts_the_receiving_pathway_with_the_same_business_key(api):
    api.deploy("handoff_receiver.bpmn")
    api.deploy("handoff_sender.bpmn")
    case = api.start("erstorientierung", "AZ-H1").get_json()
    task = case["active_tasks"][0]
    done = api.as_("abh").post(f"/api/tasks/{task['id']}/complete",
                               {"data": {"antrag": {"leistungsart": "SGB II", "haushalt": 3}}})
    assert done.status_code == 200, done.get_json()
    [received] = api.as_("jc").tasks()
    assert received["element_id"] == "ut_antrag" and received["business_key"] == "AZ-H1"
    # The payload is an entry of the receiving office (the catching element's lane): the Jobcenter reads it.
    target = api.as_("jc").get(f"/api/instances/{received['instance_id']}").get_json()
    assert target["data"]["leistungsart"] == "SGB II" and target["process_key"] == "leistungsbezug"
    sender_trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    sender_kinds = [e["kind"] for e in sender_trail]
    # The case ended by throwing the message: its end is the last event, after the message it sent.
    assert sender_kinds[-2:] == ["message_sent", "instance_completed"], sender_kinds
    receiver_kinds = [e["kind"] for e in api.as_("super").get(
        f"/api/instances/{received['instance_id']}/audit").get_json()["items"]]
    assert "message_correlated" in receiver_kinds


def test_a_message_nobody_waits_for_never_starts_a_model_deployed_after_it_and_expires(app, api, clock):
    from sqlalchemy import select

    from app.extensions import db
    from app.instances.messages import deliver_pending
    from app.instances.models import PendingMessage

    api.deploy("handoff_sender.bpmn")
    case = api.start("erstorientierung", "AZ-H2").get_json()
    api.as_("abh").post(f"/api/tasks/{case['active_tasks'][0]['id']}/complete", {"data": {"antrag": {"x": 1}}})
    assert api.as_("jc").tasks() == []
    assert deliver_pending(db.session, clock=clock) == 0
    clock.advance(minutes=5)
    api.deploy("handoff_receiver.bpmn")  # deployed after the message arrived: it must not start from it
    assert deliver_pending(db.session, clock=clock) == 0
    assert api.as_("jc").tasks() == []
    clock.advance(days=7, minutes=1)
    assert deliver_pending(db.session, clock=clock) == 0
    assert db.session.scalar(select(PendingMessage.status)) == "expired"
