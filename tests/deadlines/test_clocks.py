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
    [shown] = api.as_("jc").get(f"/api/instances/{case['id']}/clocks").get_json()
    assert (shown["name"], shown["due_from"], shown["deadline_kind"]) == ("analogleistungen", "2025-03-02", "legal")
    assert api.as_("fremd").get(f"/api/instances/{case['id']}/clocks").status_code == 404
    clock.set(datetime.fromisoformat("2028-03-02T00:00:01+01:00"))
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    assert [t["element_id"] for t in _open(api, case["id"], "jc")] == ["ut_analog"]


def _watched(api, clock, key):
    api.deploy("clocks.bpmn")
    case = api.start("klagefrist", key).get_json()
    [task] = _open(api, case["id"])
    _complete(api, task, {"zugestellt_am": "2026-03-02"})
    return _open(api, case["id"])[0]


def test_hemmung_keeps_the_time_left_and_is_not_overdue_meanwhile(app, api, clock):
    """Paused Tue 10 Mar – Fri 20 Mar (10 days): the end moves from Mon 16 Mar to Thu 26 Mar; audited."""
    from app.deadlines.service import run_deadline_jobs

    task = _watched(api, clock, "AZ-H1")
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+01:00"))
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/pause", {"reason": "x"}).status_code == 403
    assert api.as_("jc_lead").post(f"/api/tasks/{task['id']}/pause", {"reason": "x"}).status_code in (403, 404)
    assert api.as_("super").post(f"/api/tasks/{task['id']}/pause", {}).status_code == 422
    paused = api.as_("super").post(f"/api/tasks/{task['id']}/pause", {"reason": "Prozesskostenhilfeantrag"})
    assert paused.status_code == 200, paused.get_json()
    body = paused.get_json()
    assert body["paused"] is True and body["due_at"] is None and body["deadline_kind"] == "legal"
    clock.set(datetime.fromisoformat("2026-03-18T09:00:00+01:00"))  # after the old end: not overdue, no escalation
    assert run_deadline_jobs(db.session, clock=clock, notifier=app.extensions["lotse_notifier"]).escalated == 0
    assert api.as_("abh").tasks(overdue="true") == []
    assert api.as_("super").post(f"/api/tasks/{task['id']}/pause", {"reason": "y"}).status_code == 409
    clock.set(datetime.fromisoformat("2026-03-20T09:00:00+01:00"))
    resumed = api.as_("super").post(f"/api/tasks/{task['id']}/resume").get_json()
    assert datetime.fromisoformat(resumed["due_at"]) == datetime.fromisoformat("2026-03-26T23:59:59.999999+01:00")
    assert resumed["paused"] is False
    kinds = [e["kind"] for e in api.as_("super").get(f"/api/instances/{task['instance_id']}/audit").get_json()["items"]]
    assert "deadline_paused" in kinds and "deadline_resumed" in kinds


def test_unterbrechung_restarts_the_full_period(api, clock):
    """Restart on resume Wed 18 Mar: 14 days from then end Wed 1 Apr."""
    task = _watched(api, clock, "AZ-U1")
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+01:00"))
    api.as_("super").post(f"/api/tasks/{task['id']}/pause", {"reason": "Nachforderung", "mode": "unterbrechung"})
    clock.set(datetime.fromisoformat("2026-03-18T09:00:00+01:00"))
    resumed = api.as_("super").post(f"/api/tasks/{task['id']}/resume").get_json()
    assert datetime.fromisoformat(resumed["due_at"]) == datetime.fromisoformat("2026-04-01T23:59:59.999999+02:00")


def test_person_clock_reminds_the_office_and_does_not_escalate(app, api, clock):
    """§ 74 AsylG runs against the person: the office is reminded before the end; its passing is no escalation."""
    from app.deadlines.service import run_deadline_jobs

    _watched(api, clock, "AZ-P1")
    notifier = app.extensions["lotse_notifier"]
    clock.set(datetime.fromisoformat("2026-03-13T08:00:00+01:00"))
    assert run_deadline_jobs(db.session, clock=clock, notifier=notifier).reminded == 1
    clock.set(datetime.fromisoformat("2026-03-17T08:00:00+01:00"))
    assert run_deadline_jobs(db.session, clock=clock, notifier=notifier).escalated == 0
    [note] = api.as_("abh").get("/api/notifications").get_json()["items"]
    assert note["kind"] == "reminder" and "gesetzliche Frist, läuft gegen die Person" in note["body"]
    assert "Frist läuft seit 02.03.2026 (Zustellung des Bescheids)" in note["body"]


WERKTAGE_TIMER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="t">
  <bpmn:process id="uma_meldung" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Jobcenter">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>warten</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>ut</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="warten" name="7 Werktage ab Beginn der Inobhutnahme">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="lotse:dueFrom" value="${inobhutnahme_beginn}" />
        <camunda:property name="lotse:calendar" value="werktage-nrw" />
        <camunda:property name="lotse:legalSource" value="§ 42a Abs. 4 SGB VIII" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>
      <bpmn:timerEventDefinition id="td"><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="ut" name="Meldung nachhalten">
      <bpmn:incoming>b</bpmn:incoming><bpmn:outgoing>c</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>c</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="warten" />
    <bpmn:sequenceFlow id="b" sourceRef="warten" targetRef="ut" />
    <bpmn:sequenceFlow id="c" sourceRef="ut" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_intermediate_timer_counts_werktage_from_the_case_date(api, clock):
    """P3's bug: 7 Werktage from the start of custody (Mon 2 Mar) end Wed 11 Mar, even when the case starts later."""
    deployed = api.as_("designer").upload("/api/definitions", WERKTAGE_TIMER.encode(), "uma.bpmn")
    assert deployed.status_code in (200, 201), deployed.get_json()
    clock.set(datetime.fromisoformat("2026-03-05T15:00:00+01:00"))
    case = api.start("uma_meldung", "UMA-1", {"inobhutnahme_beginn": "2026-03-02"}, user="jc").get_json()
    assert _next_timer(case["id"]) == datetime.fromisoformat("2026-03-11T23:59:59.999999+01:00")


def test_the_model_pauses_a_deadline_while_a_step_is_open(api, clock):
    """§ 6 Abs. 3 BQFG: while documents are requested the decision clock stands; it restarts when they are in."""
    api.deploy("clock_pause.bpmn")
    case = api.start("anerkennung", "AN-1", user="jc").get_json()
    tasks = {t["element_id"]: t for t in _open(api, case["id"], "jc")}
    decision = tasks["ut_bescheid"]
    assert decision["paused"] is True and decision["due_at"] is None and decision["pause_mode"] == "unterbrechung"
    assert decision["pause_reason"] == "Schritt offen: Unterlagen nachfordern"
    clock.set(datetime.fromisoformat("2026-04-15T10:00:00+02:00"))
    assert _complete(api, tasks["ut_nachforderung"], {}, "jc").status_code == 200
    [decision] = _open(api, case["id"], "jc")
    assert decision["paused"] is False
    assert datetime.fromisoformat(decision["due_at"]) == datetime.fromisoformat("2026-07-15T23:59:59.999999+02:00")
    kinds = [e["kind"] for e in api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]]
    assert kinds.count("deadline_paused") == 1 and kinds.count("deadline_resumed") == 1
