"""Municipalities (tenants), their offices, users, memberships and API tokens."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime
from app.extensions import Model

ROLES = ("clerk", "lead", "supervisor", "designer", "admin")


class Municipality(Model):
    """A tenant: one municipality with its offices."""

    __tablename__ = "municipality"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Second escalation level: a task still open this long after escalation goes to the coordination office.
    coordination_office_id: Mapped[int | None] = mapped_column(
        ForeignKey("office.id", use_alter=True, name="fk_municipality_coordination_office"))
    second_escalation_after: Mapped[str | None] = mapped_column(String(40))


class Office(Model):
    """An office of a municipality; a BPMN lane name maps to an office name."""

    __tablename__ = "office"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class User(Model):
    """A person (or system client) who signs in."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="selectin")


class Membership(Model):
    """A user's role in an office (office-less for municipality-wide roles such as admin)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "office_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Absence(Model):
    """A clerk away from–to (Berlin days, both included) and who stands in for them meanwhile."""

    __tablename__ = "absence"
    __table_args__ = (Index("ix_absence_substitute", "substitute_id", "ends_on"),
                      Index("ix_absence_user", "user_id", "ends_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserSession(Model):
    """A signed-in browser session, known server-side: sign-out and a password change end it for every copy."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the id in the cookie
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(40))


class LoginFailure(Model):
    """A failed sign-in, counted per account and per client to throttle password guessing."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"),
                      Index("ix_login_failure_client_at", "client", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
