"""Upload checks of the legal-clock attributes: a designer's mistake is named with its element."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.model import ModelInvalid
from app.engine.parsing import parse_bpmn

FIXTURE = (Path(__file__).parents[1] / "bpmn" / "clocks.bpmn").read_text()


def _with(old: str, new: str) -> bytes:
    assert old in FIXTURE
    return FIXTURE.replace(old, new, 1).encode()


def _problems(xml: bytes) -> list[str]:
    with pytest.raises(ModelInvalid) as caught:
        parse_bpmn(xml)
    return [f"{p.element_id}: {p.message}" for p in caught.value.problems]


def test_clock_attributes_reach_the_summary():
    """User task and timer carry trigger, rule, shift, source and kind."""
    model = parse_bpmn(FIXTURE.encode())
    [task] = [t for t in model.user_tasks if t.element_id == "ut_klagefrist"]
    assert task.clock["due_from"] == "${zugestellt_am}" and task.clock["legal"] is True
    assert (task.clock["rule"], task.clock["shift"], task.clock["against"]) == ("ereignis", "bgb193", "person")
    [timer] = model.timers
    assert (timer.clock["due_in"], timer.clock["legal_source"]) == ("P14D", "§ 74 Abs. 1 AsylG")


@pytest.mark.parametrize("old, new, expected", [
    ('name="lotse:dueFromLabel"', 'name="lotse:rule" value="tage" /><camunda:property name="lotse:x"',
     "lotse:rule 'tage' is unknown"),
    ('value="${zugestellt_am}" />', 'value="gestern" />', "is not a trigger"),
    ('value="${zugestellt_am}" />', 'value="completed:ut_gibtsnicht" />', "no user task with id 'ut_gibtsnicht'"),
    ('value="${zugestellt_am}" />', 'value="message:Unbekannt" />', "no message named 'Unbekannt'"),
    ('<camunda:property name="lotse:against" value="person" />',
     '<camunda:property name="lotse:against" value="behoerde" />', "lotse:against 'behoerde' is unknown"),
])
def test_bad_attributes_are_named(old, new, expected):
    """Unknown rules, triggers and references are rejected at upload with the element named."""
    assert any(expected in p and p.startswith("ut_klagefrist") for p in _problems(_with(old, new)))


def test_backwards_offset_needs_a_trigger():
    """'-P3M' counts back from a date; without lotse:dueFrom there is nothing to count from."""
    xml = _with('<camunda:property name="lotse:dueFrom" value="${zugestellt_am}" />\n          <camunda:property '
                'name="lotse:dueFromLabel" value="Zustellung des Bescheids" />\n          <camunda:property '
                'name="lotse:dueIn" value="P14D" />', '<camunda:property name="lotse:dueIn" value="-P3M" />')
    assert any("lotse:dueIn '-P3M'" in p for p in _problems(xml))


def test_backwards_offset_with_trigger_is_accepted():
    """§ 81 Abs. 4 AufenthG: 3 months before the title expires."""
    model = parse_bpmn(_with('<camunda:property name="lotse:dueIn" value="P14D" />',
                             '<camunda:property name="lotse:dueIn" value="-P3M" />'))
    [task] = [t for t in model.user_tasks if t.element_id == "ut_klagefrist"]
    assert task.due_in == "-P3M"


def test_werktage_months_are_rejected_on_timers():
    """A boundary timer counting months of Werktage has no legal reading."""
    xml = _with('<camunda:property name="lotse:legalSource" value="§ 74 Abs. 1 AsylG" />\n        </camunda:properties>'
                '\n      </bpmn:extensionElements>\n      <bpmn:outgoing>d',
                '<camunda:property name="lotse:calendar" value="werktage-nrw" />\n        </camunda:properties>'
                '\n      </bpmn:extensionElements>\n      <bpmn:outgoing>d')
    xml = xml.replace(b"<bpmn:timeDuration>P14D", b"<bpmn:timeDuration>P1M")
    assert any(p.startswith("bt_frist") and "whole days" in p for p in _problems(xml))


def test_legal_marking_needs_a_source():
    """lotse:deadline='legal' without lotse:legalSource: a legal deadline must name its law."""
    xml = _with('<camunda:property name="lotse:legalSource" value="§ 74 Abs. 1 AsylG" />\n          '
                '<camunda:property name="lotse:against"', '<camunda:property name="lotse:deadline" value="legal" />'
                '\n          <camunda:property name="lotse:against"')
    assert any("needs lotse:legalSource" in p for p in _problems(xml))


def test_trigger_without_period_is_rejected():
    """lotse:dueFrom alone would compute nothing: the designer is told to add lotse:dueIn."""
    xml = _with('<camunda:property name="lotse:dueIn" value="P14D" />', "")
    assert any("needs lotse:dueIn" in p for p in _problems(xml))


def test_pauses_must_name_a_user_task_and_a_known_mode():
    """lotse:pauses points at a user task of the model; lotse:pauseMode is hemmung or unterbrechung."""
    xml = _with('<camunda:property name="lotse:against" value="person" />',
                '<camunda:property name="lotse:pauses" value="ut_fehlt" />'
                '<camunda:property name="lotse:pauseMode" value="halt" />')
    problems = _problems(xml)
    assert any("lotse:pauses 'ut_fehlt'" in p for p in problems)
    assert any("lotse:pauseMode 'halt' is unknown" in p for p in problems)
