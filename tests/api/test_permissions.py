"""The permission checks the services publish (the web layer shows its buttons and forms by them) say exactly
what the services then allow: every user of every role, on tasks nobody, the user or someone else holds."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.deadlines import service as deadlines
from app.directory import service as directory
from app.directory.models import User
from app.errors import Conflict, Forbidden, NotFound
from app.instances import incidents
from app.instances import service as instances
from app.instances.models import Incident, ProcessInstance
from app.tasks import service as tasks
from app.tasks.models import HumanTask
from tests.factories import USERS

YES = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}


def principal(session, username: str):
    """The principal of a test user."""
    return directory.principal_for(session, session.query(User).filter_by(username=username).one())


def allowed(session, service, **kwargs) -> bool:
    """Whether the service accepts the call; what it changed is rolled back either way."""
    savepoint = session.begin_nested()
    try:
        service(session, **kwargs)
        return True
    except (Forbidden, Conflict, NotFound):
        return False
    finally:
        savepoint.rollback()


@pytest.fixture
def open_tasks(api):
    """A case waiting at the Ausländerbehörde and one handed over to the Jobcenter: their open task ids."""
    api.deploy("handoff.bpmn")
    first = api.start("aufenthalt_leistung", "AZ-P1").get_json()["active_tasks"][0]["id"]
    second = api.start("aufenthalt_leistung", "AZ-P2").get_json()["active_tasks"][0]["id"]
    assert api.as_("abh").post(f"/api/tasks/{second}/complete", {"data": YES}).status_code == 200
    [handed] = api.as_("jc").tasks()
    return {"abh": first, "jc": handed["id"]}


@pytest.mark.parametrize("office,holder", [("abh", None), ("abh", "abh2"), ("jc", None), ("jc", "jc")])
def test_task_checks_agree_with_the_task_services(session, clock, open_tasks, office, holder):
    task_id = open_tasks[office]
    if holder:
        tasks.claim(session, actor=principal(session, holder), task_id=task_id, clock=clock)
        session.commit()
    for username in USERS:
        actor = principal(session, username)
        task = session.get(HumanTask, task_id)
        # Claiming a task one holds and releasing a task nobody holds change nothing and are accepted.
        expected = {
            "claim": tasks.may_claim(actor, task) or (task.assignee == username and tasks.may_work(actor, task)),
            "release": tasks.may_release(actor, task) or (task.assignee is None and tasks.may_work(actor, task)),
            "complete": tasks.may_complete(actor, task),
            "move_due": deadlines.may_move_due(actor, task),
        }
        call = {"actor": actor, "task_id": task_id, "clock": clock}
        actual = {
            "claim": allowed(session, tasks.claim, **call),
            "release": allowed(session, tasks.unclaim, **call),
            "complete": allowed(session, tasks.complete, data=YES, **call),
            "move_due": allowed(session, deadlines.move_due_date, due_at=clock.now() + timedelta(days=30),
                                reason="Nachfrist gewährt", **call),
        }
        assert actual == expected, username


def test_cancel_and_retry_checks_agree_with_the_case_services(session, clock, api):
    api.deploy("failing.bpmn")
    case = api.start("quote_berechnen", "AZ-Q1", user="jc").get_json()
    task = case["active_tasks"][0]
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/complete",
                              {"data": {"betrag": 100, "anzahl": 0}}).status_code == 422
    instance = session.get(ProcessInstance, case["id"])
    [incident] = session.query(Incident).filter_by(instance_id=case["id"]).all()
    for username in USERS:
        actor = principal(session, username)
        cancelled = allowed(session, instances.cancel_instance, actor=actor, instance_id=instance.id, clock=clock)
        assert cancelled == instances.may_cancel(actor, instance), username
        retried = allowed(session, incidents.retry_incident, actor=actor, incident_id=incident.id, clock=clock,
                          data={"anzahl": 4})
        assert retried == incidents.may_retry(actor, incident), username
