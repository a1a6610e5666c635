"""Exporting the audit trail in a real browser: a supervisor downloads a case's trail from the case view, a clerk
of another office gets neither the case nor the file, an admin downloads the municipality's trail from a day on.

Every page is checked with axe-core (WCAG 2.1 A/AA).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.audit.export import check_records, read_csv
from tests.web.conftest import axe_check, login
from tests.web.test_browser_supervisor import complete, instance_of

pytestmark = pytest.mark.browser


def download(page, link_or_button) -> tuple[str, str]:
    """Activate a download link or button; return the file name the browser suggests and the file's text."""
    with page.expect_download() as info:
        link_or_button.click()
    got = info.value
    return got.suggested_filename, Path(got.path()).read_text(encoding="utf-8")


def exports_logged(seeded, actor: str) -> list[tuple]:
    """(instance, format, events) of a user's exports in the access log, oldest first."""
    from app.audit.models import AccessLogEntry
    from app.extensions import db

    with seeded.app.app_context():
        rows = db.session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.actor == actor, AccessLogEntry.action == "audit_export").order_by(AccessLogEntry.id))
        return [(row.instance_id, row.details["format"], row.details["events"]) for row in rows]


def test_a_supervisor_downloads_the_trail_of_a_case(pages, seeded):
    first = seeded.start_case("AZ-2026-0600", {"antragsteller": "Ölçer, Ayşe"})
    complete(seeded, first)
    case_id = instance_of(seeded, first)
    page = pages.new_page()
    login(page, "super")
    page.get_by_role("link", name="Fälle").click()
    page.get_by_role("link", name="AZ-2026-0600").click()
    trail = page.get_by_role("region", name="Protokoll")
    expect(trail.get_by_role("heading", name="Verlauf exportieren")).to_be_visible()
    axe_check(page, "case view with the export links")

    name, text = download(page, trail.get_by_role("link", name="Als JSONL herunterladen"))
    assert name == f"verlauf-AZ-2026-0600-fall-{case_id}-2026-03-02.jsonl"
    lines = [json.loads(line) for line in text.splitlines()]
    api = page.request.get(f"/api/instances/{case_id}/audit",
                           headers={"Authorization": f"Bearer {seeded.world.tokens['super']}"})
    items = api.json()["items"]
    assert [line["kind"] for line in lines] == [item["kind"] for item in items]
    assert lines[0]["kind"] == "instance_started" and "task_completed" in [line["kind"] for line in lines]
    # The supervisor reads case metadata, no office's entries (the case-file rule): the payload stays withheld.
    assert lines == items and lines[0]["payload"] is None

    name, text = download(page, trail.get_by_role("link", name="Als CSV herunterladen"))
    # the BOM makes spreadsheet programs read UTF-8 (names with umlauts); read_csv and verify skip it
    assert name.endswith(".csv") and text.startswith("\ufeffmunicipality_id,instance_id,seq,")
    records = list(read_csv(io.StringIO(text, newline="")))
    assert records == items and check_records(records) == []
    assert exports_logged(seeded, "super") == [(case_id, "jsonl", len(items)), (case_id, "csv", len(items))]
    expect(page).to_have_url(f"{page.url.split('/faelle')[0]}/faelle/{case_id}")  # the page stays


def test_a_clerk_of_another_office_gets_neither_the_case_nor_its_trail(pages, seeded):
    task = seeded.start_case("AZ-2026-0601")  # only the Ausländerbehörde has worked on it so far
    case_id = instance_of(seeded, task)
    page = pages.new_page()
    login(page, "jc")
    assert page.get_by_role("link", name="Fälle").count() == 0
    response = page.goto(f"/faelle/{case_id}")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Zugriff verweigert")
    assert page.get_by_role("link", name="Als JSONL herunterladen").count() == 0
    axe_check(page, "access denied")
    assert page.request.get(f"/faelle/{case_id}/verlauf?format=jsonl").status == 404
    assert page.request.get(f"/faelle/{case_id}/verlauf?format=csv").status == 404
    assert exports_logged(seeded, "jc") == []


def test_an_admin_exports_the_municipality_from_a_day_on(pages, seeded):
    from datetime import timedelta

    seeded.start_case("AZ-2026-0602")
    seeded.clock.set(seeded.clock.now() + timedelta(days=1))
    later = instance_of(seeded, seeded.start_case("AZ-2026-0603"))
    page = pages.new_page()
    login(page, "admin")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verlauf exportieren")
    expect(page.get_by_label("JSON Lines (.jsonl): ein Eintrag je Zeile, zum Archivieren und Prüfen")).to_be_checked()
    axe_check(page, "export page")

    page.get_by_label("CSV (.csv): eine Zeile je Eintrag, für Tabellenkalkulationen").check()
    page.get_by_label("Einträge ab (optional)").fill("2026-03-03")
    name, text = download(page, page.get_by_role("button", name="Herunterladen"))
    assert name == "verlauf-musterstadt-ab-2026-03-03-2026-03-03.csv"
    records = list(read_csv(io.StringIO(text, newline="")))
    assert {r["instance_id"] for r in records} == {later} and check_records(records) == []
    assert exports_logged(seeded, "admin") == [(None, "csv", len(records))]
    axe_check(page, "export page after the download")
