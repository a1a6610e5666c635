"""The scheduler process: APScheduler ticking in-memory jobs against the shared database."""
from __future__ import annotations

import fcntl
import logging
import os
from datetime import timedelta
from typing import IO

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.audit.jobs import add_jobs as add_audit_jobs
from app.audit.retention import parse_retention
from app.clock import SystemClock
from app.deadlines.service import run_deadline_jobs
from app.extensions import db
from app.instances.messages import deliver_pending
from app.scheduler.job import job_session
from app.scheduler.service import fire_due_timers, next_due_at

log = logging.getLogger(__name__)
WAKEUP_AFTER_DUE = 0.005  # seconds
# APScheduler runs on real time, whatever clock the app's timers follow; tests replace this one.
WALL_CLOCK = SystemClock()


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


def tick(app: Flask, scheduler: BaseScheduler | None = None) -> None:
    """One scheduler tick: fire everything that is due, then reminders and escalations.

    With `scheduler`, a timer that falls due before the next tick gets a one-off wake-up at its due time,
    so timers fire within milliseconds rather than up to a tick late.
    """
    with job_session(app, "scheduler tick"):
        fired = fire_due_timers(db.session(), clock=app.extensions["lotse_clock"])
        if fired:
            log.info("fired timers of %d instance(s)", len(fired))
        delivered = deliver_pending(db.session(), clock=app.extensions["lotse_clock"],
                                    expire_after=parse_retention(app.config["MESSAGE_EXPIRY"]))
        if delivered:
            log.info("delivered %d pending message(s)", delivered)
        run = run_deadline_jobs(db.session(), clock=app.extensions["lotse_clock"],
                                notifier=app.extensions["lotse_notifier"])
        if run.reminded or run.escalated or run.escalated_level2:
            log.info("deadlines: %s", run)
        if scheduler is not None:
            _plan_wakeup(app, scheduler)


def _plan_wakeup(app: Flask, scheduler: BaseScheduler) -> None:
    clock = app.extensions["lotse_clock"]
    due = next_due_at(db.session())
    db.session.rollback()  # end the read transaction (SQLite: release the write lock at once)
    if due is None:
        return
    delay = (due - clock.now()).total_seconds()
    if 0 < delay < app.config["SCHEDULER_TICK_SECONDS"]:
        # Strictly after the due time: the engine fires a timer only once it has passed.
        run_at = WALL_CLOCK.now() + timedelta(seconds=delay + WAKEUP_AFTER_DUE)
        scheduler.add_job(wake_up, "date", args=[app], run_date=run_at, id="timer-wakeup", replace_existing=True,
                          misfire_grace_time=None)


def wake_up(app: Flask) -> None:
    """Fire the timers that fell due between two ticks."""
    with job_session(app, "timer wake-up"):
        fire_due_timers(db.session(), clock=app.extensions["lotse_clock"])


def drain(app: Flask) -> int:
    """Fire everything due now, then return the number of instances fired (no APScheduler loop)."""
    with app.app_context():
        try:
            return len(fire_due_timers(db.session(), clock=app.extensions["lotse_clock"], limit=10**9))
        finally:
            db.session.remove()


def build(app: Flask, *, blocking: bool) -> BlockingScheduler | BackgroundScheduler:
    """An APScheduler with the timer tick job (coalesced, never overlapping itself)."""
    app.extensions["lotse_scheduler_lock"] = _sqlite_guard(app)
    scheduler_cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_cls(timezone="UTC")
    scheduler.add_job(tick, "interval", args=[app, scheduler], seconds=app.config["SCHEDULER_TICK_SECONDS"],
                      id="timers", max_instances=1, coalesce=True, misfire_grace_time=None)
    # Ledger sealing, retention erasure and access-log pruning run as their own jobs at their own pace.
    add_audit_jobs(scheduler, app)
    return scheduler
