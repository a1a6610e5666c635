"""Small BPMN models for the case-file tests, built from a list of lanes and a body of flow elements."""
from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'id="defs_{key}" targetNamespace="http://lotse.example/test">\n')


def model(key: str, lanes: dict[str, list[str]], body: str, process_props: str = "") -> bytes:
    """A process `key` with lanes (name → element ids) and the given flow elements."""
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{i}" name="{name}">' + "".join(f"<bpmn:flowNodeRef>{e}</bpmn:flowNodeRef>" for e in ids)
        + "</bpmn:lane>" for i, (name, ids) in enumerate(lanes.items()))
    props = (f"<bpmn:extensionElements><camunda:properties>{process_props}</camunda:properties>"
             "</bpmn:extensionElements>") if process_props else ""
    return (HEAD.format(key=key) + f'<bpmn:process id="{key}" name="{key}" isExecutable="true">{props}'
            f'<bpmn:laneSet id="ls_{key}">{lane_xml}</bpmn:laneSet>{body}</bpmn:process></bpmn:definitions>').encode()


def task(element_id: str, incoming: str, outgoing: str, props: str = "", extra: str = "") -> str:
    """A user task with optional camunda properties."""
    ext = (f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"
           if props else "")
    return (f'<bpmn:userTask id="{element_id}" name="{element_id}">{ext}<bpmn:incoming>{incoming}</bpmn:incoming>'
            f'<bpmn:outgoing>{outgoing}</bpmn:outgoing>{extra}</bpmn:userTask>')


def prop(name: str, value: str) -> str:
    """One camunda:property."""
    return f'<camunda:property name="{name}" value="{value}"/>'


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, optionally conditional."""
    cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
            if condition else "")
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def split_join(key: str, kind: str = "parallelGateway", conditions: tuple[str, str] | None = None) -> bytes:
    """start → split → (Ausländerbehörde: ut_abh | Jobcenter: ut_jc) → join → ut_ende (Ausländerbehörde) → end."""
    cond_a, cond_b = conditions or (None, None)
    body = (
        '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
        f'<bpmn:{kind} id="split"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>fa</bpmn:outgoing>'
        f'<bpmn:outgoing>fb</bpmn:outgoing></bpmn:{kind}>'
        + task("ut_abh", "fa", "fa2") + task("ut_jc", "fb", "fb2")
        + f'<bpmn:{kind} id="join"><bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming>'
        f'<bpmn:outgoing>fj</bpmn:outgoing></bpmn:{kind}>'
        + task("ut_ende", "fj", "fe")
        + '<bpmn:endEvent id="end"><bpmn:incoming>fe</bpmn:incoming></bpmn:endEvent>'
        + flow("f0", "start", "split") + flow("fa", "split", "ut_abh", cond_a) + flow("fb", "split", "ut_jc", cond_b)
        + flow("fa2", "ut_abh", "join") + flow("fb2", "ut_jc", "join") + flow("fj", "join", "ut_ende")
        + flow("fe", "ut_ende", "end"))
    return model(key, {"Ausländerbehörde": ["start", "split", "ut_abh", "join", "ut_ende", "end"],
                       "Jobcenter": ["ut_jc"]}, body)


def multi_instance(key: str) -> bytes:
    """start → ut_pruefen (Jobcenter, parallel multi-instance ×2) → ut_ende (Jobcenter) → end."""
    mi = ('<bpmn:multiInstanceLoopCharacteristics isSequential="false">'
          '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">2</bpmn:loopCardinality>'
          '</bpmn:multiInstanceLoopCharacteristics>')
    body = ('<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            + task("ut_pruefen", "f0", "f1", extra=mi) + task("ut_ende", "f1", "f2")
            + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            + flow("f0", "start", "ut_pruefen") + flow("f1", "ut_pruefen", "ut_ende") + flow("f2", "ut_ende", "end"))
    return model(key, {"Jobcenter": ["start", "ut_pruefen", "ut_ende", "end"]}, body)


def handoff(key: str, reader_lane: str, props: str) -> bytes:
    """start → ut_erfassen (Jugendamt) → ut_lesen (reader_lane, with the given hand-off properties) → end."""
    body = ('<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            + task("ut_erfassen", "f0", "f1", prop("lotse:formKey", "cf_erfassen"))
            + task("ut_lesen", "f1", "f2", props)
            + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
            + flow("f0", "start", "ut_erfassen") + flow("f1", "ut_erfassen", "ut_lesen")
            + flow("f2", "ut_lesen", "end"))
    return model(key, {"Jugendamt": ["start", "ut_erfassen", "end"], reader_lane: ["ut_lesen"]}, body)


FORM = {"key": "cf_erfassen", "title": "Erfassen", "schema": {"type": "object", "properties": {
    "name": {"type": "string", "title": "Name", "category": "Stammdaten"},
    "aufenthaltsstatus": {"type": "string", "title": "Status", "category": "Aufenthalt"},
    "anvertraut": {"type": "string", "title": "Anvertraut", "category": "Anvertraut"},
    "befund": {"type": "string", "title": "Befund", "category": "Gesundheit"}}}}
