"""Moving running cases from one version of a process to another (SpiffWorkflow's diff and migrate utilities).

A dry run lists, per running case, whether it can move and what changes: tasks of the new version that are not in
the old one, tasks gone, open human tasks (they stay open with their inbox entry), waiting timers kept or
recomputed (a timer whose definition changed starts again at the move). Migrating re-points the case's engine
state to the new version's spec and steps it, so that anything the new version makes ready at once runs; each move
is audited old → new version.
A case cannot move while it has an open incident, or when it is at a task the new version no longer has.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.definitions.service import get_definition
from app.directory.service import Principal
from app.engine import runtime
from app.errors import Forbidden, Invalid
from app.instances.models import Incident, ProcessInstance

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class CasePlan:
    """What moving one case would change, or why it cannot move."""

    instance_id: int
    business_key: str
    movable: bool
    reasons: list[str] = field(default_factory=list)
    tasks_added: list[str] = field(default_factory=list)
    tasks_removed: list[str] = field(default_factory=list)
    human_tasks_kept: list[str] = field(default_factory=list)
    timers_kept: list[str] = field(default_factory=list)
    timers_recomputed: list[str] = field(default_factory=list)


@dataclass
class _Diffs:
    top: WorkflowDiff
    top_spec: SpecDiff
    subprocesses: dict[Any, WorkflowDiff | None]


def _bpmn_ids(specs: Any) -> list[str]:
    return sorted({s.bpmn_id for s in specs if getattr(s, "bpmn_id", None)})


def _diff(wf: Any, new: runtime.EngineDefinition) -> _Diffs:
    registry = new.serializer.registry
    top_spec = SpecDiff(registry, wf.spec, new.spec)
    subs: dict[Any, WorkflowDiff | None] = {}
    for sp_id, sub in wf.subprocesses.items():
        target = new.subprocess_specs.get(sub.spec.name)
        subs[sp_id] = WorkflowDiff(sub, SpecDiff(registry, sub.spec, target)) if target is not None else None
    return _Diffs(WorkflowDiff(wf, top_spec), top_spec, subs)


def _is_timer(task: Any) -> bool:
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _plan_case(instance: ProcessInstance, wf: Any, diffs: _Diffs, has_incident: bool) -> CasePlan:
    plan = CasePlan(instance.id, instance.business_key, True, tasks_added=_bpmn_ids(diffs.top_spec.added),
                    tasks_removed=_bpmn_ids(diffs.top_spec.removed))
    if has_incident:
        plan.reasons.append("the case has an open incident; resolve or retry it first")
    for diff, workflow in [(diffs.top, wf), *[(d, wf.subprocesses[k]) for k, d in diffs.subprocesses.items()]]:
        if diff is None:
            plan.reasons.append(f"the new version has no subprocess '{workflow.spec.name}' the case is in")
            continue
        for task in diff.removed:
            if task.state & ACTIVE and getattr(task.task_spec, "bpmn_id", None):
                plan.reasons.append(f"the case is at '{task.task_spec.bpmn_id}', which the new version does not "
                                    "have")
        changed = set(diff.changed)
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True):
            element = getattr(task.task_spec, "bpmn_id", None)
            if element is None:
                continue
            if task.state == TaskState.READY and type(task.task_spec).__name__ == "UserTask":
                plan.human_tasks_kept.append(element)
            elif _is_timer(task):
                (plan.timers_recomputed if task in changed else plan.timers_kept).append(element)
    plan.movable = not plan.reasons
    return plan


def _target(session: Session, source: ProcessDefinition, target_id: int | None, actor: Principal) -> ProcessDefinition:
    target: ProcessDefinition | None
    if target_id is not None:
        target = get_definition(session, actor=actor, definition_id=target_id)
    else:
        target = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.municipality_id == source.municipality_id, ProcessDefinition.key == source.key,
            ProcessDefinition.version == source.version + 1))
    if target is None:
        raise Invalid(f"process {source.key} has no version {source.version + 1} to migrate to")
    if target.key != source.key or target.id == source.id:
        raise Invalid("cases move only to another version of the same process")
    return target


def _running(session: Session, source: ProcessDefinition, instance_ids: list[int] | None) -> list[ProcessInstance]:
    query = select(ProcessInstance).where(ProcessInstance.definition_id == source.id,
                                          ProcessInstance.status == "running").order_by(ProcessInstance.id)
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    return list(session.scalars(query))


def _with_incident(session: Session, ids: list[int]) -> set[int]:
    return set(session.scalars(select(Incident.instance_id).where(Incident.instance_id.in_(ids),
                                                                   Incident.status == "open")))


def dry_run(session: Session, *, actor: Principal, definition_id: int,
            target_id: int | None = None) -> dict[str, Any]:
    """Per running case of a version: can it move to the target version (default: the next), and what changes."""
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins migrate cases")
    source = get_definition(session, actor=actor, definition_id=definition_id)
    target = _target(session, source, target_id, actor)
    old, new = orchestration.engine_for(source), orchestration.engine_for(target)
    cases = _running(session, source, None)
    incidents = _with_incident(session, [c.id for c in cases])
    plans = []
    for instance in cases:
        wf = old.restore(instance.state)
        plans.append(_plan_case(instance, wf, _diff(wf, new), instance.id in incidents))
    return {"source": {"id": source.id, "version": source.version},
            "target": {"id": target.id, "version": target.version}, "cases": [asdict(p) for p in plans]}


def migrate(session: Session, *, actor: Principal, definition_id: int, clock: Clock, target_id: int | None = None,
            instance_ids: list[int] | None = None) -> dict[str, Any]:
    """Move the given running cases (default: all) to the target version; the ones that cannot move, with why."""
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins migrate cases")
    source = get_definition(session, actor=actor, definition_id=definition_id)
    target = _target(session, source, target_id, actor)
    old, new = orchestration.engine_for(source), orchestration.engine_for(target)
    moved, refused = [], []
    for candidate in _running(session, source, instance_ids):
        instance = orchestration.lock_instance(session, candidate.id, candidate.municipality_id)
        wf = old.restore(instance.state)
        diffs = _diff(wf, new)
        plan = _plan_case(instance, wf, diffs, bool(_with_incident(session, [instance.id])))
        if not plan.movable:
            refused.append({"instance_id": instance.id, "business_key": instance.business_key,
                            "reasons": plan.reasons})
            continue
        _move(session, instance, wf, diffs, new, target, plan, actor=actor, clock=clock, old_version=source.version)
        moved.append(asdict(plan))
    return {"source": {"id": source.id, "version": source.version},
            "target": {"id": target.id, "version": target.version}, "moved": moved, "refused": refused}


def _repoint(diff: WorkflowDiff, workflow: Any, spec: Any) -> None:
    """SpiffWorkflow's migrate_workflow without its reset of READY and WAITING tasks: open human tasks and
    unchanged timers keep their state (and their inbox entries and due times)."""
    workflow.spec = spec
    for task in workflow.tasks.values():
        aligned = diff.alignment.get(task)
        if aligned is not None:
            task.task_spec = aligned
    # What follows an open task was predicted from the old version: predict it again from the new one.
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True):
        if task.id in workflow.tasks:
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)


def _move(session: Session, instance: ProcessInstance, wf: Any, diffs: _Diffs, new: runtime.EngineDefinition,
          target: ProcessDefinition, plan: CasePlan, *, actor: Principal, clock: Clock, old_version: int) -> None:
    with runtime.engine_clock(clock):
        changed_timers = [t for t in diffs.top.changed if t.state == TaskState.WAITING and _is_timer(t)]
        _repoint(diffs.top, wf, new.spec)
        for sp_id, diff in diffs.subprocesses.items():
            sub = wf.subprocesses[sp_id]
            if diff is not None:
                _repoint(diff, sub, new.subprocess_specs[sub.spec.name])
        for task in changed_timers:
            if task.id in wf.tasks:
                task.reset_branch(None)  # its definition changed: it starts again from now
        wf.subprocess_specs = new.subprocess_specs
    now = clock.now()
    instance.definition_id = target.id
    session.flush()
    audit.record(session, municipality_id=instance.municipality_id, kind="instance_migrated",
                 actor=actor.audit_name, at=now, instance=instance,
                 details={"old_version": old_version, "new_version": target.version,
                          "definition_id": target.id, "human_tasks_kept": plan.human_tasks_kept,
                          "timers_recomputed": plan.timers_recomputed})
    orchestration.execute(session, instance, orchestration.Operation("migrate"), actor=actor, clock=clock, wf=wf)
