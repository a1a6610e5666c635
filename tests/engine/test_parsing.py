"""Uploaded BPMN parses into what a process designer expects, and runs."""

from datetime import datetime, timedelta

import pytest
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator, TaskState

from app.engine.model import ModelInvalid
from app.engine.parsing import apply_engine_patches, detect_dialect, parse_bpmn
from app.engine.xmlsafe import parse_xml
from tests.conftest import START
from tests.engine.parsing_helpers import (
    BPMN_DIR, CAMUNDA7, definitions, model, needs_conformance, problems_of, start, user_task,
)


def ready(wf):
    return wf.get_tasks(state=TaskState.READY, manual=True)


def by_id(items):
    return {item.element_id: item for item in items}


@pytest.fixture(scope="module")
def camunda_model():
    return parse_bpmn((BPMN_DIR / "camunda_lanes.bpmn").read_bytes())


@pytest.fixture(scope="module")
def spiff_model():
    return parse_bpmn((BPMN_DIR / "spiff_basic.bpmn").read_bytes())


# -- Camunda Modeler file ----------------------------------------------------------------

def test_camunda_file_lists_lanes_user_tasks_and_timers(camunda_model):
    m = camunda_model
    assert (m.dialect, m.main_process_id, m.process_ids) == ("camunda", "Process_Integration", ["Process_Integration"])
    assert m.process_name == "Integrationspfad"
    assert m.lanes == ["Ausländerbehörde", "Jobcenter"]
    assert m.message_names == ["bescheid_erteilt"]
    tasks = by_id(m.user_tasks)
    assert set(tasks) == {"Task_Pruefen", "Task_Beraten", "Task_Nachfassen"}
    pruefen = tasks["Task_Pruefen"]
    assert pruefen.lane == "Ausländerbehörde"
    assert pruefen.candidate_groups == ["abh-sachbearbeitung", "abh-leitung"]
    assert pruefen.form_key == "aufenthalt-pruefen"
    assert (pruefen.due_in, pruefen.calendar, pruefen.remind_before) == ("P14D", "werktage-nrw", "P2D")
    assert pruefen.legal_source == "§ 81 AufenthG"
    assert pruefen.camunda_due_date == "${frist}"
    assert pruefen.documentation == "Aufenthaltstitel und Nebenbestimmungen prüfen."
    assert pruefen.process_id == "Process_Integration"
    beraten = tasks["Task_Beraten"]
    assert (beraten.lane, beraten.form_key, beraten.due_in, beraten.calendar) == (
        "Jobcenter", "beratung", "P1M", "kalendertage")
    assert (beraten.follow_up_in, beraten.camunda_follow_up_date) == ("P7D", "${wiedervorlage}")
    [timer] = m.timers
    assert (timer.element_id, timer.kind, timer.expression) == ("Timer_Erinnerung", "duration", '"PT1H"')
    assert (timer.attached_to, timer.interrupting, timer.process_id) == ("Task_Pruefen", False, "Process_Integration")


def test_lanes_read_from_the_tree_match_the_engine(camunda_model, spiff_model):
    for m in (camunda_model, spiff_model):
        for info in m.user_tasks:
            assert m.spec.task_specs[info.element_id].lane == info.lane


def test_camunda_file_is_normalized_to_python(camunda_model):
    xml = camunda_model.normalized_xml.decode()
    assert "${" not in xml.split("camunda:dueDate")[0]
    assert "(approved == True)" in xml and "(approved == False)" in xml
    assert '>"PT1H"<' in xml
    # Normalizing is idempotent: the stored XML parses to the same facts.
    again = parse_bpmn(camunda_model.normalized_xml)
    assert again.normalized_xml == camunda_model.normalized_xml
    assert again.user_tasks == camunda_model.user_tasks and again.timers == camunda_model.timers


def test_camunda_file_runs_to_the_jobcenter_when_approved(camunda_model):
    wf = start(camunda_model)
    [task] = ready(wf)
    assert (task.task_spec.name, task.task_spec.lane) == ("Task_Pruefen", "Ausländerbehörde")
    assert task.data["fall_status"] == "in_pruefung"  # the Camunda script task ran in the sandbox
    [timer] = wf.waiting_events()
    due = datetime.fromisoformat(timer.value)
    assert due == START + timedelta(hours=1)
    task.data["approved"] = True
    task.run()
    wf.do_engine_steps()
    [task] = ready(wf)
    assert (task.task_spec.name, task.task_spec.lane) == ("Task_Beraten", "Jobcenter")
    assert wf.waiting_events() == []  # completing the task removed its boundary timer
    task.run()
    wf.do_engine_steps()
    assert wf.completed


