"""Substitutes: a clerk standing in for an absent colleague takes over the colleague's tasks when working them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.directory.absence import absent_today, berlin_today
from app.directory.service import Principal
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask


def take_over_as_substitute(session: Session, *, actor: Principal, task: HumanTask, instance: ProcessInstance,
                            clock: Clock) -> bool:
    """When the task's assignee is away today and the actor stands in, the actor takes it over "in Vertretung".

    Called with the case locked; audited as a reassignment naming whom the actor stands in for.
    """
    if not task.assignee or task.assignee == actor.username:
        return False
    if absent_today(session, actor.municipality_id, task.assignee, berlin_today(clock)) != actor.username:
        return False
    old = task.assignee
    task.assignee = actor.username
    audit.record(session, municipality_id=task.municipality_id, kind="task_reassigned", actor=actor.username,
                 at=clock.now(), instance=instance, office=orchestration.office_name(session, task.office_id),
                 element_id=task.element_id, details={"task_id": task.id, "old": old, "new": actor.username,
                                                      "on_behalf_of": old})
    session.flush()
    return True
