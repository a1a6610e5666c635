"""Designer screens with the test client (both databases): upload with the problem report, versions and their
changes, forms, test cases; who may see what."""
from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests.factories import BPMN_DIR
from tests.web.conftest import csrf, give_password, sign_in

HANDOFF = (BPMN_DIR / "handoff.bpmn").read_text()
BROKEN = HANDOFF.replace('value="P14D"', 'value="bald"').replace(
    "aufenthalt_gesichert == true &amp;&amp; antrag_vollstaendig}", "__import__(1)}", 1)
VERSION_2 = HANDOFF.replace('name="Aufenthaltsstatus prüfen"', 'name="Status prüfen"').replace(
    'value="P14D"', 'value="P10D"')


def upload(client, content: str | bytes, filename: str = "modell.bpmn", htmx: bool = False, confirm: bool = True):
    """Post a BPMN file to the designer's upload form (confirming lanes without office and missing forms)."""
    data = content.encode() if isinstance(content, str) else content
    headers = {"HX-Request": "true"} if htmx else {}
    fields = {"csrf_token": csrf(client, "/modelle"), "datei": (io.BytesIO(data), filename)}
    if confirm:
        fields["bestaetigen"] = "ja"
    return client.post("/modelle/hochladen", data=fields, content_type="multipart/form-data", headers=headers)


def audit_kinds(app, kind: str) -> int:
    """How many audit events of a kind exist."""
    from app.audit.models import AuditEvent
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == kind))


@pytest.fixture
def deployed(api):
    """Version 1 of the hand-off model."""
    return api.deploy("handoff.bpmn")


def test_clerks_get_403_on_designer_supervisor_and_case_pages(app, api, deployed, served):
    case = api.start("aufenthalt_leistung", "AZ-2026-0100").get_json()
    clerk = sign_in(app, "abh")
    for path in ("/modelle", "/modelle/aufenthalt_leistung", "/modelle/aufenthalt_leistung/1", "/aufsicht",
                 "/aufsicht/prozesse/aufenthalt_leistung", "/faelle", f"/faelle/{case['id']}",
                 f"/faelle/{case['id']}/abbrechen"):
        response = clerk.get(path)
        assert response.status_code == 403, path
        assert "Zugriff verweigert" in response.get_data(as_text=True)
    assert upload(clerk, HANDOFF).status_code == 403
    supervisor = sign_in(app, "super")
    assert supervisor.get("/modelle").status_code == 403
    designer = sign_in(app, "designer")
    assert designer.get("/aufsicht").status_code == 403


def test_other_municipalities_get_404(app, api, deployed, served):
    case = api.start("aufenthalt_leistung", "AZ-2026-0101").get_json()
    give_password(app, "fremd_designer")
    give_password(app, "fremd_admin")
    foreign_designer = sign_in(app, "fremd_designer")
    for path in ("/modelle/aufenthalt_leistung", "/modelle/aufenthalt_leistung/1", f"/faelle/{case['id']}"):
        assert foreign_designer.get(path).status_code == 404, path
    assert "aufenthalt_leistung" not in foreign_designer.get("/modelle").get_data(as_text=True)
    foreign_admin = sign_in(app, "fremd_admin")
    for path in (f"/faelle/{case['id']}", "/aufsicht/prozesse/aufenthalt_leistung"):
        assert foreign_admin.get(path).status_code == 404, path
    token = csrf(foreign_admin, "/faelle")
    assert foreign_admin.post(f"/faelle/{case['id']}/abbrechen", data={
        "csrf_token": token, "grund": "x"}).status_code == 404
    assert foreign_designer.post("/modelle/aufenthalt_leistung/1/testfall", data={
        "csrf_token": csrf(foreign_designer, "/modelle"), "aktenzeichen": "X"}).status_code == 404


def test_a_broken_model_shows_each_problem_and_the_marked_diagram(app, deployed, served):
    designer = sign_in(app, "designer")
    response = upload(designer, BROKEN, "kaputt.bpmn")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Das Modell wurde nicht bereitgestellt: 2 Probleme" in html and "kaputt.bpmn" in html
    assert "Ausdruck nicht erlaubt" in html and "Eigenschaft ungültig" in html
    assert "<code>ut_pruefen</code> („Aufenthaltsstatus prüfen“)" in html and "Zeile 28" in html
    assert "lotse:dueIn „bald“ ist keine ISO-8601-Dauer" in html  # the check's message in German
    marks = json.loads(re.search(r"data-marks='([^']*)'", html).group(1))
    assert [(m["id"], m["kind"], m["badge"]) for m in marks] == [("f_ja", "problem", "1"),
                                                                 ("ut_pruefen", "problem", "2")]
    assert 'data-xml="' in html and "lotse_generated_diagram" in html  # no DI in the file: laid out by Lotse
    assert 'data-element-id="ut_pruefen"' in html
    assert audit_kinds(app, "definition_deployed") == 1  # nothing new was deployed


def test_htmx_upload_gets_the_report_as_a_fragment_and_success_as_a_redirect(app, deployed, served):
    designer = sign_in(app, "designer")
    failed = upload(designer, BROKEN, htmx=True)
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and "<html" not in html and "data-focus-on-load" in html
    created = upload(designer, VERSION_2, htmx=True)
    assert created.status_code == 204 and created.headers["HX-Redirect"] == "/modelle/aufenthalt_leistung/2"


