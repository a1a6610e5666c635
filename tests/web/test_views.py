"""The web UI without a browser (both databases): login, CSRF, roles, errors, assets, the clerk flow."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import BPMN_DIR
from tests.web.conftest import csrf, sign_in

GOOD = {"data.aufenthalt_gesichert": "true", "data.antrag_vollstaendig": "true",
        "data.aufenthaltsstatus": "Aufenthaltserlaubnis"}


@pytest.fixture
def case(api):
    """The hand-off model and its form deployed, one case started; returns the first task's id."""
    api.deploy("handoff.bpmn")
    form = (BPMN_DIR.parent / "forms" / "pruefung.json").read_bytes()
    assert api.as_("designer").client.post("/api/forms", data=form, content_type="application/json", headers={
        "Authorization": f"Bearer {api.world.tokens['designer']}"}).status_code == 201
    started = api.start("aufenthalt_leistung", "AZ-2026-0042", {"antragsteller": "A. Beispiel"})
    return started.get_json()["active_tasks"][0]["id"]


def test_anonymous_visitors_are_sent_to_the_login(client, served):
    assert client.get("/").headers["Location"] == "/anmelden"
    response = client.get("/aufgaben")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=")
    page = client.get("/anmelden")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="de">' in html
    assert "Benutzername" in html and "Passwort" in html and ">Anmelden</button>" in html
    assert 'class="skip-link" href="#inhalt"' in html and '<main id="inhalt"' in html


def test_login_needs_the_csrf_token_and_the_right_password(client, served):
    missing = client.post("/anmelden", data={"username": "abh", "password": "geheim-123"})
    assert missing.status_code == 400 and "Das Formular ist abgelaufen" in missing.get_data(as_text=True)
    wrong = client.post("/anmelden", data={"csrf_token": csrf(client), "username": "abh", "password": "nein"})
    assert wrong.status_code == 401 and "Benutzername oder Passwort ist falsch." in wrong.get_data(as_text=True)
    unknown = client.post("/anmelden", data={"csrf_token": csrf(client), "username": "niemand", "password": "x"})
    assert unknown.status_code == 401


def test_session_cookie_flags_and_security_headers(app, served):
    client = app.test_client()
    response = client.post("/anmelden", data={"csrf_token": csrf(client), "username": "abh",
                                              "password": "geheim-123"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/aufgaben")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in client.get("/api/openapi.json").headers


def test_login_follows_only_local_next_paths(app, served):
    client = app.test_client()
    for target, expected in (("/aufgaben?zeige=meine", "/aufgaben?zeige=meine"), ("//evil.example/x", "/aufgaben"),
                             ("https://evil.example/", "/aufgaben")):
        response = client.post("/anmelden?next=" + target, data={
            "csrf_token": csrf(client), "username": "abh", "password": "geheim-123"})
        assert response.headers["Location"] == expected
        client.post("/abmelden", data={"csrf_token": csrf(client, "/aufgaben")})


def test_logout_is_a_post_with_csrf(app, served):
    client = sign_in(app, "abh")
    assert client.get("/abmelden").status_code == 405
    assert client.post("/abmelden").status_code == 400
    response = client.post("/abmelden", data={"csrf_token": csrf(client, "/aufgaben")}, follow_redirects=True)
    assert "Sie wurden abgemeldet." in response.get_data(as_text=True)
    assert client.get("/aufgaben").status_code == 302


def test_the_api_keeps_bearer_tokens_json_errors_and_no_csrf(api, client):
    response = api.as_("abh").post("/api/tasks/999999/claim")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert client.get("/api/nichts").get_json()["code"] == "not_found"
    page = client.get("/gibt-es-nicht")
    assert page.status_code == 404 and "Nicht gefunden" in page.get_data(as_text=True)


def test_roles_shape_the_navigation_and_the_start_page(app, served):
    designer = sign_in(app, "designer")
    assert designer.get("/").headers["Location"] == "/modelle"
    start = designer.get("/start").get_data(as_text=True)
    assert "Meine Aufgaben" not in start and ">Prozessmodelle</a>" in start and ">Fälle</a>" in start
    assert "Überblick" not in start
    assert sign_in(app, "super").get("/").headers["Location"] == "/aufsicht"
    denied = designer.get("/aufgaben")
    assert denied.status_code == 403 and "Zugriff verweigert" in denied.get_data(as_text=True)
    clerk = sign_in(app, "abh")
    assert clerk.get("/").headers["Location"] == "/aufgaben"
    assert 'aria-current="page">Meine Aufgaben</a>' in clerk.get("/aufgaben").get_data(as_text=True)


def test_a_deactivated_user_is_signed_out(app, served):
    from app.directory.models import User
    from app.extensions import db

    client = sign_in(app, "abh")
    assert client.get("/aufgaben").status_code == 200
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "abh")).active = False
        db.session.commit()
    assert client.get("/aufgaben").status_code == 302


def test_language_switch_is_remembered(app, served):
    client = app.test_client()
    token = csrf(client)
    response = client.post("/sprache", data={"csrf_token": token, "lang": "en", "next": "/anmelden"})
    assert response.headers["Location"] == "/anmelden"
    html = client.get("/anmelden").get_data(as_text=True)
    assert '<html lang="en">' in html and "Username" in html and ">Sign in</button>" in html
    client.post("/sprache", data={"csrf_token": token, "lang": "fr", "next": "https://evil.example/"})
    assert '<html lang="en">' in client.get("/anmelden").get_data(as_text=True)


