"""A simple left-to-right layout for BPMN models that carry no diagram (DI), so the viewer can still draw them.

Models from Camunda Modeler or bpmn-js come with their own layout and are left untouched. Models written by
hand or by code (tests, generators) often have none; for those each flow node gets a column (longest path
from the start, back edges ignored) and a row band per lane, and each sequence flow an orthogonal path.
Sub-processes are drawn collapsed.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
COLUMN, ROW, POOL_HEAD, LANE_HEAD, MARGIN = 150, 110, 30, 30, 40


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _kind(tag: str) -> str | None:
    if tag in EVENTS:
        return "event"
    if tag in GATEWAYS:
        return "gateway"
    return "activity" if tag in ACTIVITIES else None


def has_diagram(root: Any) -> bool:
    """True when the model carries at least one diagram shape."""
    return root.find(f".//{{{BPMNDI}}}BPMNShape") is not None


def _columns(nodes: dict[str, str], flows: list[tuple[str, str, str]], hosts: dict[str, str]) -> dict[str, int]:
    """Longest-path column per node; back edges (found by a depth-first search) are ignored."""
    outgoing: dict[str, list[str]] = {n: [] for n in nodes}
    incoming = dict.fromkeys(nodes, 0)
    for _fid, source, target in flows:
        source = hosts.get(source, source)  # a boundary event's flows leave from its host's column
        if source in outgoing and target in incoming:
            outgoing[source].append(target)
            incoming[target] += 1
    roots = [n for n in nodes if incoming[n] == 0 and n not in hosts] or list(nodes)[:1]
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the search path, 2 = done
    back: set[tuple[str, str]] = set()
    for root in roots + [n for n in nodes if n not in roots]:
        stack = [(root, iter(outgoing[root]))] if root not in state else []
        state.setdefault(root, 1)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                order.append(node)
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(outgoing[child])))
    column = dict.fromkeys(nodes, 0)
    for node in reversed(order):  # reverse post-order is a topological order of the forward edges
        for child in outgoing[node]:
            if (node, child) not in back:
                column[child] = max(column[child], column[node] + 1)
    return column


def _process_nodes(process: Any) -> tuple[dict[str, str], list[tuple[str, str, str]], dict[str, str]]:
    nodes, flows, hosts = {}, [], {}
    for child in process:
        tag = _local(child)
        if tag == "sequenceFlow":
            flows.append((child.get("id"), child.get("sourceRef"), child.get("targetRef")))
        elif _kind(tag) and child.get("id"):
            if tag == "boundaryEvent" and child.get("attachedToRef"):
                hosts[child.get("id")] = child.get("attachedToRef")
            else:
                nodes[child.get("id")] = tag
    return nodes, flows, hosts


def _lanes(process: Any) -> list[tuple[str | None, list[str]]]:
    """Leaf lanes in document order with their node ids; nodes in no lane form a band of their own."""
    lanes = []
    for lane in process.iter(f"{{{BPMN}}}lane"):
        if lane.find(f"{{{BPMN}}}childLaneSet") is None:
            lanes.append((lane.get("id"), [(ref.text or "").strip() for ref in lane.findall(f"{{{BPMN}}}flowNodeRef")]))
    return lanes


def _bounds(parent: Any, x: float, y: float, w: float, h: float) -> None:
    etree.SubElement(parent, f"{{{DC}}}Bounds", x=str(round(x)), y=str(round(y)), width=str(round(w)),
                     height=str(round(h)))


def _shape(plane: Any, element_id: str, box: tuple[float, float, float, float], **attrs: str) -> None:
    shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **attrs)
    _bounds(shape, *box)


def _edge(plane: Any, flow_id: str, points: list[tuple[float, float]]) -> None:
    edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
    for x, y in points:
        etree.SubElement(edge, f"{{{DI}}}waypoint", x=str(round(x)), y=str(round(y)))


def _layout_process(plane: Any, process: Any, top: float, participant: str | None) -> float:
    """Draw one process (inside its pool when `participant` is set); returns the y below it."""
    nodes, flows, hosts = _process_nodes(process)
    column = _columns(nodes, flows, hosts)
    bands = _lanes(process)
    in_lane = {n for _lane, refs in bands for n in refs}
    if [n for n in nodes if n not in in_lane] or not bands:
        bands.append((None, [n for n in nodes if n not in in_lane]))
    left = MARGIN + (POOL_HEAD + LANE_HEAD if participant else 0)
    width = (max(column.values(), default=0) + 1) * COLUMN + 2 * MARGIN
    boxes: dict[str, tuple[float, float, float, float]] = {}
    y = top
    lane_boxes = []
    for lane_id, refs in bands:
        members = [n for n in refs if n in nodes]
        per_column: dict[int, int] = {}
        for node in members:
            row = per_column.get(column[node], 0)
            per_column[column[node]] = row + 1
            w, h = SIZES[_kind(nodes[node]) or "activity"]
            cx, cy = left + MARGIN + column[node] * COLUMN + 50, y + MARGIN + row * ROW + 40
            boxes[node] = (cx - w / 2, cy - h / 2, w, h)
        height = max(per_column.values(), default=1) * ROW + MARGIN
        lane_boxes.append((lane_id, y, height))
        y += height
    if participant:
        _shape(plane, participant, (MARGIN, top, width + POOL_HEAD + LANE_HEAD, y - top), isHorizontal="true")
        for lane_id, lane_top, height in lane_boxes:
            if lane_id:
                _shape(plane, lane_id, (MARGIN + POOL_HEAD, lane_top, width + LANE_HEAD, height), isHorizontal="true")
    for node, box in boxes.items():
        extra = {"isExpanded": "false"} if nodes[node] in ("subProcess", "transaction", "adHocSubProcess") else {}
        _shape(plane, node, box, **extra)
    attached: dict[str, int] = {}
    for boundary, host in hosts.items():
        if host in boxes:
            hx, hy, hw, hh = boxes[host]
            index = attached[host] = attached.get(host, 0) + 1
            boxes[boundary] = (hx + hw - 18 - 30 * (index - 1) - 18, hy + hh - 18, 36, 36)
            _shape(plane, boundary, boxes[boundary])
    for flow_id, source, target in flows:
        if source in boxes and target in boxes and flow_id:
            _edge(plane, flow_id, _route(boxes[source], boxes[target], source in hosts))
    return y + MARGIN


def _route(source: tuple[float, ...], target: tuple[float, ...], from_boundary: bool) -> list[tuple[float, float]]:
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    if from_boundary:
        start = (sx + sw / 2, sy + sh)
        return [start, (start[0], ty + th / 2), (tx, ty + th / 2)]
    if tx >= sx + sw:  # forward: leave right, enter left
        a, b = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
        middle = (a[0] + b[0]) / 2
        return [a, (middle, a[1]), (middle, b[1]), b] if a[1] != b[1] else [a, b]
    below = max(sy + sh, ty + th) + 25  # a loop back: go round underneath
    return [(sx + sw / 2, sy + sh), (sx + sw / 2, below), (tx + tw / 2, below), (tx + tw / 2, ty + th)]


def add_layout(root: Any) -> Any:
    """Add a generated BPMNDiagram to a parsed model without one (the tree is changed in place)."""
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id="lotse_generated_diagram")
    processes = {p.get("id"): p for p in root.findall(f"{{{BPMN}}}process")}
    collaboration = root.find(f"{{{BPMN}}}collaboration")
    y = float(MARGIN)
    if collaboration is not None and collaboration.get("id"):
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="lotse_generated_plane",
                                 bpmnElement=collaboration.get("id"))
        for participant in collaboration.findall(f"{{{BPMN}}}participant"):
            process = processes.get(participant.get("processRef"))
            if process is not None:
                y = _layout_process(plane, process, y, participant.get("id"))
        return root
    main = next((p for p in processes.values() if p.get("isExecutable") == "true"), None)
    main = main if main is not None else next(iter(processes.values()), None)
    if main is not None:
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="lotse_generated_plane",
                                 bpmnElement=main.get("id"))
        _layout_process(plane, main, y, None)
    return root
