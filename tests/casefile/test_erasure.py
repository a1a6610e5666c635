"""Erasure limited to one office's entries, restriction (§ 84 SGB X) instead, retention from the model."""
from __future__ import annotations

from app.audit.verify import verify_instance
from app.instances.models import ProcessInstance
from tests.casefile.conftest import complete, deploy
from tests.casefile.models import split_join
from tests.factories import case_variables


def _finished(api, key: str) -> dict:
    deploy(api, split_join("zwei_aemter"))
    case = api.start("zwei_aemter", key, {"shared": "alt"}).get_json()
    tasks = {t["element_id"]: t for t in api.as_("abh").tasks(instance_id=case["id"])}
    complete(api, "abh", tasks["ut_abh"]["id"], {"abh_notiz": "Pass liegt vor"})
    [jc] = api.as_("jc").tasks(instance_id=case["id"])
    complete(api, "jc", jc["id"], {"jc_notiz": "Einkommen 1200"})
    [last] = api.as_("abh").tasks(instance_id=case["id"])
    complete(api, "abh", last["id"], {})
    return case


def test_erasing_one_offices_entries_keeps_the_others_and_the_chain(api, casefile_world, session):
    case = _finished(api, "AZ-E-1")
    body = {"business_key": "AZ-E-1", "office": "Jobcenter", "reason": "Art. 17 DSGVO"}
    assert api.as_("jc").post("/api/casefile/erase", body).status_code == 403
    done = api.as_("admin").post("/api/casefile/erase", body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["instances"] == [{"instance_id": case["id"], "entries": 1}]
    assert api.as_("jc").get(f"/api/instances/{case['id']}").get_json()["data"] == {}
    assert api.as_("abh").get(f"/api/instances/{case['id']}").get_json()["data"]["abh_notiz"] == "Pass liegt vor"
    assert "jc_notiz" not in case_variables(case["id"])
    trail = api.as_("jc").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    assert "Einkommen" not in str(trail) and trail[-1]["kind"] == "erased"
    assert verify_instance(session, session.get(ProcessInstance, case["id"])).ok


def test_restriction_hides_entries_in_a_running_case_and_is_audited(api, casefile_world, session):
    deploy(api, split_join("zwei_aemter_offen"))
    case = api.start("zwei_aemter_offen", "AZ-E-2", {"shared": "alt"}).get_json()
    [abh] = api.as_("abh").tasks(instance_id=case["id"])
    complete(api, "abh", abh["id"], {"abh_notiz": "bestritten"})
    erase = {"business_key": "AZ-E-2", "office": "Ausländerbehörde", "reason": "Richtigkeit bestritten"}
    assert api.as_("admin").post("/api/casefile/erase", erase).status_code == 409  # still runs: restrict instead
    restricted = api.as_("admin").post("/api/casefile/erase", {**erase, "mode": "restrict"})
    assert restricted.status_code == 200, restricted.get_json()
    detail = api.as_("abh").get(f"/api/instances/{case['id']}").get_json()
    assert "abh_notiz" not in detail["data"] and any(e["restricted"] for e in detail["entries"])
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    assert trail[-1]["kind"] == "data_restricted" and trail[-1]["details"]["legal_source"] == "§ 84 Abs. 3 SGB X"
    assert verify_instance(session, session.get(ProcessInstance, case["id"])).ok
    assert case_variables(case["id"])["abh_notiz"] == "bestritten"  # kept for those who must produce it


def test_the_models_retention_sets_the_period_the_expiry_job_uses(api, casefile_world):
    from tests.casefile.models import model, prop

    body = ('<bpmn:startEvent id="start"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:endEvent id="end"><bpmn:incoming>f</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>')
    deployed = deploy(api, model("mit_frist", {"Jobcenter": ["start", "end"]}, body, prop("lotse:retention", "P2Y")))
    assert deployed.status_code == 201 and deployed.get_json()["retention"] == "P2Y"
    wrong = deploy(api, model("falsche_frist", {"Jobcenter": ["start", "end"]}, body, prop("lotse:retention", "2y")))
    assert wrong.status_code == 422 and "lotse:retention" in str(wrong.get_json())
