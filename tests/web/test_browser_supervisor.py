"""Designers and supervisors in a real browser: the rejected model marked on its diagram (bpmn-js), a task that
turns overdue and escalates on the overview, the path a case took, the heatmap, the actions on a case.

Every page visited is checked with axe-core (WCAG 2.1 A/AA), the bpmn-js canvas included; no request may leave
127.0.0.1.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import BPMN_DIR
from tests.web.conftest import axe_check, login

pytestmark = pytest.mark.browser

HANDOFF = (BPMN_DIR / "handoff.bpmn").read_text()
BROKEN = HANDOFF.replace('value="P14D"', 'value="bald"').replace(
    "aufenthalt_gesichert == true &amp;&amp; antrag_vollstaendig}", "__import__(1)}", 1)
GOOD = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}


def shape(page, element_id: str):
    """The SVG group bpmn-js draws for a BPMN element."""
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def complete(seeded, task_id: int, user: str = "abh") -> None:
    """Complete a task through the service (the clerk's part is tested in test_browser_clerk)."""
    from app.extensions import db
    from app.tasks.service import complete as complete_task

    with seeded.app.app_context():
        complete_task(db.session, actor=seeded.principal(user), task_id=task_id, data=GOOD, clock=seeded.clock)
        db.session.commit()


def instance_of(seeded, task_id: int) -> int:
    """The case a task belongs to."""
    from app.extensions import db
    from app.tasks.models import HumanTask

    with seeded.app.app_context():
        return db.session.get(HumanTask, task_id).instance_id


def test_a_designer_sees_the_problems_on_the_diagram(page, seeded, tmp_path):
    login(page, "designer")
    assert page.url.endswith("/modelle")
    axe_check(page, "process models")
    broken = tmp_path / "kaputt.bpmn"
    broken.write_text(BROKEN)
    page.get_by_label("BPMN-Datei").set_input_files(str(broken))
    page.get_by_role("button", name="Hochladen und prüfen").click()

    report = page.locator(".report")
    expect(report.get_by_role("heading", level=2)).to_have_text("Das Modell wurde nicht bereitgestellt: 2 Probleme")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(shape(page, "ut_pruefen")).to_have_class(re.compile(r"\blotse-mark--problem\b"))
    expect(shape(page, "f_ja")).to_have_class(re.compile(r"\blotse-mark--problem\b"))
    assert sorted(page.locator(".diagram-badge--problem").all_inner_texts()) == ["1", "2"]
    assert page.locator(".bjs-powered-by").count() == 1  # the bpmn.io watermark stays
    items = report.locator("ol.problems > li")
    assert "Zeile 28" in items.nth(1).inner_text() and "ut_pruefen" in items.nth(1).inner_text()
    axe_check(page, "upload report with diagram")

    items.nth(1).get_by_role("button", name="Im Diagramm zeigen").click()
    expect(shape(page, "ut_pruefen")).to_have_class(re.compile(r"\blotse-mark--focus\b"))
    expect(page.locator("#report-diagram-status")).to_have_text(re.compile("Aufenthaltsstatus prüfen$"))

    # While the upload runs (held here until checked), a progress bar shows and the status is read out.
    held = []
    page.route("**/modelle/hochladen", lambda route: held.append(route))
    good = tmp_path / "gut.bpmn"
    good.write_text(HANDOFF.replace('value="P14D"', 'value="P10D"'))
    page.get_by_label("BPMN-Datei").set_input_files(str(good))
    page.get_by_role("button", name="Hochladen und prüfen").click()
    expect(page.locator("#upload-progress progress")).to_be_visible()
    expect(page.get_by_role("button", name="Hochladen und prüfen")).to_be_disabled()
    progress_text = page.locator("#upload-progress [role=status]")
    assert progress_text.get_attribute("aria-live") == "polite"
    expect(progress_text).to_have_text(re.compile(
        "^(Wird hochgeladen …|Wird hochgeladen: \\d+ %|Hochgeladen. Das Modell wird geprüft …)$"))
    held[0].continue_()
    page.unroute("**/modelle/hochladen")
    page.wait_for_url("**/modelle/aufenthalt_leistung/2")
    expect(page.get_by_role("status").first).to_contain_text("als Version 2 bereitgestellt")
    expect(shape(page, "ut_pruefen")).to_be_visible()
    axe_check(page, "version 2")

    page.get_by_role("link", name="Alle Versionen dieses Prozesses").click()
    expect(page.locator("main")).to_contain_text("„Aufenthaltsstatus prüfen“: Frist 14 Tage → 10 Tage")
    axe_check(page, "versions")

    page.get_by_role("link", name="Version 2").first.click()
    page.get_by_label("Aktenzeichen").fill("TEST-2026-001")
    page.get_by_role("button", name="Testfall starten").click()
    page.wait_for_url(re.compile(r"/faelle/\d+$"))
    expect(shape(page, "ut_pruefen")).to_have_class(re.compile(r"\blotse-mark--current\b"))
    axe_check(page, "test case")


def test_a_supervisor_sees_a_task_turn_overdue_and_escalate(pages, seeded):
    from app.deadlines.service import run_deadline_jobs
    from app.extensions import db

    seeded.start_case("AZ-2026-0400")
    page = pages.new_page()
    login(page, "super")
    assert page.url.endswith("/aufsicht")
    figures = page.get_by_role("list", name="Kennzahlen")
    assert "1\noffene Aufgaben" in figures.inner_text() and "0\nüberfällig" in figures.inner_text()
    expect(page.locator("#eskalationen")).to_contain_text("wurde keine Aufgabe eskaliert")
    axe_check(page, "overview")

    seeded.clock.set(seeded.clock.now() + timedelta(days=15))
    with seeded.app.app_context():
        assert run_deadline_jobs(db.session, clock=seeded.clock, notifier=seeded.app.extensions["lotse_notifier"]
                                 ).escalated == 1
    page.reload()
    assert "1\nüberfällig" in figures.inner_text() and "1\neskaliert" in figures.inner_text()
    office = page.locator("#aemter tbody tr", has_text="Ausländerbehörde")
    expect(office).to_have_class("is-overdue")
    assert "Aufenthaltsstatus prüfen · AZ-2026-0400" in office.inner_text()
    escalations = page.locator("#eskalationen")
    expect(escalations).to_contain_text("AZ-2026-0400")
    assert "Stufe 1" in escalations.inner_text() and "noch offen" in escalations.inner_text()
    axe_check(page, "overview with escalation")

    page.get_by_role("link", name="Aufenthalt und Leistung").click()
    expect(shape(page, "ut_pruefen")).to_have_class(re.compile(r"\blotse-mark--heat-0\b"))
    badge = page.locator(".djs-overlay .diagram-badge")
    assert badge.inner_text() == "1" and badge.get_attribute("title") == "Aufenthaltsstatus prüfen: 1 wartend · 1 überfällig"
    assert "1" in page.get_by_role("row", name=re.compile("Aufenthaltsstatus prüfen")).inner_text()
    axe_check(page, "heatmap")


def test_the_case_view_shows_the_path_taken(pages, seeded):
    first = seeded.start_case("AZ-2026-0500")
    seeded.clock.set(seeded.clock.now() + timedelta(hours=5))
    complete(seeded, first)
    case_id = instance_of(seeded, first)
    page = pages.new_page()
    login(page, "super")
    page.get_by_role("link", name="Fälle").click()
    page.get_by_role("link", name="AZ-2026-0500").click()
    page.wait_for_url(f"**/faelle/{case_id}")
    for done in ("ut_pruefen", "gw_gesichert", "f_ja"):
        expect(shape(page, done)).to_have_class(re.compile(r"\blotse-mark--done\b"))
    expect(shape(page, "ut_leistung")).to_have_class(re.compile(r"\blotse-mark--current\b"))
    for untouched in ("ut_ablehnung", "f_nein"):
        assert "lotse-mark" not in (shape(page, untouched).get_attribute("class") or "")
    trail = page.get_by_role("region", name="Protokoll").inner_text()
    assert "Aufgabe „Aufenthaltsstatus prüfen“ abgeschlossen" in trail and "02.03.2026, 14:00" in trail
    axe_check(page, "case view")

    steps = page.locator("#aufgaben")
    steps.get_by_label("Neue Frist (deutsche Zeit)").fill("2026-03-20T16:00")
    steps.get_by_label(re.compile("^Grund für die neue Frist")).fill("Unterlagen nachgefordert")
    steps.get_by_role("button", name=re.compile("^Frist verschieben")).click()
    expect(page.locator("#messages")).to_contain_text("ist jetzt 20.03.2026, 16:00")
    expect(page.get_by_role("region", name="Protokoll")).to_contain_text(
        "geändert auf 20.03.2026, 16:00 (Grund: Unterlagen nachgefordert)")
    axe_check(page, "due date moved")

    page.get_by_role("link", name="Fall abbrechen …").click()
    axe_check(page, "cancel confirmation")
    page.get_by_role("button", name="Fall endgültig abbrechen").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie einen Grund an.")
    page.get_by_label(re.compile("^Grund")).fill("Antrag zurückgenommen")
    page.get_by_role("button", name="Fall endgültig abbrechen").click()
    page.wait_for_url(f"**/faelle/{case_id}")
    expect(page.locator("h1")).to_contain_text("abgebrochen")
    expect(page.get_by_role("region", name="Protokoll")).to_contain_text("Fall abgebrochen")
    axe_check(page, "cancelled case")
