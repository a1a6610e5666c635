"""Small BPMN builders and paths shared by the parsing tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from app.engine.model import ModelInvalid, ParsedModel
from app.engine.parsing import parse_bpmn
from app.engine.script_engine import make_script_engine
from tests.conftest import SHARED, needs_shared

BPMN_DIR = Path(__file__).parent / "bpmn"

NAMESPACES = {
    "camunda": 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
    "spiff": 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
    "plain": "",
}


CAMUNDA7 = SHARED / "conformance" / "executable" / "camunda7"
needs_conformance = needs_shared


def definitions(body: str, *, dialect: str = "camunda", process_id: str = "P",
                executable: str = "true", defs: str = "") -> bytes:
    """A bpmn:definitions document with one process holding body."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        f'{NAMESPACES[dialect]} id="Defs" targetNamespace="http://lotse.test">\n'
        f"{defs}"
        f'<bpmn:process id="{process_id}" isExecutable="{executable}">\n{body}\n</bpmn:process>\n'
        "</bpmn:definitions>\n"
    ).encode()


def model(*chain: str, extra: str = "", **kwargs) -> bytes:
    """Start event -> chain elements (in order) -> end event, plus extra elements."""
    ids = ["S", *(re.search(r'id="([^"]+)"', node).group(1) for node in chain), "E"]
    flows = "\n".join(f'<bpmn:sequenceFlow id="F{i}" sourceRef="{a}" targetRef="{b}"/>'
                      for i, (a, b) in enumerate(zip(ids, ids[1:])))
    body = '<bpmn:startEvent id="S"/>\n' + "\n".join(chain) + '\n<bpmn:endEvent id="E"/>\n' + flows + extra
    return definitions(body, **kwargs)


def user_task(element_id: str = "UT", *, properties: dict[str, str] | None = None, attrs: str = "",
              dialect: str = "camunda") -> str:
    """A user task carrying camunda:properties or spiffworkflow:properties."""
    props = ""
    if properties:
        prefix = "camunda" if dialect == "camunda" else "spiffworkflow"
        items = "".join(f'<{prefix}:property name="{k}" value="{v}"/>' for k, v in properties.items())
        props = f"<bpmn:extensionElements><{prefix}:properties>{items}</{prefix}:properties></bpmn:extensionElements>"
    return f'<bpmn:userTask id="{element_id}" name="Aufgabe {element_id}" {attrs}>{props}</bpmn:userTask>'


def timer_catch(tag: str, text: str, element_id: str = "Wait") -> str:
    """An intermediate timer catch event."""
    return (f'<bpmn:intermediateCatchEvent id="{element_id}"><bpmn:timerEventDefinition>'
            f"<bpmn:{tag}>{text}</bpmn:{tag}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")


def gateway_model(condition: str, **kwargs) -> bytes:
    """Exclusive split with one conditional flow (F_cond) and a default flow."""
    body = f"""<bpmn:startEvent id="S"/>
<bpmn:exclusiveGateway id="GW" default="F_default"/>
<bpmn:endEvent id="E_yes"/>
<bpmn:endEvent id="E_no"/>
<bpmn:sequenceFlow id="F_in" sourceRef="S" targetRef="GW"/>
<bpmn:sequenceFlow id="F_cond" sourceRef="GW" targetRef="E_yes"><bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="F_default" sourceRef="GW" targetRef="E_no"/>"""
    return definitions(body, **kwargs)


def problems_of(data: bytes, **kwargs) -> list:
    """The problems parse_bpmn reports (fails if the model is accepted)."""
    with pytest.raises(ModelInvalid) as info:
        parse_bpmn(data, **kwargs)
    return info.value.problems


def start(parsed: ParsedModel, **data) -> BpmnWorkflow:
    """A workflow on the sandboxed script engine, run until it waits."""
    wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    wf.task_tree.data.update(data)
    wf.do_engine_steps()
    return wf