def test_a_file_that_is_not_xml_cannot_be_drawn(app, deployed, served):
    designer = sign_in(app, "designer")
    html = upload(designer, b"das ist kein XML", "notiz.txt").get_data(as_text=True)
    assert "XML-Fehler" in html and "Das Diagramm kann nicht angezeigt werden." in html
    assert "data-diagram" not in html
    missing = designer.post("/modelle/hochladen", data={"csrf_token": csrf(designer, "/modelle")})
    assert missing.status_code == 422 and "Bitte wählen Sie eine BPMN-Datei aus." in missing.get_data(as_text=True)


def test_a_good_model_becomes_version_2_with_a_change_list(app, deployed, served):
    designer = sign_in(app, "designer")
    response = upload(designer, VERSION_2)
    assert response.status_code == 303 and response.headers["Location"] == "/modelle/aufenthalt_leistung/2"
    page = designer.get(response.headers["Location"]).get_data(as_text=True)
    assert "„Aufenthalt und Leistung“ wurde als Version 2 bereitgestellt." in page
    assert "Status prüfen" in page and "10 Tage" in page and "§ 81 AufenthG" in page
    assert "Testfall auf dieser Version starten" in page
    versions = designer.get("/modelle/aufenthalt_leistung").get_data(as_text=True)
    assert "Aufgabe „Aufenthaltsstatus prüfen“ umbenannt in „Status prüfen“" in versions
    assert "„Status prüfen“: Frist 14 Tage → 10 Tage" in versions and "Erste Version." in versions
    assert audit_kinds(app, "definition_deployed") == 2
    again = upload(designer, VERSION_2)
    assert again.headers["Location"] == "/modelle/aufenthalt_leistung/2"
    assert "Unverändert: identisch mit Version 2" in designer.get("/modelle/aufenthalt_leistung/2").get_data(
        as_text=True)
    assert audit_kinds(app, "definition_deployed") == 2


def test_warnings_for_lanes_without_an_office(app, deployed, served):
    designer = sign_in(app, "designer")
    upload(designer, HANDOFF.replace('name="Jobcenter"', 'name="Wohngeldstelle"'))
    page = designer.get("/modelle/aufenthalt_leistung/2").get_data(as_text=True)
    assert "1 Warnung" in page
    assert "Die Lane „Wohngeldstelle“ ist kein Amt dieser Kommune" in page
    assert "Lane „Wohngeldstelle“ hinzugefügt" in designer.get("/modelle/aufenthalt_leistung").get_data(as_text=True)


def test_forms_are_uploaded_and_checked(app, served):
    designer = sign_in(app, "designer")
    form = (BPMN_DIR.parent / "forms" / "pruefung.json").read_bytes()
    token = csrf(designer, "/modelle")
    ok = designer.post("/modelle/formulare", data={"csrf_token": token, "formular": (io.BytesIO(form), "p.json")},
                       content_type="multipart/form-data")
    assert ok.status_code == 303
    page = designer.get("/modelle").get_data(as_text=True)
    assert "Formular „pruefung“ wurde als Version 1 bereitgestellt." in page and "<code>pruefung</code>" in page
    broken = designer.post("/modelle/formulare", data={"csrf_token": token, "formular": (io.BytesIO(b"{"), "x.json")},
                           content_type="multipart/form-data")
    assert broken.status_code == 422 and "Das Formular wurde nicht bereitgestellt" in broken.get_data(as_text=True)
    assert audit_kinds(app, "form_deployed") == 1


def test_a_test_case_starts_on_the_chosen_version(app, deployed, served):
    from app.instances.models import ProcessInstance
    from app.extensions import db

    designer = sign_in(app, "designer")
    upload(designer, VERSION_2)
    token = csrf(designer, "/modelle")
    missing = designer.post("/modelle/aufenthalt_leistung/1/testfall", data={"csrf_token": token, "daten": "[1]"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert "Bitte geben Sie ein Aktenzeichen ein." in html and "Die Daten müssen ein JSON-Objekt sein" in html
    bad_json = designer.post("/modelle/aufenthalt_leistung/1/testfall", data={
        "csrf_token": token, "aktenzeichen": "TEST-1", "daten": '{"a": '})
    assert "kein gültiges JSON (Zeile 1, Spalte 7)" in bad_json.get_data(as_text=True)
    started = designer.post("/modelle/aufenthalt_leistung/1/testfall", data={
        "csrf_token": token, "aktenzeichen": "TEST-1", "daten": '{"antragsteller": "A. Test"}'})
    assert started.status_code == 303 and started.headers["Location"].startswith("/faelle/")
    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == "TEST-1"))
        assert instance.started_by == "designer"
        version_one = instance.definition_id
    case_page = designer.get(started.headers["Location"]).get_data(as_text=True)
    assert "Testfall TEST-1 wurde auf Version 1 gestartet." in case_page
    assert "Aufenthaltsstatus prüfen" in case_page and "(Version 1)" in case_page
    assert audit_kinds(app, "instance_started") == 1
    with app.app_context():
        from app.definitions.models import ProcessDefinition
        assert db.session.get(ProcessDefinition, version_one).version == 1


def test_uploads_need_the_csrf_token(app, deployed, served):
    designer = sign_in(app, "designer")
    response = designer.post("/modelle/hochladen", data={"datei": (io.BytesIO(VERSION_2.encode()), "m.bpmn")},
                             content_type="multipart/form-data")
    assert response.status_code == 400 and "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    assert audit_kinds(app, "definition_deployed") == 1
