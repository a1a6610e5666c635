"""Every problem of a rejected model names an element (or a line), reads as a sentence, and has German words."""
from __future__ import annotations

import pytest

from app.engine.problem_texts import german, is_translated
from tests.conftest import SHARED, needs_shared
from tests.engine.parsing_helpers import (
    BPMN_DIR,
    model,
    problems_of,
    user_task,
)

BAD_MODELS = [
    model('<bpmn:businessRuleTask id="X"/>'),
    model('<bpmn:serviceTask id="X" camunda:class="de.kommune.Delegate"/>'),
    model('<bpmn:sendTask id="X"/>'),
    model(user_task("X", properties={"lotse:dueIn": "bald", "lotse:calendar": "mond"})),
    model('<bpmn:scriptTask id="X" scriptFormat="groovy"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'),
    model(user_task("UT"), executable="false", process_id="Pool_Buerger"),
    (BPMN_DIR / "many_problems.bpmn").read_bytes(),
]


@pytest.mark.parametrize("data", BAD_MODELS)
def test_each_problem_has_a_place_and_german_words(data):
    for problem in problems_of(data, resolve_called=lambda pid: None):
        assert problem.element_id or problem.line, problem
        assert is_translated(problem.message), problem.message


def test_no_executable_process_names_every_process():
    body = ('<bpmn:process id="Amt" isExecutable="false"><bpmn:startEvent id="S2"/></bpmn:process>'
            '<bpmn:collaboration id="C"><bpmn:participant id="Pa" processRef="Amt"/>'
            '<bpmn:participant id="Pb" processRef="Buerger"/></bpmn:collaboration>')
    problems = problems_of(model(user_task("UT"), executable="false", process_id="Buerger", defs=body))
    assert {p.element_id for p in problems} == {"Amt", "Buerger"}
    assert all('isExecutable="true"' in p.message for p in problems)
    assert "ist nicht ausführbar" in german(problems[0].message)


def test_an_unsupported_boundary_event_is_a_sentence_on_its_element():
    boundary = ('<bpmn:boundaryEvent id="B" attachedToRef="UT"><bpmn:compensateEventDefinition/>'
                '</bpmn:boundaryEvent><bpmn:endEvent id="E2"/>'
                '<bpmn:sequenceFlow id="FB" sourceRef="B" targetRef="E2"/>')
    problems = problems_of(model(user_task("UT"), extra=boundary))
    assert problems, problems
    for problem in problems:
        assert "NotImplementedError" not in problem.message and "Unsupported Catch Event" not in problem.message
        assert problem.element_id in {"B", "UT"}, problem


def test_an_unknown_message_is_shown_in_english_and_marked():
    assert german("something entirely new") == "Die Prüfung meldet (englisch): something entirely new"


@needs_shared
def test_every_rejected_conformance_file_is_reported_in_german_with_places():
    files = sorted(p for p in (SHARED / "conformance").rglob("*") if p.suffix in (".bpmn", ".xml"))
    assert len(files) > 50
    rejected = 0
    for path in files:
        try:
            problems = problems_of(path.read_bytes(), resolve_called=lambda pid: None)
        except pytest.fail.Exception:
            continue  # accepted
        rejected += 1
        for problem in problems:
            assert problem.element_id or problem.line, (path.name, problem)
            assert is_translated(problem.message), (path.name, problem.message)
            assert "Error(" not in problem.message, (path.name, problem.message)  # no raw Python exceptions
    assert rejected > 10
