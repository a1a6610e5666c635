"""Signing in and out (Flask-Login, argon2 via the directory service), the language switch, role checks."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.directory import sessions
from app.directory.models import User
from app.directory.service import Principal, principal_for, verify_password
from app.errors import Invalid
from app.extensions import db
from app.web import unit_of_work

__all__ = ["bp", "current_principal", "init_auth", "login_required", "roles_required", "safe_next", "WebUser"]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
LOCALES = ("de", "en")


class WebUser(UserMixin):
    """The signed-in person: the directory's Principal plus what the page header shows."""

    def __init__(self, user: User, principal: Principal, sid: str):
        self.user_id = user.id
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.has_local_password = bool(user.password_hash)
        self.principal = principal
        self.sid = sid

    def get_id(self) -> str:
        """Stored in the session cookie: the user and the server-side session, which sign-out ends."""
        return f"{self.user_id}:{self.sid}"


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    """Rebuild the principal on every request (role and office changes apply at once); ended sessions are dead."""
    user_id, _, sid = session_id.partition(":")
    if not user_id.isdigit() or not sid:
        return None
    user = sessions.live_session_user(db.session(), int(user_id), sid)
    if user is None:
        return None
    return WebUser(user, principal_for(db.session(), user), sid)


def _clock():
    return current_app.extensions["lotse_clock"]


def _throttle() -> sessions.Throttle:
    config = current_app.config
    return sessions.Throttle(per_account=int(config.get("LOGIN_FAILURES_PER_ACCOUNT", 5)),
                             per_client=int(config.get("LOGIN_FAILURES_PER_CLIENT", 20)))


def _directory_user(username: str, password: str) -> User | None:
    """The account the configured LDAP directory vouches for (created or updated from its groups), or None."""
    config = current_app.config.get("LDAP")
    if not config:
        return None
    from app.directory.ldap_auth import DirectoryError, grants_from_config, ldap_identity, provision

    try:
        identity = ldap_identity(config, username, password)
        if identity is None:
            return None
        return provision(db.session(), identity, grants_from_config(config.get("groups", {})), now=_clock().now())
    except DirectoryError:
        current_app.logger.exception("directory sign-in of %s failed", username)
        db.session.rollback()
        return None


def sign_in(user: User) -> None:
    """Start a fresh session (and CSRF token) for a user whose credentials were checked."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    sid = sessions.start_session(db.session(), user, now=_clock().now())
    sessions.clear_failures(db.session(), username=user.username)
    login_user(WebUser(user, principal_for(db.session(), user), sid))


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
    """The login page; wrong credentials get one message that does not tell which part was wrong.

    Failed attempts are counted per account and per client; beyond the limits the page answers 429 with
    Retry-After and the password is not even checked.
    """
    from app.web.nav import start_url

    if current_user.is_authenticated:
        return redirect(start_url())
    form = LoginForm()
    status, failed, wait = 200, False, None
    if request.method == "POST":
        if form.validate():
            username, client, now = form.username.data.strip(), request.remote_addr or "unknown", _clock().now()
            wait = sessions.wait_seconds(db.session(), username=username, client=client, now=now, limits=_throttle())
            if wait is None:
                user = verify_password(db.session(), username, form.password.data) or _directory_user(
                    username, form.password.data)
                if user is not None:
                    sign_in(user)
                    return redirect(safe_next(request.args.get("next")) or start_url())
                sessions.record_failure(db.session(), username=username, client=client, now=now, limits=_throttle())
            else:
                sessions.audit_throttled(db.session(), username=username, client=client, wait=wait, now=now)
            unit_of_work.keep_changes()  # failed attempts and throttling stay recorded although the answer is 401/429
        failed, status = True, 401
    response = current_app.make_response((render_template("auth/login.html", form=form, failed=failed,
                                                          wait=wait), 429 if wait else status))
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/abmelden")
def logout():
    """Sign out (POST with CSRF token, so no other site can sign someone out); the session ends server-side."""
    language = session.get("lang")
    if current_user.is_authenticated:
        sessions.end_session(db.session(), current_user.sid, now=_clock().now())
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(gettext("You have been signed out."), "success")
    return redirect(url_for("auth.login"))


class PasswordForm(FlaskForm):
    """Current and new password (twice)."""

    current = PasswordField(lazy_gettext("Current password"), validators=[InputRequired(), Length(max=1024)])
    new = PasswordField(lazy_gettext("New password"), validators=[InputRequired(), Length(max=1024)])
    repeat = PasswordField(lazy_gettext("Repeat the new password"),
                           validators=[InputRequired(), EqualTo("new", message=lazy_gettext("The passwords differ."))])


@bp.route("/passwort", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the own local password; every session of the account ends, this one starts afresh."""
    user = db.session.get(User, current_user.user_id)
    if user is None or not user.password_hash:
        abort(404)  # accounts of a directory change their password there
    form = PasswordForm()
    errors: list[str] = []
    if request.method == "POST" and form.validate():
        if verify_password(db.session(), user.username, form.current.data) is None:
            errors.append(gettext("The current password is wrong."))
        else:
            try:
                sessions.set_password(db.session(), user=user, new_password=form.new.data, now=_clock().now(),
                                      actor=user.username)
            except Invalid as exc:
                db.session.rollback()
                errors.extend(exc.details["rules"])
            else:
                sign_in(user)
                flash(gettext("Your password was changed; other sessions of your account were signed out."),
                      "success")
                return redirect(url_for("auth.change_password"))
    elif request.method == "POST":
        errors.extend(str(e) for field in form for e in field.errors)
    return render_template("auth/password.html", form=form, errors=errors,
                           min_length=sessions.MIN_PASSWORD_LENGTH), 422 if errors else 200


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

