"""BPMN timers fire through the scheduler service when the (fake) clock passes their due time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.clock import FakeClock
from app.extensions import db
from app.scheduler.service import fire_due_timers


def _open(api, user):
    return sorted(t["element_id"] for t in api.as_(user).tasks())


def test_boundary_timers_fire_once_at_their_time(api, clock):
    api.deploy("timers.bpmn")
    case = api.start("frist_ueberwachen", "AZ-T1").get_json()
    assert datetime.fromisoformat(case["next_timer_at"]) == clock.now() + timedelta(hours=48)

    clock.advance(hours=47)
    assert fire_due_timers(db.session, clock=clock) == []
    clock.advance(hours=2)
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    assert fire_due_timers(db.session, clock=clock) == []
    # non-interrupting: the reminder appears, the original task stays
    assert _open(api, "abh") == ["ut_bearbeiten", "ut_erinnern"]

    clock.advance(days=9)
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    # interrupting: the original task is withdrawn and the case goes to the Jobcenter
    assert _open(api, "abh") == ["ut_erinnern"]
    assert _open(api, "jc") == ["ut_eskalation"]
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["next_timer_at"] is None
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    fired = [e["element_id"] for e in trail if e["kind"] == "timer_fired"]
    assert fired == ["bt_erinnerung", "bt_frist"]
    assert [e["element_id"] for e in trail if e["kind"] == "task_cancelled"] == ["ut_bearbeiten"]


def test_completing_the_task_cancels_its_timers(api, clock):
    api.deploy("timers.bpmn")
    case = api.start("frist_ueberwachen", "AZ-T2").get_json()
    task = case["active_tasks"][0]
    assert api.as_("abh").post(f"/api/tasks/{task['id']}/complete").status_code == 200
    clock.advance(days=30)
    assert fire_due_timers(db.session, clock=clock) == []
    assert api.as_("super").get(f"/api/instances/{case['id']}").get_json()["status"] == "completed"


def test_a_timer_is_not_claimed_before_it_can_fire(api, clock):
    api.deploy("wait_timer.bpmn")
    case = api.start("wartefrist", "AZ-T3", user="jc").get_json()
    due = datetime.fromisoformat(case["next_timer_at"])
    clock.set(due)
    assert fire_due_timers(db.session, clock=clock) == []
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert datetime.fromisoformat(detail["next_timer_at"]) == due  # not pushed back by a failed claim
    clock.advance(microseconds=1)
    assert fire_due_timers(db.session, clock=clock) == [case["id"]]
    assert [t["element_id"] for t in api.as_("jc").tasks()] == ["ut_nach"]


def test_a_timer_due_before_the_next_tick_gets_a_wake_up_at_its_due_time(app, api, clock, session, monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.scheduler import runner
    from app.scheduler.runner import WAKEUP_AFTER_DUE, tick

    api.deploy("wait_timer.bpmn")
    case = api.start("wartefrist", "AZ-T4", user="jc").get_json()
    due = datetime.fromisoformat(case["next_timer_at"])
    session.commit()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        clock.set(due - timedelta(seconds=5))  # further than one tick (1 s) away: the tick will do
        tick(app, scheduler)
        assert scheduler.get_job("timer-wakeup") is None
        clock.set(due - timedelta(seconds=0.4))
        wall = FakeClock(datetime(2030, 1, 7, 9, 0, tzinfo=timezone.utc))  # APScheduler's real time, held still
        monkeypatch.setattr(runner, "WALL_CLOCK", wall)
        tick(app, scheduler)
        job = scheduler.get_job("timer-wakeup")
        assert job is not None
        assert job.next_run_time == wall.now() + timedelta(seconds=0.4 + WAKEUP_AFTER_DUE)
    finally:
        scheduler.shutdown(wait=False)
    clock.set(due + timedelta(seconds=WAKEUP_AFTER_DUE))
    from app.scheduler.runner import wake_up
    wake_up(app)
    assert [t["element_id"] for t in api.as_("jc").tasks()] == ["ut_nach"]
