"""camunda:dueDate and followUpDate as people write them in Camunda models, evaluated without eval."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.engine.calendar import due_at
from app.engine.juel_dates import date_expression_error, evaluate_date
from app.engine.problem_texts import is_translated
from tests.conftest import needs_shared
from tests.engine.parsing_helpers import model, problems_of, user_task

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("${dateTime().plusDays(14)}", {}, datetime(2026, 3, 16, 8, 0, tzinfo=UTC)),
    ("${dateTime().plusWeeks(2).toDate()}", {}, datetime(2026, 3, 16, 8, 0, tzinfo=UTC)),
    ("${now().plusMonths(1)}", {}, datetime(2026, 4, 2, 8, 0, tzinfo=UTC)),
    ("${dateTime().plusDays(frist)}", {"frist": 3}, datetime(2026, 3, 5, 8, 0, tzinfo=UTC)),
    ("${eingang.plusMonths(3).minusDays(1)}", {"eingang": date(2026, 1, 31)},
     datetime(2026, 4, 29, 0, 0, tzinfo=UTC)),
    ("${termin}", {"termin": "2026-05-04T10:00:00+02:00"}, datetime(2026, 5, 4, 8, 0, tzinfo=UTC)),
    # A period is a deadline: it ends with its last day (the calendar module's rule, as for lotse:dueIn).
    ("${dauer}", {"dauer": "P2D"}, due_at(NOW, "P2D")),
    ("P1W", {}, due_at(NOW, "P1W")),
])
def test_date_expressions_give_the_moment(text, data, expected):
    assert date_expression_error(text) is None
    assert evaluate_date(text, NOW, data) == expected


@pytest.mark.parametrize("text", ["${dateTime().plusFortnights(1)}", "${dateTime().plusDays(1+1)}",
                                  "${Runtime.getRuntime()}", "morgen", "2026-12-01T09:00:00"])
def test_anything_else_is_named(text):
    assert date_expression_error(text)


def test_a_missing_variable_gives_no_date_rather_than_a_wrong_one():
    assert evaluate_date("${dateTime().plusDays(frist)}", NOW, {}) is None


def test_an_unsupported_due_date_is_rejected_at_upload_naming_the_task():
    problems = problems_of(model(user_task("UT", attrs='camunda:dueDate="${dateTime().plusFortnights(1)}"')))
    [problem] = problems
    assert problem.element_id == "UT" and "plusFortnights" in problem.message
    assert is_translated(problem.message)


@needs_shared
def test_bpmn_performers_from_camunda_fixtures_are_read_not_ignored():
    from app.engine.parsing import parse_bpmn
    from tests.engine.parsing_helpers import CAMUNDA7

    def task(name):
        [info] = parse_bpmn((CAMUNDA7 / name).read_bytes()).user_tasks
        return info.assignee, sorted(info.candidate_groups)

    assert task("TaskAssigneeTest.testTaskAssignee.bpmn20.xml") == ("kermit", [])
    assert task("TaskCandidateTest.testMixedCandidateUserAndGroup.bpmn20.xml") == ("kermit", ["sales"])
    assert task("TaskCandidateTest.testMultipleCandidateGroups.bpmn20.xml") == (None, ["accountancy", "management"])
