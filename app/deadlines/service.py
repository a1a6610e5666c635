"""Deadlines at work: reminders, escalation (two levels), moving a due date, the overdue summary."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.deadlines.clocks import ends_at_day_end
from app.deadlines.kinds import deadline_kind
from app.deadlines.notifier import Message, Notifier
from app.deadlines.pausing import reschedule
from app.directory.models import Membership, Municipality, Office, User
from app.directory.service import Principal
from app.engine.calendar import BERLIN, DeadlineError, parse_duration
from app.errors import Forbidden, Invalid
from app.instances.models import ProcessInstance
from app.metrics import ESCALATIONS, REMINDERS
from app.tasks.due import before
from app.tasks.models import HumanTask
from app.tasks.service import get_task, real_cases

BATCH = 200


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | None) -> datetime | None:
    """Aggregates may come back naive from SQLite; the values are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _berlin(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def _members(session: Session, office_id: int | None, roles: tuple[str, ...]) -> list[User]:
    query = select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.office_id == office_id, Membership.role.in_(roles), User.active.is_(True))
    return list(session.scalars(query.distinct()))


def _supervisors(session: Session, municipality_id: int) -> list[User]:
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.municipality_id == municipality_id, Membership.role == "supervisor", User.active.is_(True),
    ).distinct()))


def _lock(session: Session, task_id: int) -> tuple[HumanTask, ProcessInstance] | None:
    """Lock the task's instance without waiting; None when another worker holds it (it will come back)."""
    task = session.get_one(HumanTask, task_id)
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.id == task.instance_id)
                              .with_for_update(skip_locked=True))
    if instance is None:
        return None
    session.refresh(task)
    return task, instance


def _office(session: Session, task: HumanTask) -> Office | None:
    return session.get(Office, task.office_id) if task.office_id else None


def _task_line(task: HumanTask) -> str:
    due = "—"
    if task.due_at:
        # A legal clock ends with its day (24:00); only internal targets with a time of day show one.
        due = task.due_at.astimezone(BERLIN).strftime("%d.%m.%Y") if ends_at_day_end(task.due_at) else _berlin(
            task.due_at)
    kind = deadline_kind(task)
    marking = {"legal": " – gesetzliche Frist", "internal": " – interne Zielvorgabe"}.get(kind or "", "")
    if kind == "legal" and task.against == "person":
        marking += ", läuft gegen die Person"
    source = f" ({task.legal_source})" if task.legal_source else ""
    # Notifications are written in German (no request locale in the deadline job).
    since = f"; Frist läuft seit {task.due_from.strftime('%d.%m.%Y')}" if task.due_from else ""
    if since and task.due_from_label:
        since += f" ({task.due_from_label})"
    return f"„{task.name}“ im Fall {task.business_key}, fällig {due}{marking}{source}{since}"


@dataclass
class DeadlineRun:
    """What one pass of the deadline jobs did."""

    reminded: int = 0
    escalated: int = 0
    escalated_level2: int = 0


def run_deadline_jobs(session: Session, *, clock: Clock, notifier: Notifier) -> DeadlineRun:
    """Send due reminders and escalate overdue tasks (each at most once); commits per task."""
    run = DeadlineRun()
    now = clock.now()
    run.reminded = _each(session, select(HumanTask.id).where(
        HumanTask.status == "open", HumanTask.remind_at <= now, HumanTask.reminded_at.is_(None),
        HumanTask.paused_at.is_(None)),
        lambda task, instance: _remind(session, task, instance, now, notifier))
    run.escalated = _each(session, select(HumanTask.id).where(
        HumanTask.status == "open", HumanTask.due_at < now, HumanTask.escalated_at.is_(None),
        # A clock running against the person (court deadline, title expiry) is not the office's lateness: the
        # office is reminded before it ends (lotse:remindBefore) and the model says what follows (a timer).
        or_(HumanTask.against.is_(None), HumanTask.against != "person")),
        lambda task, instance: _escalate(session, task, instance, now, notifier))
    for town in session.scalars(select(Municipality).where(Municipality.coordination_office_id.is_not(None),
                                                           Municipality.second_escalation_after.is_not(None))):
        office_id, after = town.coordination_office_id, town.second_escalation_after
        if office_id is None or after is None:  # the query selects only towns with both
            continue
        threshold = before(now, after)
        run.escalated_level2 += _each(session, select(HumanTask.id).where(
            HumanTask.municipality_id == town.id, HumanTask.status == "open", HumanTask.escalated_at <= threshold,
            HumanTask.second_escalated_at.is_(None)),
            lambda task, instance, office_id=office_id: _escalate_level2(session, task, instance, now, notifier,
                                                                         office_id))
    session.commit()
    return run


