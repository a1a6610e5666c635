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
    return [t for t in api.as_("abh").tasks() if t["instance_id"] == case["id"]][0]["id"]


def test_task_page_shows_trigger_kind_and_day_without_time(app, watched, served):
    """'Frist läuft seit 02.03.2026 (Zustellung des Bescheids)', legal, against the person, due 16.03.2026."""
    page = sign_in(app, "abh").get(f"/aufgaben/{watched}").get_data(as_text=True)
    assert "Frist läuft seit 02.03.2026 (Zustellung des Bescheids)" in page
    assert "gesetzliche Frist, läuft gegen die Person" in page
    assert ">16.03.2026</time>" in page and "16.03.2026 23:59" not in page
