"""What the clerk screens show of a task and its case, assembled from the services (no business rules here)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import instance_events
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal, list_offices
from app.instances.models import ProcessInstance
from app.tasks import service as tasks
from app.tasks.models import HumanTask
from app.web import formatting
from app.web.history import HistoryEntry, case_history, element_names

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class TaskView:
    """A task row or card: the task plus everything displayed next to it."""

    task: HumanTask
    process: str
    office: str
    due: str
    due_iso: str
    left: str
    overdue: bool
    due_today: bool
    calendar: str
    mine: bool
    can_claim: bool
    can_release: bool
    can_complete: bool

    @property
    def claimed_by_other(self) -> bool:
        """Someone else holds the task."""
        return bool(self.task.assignee) and not self.mine


def office_names(session: Session, municipality_id: int) -> dict[int, str]:
    """Office id → name for a municipality."""
    return {office.id: office.name for office in list_offices(session, municipality_id)}


def process_names(session: Session, tasks: list[HumanTask]) -> dict[int, str]:
    """Instance id → process name (with version) for the given tasks, in one query."""
    ids = {t.instance_id for t in tasks}
    if not ids:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessDefinition.name).join(
        ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(ProcessInstance.id.in_(ids)))
    return dict(rows.all())


def task_view(task: HumanTask, *, actor: Principal, now: datetime, process: str, offices: dict[int, str]) -> TaskView:
    """Present one task for the given user at the given time."""
    left = formatting.time_left(now, task.due_at, task.calendar)
    mine = task.assignee == actor.username
    return TaskView(
        task=task, process=process, office=offices.get(task.office_id, "—") if task.office_id else "—",
        due=formatting.due_display(task.due_at), due_iso=formatting.iso_local(task.due_at), left=left["text"],
        overdue=left["overdue"] and task.status == "open", due_today=left["today"],
        calendar=formatting.calendar_label(task.calendar), mine=mine,
        can_claim=tasks.may_claim(actor, task), can_release=tasks.may_release(actor, task),
        can_complete=tasks.may_complete(actor, task))


def task_views(session: Session, tasks: list[HumanTask], *, actor: Principal, now: datetime) -> list[TaskView]:
    """Present many tasks with two extra queries in total."""
    offices = office_names(session, actor.municipality_id)
    processes = process_names(session, tasks)
    return [task_view(t, actor=actor, now=now, process=processes.get(t.instance_id, t.process_key),
                      offices=offices) for t in tasks]


@lru_cache(maxsize=64)
def _names(bpmn_xml: str) -> dict[str, str]:
    return element_names(bpmn_xml)


def history(session: Session, instance: ProcessInstance, definition: ProcessDefinition) -> list[HistoryEntry]:
    """The case's story so far, from its audit events."""
    task_names = dict(session.execute(select(HumanTask.id, HumanTask.name).where(
        HumanTask.instance_id == instance.id)).all())
    return case_history(instance_events(session, instance.id), task_names=task_names,
                        elements=_names(definition.bpmn_xml))


def case_facts(data: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, str]]:
    """The case's data as label/value pairs (scalars only; technical keys starting with '_' are left out)."""
    facts = []
    for key, value in data.items():
        if key.startswith("_") or isinstance(value, (dict, list)) or value is None:
            continue
        if isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        elif isinstance(value, str) and _ISO_DATE.match(value):
            shown = formatting.din_date(value)
        elif isinstance(value, float):
            shown = f"{value:g}".replace(".", ",")
        else:
            shown = str(value)
        facts.append((labels.get(key, key), shown))
    return facts