def _each(session: Session, ids_query, action) -> int:
    done = 0
    for task_id in list(session.scalars(ids_query.order_by(HumanTask.id).limit(BATCH))):
        locked = _lock(session, task_id)
        if locked is None:
            session.rollback()
            continue
        if action(*locked):
            done += 1
        session.commit()
    return done


def _remind(session: Session, task: HumanTask, instance: ProcessInstance, now: datetime, notifier: Notifier) -> bool:
    if task.status != "open" or task.reminded_at is not None:
        return False
    task.reminded_at = now
    REMINDERS.inc()
    office = _office(session, task)
    if task.assignee:
        recipients = list(session.scalars(select(User).where(User.username == task.assignee)))
    else:
        recipients = _members(session, task.office_id, ("clerk",))
    notifier.notify(session, recipients, Message(
        "reminder", f"Erinnerung: {task.name} ({task.business_key})", "Bitte denken Sie an " + _task_line(task) + ".",
        task.municipality_id, task.id, task.instance_id), now=now)
    audit.record(session, municipality_id=task.municipality_id, kind="reminder_sent", actor="system", at=now,
                 instance=instance, office=office.name if office else None, element_id=task.element_id,
                 details={"task_id": task.id, "recipients": [u.username for u in recipients]})
    return True


def _escalate(session: Session, task: HumanTask, instance: ProcessInstance, now: datetime, notifier: Notifier) -> bool:
    if task.status != "open" or task.escalated_at is not None or task.due_at is None or task.due_at >= now:
        return False
    task.escalated_at = now
    ESCALATIONS.labels(level="1").inc()
    office = _office(session, task)
    # Leads of the owning office first; an office without a lead must not swallow the escalation.
    recipients = _members(session, task.office_id, ("lead",)) or _supervisors(session, task.municipality_id)
    notifier.notify(session, recipients, Message(
        "escalation", f"Frist überschritten: {task.name} ({task.business_key})",
        f"Überfällig im Amt {office.name if office else '—'}: " + _task_line(task) + ".",
        task.municipality_id, task.id, task.instance_id), now=now)
    audit.record(session, municipality_id=task.municipality_id, kind="escalated", actor="system", at=now,
                 instance=instance, office=office.name if office else None, element_id=task.element_id,
                 details={"task_id": task.id, "level": 1, "due_at": task.due_at.isoformat(),
                          "recipients": [u.username for u in recipients]})
    return True


def _escalate_level2(session: Session, task: HumanTask, instance: ProcessInstance, now: datetime, notifier: Notifier,
                     office_id: int) -> bool:
    if task.status != "open" or task.second_escalated_at is not None or task.escalated_at is None:
        return False
    task.second_escalated_at = now
    ESCALATIONS.labels(level="2").inc()
    coordination = session.get_one(Office, office_id)
    recipients = _members(session, office_id, ("clerk", "lead", "supervisor"))
    owner = _office(session, task)
    notifier.notify(session, recipients, Message(
        "escalation_level2", f"Weiterhin überfällig: {task.name} ({task.business_key})",
        f"Seit der Eskalation unbearbeitet im Amt {owner.name if owner else '—'}: " + _task_line(task) + ".",
        task.municipality_id, task.id, task.instance_id), now=now)
    audit.record(session, municipality_id=task.municipality_id, kind="escalated", actor="system", at=now,
                 instance=instance, office=owner.name if owner else None, element_id=task.element_id,
                 details={"task_id": task.id, "level": 2, "to_office": coordination.name,
                          "recipients": [u.username for u in recipients]})
    return True


