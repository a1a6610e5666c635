"""The overdue summary and the inbox order against a plain Python reference, with several offices and tenants."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.deadlines.service import overdue_summary
from app.definitions.service import deploy
from app.directory import service as directory
from app.directory.models import Office, User
from app.directory.service import principal_for
from app.extensions import db
from app.instances.service import start_instance
from app.tasks.models import HumanTask
from app.tasks.service import list_tasks
from tests.factories import BPMN_DIR


def who(session, username):
    """The principal of a test user."""
    return principal_for(session, session.scalar(select(User).where(User.username == username)))


def office_id(session, municipality_id, name):
    """The id of an office by name within a municipality."""
    return session.scalar(select(Office.id).where(Office.municipality_id == municipality_id, Office.name == name))


@pytest.fixture
def case(session, world, clock):
    """A running hand-off case; its instance carries the extra tasks below."""
    deploy(session, actor=who(session, "designer"), data=(BPMN_DIR / "handoff.bpmn").read_bytes(), clock=clock)
    session.flush()
    instance = start_instance(session, actor=who(session, "abh"), process_key="aufenthalt_leistung",
                              business_key="AZ-Q0", data={}, clock=clock)
    session.flush()
    return instance


@pytest.fixture
def add(session, clock, case):
    """Add one human task to the case, times in hours from now (negative = in the past)."""
    now = clock.now()

    def add_task(municipality_id, office, key, *, due_hours=None, status="open", escalated=False,
                 element=("ut_x", "Prüfen"), created_hours=-1.0, assignee=None):
        task = HumanTask(municipality_id=municipality_id, instance_id=case.id, engine_task_id=f"e-{key}",
                         element_id=element[0], name=element[1], process_key="aufenthalt_leistung",
                         business_key=key, office_id=office, assignee=assignee, status=status,
                         created_at=now + timedelta(hours=created_hours),
                         due_at=None if due_hours is None else now + timedelta(hours=due_hours),
                         escalated_at=now if escalated else None)
        session.add(task)
        session.flush()
        return task

    return add_task


def reference(session, municipality_id, now, office_ids=None):
    """The summary's offices computed in Python from all rows: the semantics the SQL must keep."""
    names = dict(session.execute(select(Office.id, Office.name).where(Office.municipality_id == municipality_id)).all())
    groups: dict = {}
    for task in session.scalars(select(HumanTask).where(HumanTask.municipality_id == municipality_id,
                                                        HumanTask.status == "open")):
        if office_ids is not None and task.office_id not in office_ids:
            continue
        groups.setdefault(task.office_id, []).append(task)
    result = []
    for office, tasks in groups.items():
        late = sorted((t for t in tasks if t.due_at is not None and t.due_at < now), key=lambda t: (t.due_at, t.id))
        oldest = None
        if late:
            first = late[0]
            oldest = {"task_id": first.id, "name": first.name, "business_key": first.business_key,
                      "due_at": first.due_at.isoformat(), "calendar": first.calendar,
                      "overdue_hours": round((now - first.due_at).total_seconds() / 3600, 1)}
        result.append({"office": names.get(office, "(ohne Amt)"), "open": len(tasks), "overdue": len(late),
                       "escalated": sum(t.escalated_at is not None for t in tasks), "oldest_overdue": oldest})
    return sorted(result, key=lambda o: (-o["overdue"], o["office"]))


def test_per_office_counts_and_oldest_overdue_match_the_reference(session, world, clock, case, add):
    now = clock.now()
    here, there = world.municipality_id, world.other_municipality_id
    abh, jc = office_id(session, here, "Ausländerbehörde"), office_id(session, here, "Jobcenter")
    foreign_abh = office_id(session, there, "Ausländerbehörde")
    # Ausländerbehörde: two tasks share the oldest due date (the lower id wins), one escalated, one not yet due,
    # one without a due date, and an older overdue task that is already completed (not counted).
    tie_first = add(here, abh, "AZ-A1", due_hours=-50, escalated=True)
    add(here, abh, "AZ-A2", due_hours=-50)
    add(here, abh, "AZ-A3", due_hours=-2)
    add(here, abh, "AZ-A4", due_hours=30)
    add(here, abh, "AZ-A5")
    add(here, abh, "AZ-A6", due_hours=-500, status="completed")
    # Jobcenter: its own oldest is later than the Ausländerbehörde's; a task due exactly then in another office
    # must not be taken for the Jobcenter's oldest.
    jc_oldest = add(here, jc, "AZ-J1", due_hours=-10, element=("ut_y", "Bescheiden"))
    add(here, jc, "AZ-J2", due_hours=-3, element=("ut_y", "Bescheiden"), escalated=True)
    # Without an office: counted as such, with its own oldest overdue task (due at the Jobcenter's oldest moment).
    add(here, None, "AZ-N0", due_hours=-10)
    add(here, None, "AZ-N1", due_hours=-1)
    # Another municipality, same office name, older tasks: never part of this summary.
    add(there, foreign_abh, "AZ-F1", due_hours=-900)
    add(there, None, "AZ-F2", due_hours=-900)

    summary = overdue_summary(session, actor=who(session, "super"), now=now)
    assert summary["offices"] == reference(session, here, now)
    offices = {o["office"]: o for o in summary["offices"]}
    assert offices["Ausländerbehörde"]["oldest_overdue"]["task_id"] == tie_first.id
    assert offices["Jobcenter"]["oldest_overdue"]["task_id"] == jc_oldest.id
    assert offices["(ohne Amt)"]["oldest_overdue"]["business_key"] == "AZ-N0"
    assert "AZ-F1" not in str(summary) and "AZ-F2" not in str(summary)

    lead = overdue_summary(session, actor=who(session, "jc_lead"), now=now)
    assert lead["offices"] == reference(session, here, now, office_ids={jc})

    # The foreign municipality sees only its own two tasks (its admin may read the summary).
    foreign = overdue_summary(session, actor=who(session, "fremd_admin"), now=now)
    assert foreign["offices"] == reference(session, there, now)
    assert {o["office"] for o in foreign["offices"]} == {"Ausländerbehörde", "(ohne Amt)"}


