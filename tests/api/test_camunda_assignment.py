"""Camunda assignment and dates on user tasks: assignee, a single candidate user, candidate groups, dueDate."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tests.engine.parsing_helpers import model


def _task(attrs: str) -> bytes:
    return model(f'<bpmn:userTask id="UT" name="Prüfen" camunda:candidateGroups="Ausländerbehörde" {attrs}/>')


def test_the_assignee_gets_the_task_of_the_office(api):
    api.as_("designer").upload("/api/definitions", _task('camunda:assignee="abh2"'))
    api.start("P", "AZ-A1")
    [task] = api.as_("abh2").tasks(assignee="me")
    assert task["element_id"] == "UT" and task["assignee"] == "abh2"


def test_the_assignee_can_come_from_the_case_data(api):
    api.as_("designer").upload("/api/definitions", _task('camunda:assignee="${sachbearbeitung}"'))
    api.start("P", "AZ-A2", {"sachbearbeitung": "abh2"})
    [task] = api.as_("abh2").tasks(assignee="me")
    assert task["business_key"] == "AZ-A2"


def test_a_single_candidate_user_gets_the_task_and_several_are_refused(api):
    api.as_("designer").upload("/api/definitions", _task('camunda:candidateUsers="abh2"'))
    api.start("P", "AZ-A3")
    assert [t["assignee"] for t in api.as_("abh2").tasks(assignee="me")] == ["abh2"]
    refused = api.as_("designer").upload("/api/definitions", _task('camunda:candidateUsers="abh, abh2"'))
    assert refused.status_code == 422
    [problem] = refused.get_json()["details"]["problems"]
    assert problem["element_id"] == "UT" and "several users" in problem["message"]


def test_a_due_date_expression_sets_the_deadline(api):
    api.as_("designer").upload("/api/definitions", _task('camunda:dueDate="${dateTime().plusDays(14)}" '
                                                         'camunda:followUpDate="${dateTime().plusWeeks(1)}"'))
    api.start("P", "AZ-A4")
    [task] = api.as_("abh").tasks()
    assert task["due_at"].startswith((START + timedelta(days=14)).date().isoformat())
    assert task["follow_up_at"].startswith((START + timedelta(days=7)).date().isoformat())
