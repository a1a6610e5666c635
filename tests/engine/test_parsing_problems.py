"""Bad models are rejected at upload with problems that name the BPMN element."""

import pytest

from tests.engine.parsing_helpers import (
    BPMN_DIR, definitions, gateway_model, model, problems_of, timer_catch, user_task,
)

EVIL = "__import__('os').system('id')"


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_xsd_error_names_line_and_element():
    body = '<bpmn:startEvent id="S"/>\n<bpmn:userTassk id="UT"/>\n<bpmn:endEvent id="E"/>'
    data = definitions(body)
    line = data.decode().splitlines().index('<bpmn:userTassk id="UT"/>') + 1
    problem = only(problems_of(data))
    assert (problem.code, problem.line, problem.element_id) == ("xsd", line, "UT")
    assert "bpmn:userTassk" in problem.message and "{http" not in problem.message


@pytest.mark.parametrize(("element", "fragment"), [
    ('<bpmn:businessRuleTask id="X" camunda:decisionRef="gebuehr"/>', "DMN decisions are not supported yet"),
    ('<bpmn:serviceTask id="X" camunda:class="de.kommune.Delegate"/>', "camunda:class"),
    ('<bpmn:serviceTask id="X" camunda:delegateExpression="${bean}"/>', "camunda:delegateExpression"),
    ('<bpmn:serviceTask id="X" camunda:type="connector"/>', "camunda:type"),
    ('<bpmn:serviceTask id="X" camunda:type="external"/>', "needs a camunda:topic"),
    ('<bpmn:sendTask id="X"/>', "send task without a message"),
    ('<bpmn:scriptTask id="X" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "scriptFormat 'javascript'"),
    ('<bpmn:userTask id="X"><bpmn:extensionElements><camunda:executionListener event="start" '
     'expression="${x}"/></bpmn:extensionElements></bpmn:userTask>', "listener would silently do nothing"),
    ('<bpmn:userTask id="X"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="a">1'
     '</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>', "inputOutput"),
    ('<bpmn:callActivity id="X" calledElement="Sub"><bpmn:extensionElements><camunda:in source="a" target="b"/>'
     '</bpmn:extensionElements></bpmn:callActivity>', "camunda:in"),
    ('<bpmn:callActivity id="X" calledElement="${welcher}"/>', "dynamic calledElement"),
    (user_task("X", attrs='camunda:candidateGroups="${gruppen}"'), "dynamic camunda:candidateGroups"),
])
def test_unsupported_features_are_reported(element, fragment):
    problems = problems_of(model(element), resolve_called=lambda pid: None)
    assert any(p.element_id == "X" and p.code == "unsupported" and fragment in p.message for p in problems), problems


@pytest.mark.parametrize("resolver", [None, lambda process_id: None])
def test_missing_call_activity_target(resolver):
    problem = only(problems_of(model('<bpmn:callActivity id="CA_Beratung" calledElement="Beratung"/>'),
                               resolve_called=resolver))
    assert (problem.element_id, problem.code) == ("CA_Beratung", "call_target")
    assert problem.message == "called process 'Beratung' is not deployed"


def test_resolved_model_without_the_process_is_reported():
    problem = only(problems_of(model('<bpmn:callActivity id="CA" calledElement="Beratung"/>'),
                               resolve_called=lambda pid: model(process_id="Anderes")))
    assert (problem.element_id, problem.code) == ("CA", "call_target")
    assert "no process with id 'Beratung'" in problem.message


def test_condition_with_python_escape_is_rejected():
    problem = only(problems_of(gateway_model(f"{EVIL} == 0")))
    assert (problem.element_id, problem.code) == ("F_cond", "expression")
    assert "__import__" in problem.message


def test_juel_condition_with_method_call_is_rejected():
    problem = only(problems_of(gateway_model("${antrag.getStatus() == 'neu'}")))
    assert (problem.element_id, problem.code) == ("F_cond", "expression")


def test_script_with_python_escape_is_rejected():
    script = f'<bpmn:scriptTask id="ST"><bpmn:script>r = {EVIL}</bpmn:script></bpmn:scriptTask>'
    problem = only(problems_of(model(script)))
    assert (problem.element_id, problem.code) == ("ST", "expression")


def test_pre_script_with_python_escape_is_rejected():
    task = (f'<bpmn:userTask id="UT"><bpmn:extensionElements><spiffworkflow:preScript>r = {EVIL}'
            "</spiffworkflow:preScript></bpmn:extensionElements></bpmn:userTask>")
    problem = only(problems_of(model(task, dialect="spiff")))
    assert (problem.element_id, problem.code) == ("UT", "expression")
    assert "preScript" in problem.message


def test_timer_with_python_escape_is_rejected():
    problem = only(problems_of(model(timer_catch("timeDuration", f'{EVIL} or "PT1H"'))))
    assert (problem.element_id, problem.code) == ("Wait", "expression")


def test_message_payload_and_correlation_expressions_are_checked():
    defs = (f'<bpmn:message id="M" name="bescheid"/><bpmn:correlationProperty id="CP" name="fall">'
            f'<bpmn:correlationPropertyRetrievalExpression messageRef="M"><bpmn:formalExpression>{EVIL}'
            "</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>")
    throw = (f'<bpmn:intermediateThrowEvent id="Send"><bpmn:messageEventDefinition messageRef="M">'
             f"<bpmn:extensionElements><spiffworkflow:messagePayload>{{'x': {EVIL}}}</spiffworkflow:messagePayload>"
             "</bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>")
    problems = problems_of(model(throw, dialect="spiff", defs=defs))
    assert {(p.element_id, p.code) for p in problems} == {("CP", "expression"), ("Send", "expression")}


@pytest.mark.parametrize(("tag", "text", "fragment"), [
    ("timeDuration", "PT1D", "not PT1D"),
    ("timeDuration", '"PT1D"', "not PT1D"),
    ("timeDuration", "P2W1D", "weeks"),
    ("timeDuration", "14 Tage", "neither an ISO 8601 duration literal"),
    ("timeDate", "2026-12-01T09:00:00", "needs an offset or Z"),
    ("timeDate", "01.12.2026", "neither an ISO 8601 date literal"),
    ("timeCycle", "0 0 9 * * ?", "neither an ISO 8601 cycle literal"),
    ("timeCycle", "R3/PT1D", "not PT1D"),
    ("timeCycle", "R/2026-12-01T09:00:00/P1D", "needs an offset or Z"),
    ("timeDuration", "  ", "is empty"),
])
def test_bad_timer_literals_name_the_event(tag, text, fragment):
    problem = only(problems_of(model(timer_catch(tag, text))))
    assert problem.element_id == "Wait" and problem.code in ("timer", "expression")
    assert fragment in problem.message


@pytest.mark.parametrize(("properties", "fragment"), [
    ({"lotse:dueIn": "14 Tage"}, "lotse:dueIn '14 Tage' is not an ISO 8601 duration"),
    ({"lotse:dueIn": "PT1D"}, "lotse:dueIn 'PT1D'"),
    ({"lotse:dueIn": "-P1D"}, "lotse:dueIn '-P1D'"),
    ({"lotse:dueIn": "P14D", "lotse:remindBefore": "zwei Tage"}, "lotse:remindBefore"),
    ({"lotse:followUpIn": "P"}, "lotse:followUpIn"),
    ({"lotse:dueIn": "P14D", "lotse:calendar": "werktage-bayern"}, "lotse:calendar 'werktage-bayern' is unknown"),
    ({"lotse:remindBefore": "P2D"}, "needs a deadline"),
    ({"lotse:dueln": "P14D"}, "unknown property 'lotse:dueln'"),
])
@pytest.mark.parametrize("dialect", ["camunda", "spiff"])
def test_bad_task_properties_name_the_user_task(properties, fragment, dialect):
    problem = only(problems_of(model(user_task("UT_Frist", properties=properties, dialect=dialect), dialect=dialect)))
    assert (problem.element_id, problem.code) == ("UT_Frist", "property")
    assert fragment in problem.message


def test_element_id_start_is_reserved():
    body = ('<bpmn:startEvent id="Start"/><bpmn:endEvent id="E"/>'
            '<bpmn:sequenceFlow id="F" sourceRef="Start" targetRef="E"/>')
    problem = only(problems_of(definitions(body)))
    assert (problem.element_id, problem.code) == ("Start", "reserved_id")
    assert "reserved" in problem.message and "rename" in problem.message


def test_no_executable_process():
    problem = only(problems_of(model(user_task("UT"), executable="false", process_id="Pool_Buerger")))
    assert (problem.element_id, problem.code) == ("Pool_Buerger", "structure")
    assert 'isExecutable="true"' in problem.message and "Pool_Buerger" in problem.message


GATEWAY_WITHOUT_CONDITION = (
    '<bpmn:startEvent id="S"/><bpmn:exclusiveGateway id="GW"/><bpmn:endEvent id="E1"/><bpmn:endEvent id="E2"/>'
    '<bpmn:sequenceFlow id="a" sourceRef="S" targetRef="GW"/>'
    '<bpmn:sequenceFlow id="b" sourceRef="GW" targetRef="E1"/>'
    '<bpmn:sequenceFlow id="c" sourceRef="GW" targetRef="E2"/>')


def test_engine_structure_errors_name_the_element():
    problem = only(problems_of(definitions(GATEWAY_WITHOUT_CONDITION)))
    assert problem.element_id in ("GW", "b") and problem.code == "structure"
    assert "no condition and is not the default flow" in problem.message


def test_flow_node_without_id_is_reported():
    problem = only(problems_of(model(extra='<bpmn:userTask name="ohne id"/>')))
    assert (problem.code, problem.element_id) == ("structure", "P")
    assert "bpmn:userTask has no id" in problem.message


def test_not_bpmn_is_rejected():
    problem = only(problems_of(b"<html><body/></html>"))
    assert problem.code == "xml" and "not a BPMN 2.0 document" in problem.message


def test_all_problems_of_one_file_are_reported():
    problems = problems_of((BPMN_DIR / "many_problems.bpmn").read_bytes())
    found = {(p.element_id, p.code) for p in problems}
    assert found >= {
        ("Start", "reserved_id"),
        ("Task_Regel", "unsupported"),
        ("Task_Java", "unsupported"),
        ("Task_Skript", "unsupported"),
        ("Task_Frist", "property"),
        ("Task_Frist", "unsupported"),
        ("Timer_Falsch", "timer"),
        ("Flow_Boese", "expression"),
    }
    assert sum(p.element_id == "Task_Frist" and p.code == "property" for p in problems) == 2
    assert all(p.line for p in problems)


def test_condition_on_a_flow_leaving_a_task_is_reported():
    body = ('<bpmn:startEvent id="S"/><bpmn:userTask id="UT"/><bpmn:endEvent id="E"/>'
            '<bpmn:sequenceFlow id="a" sourceRef="S" targetRef="UT"/>'
            '<bpmn:sequenceFlow id="b" sourceRef="UT" targetRef="E">'
            "<bpmn:conditionExpression>${ok}</bpmn:conditionExpression></bpmn:sequenceFlow>")
    problem = only(problems_of(definitions(body)))
    assert (problem.element_id, problem.code) == ("b", "unsupported")
    assert "would be ignored" in problem.message


def test_camunda_8_models_are_reported():
    data = model(dialect="plain").replace(
        b'id="Defs"', b'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" zeebe:x="1" id="Defs"')
    problem = only(problems_of(data))
    assert problem.code == "unsupported" and "Zeebe" in problem.message


def test_problems_inside_a_called_model_say_where_they_are():
    called = gateway_model(f"{EVIL} == 0", process_id="Beratung")
    problem = only(problems_of(model('<bpmn:callActivity id="CA" calledElement="Beratung"/>'),
                               resolve_called=lambda pid: called))
    assert (problem.element_id, problem.code) == ("F_cond", "expression")
    assert problem.message.startswith("called process 'Beratung': ")


def test_engine_errors_inside_a_called_model_say_where_they_are():
    called = definitions(GATEWAY_WITHOUT_CONDITION, process_id="Beratung")
    problem = only(problems_of(model('<bpmn:callActivity id="CA" calledElement="Beratung"/>'),
                               resolve_called=lambda pid: called))
    assert problem.element_id in ("GW", "b") and problem.code == "structure"
    assert problem.message.startswith("called process 'Beratung': the flow leaving an exclusive gateway")
