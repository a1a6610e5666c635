"""Leads assign tasks to named clerks; absent clerks' tasks are worked by their substitute "in Vertretung"."""
from __future__ import annotations

from datetime import date

import pytest

from app.directory import service as directory
from app.directory.absence import list_absences, set_absence, substituting_for
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.tasks import service as tasks


def _principal(username):
    from sqlalchemy import select

    from app.directory.models import User

    return directory.principal_for(db.session, db.session.scalar(select(User).where(User.username == username)))


def _trail(api, instance_id):
    return api.as_("super").get(f"/api/instances/{instance_id}/audit").get_json()["items"]


def test_a_lead_assigns_a_task_to_a_clerk_of_its_office(app, api, clock):
    api.deploy("deadlines.bpmn")
    case = api.start("leistung_frist", "AZ-A1", user="jc").get_json()
    task_id = case["active_tasks"][0]["id"]
    assert api.as_("jc").post(f"/api/tasks/{task_id}/assign", {"assignee": "jc"}).status_code == 403
    wrong = api.as_("jc_lead").post(f"/api/tasks/{task_id}/assign", {"assignee": "abh"})
    assert wrong.status_code == 422 and "abh" in wrong.get_json()["message"]
    done = api.as_("jc_lead").post(f"/api/tasks/{task_id}/assign", {"assignee": "jc"})
    assert done.status_code == 200 and done.get_json()["assignee"] == "jc"
    change = next(e for e in _trail(api, case["id"]) if e["kind"] == "task_reassigned")
    assert (change["actor"], change["details"]["old"], change["details"]["new"]) == ("jc_lead", None, "jc")
    notes = api.as_("jc").get("/api/notifications").get_json()["items"]
    assert [n["kind"] for n in notes] == ["assignment"] and "jc_lead" in notes[0]["body"]
    # a supervisor may assign too; the old assignee is named
    again = api.as_("super").post(f"/api/tasks/{task_id}/assign", {"assignee": "jc_lead"})
    assert again.status_code == 200
    last = [e for e in _trail(api, case["id"]) if e["kind"] == "task_reassigned"][-1]
    assert (last["details"]["old"], last["details"]["new"]) == ("jc", "jc_lead")


def test_a_substitute_sees_and_works_the_absent_clerks_tasks(app, api, clock):
    api.deploy("deadlines.bpmn")
    case = api.start("leistung_frist", "AZ-A2", user="jc").get_json()
    task_id = case["active_tasks"][0]["id"]
    assert api.as_("jc").post(f"/api/tasks/{task_id}/claim").status_code == 200
    today = date(2026, 3, 2)
    with pytest.raises(Forbidden):  # a colleague may not declare someone else absent
        set_absence(db.session, actor=_principal("abh"), username="abh2", substitute="abh", starts_on=today,
                    ends_on=today, clock=clock)
    with pytest.raises(Invalid):  # the substitute works in another office
        set_absence(db.session, actor=_principal("jc"), username="jc", substitute="abh", starts_on=today,
                    ends_on=today, clock=clock)
    with pytest.raises(Invalid):
        set_absence(db.session, actor=_principal("jc"), username="jc", substitute="jc_lead", starts_on=today,
                    ends_on=date(2026, 3, 1), clock=clock)
    set_absence(db.session, actor=_principal("jc"), username="jc", substitute="jc_lead", starts_on=today,
                ends_on=date(2026, 3, 6), clock=clock)
    db.session.commit()
    lead = _principal("jc_lead")
    assert substituting_for(db.session, lead, today) == ["jc"]
    assert [a.substitute for a in list_absences(db.session, actor=lead, today=today)] == ["jc_lead"]
    rows, _ = tasks.list_tasks(db.session, actor=lead, now=clock.now(), assignee="me", standing_in_for=("jc",))
    assert [t.id for t in rows] == [task_id]
    done = api.as_("jc_lead").post(f"/api/tasks/{task_id}/complete", {"data": {}})
    assert done.status_code == 200, done.get_json()
    takeover = next(e for e in _trail(api, case["id"]) if e["kind"] == "task_reassigned")
    assert takeover["details"]["on_behalf_of"] == "jc" and takeover["actor"] == "jc_lead"
