"""Exporting the audit trail as a file: a case's trail (linked from the case view) and, for admins, the whole
municipality's (`/export`). Both stream the records the API shows as JSONL or CSV, the same files as
`lotse audit export`, and both are written to the access log before the first byte is sent."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, stream_with_context
from flask_babel import gettext, lazy_gettext

from app.audit.access import record_read
from app.audit.export import FORMATS, MIMETYPES, count_events, iter_records, iter_text
from app.directory.models import Municipality
from app.directory.service import Principal
from app.engine.calendar import BERLIN
from app.extensions import db
from app.web.auth import current_principal, roles_required
from app.web.clerk import clock
from app.web.forms_render import parse_date
from app.web.nav import NavItem, register_nav

bp = Blueprint("exports", __name__, url_prefix="/export")
EXPORT_ROLES = ("admin",)  # the whole municipality's trail: every case's personal data
CHUNK_ROWS = 500  # records per piece of the response (iter_records fetches as many rows at a time)


def register(app: Flask) -> None:
    """Add the export page and its navigation entry (admins)."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("exports.index", lazy_gettext("Export"), EXPORT_ROLES, order=50))


def format_labels() -> dict[str, str]:
    """The file formats in words."""
    return {"jsonl": gettext("JSON Lines (.jsonl): one entry per line, for archiving and checking"),
            "csv": gettext("CSV (.csv): one row per entry, for spreadsheets")}


def safe_name(text: str) -> str:
    """A piece of a file name: letters, digits, dot, dash and underscore only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"


def today() -> str:
    """Today's date in Berlin, ISO (sorts well in file names)."""
    return clock().now().astimezone(BERLIN).date().isoformat()


def download(*, reader: Principal, fmt: str, filename: str, municipality_id: int, instance_id: int | None = None,
             since: datetime | None = None) -> Response:
    """Log the export in the access log and commit, then stream the records as a file download."""
    filters: dict[str, Any] = {"municipality_id": municipality_id, "instance_id": instance_id, "since": since}
    events = count_events(db.session(), **filters)
    details: dict[str, Any] = {"format": fmt, "events": events}
    if since is not None:
        details["since"] = since.isoformat()
    record_read(db.session(), reader=reader, action="audit_export", at=clock().now(), instance_id=instance_id,
                details=details)
    # The unit of work commits the entry when the view returns, before the first byte is sent: it stays even if
    # the download breaks off.
    response = Response(stream_with_context(_chunks(filters, fmt, reader)), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data must not stay in caches
    return response


def _chunks(filters: dict[str, Any], fmt: str, reader: Principal) -> Iterator[str]:
    # Runs while the response is sent, after the request's session was removed: it reads with the session of that
    # moment and closes it when done, so no connection (and no SQLite read lock) outlives the download.
    session = db.session()
    try:
        # Case content goes through the read rule for the person downloading.
        yield from iter_text(iter_records(session, reader=reader, **filters), fmt, rows=CHUNK_ROWS)
    finally:
        session.close()


def _form(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_template("exports/index.html", formats=format_labels(), values=values, errors=errors), status


@bp.get("")
@roles_required(*EXPORT_ROLES)
def index():
    """The export page: format and an optional first day."""
    return _form({"format": "jsonl", "seit": ""}, {})


@bp.get("/datei")
@roles_required(*EXPORT_ROLES)
def municipality_file():
    """The municipality's trail (its own chain, then every case) as a file, from an optional day on."""
    actor = current_principal()
    fmt = request.args.get("format", "jsonl")
    raw_since = request.args.get("seit", "").strip()
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = gettext("Please choose a format.")
    since_day = None
    if raw_since:
        iso, error = parse_date(raw_since)
        if error:
            errors["seit"] = error
        else:
            since_day = date.fromisoformat(iso)
    if errors:
        return _form({"format": fmt, "seit": raw_since}, errors, 422)
    since = datetime.combine(since_day, datetime.min.time(), tzinfo=BERLIN) if since_day else None
    slug = db.session.get(Municipality, actor.municipality_id).slug
    part = f"-ab-{since_day.isoformat()}" if since_day else ""
    return download(reader=actor, fmt=fmt, municipality_id=actor.municipality_id, since=since,
                    filename=f"verlauf-{safe_name(slug)}{part}-{today()}.{fmt}")
