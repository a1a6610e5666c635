"""Advancing an instance: the one place where engine steps, human tasks, timers and audit meet.

Every operation on an instance (start, complete a task, fire timers, deliver a message, retry) goes
through `execute()`: the instance row is locked, the workflow restored, the operation applied and the
engine stepped and everything it changed read off; only then are human tasks, the timer column, message
subscriptions and audit events written, in the same transaction. A step that fails in the engine has
written nothing; it is recorded as an incident. Messages to other cases are queued here and delivered by
app.instances.messages, which sits above this module.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import workflow_cache
from app.audit import service as audit
from app.casefile import steps as casefile_steps
from app.clock import Clock
from app.deadlines import clocks as case_clocks
from app.deadlines.pausing import reconcile_model_pauses
from app.definitions.models import ProcessDefinition
from app.directory.service import OfficeRef, Principal, find_office, forget_offices, office_ref, offices_of
from app.engine import bounds, join_merge, runtime, stepping
from app.engine.expressions import ExpressionError
from app.errors import Conflict, Invalid
from app.instances.locks import LOCK_CASE, lock_case, lock_instance
from app.instances.models import Incident, MessageWait, PendingMessage, ProcessInstance
from app.tasks.due import compute_due_dates
from app.tasks.models import HumanTask

_engine_cache: dict[tuple[int, str], runtime.EngineDefinition] = {}
_engine_cache_lock = threading.Lock()


class IncidentRaised(Invalid):
    """A step failed; its changes were rolled back and an incident was recorded (kept on commit)."""

    code = "incident_raised"
    keep_changes = True


@dataclass
class Operation:
    """What to do to an instance; stored with an incident so it can be retried."""

    kind: str  # start | complete | timer | message
    engine_task_id: str | None = None
    human_task_id: int | None = None
    data: dict[str, Any] | None = None
    message_name: str | None = None
    categories: dict[str, str] | None = None  # field → data category (from the task's form)

    def to_json(self) -> dict[str, Any]:
        """JSON form for the incident row."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Operation:
        """Rebuild from the incident row."""
        return cls(**value)


def engine_for(definition: ProcessDefinition) -> runtime.EngineDefinition:
    """The restored spec of a definition version, shared by all instances in this process."""
    # Keyed with the content hash too: a recreated database may reuse ids for other models.
    cache_key = (definition.id, definition.sha256)
    engine = _engine_cache.get(cache_key)
    if engine is None:
        with _engine_cache_lock:
            engine = _engine_cache.get(cache_key)
            if engine is None:
                engine = runtime.EngineDefinition(definition.dialect, definition.spec_document,
                                                  definition.key)
                _engine_cache[cache_key] = engine
    return engine


