"""Legal clocks end to end: trigger from case data, timers on the legal calendar, clocks bound to the case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.deadlines.models import CaseClock
from app.extensions import db
from app.instances.models import ProcessInstance
from app.scheduler.service import fire_due_timers


def _open(api, case_id, user="abh"):
    return [t for t in api.as_(user).tasks() if t["instance_id"] == case_id]


def _complete(api, task, data, user="abh"):
    return api.as_(user).post(f"/api/tasks/{task['id']}/complete", {"data": data})


def _next_timer(case_id):
    db.session.expire_all()
    return db.session.get(ProcessInstance, case_id).next_timer_at


def test_court_deadline_counts_from_delivery_not_from_task_creation(api, clock):
    """§ 74 Abs. 1 AsylG: 2 weeks from Zustellung (entered later), the clerk sees where the clock started."""
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", "AZ-K1").get_json()
    [task] = _open(api, case["id"])
    clock.set(datetime.fromisoformat("2026-03-09T10:00:00+01:00"))  # entered a week after delivery
    assert _complete(api, task, {"zugestellt_am": "2026-03-02"}).status_code == 200
    [watch] = _open(api, case["id"])
    assert datetime.fromisoformat(watch["due_at"]) == datetime.fromisoformat("2026-03-16T23:59:59.999999+01:00")
    assert (watch["due_from"], watch["due_from_label"]) == ("2026-03-02", "Zustellung des Bescheids")
    assert (watch["deadline_kind"], watch["against"], watch["legal_source"]) == ("legal", "person",
                                                                                 "§ 74 Abs. 1 AsylG")
    # The boundary timer runs on the same clock and fires at the end of the last day, not at the arming instant.
    assert _next_timer(case["id"]) == datetime.fromisoformat("2026-03-16T23:59:59.999999+01:00")
    clock.set(datetime.fromisoformat("2026-03-16T23:59:00+01:00"))
    assert fire_due_timers(db.session, clock=clock) == []
    clock.set(datetime.fromisoformat("2026-03-17T00:00:01+01:00"))
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    assert [t["element_id"] for t in _open(api, case["id"])] == ["ut_frist_abgelaufen"]


def test_reminder_of_a_legal_clock_is_on_a_working_day(api, clock):
    """Reminder two days before Mon 16 Mar is Sat 14 Mar -> moved to Friday 13 Mar, 00:00 Berlin."""
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", "AZ-K2").get_json()
    [task] = _open(api, case["id"])
    _complete(api, task, {"zugestellt_am": "2026-03-02"})
    db.session.expire_all()
    row = db.session.execute(db.text("SELECT remind_at FROM human_task WHERE element_id = 'ut_klagefrist'")).scalar()
    remind = row if isinstance(row, datetime) else datetime.fromisoformat(str(row))
    assert remind.replace(tzinfo=None) == datetime(2026, 3, 12, 23, 0)  # 13 Mar 00:00 Berlin in UTC


def test_missing_trigger_is_an_incident_naming_element_and_variable(api, clock):
    """No silent 'now': a deadline whose trigger date is missing stops the step at the element."""
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", "AZ-K3").get_json()
    [task] = _open(api, case["id"])
    response = _complete(api, task, {})
    assert response.status_code == 422
    body = response.get_json()
    # The boundary timer of the task is armed first; it names itself and the missing variable.
    assert "zugestellt_am" in body["message"] and "'bt_frist'" in body["message"]
    db.session.expire_all()
    assert db.session.get(ProcessInstance, case["id"]).status == "incident"


def test_malformed_trigger_is_an_incident(api, clock):
    """A trigger that is not a date is named with its value."""
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", "AZ-K4").get_json()
    [task] = _open(api, case["id"])
    response = _complete(api, task, {"zugestellt_am": "2.3.2026"})
    assert response.status_code == 422 and "is not a date" in response.get_json()["message"]


def test_bound_clock_keeps_its_end_when_the_loop_rearms_the_timer(api, clock):
    """§ 2 AsylbLG: 36 months from entry, counted once; re-armed boundary timers keep the end (P2's bug)."""
    api.deploy("clock_loop.bpmn")
    case = api.start("analogleistungen", "AZ-A1", {"einreise_am": "2025-03-02"}, user="jc").get_json()
    end = datetime.fromisoformat("2028-03-01T23:59:59.999999+01:00")  # beginn rule, no § 193 shift
    assert _next_timer(case["id"]) == end
    for month in ("2026-11-02", "2027-06-01"):
        clock.set(datetime.fromisoformat(f"{month}T09:00:00+01:00"))
        [task] = _open(api, case["id"], "jc")
        assert _complete(api, task, {}, "jc").status_code == 200
        assert _next_timer(case["id"]) == end
    [bound] = db.session.scalars(select(CaseClock).where(CaseClock.instance_id == case["id"])).all()
    assert (bound.name, bound.due_from.isoformat(), bound.legal_source) == ("analogleistungen", "2025-03-02",
                                                                            "§ 2 Abs. 1 AsylbLG")
    clock.set(datetime.fromisoformat("2028-03-02T00:00:01+01:00"))
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    assert [t["element_id"] for t in _open(api, case["id"], "jc")] == ["ut_analog"]
