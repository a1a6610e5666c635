"""The frame around every screen: start page, error pages, security headers, template helpers."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.deadlines.kinds import deadline_label
from app.errors import DomainError
from app.web import formatting, unit_of_work
from app.web.assets import vendor_url
from app.web.nav import nav_items, start_url

bp = Blueprint("ui", __name__, static_folder="static", static_url_path="/assets", template_folder="templates")

NON_WEB_PREFIXES = ("/api", "/healthz", "/readyz", "/metrics")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def is_web_request() -> bool:
    """True for the HTML UI (everything but the API and the probes)."""
    return not request.path.startswith(NON_WEB_PREFIXES)


def is_htmx() -> bool:
    """True when htmx sent the request (it then wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


@bp.get("/")
def index():
    """Signed-in users go to their start page, everyone else to the login."""
    if current_user.is_authenticated:
        return redirect(start_url())
    return redirect(url_for("auth.login"))


@bp.get("/start")
@login_required
def start():
    """A start page for roles that have no screen of their own yet."""
    return render_template("ui/start.html")


def _titles() -> dict[int, str]:
    return {400: gettext("The request could not be processed"), 401: gettext("Please sign in"),
            403: gettext("Access denied"), 404: gettext("Not found"), 405: gettext("Not allowed"),
            409: gettext("Changed meanwhile"), 413: gettext("Too large"), 422: gettext("Cannot be processed"),
            500: gettext("Something went wrong")}


def _messages() -> dict[int, str]:
    return {
        403: gettext("You may not open this page or do this action."),
        404: gettext("The page or task does not exist, or it belongs to another office."),
        409: gettext("Someone else changed this meanwhile. Please reload the page and try again."),
        422: gettext("The input could not be processed."),
    }


def error_page(status: int, detail: str | None = None):
    """An HTML error page (or a message fragment for htmx) with the right status."""
    title = _titles().get(status, _titles()[400] if status < 500 else _titles()[500])
    message = _messages().get(status, "")
    if is_htmx():
        return render_template("ui/_message.html", category="error", message=message or title), status
    return render_template("ui/error.html", status=status, title=title, message=message, detail=detail), status


def handle_domain_error(exc: DomainError):
    """Domain errors on web pages: the page for the status; an incident is kept (committed when the request ends)."""
    if getattr(exc, "keep_changes", False):
        unit_of_work.keep_changes()
    else:
        unit_of_work.discard()
    return error_page(exc.status, exc.message if exc.status in (409, 422) else None)


def handle_http_error(exc: HTTPException):
    """Werkzeug errors (404 for unknown URLs, 400 for a missing CSRF token, …) as HTML pages."""
    unit_of_work.discard()
    if exc.code == 400 and type(exc).__name__ == "CSRFError":
        return error_page(400, gettext("The form has expired. Please go back, reload the page and try again."))
    return error_page(exc.code or 500)


def handle_data_conflict(exc: Exception):
    """Concurrent changes (stale revision, unique constraint): ask to reload."""
    unit_of_work.discard()
    return error_page(409)


def finish(response: Response) -> Response:
    """End a web request's unit of work; a conflict found while committing becomes the 409 page."""
    if not is_web_request():
        return response
    try:
        unit_of_work.end(response.status_code < 400)
    except (StaleDataError, IntegrityError):
        unit_of_work.discard()
        session.pop("_flashes", None)  # a success message would be untrue now
        body, status = error_page(409)
        return Response(body, status=status, mimetype="text/html")
    return response


def security_headers(response):
    """CSP without inline scripts, no framing, no caching of case data."""
    if not is_web_request():
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("Cache-Control", "no-store")
        headers.add("Vary", "HX-Request")
    return response


def template_helpers() -> dict[str, Any]:
    """Globals every template may use."""
    return {"nav_items": nav_items, "vendor_url": vendor_url, "current_locale": str(get_locale() or "de"),
            "is_htmx": is_htmx}


def init_ui(app: Flask) -> None:
    """Register the frame blueprint, filters and helpers."""
    app.register_blueprint(bp)
    app.context_processor(template_helpers)
    app.add_template_filter(formatting.din_date, "din_date")
    app.add_template_filter(formatting.din_datetime, "din_datetime")
    app.add_template_filter(formatting.due_display, "due")
    app.add_template_filter(formatting.iso_local, "iso_local")
    app.add_template_global(deadline_label, "deadline_label")
    app.add_template_filter(person, "person")
    app.after_request(security_headers)
    app.after_request(finish)  # registered last, runs first: the headers also reach a conflict page


def person(username: str | None) -> str:
    """A username as people read it: the user's full name ("System" for automatic steps)."""
    from flask import g
    from flask_babel import gettext

    from app.directory.absence import display_names
    from app.extensions import db
    from app.web.history import SYSTEM_ACTORS

    if not username or username in SYSTEM_ACTORS:
        return gettext("System")
    names = getattr(g, "lotse_people", None)
    if names is None:
        from app.web.auth import current_principal

        names = g.lotse_people = display_names(db.session(), current_principal().municipality_id)
    return names.get(username, username)


__all__ = ["bp", "error_page", "init_ui", "is_htmx", "is_web_request"]
