"""Activities with several outgoing flows and link events run as BPMN says (rewritten before the engine)."""
from __future__ import annotations

from app.engine.parsing import parse_bpmn
from app.engine.problem_texts import is_translated
from tests.engine.parsing_helpers import definitions, problems_of, start

SCRIPTS = "".join(f'<bpmn:scriptTask id="T{n}"><bpmn:script>t{n} = True</bpmn:script></bpmn:scriptTask>'
                  for n in range(1, 4))


def branching(flows: str, default: str = "") -> bytes:
    """S -> A (script) -> T1/T2/T3 -> one end event each, with the given flows leaving A."""
    body = (f'<bpmn:startEvent id="S"/><bpmn:scriptTask id="A" {default}><bpmn:script>a = 1</bpmn:script>'
            f'</bpmn:scriptTask>{SCRIPTS}<bpmn:endEvent id="E1"/><bpmn:endEvent id="E2"/><bpmn:endEvent id="E3"/>'
            '<bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="A"/>' + flows +
            "".join(f'<bpmn:sequenceFlow id="G{n}" sourceRef="T{n}" targetRef="E{n}"/>' for n in range(1, 4)))
    return definitions(body)


def flow(n: int, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="F{n}" sourceRef="A" targetRef="T{n}">{cond}</bpmn:sequenceFlow>'


def ran(data: bytes, **variables) -> set[str]:
    wf = start(parse_bpmn(data), **variables)
    assert wf.completed
    return {name for name in ("t1", "t2", "t3") if wf.data.get(name)}


def test_conditional_flows_leaving_a_task_take_each_true_condition_and_the_unconditional_one():
    data = branching(flow(1, "${x &gt; 1}") + flow(2, "${x &gt; 5}") + flow(3))
    assert ran(data, x=3) == {"t1", "t3"}
    assert ran(data, x=9) == {"t1", "t2", "t3"}


def test_the_default_flow_of_a_task_is_taken_only_when_no_condition_holds():
    data = branching(flow(1, "${x == 1}") + flow(2, "${x == 2}") + flow(3), default='default="F3"')
    assert ran(data, x=2) == {"t2"}
    assert ran(data, x=7) == {"t3"}


def test_unconditional_flows_leaving_a_task_all_run():
    assert ran(branching(flow(1) + flow(2) + flow(3))) == {"t1", "t2", "t3"}


LINK = ('<bpmn:startEvent id="S"/><bpmn:intermediateThrowEvent id="Go"><bpmn:linkEventDefinition name="weiter"/>'
        '</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id="There" name="weiter">'
        '<bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateCatchEvent>'
        + SCRIPTS.split("</bpmn:scriptTask>")[0] + '</bpmn:scriptTask><bpmn:endEvent id="E"/>'
        '<bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="Go"/>'
        '<bpmn:sequenceFlow id="F1" sourceRef="There" targetRef="T1"/>'
        '<bpmn:sequenceFlow id="F2" sourceRef="T1" targetRef="E"/>')


def test_a_link_event_continues_at_its_catch_event():
    wf = start(parse_bpmn(definitions(LINK.replace("{name}", "weiter"))))
    assert wf.completed and wf.data["t1"] is True


def test_a_link_without_catch_event_is_named():
    problems = problems_of(definitions(LINK.replace("{name}", "anders")))
    assert any(p.element_id == "Go" and "no link catch event" in p.message for p in problems), problems
    assert all(is_translated(p.message) for p in problems)
