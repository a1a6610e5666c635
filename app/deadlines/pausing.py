"""The mechanics of a paused clock (Hemmung, Unterbrechung), shared by a lead's action and the model's lotse:pauses.

Orchestration calls `reconcile_model_pauses` after every step, so this module imports nothing that steps a case
(the lead's actions, which lock a task first, are in `pause.py`).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.deadlines.clocks import compute_clock, ends_at_day_end
from app.definitions.models import ProcessDefinition
from app.directory.service import office_ref
from app.engine.calendar import BERLIN, _add_working_days, working_days_between
from app.engine.calendar_rules import end_of, next_working_day
from app.errors import Conflict
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask


def _office(session: Session, task: HumanTask) -> str | None:
    office = office_ref(session, task.office_id)
    return office.name if office else None


def reschedule(task: HumanTask, due: datetime, *, old: datetime | None, now: datetime) -> None:
    """Give an open task a new due date: its reminder keeps its distance, a deadline in the future escalates anew."""
    if old is not None and task.remind_at is not None:
        task.remind_at = due - (old - task.remind_at)
        task.reminded_at = None if task.remind_at > now else task.reminded_at
    task.due_at = due
    if due > now:
        task.escalated_at = task.second_escalated_at = None


def apply_pause(session: Session, task: HumanTask, instance: ProcessInstance, mode: str, reason: str,
                 actor_name: str, now: datetime) -> None:
    assert task.due_at is not None
    task.paused_at, task.pause_mode, task.pause_reason = now, mode, reason[:300]
    task.paused_due_at, task.due_at = task.due_at, None
    audit.record(session, municipality_id=task.municipality_id, kind="deadline_paused", actor=actor_name, at=now,
                 instance=instance, office=_office(session, task),
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


def apply_resume(session: Session, task: HumanTask, instance: ProcessInstance, actor_name: str,
                  now: datetime) -> None:
    mode = task.pause_mode
    due = _after_unterbrechung(session, task, instance, now) if mode == "unterbrechung" else _after_hemmung(task, now)
    old = task.paused_due_at
    reschedule(task, due, old=old, now=now)
    task.paused_at = task.pause_mode = task.pause_reason = task.paused_due_at = None
    audit.record(session, municipality_id=task.municipality_id, kind="deadline_resumed", actor=actor_name, at=now,
                 instance=instance, office=_office(session, task),
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
            apply_pause(session, task, instance, mode, MODEL_REASON + pauser.name, "system", now)
        elif (task.paused_at is not None and (task.pause_reason or "").startswith(MODEL_REASON)
              and task.element_id not in wanted):
            apply_resume(session, task, instance, "system", now)
