"""The web layer's unit of work: a request's changes are committed once, when it ends (as the API does).

Services only flush; views never commit. `end` (called by the frame after every page, see ui.finish) commits
what was flushed when the page answers with success (2xx/3xx) or when the request kept an incident, and rolls
back for any other error answer. A view that catches a domain error and still answers normally (a redirect with
a message) drops the flushed changes first with `discard`.
"""
from __future__ import annotations

from flask import flash, g

from app.extensions import db

_KEEP = "lotse_keep_changes"


def keep_changes() -> None:
    """Commit this request's changes although it answers with an error (a DomainError with keep_changes)."""
    setattr(g, _KEEP, True)


def keep_incident(message: str) -> None:
    """A step failed and was recorded as an incident: keep the incident (and a case just started), say so."""
    # Orchestration has already rolled the failed step back; what is flushed now is the incident, which the
    # API keeps too (IncidentRaised.keep_changes).
    keep_changes()
    flash(message, "error")


def discard() -> None:
    """Drop what the services flushed in this request (a caught error; the page still answers normally)."""
    db.session.rollback()


def end(succeeded: bool) -> None:
    """The one commit point of a web request: commit on success or a kept incident, else roll back."""
    if not db.session.registry.has():
        return  # nothing touched the database (assets, redirects)
    if succeeded or g.get(_KEEP, False):
        db.session.commit()
    else:
        db.session.rollback()
