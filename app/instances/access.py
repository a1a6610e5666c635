"""Who may see which instances: one rule, used by every query and lookup."""
from __future__ import annotations

from sqlalchemy import Select, exists, or_, select

from app.directory.service import Principal
from app.instances.models import ProcessInstance
from app.tasks.models import HumanTask

MUNICIPALITY_WIDE_READERS = ("supervisor", "admin", "designer")


def visible_instances(query: Select, actor: Principal) -> Select:
    """Restrict an instance query to the caller: whole municipality for supervisors, own offices for clerks."""
    query = query.where(ProcessInstance.municipality_id == actor.municipality_id)
    if actor.has(*MUNICIPALITY_WIDE_READERS):
        return query
    touched_by_office = exists(select(HumanTask.id).where(
        HumanTask.instance_id == ProcessInstance.id, HumanTask.office_id.in_(actor.office_ids or {-1})))
    return query.where(or_(touched_by_office, ProcessInstance.started_by == actor.username))
