"""The demo tells the story (README logins, password lotse-demo-2026): each role finds work on first login —
the clerk abh.mueller an overdue task of his own (and the person behind it, as far as the case file lets him read), the lead an escalation in the bell, the
supervisor overdue offices to drill into, the designer the pathways without false warnings.
Every page visited is checked with axe-core."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.web.conftest import _wipe, axe_check, login

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(seeded):
    """The live app's database holding only the demo municipality, seeded at the tests' clock."""
    from app.demo import seed
    from app.extensions import db

    with seeded.app.app_context():
        _wipe(db)
        for _line in seed(db.session, slug="musterstadt", clock=seeded.clock):
            pass
        db.session.commit()
    return seeded


def test_every_role_has_something_to_do_on_the_demo(pages, demo):
    clerk = pages.new_page()
    login(clerk, "abh.mueller", DEMO_PASSWORD)
    overdue = clerk.locator("tr.is-overdue", has_text="Kursberechtigung ausstellen")
    expect(overdue).to_contain_text("MS-2026-0123")
    expect(overdue).to_contain_text("Ihnen zugewiesen")
    expect(overdue).to_contain_text("überfällig")
    axe_check(clerk, "demo inbox of abh.mueller")
    clerk.goto("/personen?suche=MS-2026-0123")
    clerk.locator("table.data-table tbody tr").first.get_by_role("link").click()
    expect(clerk.locator("main")).to_contain_text("Kursberechtigung ausstellen")
    axe_check(clerk, "demo person overview")

    lead = pages.new_page()
    login(lead, "abh.leitung", DEMO_PASSWORD)
    expect(lead.locator(".bell__count")).to_have_text(re.compile(r"^\d+"))
    lead.get_by_role("link", name="Ganzes Amt").click()
    expect(lead.locator("tr", has_text="Kursberechtigung ausstellen")).to_contain_text(
        "eskaliert an Amtsleitung Ausländerbehörde (Stufe 1)")
    axe_check(lead, "demo inbox of the lead")

    sup = pages.new_page()
    login(sup, "aufsicht", DEMO_PASSWORD)
    expect(sup.locator("#aemter")).to_contain_text("Ausländerbehörde")
    axe_check(sup, "demo overview")
    sup.get_by_role("link", name=re.compile(r"überfällige Aufgaben? in Ausländerbehörde")).click()
    expect(sup.locator("table.tasks")).to_contain_text("Kursberechtigung ausstellen")
    axe_check(sup, "demo drill-down")

    designer = pages.new_page()
    login(designer, "modellierung", DEMO_PASSWORD)
    axe_check(designer, "demo models")
    designer.goto("/modelle/p5_einwilligung/1")
    expect(designer.locator("main")).to_contain_text("Aufgaben der Lane „Anfragende Stelle“ landen beim Amt")
    expect(designer.locator(".notice--warning")).to_have_count(0)
    axe_check(designer, "demo P5 version")
