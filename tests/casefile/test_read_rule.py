"""Who reads what: own office's entries, plus what a declared hand-off released — nothing else."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.audit.models import AccessLogEntry
from tests.casefile.conftest import complete, deploy
from tests.casefile.models import handoff, prop
from tests.web.conftest import sign_in

ERFASST = {"name": "Amir K.", "aufenthaltsstatus": "Duldung", "anvertraut": "Angst vor der Rückkehr",
           "befund": "Trauma"}


def _walk(api, key: str, business_key: str) -> dict:
    case = api.start(key, business_key, user="ja").get_json()
    [task] = api.as_("ja").tasks(instance_id=case["id"])
    complete(api, "ja", task["id"], ERFASST)
    return case


def test_a_hand_off_releases_exactly_the_declared_categories_with_their_basis(api, casefile_world, session):
    model = handoff("uebergabe_abh", "Ausländerbehörde",
                    prop("lotse:reads", "Stammdaten Aufenthalt") + prop("lotse:legalBasis", "sgb10-71"))
    assert deploy(api, model).status_code == 201, deploy(api, model).get_json()
    case = api.start("uebergabe_abh", "AZ-L-1", user="ja").get_json()
    assert api.as_("abh").get(f"/api/instances/{case['id']}").status_code == 404  # no task, no entry: not its case
    [task] = api.as_("ja").tasks(instance_id=case["id"])
    complete(api, "ja", task["id"], ERFASST)
    detail = api.as_("abh").get(f"/api/instances/{case['id']}").get_json()
    assert detail["data"] == {"name": "Amir K.", "aufenthaltsstatus": "Duldung"}
    [entry] = detail["entries"]
    assert entry["office"] == "Jugendamt" and sorted(entry["withheld"]) == ["anvertraut", "befund"]
    assert entry["categories"] == {"name": "Stammdaten", "aufenthaltsstatus": "Aufenthalt"}
    assert [r["legal_basis_title"] for r in entry["released_by"]] == ["§ 71 Abs. 2 SGB X"]
    # the Jugendamt reads all of its own entry; a supervisor sees the case but none of its content
    assert api.as_("ja").get(f"/api/instances/{case['id']}").get_json()["data"] == ERFASST
    supervisor = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert supervisor["data"] == {} and supervisor["entries"][0]["fields"] == {}
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [released] = [e for e in trail if e["kind"] == "data_released"]
    assert released["details"]["from"] == ["Jugendamt"] and released["details"]["to"] == "Ausländerbehörde"
    assert released["details"]["categories"] == ["Stammdaten", "Aufenthalt"]
    assert released["details"]["legal_basis"] == "sgb10-71"
    # the ABH's trail shows only the released fields of the Jugendamt's submission
    abh_trail = api.as_("abh").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [submitted] = [e for e in abh_trail if e["kind"] == "task_completed"]
    assert submitted["payload"] == {"name": "Amir K.", "aufenthaltsstatus": "Duldung"}
    # every read of content is in the access log, with the entries it showed
    reads = list(session.scalars(select(AccessLogEntry).where(AccessLogEntry.actor == "abh")
                                 .order_by(AccessLogEntry.id)))
    assert [r.action for r in reads] == ["instance_detail", "audit_trail"]
    assert reads[0].details["entries"] == [entry["id"]]


def test_the_task_page_of_the_receiving_office_shows_only_released_data_and_the_basis(app, api, casefile_world):
    deploy(api, handoff("uebergabe_web", "Ausländerbehörde",
                        prop("lotse:reads", "Stammdaten") + prop("lotse:legalBasis", "sgb10-71")))
    case = _walk(api, "uebergabe_web", "AZ-L-2")
    [task] = api.as_("abh").tasks(instance_id=case["id"])
    page = sign_in(app, "abh").get(f"/aufgaben/{task['id']}").get_data(as_text=True)
    assert "Amir K." in page and "Duldung" not in page and "Trauma" not in page and "Rückkehr" not in page
    assert "§ 71 Abs. 2 SGB X" in page


def _problems(response) -> str:
    assert response.status_code == 422, response.get_json()
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_upload_rejects_hand_offs_without_a_basis_or_beyond_it(api, casefile_world):
    confided = _problems(deploy(api, handoff("p65_abh", "Ausländerbehörde", prop("lotse:reads", "Anvertraut Stammdaten")
                                             + prop("lotse:legalBasis", "sgb10-71"))))
    assert "ut_lesen" in confided and "§ 65 SGB VIII" in confided and "Anvertraute Daten" in confided
    assert "ut_lesen" in _problems(deploy(api, handoff("ohne_basis", "Ausländerbehörde",
                                                       prop("lotse:reads", "Stammdaten"))))
    beyond = _problems(deploy(api, handoff("zu_viel", "Ausländerbehörde", prop("lotse:reads", "Gesundheit")
                                           + prop("lotse:legalBasis", "sgb10-71"))))
    assert "does not permit" in beyond and "erlaubt" in beyond and "Gesundheit" in beyond
    school = _problems(deploy(api, handoff("schule_abh", "Ausländerbehörde", prop("lotse:reads", "Bildung")
                                           + prop("lotse:legalBasis", "aufenthg-87"))))
    assert "Bildung" in school
    wrong_recipient = _problems(deploy(api, handoff("p65_falsch", "Ausländerbehörde", prop("lotse:reads", "Anvertraut")
                                                    + prop("lotse:legalBasis", "sgb8-65-1-3"))))
    assert "Ausländerbehörde" in wrong_recipient
    unknown = _problems(deploy(api, handoff("unbekannt", "Jobcenter", prop("lotse:reads", "Stammdaten")
                                            + prop("lotse:legalBasis", "sgb99-1"))))
    assert "sgb99-1" in unknown


def test_a_form_field_without_a_known_category_is_an_upload_error(api, casefile_world):
    form = {"key": "ohne_kategorie", "title": "X", "schema": {"type": "object", "properties": {
        "notiz": {"type": "string"}, "wohnort": {"type": "string", "category": "Wohnen"}}}}
    response = api.as_("designer").client.post("/api/forms", data=json.dumps(form), content_type="application/json",
                                               headers={"Authorization": f"Bearer {api.world.tokens['designer']}"})
    body = json.dumps(response.get_json(), ensure_ascii=False)
    assert response.status_code == 422 and "ohne_kategorie" in body and "notiz" in body and "Wohnen" in body


def test_a_message_from_an_office_the_model_does_not_name_is_the_same_404_as_no_case(api, casefile_world):
    from tests.casefile.models import flow, model

    catch = ('<bpmn:intermediateCatchEvent id="warten"><bpmn:extensionElements><camunda:properties>'
             + prop("lotse:senders", "Ausländerbehörde") + '</camunda:properties></bpmn:extensionElements>'
             '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
             '<bpmn:messageEventDefinition messageRef="m_bescheid"/></bpmn:intermediateCatchEvent>')
    body = ('<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>' + catch
            + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            + flow("f1", "start", "warten") + flow("f2", "warten", "end"))
    content = model("bescheid_warten", {"Ausländerbehörde": ["start", "warten", "end"]}, body)
    content = content.replace(b'<bpmn:process ', b'<bpmn:message id="m_bescheid" name="Bescheid"/><bpmn:process ')
    assert deploy(api, content).status_code == 201, deploy(api, content).get_json()
    api.start("bescheid_warten", "AZ-M-1")
    refused = api.as_("jc").post("/api/messages", {"name": "Bescheid", "business_key": "AZ-M-1", "payload": {}})
    unknown = api.as_("jc").post("/api/messages", {"name": "Bescheid", "business_key": "AZ-M-404", "payload": {}})
    assert refused.status_code == unknown.status_code == 404
    same = refused.get_json()["message"].replace("AZ-M-1", "X")
    assert same == unknown.get_json()["message"].replace("AZ-M-404", "X")
    accepted = api.as_("abh").post("/api/messages", {"name": "Bescheid", "business_key": "AZ-M-1", "payload": {}})
    assert accepted.status_code == 200, accepted.get_json()
