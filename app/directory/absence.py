"""Absences: a clerk away from–to and the colleague who stands in ("in Vertretung") meanwhile.

The substitute sees and works the absent clerk's claimed tasks of the offices both belong to; an absence is set
by the clerk, a lead of one of the clerk's offices or an admin, and written to the municipality's audit chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.audit import service as audit
from app.clock import Clock
from app.directory.models import Absence, Membership, User
from app.directory.service import Principal
from app.engine.calendar import BERLIN
from app.errors import Forbidden, Invalid, NotFound

WORKING_ROLES = ("clerk", "lead")


@dataclass(frozen=True)
class AbsenceView:
    """An absence with both people by username and full name."""

    id: int
    username: str
    name: str
    substitute: str
    substitute_name: str
    starts_on: date
    ends_on: date
    created_by: str


def _user(session: Session, municipality_id: int, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.municipality_id == municipality_id))
    if user is None or not user.active:
        raise NotFound(f"user '{username}' not found")
    return user


def working_offices(session: Session, user_id: int) -> set[int]:
    """The offices in which the user works tasks (clerk or lead)."""
    return set(session.scalars(select(Membership.office_id).where(
        Membership.user_id == user_id, Membership.role.in_(WORKING_ROLES), Membership.office_id.is_not(None))))


def office_members(session: Session, municipality_id: int, office_id: int | None,
                   roles: tuple[str, ...] = WORKING_ROLES) -> list[User]:
    """Active users with one of the roles in the office, by full name."""
    if office_id is None:
        return []
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        User.municipality_id == municipality_id, Membership.office_id == office_id, Membership.role.in_(roles),
        User.active.is_(True)).distinct().order_by(User.display_name, User.username)))


def colleagues(session: Session, actor: Principal) -> list[User]:
    """Who the actor may name as a substitute or set an absence for: the working members of their offices."""
    seen: dict[int, User] = {}
    for office_id in sorted(actor.office_ids):
        for user in office_members(session, actor.municipality_id, office_id):
            seen.setdefault(user.id, user)
    return sorted(seen.values(), key=lambda u: (u.display_name.casefold(), u.username))


def may_set_for(session: Session, actor: Principal, user: User) -> bool:
    """The clerk themself, a lead of one of their offices, or an admin."""
    if user.municipality_id != actor.municipality_id:
        return False
    if actor.has("admin") or user.username == actor.username:
        return True
    lead_offices = set(session.scalars(select(Membership.office_id).where(
        Membership.user_id == actor.user_id, Membership.role == "lead")))
    return bool(lead_offices & working_offices(session, user.id))


def set_absence(session: Session, *, actor: Principal, username: str, substitute: str, starts_on: date,
                ends_on: date, clock: Clock) -> Absence:
    """Record an absence with its substitute; audited (who set it, for whom, who stands in, from–to)."""
    user = _user(session, actor.municipality_id, username)
    if not may_set_for(session, actor, user):
        raise Forbidden("an absence is set by the clerk, a lead of their office or an admin")
    stand_in = _user(session, actor.municipality_id, substitute)
    if stand_in.id == user.id:
        raise Invalid("a clerk cannot stand in for themself", details={"fields": {"substitute": "same person"}})
    if not working_offices(session, user.id) & working_offices(session, stand_in.id):
        raise Invalid(f"'{substitute}' works in none of the offices of '{username}'",
                      details={"fields": {"substitute": "not in the same office"}})
    if ends_on < starts_on:
        raise Invalid("the absence ends before it starts", details={"fields": {"ends_on": "before starts_on"}})
    today = berlin_today(clock)
    if ends_on < today:
        raise Invalid("the absence lies in the past", details={"fields": {"ends_on": "in the past"}})
    absence = Absence(municipality_id=actor.municipality_id, user_id=user.id, substitute_id=stand_in.id,
                      starts_on=starts_on, ends_on=ends_on, created_by=actor.username, created_at=clock.now())
    session.add(absence)
    session.flush()
    audit.record(session, municipality_id=actor.municipality_id, kind="user_changed", actor=actor.username,
                 at=clock.now(), element_id=username,
                 details={"absence": {"id": absence.id, "substitute": substitute, "from": starts_on.isoformat(),
                                      "to": ends_on.isoformat()}})
    return absence


def end_absence(session: Session, *, actor: Principal, absence_id: int, clock: Clock) -> None:
    """Withdraw an absence (who may set it may withdraw it); audited."""
    absence = session.get(Absence, absence_id)
    if absence is None or absence.municipality_id != actor.municipality_id:
        raise NotFound(f"absence {absence_id} not found")
    user = session.get(User, absence.user_id)
    if user is None or not may_set_for(session, actor, user):
        raise Forbidden("an absence is withdrawn by the clerk, a lead of their office or an admin")
    audit.record(session, municipality_id=actor.municipality_id, kind="user_changed", actor=actor.username,
                 at=clock.now(), element_id=user.username, details={"absence_withdrawn": absence.id})
    session.delete(absence)
    session.flush()


def berlin_today(clock: Clock) -> date:
    """Today in Berlin (absences are whole Berlin days)."""
    return clock.now().astimezone(BERLIN).date()


def substituting_for(session: Session, actor: Principal, today: date) -> list[str]:
    """Usernames of the clerks the actor stands in for today."""
    away = aliased(User)
    return list(session.scalars(select(away.username).join(Absence, Absence.user_id == away.id).where(
        Absence.municipality_id == actor.municipality_id, Absence.substitute_id == actor.user_id,
        Absence.starts_on <= today, Absence.ends_on >= today).distinct().order_by(away.username)))


def absent_today(session: Session, municipality_id: int, username: str, today: date) -> str | None:
    """The username of whoever stands in for this clerk today, or None."""
    away, stand_in = aliased(User), aliased(User)
    return session.scalar(select(stand_in.username).select_from(Absence)
                          .join(away, away.id == Absence.user_id).join(stand_in, stand_in.id == Absence.substitute_id)
                          .where(Absence.municipality_id == municipality_id, away.username == username,
                                 Absence.starts_on <= today, Absence.ends_on >= today)
                          .order_by(Absence.id.desc()).limit(1))


def list_absences(session: Session, *, actor: Principal, today: date) -> list[AbsenceView]:
    """Current and coming absences the actor is part of or may manage (own, standing in, their offices)."""
    away, stand_in = aliased(User), aliased(User)
    rows = session.execute(select(Absence, away, stand_in).join(away, away.id == Absence.user_id)
                           .join(stand_in, stand_in.id == Absence.substitute_id)
                           .where(Absence.municipality_id == actor.municipality_id, Absence.ends_on >= today)
                           .order_by(Absence.starts_on, Absence.id)).all()
    managed = {u.id for u in colleagues(session, actor)} if actor.has("lead", "admin") else set()
    result = []
    for absence, user, sub in rows:
        if not (actor.has("admin") or actor.user_id in (user.id, sub.id) or user.id in managed):
            continue
        result.append(AbsenceView(absence.id, user.username, user.display_name or user.username, sub.username,
                                  sub.display_name or sub.username, absence.starts_on, absence.ends_on,
                                  absence.created_by))
    return result


def display_names(session: Session, municipality_id: int) -> dict[str, str]:
    """Username → full name for the municipality's users."""
    return {username: name or username for username, name in session.execute(
        select(User.username, User.display_name).where(User.municipality_id == municipality_id))}
