"""P3 as the issue's user would try it, the Art. 30 record draft (CLI and admin page), the consent page."""
from __future__ import annotations

import json

from app.cli import cli
from tests.casefile.conftest import deploy
from tests.casefile.test_consents import CONSENT, _consent_model, _until_consent
from tests.pathways.conftest import CLERKS, pathways  # noqa: F401 - the fixture
from tests.web.conftest import csrf, served, sign_in  # noqa: F401 - served is a fixture

KEY = "MS-2026-0903"


def test_the_auslaenderbehoerde_reads_only_what_the_p3_hand_off_released(pathways):  # noqa: F811
    pathways.send("UMA_erkannt", KEY, {"aufgriffsort": "Hauptbahnhof"}, user="ja")
    pathways.complete(KEY, "p3_inobhutnahme")
    pathways.complete(KEY, "p3_alterseinschaetzung", identitaetszweifel=True)
    case = pathways.instances(KEY)["p3_uma"]
    detail = pathways.api.as_("abh").get(f"/api/instances/{case['id']}").get_json()
    data = detail["data"]
    # Stammdaten and Aufenthalt under § 42a Abs. 3a SGB VIII; nothing the young person confided (§ 65 SGB VIII)
    assert data["name"] == "Ahmadi" and data["aufenthaltsstatus"] == "Ankunftsnachweis"
    assert not {"aufgriffsort", "begruendung", "verwandte_im_inland", "einrichtung"} & set(data)
    bases = {r["legal_basis_title"] for e in detail["entries"] for r in e["released_by"]}
    assert bases == {"§ 42a Abs. 3a SGB VIII"}
    assert "Hauptbahnhof" not in json.dumps(pathways.api.as_("abh").get(
        f"/api/instances/{case['id']}/audit").get_json(), ensure_ascii=False)


def test_the_record_of_processing_lists_every_office(app, pathways, served):  # noqa: F811 - fixtures
    page = sign_in(app, "admin").get("/datenschutz/verzeichnis")
    assert page.status_code == 200 and "§ 42a Abs. 3a SGB VIII" in page.get_data(as_text=True)
    assert sign_in(app, "abh").get("/datenschutz/verzeichnis").status_code in (302, 403)
    result = app.test_cli_runner().invoke(cli, ["records-of-processing", "--municipality", "musterstadt",
                                                "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    by_office = {c["controller"]: {a["process"]: a for a in c["activities"]} for c in record["controllers"]}
    assert set(CLERKS) <= set(by_office) and all(by_office[o] for o in CLERKS)
    youth = by_office["Jugendamt"]["p3_uma"]
    assert youth["retention"] == "P10Y" and "Anvertraut" in {c["id"] for c in youth["categories_of_data"]}
    assert {"Ausländerbehörde", "Gesundheitsamt"} <= {r["office"] for r in youth["recipients"]}
    assert "§ 42a Abs. 3a SGB VIII" in {b["title"] for b in by_office["Ausländerbehörde"]["p3_uma"]["legal_bases"]}
    assert by_office["Jobcenter"]["p2_leistungsbezug"]["versions"][0]["version"] == 1
    markdown = app.test_cli_runner().invoke(cli, ["records-of-processing", "--municipality", "musterstadt"]).output
    assert "## Verantwortliche Stelle: Jugendamt" in markdown and "Löschfrist nach Fallende: P10Y" in markdown


def test_the_consent_page_lists_a_persons_consents_and_records_a_withdrawal(app, api, casefile_world, served):  # noqa: F811 - fixture
    deploy(api, _consent_model())
    case, done = _until_consent(api, "AZ-W-1", CONSENT)
    assert done.status_code == 200
    client = sign_in(app, "abh")
    page = client.get("/datenschutz/einwilligungen?fall=AZ-W-1").get_data(as_text=True)
    assert "KIM-Case-Management (Beratung und Begleitung)" in page and "Jobcenter" in page
    listed = api.as_("abh").get("/api/consents", query_string={"business_key": "AZ-W-1"}).get_json()
    consent_id = listed["items"][0]["id"]
    token = csrf(client, "/datenschutz/einwilligungen?fall=AZ-W-1")
    response = client.post(f"/datenschutz/einwilligungen/{consent_id}/widerruf",
                           data={"csrf_token": token, "fall": "AZ-W-1", "grund": "Anruf der Person"})
    assert response.status_code == 302
    state = api.as_("abh").get("/api/consents", query_string={"business_key": "AZ-W-1"}).get_json()["items"][0]
    assert state["state"] == "withdrawn" and state["withdrawn_reason"] == "Anruf der Person"
    assert api.as_("jc").get(f"/api/instances/{case['id']}").get_json()["data"] == {}


def test_anonymous_counselling_after_a_refused_consent_keeps_no_identity_data(pathways, session):  # noqa: F811
    from app.audit.verify import verify_instance
    from app.instances.models import ProcessInstance
    from tests.factories import case_variables

    pathways.start_p1("MS-2026-0904", {"name": "Haddad", "vorname": "Amina"})
    pathways.walk("MS-2026-0904", "p1_fall_anlegen", "p5_zweck")
    pathways.complete("MS-2026-0904", "p5_aufklaerung", ds_einwilligung="verweigert", ds_form=None,
                      ds_erteilt_am=None, ds_gueltig_bis=None)
    assert pathways.task("MS-2026-0904", "p1_anonyme_beratung")["office"] == "KIM-Case-Management"
    case = pathways.instances("MS-2026-0904")["p1_ankommen"]
    variables = case_variables(case["id"])
    assert not {"name", "vorname", "geburtsdatum", "unterkunft"} & set(variables)
    seen = json.dumps([pathways.api.as_("kim").get(f"/api/instances/{case['id']}").get_json(),
                       pathways.api.as_("kim").get(f"/api/instances/{case['id']}/audit").get_json()],
                      ensure_ascii=False)
    assert "Haddad" not in seen and "Amina" not in seen and "1991-04-17" not in seen
    assert verify_instance(session, session.get(ProcessInstance, case["id"])).ok
