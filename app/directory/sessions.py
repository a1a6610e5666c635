"""Web sessions known server-side, sign-in throttling and the local password rules.

A browser session is a row: the cookie carries a random id whose SHA-256 is stored; signing out ends the
row, a password change ends every row of the user, so a copied cookie is dead afterwards. Failed sign-ins
are counted per account and per client address in the database (shared by every web worker, no extra
service); beyond the limits further attempts are refused with the seconds to wait, and audited.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.directory.models import LoginFailure, User, UserSession

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# A few of the most used passwords and Lotse's own words: refused outright (BSI ORP.4.A22: no trivial passwords).
_TRIVIAL = {"passwort", "password", "123456789012", "qwertzuiop", "lotse", "geheim", "kennwort", "willkommen",
            "sommer", "winter", "hallo", "admin", "letmein"}


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins within `window` an account and a client may have before waiting."""

    per_account: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_session(session: Session, user: User, *, now: datetime) -> str:
    """Open a server-side session for a signed-in user; returns the id for the cookie (stored only hashed)."""
    sid = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, sid_hash=_sid_hash(sid), created_at=now))
    session.flush()
    return sid


def live_session_user(session: Session, user_id: int, sid: str) -> User | None:
    """The active user of a session that has not ended, or None."""
    return session.scalar(select(User).join(UserSession, UserSession.user_id == User.id).where(
        UserSession.sid_hash == _sid_hash(sid), UserSession.user_id == user_id, UserSession.ended_at.is_(None),
        User.active.is_(True)))


def end_session(session: Session, sid: str, *, now: datetime, reason: str = "logout") -> None:
    """End one session (sign-out)."""
    session.execute(update(UserSession).where(UserSession.sid_hash == _sid_hash(sid), UserSession.ended_at.is_(None))
                    .values(ended_at=now, ended_reason=reason))


def end_all_sessions(session: Session, user_id: int, *, now: datetime, reason: str) -> int:
    """End every open session of a user (password change, deactivation); returns how many."""
    result: Any = session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                       UserSession.ended_at.is_(None))
                             .values(ended_at=now, ended_reason=reason))
    return result.rowcount or 0


def _normalized(username: str) -> str:
    return username.strip().casefold()[:64]


def wait_seconds(session: Session, *, username: str, client: str, now: datetime,
                 limits: Throttle = Throttle()) -> int | None:
    """Seconds until this account and client may try again, or None when a sign-in may be attempted."""
    since = now - limits.window
    waits = []
    for column, key, allowed in ((LoginFailure.username, _normalized(username), limits.per_account),
                                 (LoginFailure.client, client[:64], limits.per_client)):
        count = session.scalar(select(func.count()).where(column == key, LoginFailure.at > since))
        if (count or 0) >= allowed:
            # The newest `allowed` failures in the window: the oldest of them leaving the window frees a try.
            times = list(session.scalars(select(LoginFailure.at).where(column == key, LoginFailure.at > since)
                                         .order_by(LoginFailure.at.desc()).limit(allowed)))
            waits.append(max(1, math.ceil((times[-1] + limits.window - now).total_seconds())))
    return max(waits) if waits else None


def record_failure(session: Session, *, username: str, client: str, now: datetime,
                   limits: Throttle = Throttle()) -> None:
    """Count a failed sign-in (and forget failures older than a day)."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - max(limits.window, timedelta(days=1))))
    session.add(LoginFailure(username=_normalized(username), client=client[:64], at=now))
    session.flush()


def clear_failures(session: Session, *, username: str) -> None:
    """A successful sign-in forgets the account's failures."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == _normalized(username)))


def audit_throttled(session: Session, *, username: str, client: str, wait: int, now: datetime) -> None:
    """Record a refused sign-in in the trail of the account's municipality (unknown accounts: nothing to chain)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        return
    audit.record(session, municipality_id=user.municipality_id, kind="login_throttled", actor=user.username,
                 at=now, element_id=user.username, details={"client": client[:64], "retry_after": wait})


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a new password does not meet the local rules (docs/auth.md, BSI IT-Grundschutz ORP.4), or []."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.casefold()
    if username and username.casefold() in lowered:
        problems.append("must not contain the username")
    if len(set(password)) < 5:
        problems.append("at least 5 different characters")
    if any(word in lowered for word in _TRIVIAL) and len(password) < 20:
        problems.append("must not be built on a common word such as 'passwort'")
    return problems


def set_password(session: Session, *, user: User, new_password: str, now: datetime, actor: str) -> int:
    """Give a local account a new password that meets the rules; ends all its sessions; audited.

    Returns how many sessions were ended. Raises Invalid naming the unmet rules.
    """
    from app.directory.service import hash_password
    from app.errors import Invalid

    problems = password_problems(new_password, user.username)
    if problems:
        raise Invalid("the new password does not meet the rules: " + "; ".join(problems), {"rules": problems})
    user.password_hash = hash_password(new_password)
    ended = end_all_sessions(session, user.id, now=now, reason="password_changed")
    audit.record(session, municipality_id=user.municipality_id, kind="password_changed", actor=actor, at=now,
                 element_id=user.username, details={"sessions_ended": ended})
    session.flush()
    return ended
