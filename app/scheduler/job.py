"""A scheduler job's unit of work: its own session; a failure is logged and rolled back, never raised."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from flask import Flask

from app.extensions import db

log = logging.getLogger(__name__)


@contextlib.contextmanager
def job_session(app: Flask, name: str) -> Iterator[None]:
    """Run a job's body in an app context; an exception is rolled back and logged as '<name> failed'.

    A failing run must not stop the scheduler: the next run retries.
    """
    with app.app_context():
        try:
            yield
        except Exception:  # noqa: BLE001 - see above
            db.session.rollback()
            log.exception("%s failed", name)
        finally:
            db.session.remove()
