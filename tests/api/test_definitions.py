"""Designers deploy models: versions, identical re-uploads, clear problems for broken models."""
from __future__ import annotations

from tests.factories import BPMN_DIR


def test_deploy_returns_what_was_found(api):
    body = api.deploy("handoff.bpmn")
    assert body["key"] == "aufenthalt_leistung"
    assert body["version"] == 1
    assert body["dialect"] == "camunda"
    assert set(body["lanes"]) == {"Ausländerbehörde", "Jobcenter"}
    tasks = {t["element_id"]: t for t in body["user_tasks"]}
    assert tasks["ut_pruefen"]["due_in"] == "P14D"
    assert tasks["ut_leistung"]["calendar"] == "werktage-nrw"
    assert body["warnings"] == []


def test_identical_upload_is_not_a_new_version_but_a_change_is(api):
    first = api.deploy("handoff.bpmn")
    again = api.as_("designer").upload("/api/definitions", (BPMN_DIR / "handoff.bpmn").read_bytes())
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    changed = (BPMN_DIR / "handoff.bpmn").read_bytes().replace(b"Ablehnung begr", b"Ablehnung schriftlich begr")
    response = api.as_("designer").upload("/api/definitions", changed)
    assert response.status_code == 201
    assert response.get_json()["version"] == 2
    listing = api.as_("designer").get("/api/definitions", query_string={"latest": "true"}).get_json()
    assert listing["total"] == 1 and listing["items"][0]["version"] == 2


def test_broken_model_lists_problems_with_element_ids(api):
    broken = (BPMN_DIR / "handoff.bpmn").read_bytes().replace(
        b"${aufenthalt_gesichert == true &amp;&amp; antrag_vollstaendig}", b"__import__('os').system('id') == 0")
    response = api.as_("designer").upload("/api/definitions", broken)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "invalid"
    problems = body["details"]["problems"]
    assert any(p["element_id"] == "f_ja" for p in problems), problems
    assert api.as_("designer").get("/api/definitions").get_json()["total"] == 0


def test_xml_that_is_not_bpmn_is_rejected_with_line(api):
    response = api.as_("designer").upload("/api/definitions", b"<?xml version='1.0'?>\n<a>\n<b></a>")
    assert response.status_code == 422
    assert response.get_json()["details"]["problems"][0]["line"] is not None


def test_xxe_upload_is_rejected_without_reading_files(api):
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
    response = api.as_("designer").upload("/api/definitions", evil)
    assert response.status_code == 422
    assert "root:" not in response.get_data(as_text=True)


def test_clerks_cannot_deploy_and_other_municipalities_see_nothing(api):
    assert api.as_("abh").upload("/api/definitions", (BPMN_DIR / "handoff.bpmn").read_bytes()).status_code == 403
    body = api.deploy("handoff.bpmn")
    assert api.as_("fremd_designer").get(f"/api/definitions/{body['id']}").status_code == 404
    assert api.as_("fremd_designer").get("/api/definitions").get_json()["total"] == 0


def test_lane_without_office_is_a_warning(api):
    model = (BPMN_DIR / "handoff.bpmn").read_bytes().replace(b'name="Jobcenter"', b'name="Wohngeldstelle"')
    response = api.as_("designer").upload("/api/definitions", model)
    assert response.status_code == 201
    warnings = response.get_json()["warnings"]
    assert [w["element_id"] for w in warnings] == ["ut_leistung"]
