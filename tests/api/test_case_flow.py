"""A case walks across two offices: start, inbox, claim, form, hand-off, completion, audit."""
from __future__ import annotations

from datetime import datetime

from tests.factories import BPMN_DIR

FORM = (BPMN_DIR.parent / "forms" / "pruefung.json").read_bytes()
GOOD = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}


def _setup(api):
    api.deploy("handoff.bpmn")
    response = api.as_("designer").client.post("/api/forms", data=FORM, content_type="application/json",
                                                headers={"Authorization": f"Bearer {api.world.tokens['designer']}"})
    assert response.status_code == 201, response.get_json()


def test_start_puts_the_first_task_into_the_right_office_with_its_deadline(api):
    _setup(api)
    response = api.start("aufenthalt_leistung", "AZ-2026-0001", {"antragsteller": "A. Beispiel"})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["status"] == "running" and case["business_key"] == "AZ-2026-0001"
    [task] = case["active_tasks"]
    assert task["element_id"] == "ut_pruefen" and task["office"] == "Ausländerbehörde"
    # started Monday 2 March 2026, 09:00 Berlin; P14D ends at the end of Monday 16 March (Berlin time)
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat("2026-03-16T23:59:59.999999+01:00")
    assert task["legal_source"] == "§ 81 AufenthG"
    assert [t["id"] for t in api.as_("abh").tasks()] == [task["id"]]
    assert api.as_("jc").tasks() == []
    assert api.as_("fremd").get(f"/api/tasks/{task['id']}").status_code == 404
    assert api.as_("jc").get(f"/api/instances/{case['id']}").status_code == 404


def test_claim_conflicts_and_release(api):
    _setup(api)
    task = api.start("aufenthalt_leistung", "AZ-2").get_json()["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/claim").get_json()["assignee"] == "abh"
    second = api.as_("abh2").post(f"/api/tasks/{task['id']}/claim")
    assert second.status_code == 409 and "abh" in second.get_json()["message"]
    assert [t["id"] for t in api.as_("abh").tasks(assignee="me")] == [task["id"]]
    assert api.as_("abh2").tasks(unassigned="true") == []
    assert api.as_("abh2").post(f"/api/tasks/{task['id']}/complete", {"data": GOOD}).status_code == 409
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/unclaim").get_json()["assignee"] is None
    assert api.as_("abh2").post(f"/api/tasks/{task['id']}/claim").status_code == 200
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/claim").status_code == 404


def test_form_errors_name_the_fields_and_nothing_moves(api):
    _setup(api)
    case = api.start("aufenthalt_leistung", "AZ-3").get_json()
    task = case["active_tasks"][0]
    response = api.as_("abh").post(f"/api/tasks/{task['id']}/complete",
                                   {"data": {"aufenthalt_gesichert": "ja", "aufenthaltsstatus": "Visum"}})
    assert response.status_code == 422
    fields = response.get_json()["details"]["fields"]
    assert set(fields) == {"aufenthalt_gesichert", "antrag_vollstaendig", "aufenthaltsstatus"}
    assert api.as_("abh").get(f"/api/tasks/{task['id']}").get_json()["status"] == "open"


