"""Audit jobs run by the scheduler (and by hand from the CLI): seal the ledger, erase expired cases, prune
the access log. These are boundaries: each commits its own units of work, so one failing municipality or
case does not hold back the others.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.access import prune_access_log
from app.audit.erasure import erase_instance
from app.audit.ledger import municipality_ids, seal_municipality
from app.audit.retention import cutoff, expired_instances
from app.clock import Clock
from app.extensions import db
from app.instances.models import ProcessInstance
from app.scheduler.job import job_session

log = logging.getLogger(__name__)


@dataclass
class SealReport:
    """One seal written by a sealing run."""

    municipality_id: int
    seq: int
    entries: int
    hash: str


def seal_all(session: Session, *, clock: Clock, only: int | None = None) -> list[SealReport]:
    """Seal every municipality's grown chains (or only one); commits per seal."""
    written = []
    for municipality_id in ([only] if only is not None else municipality_ids(session)):
        while True:
            try:
                seal = seal_municipality(session, municipality_id=municipality_id, at=clock.now())
                report = SealReport(municipality_id, seal.seq, seal.entry_count, seal.hash) if seal else None
                session.commit()
            except Exception:  # noqa: BLE001 - one municipality's failure must not stop the others
                session.rollback()
                log.exception("sealing municipality %s failed", municipality_id)
                break
            if report is None:
                break
            written.append(report)
    return written


def erase_expired(session: Session, *, clock: Clock, limit: int = 500, dry_run: bool = False) -> list[dict[str, Any]]:
    """Erase the personal data of cases past their retention period; commits per case; returns what it did."""
    now = clock.now()
    done = []
    for instance_id in expired_instances(session, now=now, limit=limit):
        # SKIP LOCKED: a second scheduler (or a step still running on the case) leaves it for the next run.
        instance = session.scalar(select(ProcessInstance).where(
            ProcessInstance.id == instance_id, ProcessInstance.erased_at.is_(None),
        ).with_for_update(skip_locked=True))
        if instance is None:
            session.rollback()
            continue
        entry = {"instance_id": instance.id, "municipality_id": instance.municipality_id,
                 "business_key": instance.business_key, "ended_at": instance.ended_at, "payloads": 0,
                 "messages": 0}
        if dry_run:
            session.rollback()
            done.append(entry)
            continue
        try:
            erased = erase_instance(session, instance, actor="system", at=now, reason="retention")
            entry["payloads"], entry["messages"] = erased.payloads, erased.messages
            session.commit()
        except Exception:  # noqa: BLE001 - one broken case must not stop the erasure of the others
            session.rollback()
            log.exception("erasing expired instance %s failed", instance_id)
            continue
        log.info("retention: erased instance %s (case %s, %d payload(s), %d message(s))", entry["instance_id"],
                 entry["business_key"], entry["payloads"], entry["messages"])
        done.append(entry)
    return done


def prune_access(session: Session, *, clock: Clock, retention: str) -> int:
    """Delete access-log entries older than the retention period; commits; returns how many."""
    removed = prune_access_log(session, before=cutoff(clock.now(), retention))
    session.commit()
    return removed


def seal_job(app: Flask) -> None:
    """Scheduler job: seal the ledgers."""
    with job_session(app, "sealing"):
        for seal in seal_all(db.session(), clock=app.extensions["lotse_clock"]):
            log.info("sealed %d chain head(s) of municipality %s as ledger seal %d: %s", seal.entries,
                     seal.municipality_id, seal.seq, seal.hash)


def retention_job(app: Flask) -> None:
    """Scheduler job: erase cases whose retention period has passed."""
    with job_session(app, "retention erasure"):
        done = erase_expired(db.session(), clock=app.extensions["lotse_clock"])
        if done:
            log.info("retention: erased %d case(s)", len(done))


def prune_job(app: Flask) -> None:
    """Scheduler job: prune the access log."""
    with job_session(app, "access-log pruning"):
        removed = prune_access(db.session(), clock=app.extensions["lotse_clock"],
                               retention=app.config["ACCESS_LOG_RETENTION"])
        if removed:
            log.info("access log: pruned %d entr(y/ies)", removed)


def add_jobs(scheduler: Any, app: Flask) -> None:
    """Register the audit jobs on an APScheduler (coalesced, never overlapping themselves)."""
    for job, key, job_id in ((seal_job, "AUDIT_SEAL_SECONDS", "audit_seal"),
                             (retention_job, "RETENTION_SECONDS", "retention"),
                             (prune_job, "ACCESS_LOG_PRUNE_SECONDS", "access_log_prune")):
        scheduler.add_job(job, "interval", args=[app], seconds=app.config[key], id=job_id, max_instances=1,
                          coalesce=True, misfire_grace_time=None)