def test_activities_and_timer_lag(session, world, clock, case, add):
    now = clock.now()
    here = world.municipality_id
    abh, jc = office_id(session, here, "Ausländerbehörde"), office_id(session, here, "Jobcenter")
    add(here, abh, "AZ-B1", due_hours=-5, element=("ut_y", "Bescheiden"), created_hours=-72)
    add(here, jc, "AZ-B2", due_hours=5, element=("ut_y", "Bescheiden"), created_hours=-24)
    add(here, jc, "AZ-B3", due_hours=-5, element=("ut_y", "Bescheiden"), created_hours=-500,
             status="completed")
    add(world.other_municipality_id, None, "AZ-B4", element=("ut_y", "Bescheiden"),
             created_hours=-900)
    case.next_timer_at = now - timedelta(seconds=90)
    session.flush()

    summary = overdue_summary(session, actor=who(session, "super"), now=now)
    bescheiden = [a for a in summary["activities"] if a["element_id"] == "ut_y"]
    assert bescheiden == [{"process_key": "aufenthalt_leistung", "element_id": "ut_y", "name": "Bescheiden",
                           "open": 2, "overdue": 1, "longest_wait_hours": 72.0}]
    assert summary["activities"][0] == bescheiden[0]  # longest wait first
    assert sum(a["open"] for a in summary["activities"]) == sum(o["open"] for o in summary["offices"])
    assert summary["timer_lag_seconds"] == 90.0 and summary["due_timer_backlog"] == 1


def test_summary_statements_do_not_grow_with_offices(session, world, clock, case, add):
    now = clock.now()
    town = directory.get_municipality(session, "musterstadt")
    for number in range(6):
        office = directory.create_office(session, municipality=town, name=f"Amt {number}")
        session.flush()
        add(town.id, office.id, f"AZ-M{number}", due_hours=-(number + 1))
    supervisor = who(session, "super")
    session.flush()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        summary = overdue_summary(session, actor=supervisor, now=now)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([o for o in summary["offices"] if o["oldest_overdue"]]) == 6
    assert len(statements) == 4, statements  # offices, their oldest overdue tasks, activities, timers


def test_inbox_sorts_undated_tasks_last_and_filters_overdue(session, world, clock, case, add):
    now = clock.now()
    here = world.municipality_id
    jc = office_id(session, here, "Jobcenter")
    late = add(here, jc, "AZ-I1", due_hours=-4)
    tie_a = add(here, jc, "AZ-I2", due_hours=8)
    tie_b = add(here, jc, "AZ-I3", due_hours=8)
    undated_a = add(here, jc, "AZ-I4")
    undated_b = add(here, jc, "AZ-I5", assignee="jc_lead")
    done = add(here, jc, "AZ-I6", due_hours=-40, status="completed")
    clerk = who(session, "jc")

    rows, total = list_tasks(session, actor=clerk, now=now)
    assert [t.id for t in rows] == [late.id, tie_a.id, tie_b.id, undated_a.id, undated_b.id] and total == 5
    rows, _ = list_tasks(session, actor=clerk, now=now, sort_order="desc")
    assert [t.id for t in rows] == [tie_a.id, tie_b.id, late.id, undated_a.id, undated_b.id]
    rows, total = list_tasks(session, actor=clerk, now=now, limit=2, offset=1)
    assert [t.id for t in rows] == [tie_a.id, tie_b.id] and total == 5
    rows, total = list_tasks(session, actor=clerk, now=now, assignee="me", or_unassigned=True)
    assert undated_b.id not in [t.id for t in rows] and total == 4
    rows, total = list_tasks(session, actor=clerk, now=now, overdue=True)
    assert [t.id for t in rows] == [late.id] and total == 1
    rows, total = list_tasks(session, actor=clerk, now=now, status="all", overdue=True)
    assert [t.id for t in rows] == [late.id] and total == 1
    assert list_tasks(session, actor=clerk, now=now, status="completed", overdue=True) == ([], 0)
    rows, total = list_tasks(session, actor=clerk, now=now, status="completed")
    assert [t.id for t in rows] == [done.id] and total == 1