def execute(session: Session, instance: ProcessInstance, op: Operation, *, actor: Principal, clock: Clock,
            wf: Any = None) -> Stepped:
    """Apply an operation and step the engine; on engine failure record an incident and raise.

    Everything that can fail in the engine (the step itself, due-date expressions, timers, the state dump)
    happens before the first write, so a failed step leaves nothing to undo and needs no savepoint. Messages the
    step throws are queued in the outbox, not delivered: services step cases through app.instances.messages.step,
    which hands them on once this step is written (orchestration never calls back into message delivery).
    """
    definition = session.get_one(ProcessDefinition, instance.definition_id)
    engine = engine_for(definition)
    definition_key = (definition.id, definition.sha256)
    if wf is None:
        wf = workflow_cache.take(session, instance, definition_key)
    offices = _Offices(session, instance.municipality_id)
    events = case_clocks.events_for(session, instance, op, now=clock.now())
    try:
        with (runtime.engine_clock(clock), case_clocks.case_clocks(events, case_clocks.timer_clocks(definition)),
              join_merge.collecting() as conflicts):
            if wf is None:
                wf = engine.restore(instance.state)
            before = runtime.Waits.of(wf)
            consent = casefile_steps.consent_step(definition, wf, op.kind, op.engine_task_id, op.data, now=clock.now())
            _apply(wf, op)
            report = stepping.run_steps(wf, refresh_timers=op.kind == "timer")
            outgoing = runtime.thrown_messages(wf)
            stepping.compact_history(wf)
            anonymized = casefile_steps.anonymize_engine(session, instance, definition, wf, op.categories)
            step = _settle(instance, definition, engine, wf, before, report, op=op, offices=offices,
                           now=clock.now())
    except runtime.NotWaiting as exc:
        raise Conflict(str(exc)) from exc
    except (SpiffWorkflowException, ExpressionError, *bounds.DATA_FAILURES) as exc:  # bad data: incident, no 500
        element_id, message = _describe_failure(exc)
        incident = raise_incident(session, instance, op, element_id=element_id, message=message,
                                  actor=actor, clock=clock)
        raise IncidentRaised(
            f"step failed at element '{element_id}': {message} (incident {incident.id})",
            details={"incident_id": incident.id, "element_id": element_id, "instance_id": instance.id},
        ) from exc
    step.conflicts, step.consent, step.anonymized = conflicts, consent, anonymized
    _write(session, instance, definition, step, actor=actor, op=op, offices=offices, now=clock.now())
    events.write()
    reconcile_model_pauses(session, instance, definition, now=clock.now())
    pending = _queue_messages(session, instance, outgoing, now=clock.now())
    _record_completion(session, instance, wf, actor=actor, now=clock.now())
    workflow_cache.offer(session, instance, definition_key, wf)
    return Stepped(wf, step.created if not pending and not step.carried else None, pending)


@dataclass
class Stepped:
    """A written step: the workflow, the case's open tasks when the step alone tells them (else None), and the
    messages it sent to other cases (queued in the outbox; app.instances.messages.step delivers them)."""

    wf: Any
    open_tasks: list[HumanTask] | None
    sent: list[PendingMessage]



@dataclass
class _Step:
    """What a step changed, computed from the engine before anything is written."""

    before: runtime.Waits
    report: stepping.StepReport
    gone: set[str]                 # engine ids of READY user tasks the step withdrew
    carried: set[str]              # engine ids of READY user tasks still open after the step (rows untouched)
    created: list[HumanTask]       # rows for user tasks that became READY (not yet added)
    state: str
    next_timer_at: datetime | None
    message_names: list[str]
    conflicts: list[join_merge.Conflict] = field(default_factory=list)
    consent: dict[str, Any] | None = None  # the variables of a consent step (lotse:recordsConsent) completed now
    anonymized: dict[str, Any] | None = None  # fields removed because the step reached a lotse:anonymize task


def _settle(instance: ProcessInstance, definition: ProcessDefinition, engine: runtime.EngineDefinition, wf: Any,
            before: runtime.Waits, report: stepping.StepReport, *, op: Operation, offices: _Offices,
            now: datetime) -> _Step:
    """Read off the stepped workflow everything the write needs; engine errors surface here, not mid-write.

    The open human tasks of an instance are exactly its READY user tasks as of the last committed step, and
    its message subscriptions exactly the messages it waited for then; `before` holds both as of the
    restored workflow, so only differences touch the database.
    """
    ready = {t.engine_id: t for t in runtime.ready_user_tasks(wf)}
    gone = set(before.ready_task_ids) - set(ready)
    if op.kind == "complete":
        gone.discard(op.engine_task_id)  # not withdrawn: completed (its row is written by _record_operation)
    created = [_new_human_task(instance, definition, ready_task, offices, now)
               for engine_id, ready_task in ready.items() if engine_id not in before.ready_task_ids]
    return _Step(before, report, gone, set(before.ready_task_ids) & set(ready), created, engine.dump_state(wf),
                 runtime.next_timer_at(wf), runtime.waiting_message_names(wf))


