"""Directory service: municipalities, offices, users, roles and tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, event, literal, null, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import BindParameter, CompoundSelect

from app.audit import service as audit
from app.clock import Clock
from app.directory.models import ROLES, ApiToken, Membership, Municipality, Office, User
from app.errors import Conflict, Invalid, NotFound, Unauthorized

_hasher = PasswordHasher()
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Principal:
    """Who is acting: the user, their municipality and roles per office."""

    user_id: int | None
    username: str
    municipality_id: int
    roles: frozenset[str] = field(default_factory=frozenset)
    office_ids: frozenset[int] = field(default_factory=frozenset)
    office_names: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        """True when the principal holds any of the given roles."""
        return bool(self.roles.intersection(roles))

    @property
    def audit_name(self) -> str:
        """How the actor appears in the audit trail."""
        return self.username


@dataclass(frozen=True)
class OfficeRef:
    """An office as steps and screens need it (plain values: usable after the transaction ended)."""

    id: int
    municipality_id: int
    slug: str
    name: str


_OFFICES_KEY = "lotse_offices"
# Built once: the statements every request runs (constructing a statement costs more than a cached execution).
_OFFICES_OF = (select(Office.id, Office.municipality_id, Office.slug, Office.name)
               .where(Office.municipality_id == bindparam("municipality_id")).order_by(Office.name))


def offices_of(session: Session, municipality_id: int) -> list[OfficeRef]:
    """The offices of a municipality ordered by name, read once per session (a request, a scheduler tick).

    Offices are never renamed or removed; one created in this session drops the cached list, and a
    rollback drops all cached lists.
    """
    cache = session.info.setdefault(_OFFICES_KEY, {})
    refs = cache.get(municipality_id)
    if refs is None:
        rows = session.execute(_OFFICES_OF, {"municipality_id": municipality_id})
        refs = cache[municipality_id] = [OfficeRef(*row) for row in rows]
    return refs


def forget_offices(session: Session, municipality_id: int) -> None:
    """Drop a municipality's cached offices from the session (the next read goes to the database)."""
    session.info.get(_OFFICES_KEY, {}).pop(municipality_id, None)


def office_ref(session: Session, office_id: int | None, municipality_id: int | None = None) -> OfficeRef | None:
    """An office by id through the per-session cache (None for None or an unknown id).

    With the office's municipality known, its offices are read (once) instead of looking the office up first.
    """
    if office_id is None:
        return None
    if municipality_id is not None:
        offices_of(session, municipality_id)
    for refs in session.info.get(_OFFICES_KEY, {}).values():
        for ref in refs:
            if ref.id == office_id:
                return ref
    municipality_id = session.scalar(select(Office.municipality_id).where(Office.id == office_id))
    if municipality_id is None:
        return None
    return next((ref for ref in offices_of(session, municipality_id) if ref.id == office_id), None)


@event.listens_for(Session, "after_rollback")
def _forget_offices(session: Session) -> None:
    session.info.pop(_OFFICES_KEY, None)


def system_principal(municipality_id: int) -> Principal:
    """The scheduler and other automatic actors."""
    return Principal(None, "system", municipality_id, frozenset({"system"}))


def slugify(name: str) -> str:
    """A URL-safe slug from a German office name (umlauts transliterated)."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
    slug = re.sub(r"[^a-z0-9]+", "-", name.translate(table).lower()).strip("-")
    return slug[:63] or "office"


def create_municipality(session: Session, *, slug: str, name: str, clock: Clock) -> Municipality:
    """Create a tenant; the slug must be new."""
    if not SLUG_RE.match(slug):
        raise Invalid(f"invalid municipality slug '{slug}': use lower-case letters, digits and '-'")
    if session.scalar(select(Municipality).where(Municipality.slug == slug)):
        raise Conflict(f"municipality '{slug}' exists already")
    municipality = Municipality(slug=slug, name=name, created_at=clock.now())
    session.add(municipality)
    session.flush()
    return municipality


def get_municipality(session: Session, slug: str) -> Municipality:
    """Find a municipality by slug."""
    municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise NotFound(f"municipality '{slug}' not found")
    return municipality


def create_office(session: Session, *, municipality: Municipality, name: str) -> Office:
    """Add an office; its name is what BPMN lanes refer to."""
    name = name.strip()
    if not name:
        raise Invalid("office name must not be empty")
    if find_office(session, municipality.id, name):
        raise Conflict(f"office '{name}' exists already in '{municipality.slug}'")
    office = Office(municipality_id=municipality.id, name=name, slug=slugify(name))
    session.add(office)
    session.flush()
    forget_offices(session, municipality.id)
    return office


def find_office(session: Session, municipality_id: int, name: str) -> Office | None:
    """The office with this name (case-insensitive, trimmed) in a municipality."""
    wanted = name.strip().casefold()
    for office in session.scalars(select(Office).where(Office.municipality_id == municipality_id)):
        if office.name.casefold() == wanted:
            return office
    return None


def list_offices(session: Session, municipality_id: int) -> list[Office]:
    """Offices of a municipality ordered by name."""
    return list(session.scalars(select(Office).where(Office.municipality_id == municipality_id).order_by(Office.name)))


def create_user(session: Session, *, municipality: Municipality, username: str, role: str, clock: Clock,
                office_name: str | None = None, password: str | None = None, display_name: str = "",
                actor: str = "cli") -> User:
    """Create a user with one role (in an office, where the role needs one); audited in the municipality chain."""
    if role not in ROLES:
        raise Invalid(f"unknown role '{role}'; roles are: {', '.join(ROLES)}")
    if not re.match(r"^[A-Za-z0-9._@-]{2,64}$", username):
        raise Invalid(f"invalid username '{username}'")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user '{username}' exists already")
    office = None
    if office_name:
        office = find_office(session, municipality.id, office_name)
        if office is None:
            raise NotFound(f"office '{office_name}' not found in '{municipality.slug}'")
    elif role in ("clerk", "lead"):
        raise Invalid(f"role '{role}' needs an office (--office)")
    user = User(municipality_id=municipality.id, username=username, display_name=display_name or username,
                password_hash=_hasher.hash(password) if password else None, created_at=clock.now())
    session.add(user)
    session.flush()
    session.add(Membership(municipality_id=municipality.id, user_id=user.id,
                           office_id=office.id if office else None, role=role))
    session.flush()
    # The display name is personal content: it goes into an erasable payload, the username stays.
    audit.record(session, municipality_id=municipality.id, kind="user_created", actor=actor, at=clock.now(),
                 element_id=username, office=office.name if office else None,
                 details={"user_id": user.id, "role": role}, payload={"display_name": user.display_name})
    return user


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password."""
    return _hasher.hash(password)


