"""Exporting the audit trail from the web UI (both databases): a case's trail from the case view, the whole
municipality's for admins; streamed, the same files as the API and `lotse audit export`, access-logged."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.export import check_records, iter_text, read_csv, read_jsonl, write_csv, write_jsonl
from app.engine.calendar import BERLIN
from tests.web.conftest import give_password, sign_in

YES = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}


@pytest.fixture
def deployed(api):
    """Version 1 of the hand-off model."""
    return api.deploy("handoff.bpmn")


def handed_over(api, key: str, applicant: str = "A. Beispiel") -> dict:
    """A case with personal start data whose first task the Ausländerbehörde completed."""
    case = api.start("aufenthalt_leistung", key, {"antragsteller": applicant}).get_json()
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": YES}).status_code == 200
    return case


def exports_logged(app, actor: str) -> list:
    """The access log's export entries of one user, oldest first."""
    from app.audit.models import AccessLogEntry
    from app.extensions import db

    with app.app_context():
        rows = list(db.session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.actor == actor, AccessLogEntry.action == "audit_export").order_by(AccessLogEntry.id)))
        db.session.expunge_all()
        return rows


def test_a_case_trail_downloads_as_the_api_shows_it_and_is_logged(app, api, deployed, served):
    case = handed_over(api, "AZ-2026-0100")
    supervisor = sign_in(app, "super")
    page = supervisor.get(f"/faelle/{case['id']}").get_data(as_text=True)
    assert "Verlauf exportieren" in page
    assert f'href="/faelle/{case["id"]}/verlauf?format=jsonl"' in page and ">Als CSV herunterladen</a>" in page

    response = supervisor.get(f"/faelle/{case['id']}/verlauf?format=jsonl")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="verlauf-AZ-2026-0100-fall-{case["id"]}-2026-03-02.jsonl"')
    body = response.get_data(as_text=True)
    assert body == api.get(f"/api/instances/{case['id']}/audit/export?format=jsonl").get_data(as_text=True)
    records = list(read_jsonl(body.splitlines()))
    assert records == api.get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    # Case content follows the read rule: a supervisor's file holds who did what, not what was entered.
    assert records[0]["payload"] is None and check_records(records) == []
    own_office = sign_in(app, "abh").get(f"/faelle/{case['id']}/verlauf?format=jsonl").get_data(as_text=True)
    assert list(read_jsonl(own_office.splitlines()))[0]["payload"] == {"antragsteller": "A. Beispiel"}

    as_csv = supervisor.get(f"/faelle/{case['id']}/verlauf?format=csv")
    assert as_csv.mimetype == "text/csv" and as_csv.headers["Content-Disposition"].endswith('-2026-03-02.csv"')
    text = as_csv.get_data(as_text=True)
    assert text == api.get(f"/api/instances/{case['id']}/audit/export?format=csv").get_data(as_text=True)
    assert list(read_csv(io.StringIO(text, newline=""))) == records

    logged = exports_logged(app, "super")
    assert [(e.instance_id, e.details["format"], e.details["events"]) for e in logged] == [
        (case["id"], "jsonl", len(records)), (case["id"], "csv", len(records))]
    assert logged[0].details["roles"] == ["supervisor"]


def test_only_who_may_read_the_case_gets_its_trail(app, api, deployed, served):
    case = api.start("aufenthalt_leistung", "AZ-2026-0101").get_json()  # so far only the Ausländerbehörde's
    url = f"/faelle/{case['id']}/verlauf?format=jsonl"
    other_clerk = sign_in(app, "jc")
    assert other_clerk.get(f"/faelle/{case['id']}").status_code == 403  # clerks have no case view
    assert other_clerk.get(url).status_code == 404
    other_lead = sign_in(app, "jc_lead")
    assert other_lead.get(f"/faelle/{case['id']}").status_code == 404
    assert other_lead.get(url).status_code == 404
    give_password(app, "fremd_admin")
    assert sign_in(app, "fremd_admin").get(url).status_code == 404
    assert all(not exports_logged(app, user) for user in ("jc", "jc_lead", "fremd_admin"))
    # The API's rule: whoever may read the case may export its trail, so the office's own clerk may too.
    assert sign_in(app, "abh").get(url).status_code == 200
    assert sign_in(app, "designer").get(url).status_code == 200
    assert sign_in(app, "super").get(f"/faelle/{case['id']}/verlauf?format=xml").status_code == 400
    assert app.test_client().get(url).headers["Location"].startswith("/anmelden?next=")


