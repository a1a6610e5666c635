"""Timer kinds beyond boundaries: event sub-process starts, cycles, event-based gateways."""
from __future__ import annotations

from app.extensions import db
from app.scheduler.service import fire_due_timers
from tests.conftest import SHARED, needs_shared

CAMUNDA7 = SHARED / "conformance" / "executable" / "camunda7"

CYCLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">
  <bpmn:process id="zyklus" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Jobcenter">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>ut</bpmn:flowNodeRef><bpmn:flowNodeRef>bt</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>ut_mahnung</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef><bpmn:flowNodeRef>e2</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ut" name="Unterlagen anfordern"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="bt" cancelActivity="false" attachedToRef="ut"><bpmn:outgoing>c</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="ut_mahnung" name="Mahnung senden"><bpmn:incoming>c</bpmn:incoming><bpmn:outgoing>d</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="e2"><bpmn:incoming>d</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="ut" />
    <bpmn:sequenceFlow id="b" sourceRef="ut" targetRef="e" />
    <bpmn:sequenceFlow id="c" sourceRef="bt" targetRef="ut_mahnung" />
    <bpmn:sequenceFlow id="d" sourceRef="ut_mahnung" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>"""

RACE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="t">
  <bpmn:message id="m" name="Nachweis_eingegangen" />
  <bpmn:process id="nachweis_oder_frist" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Jobcenter">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>g</bpmn:flowNodeRef><bpmn:flowNodeRef>msg</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>tmr</bpmn:flowNodeRef><bpmn:flowNodeRef>ut_pruefen</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>ut_versagen</bpmn:flowNodeRef><bpmn:flowNodeRef>e1</bpmn:flowNodeRef><bpmn:flowNodeRef>e2</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:eventBasedGateway id="g"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b1</bpmn:outgoing><bpmn:outgoing>b2</bpmn:outgoing></bpmn:eventBasedGateway>
    <bpmn:intermediateCatchEvent id="msg"><bpmn:incoming>b1</bpmn:incoming><bpmn:outgoing>c1</bpmn:outgoing>
      <bpmn:messageEventDefinition id="md" messageRef="m" /></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="tmr"><bpmn:incoming>b2</bpmn:incoming><bpmn:outgoing>c2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>P14D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="ut_pruefen" name="Nachweis prüfen"><bpmn:incoming>c1</bpmn:incoming><bpmn:outgoing>d1</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="ut_versagen" name="Versagung prüfen"><bpmn:incoming>c2</bpmn:incoming><bpmn:outgoing>d2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e1"><bpmn:incoming>d1</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="e2"><bpmn:incoming>d2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="g" />
    <bpmn:sequenceFlow id="b1" sourceRef="g" targetRef="msg" />
    <bpmn:sequenceFlow id="b2" sourceRef="g" targetRef="tmr" />
    <bpmn:sequenceFlow id="c1" sourceRef="msg" targetRef="ut_pruefen" />
    <bpmn:sequenceFlow id="c2" sourceRef="tmr" targetRef="ut_versagen" />
    <bpmn:sequenceFlow id="d1" sourceRef="ut_pruefen" targetRef="e1" />
    <bpmn:sequenceFlow id="d2" sourceRef="ut_versagen" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>"""


def _deploy(api, content: bytes):
    response = api.as_("designer").upload("/api/definitions", content)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _elements(api, user, **params):
    return sorted(t["element_id"] for t in api.as_(user).tasks(**params))


@needs_shared
def test_event_subprocess_timer_starts_next_to_the_main_task(api, clock):
    _deploy(api, (CAMUNDA7 / "StartTimerEventTest.testStartTimerEventSubProcessWithUserTask.bpmn20.xml").read_bytes())
    case = api.start("startTimerEventSubProcessWithUserTask", "AZ-E1", user="admin").get_json()
    assert _elements(api, "admin", instance_id=case["id"]) == ["userTask"]
    clock.advance(minutes=2)
    fire_due_timers(db.session, clock=clock)
    assert _elements(api, "admin", instance_id=case["id"]) == ["subprocessUserTask", "userTask"]
    clock.advance(hours=1)
    fire_due_timers(db.session, clock=clock)
    assert _elements(api, "admin", instance_id=case["id"]) == ["secondSubprocessUserTask", "subprocessUserTask",
                                                               "userTask"]


def test_cycle_fires_three_times_and_catches_up_after_an_outage(api, clock):
    _deploy(api, CYCLE.encode())
    case = api.start("zyklus", "AZ-C1", user="jc").get_json()
    clock.advance(hours=1, minutes=1)
    fire_due_timers(db.session, clock=clock)
    assert _elements(api, "jc").count("ut_mahnung") == 1
    clock.advance(hours=10)  # the scheduler was down; the two remaining cycles are overdue
    fire_due_timers(db.session, clock=clock)
    assert _elements(api, "jc").count("ut_mahnung") == 3
    clock.advance(hours=10)
    assert fire_due_timers(db.session, clock=clock) == []
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == ["bt", "bt", "bt"]


def test_event_based_gateway_message_wins_or_timer_wins(api, clock):
    _deploy(api, RACE.encode())
    first = api.start("nachweis_oder_frist", "AZ-G1", user="jc").get_json()
    second = api.start("nachweis_oder_frist", "AZ-G2", user="jc").get_json()
    sent = api.as_("jc").post("/api/messages", {"name": "Nachweis_eingegangen", "business_key": "AZ-G1"})
    assert sent.status_code == 200, sent.get_json()
    clock.advance(days=15)
    assert fire_due_timers(db.session, clock=clock) == [second["id"]]
    assert _elements(api, "jc", instance_id=first["id"]) == ["ut_pruefen"]
    assert _elements(api, "jc", instance_id=second["id"]) == ["ut_versagen"]
    late = api.as_("jc").post("/api/messages", {"name": "Nachweis_eingegangen", "business_key": "AZ-G2"})
    assert late.status_code == 404
