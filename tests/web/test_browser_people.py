"""The person at the centre: a clerk finds a person by name or date of birth, sees all their cases with open steps,
and the inbox and task header name the person; another office sees the case handed to it but not what the case
file's rule keeps from it (the name).
Every page visited is checked with axe-core."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_check, login

pytestmark = pytest.mark.browser

AMINA = {"name": "Haddad", "vorname": "Amina", "geburtsdatum": "1991-04-17"}


def test_a_clerk_finds_a_person_and_sees_all_her_cases(pages, seeded):
    first = seeded.start_case("AZ-2026-1001", AMINA)
    seeded.start_case("AZ-2026-1002", AMINA)  # the same person under a second case reference
    seeded.start_case("AZ-2026-1003", {"name": "Nouri", "vorname": "Samir", "geburtsdatum": "1996-01-23"})

    page = pages.new_page()
    login(page, "abh")
    row = page.locator(f"#task-row-{first}")
    expect(row).to_contain_text("Amina Haddad, * 17.04.1991")
    axe_check(page, "inbox with names")

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Personen").click()
    axe_check(page, "person search")
    page.get_by_label("Aktenzeichen, Name oder Geburtsdatum").fill("amina haddad")
    page.get_by_role("button", name="Suchen").click()
    results = page.locator("table.data-table")
    expect(page.get_by_role("heading", level=2)).to_have_text("1 Person gefunden")
    expect(results).to_contain_text("17.04.1991")
    expect(results).to_contain_text("AZ-2026-1001")
    expect(results).to_contain_text("AZ-2026-1002")
    axe_check(page, "search results")
    page.get_by_label("Aktenzeichen, Name oder Geburtsdatum").fill("23.01.1996")
    page.get_by_role("button", name="Suchen").click()
    expect(results).to_contain_text("Samir Nouri")
    expect(results).not_to_contain_text("Haddad")
    page.get_by_label("Aktenzeichen, Name oder Geburtsdatum").fill("AZ-2026-1002")
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("link", name="Amina Haddad").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Amina Haddad")
    main = page.locator("main")
    expect(main).to_contain_text("17.04.1991")
    expect(main.locator("section.card")).to_have_count(2)
    axe_check(page, "person overview")
    page.get_by_role("region", name=re.compile("AZ-2026-1001")).get_by_role(
        "link", name="Aufenthaltsstatus prüfen").click()
    page.wait_for_url(f"**/aufgaben/{first}")
    expect(page.locator(".person-line")).to_have_text("Amina Haddad, * 17.04.1991")
    page.get_by_role("combobox", name=re.compile("^Aufenthaltsstatus")).select_option("Aufenthaltserlaubnis")
    page.get_by_role("group", name="Aufenthalt gesichert").get_by_label("ja").check()
    page.get_by_role("group", name="Antrag vollständig").get_by_label("ja").check()
    page.get_by_role("button", name="Abschließen").click()
    page.wait_for_url(f"**/aufgaben/{first}/erledigt")
    axe_check(page, "step completed")

    # The Jobcenter may see the case handed to it, but not Amina's name: the ABH's entries were not released to it.
    jc = pages.new_page()
    login(jc, "jc")
    jc.goto("/personen?suche=Haddad")
    expect(jc.locator("main")).to_contain_text("passt keine Person")
    jc.goto("/personen?suche=AZ-2026-1001")
    result = jc.locator("table.data-table")
    expect(result).to_contain_text("(Name nicht lesbar)")
    expect(result).not_to_contain_text("17.04.1991")
    axe_check(jc, "search as the Jobcenter")
    jc.get_by_role("link", name="(Name nicht lesbar)").click()
    expect(jc.locator("main")).to_contain_text("Leistungsantrag bearbeiten")
    expect(jc.locator("main")).not_to_contain_text("Haddad")
    axe_check(jc, "person overview as the Jobcenter")
