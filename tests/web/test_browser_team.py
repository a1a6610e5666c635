"""Leads and supervisors act in a real browser: the lead sees the escalated task marked and the bell; the supervisor
drills down from an office row to its overdue task, assigns it to a named clerk and moves its deadline with a
reason; the lead enters the clerk's absence with himself as substitute and completes the task "in Vertretung".

Every page visited is checked with axe-core (WCAG 2.1 A/AA).
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from app.engine.calendar import BERLIN
from tests.web.conftest import axe_check, login
from tests.web.test_browser_supervisor import GOOD, complete, instance_of

pytestmark = pytest.mark.browser

NAMES = {"abh": "Aylin Müller", "jc": "Petra Schmidt", "jc_lead": "Murat Demir", "super": "Sabine Krüger"}


def name_people(seeded) -> None:
    """Give the test users full names, as real users have."""
    from sqlalchemy import select

    from app.directory.models import User
    from app.extensions import db

    with seeded.app.app_context():
        for user in db.session.scalars(select(User).where(User.username.in_(NAMES))):
            user.display_name = NAMES[user.username]
        db.session.commit()


def overdue_jobcenter_task(seeded) -> tuple[int, int]:
    """A case handed to the Jobcenter on Monday 2 March whose 5-working-day deadline passed; escalated."""
    from app.deadlines.service import run_deadline_jobs
    from app.extensions import db
    from app.tasks.service import next_tasks
    from app.tasks.models import HumanTask

    first = seeded.start_case("AZ-2026-0700")
    complete(seeded, first)
    case_id = instance_of(seeded, first)
    seeded.clock.set(datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN))  # Wednesday
    with seeded.app.app_context():
        [task] = next_tasks(db.session, db.session.get(HumanTask, first))
        run_deadline_jobs(db.session, clock=seeded.clock, notifier=seeded.app.extensions["lotse_notifier"])
        return case_id, task.id


def test_leads_and_supervisors_act_on_overdue_work(pages, seeded):
    name_people(seeded)
    case_id, task_id = overdue_jobcenter_task(seeded)
    assert GOOD  # the ABH step was completed with the standard answers

    # The lead's inbox marks the escalated task; the bell counts the escalation.
    lead = pages.new_page()
    login(lead, "jc_lead")
    row = lead.locator(f"#task-row-{task_id}")
    expect(row).to_contain_text("eskaliert an Amtsleitung Jobcenter (Stufe 1) am 11.03.2026, 10:00")
    expect(row).to_contain_text("2 Werktage überfällig")
    bell = lead.get_by_role("link", name=re.compile("^Benachrichtigungen"))
    expect(bell).to_have_text(re.compile(r"Benachrichtigungen\s*1 ungelesen"))
    axe_check(lead, "lead inbox with escalation")
    bell.click()
    expect(lead.locator(".note--unread")).to_contain_text("Frist überschritten: Leistungsantrag bearbeiten")
    axe_check(lead, "notifications")
    lead.get_by_role("button", name=re.compile("^Als gelesen markieren")).click()
    expect(lead.locator(".note--unread")).to_have_count(0)
    expect(lead.locator(".bell__count")).to_have_count(0)

    # The supervisor drills down from the office row to its overdue task and assigns it.
    sup = pages.new_page()
    login(sup, "super")
    sup.get_by_role("link", name="1 überfällige Aufgabe in Jobcenter").click()
    expect(sup.get_by_role("heading", level=1)).to_have_text("Jobcenter")
    expect(sup.locator("main")).to_contain_text("1 überfällige Aufgabe")
    axe_check(sup, "office drill-down")
    sup.get_by_label("„Leistungsantrag bearbeiten“ (AZ-2026-0700) zuweisen an").select_option(label="Petra Schmidt")
    sup.get_by_role("button", name=re.compile("^Zuweisen")).click()
    expect(sup.locator("#messages")).to_contain_text("ist jetzt Petra Schmidt zugewiesen")
    expect(sup.locator(f"#task-row-{task_id}")).to_contain_text("Petra Schmidt")
    axe_check(sup, "assigned")

    # ... and moves the deadline: a reason is required, a past date is questioned.
    sup.locator(f"#task-row-{task_id}").get_by_role("link", name="AZ-2026-0700").click()
    sup.wait_for_url(f"**/faelle/{case_id}")
    steps = sup.locator("#aufgaben")
    steps.get_by_label("Neue Frist (deutsche Zeit)").fill("2026-03-10T16:00")
    steps.get_by_role("button", name=re.compile("^Frist verschieben")).click()
    expect(sup.locator("#aufgaben")).to_contain_text("Bitte geben Sie einen Grund für die neue Frist an.")
    axe_check(sup, "due date without reason")
    sup.locator("#aufgaben").get_by_label(re.compile("^Grund für die neue Frist")).fill("Unterlagen nachgefordert")
    sup.locator("#aufgaben").get_by_role("button", name=re.compile("^Frist verschieben")).click()
    expect(sup.locator("#aufgaben")).to_contain_text("10.03.2026, 16:00 liegt in der Vergangenheit")
    axe_check(sup, "past due date questioned")
    sup.locator("#aufgaben").get_by_label("Neue Frist (deutsche Zeit)").fill("2026-03-18T16:00")
    sup.locator("#aufgaben").get_by_role("button", name=re.compile("^Frist verschieben")).click()
    expect(sup.locator("#messages")).to_contain_text("ist jetzt 18.03.2026, 16:00")
    trail = sup.get_by_role("region", name="Protokoll")
    expect(trail).to_contain_text("Aufgabe „Leistungsantrag bearbeiten“ Petra Schmidt zugewiesen")
    expect(trail).to_contain_text("geändert auf 18.03.2026, 16:00 (Grund: Unterlagen nachgefordert)")
    expect(trail).to_contain_text("eskaliert an Amtsleitung Jobcenter (Stufe 1)")
    assert "Sabine Krüger" in trail.inner_text() and "System" in trail.inner_text()
    axe_check(sup, "due date moved")

    # The clerk is told about the assignment.
    clerk = pages.new_page()
    login(clerk, "jc")
    expect(clerk.locator(".bell__count")).to_have_text(re.compile("^1"))

    # The lead enters Petra's absence with himself as substitute and works her task "in Vertretung".
    lead.get_by_role("link", name="Abwesenheit").click()
    axe_check(lead, "absences")
    lead.get_by_label("Wer ist abwesend").select_option(label="Petra Schmidt")
    lead.get_by_label("Bis (einschließlich)").fill("2026-03-09")
    lead.get_by_role("button", name="Abwesenheit speichern").click()
    expect(lead.get_by_role("alert")).to_contain_text("Bitte wählen Sie die Vertretung.")
    axe_check(lead, "absence with errors")
    lead.get_by_label("Vertretung").select_option(label="Murat Demir")
    lead.get_by_role("button", name="Abwesenheit speichern").click()
    expect(lead.get_by_role("alert")).to_contain_text("endet, bevor sie beginnt")
    lead.get_by_label("Bis (einschließlich)").fill("2026-03-13")
    lead.get_by_role("button", name="Abwesenheit speichern").click()
    expect(lead.locator("#messages")).to_contain_text("Die Abwesenheit wurde gespeichert.")
    absent_row = lead.get_by_role("row", name=re.compile("Petra Schmidt"))
    expect(absent_row).to_contain_text("11.03.2026")
    expect(absent_row).to_contain_text("13.03.2026")
    expect(absent_row).to_contain_text("Murat Demir")
    axe_check(lead, "absence saved")

    lead.get_by_role("link", name="Meine Aufgaben").click()
    lead.get_by_role("link", name="Nur meine").click()
    expect(lead.locator("main")).to_contain_text("Sie vertreten heute Petra Schmidt")
    expect(lead.locator(f"#task-row-{task_id}")).to_contain_text("In Vertretung für Petra Schmidt")
    axe_check(lead, "inbox standing in")
    lead.locator(f"#task-row-{task_id}").get_by_role("link", name="Leistungsantrag bearbeiten").click()
    lead.get_by_role("button", name="Abschließen").click()
    lead.wait_for_url(f"**/aufgaben/{task_id}/erledigt")
    lead.goto(f"/faelle/{case_id}")
    expect(lead.get_by_role("region", name="Protokoll")).to_contain_text(
        "Aufgabe „Leistungsantrag bearbeiten“ in Vertretung für Petra Schmidt übernommen")
    axe_check(lead, "case after completion in Vertretung")
