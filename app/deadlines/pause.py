"""Pausing a task's clock: Hemmung keeps the time left, Unterbrechung restarts the full period on resume.

Hemmung (e.g. § 204 BGB, § 26 Abs. 1 SGB X with § 209 BGB: "the time of the Hemmung is not counted"): the days
the clock stood still are added to its end — working days for a werktage-nrw clock — and a legal deadline's new
last day moves off a Saturday, Sunday or holiday (§ 193 BGB). Unterbrechung (e.g. § 6 Abs. 3 BQFG: the period
begins anew once the requested documents are in): on resume the task's period runs again in full from that day.
While paused a task has no due_at, so overdue views, reminders and escalation leave it alone; it shows "gehemmt".
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from app import orchestration
from app.clock import Clock
from app.deadlines.pausing import apply_pause, apply_resume
from app.directory.service import Principal
from app.errors import Conflict, Forbidden, Invalid
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask
from app.tasks.service import get_task

MODES = ("hemmung", "unterbrechung")


def _locked_open_task(session: Session, actor: Principal, task_id: int) -> tuple[HumanTask, ProcessInstance]:
    task = get_task(session, actor=actor, task_id=task_id)
    if not (actor.has("supervisor", "admin") or (actor.has("lead") and task.office_id in actor.office_ids)):
        raise Forbidden("only leads of the task's office, supervisors and admins pause or resume a deadline")
    instance = orchestration.lock_instance(session, task.instance_id, actor.municipality_id)
    session.refresh(task)
    if task.status != "open":
        raise Conflict(f"task {task_id} is {task.status}; its deadline can no longer change")
    return task, instance


def pause(session: Session, *, actor: Principal, task_id: int, mode: str, reason: str, clock: Clock) -> HumanTask:
    """Pause the task's clock (Hemmung or Unterbrechung) with a reason; audited."""
    if mode not in MODES:
        raise Invalid(f"mode must be one of {', '.join(MODES)}", details={"fields": {"mode": "unknown"}})
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required to pause a deadline", details={"fields": {"reason": "required"}})
    task, instance = _locked_open_task(session, actor, task_id)
    if task.paused_at is not None:
        raise Conflict(f"the deadline of task {task_id} is already paused")
    if task.due_at is None:
        raise Conflict(f"task {task_id} has no deadline to pause")
    apply_pause(session, task, instance, mode, reason, actor.username, clock.now())
    return task


def resume(session: Session, *, actor: Principal, task_id: int, clock: Clock) -> HumanTask:
    """Let a paused clock run again: Hemmung adds the paused days, Unterbrechung restarts the period; audited."""
    task, instance = _locked_open_task(session, actor, task_id)
    if task.paused_at is None:
        raise Conflict(f"the deadline of task {task_id} is not paused")
    apply_resume(session, task, instance, actor.username, clock.now())
    return task