class _Offices:
    """The offices of a municipality, read once per session and only when a step needs them."""

    def __init__(self, session: Session, municipality_id: int):
        self._session, self._municipality_id = session, municipality_id
        self._reread = False

    def by_name(self) -> dict[str, OfficeRef]:
        """Casefolded office name → office."""
        return {o.name.casefold(): o for o in offices_of(self._session, self._municipality_id)}

    def resolve(self, info: dict[str, Any], lane: str | None, caller_lane: str | None) -> OfficeRef | None:
        """The office of a task; an unknown name re-reads the offices once (one may have been added since)."""
        office = resolve_office(info, lane, self.by_name(), caller_lane)
        if office is None and not self._reread and (lane or info.get("candidate_groups") or caller_lane):
            self._reread = True
            forget_offices(self._session, self._municipality_id)
            office = resolve_office(info, lane, self.by_name(), caller_lane)
        return office

    def name(self, office_id: int | None) -> str | None:
        """The name of an office id (None stays None)."""
        office = office_ref(self._session, office_id, self._municipality_id)
        return office.name if office else None


def _queue_messages(session: Session, instance: ProcessInstance, outgoing: list[runtime.ThrownMessage], *,
                    now: datetime) -> list[PendingMessage]:
    queued = []
    for thrown in outgoing:
        message = PendingMessage(municipality_id=instance.municipality_id, name=thrown.name,
                                 business_key=instance.business_key, payload=thrown.payload,
                                 source_instance_id=instance.id, status="pending", created_at=now)
        session.add(message)
        queued.append(message)
    if queued:
        session.flush()
    for message in queued:
        audit.record(session, municipality_id=instance.municipality_id, kind="message_sent", actor="system", at=now,
                     instance=instance, details={"message": message.name, "pending_message_id": message.id,
                                                 "fields": sorted(message.payload)})
    return queued


def _apply(wf: Any, op: Operation) -> None:
    if op.kind == "complete":
        runtime.complete_user_task(wf, _needed(op.engine_task_id, "engine_task_id"), op.data or {})
    elif op.kind == "message":
        runtime.send_message(wf, _needed(op.message_name, "message_name"), op.data)


def _needed(value: str | None, field: str) -> str:
    if value is None:
        raise ValueError(f"operation lacks {field}")
    return value


def _record_operation(session: Session, instance: ProcessInstance, op: Operation, *, actor: Principal,
                      now: datetime, offices: _Offices, entry_id: int | None) -> None:
    mid = instance.municipality_id
    fields: dict[str, Any] = {"fields": sorted((op.data or {}).keys())}
    if entry_id is not None:
        fields["entry_id"] = entry_id
    if op.kind == "start":
        audit.record(session, municipality_id=mid, kind="instance_started", actor=actor.audit_name, at=now,
                     instance=instance, details={"business_key": instance.business_key,
                                                 "definition_id": instance.definition_id, **fields}, payload=op.data)
    elif op.kind == "complete" and op.human_task_id is not None:
        task = session.get_one(HumanTask, op.human_task_id)
        task.status, task.completed_at, task.completed_by = "completed", now, actor.username
        audit.record(session, municipality_id=mid, kind="task_completed", actor=actor.audit_name, at=now,
                     instance=instance, office=offices.name(task.office_id), element_id=task.element_id,
                     details={"task_id": task.id, **fields}, payload=op.data)
    elif op.kind == "message":
        audit.record(session, municipality_id=mid, kind="message_correlated", actor=actor.audit_name, at=now,
                     instance=instance, details={"message": op.message_name, **fields}, payload=op.data)


def _describe_failure(exc: Exception) -> tuple[str | None, str]:
    task = getattr(exc, "task", None)
    element_id = task.task_spec.name if task is not None else getattr(exc, "id", None)
    message = getattr(exc, "error_line", None) and str(exc) or str(exc)
    if not isinstance(exc, (SpiffWorkflowException, ExpressionError)):
        message = f"{type(exc).__name__}: {str(exc)[:500]}"
    if isinstance(exc, WorkflowException) and getattr(exc, "__cause__", None) is not None:
        message = f"{exc}: {exc.__cause__}"
    return element_id, message


