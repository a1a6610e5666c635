"""Signing in and out (Flask-Login, argon2 via the directory service), the language switch, role checks."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.directory.models import User
from app.directory.service import Principal, principal_for, verify_password
from app.extensions import db

__all__ = ["bp", "current_principal", "init_auth", "login_required", "roles_required", "safe_next", "WebUser"]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
LOCALES = ("de", "en")


class WebUser(UserMixin):
    """The signed-in person: the directory's Principal plus what the page header shows."""

    def __init__(self, user: User, principal: Principal):
        self.user_id = user.id
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.principal = principal
        self._session_id = _session_id(user)

    def get_id(self) -> str:
        """Stored in the session cookie; changes when the password changes, which ends older sessions."""
        return self._session_id


def _session_id(user: User) -> str:
    fingerprint = hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]
    return f"{user.id}:{fingerprint}"


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    """Rebuild the principal on every request, so role and office changes apply at once."""
    user_id, _, _fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or _session_id(user) != session_id:
        return None
    return WebUser(user, principal_for(db.session(), user))


def current_principal() -> Principal:
    """The signed-in person's Principal (views pass it to the services)."""
    if not current_user.is_authenticated:
        abort(401)
    return current_user.principal


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    """Signed in and holding any of `roles`, else 403 (the services check again: this only shapes the UI)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if not current_principal().has(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login or a language switch (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(lazy_gettext("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(lazy_gettext("Password"), validators=[InputRequired(), Length(max=1024)])


@bp.route("/anmelden", methods=["GET", "POST"])
def login():
    """The login page; wrong credentials get one message that does not tell which part was wrong."""
    from app.web.nav import start_url

    if current_user.is_authenticated:
        return redirect(start_url())
    form = LoginForm()
    status = 200
    failed = False
    if request.method == "POST":
        if form.validate():
            user = verify_password(db.session(), form.username.data.strip(), form.password.data)
            if user is not None:
                language = session.get("lang")
                session.clear()  # a fresh session (and CSRF token) for the signed-in user
                if language:
                    session["lang"] = language
                login_user(WebUser(user, principal_for(db.session(), user)))
                return redirect(safe_next(request.args.get("next")) or start_url())
        failed, status = True, 401
    return render_template("auth/login.html", form=form, failed=failed), status


@bp.post("/abmelden")
def logout():
    """Sign out (POST with CSRF token, so no other site can sign someone out)."""
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(gettext("You have been signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/sprache")
def switch_language():
    """Remember the chosen UI language in the session and go back to the page."""
    language = request.form.get("lang", "")
    if language in LOCALES:
        session["lang"] = language
    return redirect(safe_next(request.form.get("next")) or url_for("ui.index"))


def select_locale() -> str:
    """Flask-Babel's locale selector: the user's choice, German by default."""
    language = session.get("lang")
    return language if language in LOCALES else "de"


def init_auth(app) -> None:
    """Bind Flask-Login and register the blueprint."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)

