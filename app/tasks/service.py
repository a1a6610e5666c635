"""The inbox: listing, claiming, releasing and completing human tasks."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.forms.service import checked_submission
from app.instances import messages
from app.instances.models import ProcessInstance
from app.tasks.models import TASK_STATUSES, HumanTask
from app.tasks.substitutes import take_over_as_substitute

MUNICIPALITY_WIDE_READERS = ("supervisor", "admin")
SORTS = {"due_at": HumanTask.due_at, "created_at": HumanTask.created_at, "id": HumanTask.id}


def real_cases() -> ColumnElement[bool]:
    """Tasks of real cases only: statistics and the heatmap leave designers' test cases out."""
    return HumanTask.instance_id.not_in(select(ProcessInstance.id).where(ProcessInstance.is_test.is_(True)))


def visible_tasks(query: Select, actor: Principal) -> Select:
    """Clerks and leads see their offices' tasks; supervisors and admins the whole municipality."""
    query = query.where(HumanTask.municipality_id == actor.municipality_id)
    if actor.has(*MUNICIPALITY_WIDE_READERS):
        return query
    return query.where(HumanTask.office_id.in_(actor.office_ids or {-1}))


def list_tasks(session: Session, *, actor: Principal, now: datetime, status: str = "open", assignee: str | None = None,
               unassigned: bool = False, or_unassigned: bool = False, process_key: str | None = None,
               business_key: str | None = None, office: str | None = None, due_before: datetime | None = None,
               due_after: datetime | None = None, overdue: bool = False, instance_id: int | None = None,
               sort_by: str = "due_at", sort_order: str = "asc", limit: int = 50, offset: int = 0,
               standing_in_for: tuple[str, ...] = ()) -> tuple[list[HumanTask], int]:
    """The inbox query: filters as in Camunda's GET /task, always scoped to the caller.

    `or_unassigned` widens an `assignee` filter to "assigned to them or to nobody" (the web inbox: mine + queue);
    `standing_in_for` adds the tasks of absent clerks the caller substitutes to "me".
    """
    query = visible_tasks(select(HumanTask), actor)
    if status != "all":
        if status not in TASK_STATUSES:
            raise Invalid(f"unknown status '{status}'; one of {', '.join(TASK_STATUSES)} or all")
        # Inlined (the value is one of TASK_STATUSES) so that PostgreSQL can use the partial indexes on open tasks
        # also in a generic plan of a prepared statement.
        query = query.where(HumanTask.status == literal(status, literal_execute=True))
    if assignee:
        mine: ColumnElement[bool]
        if assignee == "me" and standing_in_for:
            mine = HumanTask.assignee.in_((actor.username, *standing_in_for))
        else:
            mine = HumanTask.assignee == (actor.username if assignee == "me" else assignee)
        query = query.where(or_(mine, HumanTask.assignee.is_(None)) if or_unassigned else mine)
    if unassigned:
        query = query.where(HumanTask.assignee.is_(None))
    if process_key:
        query = query.where(HumanTask.process_key == process_key)
    if business_key:
        query = query.where(HumanTask.business_key == business_key)
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == instance_id)
    if office:
        from app.directory.service import find_office
        found = find_office(session, actor.municipality_id, office)
        query = query.where(HumanTask.office_id == (found.id if found else -1))
    if due_before:
        query = query.where(HumanTask.due_at < due_before)
    if due_after:
        query = query.where(HumanTask.due_at > due_after)
    if overdue:
        if status != "open":
            query = query.where(HumanTask.status == literal("open", literal_execute=True))
        query = query.where(HumanTask.due_at < now)
    if sort_by not in SORTS:
        raise Invalid(f"unknown sort_by '{sort_by}'; one of {', '.join(SORTS)}")
    column = SORTS[sort_by]
    # Tasks without a due date sort after dated ones in both directions. In PostgreSQL "due_at ASC NULLS LAST, id"
    # is the order of ix_human_task_open_office, so an office inbox page reads only its own rows.
    order = (column.desc() if sort_order == "desc" else column.asc()).nulls_last()
    total = session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True)) or 0
    rows = session.scalars(query.order_by(order, HumanTask.id).limit(limit).offset(offset))
    return list(rows), total


def get_task(session: Session, *, actor: Principal, task_id: int) -> HumanTask:
    """A task the caller may see (404 otherwise)."""
    task = session.scalar(visible_tasks(select(HumanTask), actor).where(HumanTask.id == task_id))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def _may_see(actor: Principal, task: HumanTask) -> bool:
    """The rule of `visible_tasks` for one loaded row."""
    if task.municipality_id != actor.municipality_id:
        return False
    return actor.has(*MUNICIPALITY_WIDE_READERS) or task.office_id in actor.office_ids


def may_work(actor: Principal, task: HumanTask) -> bool:
    """Clerks and leads of the task's office (and admins) work on it: claim, release, complete."""
    if actor.has("admin"):
        return True
    return actor.has("clerk", "lead") and task.office_id in actor.office_ids


def _may_take_from(actor: Principal, task: HumanTask) -> bool:
    """Who may release a task someone holds: its holder, a lead or an admin."""
    return task.assignee == actor.username or actor.has("lead", "admin")