def verify_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        _hasher.hash("timing-equalizer")  # don't reveal which usernames exist by answering faster
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, username: str, clock: Clock, name: str = "", actor: str = "cli") -> str:
    """Issue a bearer token for a user; the clear text is returned once and never stored."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user '{username}' not found")
    token = "lotse_" + secrets.token_urlsafe(32)
    row = ApiToken(municipality_id=user.municipality_id, user_id=user.id, token_hash=_token_hash(token), name=name,
                   created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, municipality_id=user.municipality_id, kind="token_created", actor=actor, at=clock.now(),
                 element_id=username, details={"token_id": row.id, "name": name})
    return token


def revoke_tokens(session: Session, *, username: str, clock: Clock, name: str | None = None,
                  actor: str = "cli") -> int:
    """Revoke a user's active tokens (only those with this name, if given); audited; return how many."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user '{username}' not found")
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiToken.name == name)
    tokens = list(session.scalars(query.order_by(ApiToken.id)))
    for row in tokens:
        row.revoked_at = clock.now()
        audit.record(session, municipality_id=user.municipality_id, kind="token_revoked", actor=actor,
                     at=clock.now(), element_id=username, details={"token_id": row.id, "name": row.name})
    session.flush()
    return len(tokens)


def principal_for(session: Session, user: User) -> Principal:
    """Collect a user's roles and offices."""
    return _principal(session, user.id, user.username, user.municipality_id)


def _principal(session: Session, user_id: int, username: str, municipality_id: int,
               memberships: list[tuple[str, int | None]] | None = None) -> Principal:
    offices = {o.id: o.name for o in offices_of(session, municipality_id)}
    if memberships is None:
        memberships = [(row.role, row.office_id) for row in session.execute(
            select(Membership.role, Membership.office_id).where(Membership.user_id == user_id))]
    office_ids = frozenset(office_id for _role, office_id in memberships if office_id is not None)
    return Principal(
        user_id=user_id, username=username, municipality_id=municipality_id,
        roles=frozenset(role for role, _office_id in memberships), office_ids=office_ids,
        office_names=frozenset(offices[i] for i in office_ids if i in offices),
    )


_TOKEN_HASH: BindParameter[str] = bindparam("token_hash")
# A token's user and memberships (kind 0, a row per membership) and the offices of the user's municipality
# (kind 1, ordered by name as in offices_of): what every API request needs, in one round trip.
_TOKEN_PRINCIPAL: CompoundSelect = union_all(
    select(literal(0).label("kind"), ApiToken.revoked_at, User.id, User.username, User.municipality_id, User.active,
           Membership.role, Membership.office_id, null().label("slug"), null().label("name"))
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(ApiToken.token_hash == _TOKEN_HASH),
    select(literal(1), null(), null(), null(), Office.municipality_id, null(), null(), Office.id, Office.slug,
           Office.name)
    .where(Office.municipality_id == select(User.municipality_id).join(ApiToken, ApiToken.user_id == User.id)
           .where(ApiToken.token_hash == _TOKEN_HASH).scalar_subquery()),
).order_by(text("kind"), text("name"))


def authenticate_token(session: Session, token: str) -> Principal:
    """Resolve a bearer token to a principal; 401 when unknown, revoked or inactive.

    One statement for token, user, memberships and the municipality's offices (which then serve the rest of
    the request through offices_of), plain rows, no ORM objects.
    """
    rows = session.execute(_TOKEN_PRINCIPAL, {"token_hash": _token_hash(token)}).all()
    users = [row for row in rows if row.kind == 0]
    if not users or users[0].revoked_at is not None:
        raise Unauthorized("unknown or revoked token")
    first = users[0]
    if not first.active:
        raise Unauthorized("user is inactive")
    cache = session.info.setdefault(_OFFICES_KEY, {})
    if first.municipality_id not in cache:
        cache[first.municipality_id] = [OfficeRef(row.office_id, row.municipality_id, row.slug, row.name)
                                        for row in rows if row.kind == 1]
    memberships = [(row.role, row.office_id) for row in users if row.role is not None]
    return _principal(session, first.id, first.username, first.municipality_id, memberships)