def test_admins_export_the_whole_municipality(app, api, clock, deployed, served):
    from app.cli import cli

    first = handed_over(api, "AZ-2026-0102")
    clock.set(clock.now() + timedelta(days=2))
    second = handed_over(api, "AZ-2026-0103", applicant="Zeichen; \"Komma\", Umlaut ä\nZeile")
    supervisor = sign_in(app, "super")
    assert 'href="/export"' not in supervisor.get("/faelle").get_data(as_text=True)  # no menu entry
    assert supervisor.get("/export").status_code == 403
    assert supervisor.get("/export/datei?format=jsonl").status_code == 403

    admin = sign_in(app, "admin")
    page = admin.get("/export").get_data(as_text=True)
    assert 'href="/export" aria-current="page">Export</a>' in page and "<h1>Verlauf exportieren</h1>" in page
    assert 'name="format" value="jsonl" checked' in page and 'type="date"' in page

    whole = admin.get("/export/datei?format=jsonl&seit=")
    assert whole.is_streamed and whole.headers["Content-Disposition"] == (
        'attachment; filename="verlauf-musterstadt-2026-03-04.jsonl"')
    body = whole.get_data(as_text=True)
    result = app.test_cli_runner().invoke(cli, ["audit", "export", "--municipality", "musterstadt"])
    assert result.exit_code == 0
    records = list(read_jsonl(body.splitlines()))
    # The same records as `lotse audit export` (the operator's file), but the admin reads no office's entries.
    entry_kinds = ("instance_started", "task_completed", "message_correlated")
    assert records == [dict(r, payload=None) if r["kind"] in entry_kinds else r
                       for r in read_jsonl(result.stdout.splitlines())]
    assert records[0]["instance_id"] is None and {first["id"], second["id"]} <= {r["instance_id"] for r in records}
    assert {r["municipality_id"] for r in records} == {api.world.municipality_id}

    since = admin.get("/export/datei?format=csv&seit=2026-03-04")
    assert since.headers["Content-Disposition"] == (
        'attachment; filename="verlauf-musterstadt-ab-2026-03-04-2026-03-04.csv"')
    later = list(read_csv(io.StringIO(since.get_data(as_text=True), newline="")))
    assert later and {r["instance_id"] for r in later} == {second["id"]}
    assert all(datetime.fromisoformat(r["occurred_at"]) >= datetime(2026, 3, 4, tzinfo=BERLIN) for r in later)
    assert check_records(later) == []
    typed = admin.get("/export/datei?format=csv&seit=04.03.2026")  # a typed DIN date is understood too
    assert typed.get_data(as_text=True) == since.get_data(as_text=True)

    wrong = admin.get("/export/datei?format=pdf&seit=31.02.2026")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "Bitte wählen Sie ein Format aus." in html
    assert "Bitte geben Sie ein gültiges Datum im Format TT.MM.JJJJ ein." in html and 'value="31.02.2026"' in html

    logged = exports_logged(app, "admin")
    assert [(e.instance_id, e.details["format"], e.details.get("since")) for e in logged] == [
        (None, "jsonl", None), (None, "csv", "2026-03-04T00:00:00+01:00"), (None, "csv", "2026-03-04T00:00:00+01:00")]
    assert logged[0].details["events"] == len(records) and logged[1].details["events"] == len(later)


def test_the_streamed_text_is_what_the_file_writers_write():
    records = [{"municipality_id": 1, "instance_id": n, "seq": n, "details": {"n": n}, "payload": None,
                "payload_erased": False, "kind": "task_created", "actor": "ä; \"x\"\n"} for n in range(5)]
    for fmt, writer in (("jsonl", write_jsonl), ("csv", write_csv)):
        expected = io.StringIO()
        writer(records, expected)
        chunks = list(iter_text(iter(records), fmt, rows=2))
        assert len(chunks) == 3 and "".join(chunks) == expected.getvalue()
    header = io.StringIO()
    write_csv([], header)
    assert list(iter_text([], "csv")) == [header.getvalue()] and list(iter_text([], "jsonl")) == []
    with pytest.raises(ValueError):
        list(iter_text(records, "xml"))
