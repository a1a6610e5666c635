"""A designer's test case is visibly a test: the "Testfall" badge in the inbox, on the task and the case, a filter in
the case list, and it counts in no statistic (overview, heatmap). Every page visited is checked with axe-core."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_check, login

pytestmark = pytest.mark.browser


def test_a_test_case_is_marked_everywhere_and_counted_nowhere(pages, seeded):
    seeded.start_case("AZ-2026-0800")  # a real case next to the test case
    designer = pages.new_page()
    login(designer, "designer")
    designer.goto("/modelle/aufenthalt_leistung/1")
    designer.get_by_label("Aktenzeichen").fill("TEST-2026-0801")
    designer.get_by_role("button", name="Testfall starten").click()
    designer.wait_for_url(re.compile(r"/faelle/\d+$"))
    expect(designer.get_by_role("heading", level=1)).to_contain_text("Testfall")
    axe_check(designer, "test case view")

    clerk = pages.new_page()
    login(clerk, "abh")
    test_row = clerk.get_by_role("row", name=re.compile("TEST-2026-0801"))
    expect(test_row.locator(".testcase")).to_have_text("Testfall")
    expect(clerk.get_by_role("row", name=re.compile("AZ-2026-0800")).locator(".testcase")).to_have_count(0)
    axe_check(clerk, "inbox with a test case")
    test_row.get_by_role("link", name="Aufenthaltsstatus prüfen").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("Testfall")
    axe_check(clerk, "task of a test case")

    sup = pages.new_page()
    login(sup, "super")
    figures = sup.get_by_role("list", name="Kennzahlen")
    assert "1\noffene Aufgaben" in figures.inner_text()  # the real case only
    sup.get_by_role("link", name="Aufenthalt und Leistung").click()
    badge = sup.locator(".djs-overlay .diagram-badge")
    expect(badge).to_have_text("1")
    axe_check(sup, "heatmap without the test case")
    sup.get_by_role("link", name="Fälle").click()
    expect(sup.locator("table.data-table")).to_contain_text("TEST-2026-0801")
    sup.get_by_label("Testfälle").select_option(label="Ohne Testfälle")
    sup.get_by_role("button", name="Anzeigen").click()
    expect(sup.locator("table.data-table")).not_to_contain_text("TEST-2026-0801")
    expect(sup.locator("table.data-table")).to_contain_text("AZ-2026-0800")
    axe_check(sup, "cases without test cases")
    sup.get_by_label("Testfälle").select_option(label="Nur Testfälle")
    sup.get_by_role("button", name="Anzeigen").click()
    expect(sup.locator("table.data-table tbody tr")).to_have_count(1)
    expect(sup.locator("table.data-table .testcase")).to_have_text("Testfall")
    axe_check(sup, "only test cases")
