"""The clerk's task page tells where a legal clock started and which kind of deadline it is."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.web.conftest import sign_in


@pytest.fixture()
def watched(api, clock):
    """A court deadline (§ 74 AsylG) whose clock started at delivery, a week before the task existed."""
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", "AZ-K9").get_json()
    task = case["active_tasks"][0]
    clock.set(datetime.fromisoformat("2026-03-09T10:00:00+01:00"))
    api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": {"zugestellt_am": "2026-03-02"}})
    return next(t for t in api.as_("abh").tasks() if t["instance_id"] == case["id"])["id"]


def test_task_page_shows_trigger_kind_and_day_without_time(app, watched, served):
    """'Frist läuft seit 02.03.2026 (Zustellung des Bescheids)', legal, against the person, due 16.03.2026."""
    page = sign_in(app, "abh").get(f"/aufgaben/{watched}").get_data(as_text=True)
    assert "Frist läuft seit 02.03.2026 (Zustellung des Bescheids)" in page
    assert "gesetzliche Frist, läuft gegen die Person" in page
    assert ">16.03.2026</time>" in page and "16.03.2026 23:59" not in page


def test_inbox_marks_paused_deadlines_as_gehemmt(app, api, watched, served):
    """A paused (gehemmt) deadline shows its old end and 'gehemmt', not 'überfällig'."""
    assert api.as_("super").post(f"/api/tasks/{watched}/pause", {"reason": "Prozesskostenhilfe"}).status_code == 200
    inbox = sign_in(app, "abh").get("/aufgaben").get_data(as_text=True)
    assert "gehemmt" in inbox and "16.03.2026" in inbox and "gesetzliche Frist" in inbox


def test_a_supervisor_pauses_and_resumes_on_the_case_page(app, api, clock, watched, served):
    """Hemmung over the web: reason required, 'gehemmt' shown, resume moves the end by the paused days."""
    from app.extensions import db
    from app.tasks.models import HumanTask
    from tests.web.conftest import csrf

    with app.app_context():
        task = db.session.get(HumanTask, watched)
        instance_id = task.instance_id
    lead = sign_in(app, "super")
    token = csrf(lead, f"/faelle/{instance_id}")
    url = f"/faelle/{instance_id}/aufgaben/{watched}"
    missing = lead.post(url + "/hemmung", data={"csrf_token": token, "art": "hemmung", "grund": ""})
    assert missing.status_code == 303
    assert "Bitte geben Sie einen Grund" in lead.get(f"/faelle/{instance_id}").get_data(as_text=True)
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+01:00"))
    done = lead.post(url + "/hemmung", data={"csrf_token": token, "art": "hemmung", "grund": "PKH-Antrag"})
    assert done.status_code == 303
    page = lead.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "gehemmt" in page and "Frist fortsetzen" in page
    clock.set(datetime.fromisoformat("2026-03-13T09:00:00+01:00"))
    assert lead.post(url + "/fortsetzen", data={"csrf_token": token}).status_code == 303
    assert "jetzt fällig am 19.03.2026" in lead.get(f"/faelle/{instance_id}").get_data(as_text=True)
