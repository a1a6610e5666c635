"""External tasks in Camunda 7's shape: workers fetch and lock jobs by topic, then complete or report failure.

A job is a case waiting at an external service task (its MessageWait row for `external:<topic>:<element id>`);
the lock, the retries and an incident live in ExternalJob. Completing delivers the message with the worker's
variables, so the case steps on exactly as after any other message. Everything is per municipality and audited.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import orchestration
from app.audit import service as audit
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal
from app.engine import runtime
from app.engine.parsing_normalize import EXTERNAL_PREFIX
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.external.models import ExternalJob
from app.instances.models import Incident, MessageWait, ProcessInstance

WORKER_ROLES = ("admin",)
MAX_LOCK = timedelta(days=7)


def _check(actor: Principal) -> None:
    if not actor.has(*WORKER_ROLES):
        raise Forbidden("external task workers use a token of an admin of the municipality")


def _job_row(session: Session, wait: MessageWait) -> ExternalJob:
    job = session.scalar(select(ExternalJob).where(ExternalJob.instance_id == wait.instance_id,
                                                   ExternalJob.message_name == wait.message_name))
    if job is None:
        topic, element_id = wait.message_name[len(EXTERNAL_PREFIX):].split(":", 1)
        job = ExternalJob(municipality_id=wait.municipality_id, instance_id=wait.instance_id,
                          message_name=wait.message_name, topic=topic, element_id=element_id)
        session.add(job)
        session.flush()
    return job


def _available(session: Session, job: ExternalJob, now: datetime) -> bool:
    if job.locked_until is not None and job.locked_until > now:
        return False  # locked by a worker, or waiting for its retry timeout
    if job.retries == 0:
        incident = session.get(Incident, job.incident_id) if job.incident_id else None
        if incident is not None and incident.status == "open":
            return False
        job.retries, job.incident_id = None, None  # the incident was resolved: the job runs again
    return True


def fetch_and_lock(session: Session, *, actor: Principal, worker_id: str, topics: list[dict[str, Any]],
                   max_tasks: int, clock: Clock) -> list[dict[str, Any]]:
    """Lock up to max_tasks free jobs of the topics for the worker; each with the variables the topic asks for."""
    _check(actor)
    if not worker_id:
        raise Invalid("workerId is required")
    now = clock.now()
    locked: list[dict[str, Any]] = []
    for topic in topics:
        name, duration = topic.get("topicName") or "", int(topic.get("lockDuration") or 0)
        if not name or duration <= 0 or timedelta(milliseconds=duration) > MAX_LOCK:
            raise Invalid("each topic needs a topicName and a lockDuration in milliseconds (at most 7 days)")
        waits = session.scalars(select(MessageWait).join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id)
                                .where(MessageWait.municipality_id == actor.municipality_id,
                                       MessageWait.message_name.like(f"{EXTERNAL_PREFIX}{name}:%"),
                                       ProcessInstance.status == "running")
                                .order_by(MessageWait.id).with_for_update(of=MessageWait, skip_locked=True))
        for wait in waits:
            if len(locked) >= max_tasks:
                return locked
            job = _job_row(session, wait)
            if not _available(session, job, now):
                continue
            job.worker_id, job.locked_until = worker_id, now + timedelta(milliseconds=duration)
            locked.append(_describe(session, job, topic.get("variables")))
            audit.record(session, municipality_id=job.municipality_id, kind="external_task_locked",
                         actor=actor.audit_name, at=now, instance=session.get(ProcessInstance, job.instance_id),
                         element_id=job.element_id, details={"job_id": job.id, "worker_id": worker_id,
                                                             "topic": job.topic})
    session.flush()
    return locked


def _describe(session: Session, job: ExternalJob, wanted: list[str] | None) -> dict[str, Any]:
    instance = session.get_one(ProcessInstance, job.instance_id)
    data: dict[str, Any] = {}
    if wanted:  # only what the worker asks for: case data is personal data
        definition = session.get_one(ProcessDefinition, instance.definition_id)
        wf = orchestration.engine_for(definition).restore(instance.state)
        data = runtime.workflow_data(wf)
    return {"id": str(job.id), "topicName": job.topic, "workerId": job.worker_id, "activityId": job.element_id,
            "processInstanceId": str(job.instance_id), "businessKey": instance.business_key,
            "retries": job.retries, "errorMessage": job.error_message,
            "lockExpirationTime": job.locked_until.isoformat() if job.locked_until else None,
            "variables": {k: {"value": data[k]} for k in (wanted or []) if k in data}}


def _locked_job(session: Session, actor: Principal, job_id: int, worker_id: str, now: datetime) -> ExternalJob:
    _check(actor)
    job = session.get(ExternalJob, job_id)
    if job is None or job.municipality_id != actor.municipality_id:
        raise NotFound(f"external task {job_id} not found")
    if job.worker_id != worker_id or job.locked_until is None or job.locked_until <= now:
        raise Conflict(f"external task {job_id} is not locked by worker '{worker_id}' (the lock may have expired)")
    return job


def complete(session: Session, *, actor: Principal, job_id: int, worker_id: str, variables: dict[str, Any],
             clock: Clock) -> None:
    """The worker finished: its variables go into the case and the case steps on."""
    job = _locked_job(session, actor, job_id, worker_id, clock.now())
    values = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (variables or {}).items()}
    instance = orchestration.lock_instance(session, job.instance_id, job.municipality_id)
    audit.record(session, municipality_id=job.municipality_id, kind="external_task_completed",
                 actor=actor.audit_name, at=clock.now(), instance=instance, element_id=job.element_id,
                 details={"job_id": job.id, "worker_id": worker_id, "fields": sorted(values)})
    session.delete(job)
    session.flush()
    orchestration.execute(session, instance, orchestration.Operation("message", message_name=job.message_name,
                                                                    data=values), actor=actor, clock=clock)


def failure(session: Session, *, actor: Principal, job_id: int, worker_id: str, error_message: str,
            retries: int, retry_timeout_ms: int, clock: Clock) -> None:
    """The worker failed: retry after the timeout while retries remain; at 0 retries the case gets an incident."""
    now = clock.now()
    job = _locked_job(session, actor, job_id, worker_id, now)
    if retries < 0 or retry_timeout_ms < 0:
        raise Invalid("retries and retryTimeout must not be negative")
    job.retries, job.error_message = retries, (error_message or "")[:2000]
    job.locked_until = now + timedelta(milliseconds=retry_timeout_ms) if retries > 0 else None
    instance = session.get_one(ProcessInstance, job.instance_id)
    audit.record(session, municipality_id=job.municipality_id, kind="external_task_failed", actor=actor.audit_name,
                 at=now, instance=instance, element_id=job.element_id,
                 details={"job_id": job.id, "worker_id": worker_id, "retries": retries,
                          "error": job.error_message})
    if retries == 0:
        incident = orchestration.raise_incident(
            session, instance, orchestration.Operation("external"), element_id=job.element_id,
            message=f"external task '{job.topic}' failed: {job.error_message}", actor=actor, clock=clock)
        job.incident_id = incident.id
    session.flush()
