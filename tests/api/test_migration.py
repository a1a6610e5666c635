"""Running cases move from version n to n+1: a dry run per case first, then one case or all, audited."""
from __future__ import annotations

from sqlalchemy import select

from tests.engine.parsing_helpers import model

OFFICE = 'camunda:candidateGroups="Ausländerbehörde"'
V1 = model(f'<bpmn:userTask id="Pruefen" name="Prüfen" {OFFICE}/>',
           f'<bpmn:userTask id="Bescheiden" name="Bescheiden" {OFFICE}/>')
V2 = model(f'<bpmn:userTask id="Pruefen" name="Prüfen" {OFFICE}/>',
           f'<bpmn:userTask id="Anhoeren" name="Anhören" {OFFICE}/>',
           f'<bpmn:userTask id="Bescheiden" name="Bescheiden" {OFFICE}/>')
V3 = model(f'<bpmn:userTask id="Neu" name="Neu" {OFFICE}/>')


def _deploy(api, data):
    response = api.as_("designer").upload("/api/definitions", data)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_dry_run_then_migrate_all_moves_the_cases_and_audits_it(api, session):
    v1 = _deploy(api, V1)
    first = api.start("P", "AZ-M1").get_json()
    second = api.start("P", "AZ-M2").get_json()
    _deploy(api, V2)
    plan = api.as_("designer").get(f"/api/definitions/{v1['id']}/migration").get_json()
    assert plan["target"]["version"] == 2
    cases = {c["business_key"]: c for c in plan["cases"]}
    assert set(cases) == {"AZ-M1", "AZ-M2"}
    assert cases["AZ-M1"]["movable"] and cases["AZ-M1"]["tasks_added"] == ["Anhoeren"]
    assert cases["AZ-M1"]["human_tasks_kept"] == ["Pruefen"]

    result = api.as_("designer").post(f"/api/definitions/{v1['id']}/migration", {}).get_json()
    assert sorted(c["instance_id"] for c in result["moved"]) == sorted([first["id"], second["id"]])
    # The moved case follows version 2: after Prüfen comes the new Anhören.
    task = next(t for t in api.as_("abh").tasks() if t["business_key"] == "AZ-M1")
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": {}}).status_code == 200
    assert [t["element_id"] for t in api.as_("abh").tasks() if t["business_key"] == "AZ-M1"] == ["Anhoeren"]

    from app.audit.models import AuditEvent
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.kind == "instance_migrated")))
    assert len(events) == 2 and all((e.details["old_version"], e.details["new_version"]) == (1, 2) for e in events)


def test_a_case_at_a_task_the_new_version_lacks_is_named_and_stays(api):
    v2 = _deploy(api, V2)
    case = api.start("P", "AZ-M3").get_json()
    _deploy(api, V3)
    plan = api.as_("designer").get(f"/api/definitions/{v2['id']}/migration").get_json()
    [entry] = plan["cases"]
    assert entry["movable"] is False and "Pruefen" in entry["reasons"][0]
    result = api.as_("designer").post(f"/api/definitions/{v2['id']}/migration",
                                      {"instance_ids": [case["id"]]}).get_json()
    assert result["moved"] == [] and result["refused"][0]["instance_id"] == case["id"]
    assert api.as_("super").get(f"/api/instances/{case['id']}").get_json()["active_tasks"][0]["element_id"] == \
        "Pruefen"


def test_only_designers_migrate(api):
    v1 = _deploy(api, V1)
    assert api.as_("abh").get(f"/api/definitions/{v1['id']}/migration").status_code == 403
    assert api.as_("designer").get(f"/api/definitions/{v1['id']}/migration").status_code == 422  # no version 2


def test_waiting_timers_are_kept_or_recomputed_when_their_definition_changed(api):
    from tests.engine.parsing_helpers import timer_catch

    wait = model(timer_catch("timeDuration", "PT1H"), f'<bpmn:userTask id="Danach" {OFFICE}/>')
    v1 = _deploy(api, wait)
    api.start("P", "AZ-T1")
    _deploy(api, wait.replace(b'<bpmn:userTask id="Danach"', b'<bpmn:userTask id="Danach" name="x"'))
    [case] = api.as_("designer").get(f"/api/definitions/{v1['id']}/migration").get_json()["cases"]
    assert case["timers_kept"] == ["Wait"] and case["timers_recomputed"] == []
    v2 = api.as_("designer").post(f"/api/definitions/{v1['id']}/migration", {}).get_json()["target"]
    _deploy(api, wait.replace(b"PT1H", b"PT2H"))
    [case] = api.as_("designer").get(f"/api/definitions/{v2['id']}/migration").get_json()["cases"]
    assert case["timers_recomputed"] == ["Wait"] and case["movable"], case
    assert api.as_("designer").post(f"/api/definitions/{v2['id']}/migration", {}).get_json()["moved"]
