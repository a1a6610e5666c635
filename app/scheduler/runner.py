"""The scheduler process: APScheduler ticking in-memory jobs against the shared database."""
from __future__ import annotations

import fcntl
import logging
import os
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.audit.jobs import add_jobs as add_audit_jobs
from app.extensions import db
from app.deadlines.service import run_deadline_jobs
from app.instances.outbox import deliver_pending
from app.scheduler.service import fire_due_timers

log = logging.getLogger(__name__)


class SchedulerRefused(RuntimeError):
    """Another scheduler already runs against the same SQLite database."""


def _sqlite_guard(app: Flask) -> IO[str] | None:
    """SQLite has no SKIP LOCKED: allow one scheduler per database file, enforced by a lock file."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return None
    handle = open(os.path.join(app.instance_path, "scheduler.lock"), "w")  # noqa: SIM115 - held for the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise SchedulerRefused("another Lotse scheduler is already running on this SQLite database; "
                               "SQLite supports exactly one (use PostgreSQL for several)") from exc
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def tick(app: Flask) -> None:
    """One scheduler tick: fire everything that is due, then reminders and escalations."""
    with app.app_context():
        try:
            fired = fire_due_timers(db.session, clock=app.extensions["lotse_clock"])
            if fired:
                log.info("fired timers of %d instance(s)", len(fired))
            delivered = deliver_pending(db.session, clock=app.extensions["lotse_clock"])
            if delivered:
                log.info("delivered %d pending message(s)", delivered)
            run = run_deadline_jobs(db.session, clock=app.extensions["lotse_clock"],
                                    notifier=app.extensions["lotse_notifier"])
            if run.reminded or run.escalated or run.escalated_level2:
                log.info("deadlines: %s", run)
        except Exception:  # noqa: BLE001 - a failing tick must not stop the scheduler; the next tick retries
            db.session.rollback()
            log.exception("scheduler tick failed")
        finally:
            db.session.remove()


def drain(app: Flask) -> int:
    """Fire everything due now, then return the number of instances fired (no APScheduler loop)."""
    with app.app_context():
        try:
            return len(fire_due_timers(db.session, clock=app.extensions["lotse_clock"], limit=10**9))
        finally:
            db.session.remove()


def build(app: Flask, *, blocking: bool) -> BlockingScheduler | BackgroundScheduler:
    """An APScheduler with the timer tick job (coalesced, never overlapping itself)."""
    app.extensions["lotse_scheduler_lock"] = _sqlite_guard(app)
    scheduler_cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_cls(timezone="UTC")
    scheduler.add_job(tick, "interval", args=[app], seconds=app.config["SCHEDULER_TICK_SECONDS"], id="timers",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    # Ledger sealing, retention erasure and access-log pruning run as their own jobs at their own pace.
    add_audit_jobs(scheduler, app)
    return scheduler
