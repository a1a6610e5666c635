"""Supervisor insights on both databases: median hand-off times per office and activity, escalations, scoping."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.deadlines.service import run_deadline_jobs
from app.definitions.service import deploy
from app.directory.models import User
from app.directory.service import principal_for
from app.errors import Forbidden
from app.insights.service import activity_stats, office_times, recent_escalations
from app.instances.service import start_instance
from app.tasks import service as tasks
from tests.factories import BPMN_DIR

YES = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True}


def who(session, username):
    """The principal of a test user."""
    return principal_for(session, session.scalar(select(User).where(User.username == username)))


def open_task(session, clock, instance_id, username):
    """The single open task of a case, as seen by `username`."""
    [task], _ = tasks.list_tasks(session, actor=who(session, username), now=clock.now(), instance_id=instance_id)
    return task


def run_case(session, clock, key, abh_hours, jc_hours=None):
    """Start a hand-off case; the Ausländerbehörde completes after `abh_hours`, the Jobcenter after `jc_hours`."""
    instance = start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung",
                              business_key=key, data={}, clock=clock)
    begin = clock.now()
    clock.set(begin + timedelta(hours=abh_hours))
    tasks.complete(session, actor=who(session, "abh"), task_id=open_task(session, clock, instance.id, "abh").id,
                   data=YES, clock=clock)
    if jc_hours is not None:
        clock.set(clock.now() + timedelta(hours=jc_hours))
        tasks.complete(session, actor=who(session, "jc"), task_id=open_task(session, clock, instance.id, "jc").id,
                       data={}, clock=clock)
    clock.set(begin)
    session.flush()
    return instance


@pytest.fixture
def model(session, world, clock):
    """The hand-off model deployed (version 1)."""
    definition, _ = deploy(session, actor=who(session, "designer"), data=(BPMN_DIR / "handoff.bpmn").read_bytes(),
                           clock=clock)
    session.flush()
    return definition


def test_median_hours_per_office_over_the_last_90_days(session, clock, model):
    start = clock.now()
    clock.set(start - timedelta(days=120))
    run_case(session, clock, "AZ-ALT", abh_hours=500)  # completed long before the window: not counted
    clock.set(start)
    run_case(session, clock, "AZ-1", abh_hours=2, jc_hours=24)
    run_case(session, clock, "AZ-2", abh_hours=4)
    run_case(session, clock, "AZ-3", abh_hours=10, jc_hours=6)
    clock.set(start + timedelta(days=2))
    rows = office_times(session, actor=who(session, "super"), now=clock.now())
    assert [(r.office, r.completed, r.median_hours) for r in rows] == [("Ausländerbehörde", 3, 4.0),
                                                                      ("Jobcenter", 2, 15.0)]
    lead = office_times(session, actor=who(session, "jc_lead"), now=clock.now())
    assert [(r.office, r.completed) for r in lead] == [("Jobcenter", 2)]
    assert office_times(session, actor=who(session, "fremd_admin"), now=clock.now()) == []
    assert office_times(session, actor=who(session, "super"), now=clock.now() + timedelta(days=200)) == []


def test_activity_stats_count_waiting_tasks_and_median_times(session, clock, model):
    run_case(session, clock, "AZ-1", abh_hours=3, jc_hours=5)
    run_case(session, clock, "AZ-2", abh_hours=5)
    run_case(session, clock, "AZ-3", abh_hours=8)
    start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung", business_key="AZ-4",
                   data={}, clock=clock)
    stats = activity_stats(session, actor=who(session, "super"), process_key="aufenthalt_leistung", now=clock.now())
    assert (stats["ut_pruefen"].waiting, stats["ut_pruefen"].completed, stats["ut_pruefen"].median_hours) == (1, 3, 5.0)
    assert stats["ut_pruefen"].name == "Aufenthaltsstatus prüfen"
    leistung = stats["ut_leistung"]
    assert (leistung.waiting, leistung.completed, leistung.median_hours) == (2, 1, 5.0)
    assert "ut_ablehnung" not in stats
    lead = activity_stats(session, actor=who(session, "jc_lead"), process_key="aufenthalt_leistung", now=clock.now())
    assert set(lead) == {"ut_leistung"}
    assert activity_stats(session, actor=who(session, "super"), process_key="anderer_prozess", now=clock.now()) == {}


def test_activity_stats_of_one_version(session, clock, model):
    run_case(session, clock, "AZ-1", abh_hours=3)
    xml = (BPMN_DIR / "handoff.bpmn").read_text().replace("Aufenthaltsstatus prüfen", "Status prüfen")
    v2, created = deploy(session, actor=who(session, "designer"), data=xml.encode(), clock=clock)
    assert created and v2.version == 2
    start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung", business_key="AZ-2",
                   data={}, clock=clock)
    actor = who(session, "super")
    everything = activity_stats(session, actor=actor, process_key="aufenthalt_leistung", now=clock.now())
    assert (everything["ut_pruefen"].waiting, everything["ut_pruefen"].completed) == (1, 1)
    first = activity_stats(session, actor=actor, process_key="aufenthalt_leistung", now=clock.now(),
                           definition_id=model.id)
    assert (first["ut_pruefen"].waiting, first["ut_pruefen"].completed, first["ut_leistung"].waiting) == (0, 1, 1)
    second = activity_stats(session, actor=actor, process_key="aufenthalt_leistung", now=clock.now(),
                            definition_id=v2.id)
    assert set(second) == {"ut_pruefen"} and second["ut_pruefen"].waiting == 1


def test_recent_escalations_newest_first_and_scoped(app, session, clock, model):
    start = clock.now()
    first = start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung",
                           business_key="AZ-E1", data={}, clock=clock)
    session.commit()
    clock.set(start + timedelta(days=16))
    run_deadline_jobs(session, clock=clock, notifier=app.extensions["lotse_notifier"])
    clock.set(start + timedelta(days=17))
    second = start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung",
                            business_key="AZ-E2", data={}, clock=clock)
    session.commit()
    clock.set(start + timedelta(days=40))
    run_deadline_jobs(session, clock=clock, notifier=app.extensions["lotse_notifier"])
    found = recent_escalations(session, actor=who(session, "super"), now=clock.now())
    assert [t.instance_id for t in found] == [second.id, first.id]
    assert [t.instance_id for t in recent_escalations(session, actor=who(session, "super"), now=clock.now(),
                                                      days=10)] == [second.id]
    assert recent_escalations(session, actor=who(session, "jc_lead"), now=clock.now()) == []


@pytest.mark.parametrize("username", ["abh", "designer"])
def test_clerks_and_designers_get_no_insights(session, clock, world, username):
    actor = who(session, username)
    with pytest.raises(Forbidden):
        office_times(session, actor=actor, now=clock.now())
    with pytest.raises(Forbidden):
        activity_stats(session, actor=actor, process_key="aufenthalt_leistung", now=clock.now())
    with pytest.raises(Forbidden):
        recent_escalations(session, actor=actor, now=clock.now())