def may_claim(actor: Principal, task: HumanTask) -> bool:
    """Whether `claim` would take the task for the actor now (an open task nobody holds)."""
    return task.status == "open" and may_work(actor, task) and task.assignee is None


def may_release(actor: Principal, task: HumanTask) -> bool:
    """Whether `unclaim` would give the task back to the office queue now."""
    return (task.status == "open" and may_work(actor, task) and task.assignee is not None
            and _may_take_from(actor, task))


def may_complete(actor: Principal, task: HumanTask, *, standing_in_for: tuple[str, ...] = ()) -> bool:
    """Whether `complete` would accept the actor's answer now: an open task nobody else holds.

    `standing_in_for` names the absent clerks the actor substitutes today (app.directory.absence): their tasks
    the actor completes "in Vertretung".
    """
    holder_away = task.assignee is not None and task.assignee in standing_in_for
    return (task.status == "open" and may_work(actor, task)
            and (task.assignee in (None, actor.username) or holder_away))


# The case is found through the task's primary key in a scalar subquery, so both lookups are by primary key
# whatever the planner knows (a join here was planned as a loop over the municipality's cases while the
# tables had no statistics yet).
_LOCK_BY_TASK = orchestration.LOCK_CASE.where(
    ProcessInstance.id == select(HumanTask.instance_id).where(HumanTask.id == bindparam("task_id")).scalar_subquery(),
    ProcessInstance.municipality_id == bindparam("municipality_id"))


def _lock_for_action(session: Session, actor: Principal, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    """Lock the task's case first, then read the task: what the caller checks is what it will change."""
    instance = orchestration.lock_case(session, _LOCK_BY_TASK,
                                       {"task_id": task_id, "municipality_id": actor.municipality_id})
    if instance is None:
        raise NotFound(f"task {task_id} not found")
    task = session.get(HumanTask, task_id, populate_existing=True)  # re-read under the lock
    if task is None or not _may_see(actor, task):
        raise NotFound(f"task {task_id} not found")
    if not may_work(actor, task):
        raise Forbidden("only clerks and leads of the task's office work on it")
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}")
    return task, instance


def claim(session: Session, *, actor: Principal, task_id: int, clock: Clock) -> HumanTask:
    """Take a task; a task claimed by someone else is a conflict."""
    task, instance = _lock_for_action(session, actor, task_id)
    if task.assignee == actor.username or take_over_as_substitute(session, actor=actor, task=task,
                                                                  instance=instance, clock=clock):
        return task
    if task.assignee is not None:
        raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
    task.assignee = actor.username
    audit.record(session, municipality_id=task.municipality_id, kind="task_claimed", actor=actor.username,
                 at=clock.now(), instance=instance, office=orchestration.office_name(session, task.office_id),
                 element_id=task.element_id, details={"task_id": task.id, "old": None, "new": actor.username})
    session.flush()
    return task


def unclaim(session: Session, *, actor: Principal, task_id: int, clock: Clock) -> HumanTask:
    """Give a task back to the office queue (the assignee, a lead or an admin)."""
    task, instance = _lock_for_action(session, actor, task_id)
    if task.assignee is None:
        return task
    if not _may_take_from(actor, task):
        raise Conflict(f"task {task_id} is claimed by {task.assignee}")
    old = task.assignee
    task.assignee = None
    audit.record(session, municipality_id=task.municipality_id, kind="task_unclaimed", actor=actor.username,
                 at=clock.now(), instance=instance, office=orchestration.office_name(session, task.office_id),
                 element_id=task.element_id, details={"task_id": task.id, "old": old, "new": None})
    session.flush()
    return task


def complete(session: Session, *, actor: Principal, task_id: int, data: dict[str, Any] | None,
             clock: Clock) -> HumanTask:
    """Complete a task with form data; the engine advances in the same transaction."""
    return complete_and_follow(session, actor=actor, task_id=task_id, data=data, clock=clock)[0]


def complete_and_follow(session: Session, *, actor: Principal, task_id: int, data: dict[str, Any] | None,
                        clock: Clock) -> tuple[HumanTask, list[HumanTask]]:
    """Complete a task (see `complete`) and return where the case went: its `next_tasks`."""
    task, instance = _lock_for_action(session, actor, task_id)
    take_over_as_substitute(session, actor=actor, task=task, instance=instance, clock=clock)
    if task.assignee is not None and task.assignee != actor.username:
        raise Conflict(f"task {task_id} is claimed by {task.assignee}")
    data = data or {}
    categories = None
    if task.form_key:
        data, categories = checked_submission(session, municipality_id=task.municipality_id, form_key=task.form_key,
                                              data=data)
    stepped = messages.step(session, instance, orchestration.Operation(
        "complete", engine_task_id=task.engine_task_id, human_task_id=task.id, data=data, categories=categories),
        actor=actor, clock=clock)
    # When no other task of the case stayed open through the step, its open tasks are the ones it created.
    following = stepped.open_tasks if stepped.open_tasks is not None else next_tasks(session, task)
    return task, following


def next_tasks(session: Session, task: HumanTask) -> list[HumanTask]:
    """Open tasks of the same instance created with or after this one: where the case went."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.status == "open", HumanTask.id > task.id)
        .order_by(HumanTask.id)))
