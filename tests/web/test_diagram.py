"""What the BPMN viewer gets: drawable XML (with a generated layout when the model has none), path and heat marks."""
from __future__ import annotations

from types import SimpleNamespace

from lxml import etree

from app.insights.service import ActivityStats
from app.web import diagram
from app.web.diagram_layout import BPMNDI, DC
from tests.factories import BPMN_DIR

FLOWS = {"start": {"a": "f1"}, "a": {"gw": "f2"}, "gw": {"b": "f_yes", "c": "f_no"}, "b": {"join": "f3"},
         "c": {"join": "f4"}, "join": {"d": "f5"}, "d": {"end": "f6"}}


def event(kind, element_id=None, **details):
    """An audit event as path_marks reads it."""
    return SimpleNamespace(kind=kind, element_id=element_id, details=details)


def kinds(marks):
    """element id -> mark kind."""
    return {m["id"]: m["kind"] for m in marks}


def test_a_model_without_diagram_gets_a_layout(german):
    drawing = diagram.drawable((BPMN_DIR / "handoff.bpmn").read_bytes())
    assert drawing.generated_layout and drawing.reason is None
    root = etree.fromstring(drawing.xml.encode())
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    assert {"pool_handoff", "lane_abh", "lane_jc", "start_antrag", "ut_pruefen", "gw_gesichert", "ut_leistung",
            "ut_ablehnung", "end_bewilligt", "end_abgelehnt"} <= set(shapes)
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    assert edges == {"f1", "f2", "f_ja", "f_nein", "f4", "f5"}

    def box(element_id):
        bounds = shapes[element_id].find(f"{{{DC}}}Bounds")
        return {k: float(bounds.get(k)) for k in ("x", "y", "width", "height")}

    assert box("start_antrag")["x"] < box("ut_pruefen")["x"] < box("gw_gesichert")["x"] < box("ut_leistung")["x"]
    lane_jc = box("lane_jc")
    assert lane_jc["y"] <= box("ut_leistung")["y"] < lane_jc["y"] + lane_jc["height"]  # drawn in its own lane
    assert box("ut_pruefen")["width"] == 100 and box("start_antrag")["width"] == 36


def test_a_model_with_a_diagram_is_left_as_it_is(german):
    source = (BPMN_DIR.parents[1] / "processes" / "p5_einwilligung.bpmn").read_text()
    drawing = diagram.drawable(source)
    assert drawing.xml == source and not drawing.generated_layout


def test_loops_and_boundary_events_are_laid_out(german):
    xml = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
      <process id="p" isExecutable="true">
        <startEvent id="s"/><userTask id="a"/><exclusiveGateway id="g"/><endEvent id="e"/>
        <boundaryEvent id="t" attachedToRef="a"><timerEventDefinition/></boundaryEvent><task id="late"/>
        <sequenceFlow id="f1" sourceRef="s" targetRef="a"/><sequenceFlow id="f2" sourceRef="a" targetRef="g"/>
        <sequenceFlow id="back" sourceRef="g" targetRef="a"/><sequenceFlow id="f3" sourceRef="g" targetRef="e"/>
        <sequenceFlow id="f4" sourceRef="t" targetRef="late"/>
      </process></definitions>"""
    drawing = diagram.drawable(xml)
    root = etree.fromstring(drawing.xml.encode())
    plane = root.find(f".//{{{BPMNDI}}}BPMNPlane")
    assert plane.get("bpmnElement") == "p"
    assert {e.get("bpmnElement") for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")} == {"f1", "f2", "back", "f3", "f4"}
    assert len(list(root.iter(f"{{{BPMNDI}}}BPMNShape"))) == 6


def test_files_that_cannot_be_drawn_say_why(german):
    assert "kein lesbares XML" in diagram.drawable(b"kein xml").reason
    assert "kein BPMN-Modell" in diagram.drawable(b"<html/>").reason
    assert diagram.drawable(b"").reason == "Die Datei ist leer."
    doctype = diagram.drawable(b'<!DOCTYPE x [<!ENTITY a "b">]><definitions/>')
    assert doctype.xml is None and "DOCTYPE" in doctype.reason


def test_the_path_follows_the_decision_and_the_join(german):
    events = [event("instance_started"), event("task_created", "a"), event("task_completed", "a"),
              event("gateway_decided", "gw", taken=[{"target": "b", "flow": "f_yes"}]),
              event("task_completed", "b"), event("task_created", "d")]
    marks = diagram.path_marks(events, ["d"], flows=FLOWS, starts=["start"], ends=["end"])
    assert kinds(marks) == {"d": "current", "start": "done", "a": "done", "gw": "done", "b": "done",
                            "join": "done", "f1": "done", "f2": "done", "f_yes": "done", "f3": "done",
                            "f5": "done"}
    badges = {m["id"]: m["badge"] for m in marks}
    assert badges["d"] == "jetzt" and badges["a"] == "✓" and badges["f3"] is None


def test_a_finished_case_reaches_its_end_event(german):
    events = [event("task_completed", "a"), event("gateway_decided", "gw", taken=[{"target": "c", "flow": "f_no"}]),
              event("task_completed", "c"), event("task_completed", "d")]
    marks = kinds(diagram.path_marks(events, [], flows=FLOWS, starts=["start"], ends=["end"], finished=True))
    assert {"end", "f6", "c", "f_no", "join", "f4", "f5"} <= set(marks)
    assert "b" not in marks and "f_yes" not in marks and "f3" not in marks
    running = kinds(diagram.path_marks(events, [], flows=FLOWS, starts=["start"], ends=["end"]))
    assert "end" not in running


def test_without_a_model_graph_only_the_recorded_steps_are_marked(german):
    events = [event("task_completed", "a"), event("timer_fired", "t1"), event("task_completed", None)]
    assert kinds(diagram.path_marks(events, ["b"], starts=["s1", "s2"])) == {"b": "current", "a": "done",
                                                                             "t1": "done"}


def test_heat_marks_scale_to_the_longest_median(german):
    stats = {"a": ActivityStats("a", "Prüfen", waiting=3, completed=4, median_hours=30.0),
             "b": ActivityStats("b", "Bescheid", waiting=1, completed=2, median_hours=7.5),
             "c": ActivityStats("c", "Neu", waiting=2)}
    marks = {m["id"]: m for m in diagram.heat_marks(stats)}
    assert (marks["a"]["kind"], marks["b"]["kind"], marks["c"]["kind"]) == ("heat-4", "heat-1", "heat-0")
    assert (marks["a"]["badge"], marks["a"]["label"]) == ("3", "Prüfen: 3 wartend · Median 30 Std.")
    assert marks["b"]["label"] == "Bescheid: 1 wartend · Median 7,5 Std." and marks["c"]["label"] == "Neu: 2 wartend"
    assert diagram.heat_marks({"d": ActivityStats("d", "Fertig", completed=1, median_hours=1.0)})[0]["badge"] is None
    assert diagram.hours_text(60) == "2,5 Tage" and diagram.hours_text(None) == "—"
    assert diagram.heat_level(None, 10) == 0 and diagram.heat_level(10, 10) == 4 and diagram.heat_level(2.6, 10) == 2


def test_problem_marks_are_numbered_like_the_report(german):
    problems = [{"element_id": None, "message": "x"}, {"element_id": "a", "message": "y"}]
    assert diagram.problem_marks(problems) == [{"id": "a", "kind": "problem", "badge": "2", "label": "Problem 2"}]
