"""The consent register: recorded by P5's consent step, checked at each release, withdrawn with effect."""
from __future__ import annotations

from tests.casefile.conftest import complete, deploy
from tests.casefile.models import flow, model, prop, task

PURPOSE = "KIM-Case-Management (Beratung und Begleitung)"
CONSENT = {"ds_zweck": PURPOSE, "ds_empfaenger": ["Jobcenter"], "ds_datenkategorien": ["Stammdaten"],
           "ds_info_zweck": True, "ds_info_empfaenger": True, "ds_info_widerruf": True, "ds_einwilligung": "erteilt",
           "ds_erteilt_durch": "Amir K.", "ds_form": "schriftlich", "ds_erteilt_am": "2026-03-02",
           "ds_gueltig_bis": "2027-03-01"}


def _consent_model() -> bytes:
    """Ausländerbehörde: ut_erfassen → ut_einwilligung (records the consent) → Jobcenter: ut_lesen (on consent)."""
    body = ('<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            + task("ut_erfassen", "f0", "f1", prop("lotse:formKey", "cf_erfassen"))
            + task("ut_einwilligung", "f1", "f2", prop("lotse:recordsConsent", "true"))
            + task("ut_lesen", "f2", "f3",
                   prop("lotse:reads", "Stammdaten Aufenthalt") + prop("lotse:consent", PURPOSE))
            + '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
            + flow("f0", "start", "ut_erfassen") + flow("f1", "ut_erfassen", "ut_einwilligung")
            + flow("f2", "ut_einwilligung", "ut_lesen") + flow("f3", "ut_lesen", "end"))
    return model("mit_einwilligung", {"Ausländerbehörde": ["start", "ut_erfassen", "ut_einwilligung", "end"],
                                      "Jobcenter": ["ut_lesen"]}, body)


def _until_consent(api, key: str, consent: dict) -> dict:
    case = api.start("mit_einwilligung", key).get_json()
    [first] = api.as_("abh").tasks(instance_id=case["id"])
    complete(api, "abh", first["id"], {"name": "Amir K.", "aufenthaltsstatus": "Duldung"})
    [second] = api.as_("abh").tasks(instance_id=case["id"])
    return case, api.as_("abh").post(f"/api/tasks/{second['id']}/complete", {"data": consent})


def test_a_recorded_consent_releases_only_its_categories_until_it_is_withdrawn(api, casefile_world, session):
    assert deploy(api, _consent_model()).status_code == 201
    case, done = _until_consent(api, "AZ-C-1", CONSENT)
    assert done.status_code == 200, done.get_json()
    [consent] = api.as_("abh").get("/api/consents", query_string={"business_key": "AZ-C-1"}).get_json()["items"]
    assert (consent["purpose"], consent["recipients"], consent["state"]) == (PURPOSE, ["Jobcenter"], "valid")
    # on consent alone, the Jobcenter reads what the consent covers (Stammdaten), not all the model asked for
    detail = api.as_("jc").get(f"/api/instances/{case['id']}").get_json()
    assert detail["data"] == {"name": "Amir K."}
    # withdrawal: reason required, recipients notified, the release revoked, the trail records it
    url = f"/api/consents/{consent['id']}/withdraw"
    assert api.as_("jc").post(url, {"reason": "x"}).status_code == 403  # only the recording office
    assert api.as_("abh").post(url, {"reason": ""}).status_code == 422
    withdrawn = api.as_("abh").post(url, {"reason": "Widerruf per Brief vom 3. März"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"
    assert api.as_("abh").post(url, {"reason": "nochmal"}).status_code == 409
    assert api.as_("jc").get(f"/api/instances/{case['id']}").get_json()["data"] == {}
    notes = api.as_("jc").get("/api/notifications").get_json()["items"]
    assert any("widerrufen" in n["subject"] for n in notes)
    kinds = [e["kind"] for e in api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]]
    assert {"consent_recorded", "data_released", "consent_withdrawn"} <= set(kinds)


def test_a_consent_without_information_on_recipients_is_refused(api, casefile_world):
    deploy(api, _consent_model())
    _case, refused = _until_consent(api, "AZ-C-2", {**CONSENT, "ds_info_empfaenger": False})
    assert refused.status_code == 422 and "ds_info_empfaenger" in refused.get_json()["details"]["fields"]


def test_without_a_valid_consent_nothing_is_released_and_the_step_says_so(api, casefile_world, clock):
    deploy(api, _consent_model())
    case, done = _until_consent(api, "AZ-C-3", {**CONSENT, "ds_einwilligung": "verweigert"})
    assert done.status_code == 200
    assert api.as_("jc").get(f"/api/instances/{case['id']}").get_json()["data"] == {}
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    [refused] = [e for e in trail if e["kind"] == "data_release_refused"]
    assert refused["details"]["consent_purpose"] == PURPOSE and refused["office"] == "Jobcenter"
