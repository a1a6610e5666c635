"""Durations a designer can write but no engine should compute: refused at upload, an incident at run time."""
from __future__ import annotations

import pytest

from tests.factories import BPMN_DIR

WAIT = (BPMN_DIR / "wait_timer.bpmn").read_bytes()
HANDOFF = (BPMN_DIR / "handoff.bpmn").read_bytes()
WERKTAGE_HUGE = HANDOFF.replace(b'name="lotse:dueIn" value="P5D"', b'name="lotse:dueIn" value="P10000000D"')


def _problems(response) -> list[dict]:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["details"]["problems"]


@pytest.mark.parametrize("duration", [b"P10000Y", b"P99999999999999999999Y", b"PT9999999999999H", b"R3/P200Y"])
def test_too_long_timer_durations_are_refused_at_upload_naming_the_element(api, duration):
    model = WAIT.replace(b"<bpmn:timeDuration>PT1H</bpmn:timeDuration>",
                         b"<bpmn:timeCycle>" + duration + b"</bpmn:timeCycle>" if duration.startswith(b"R")
                         else b"<bpmn:timeDuration>" + duration + b"</bpmn:timeDuration>")
    problems = _problems(api.as_("designer").upload("/api/definitions", model, "wait.bpmn"))
    assert any(p["element_id"] in ("warten", "td") and "100 years" in p["message"] for p in problems), problems


def test_a_working_day_due_date_of_ten_million_days_is_refused_at_upload(api):
    problems = _problems(api.as_("designer").upload("/api/definitions", WERKTAGE_HUGE, "handoff.bpmn"))
    assert any(p["element_id"] == "ut_leistung" and "100 years" in p["message"] for p in problems), problems


def test_a_century_is_still_fine(api):
    model = WAIT.replace(b"PT1H", b"P99Y")
    assert api.as_("designer").upload("/api/definitions", model, "wait.bpmn").status_code == 201


def _deploy_unchecked(api, monkeypatch, model: bytes, name: str) -> None:
    """Deploy as a Lotse without the limit would have (models deployed before it existed)."""
    from app.engine import bounds

    with monkeypatch.context() as patch:
        patch.setattr(bounds, "duration_problem", lambda _duration: None)
        response = api.as_("designer").upload("/api/definitions", model, name)
    assert response.status_code == 201, response.get_json()


def test_an_old_model_with_a_huge_working_day_due_date_makes_an_incident_not_a_500(api, monkeypatch):
    _deploy_unchecked(api, monkeypatch, WERKTAGE_HUGE, "handoff.bpmn")
    case = api.start("aufenthalt_leistung", "AZ-WT").get_json()
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/claim").status_code == 200
    data = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}
    response = api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": data})
    assert response.status_code == 422 and response.get_json()["code"] == "incident_raised"
    assert "100 years" in response.get_json()["message"]
    assert api.as_("abh").get(f"/api/instances/{case['id']}").get_json()["status"] == "incident"
    assert api.as_("admin").get("/api/incidents").get_json()["total"] == 1


def test_an_old_model_with_a_ten_thousand_year_timer_makes_an_incident_not_a_500(api, monkeypatch):
    _deploy_unchecked(api, monkeypatch, WAIT.replace(b"PT1H", b"P10000Y"), "wait.bpmn")
    response = api.start("wartefrist", "AZ-T", user="jc")
    assert response.status_code == 422 and response.get_json()["code"] == "incident_raised", response.get_json()
    instance_id = response.get_json()["details"]["instance_id"]
    assert api.as_("jc").get(f"/api/instances/{instance_id}").status_code == 200
