"""Locking a case for a step: the instance row FOR UPDATE (PostgreSQL), its definition read in the same statement.

Below orchestration, so that any service (and orchestration itself) can lock a case without importing upwards.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.definitions.models import ProcessDefinition
from app.errors import NotFound
from app.instances.models import ProcessInstance

# The locked read of a case: its definition row comes in the same statement (a step needs it); `lock_case`
# holds it so that `session.get` finds it. populate_existing: a row already in the session (read before the
# lock) is refreshed from the locked read.
_HELD_DEFINITIONS = "lotse_locked_definitions"
LOCK_CASE = (select(ProcessInstance, ProcessDefinition)
             .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
             .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))
_LOCK_BY_ID = LOCK_CASE.where(ProcessInstance.id == bindparam("instance_id"),
                              ProcessInstance.municipality_id == bindparam("municipality_id"))


def lock_instance(session: Session, instance_id: int, municipality_id: int) -> ProcessInstance:
    """Load an instance FOR UPDATE (PostgreSQL); 404 when it is not in the caller's municipality."""
    instance = lock_case(session, _LOCK_BY_ID, {"instance_id": instance_id, "municipality_id": municipality_id})
    if instance is None:
        raise NotFound(f"instance {instance_id} not found")
    return instance


def lock_case(session: Session, statement: Any, params: dict[str, Any]) -> ProcessInstance | None:
    """Run a LOCK_CASE statement: the locked instance (None when no row matched), its definition held."""
    row = session.execute(statement, params).first()
    if row is None:
        return None
    instance, definition = row
    # The session keeps only weak references to unchanged rows; held here, `session.get` finds it.
    session.info.setdefault(_HELD_DEFINITIONS, {})[definition.id] = definition
    return instance
