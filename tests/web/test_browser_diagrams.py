"""Diagrams you can read and tables that fit: a long process opens zoomed to the current step (case view) or the
busiest activity (heatmap) with legible labels; the heatmap colours by overdue tasks on request; the supervisor's
overview fits 320 px and 200 % zoom. Every page visited is checked with axe-core."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.web.conftest import axe_check, login

pytestmark = pytest.mark.browser

STEPS = 16


def long_model() -> bytes:
    """A chain of 16 tasks (a day each) in the Ausländerbehörde, no layout of its own (Lotse arranges it)."""
    nodes = ['<bpmn:startEvent id="s" name="Beginn"/>']
    flows = []
    previous = "s"
    for number in range(1, STEPS + 1):
        nodes.append(f'<bpmn:userTask id="t{number}" name="Schritt {number} bearbeiten"><bpmn:extensionElements>'
                     '<camunda:properties><camunda:property name="lotse:dueIn" value="P1D"/></camunda:properties>'
                     '</bpmn:extensionElements></bpmn:userTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{number}" sourceRef="{previous}" targetRef="t{number}"/>')
        previous = f"t{number}"
    nodes.append('<bpmn:endEvent id="e" name="Ende"/>')
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="e"/>')
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in
                   ["s", *(f"t{i}" for i in range(1, STEPS + 1)), "e"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="http://lotse.example/test">'
        '<bpmn:process id="lange_kette" name="Lange Kette" isExecutable="true">'
        f'<bpmn:laneSet id="ls"><bpmn:lane id="l" name="Ausländerbehörde">{refs}</bpmn:lane></bpmn:laneSet>'
        + "".join(nodes) + "".join(flows) + "</bpmn:process></bpmn:definitions>").encode()


def start_long_case(seeded, done: int) -> int:
    """Deploy the long model, start a case and complete its first `done` steps; returns the case id."""
    from app.definitions.service import deploy
    from app.extensions import db
    from app.instances.service import start_instance
    from app.tasks.service import complete, list_tasks

    with seeded.app.app_context():
        deploy(db.session, actor=seeded.principal("designer"), data=long_model(), clock=seeded.clock)
        clerk = seeded.principal("abh")
        instance = start_instance(db.session, actor=clerk, process_key="lange_kette", business_key="AZ-2026-0900",
                                  data={}, clock=seeded.clock)
        for _ in range(done):
            [task], _ = list_tasks(db.session, actor=clerk, now=seeded.clock.now(), instance_id=instance.id)
            complete(db.session, actor=clerk, task_id=task.id, data={}, clock=seeded.clock)
        db.session.commit()
        return instance.id


def inside(page, element_id: str, container: str) -> bool:
    """Whether the drawn element lies within the visible diagram frame."""
    shape = page.locator(f'{container} .djs-element[data-element-id="{element_id}"]').bounding_box()
    frame = page.locator(container).bounding_box()
    return (shape is not None and frame["x"] <= shape["x"] and shape["x"] + shape["width"] <= frame["x"] + frame["width"]
            and frame["y"] <= shape["y"] and shape["y"] + shape["height"] <= frame["y"] + frame["height"])


def test_a_long_process_opens_on_the_current_step_and_the_busiest_activity(pages, seeded):
    case_id = start_long_case(seeded, done=11)
    page = pages.new_page()
    login(page, "super")
    page.goto(f"/faelle/{case_id}")
    canvas = page.locator("#case-diagram")
    expect(canvas).to_have_attribute("data-zoom", re.compile(r"^(0\.[89]\d|1\.\d\d)$"))
    assert inside(page, "t12", "#case-diagram")
    assert not inside(page, "t1", "#case-diagram")  # far from the current step: out of view
    axe_check(page, "case view zoomed to the current step")
    page.get_by_role("button", name="Ganzes Diagramm zeigen").click()
    expect(canvas).to_have_attribute("data-zoom", re.compile(r"^0\.[0-7]\d$"))
    assert inside(page, "t1", "#case-diagram")

    seeded.clock.set(seeded.clock.now() + timedelta(days=3))
    page.goto("/aufsicht/prozesse/lange_kette")
    expect(page.locator("#heat-diagram")).to_have_attribute("data-zoom", re.compile(r"^(0\.[89]\d|1\.\d\d)$"))
    assert inside(page, "t12", "#heat-diagram")
    axe_check(page, "heatmap zoomed to the busiest activity")
    page.get_by_label("Färben nach").select_option(label="überfälligen Aufgaben")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("list", name="Legende: überfällige Aufgaben je Tätigkeit")).to_be_visible()
    axe_check(page, "heatmap by overdue tasks")


@pytest.mark.parametrize("width", [320, 640])  # 640 CSS px: a 1280 px window at 200 % zoom
def test_the_supervisor_overview_fits_narrow_screens(pages, seeded, width):
    seeded.start_case("AZ-2026-0901")
    seeded.clock.set(seeded.clock.now() + timedelta(days=20))
    page = pages.new_page(width=width)
    login(page, "super")
    page.goto("/aufsicht")
    expect(page.locator("#aemter")).to_contain_text("Ausländerbehörde")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.locator("#aemter td[data-label]").first).to_be_visible()
    axe_check(page, f"overview at {width} px")
