"""Leads and supervisors act on tasks: assign a task to a named clerk of its office (substitutes: substitutes.py)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.deadlines.notifier import Message, Notifier
from app.directory.absence import office_members
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask
from app.tasks.service import _LOCK_BY_TASK, _may_see


def may_assign(actor: Principal, task: HumanTask) -> bool:
    """Leads of the task's office, supervisors and admins assign tasks."""
    return actor.has("supervisor", "admin") or (actor.has("lead") and task.office_id in actor.office_ids)


def _lock(session: Session, actor: Principal, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    instance = orchestration.lock_case(session, _LOCK_BY_TASK,
                                       {"task_id": task_id, "municipality_id": actor.municipality_id})
    task = session.get(HumanTask, task_id, populate_existing=True) if instance is not None else None
    if instance is None or task is None or not _may_see(actor, task):
        raise NotFound(f"task {task_id} not found")
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}")
    return task, instance


def assign(session: Session, *, actor: Principal, task_id: int, assignee: str, clock: Clock,
           notifier: Notifier) -> HumanTask:
    """Give an open task to a clerk (or lead) of its office; audited old → new, the new assignee is notified."""
    task, instance = _lock(session, actor, task_id)
    if not may_assign(actor, task):
        raise Forbidden("only leads of the task's office, supervisors and admins assign tasks")
    members = {u.username: u for u in office_members(session, actor.municipality_id, task.office_id)}
    user = members.get(assignee)
    if user is None:
        raise Invalid(f"'{assignee}' is no clerk of the task's office",
                      details={"fields": {"assignee": "not in office"}})
    if task.assignee == assignee:
        return task
    old, now = task.assignee, clock.now()
    task.assignee = assignee
    office = orchestration.office_name(session, task.office_id)
    audit.record(session, municipality_id=task.municipality_id, kind="task_reassigned", actor=actor.username, at=now,
                 instance=instance, office=office, element_id=task.element_id,
                 details={"task_id": task.id, "old": old, "new": assignee})
    notifier.notify(session, [user], Message(
        "assignment", f"Zugewiesen: {task.name} ({task.business_key})",
        f"{actor.username} hat Ihnen „{task.name}“ im Fall {task.business_key} ({office or '—'}) zugewiesen.",
        task.municipality_id, task.id, task.instance_id), now=now)
    session.flush()
    return task
