"""Supervisor insights: how long tasks take per office and per activity, and recent escalations.

All queries are tenant-scoped and use the human_task indexes ix_human_task_completed (office times),
ix_human_task_activity (per activity), ix_human_task_open_activity (tasks waiting now, read from the
index alone) and ix_human_task_escalated. Leads see their own offices only.
Medians: PostgreSQL computes them (percentile_cont); SQLite, the small embedded deployment, returns the
durations and Python takes the median.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.directory.service import Principal
from app.errors import Forbidden
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask
from app.tasks.service import real_cases

INSIGHT_ROLES = ("lead", "supervisor", "admin")
WINDOW_DAYS = 90


@dataclass(frozen=True)
class OfficeTimes:
    """Completed tasks of one office in the window and the median hours from creation to completion."""

    office_id: int | None
    office: str | None
    completed: int
    median_hours: float


@dataclass
class ActivityStats:
    """One activity (BPMN element) of a process: tasks waiting now, tasks done in the window, median hours."""

    element_id: str
    name: str
    waiting: int = 0
    overdue: int = 0
    completed: int = 0
    median_hours: float | None = None


def _check(actor: Principal) -> None:
    if not actor.has(*INSIGHT_ROLES):
        raise Forbidden("insights are for leads, supervisors and admins")


def _scope(actor: Principal) -> list[ColumnElement[bool]]:
    """The tasks the actor may count: their municipality; a lead's own offices only."""
    conditions: list[ColumnElement[bool]] = [HumanTask.municipality_id == actor.municipality_id, real_cases()]
    if not actor.has("supervisor", "admin"):
        conditions.append(HumanTask.office_id.in_(actor.office_ids or {-1}))
    return conditions


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)


def _with_instance(query: Select, join: bool) -> Select:
    """Join the instance when a condition needs it (filtering by definition version)."""
    return query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) if join else query


def _medians(session: Session, group: Any, conditions: list[ColumnElement[bool]], join: bool = False
             ) -> dict[Any, tuple[int, float]]:
    """group value -> (number of completed tasks, median seconds from created_at to completed_at)."""
    base = [*conditions, HumanTask.status == "completed", HumanTask.completed_at.is_not(None)]
    if session.get_bind().dialect.name == "postgresql":
        seconds: ColumnElement[Any] = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
        query = _with_instance(select(group, func.count(), func.percentile_cont(0.5).within_group(seconds)), join)
        return {key: (count, float(median)) for key, count, median in session.execute(
            query.where(*base).group_by(group))}
    seconds = (func.julianday(HumanTask.completed_at) - func.julianday(HumanTask.created_at)) * 86400.0
    durations: dict[Any, list[float]] = {}
    for key, value in session.execute(_with_instance(select(group, seconds), join).where(*base)):
        durations.setdefault(key, []).append(float(value))
    return {key: (len(values), statistics.median(values)) for key, values in durations.items()}


def office_times(session: Session, *, actor: Principal, now: datetime, days: int = WINDOW_DAYS) -> list[OfficeTimes]:
    """Per office: tasks completed in the last `days` days and their median hours from creation to completion."""
    _check(actor)
    since = now - timedelta(days=days)
    medians = _medians(session, HumanTask.office_id, [*_scope(actor), HumanTask.completed_at >= since])
    names = dict(session.execute(select(Office.id, Office.name).where(
        Office.municipality_id == actor.municipality_id)).all())
    rows = [OfficeTimes(office_id, names.get(office_id) if office_id else None, count, _hours(median) or 0.0)
            for office_id, (count, median) in medians.items()]
    return sorted(rows, key=lambda row: (row.office is None, row.office or ""))


def activity_stats(session: Session, *, actor: Principal, process_key: str, now: datetime,
                   definition_id: int | None = None, days: int = WINDOW_DAYS) -> dict[str, ActivityStats]:
    """Per activity of a process (all versions, or one): open tasks now and the median time of completed ones."""
    _check(actor)
    scope = [*_scope(actor), HumanTask.process_key == process_key]
    if definition_id is not None:
        scope.append(ProcessInstance.definition_id == definition_id)
    join = definition_id is not None
    stats: dict[str, ActivityStats] = {}
    waiting = _with_instance(select(HumanTask.element_id, func.max(HumanTask.name), func.count(),
                                    func.count().filter(HumanTask.due_at < now)), join)
    # 'open' inlined: the partial index ix_human_task_open_activity answers this also in a generic plan.
    open_now = HumanTask.status == literal("open", literal_execute=True)
    for element_id, name, count, late in session.execute(waiting.where(*scope, open_now)
                                                         .group_by(HumanTask.element_id)):
        stats[element_id] = ActivityStats(element_id, name or element_id, waiting=count, overdue=late)
    recent = [*scope, HumanTask.completed_at >= now - timedelta(days=days)]
    names = dict(session.execute(_with_instance(select(HumanTask.element_id, func.max(HumanTask.name)), join)
                                 .where(*recent, HumanTask.status == "completed").group_by(HumanTask.element_id)).all())
    for element_id, (count, median) in _medians(session, HumanTask.element_id, recent, join).items():
        entry = stats.setdefault(element_id, ActivityStats(element_id, names.get(element_id) or element_id))
        entry.completed, entry.median_hours = count, _hours(median)
    return stats


def recent_escalations(session: Session, *, actor: Principal, now: datetime, days: int = 30,
                       limit: int = 20) -> list[HumanTask]:
    """Tasks escalated in the last `days` days (open or since done), newest escalation first."""
    _check(actor)
    since = now - timedelta(days=days)
    return list(session.scalars(select(HumanTask).where(*_scope(actor), HumanTask.escalated_at >= since)
                                .order_by(HumanTask.escalated_at.desc(), HumanTask.id.desc()).limit(limit)))
