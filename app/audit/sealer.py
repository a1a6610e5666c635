"""Sealing within seconds of a write: the tamper window of the newest events.

Events younger than the last seal could be rewritten together with their chain head without a trace. So
every commit that wrote audit events tells this process's sealer which municipalities grew; a background
thread waits AUDIT_SEAL_DELAY_SECONDS (collecting the commits of that moment into one seal) and then seals
them. A step pays for a set update and a notify, never for the seal itself. Every web worker and scheduler
process has its own sealer; concurrent sealers queue on the municipality's chain lock, and the scheduler's
periodic seal job stays as the backstop (e.g. for a process killed within the delay).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from app.audit.service import WRITTEN_MUNICIPALITIES

log = logging.getLogger(__name__)


class Sealer:
    """Seals the municipalities whose chains grew, shortly after the commit (or on demand in tests)."""

    def __init__(self, app: Flask, delay: float, *, background: bool = True):
        self.app = app
        self.delay = delay
        self.background = background
        self._pending: set[int] = set()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self.sealed = threading.Event()  # set after each background run (lets a test wait instead of sleeping)
        self._stopping = False

    def notify(self, municipality_ids: set[int]) -> None:
        """Remember municipalities to seal; wake (or start) the background thread."""
        with self._condition:
            self._pending |= municipality_ids
            if self.background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="lotse-audit-sealer", daemon=True)
                self._thread.start()
            self._condition.notify()

    @property
    def pending(self) -> set[int]:
        """Municipalities waiting to be sealed."""
        with self._condition:
            return set(self._pending)

    def seal_pending(self) -> list[Any]:
        """Seal what is pending now, in this thread (tests, shutdown); returns the seal reports."""
        from app.audit.jobs import seal_all
        from app.extensions import db

        with self._condition:
            todo, self._pending = self._pending, set()
        written = []
        with self.app.app_context():
            try:
                for municipality_id in sorted(todo):
                    written += seal_all(db.session(), clock=self.app.extensions["lotse_clock"], only=municipality_id)
            finally:
                db.session.remove()
        return written

    def stop(self) -> None:
        """Seal what is pending, then end the background thread (shutdown, tests)."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread is not None:
            self._thread.join()
        self.seal_pending()

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
            time.sleep(self.delay)  # let the commits of this moment join one seal
            try:
                self.seal_pending()
            except Exception:  # noqa: BLE001 - the thread must survive; the next write or the scheduler retries
                log.exception("prompt sealing failed")
            self.sealed.set()


@orm_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    grown = session.info.pop(WRITTEN_MUNICIPALITIES, None)
    if not grown or not has_app_context():
        return
    sealer = current_app.extensions.get("lotse_sealer")
    if sealer is not None:
        sealer.notify(grown)


@orm_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(WRITTEN_MUNICIPALITIES, None)


def init_sealer(app: Flask) -> None:
    """Install the prompt sealer (AUDIT_SEAL_DELAY_SECONDS; 0 leaves sealing to the scheduler's job)."""
    delay = float(app.config.get("AUDIT_SEAL_DELAY_SECONDS", 2.0))
    if delay > 0:
        app.extensions["lotse_sealer"] = Sealer(app, delay, background=not app.config.get("TESTING"))