def test_hand_off_to_the_next_office_and_completion(api, clock):
    _setup(api)
    case = api.start("aufenthalt_leistung", "AZ-4").get_json()
    first = case["active_tasks"][0]
    clock.advance(hours=2)
    done = api.as_("abh").post(f"/api/tasks/{first['id']}/complete", {"data": GOOD})
    assert done.status_code == 200, done.get_json()
    [nxt] = done.get_json()["next_tasks"]
    assert nxt["office"] == "Jobcenter" and nxt["element_id"] == "ut_leistung"
    # created Monday 2 March 10:00 UTC; 5 NRW working days -> end of Monday 9 March
    assert datetime.fromisoformat(nxt["due_at"]) == datetime.fromisoformat("2026-03-09T23:59:59.999999+01:00")
    assert api.as_("abh").post(f"/api/tasks/{first['id']}/complete", {"data": GOOD}).status_code == 409
    assert [t["id"] for t in api.as_("jc").tasks()] == [nxt["id"]]
    assert api.as_("abh").tasks() == []
    assert api.as_("jc").post(f"/api/tasks/{nxt['id']}/complete", {"data": {"bewilligt": True}}).status_code == 200
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "completed" and detail["active_tasks"] == []
    # Case content follows the read rule: the Jobcenter reads its own entry, the supervisor only metadata.
    assert detail["data"] == {}
    assert api.as_("jc").get(f"/api/instances/{case['id']}").get_json()["data"]["bewilligt"] is True
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    kinds = [e["kind"] for e in trail]
    assert kinds == ["instance_started", "task_created", "task_completed", "gateway_decided", "task_created",
                     "task_completed", "instance_completed"]
    assert [e["seq"] for e in trail] == list(range(1, len(trail) + 1))
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(trail, trail[1:]))
    decision = trail[3]
    assert decision["element_id"] == "gw_gesichert"
    assert decision["details"]["taken"] == [{"target": "ut_leistung", "flow": "f_ja"}]
    completed = trail[2]
    assert completed["actor"] == "abh" and completed["office"] == "Ausländerbehörde"


def test_the_other_branch_is_taken_when_the_condition_is_false(api):
    _setup(api)
    case = api.start("aufenthalt_leistung", "AZ-5").get_json()
    task = case["active_tasks"][0]
    data = dict(GOOD, antrag_vollstaendig=False)
    nxt = api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": data}).get_json()["next_tasks"]
    assert [t["element_id"] for t in nxt] == ["ut_ablehnung"]


def test_inbox_filters_and_sorting(api, clock):
    _setup(api)
    for number in range(3):
        api.start("aufenthalt_leistung", f"AZ-{number}")
        clock.advance(days=1)
    items = api.as_("abh").tasks(sort_by="due_at", sort_order="desc")
    assert [t["business_key"] for t in items] == ["AZ-2", "AZ-1", "AZ-0"]
    assert [t["business_key"] for t in api.as_("abh").tasks(business_key="AZ-1")] == ["AZ-1"]
    assert len(api.as_("abh").tasks(due_before="2026-03-17T12:00:00+01:00")) == 1
    assert len(api.as_("abh").tasks(due_after="2026-03-17T12:00:00+01:00")) == 2
    page = api.as_("abh").get("/api/tasks", query_string={"limit": 2, "offset": 2}).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1
    bad = api.as_("abh").get("/api/tasks", query_string={"sort_by": "colour"})
    assert bad.status_code == 422 and "sort_by" in bad.get_json()["details"]["fields"]["query"]


def test_cancel_is_for_supervisors(api):
    _setup(api)
    case = api.start("aufenthalt_leistung", "AZ-9").get_json()
    assert api.as_("abh").post(f"/api/instances/{case['id']}/cancel").status_code == 403
    response = api.as_("super").post(f"/api/instances/{case['id']}/cancel", {"reason": "Doppelt angelegt"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert api.as_("abh").tasks() == []
    assert api.as_("super").post(f"/api/instances/{case['id']}/cancel").status_code == 409
    kinds = [e["kind"] for e in api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]]
    assert kinds[-1] == "instance_cancelled"


def test_instance_list_is_scoped(api):
    _setup(api)
    api.start("aufenthalt_leistung", "AZ-10")
    assert api.as_("super").get("/api/instances").get_json()["total"] == 1
    assert api.as_("abh").get("/api/instances").get_json()["total"] == 1
    assert api.as_("jc").get("/api/instances").get_json()["total"] == 0
    assert api.as_("fremd_admin").get("/api/instances").get_json()["total"] == 0
    assert api.as_("super").get("/api/instances", query_string={"process_key": "nope"}).get_json()["total"] == 0


def test_a_decision_towards_a_task_with_a_boundary_event_names_the_task_and_the_flow(api):
    api.deploy("gateway_boundary.bpmn")
    case = api.start("weiche_mit_frist", "AZ-WEICHE-1", {"direkt": False}).get_json()
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [decision] = [e for e in trail if e["kind"] == "gateway_decided"]
    assert decision["element_id"] == "weiche"
    assert decision["details"]["taken"] == [{"target": "ut_pruefen", "flow": "f_pruefen"}]
