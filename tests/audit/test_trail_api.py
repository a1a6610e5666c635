"""The trail through the API: complete events with payloads, who may read and verify it, the access log."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AccessLogEntry, AuditEvent
from tests.audit.conftest import GOOD, trail, walk


def test_every_event_names_municipality_actor_office_and_carries_its_payload(api, deployed, world):
    case = walk(api, "AZ-A-1")
    events = trail(api, case["id"])
    assert [e["kind"] for e in events] == ["instance_started", "task_created", "task_completed", "gateway_decided",
                                           "task_created", "task_completed", "instance_completed"]
    assert {e["municipality_id"] for e in events} == {world.municipality_id}
    assert {e["instance_id"] for e in events} == {case["id"]}
    started, _, completed = events[:3]
    assert started["payload"] == {"antragsteller": "A. Beispiel"} and started["details"]["fields"] == ["antragsteller"]
    assert completed["payload"] == GOOD and completed["actor"] == "abh" and completed["office"] == "Ausländerbehörde"
    # the hashed event holds only the payload's (salted) hash, never its content
    assert "payload_sha256" in completed["details"] and "Aufenthaltserlaubnis" not in str(completed["details"])
    assert events[3]["payload"] is None and events[3]["payload_erased"] is False


def test_a_clerk_reads_the_trail_of_their_own_offices_cases_only(api, deployed):
    case = api.start("aufenthalt_leistung", "AZ-A-2").get_json()
    path = f"/api/instances/{case['id']}/audit"
    assert api.as_("abh").get(path).status_code == 200
    assert api.as_("jc").get(path).status_code == 404
    assert api.as_("fremd").get(path).status_code == 404
    assert api.as_("fremd_admin").get(path).status_code == 404
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": GOOD}).status_code == 200
    # after the hand-off the Jobcenter works on the case and may read its trail
    assert api.as_("jc").get(path).status_code == 200


def test_verify_endpoint_is_for_supervisors_and_admins(api, deployed):
    case = walk(api, "AZ-A-3", finish=False)
    path = f"/api/instances/{case['id']}/audit/verify"
    response = api.as_("super").get(path)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"ok": True, "instance_id": case["id"], "events": 5, "sealed_seq": None,
                                   "problems": []}
    assert api.as_("admin").get(path).status_code == 200
    assert api.as_("abh").get(path).status_code == 403
    assert api.as_("designer").get(path).status_code == 403
    assert api.as_("fremd_admin").get(path).status_code == 404


def test_reads_of_case_data_go_to_the_access_log_not_into_the_trail(api, deployed, session, clock):
    case = api.start("aufenthalt_leistung", "AZ-A-4").get_json()
    task = case["active_tasks"][0]
    events_before = session.query(AuditEvent).count()
    clock.advance(minutes=5)
    assert api.as_("abh").get(f"/api/tasks/{task['id']}").status_code == 200
    assert api.as_("super").get(f"/api/instances/{case['id']}").status_code == 200
    assert api.as_("super").get(f"/api/instances/{case['id']}/audit").status_code == 200
    exported = api.as_("super").get(f"/api/instances/{case['id']}/audit/export", query_string={"format": "csv"})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert api.as_("jc").get(f"/api/tasks/{task['id']}").status_code == 404  # refused reads are not logged
    assert session.query(AuditEvent).count() == events_before
    rows = list(session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id)))
    assert [(r.actor, r.action, r.instance_id) for r in rows] == [
        ("abh", "task_detail", case["id"]), ("super", "instance_detail", case["id"]),
        ("super", "audit_trail", case["id"]), ("super", "audit_export", case["id"])]
    assert rows[0].task_id == task["id"] and rows[0].office == "Ausländerbehörde"
    assert rows[0].details == {"roles": ["clerk"]} and rows[0].occurred_at == clock.now()


def test_admins_read_the_access_log_of_their_municipality(api, deployed, clock):
    case = api.start("aufenthalt_leistung", "AZ-A-5").get_json()
    api.as_("abh").get(f"/api/instances/{case['id']}")
    clock.advance(days=1)
    api.as_("super").get(f"/api/instances/{case['id']}")
    page = api.as_("admin").get("/api/access-log").get_json()
    assert page["total"] == 2 and [e["actor"] for e in page["items"]] == ["super", "abh"]
    only = api.as_("admin").get("/api/access-log", query_string={"actor": "abh"}).get_json()
    assert [e["action"] for e in only["items"]] == ["instance_detail"]
    since = "2026-03-02T12:00:00+00:00"
    assert api.as_("admin").get("/api/access-log", query_string={"since": since}).get_json()["total"] == 1
    assert api.as_("admin").get("/api/access-log", query_string={"instance_id": 999}).get_json()["total"] == 0
    assert api.as_("super").get("/api/access-log").status_code == 403
    assert api.as_("fremd_admin").get("/api/access-log").get_json()["total"] == 0