DUE_MOVERS = ("lead", "supervisor", "admin")  # leads for their offices' tasks only


def _lead_of(actor: Principal, task: HumanTask) -> bool:
    return actor.has("lead") and task.office_id in actor.office_ids


def _may_set_due(actor: Principal, task: HumanTask) -> bool:
    return actor.has("supervisor", "admin") or _lead_of(actor, task)


def may_move_due(actor: Principal, task: HumanTask) -> bool:
    """Whether `move_due_date` would move the task's due date now (leads of its office, supervisors, admins)."""
    return task.status == "open" and _may_set_due(actor, task)


def move_due_date(session: Session, *, actor: Principal, task_id: int, due_at: datetime, clock: Clock,
                  reason: str = "", confirm_past: bool = False) -> HumanTask:
    """A lead of the task's office, a supervisor or an admin moves a due date, giving a reason.

    A date in the past needs `confirm_past` (the task is overdue at once). Audited with old and new value under
    the actor's own role and office (the task's office is in the details); the reason is an erasable payload.
    """
    task = get_task(session, actor=actor, task_id=task_id)
    if not _may_set_due(actor, task):
        raise Forbidden("only leads of the task's office, supervisors and admins move due dates")
    if due_at.tzinfo is None:
        raise Invalid("due_at needs a timezone offset", details={"fields": {"due_at": "timezone offset required"}})
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("moving a due date needs a reason", details={"fields": {"reason": "required"}})
    now = clock.now()
    if due_at <= now and not confirm_past:
        raise Invalid("the new due date is in the past; confirm it (confirm_past) to make the task overdue at once",
                      details={"fields": {"due_at": "in the past", "confirm_past": "required for a past date"}})
    instance = orchestration.lock_instance(session, task.instance_id, actor.municipality_id)
    session.refresh(task)
    if task.status != "open":
        from app.errors import Conflict
        raise Conflict(f"task {task_id} is {task.status}; its due date can no longer change")
    old = task.due_at
    reschedule(task, due_at, old=old, now=now)  # a deadline moved into the future may be missed, and escalate, anew
    role = next(r for r in ("admin", "supervisor", "lead") if actor.has(r) and (r != "lead" or _lead_of(actor, task)))
    actor_office = orchestration.office_name(session, task.office_id) if role == "lead" else None
    audit.record(session, municipality_id=task.municipality_id, kind="due_date_changed", actor=actor.username, at=now,
                 instance=instance, office=actor_office, element_id=task.element_id,
                 details={"task_id": task.id, "old": old.isoformat() if old else None, "new": due_at.isoformat(),
                          "role": role, "task_office": orchestration.office_name(session, task.office_id)},
                 payload={"reason": reason})
    session.flush()
    return task


