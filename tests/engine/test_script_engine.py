"""SpiffWorkflow integration tests for the sandboxed script engine."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from app.engine.expressions import ExpressionError
from app.engine.script_engine import SandboxEnvironment, make_script_engine
from tests.conftest import START

FALLNUMMER_SCRIPT = 'fallnummer = "F-" + str(antragsteller_id)'


def _bpmn(condition: str = "amount &gt; 1000", script: str = FALLNUMMER_SCRIPT, timer: str = '"PT1H"') -> bytes:
    """Start -> script -> XOR(condition / default) -> script per branch -> timer -> end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://lotse.test">
  <bpmn:process id="antrag" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="ST_Fallnummer"/>
    <bpmn:scriptTask id="ST_Fallnummer" name="Fallnummer bilden">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="ST_Fallnummer" targetRef="GW_Betrag"/>
    <bpmn:exclusiveGateway id="GW_Betrag" name="Betrag?" default="f_klein">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_gross</bpmn:outgoing><bpmn:outgoing>f_klein</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_gross" sourceRef="GW_Betrag" targetRef="ST_Gross">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_klein" sourceRef="GW_Betrag" targetRef="ST_Klein"/>
    <bpmn:scriptTask id="ST_Gross"><bpmn:incoming>f_gross</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>pfad = "gross"</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="ST_Klein"><bpmn:incoming>f_klein</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>pfad = "klein"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="ST_Gross" targetRef="Timer_Warten"/>
    <bpmn:sequenceFlow id="f4" sourceRef="ST_Klein" targetRef="Timer_Warten"/>
    <bpmn:intermediateCatchEvent id="Timer_Warten">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="Timer_Warten" targetRef="EndEvent_1"/>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>""".encode()


def _workflow(xml: bytes, **data) -> BpmnWorkflow:
    parser = BpmnParser()
    parser.add_bpmn_str(xml)
    wf = BpmnWorkflow(parser.get_spec("antrag"), parser.get_subprocess_specs("antrag"),
                      script_engine=make_script_engine())
    wf.task_tree.data.update(data)  # initial data belongs on the root task, not wf.data
    return wf


def _completed(wf: BpmnWorkflow) -> set[str]:
    return {t.task_spec.name for t in wf.get_tasks(state=TaskState.COMPLETED)}


def test_make_script_engine_is_a_python_script_engine_with_the_sandbox():
    engine = make_script_engine()
    assert isinstance(engine, PythonScriptEngine)
    assert isinstance(engine.environment, SandboxEnvironment)


@pytest.mark.parametrize(("condition", "amount", "branch"), [
    ("amount &gt; 1000", 5000, "ST_Gross"),
    ("amount &gt; 1000", 10, "ST_Klein"),
    ("${amount &gt; 1000}", 5000, "ST_Gross"),  # Camunda Modeler JUEL works at runtime too
    ("#{amount gt 1000}", 10, "ST_Klein"),
])
def test_gateway_script_and_timer_run_in_the_sandbox(condition, amount, branch):
    wf = _workflow(_bpmn(condition), amount=amount, antragsteller_id=4711)
    wf.do_engine_steps()

    done = _completed(wf)
    assert {"ST_Fallnummer", "GW_Betrag", branch} <= done
    other_branch = ({"ST_Gross", "ST_Klein"} - {branch}).pop()
    assert other_branch not in done
    timer = wf.get_next_task(spec_name="Timer_Warten")
    assert timer.state == TaskState.WAITING
    assert timer.data["fallnummer"] == "F-4711"
    assert timer.data["pfad"] == ("gross" if branch == "ST_Gross" else "klein")
    # The quoted timer text "PT1H" evaluated to the string and was parsed as a duration.
    due = datetime.fromisoformat(timer.internal_data["event_value"])
    assert due == START + timedelta(hours=1)


def _expect_incident(xml: bytes, task_name: str, **data) -> WorkflowTaskException:
    wf = _workflow(xml, **data)
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.task.task_spec.name == task_name
    assert info.value.error_type == "ExpressionError"
    return info.value


@pytest.mark.parametrize(("xml", "task_name"), [
    (_bpmn(script="__import__('os').system('touch {marker}')"), "ST_Fallnummer"),
    (_bpmn(script="r = __import__('os').system('touch {marker}')"), "ST_Fallnummer"),
    (_bpmn(condition="__import__('os').system('touch {marker}') == 0"), "GW_Betrag"),
    (_bpmn(timer="__import__('os').system('touch {marker}') or &quot;PT1H&quot;"), "Timer_Warten"),
])
def test_malicious_models_fail_without_executing(tmp_path, xml, task_name):
    marker = tmp_path / "pwned_lotse"
    error = _expect_incident(xml.replace(b"{marker}", str(marker).encode()), task_name,
                             amount=5000, antragsteller_id=1)
    assert "allowed" in str(error)
    assert not marker.exists()


def test_script_error_reports_task_line_and_reason():
    error = _expect_incident(_bpmn(script="a = 1\nb = fehlt + 1"), "ST_Fallnummer", amount=1, antragsteller_id=1)
    assert error.line_number == 2
    assert error.error_line == "b = fehlt + 1"
    assert "unknown variable 'fehlt'" in str(error)
    assert error.task.state == TaskState.ERROR


def test_condition_error_reports_reason():
    error = _expect_incident(_bpmn(condition="betrag &gt; 1000"), "GW_Betrag", amount=1, antragsteller_id=1)
    assert "Error evaluating expression 'betrag > 1000'" in str(error)
    assert "unknown variable 'betrag'" in str(error)


def test_unquoted_camunda_timer_is_an_incident_not_code():
    error = _expect_incident(_bpmn(timer="PT1H"), "Timer_Warten", amount=1, antragsteller_id=1)
    assert "unknown variable 'PT1H'" in str(error)


def test_deserialized_workflow_needs_the_sandbox_engine_again():
    wf = _workflow(_bpmn(), amount=5000, antragsteller_id=7)
    serializer = BpmnWorkflowSerializer()
    restored = serializer.deserialize_json(serializer.serialize_json(wf))
    # SpiffWorkflow silently falls back to its eval()-based engine on restore.
    assert not isinstance(restored.script_engine.environment, SandboxEnvironment)
    restored.script_engine = make_script_engine()
    restored.do_engine_steps()
    assert restored.get_next_task(spec_name="Timer_Warten").data["fallnummer"] == "F-7"


def test_environment_external_context_and_writes():
    env = SandboxEnvironment()
    data = {"a": 1}
    assert env.evaluate("a + obj", data, {"obj": 2, "a": 100}) == 3  # task data wins
    assert env.execute("b = a + obj", data, {"obj": 2}) is True
    assert data == {"a": 1, "b": 3}  # external values are not copied into task data
    with pytest.raises(ExpressionError):
        env.call_service(data, operation_name="send_mail")


def test_validate_keeps_syntax_error_for_spiff_dmn():
    engine = make_script_engine()
    engine.validate("amount > 1000")
    engine.validate("${amount > 1000}")
    with pytest.raises(SyntaxError):
        engine.validate(">= 2")
    with pytest.raises(ExpressionError):
        engine.validate("().__class__")