def test_vendor_files_come_from_an_allow_list(client, served):
    from pathlib import Path

    if not (Path(__file__).resolve().parents[2] / "node_modules" / "htmx.org").exists():
        pytest.skip("node_modules not installed (make install)")
    with client.get("/vendor/htmx.org/dist/htmx.min.js") as htmx:
        assert htmx.status_code == 200 and "javascript" in htmx.mimetype
    with client.get("/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js") as viewer:
        assert viewer.status_code == 200
    for path in ("/vendor/htmx.org/package.json", "/vendor/axe-core/axe.min.js", "/vendor/htmx.org/dist/htmx.js",
                 "/vendor/htmx.org/../../pyproject.toml", "/vendor/bpmn-js/dist/bpmn-modeler.development.js"):
        assert client.get(path).status_code == 404, path


def test_a_clerk_works_a_task_without_javascript(app, case, served):
    from app.audit.models import AccessLogEntry
    from app.extensions import db

    clerk = sign_in(app, "abh")
    inbox = clerk.get("/aufgaben").get_data(as_text=True)
    assert "AZ-2026-0042" in inbox and "§ 81 AufenthG" in inbox and "16.03.2026" in inbox and "noch 14 Tage" in inbox
    page = clerk.get(f"/aufgaben/{case}")
    assert page.status_code == 200 and "Fall angelegt" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.task_id == case, AccessLogEntry.action == "task_detail")) == 1
    token = csrf(clerk, "/aufgaben")
    claimed = clerk.post(f"/aufgaben/{case}/uebernehmen", data={"csrf_token": token, "next": "/aufgaben"})
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/aufgaben"
    assert "Sie haben die Aufgabe übernommen." in clerk.get("/aufgaben").get_data(as_text=True)

    invalid = clerk.post(f"/aufgaben/{case}", data={"csrf_token": token, "data.aufenthalt_gesichert": "true",
                                                     "data.aufenthaltsstatus": "Visum", "data.pruefdatum": "31.02."})
    html = invalid.get_data(as_text=True)
    assert invalid.status_code == 422
    assert "Bitte wählen Sie eine der angebotenen Optionen." in html
    assert "Bitte wählen Sie eine Option aus." in html  # antrag_vollstaendig
    assert "Bitte geben Sie ein gültiges Datum im Format TT.MM.JJJJ ein." in html
    assert 'href="#field-0-aufenthaltsstatus"' in html and 'value="true" checked' in html

    done = clerk.post(f"/aufgaben/{case}", data={"csrf_token": token, **GOOD, "data.pruefdatum": "05.03.2026"})
    assert done.status_code == 303 and done.headers["Location"] == f"/aufgaben/{case}/erledigt"
    confirmation = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert "Der Fall AZ-2026-0042 wurde übergeben an: Jobcenter" in confirmation
    again = clerk.post(f"/aufgaben/{case}", data={"csrf_token": token, **GOOD}, follow_redirects=True)
    assert "Diese Aufgabe wurde am" in again.get_data(as_text=True)


def test_claim_conflicts_answer_htmx_with_the_current_state(app, case, served):
    first = sign_in(app, "abh")
    assert first.post(f"/aufgaben/{case}/uebernehmen", data={"csrf_token": csrf(first, "/aufgaben")}).status_code == 303
    second = sign_in(app, "abh2")
    response = second.post(f"/aufgaben/{case}/uebernehmen", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf(second, "/aufgaben"), "ansicht": "zeile"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert html.startswith(f'<tr id="task-row-{case}"') and "In Bearbeitung durch abh" in html
    assert 'hx-swap-oob="innerHTML"' in html and "abh hat diese Aufgabe inzwischen übernommen." in html
    blocked = second.post(f"/aufgaben/{case}", data={"csrf_token": csrf(second, "/aufgaben"), **GOOD})
    assert blocked.status_code == 303
    assert "abh hat diese Aufgabe inzwischen übernommen." in second.get(f"/aufgaben/{case}").get_data(as_text=True)


def test_inbox_filters_mine_queue_and_whole_office(app, case, served):
    first = sign_in(app, "abh")
    assert first.post(f"/aufgaben/{case}/uebernehmen", data={"csrf_token": csrf(first, "/aufgaben")}).status_code == 303
    colleague = sign_in(app, "abh2")
    row = f'id="task-row-{case}"'
    assert row not in colleague.get("/aufgaben").get_data(as_text=True)  # mine + unassigned: not a colleague's
    assert row not in colleague.get("/aufgaben?zeige=offen").get_data(as_text=True)
    assert row not in colleague.get("/aufgaben?zeige=meine").get_data(as_text=True)
    assert row in colleague.get("/aufgaben?zeige=amt").get_data(as_text=True)
    assert row in first.get("/aufgaben?zeige=meine").get_data(as_text=True)
    assert row in first.get("/aufgaben?zeige=unsinn").get_data(as_text=True)


def test_other_offices_and_towns_see_nothing(app, case, served):
    jobcenter = sign_in(app, "jc")
    missing = jobcenter.get(f"/aufgaben/{case}")
    assert missing.status_code == 404 and "gehört zu einem anderen Amt" in missing.get_data(as_text=True)
    token = csrf(jobcenter, "/aufgaben")
    assert jobcenter.post(f"/aufgaben/{case}/uebernehmen", data={"csrf_token": token}).status_code == 404
    assert "AZ-2026-0042" not in jobcenter.get("/aufgaben").get_data(as_text=True)
