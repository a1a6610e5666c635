"""A collaboration file deploys every executable pool; its pools start together and exchange messages."""
from __future__ import annotations

COLLABORATION = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://t">
  <bpmn:collaboration id="C">
    <bpmn:participant id="P_abh" name="Ausl\xc3\xa4nderbeh\xc3\xb6rde" processRef="abh_pruefung"/>
    <bpmn:participant id="P_jc" name="Jobcenter" processRef="jc_leistung"/>
    <bpmn:messageFlow id="MF" sourceRef="Send" targetRef="Wait"/>
  </bpmn:collaboration>
  <bpmn:message id="M" name="Pruefung_fertig"/>
  <bpmn:process id="abh_pruefung" name="Pr\xc3\xbcfung" isExecutable="true">
    <bpmn:laneSet id="LS1"><bpmn:lane id="L1" name="Ausl\xc3\xa4nderbeh\xc3\xb6rde">
      <bpmn:flowNodeRef>Pruefen</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S1"/>
    <bpmn:userTask id="Pruefen" name="Pr\xc3\xbcfen"/>
    <bpmn:intermediateThrowEvent id="Send"><bpmn:messageEventDefinition id="MD1" messageRef="M"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="E1"/>
    <bpmn:sequenceFlow id="a1" sourceRef="S1" targetRef="Pruefen"/>
    <bpmn:sequenceFlow id="a2" sourceRef="Pruefen" targetRef="Send"/>
    <bpmn:sequenceFlow id="a3" sourceRef="Send" targetRef="E1"/>
  </bpmn:process>
  <bpmn:process id="jc_leistung" name="Leistung" isExecutable="true">
    <bpmn:laneSet id="LS2"><bpmn:lane id="L2" name="Jobcenter"><bpmn:flowNodeRef>Bewilligen</bpmn:flowNodeRef>
      </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S2"/>
    <bpmn:intermediateCatchEvent id="Wait"><bpmn:messageEventDefinition id="MD2" messageRef="M"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="Bewilligen" name="Bewilligen"/>
    <bpmn:endEvent id="E2"/>
    <bpmn:sequenceFlow id="b1" sourceRef="S2" targetRef="Wait"/>
    <bpmn:sequenceFlow id="b2" sourceRef="Wait" targetRef="Bewilligen"/>
    <bpmn:sequenceFlow id="b3" sourceRef="Bewilligen" targetRef="E2"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_every_pool_is_deployed_and_starting_one_starts_the_case_in_all(api):
    response = api.as_("designer").upload("/api/definitions", COLLABORATION)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["key"] == "abh_pruefung"
    assert response.get_json()["collaboration"] == ["jc_leistung"]
    listing = api.as_("designer").get("/api/definitions", query_string={"latest": "true"}).get_json()
    assert sorted(d["key"] for d in listing["items"]) == ["abh_pruefung", "jc_leistung"]

    api.start("abh_pruefung", "AZ-K1")
    [task] = api.as_("abh").tasks()
    assert task["element_id"] == "Pruefen" and api.as_("jc").tasks() == []
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete", {"data": {}}).status_code == 200
    [handed] = api.as_("jc").tasks()  # the message reached the Jobcenter's pool of the same case
    assert handed["element_id"] == "Bewilligen" and handed["business_key"] == "AZ-K1"


def test_a_pool_that_would_not_run_is_named_with_the_fix(api):
    idle = COLLABORATION.replace(b'id="jc_leistung" name="Leistung" isExecutable="true"',
                                 b'id="jc_leistung" name="Leistung" isExecutable="false"')
    response = api.as_("designer").upload("/api/definitions", idle)
    assert response.status_code == 422
    [problem] = response.get_json()["details"]["problems"]
    assert problem["element_id"] == "jc_leistung" and 'isExecutable="true"' in problem["message"]
    assert "ist nicht ausführbar" in problem["message_de"]