def test_camunda_file_ends_when_rejected(camunda_model):
    wf = start(camunda_model)
    [task] = ready(wf)
    task.data["approved"] = False
    task.run()
    wf.do_engine_steps()
    assert wf.completed and ready(wf) == []


# -- bpmn-js-spiffworkflow file ----------------------------------------------------------

def test_spiff_file_parses(spiff_model):
    m = spiff_model
    assert (m.dialect, m.main_process_id, m.lanes) == ("spiff", "Process_Kita", ["Sozialamt", "Jugendamt"])
    tasks = by_id(m.user_tasks)
    erfassen, pruefen = tasks["Task_Erfassen"], tasks["Task_Pruefen"]
    assert (erfassen.lane, erfassen.form_key, erfassen.due_in, erfassen.calendar) == (
        "Sozialamt", "bedarf-schema.json", "P5D", "werktage-nrw")
    assert erfassen.legal_source == "§ 24 SGB VIII"
    assert (pruefen.lane, pruefen.form_key, pruefen.due_in) == ("Jugendamt", "platz-pruefen", "P2W")


def test_spiff_file_runs_with_scripts_and_python_conditions(spiff_model):
    wf = start(spiff_model)
    [task] = ready(wf)
    assert task.task_spec.name == "Task_Erfassen"
    assert task.data == {"stunden": 25, "kinder": ["Ali", "Mira"]}  # indented script was dedented
    task.run()
    wf.do_engine_steps()
    [task] = ready(wf)
    assert (task.task_spec.name, task.task_spec.lane) == ("Task_Pruefen", "Jugendamt")
    assert task.data["bedarf_erfasst"] is True  # spiffworkflow:postScript ran


def test_plain_bpmn_uses_the_spiff_parser():
    m = parse_bpmn(model(user_task("UT"), dialect="plain"))
    assert m.dialect == "spiff"
    assert [t.element_id for t in m.user_tasks] == ["UT"]


def test_dialect_detection_prefers_what_is_used():
    both = definitions('<bpmn:startEvent id="S"><bpmn:extensionElements><spiffworkflow:preScript>a = 1'
                       "</spiffworkflow:preScript></bpmn:extensionElements></bpmn:startEvent>", dialect="spiff")
    camunda_ns = b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    both = both.replace(b"xmlns:spiffworkflow", camunda_ns + b"xmlns:spiffworkflow")
    assert detect_dialect(parse_xml(both).getroot()) == "spiff"
    assert detect_dialect(parse_xml(model(dialect="camunda")).getroot()) == "camunda"


def test_embedded_subprocess_tasks_inherit_the_lane():
    body = """<bpmn:laneSet id="LS"><bpmn:lane id="L1" name="Jugendamt"><bpmn:flowNodeRef>S</bpmn:flowNodeRef>
<bpmn:flowNodeRef>SP</bpmn:flowNodeRef><bpmn:flowNodeRef>E</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
<bpmn:startEvent id="S"/>
<bpmn:subProcess id="SP"><bpmn:startEvent id="SP_S"/><bpmn:userTask id="Inner"/><bpmn:endEvent id="SP_E"/>
<bpmn:sequenceFlow id="f1" sourceRef="SP_S" targetRef="Inner"/><bpmn:sequenceFlow id="f2" sourceRef="Inner" targetRef="SP_E"/>
</bpmn:subProcess>
<bpmn:endEvent id="E"/>
<bpmn:sequenceFlow id="f3" sourceRef="S" targetRef="SP"/><bpmn:sequenceFlow id="f4" sourceRef="SP" targetRef="E"/>"""
    m = parse_bpmn(definitions(body))
    [inner] = m.user_tasks
    assert (inner.lane, inner.process_id) == ("Jugendamt", "SP")
    assert m.subprocess_specs["SP"].task_specs["Inner"].lane == "Jugendamt"
    [task] = ready(start(m))
    assert (task.task_spec.name, task.task_spec.lane, task.workflow.spec.name) == ("Inner", "Jugendamt", "SP")


