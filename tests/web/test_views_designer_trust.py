"""Designer trust (test client, both databases): no warning for a lane the caller resolves, a generated start form
for test cases (who the case is about, variables the conditions read) instead of raw JSON."""
from __future__ import annotations

from tests.web.conftest import csrf, sign_in

CALLED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d1" targetNamespace="http://x">
  <bpmn:process id="baustein" name="Baustein" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Anfragende Stelle">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Einwilligung einholen"/><bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""

CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d2" targetNamespace="http://x">
  <bpmn:process id="aufrufer" name="Aufrufer" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Ausländerbehörde">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>c</bpmn:flowNodeRef><bpmn:flowNodeRef>g</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>e1</bpmn:flowNodeRef><bpmn:flowNodeRef>e2</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:callActivity id="c" name="Baustein aufrufen" calledElement="baustein"/>
    <bpmn:exclusiveGateway id="g" name="Dringend?" default="f_nein"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="c"/><bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="g"/>
    <bpmn:sequenceFlow id="f_ja" sourceRef="g" targetRef="e1">
      <bpmn:conditionExpression>${dringend == true}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_nein" sourceRef="g" targetRef="e2"/>
  </bpmn:process>
</bpmn:definitions>"""


def deploy(app, xml: str) -> None:
    """Deploy as the designer through the service (confirming, as programmatic deployments do)."""
    from sqlalchemy import select

    from app.clock import FakeClock
    from app.definitions.service import deploy as deploy_model
    from app.directory.models import User
    from app.directory.service import principal_for
    from app.extensions import db

    with app.app_context():
        designer = principal_for(db.session, db.session.scalar(select(User).where(User.username == "designer")))
        deploy_model(db.session, actor=designer, data=xml.encode(), clock=app.extensions.get("lotse_clock")
                     or FakeClock())
        db.session.commit()


def test_a_lane_the_caller_resolves_is_no_warning(app, world, served):
    deploy(app, CALLED)
    designer = sign_in(app, "designer")
    alone = designer.get("/modelle/baustein/1").get_data(as_text=True)
    assert "ist kein Amt dieser Kommune" in alone or "Warnung" in alone  # nobody calls it yet
    deploy(app, CALLER)
    page = designer.get("/modelle/baustein/1").get_data(as_text=True)
    assert "Aufgaben der Lane „Anfragende Stelle“ landen beim Amt der aufrufenden Aufgabe" in page
    assert "aufgerufen von: Aufrufer" in page and "Warnung" not in page
    assert "Warnung" not in designer.get("/modelle").get_data(as_text=True)


def test_a_test_case_starts_from_a_generated_form(app, world, served):
    deploy(app, CALLED)
    deploy(app, CALLER)
    designer = sign_in(app, "designer")
    page = designer.get("/modelle/aufrufer/1").get_data(as_text=True)
    for label in ("Nachname", "Vorname", "Geburtsdatum", "Dringend"):
        assert f">{label}" in page, label
    token = csrf(designer, "/modelle")
    bad = designer.post("/modelle/aufrufer/1/testfall", data={"csrf_token": token, "aktenzeichen": "TEST-1",
                                                             "data.geburtsdatum": "31.02.1990"})
    assert bad.status_code == 422 and "Geburtsdatum" in bad.get_data(as_text=True)
    started = designer.post("/modelle/aufrufer/1/testfall", data={
        "csrf_token": token, "aktenzeichen": "TEST-1", "data.name": "Haddad", "data.vorname": "Amina",
        "data.geburtsdatum": "17.04.1991", "data.dringend": "true"})
    assert started.status_code == 303, started.get_data(as_text=True)
    from app.casefile.models import CaseEntry
    from app.extensions import db
    from app.instances.models import ProcessInstance

    with app.app_context():
        instance = db.session.query(ProcessInstance).filter_by(business_key="TEST-1").one()
        start = db.session.query(CaseEntry).filter_by(instance_id=instance.id).order_by(CaseEntry.id).first()
        data = start.fields  # the start entry: what the case was started with
        assert instance.is_test
        assert (data["name"], data["vorname"], data["geburtsdatum"]) == ("Haddad", "Amina", "1991-04-17")
        assert data["dringend"] is True  # the condition compares it with true: a yes/no field
