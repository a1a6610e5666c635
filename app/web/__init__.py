"""The web UI: server-rendered Jinja pages with htmx, in German (default) and English. See docs/ui.md."""
from __future__ import annotations

import os

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.web.i18n import TRANSLATIONS

babel = Babel()
csrf = CSRFProtect()


def _screens():
    """Screen modules; each has `register(app)` adding its blueprint and navigation entries."""
    from app.web import cases, clerk, designer, exports, notifications, people, privacy, supervisor, team

    return (clerk, designer, supervisor, cases, exports, team, notifications, people, privacy)


def init_web(app: Flask) -> None:
    """Register the UI: login, CSRF, translations, assets, the frame and every screen."""
    from app.web import ui
    from app.web.assets import bp as vendor
    from app.web.auth import init_auth, select_locale

    https = os.environ.get("LOTSE_HTTPS") == "1"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE") or https
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", https)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    # The API authenticates with bearer tokens, not cookies: CSRF checks run for the HTML UI only.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session (signed, per login)

    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)

    @app.before_request
    def _csrf_for_web():
        if ui.is_web_request():
            csrf.protect()

    init_auth(app)
    ui.init_ui(app)
    app.register_blueprint(vendor)
    for screen in _screens():
        screen.register(app)
    _route_errors(app, DomainError, ui.handle_domain_error)
    _route_errors(app, HTTPException, ui.handle_http_error)
    _route_errors(app, StaleDataError, ui.handle_data_conflict)
    _route_errors(app, IntegrityError, ui.handle_data_conflict)


def _route_errors(app: Flask, exc_class: type[Exception], web_handler) -> None:
    """HTML error pages for the UI; the API keeps its JSON handler for the same exception."""
    from app.web.ui import is_web_request

    api_handler = app.error_handler_spec.get(None, {}).get(None, {}).get(exc_class)

    def dispatch(exc: Exception):
        if is_web_request():
            return web_handler(exc)
        if api_handler is not None:
            return api_handler(exc)
        if isinstance(exc, HTTPException):
            return exc
        raise exc

    app.register_error_handler(exc_class, dispatch)
