"""Pausing a task's clock: Hemmung keeps the time left, Unterbrechung restarts the full period on resume.

Hemmung (e.g. § 204 BGB, § 26 Abs. 1 SGB X with § 209 BGB: "the time of the Hemmung is not counted"): the days
the clock stood still are added to its end — working days for a werktage-nrw clock — and a legal deadline's new
last day moves off a Saturday, Sunday or holiday (§ 193 BGB). Unterbrechung (e.g. § 6 Abs. 3 BQFG: the period
begins anew once the requested documents are in): on resume the task's period runs again in full from that day.
While paused a task has no due_at, so overdue views, reminders and escalation leave it alone; it shows "gehemmt".
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.deadlines.clocks import compute_clock, ends_at_day_end
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.engine.calendar import BERLIN, _add_working_days, working_days_between
from app.engine.calendar_rules import end_of, next_working_day
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
    _apply_pause(session, task, instance, mode, reason, actor.username, clock.now())
    return task


def _apply_pause(session: Session, task: HumanTask, instance: ProcessInstance, mode: str, reason: str,
                 actor_name: str, now: datetime) -> None:
    assert task.due_at is not None
    task.paused_at, task.pause_mode, task.pause_reason = now, mode, reason[:300]
    task.paused_due_at, task.due_at = task.due_at, None
    audit.record(session, municipality_id=task.municipality_id, kind="deadline_paused", actor=actor_name, at=now,
                 instance=instance, office=orchestration.office_name(session, task.office_id),
                 element_id=task.element_id, details={"task_id": task.id, "mode": mode, "reason": task.pause_reason,
                                                      "due_at": task.paused_due_at.isoformat()})
    session.flush()


def _after_hemmung(task: HumanTask, now: datetime) -> datetime:
    assert task.paused_due_at is not None and task.paused_at is not None
    old = task.paused_due_at
    if not ends_at_day_end(old):
        return old + (now - task.paused_at)  # an internal target with a time of day: the exact time paused
    last = old.astimezone(BERLIN).date()
    if task.calendar == "werktage-nrw":
        return end_of(_add_working_days(last, max(0, working_days_between(task.paused_at, now))))
    paused_days = (now.astimezone(BERLIN).date() - task.paused_at.astimezone(BERLIN).date()).days
    last += timedelta(days=paused_days)
    legal = task.legal if task.legal is not None else bool(task.legal_source)
    return end_of(next_working_day(last) if legal else last)


def _after_unterbrechung(session: Session, task: HumanTask, instance: ProcessInstance, now: datetime) -> datetime:
    definition = session.get(ProcessDefinition, instance.definition_id)
    summary = definition.summary if definition is not None else {}
    info: dict[str, Any] = ((summary or {}).get("user_tasks") or {}).get(task.element_id) or {}
    if not info.get("due_in") or info["due_in"].startswith("-"):
        raise Conflict(f"the deadline of '{task.element_id}' has no forward period that could start anew; "
                       "resume it as a Hemmung or move its due date")
    clock = {**(info.get("clock") or {}), "due_in": info["due_in"], "calendar": info.get("calendar"), "due_from": None}
    return compute_clock(task.element_id, clock, {}, None, now).due_at


def resume(session: Session, *, actor: Principal, task_id: int, clock: Clock) -> HumanTask:
    """Let a paused clock run again: Hemmung adds the paused days, Unterbrechung restarts the period; audited."""
    task, instance = _locked_open_task(session, actor, task_id)
    if task.paused_at is None:
        raise Conflict(f"the deadline of task {task_id} is not paused")
    _apply_resume(session, task, instance, actor.username, clock.now())
    return task


def _apply_resume(session: Session, task: HumanTask, instance: ProcessInstance, actor_name: str,
                  now: datetime) -> None:
    mode = task.pause_mode
    due = _after_unterbrechung(session, task, instance, now) if mode == "unterbrechung" else _after_hemmung(task, now)
    old = task.paused_due_at
    if old is not None and task.remind_at is not None:
        task.remind_at = due - (old - task.remind_at)
        task.reminded_at = None if task.remind_at > now else task.reminded_at
    task.due_at = due
    if due > now:
        task.escalated_at = task.second_escalated_at = None
    task.paused_at = task.pause_mode = task.pause_reason = task.paused_due_at = None
    audit.record(session, municipality_id=task.municipality_id, kind="deadline_resumed", actor=actor_name, at=now,
                 instance=instance, office=orchestration.office_name(session, task.office_id),
                 element_id=task.element_id, details={"task_id": task.id, "mode": mode,
                                                      "old": old.isoformat() if old else None, "new": due.isoformat()})
    session.flush()


MODEL_REASON = "Schritt offen: "  # prefix of pauses the model made; a lead's pause is never resumed by the model


_PAUSERS: dict[tuple[int, str], dict[str, tuple[str, str]]] = {}


def _pausers(definition: ProcessDefinition) -> dict[str, tuple[str, str]]:
    """Element id → (paused element, mode) of a definition's lotse:pauses tasks; read once per version."""
    key = (definition.id, definition.sha256)
    if key not in _PAUSERS:
        tasks = (definition.summary or {}).get("user_tasks") or {}
        _PAUSERS[key] = {element: (clock["pauses"], clock.get("pause_mode") or "hemmung")
                         for element, info in tasks.items() if (clock := info.get("clock") or {}).get("pauses")}
    return _PAUSERS[key]


def reconcile_model_pauses(session: Session, instance: ProcessInstance, definition: ProcessDefinition, *,
                           now: datetime) -> None:
    """lotse:pauses: while a task naming another is open, that task's deadline is paused; resumed when it ends."""
    pausers = _pausers(definition)
    if not pausers:
        return
    open_tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                              HumanTask.status == "open").order_by(HumanTask.id)))
    wanted = {pausers[t.element_id][0]: (t, pausers[t.element_id][1]) for t in open_tasks if t.element_id in pausers}
    for task in open_tasks:
        if task.element_id in wanted and task.paused_at is None and task.due_at is not None:
            pauser, mode = wanted[task.element_id]
            _apply_pause(session, task, instance, mode, MODEL_REASON + pauser.name, "system", now)
        elif (task.paused_at is not None and (task.pause_reason or "").startswith(MODEL_REASON)
              and task.element_id not in wanted):
            _apply_resume(session, task, instance, "system", now)