def raise_incident(session: Session, instance: ProcessInstance, op: Operation, *, element_id: str | None,
                   message: str, actor: Principal, clock: Clock) -> Incident:
    """Record a failed step on the instance and mark it as having an incident."""
    incident = Incident(municipality_id=instance.municipality_id, instance_id=instance.id, element_id=element_id,
                        message=message[:4000], operation=op.to_json(), created_at=clock.now())
    session.add(incident)
    instance.status = "incident"
    session.flush()
    audit.record(session, municipality_id=instance.municipality_id, kind="incident_raised", actor=actor.audit_name,
                 at=clock.now(), instance=instance, element_id=element_id,
                 details={"incident_id": incident.id, "message": message[:1000], "operation": op.kind})
    session.flush()
    return incident


def _write(session: Session, instance: ProcessInstance, definition: ProcessDefinition, step: _Step, *,
           actor: Principal, op: Operation, offices: _Offices, now: datetime) -> None:
    """Write a settled step: task rows first (their ids go into the audit events), the events, the instance once."""
    mid = instance.municipality_id
    cancelled = []
    if step.gone:
        cancelled = list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open",
            HumanTask.engine_task_id.in_(sorted(step.gone)))))
        for task in cancelled:
            task.status, task.completed_at = "cancelled", now
    session.add_all(step.created)
    entry = casefile_steps.new_entry(session, instance, definition, op, actor=actor, now=now)
    if step.created or entry is not None:
        session.flush()

    _record_operation(session, instance, op, actor=actor, now=now, offices=offices,
                      entry_id=entry.id if entry is not None else None)
    if step.consent is not None:
        casefile_steps.record_consent(session, instance, step.consent, entry=entry, actor=actor, now=now)
    for timer_id in step.report.fired_timers:
        audit.record(session, municipality_id=mid, kind="timer_fired", actor="system", at=now,
                     instance=instance, element_id=timer_id)
    flows = definition.summary.get("flows", {})
    for decision in step.report.decisions:
        taken = [{"target": t, "flow": flows.get(decision.element_id, {}).get(t)} for t in decision.targets]
        audit.record(session, municipality_id=mid, kind="gateway_decided", actor="system", at=now,
                     instance=instance, element_id=decision.element_id, details={"taken": taken})
    for task in cancelled:
        audit.record(session, municipality_id=mid, kind="task_cancelled", actor="system", at=now,
                     instance=instance, element_id=task.element_id, details={"task_id": task.id})
    for task in step.created:
        audit.record(session, municipality_id=mid, kind="task_created", actor="system", at=now,
                     instance=instance, office=offices.name(task.office_id), element_id=task.element_id,
                     details={"task_id": task.id, "name": task.name,
                              "due_at": task.due_at.isoformat() if task.due_at else None})
    casefile_steps.after_step(session, instance, definition, created=step.created, conflicts=step.conflicts, now=now)
    if step.anonymized is not None:
        casefile_steps.anonymize_entries(session, instance, step.anonymized, now=now)

    instance.state = step.state
    instance.next_timer_at = step.next_timer_at
    if step.message_names != step.before.message_names:
        _sync_message_waits(session, instance, step.message_names)
    session.flush()


def _record_completion(session: Session, instance: ProcessInstance, wf: Any, *, actor: Principal,
                       now: datetime) -> None:
    """The case ended with this step: its last event, after any message it sent on the way out."""
    if wf.completed and instance.status not in ("completed", "cancelled"):
        instance.status = "completed"
        instance.ended_at = now
        audit.record(session, municipality_id=instance.municipality_id, kind="instance_completed",
                     actor=actor.audit_name, at=now, instance=instance)
        session.flush()