def overdue_summary(session: Session, *, actor: Principal, now: datetime) -> dict[str, Any]:
    """Per office open/overdue/escalated and the oldest overdue task; per activity where tasks wait longest."""
    if not actor.has("lead", "supervisor", "admin"):
        raise Forbidden("the overdue summary is for leads, supervisors and admins")
    # A literal 'open' lets PostgreSQL use the partial indexes on open tasks, also in a generic (prepared) plan.
    scope = [HumanTask.municipality_id == actor.municipality_id,
             HumanTask.status == literal("open", literal_execute=True), real_cases()]
    if not actor.has("supervisor", "admin"):
        scope.append(HumanTask.office_id.in_(actor.office_ids or {-1}))
    per_office = _per_office(session, actor.municipality_id, scope, now)
    activities: list[dict[str, Any]] = []
    for key, element, name, count, overdue_count, oldest_created in session.execute(select(
            HumanTask.process_key, HumanTask.element_id, HumanTask.name, func.count(),
            func.count().filter(HumanTask.due_at < now), func.min(HumanTask.created_at)).where(*scope).group_by(
            HumanTask.process_key, HumanTask.element_id, HumanTask.name)):
        oldest_created = _aware(oldest_created)
        activities.append({"process_key": key, "element_id": element, "name": name, "open": count,
                           "overdue": overdue_count,
                           "longest_wait_hours": round((now - oldest_created).total_seconds() / 3600, 1)})
    activities.sort(key=lambda a: (-a["longest_wait_hours"], a["process_key"], a["element_id"], a["name"]))
    lag_from, backlog = session.execute(select(func.min(ProcessInstance.next_timer_at), func.count()).where(
        ProcessInstance.municipality_id == actor.municipality_id, ProcessInstance.status == "running",
        ProcessInstance.next_timer_at <= now)).one()
    lag_from = _aware(lag_from)
    return {"generated_at": now.isoformat(), "offices": per_office, "activities": activities,
            "timer_lag_seconds": round((now - lag_from).total_seconds(), 3) if lag_from else 0.0,
            "due_timer_backlog": backlog or 0}


def _per_office(session: Session, municipality_id: int, scope: list[Any], now: datetime) -> list[dict[str, Any]]:
    """Open, overdue and escalated tasks per office with its oldest overdue task: two statements in all.

    The counts come from one grouped scan of the open-task index; the oldest overdue task of every office is then
    fetched in one query by (office, oldest due date); among tasks due at the same moment the lowest id wins.
    """
    overdue = HumanTask.due_at < now
    counts = select(HumanTask.office_id.label("office_id"), func.count().label("open"),
                    func.count().filter(overdue).label("overdue"),
                    func.count().filter(HumanTask.escalated_at.is_not(None)).label("escalated"),
                    func.min(HumanTask.due_at).filter(overdue).label("oldest_due"),
                    ).where(*scope).group_by(HumanTask.office_id).subquery()
    rows = session.execute(select(counts, Office.name.label("office_name")).outerjoin(
        Office, and_(Office.id == counts.c.office_id, Office.municipality_id == municipality_id))).all()
    oldest_due = {row.office_id: _aware(row.oldest_due) for row in rows if row.oldest_due is not None}
    oldest: dict[int | None, dict[str, Any]] = {}
    if oldest_due:
        at_oldest = [and_(HumanTask.office_id.is_(None) if office_id is None else HumanTask.office_id == office_id,
                          HumanTask.due_at == due) for office_id, due in oldest_due.items()]
        for office_id, task_id, name, business_key, due_at, calendar in session.execute(select(
                HumanTask.office_id, HumanTask.id, HumanTask.name, HumanTask.business_key, HumanTask.due_at,
                HumanTask.calendar,
        ).where(*scope, or_(*at_oldest)).order_by(HumanTask.id)):
            assert due_at is not None  # matched on an oldest due date
            oldest.setdefault(office_id, {
                "task_id": task_id, "name": name, "business_key": business_key, "due_at": due_at.isoformat(),
                "calendar": calendar,
                "overdue_hours": round((now - due_at).total_seconds() / 3600, 1)})
    per_office = [{"office": row.office_name or "(ohne Amt)",
                   "open": row.open, "overdue": row.overdue, "escalated": row.escalated,
                   "oldest_overdue": oldest.get(row.office_id)} for row in rows]
    per_office.sort(key=lambda o: (-o["overdue"], o["office"]))
    return per_office


def validate_escalation_settings(duration: str | None) -> None:
    """A second-level period must be an ISO 8601 duration."""
    if duration:
        try:
            parse_duration(duration)
        except DeadlineError as exc:
            raise Invalid(str(exc)) from exc
