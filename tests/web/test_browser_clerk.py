"""Clerks in a real browser: sign in, the inbox, claim, the form with server-side errors, the hand-off.

Every page visited is checked with axe-core (WCAG 2.1 A/AA); no request may leave 127.0.0.1.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_check, login

pytestmark = pytest.mark.browser


def _focused_matches(page, selector: str) -> bool:
    return page.evaluate("(sel) => !!document.activeElement && document.activeElement.matches(sel)", selector)


def _assert_focus_visible(page) -> None:
    style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow}; }""")
    assert (style["outline"] != "none" and style["width"] != "0px") or style["shadow"] != "none", style


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`; each stop must show a visible focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused_matches(page, selector):
            _assert_focus_visible(page)
            return
    raise AssertionError(f"Tab never reached {selector}")


def _move_due(seeded, task_id: int, when: datetime) -> None:
    from app.deadlines.service import move_due_date
    from app.extensions import db

    with seeded.app.app_context():
        move_due_date(db.session, actor=seeded.principal("super"), task_id=task_id, due_at=when, clock=seeded.clock,
                      reason="Test", confirm_past=True)
        db.session.commit()


def test_wrong_password_shows_a_german_error(page):
    page.goto("/")
    assert page.url.endswith("/anmelden")
    assert page.locator("html").get_attribute("lang") == "de"
    axe_check(page, "login")
    page.get_by_label("Benutzername").fill("abh")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_title(re.compile("^Fehler:"))
    summary = page.get_by_role("alert")
    assert "Benutzername oder Passwort ist falsch." in summary.inner_text()
    expect(page.locator(".error-summary")).to_be_focused()  # lotse.js moves the focus once the page has loaded
    axe_check(page, "login failed")


def test_login_and_logout(page):
    login(page, "abh")
    assert page.url.endswith("/aufgaben")
    assert page.get_by_role("heading", level=1).inner_text() == "Meine Aufgaben"
    assert page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Meine Aufgaben") \
        .get_attribute("aria-current") == "page"
    axe_check(page, "empty inbox")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url("**/anmelden")
    expect(page.get_by_role("status")).to_contain_text("Sie wurden abgemeldet.")
    page.goto("/aufgaben")
    assert "/anmelden" in page.url
    axe_check(page, "after logout")


def test_a_case_goes_from_the_auslaenderbehoerde_to_the_jobcenter(pages, seeded):
    from app.web.formatting import BERLIN

    later = seeded.start_case("AZ-2026-0001", {"antragsteller": "A. Beispiel"})
    urgent = seeded.start_case("AZ-2026-0002")
    _move_due(seeded, urgent, datetime(2026, 3, 6, 23, 59, 59, 999999, tzinfo=BERLIN))
    seeded.clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN))  # Tuesday

    abh = pages.new_page()
    login(abh, "abh")
    axe_check(abh, "inbox")
    rows = abh.locator("table.tasks tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "AZ-2026-0002" in first and "4 Tage überfällig" in first and "06.03.2026" in first
    assert "AZ-2026-0001" in second and "noch 6 Tage" in second and "16.03.2026" in second
    assert "§ 81 AufenthG" in second and "Aufenthalt und Leistung" in second and "Ausländerbehörde" in second

    abh.locator(f"#task-row-{later}").get_by_role("link", name="Aufenthaltsstatus prüfen").click()
    abh.wait_for_url(f"**/aufgaben/{later}")
    deadline = abh.get_by_role("region", name="Frist").inner_text()
    assert "16.03.2026" in deadline and "noch 6 Tage" in deadline and "§ 81 AufenthG" in deadline
    assert "Kalendertagen" in deadline
    history = abh.get_by_role("region", name="Bisheriger Verlauf").inner_text()
    assert "Fall angelegt" in history and "an Ausländerbehörde übergeben" in history
    axe_check(abh, "task")

    abh.get_by_role("button", name="Übernehmen").click()
    card = abh.get_by_role("region", name="Bearbeitung")
    card.get_by_role("button", name="Freigeben").wait_for()
    assert "Ihnen zugewiesen" in card.inner_text()
    assert "Sie haben die Aufgabe übernommen." in abh.locator("#messages").inner_text()
    axe_check(abh, "claimed")
    card.get_by_role("button", name="Freigeben").click()
    card.get_by_role("button", name="Übernehmen").wait_for()
    assert "Nicht zugewiesen" in card.inner_text()
    card.get_by_role("button", name="Übernehmen").click()
    card.get_by_role("button", name="Freigeben").wait_for()

    # the first attempt misses the required Aufenthaltsstatus: the error shows at the field and in the summary
    form = abh.locator("form.task-form")
    form.get_by_role("group", name="Aufenthalt gesichert").get_by_label("ja").check()
    form.get_by_role("group", name="Antrag vollständig").get_by_label("ja").check()
    abh.get_by_role("button", name="Abschließen").click()
    expect(abh).to_have_title(re.compile("^Fehler:"))
    summary = abh.get_by_role("alert")
    assert "Bitte korrigieren Sie folgende Angaben" in summary.inner_text()
    expect(abh.locator(".error-summary")).to_be_focused()
    select = abh.get_by_role("combobox", name=re.compile("^Aufenthaltsstatus"))
    assert select.get_attribute("aria-invalid") == "true"
    error_id = select.get_attribute("aria-describedby")
    assert abh.locator(f"#{error_id}").inner_text().endswith("Bitte wählen Sie eine Option aus.")
    assert form.get_by_role("group", name="Aufenthalt gesichert").get_by_label("ja").is_checked()
    axe_check(abh, "form errors")
    summary.get_by_role("link", name=re.compile("Aufenthaltsstatus")).click()
    expect(select).to_be_focused()

    select.select_option("Aufenthaltserlaubnis")
    abh.get_by_label("Prüfdatum").fill("2026-03-10")
    abh.get_by_role("button", name="Abschließen").click()
    abh.wait_for_url(f"**/aufgaben/{later}/erledigt")
    assert "Der Fall AZ-2026-0001 wurde übergeben an: Jobcenter" in abh.locator("main").inner_text()
    axe_check(abh, "done")

    jobcenter = pages.new_page()
    login(jobcenter, "jc")
    row = jobcenter.locator("table.tasks tbody tr")
    assert row.count() == 1
    text = row.inner_text()
    assert "Leistungsantrag bearbeiten" in text and "AZ-2026-0001" in text
    assert "noch 5 Werktage" in text and "§ 37 SGB II" in text and "17.03.2026" in text
    axe_check(jobcenter, "jobcenter inbox")
    row.get_by_role("link", name="Leistungsantrag bearbeiten").click()
    jobcenter.wait_for_url(re.compile(r"/aufgaben/\d+$"))
    history = jobcenter.get_by_role("region", name="Bisheriger Verlauf").inner_text()
    assert "Aufgabe „Aufenthaltsstatus prüfen“ abgeschlossen" in history and "abh" in history
    assert "Entscheidung „Aufenthalt gesichert?“: ja" in history
    assert "Werktagen (NRW)" in jobcenter.get_by_role("region", name="Frist").inner_text()
    axe_check(jobcenter, "jobcenter task")


def test_the_task_form_works_with_the_keyboard_alone(page, seeded):
    task_id = seeded.start_case("AZ-2026-0100")
    page.goto("/anmelden")
    page.keyboard.press("Tab")
    assert _focused_matches(page, ".skip-link") and page.locator(".skip-link").is_visible()
    _assert_focus_visible(page)
    tab_to(page, "#username")
    page.keyboard.type("abh")
    tab_to(page, "#password")
    page.keyboard.type("geheim-123")
    page.keyboard.press("Enter")
    page.wait_for_url("**/aufgaben")

    tab_to(page, f"#task-row-{task_id} a.task-link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/aufgaben/{task_id}")
    axe_check(page, "task (keyboard)")

    tab_to(page, f"#task-{task_id}-karte-action")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Freigeben").wait_for()
    expect(page.locator(f"#task-{task_id}-karte-action")).to_be_focused()  # htmx keeps the focus across the swap

    tab_to(page, "select")
    page.keyboard.press("ArrowDown")  # the first real option: Aufenthaltserlaubnis
    assert page.get_by_role("combobox", name=re.compile("^Aufenthaltsstatus")).input_value() == "Aufenthaltserlaubnis"
    tab_to(page, "input[type=radio][value=true]")
    page.keyboard.press("Space")
    tab_to(page, "input[type=radio][value=true]:not(:checked)")
    page.keyboard.press("Space")
    tab_to(page, "button.button--primary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/aufgaben/{task_id}/erledigt")
    assert "wurde übergeben an: Jobcenter" in page.locator("main").inner_text()
    axe_check(page, "done (keyboard)")


def test_english_is_the_second_language(page, seeded):
    seeded.start_case("AZ-2026-0200")
    page.goto("/anmelden")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.get_by_label("Username").is_visible() and page.get_by_label("Password").is_visible()
    axe_check(page, "login (en)")
    page.get_by_label("Username").fill("abh")
    page.get_by_label("Password").fill("geheim-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    assert "14 days left" in page.locator("table.tasks").inner_text()
    page.get_by_role("button", name=re.compile(r"^Take over\s*: Aufenthaltsstatus prüfen \(AZ-2026-0200\)")).click()
    page.get_by_role("button", name=re.compile("^Release")).wait_for()
    axe_check(page, "inbox (en)")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aufgaben")


def test_claiming_works_without_javascript(pages, seeded):
    task_id = seeded.start_case("AZ-2026-0300")
    page = pages.new_page(javascript=False)
    login(page, "abh")
    page.get_by_role("button", name=re.compile("^Übernehmen")).click()
    expect(page.locator("#messages")).to_contain_text("Sie haben die Aufgabe übernommen.")
    assert page.url.endswith("/aufgaben")
    assert "Ihnen zugewiesen" in page.locator(f"#task-row-{task_id}").inner_text()
    # No axe run here: with JavaScript off it cannot run; the same templates are checked in the tests above.


def test_axe_check_catches_violations(page):
    page.set_content('<html><head><title>x</title></head><body><main><input type="text"></main></body></html>')
    with pytest.raises(AssertionError, match="label"):
        axe_check(page, "unlabelled input")