def resolve_office(info: dict[str, Any], lane: str | None, offices: dict[str, OfficeRef],
                   caller_lane: str | None = None) -> OfficeRef | None:
    """Lane name = office name; else a candidate group naming an office; else the calling office's lane."""
    for name in [lane, *info.get("candidate_groups", [])]:
        if name and name.strip().casefold() in offices:
            return offices[name.strip().casefold()]
    for name in info.get("candidate_groups", []):
        for office in offices.values():
            if office.slug == name.strip().lower():
                return office
    if caller_lane and caller_lane.strip().casefold() in offices:
        return offices[caller_lane.strip().casefold()]
    return None


def _new_human_task(instance: ProcessInstance, definition: ProcessDefinition, ready: runtime.ReadyUserTask,
                    offices: _Offices, now: datetime) -> HumanTask:
    info = definition.summary.get("user_tasks", {}).get(ready.element_id, {})
    office = offices.resolve(info, ready.lane, ready.caller_lane)
    legal = case_clocks.task_deadline({**info, "element_id": ready.element_id}, now, ready.data)
    due_at, follow_up_at, remind_at = compute_due_dates({**info, "due_in": None} if legal else info, now, ready.data)
    if legal is not None:
        due_at, remind_at = legal.due_at, legal.remind_at or remind_at
    task = HumanTask(municipality_id=instance.municipality_id, instance_id=instance.id, engine_task_id=ready.engine_id,
                     element_id=ready.element_id, name=ready.name, process_key=definition.key,
                     business_key=instance.business_key, office_id=office.id if office else None,
                     status="open", form_key=info.get("form_key"), calendar=info.get("calendar"),
                     legal_source=info.get("legal_source"), created_at=now, due_at=due_at,
                     follow_up_at=follow_up_at, remind_at=remind_at,
                     assignee=_assignee(info.get("assignee"), ready.data))
    if legal is not None:
        task.due_from, task.due_from_label, task.legal, task.against = (legal.due_from, legal.due_from_label,
                                                                         legal.legal, legal.against)
    return task


def _assignee(raw: str | None, data: dict[str, Any]) -> str | None:
    """camunda:assignee: a username, or ${variable} naming one in the case data (else the office queue)."""
    if not raw or not raw.startswith(("${", "#{")):
        return raw
    value = data.get(raw[2:-1].strip())
    return value.strip()[:64] if isinstance(value, str) and value.strip() else None


def _sync_message_waits(session: Session, instance: ProcessInstance, names: list[str]) -> None:
    existing = {w.message_name: w for w in session.scalars(select(MessageWait).where(
        MessageWait.instance_id == instance.id))}
    for name, wait in existing.items():
        if name not in names:
            session.delete(wait)
    for name in names:
        if name not in existing:
            session.add(MessageWait(municipality_id=instance.municipality_id, instance_id=instance.id,
                                    message_name=name))


def clear_instance_waits(session: Session, instance: ProcessInstance) -> None:
    """Forget message subscriptions, external task jobs and timers of an instance that ended."""
    from app.external.models import ExternalJob  # the jobs' lock state goes with the waits it belongs to

    session.execute(delete(MessageWait).where(MessageWait.instance_id == instance.id))
    session.execute(delete(ExternalJob).where(ExternalJob.instance_id == instance.id))
    instance.next_timer_at = None


def office_name(session: Session, office_id: int | None) -> str | None:
    """Name of an office id (None stays None), through the per-session office cache."""
    office = office_ref(session, office_id)
    return office.name if office else None


__all__ = [
    "LOCK_CASE",
    "IncidentRaised",
    "Operation",
    "Stepped",
    "clear_instance_waits",
    "engine_for",
    "execute",
    "find_office",
    "lock_case",
    "lock_instance",
    "office_name",
    "raise_incident",
    "resolve_office",
]