def test_main_process_is_the_one_not_called():
    helper = '<bpmn:process id="Helper" isExecutable="true"><bpmn:startEvent id="HS"/><bpmn:endEvent id="HE"/>' \
             '<bpmn:sequenceFlow id="hf" sourceRef="HS" targetRef="HE"/></bpmn:process>'
    data = model('<bpmn:callActivity id="CA" calledElement="Helper"/>', process_id="Main", defs=helper)
    m = parse_bpmn(data)
    assert (m.main_process_id, m.process_ids, m.called_elements) == ("Main", ["Helper", "Main"], ["Helper"])
    assert set(m.subprocess_specs) == {"Helper"} and m.called_xml == {}
    assert start(m).completed


def test_camunda_collection_is_normalized():
    task = ('<bpmn:userTask id="UT"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${kinder}" '
            'camunda:elementVariable="kind"/></bpmn:userTask>')
    m = parse_bpmn(model(task))
    assert b'camunda:collection="kinder"' in m.normalized_xml


def test_oversized_and_xxe_files_are_rejected(tmp_path):
    padded = (BPMN_DIR / "camunda_lanes.bpmn").read_bytes() + b"<!--" + b"x" * 5_000_000 + b"-->"
    [problem] = problems_of(padded)
    assert problem.code == "xml" and "limit" in problem.message
    secret = tmp_path / "secret.txt"
    secret.write_text("geheim")
    xxe = (f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
    [problem] = problems_of(xxe.encode())
    assert problem.code == "xml" and "DOCTYPE" in problem.message and "geheim" not in str(problem)


# -- conformance files (read in place from ../shared) --------------------------------------

@needs_conformance
def test_conformance_call_activity_resolves_the_deployed_subprocess():
    sub = (CAMUNDA7 / "simpleSubProcess.bpmn20.xml").read_bytes()
    asked = []

    def resolve(process_id):
        asked.append(process_id)
        return sub if process_id == "simpleSubProcess" else None

    m = parse_bpmn((CAMUNDA7 / "CallActivity.testCallSimpleSubProcess.bpmn20.xml").read_bytes(), resolve_called=resolve)
    assert asked == ["simpleSubProcess"]
    assert set(m.called_xml) == {"simpleSubProcess"} and set(m.subprocess_specs) == {"simpleSubProcess"}
    assert m.called_elements == ["simpleSubProcess"]
    assert {(t.element_id, t.process_id) for t in m.user_tasks} == {
        ("taskBeforeSubProcess", "callSimpleSubProcess"), ("taskAfterSubProcess", "callSimpleSubProcess"),
        ("task", "simpleSubProcess")}
    wf = start(m)
    [first] = ready(wf)
    first.run()
    wf.do_engine_steps()
    [inner] = ready(wf)
    assert (inner.task_spec.name, inner.workflow.spec.name) == ("task", "simpleSubProcess")


@needs_conformance
def test_conformance_multiple_boundary_timers():
    m = parse_bpmn((CAMUNDA7 / "BoundaryTimerEventTest.testMultipleTimersOnUserTask.bpmn20.xml").read_bytes())
    assert {(t.element_id, t.expression, t.attached_to, t.interrupting) for t in m.timers} == {
        ("escalationTimer1", '"PT2H"', "firstTask", True),
        ("escalationTimer2", '"PT1H"', "firstTask", True),
        ("escalationTimer3", '"PT3H"', "firstTask", True)}
    dues = sorted(datetime.fromisoformat(e.value) for e in start(m).waiting_events())
    assert dues == [START + timedelta(hours=h) for h in (1, 2, 3)]


@needs_conformance
def test_conformance_candidate_groups():
    m = parse_bpmn((CAMUNDA7 / "TaskAssignmentExtensionsTest.testCandidateGroupsExtension.bpmn20.xml").read_bytes())
    [task] = m.user_tasks
    assert (task.element_id, task.name) == ("theTask", "make profit")
    assert task.candidate_groups == ["management", "accountancy"]


@needs_conformance
@pytest.mark.parametrize("name", [
    "BoundaryTimerNonInterruptingEventTest.testTimerOnEmbeddedSubprocess.bpmn20.xml",
    "IntermediateTimerEventTest.testCatchingTimerEvent.bpmn20.xml",
    "StartTimerEventTest.testStartTimerEventSubProcessWithUserTask.bpmn20.xml",
    "TaskDueDateExtensionsTest.testRelativeDueDate.bpmn20.xml",
    "MessageBoundaryEventTest.testSingleBoundaryMessageEvent.bpmn20.xml",
])
def test_conformance_files_parse_and_start(name):
    m = parse_bpmn((CAMUNDA7 / name).read_bytes())
    wf = start(m)
    assert ready(wf) or wf.waiting_events()


@needs_conformance
def test_conformance_listener_is_reported_not_ignored():
    problems = problems_of((CAMUNDA7 / "TaskListenerTest.testTimeoutTaskListenerDuration.bpmn20.xml").read_bytes())
    assert [(p.element_id, p.code) for p in problems] == [("Task_0bc7eqe", "unsupported")]
    assert "silently do nothing" in problems[0].message


# -- SpiffWorkflow loop stall workaround ---------------------------------------------------

LOOP = """<bpmn:startEvent id="S"/>
<bpmn:scriptTask id="Init"><bpmn:script>counter = 0</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="Merge"/>
<bpmn:scriptTask id="Count"><bpmn:script>counter = counter + 1</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="Split" default="f_done"/>
<bpmn:endEvent id="E"/>
<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Init"/>
<bpmn:sequenceFlow id="f2" sourceRef="Init" targetRef="Merge"/>
<bpmn:sequenceFlow id="f3" sourceRef="Merge" targetRef="Count"/>
<bpmn:sequenceFlow id="f4" sourceRef="Count" targetRef="Split"/>
<bpmn:sequenceFlow id="f_again" sourceRef="Split" targetRef="Merge"><bpmn:conditionExpression>${counter &lt; 400}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_done" sourceRef="Split" targetRef="E"/>"""


def test_gateway_loop_runs_400_iterations():
    m = parse_bpmn(definitions(LOOP))
    wf = start(m)
    assert wf.completed
    assert wf.data["counter"] == 400


def test_without_the_patch_the_loop_stalls_silently(monkeypatch):
    m = parse_bpmn(definitions(LOOP))
    monkeypatch.setattr(TaskIterator.__init__, "__defaults__", (None, 1000, True, None))
    monkeypatch.setattr(BpmnTaskIterator.__init__, "__defaults__", (None, 1000, True, False, None))
    wf = start(m)
    # If this starts failing, SpiffWorkflow fixed the stall and apply_engine_patches can go.
    assert not wf.completed


def test_engine_patch_is_idempotent_and_fails_loudly_on_unknown_defaults(monkeypatch):
    apply_engine_patches()
    apply_engine_patches()
    assert TaskIterator.__init__.__defaults__[1] == BpmnTaskIterator.__init__.__defaults__[1] == 10**9
    monkeypatch.setattr(TaskIterator.__init__, "__defaults__", (None, 500, True, None))
    with pytest.raises(RuntimeError, match="max_depth"):
        apply_engine_patches()


def test_model_invalid_summarizes_every_problem():
    with pytest.raises(ModelInvalid) as info:
        parse_bpmn(model(user_task("UT", properties={"lotse:dueIn": "bald", "lotse:calendar": "mondkalender"})))
    text = str(info.value)
    assert text.startswith("model is invalid: 2 problems")
    assert "[UT] lotse:dueIn 'bald'" in text and "mondkalender" in text


# -- messages ------------------------------------------------------------------------------

@pytest.mark.parametrize("on_message", [False, True])
def test_spiff_message_payload_is_sent(on_message):
    payload = ('<bpmn:extensionElements><spiffworkflow:messagePayload>{"fall": fallnummer}'
               "</spiffworkflow:messagePayload></bpmn:extensionElements>")
    # bpmn-js-spiffworkflow writes the payload on the event definition; older files on bpmn:message.
    defs = f'<bpmn:message id="M" name="bescheid">{payload if on_message else ""}</bpmn:message>'
    throw = ('<bpmn:intermediateThrowEvent id="Send"><bpmn:messageEventDefinition messageRef="M">'
             f'{"" if on_message else payload}</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>')
    m = parse_bpmn(model(throw, dialect="spiff", defs=defs))
    assert m.message_names == ["bescheid"]
    wf = start(m, fallnummer="F-7")
    [event] = wf.get_events()
    assert (event.event_definition.name, event.payload) == ("bescheid", {"fall": "F-7"})


def test_camunda_message_expression_is_the_payload():
    defs = '<bpmn:message id="M" name="bescheid"/>'
    throw = ('<bpmn:intermediateThrowEvent id="Send"><bpmn:messageEventDefinition messageRef="M" '
             'camunda:expression="${fallnummer}"/></bpmn:intermediateThrowEvent>')
    m = parse_bpmn(model(throw, defs=defs))
    [event] = start(m, fallnummer="F-8").get_events()
    # CamundaParser wraps the payload together with camunda:resultVariable.
    assert event.payload == {"payload": "F-8", "result_var": None}
