"""The reference models and forms as files: they parse, render, fit together and match the sample answers."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from app.demo_data import ANSWERS
from app.engine.parsing import parse_bpmn
from app.forms.service import field_errors, parse_form_document
from tests.pathways.conftest import CLERKS, MODELS

ROOT = Path(__file__).resolve().parents[2]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}
FLOW_NODES = ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
              "userTask", "scriptTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
              "eventBasedGateway")


def _xml(key: str) -> bytes:
    return (ROOT / "processes" / f"{key}.bpmn").read_bytes()


def _root(key: str) -> etree._Element:
    return etree.fromstring(_xml(key))


FORMS = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (ROOT / "forms").glob("*.json")}


@pytest.mark.parametrize("key", MODELS)
def test_model_deploys_with_p5_resolvable(key):
    parsed = parse_bpmn(_xml(key), resolve_called=lambda pid: _xml(pid) if pid in MODELS else None)
    assert parsed.main_process_id == key and parsed.dialect == "camunda"
    assert set(parsed.lanes) <= set(CLERKS) | {"Anfragende Stelle"}


@pytest.mark.parametrize("key", MODELS)
def test_every_element_has_a_diagram_shape_and_every_flow_an_edge(key):
    root = _root(key)
    nodes = {el.get("id") for tag in FLOW_NODES for el in root.xpath(f"//bpmn:{tag}", namespaces=NS)}
    flows = set(root.xpath("//bpmn:sequenceFlow/@id", namespaces=NS))
    lanes = set(root.xpath("//bpmn:lane/@id", namespaces=NS))
    shapes = set(root.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=NS))
    edges = set(root.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=NS))
    assert nodes | lanes <= shapes and flows <= edges
    for waypoint in root.xpath("//bpmndi:BPMNEdge", namespaces=NS):
        assert len(waypoint) >= 2


@pytest.mark.parametrize("key", MODELS)
def test_gateways_cannot_strand_a_case(key):
    root = _root(key)
    for gateway in root.xpath("//bpmn:exclusiveGateway", namespaces=NS):
        outgoing = root.xpath("//bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NS, id=gateway.get("id"))
        if len(outgoing) > 1:
            assert gateway.get("default") in {f.get("id") for f in outgoing}, gateway.get("id")


def test_every_form_key_has_a_valid_form_and_the_sample_answers_fit():
    for form in FORMS.values():
        parse_form_document(json.dumps(form).encode())
        assert all("title" in p and "description" in p for p in form["schema"]["properties"].values()), form["key"]
        assert form["ui"]["order"] == list(form["schema"]["properties"])
    for key in MODELS:
        for task in _root(key).xpath("//bpmn:userTask", namespaces=NS):
            form_key = task.get(f"{{{NS['camunda']}}}formKey")
            assert form_key in FORMS, task.get("id")
            assert field_errors(FORMS[form_key]["schema"], ANSWERS[task.get("id")]) == {}, task.get("id")


def test_each_message_starts_at_most_one_pathway():
    starts = Counter()
    for key in MODELS:
        root = _root(key)
        names = {m.get("id"): m.get("name") for m in root.xpath("//bpmn:message", namespaces=NS)}
        for ref in root.xpath("//bpmn:startEvent/bpmn:messageEventDefinition/@messageRef", namespaces=NS):
            starts[names[ref]] += 1
    assert starts == {"Leistungsantrag": 1, "Volljaehrigkeit": 1, "UMA_erkannt": 1, "Sprachzugang": 1,
                      "SGBII_bewilligt": 1}
