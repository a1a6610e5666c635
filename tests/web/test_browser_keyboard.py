"""The designer screens with the keyboard only: sign in, upload a rejected and then a changed model, look at a
problem on the diagram, reach the version list with its changes and an older version — Tab, Shift+Tab, Enter and
Space, never the mouse. Every control that takes the focus on the way must show it (a visible focus ring, in view).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PASSWORD, axe_check
from tests.web.test_browser_supervisor import BROKEN, HANDOFF, shape

pytestmark = pytest.mark.browser

# What has the focus: its name as a user hears it, whether it shows the UI's focus ring (a yellow outline with a dark
# edge, so it stands out on white and on dark blue alike) and whether it is in view. A focused diagram canvas shows
# the ring around its frame (the SVG itself sits inside a clipping frame).
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return {name: "", visible: false, inView: false}; }
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = (el.getAttribute("aria-label") || label || el.textContent || "").replace(/\\s+/g, " ").trim();
  const canvas = el.tagName.toLowerCase() === "svg" ? el.closest(".diagram__canvas") : null;
  const style = getComputedStyle(canvas || el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
    && style.outlineColor !== "rgba(0, 0, 0, 0)";
  const box = el.getBoundingClientRect();
  return {name: name, visible: el.matches(":focus-visible") && ring && style.boxShadow !== "none",
          inView: box.bottom > 0 && box.top < window.innerHeight && box.width > 0};
}"""


def focused(page) -> dict:
    """The element with the focus, as FOCUS describes it."""
    return page.evaluate(FOCUS)


def tab_to(page, name: str | re.Pattern, *, back: bool = False, limit: int = 40) -> None:
    """Press Tab (Shift+Tab with back=True) until the focus is on `name`; each stop on the way shows its focus."""
    wanted = re.compile(re.escape(name)) if isinstance(name, str) else name
    stops = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        stops.append(now["name"])
        assert now["visible"] and now["inView"], f"focus not visible on {now} (after {stops})"
        if wanted.search(now["name"]):
            return
    raise AssertionError(f"{name!r} not reached with the keyboard; stops: {stops}")


def choose_file(page, path) -> None:
    """Open the focused file input with Space and pick a file in the dialog."""
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(path))


def test_a_designer_uploads_and_reaches_the_versions_with_the_keyboard_only(page, seeded, tmp_path):
    # Intercept file dialogs from the start: switched on only inside expect_file_chooser, the interception can come
    # too late for a key press that follows at once.
    page.on("filechooser", lambda _chooser: None)
    page.goto("/anmelden")
    tab_to(page, "Benutzername")
    page.keyboard.type("designer")
    tab_to(page, "Passwort")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/modelle")

    broken = tmp_path / "kaputt.bpmn"
    broken.write_text(BROKEN)
    tab_to(page, "BPMN-Datei")
    choose_file(page, broken)
    tab_to(page, "Hochladen und prüfen")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Das Modell wurde nicht bereitgestellt: 2 Probleme")
    expect(summary).to_be_focused()
    assert focused(page)["visible"]
    # "Im Diagramm zeigen" appears once the diagram is drawn (a person is not faster than that).
    expect(page.locator("#report-diagram")).to_have_class(re.compile(r"\bdiagram__canvas--ready\b"))
    tab_to(page, "Im Diagramm zeigen: Problem 2")
    page.keyboard.press("Space")
    expect(shape(page, "ut_pruefen")).to_have_class(re.compile(r"\blotse-mark--focus\b"))
    expect(page.locator("#report-diagram-status")).to_have_text(re.compile("Aufenthaltsstatus prüfen$"))
    tab_to(page, "Diagramm: Hochgeladenes Modell: kaputt.bpmn")  # the canvas (arrow keys move it)
    axe_check(page, "report, canvas focused")

    changed = tmp_path / "geaendert.bpmn"
    changed.write_text(HANDOFF.replace('value="P14D"', 'value="P10D"'))
    tab_to(page, "BPMN-Datei", back=True)
    choose_file(page, changed)
    tab_to(page, "Hochladen und prüfen")
    page.keyboard.press("Enter")
    page.wait_for_url("**/modelle/aufenthalt_leistung/2")
    expect(page.locator("#messages")).to_contain_text("als Version 2 bereitgestellt")

    tab_to(page, "Alle Versionen dieses Prozesses")
    page.keyboard.press("Enter")
    page.wait_for_url("**/modelle/aufenthalt_leistung")
    expect(page.locator("main")).to_contain_text("„Aufenthaltsstatus prüfen“: Frist 14 Tage → 10 Tage")
    axe_check(page, "versions")
    tab_to(page, re.compile("^Version 1$"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/modelle/aufenthalt_leistung/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aufenthalt und Leistung – Version 1")
    tab_to(page, re.compile("^Version 2$"))  # "a newer version exists"
    page.keyboard.press("Enter")
    page.wait_for_url("**/modelle/aufenthalt_leistung/2")
