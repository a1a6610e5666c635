"""The upload report lists every problem in German and folds all after the tenth under "+N weitere"."""
from __future__ import annotations

from tests.engine.parsing_helpers import model
from tests.web.conftest import csrf, sign_in
from tests.web.test_views_designer import upload

TWELVE = model(*(f'<bpmn:serviceTask id="Java_{n}" camunda:class="de.kommune.D{n}"/>' for n in range(12)))


def test_all_problems_are_listed_in_german_with_the_rest_folded(app, world, served):
    designer = sign_in(app, "designer")
    response = upload(designer, TWELVE)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "12 Probleme" in html and "+2 weitere" in html
    assert all(f"<code>Java_{n}</code>" in html for n in range(12))
    assert "Lotse führt keinen Java-Code aus" in html and "no Java delegates" not in html


def test_the_api_returns_every_problem_in_english_and_german(api):
    response = api.as_("designer").upload("/api/definitions", TWELVE)
    assert response.status_code == 422
    body = response.get_json()
    problems = body["details"]["problems"]
    assert [p["element_id"] for p in problems] == [f"Java_{n}" for n in range(12)]
    assert all("Java" in p["message"] and "Java-Code" in p["message_de"] for p in problems)
    assert "and 7 more (see details.problems)" in body["message"]


def test_a_task_without_office_or_form_needs_the_designers_confirmation(app, world, served):
    unknown = model('<bpmn:userTask id="UT" name="Prüfen" camunda:formKey="gibt_es_nicht" '
                    'camunda:candidateGroups="Standesamt"/>')
    designer = sign_in(app, "designer")
    refused = upload(designer, unknown, confirm=False)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Braucht Ihre Bestätigung" in html and "gibt_es_nicht" in html and "keinem Posteingang" in html
    assert "Einige Probleme brauchen nur Ihre Bestätigung" in html
    assert 'name="bestaetigen"' in html
    assert upload(designer, unknown, confirm=True).status_code == 303


def test_the_api_names_what_needs_confirmation(api):
    unknown = model('<bpmn:userTask id="UT" camunda:formKey="gibt_es_nicht"/>')
    refused = api.as_("designer").upload("/api/definitions", unknown, confirm=False)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["details"]["needs_confirmation"] is True
    assert {(p["element_id"], p["code"]) for p in body["details"]["problems"]} == {("UT", "confirm")}
    assert any("gibt_es_nicht" in p["message"] for p in body["details"]["problems"])
    assert api.as_("designer").upload("/api/definitions", unknown, confirm=True).status_code == 201


def test_the_version_page_leads_to_the_migration_dry_run_and_moves_a_case(app, api, served):
    from tests.api.test_migration import V1, V2

    assert api.as_("designer").upload("/api/definitions", V1).status_code == 201
    case = api.start("P", "AZ-U1").get_json()
    assert api.as_("designer").upload("/api/definitions", V2).status_code == 201
    designer = sign_in(app, "designer")
    version_page = designer.get("/modelle/P/1").get_data(as_text=True)
    assert "/modelle/P/1/umzug" in version_page and "Laufende Fälle auf Version 2 umziehen" in version_page
    plan = designer.get("/modelle/P/1/umzug").get_data(as_text=True)
    assert "AZ-U1" in plan and "Neue Schritte: Anhoeren" in plan
    moved = designer.post("/modelle/P/1/umzug", data={"csrf_token": csrf(designer, "/modelle/P/1/umzug"),
                                                       "fall": str(case["id"])})
    assert moved.status_code == 200 and "1 Fall wurde umgezogen" in moved.get_data(as_text=True)
    assert api.as_("super").get(f"/api/instances/{case['id']}").get_json()["definition_version"] == 2
