"""Signing in against the municipality's directory (LDAP, Active Directory) and mapping its groups to roles.

The password is checked by binding as the user; the user's groups are read from the directory, and
configuration maps group DNs to (municipality, office, role). At every directory sign-in the local account
(no password of its own) is created or brought in line with the groups: a person moved to another
office in the directory lands in that office in Lotse at the next sign-in. See docs/auth.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.directory.models import ROLES, Membership, Municipality, User
from app.directory.service import find_office

try:  # optional: only installations that configure LDAP need it
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars
except ImportError:  # pragma: no cover - reported when LDAP is configured
    ldap3 = None


class DirectoryError(Exception):
    """The directory is configured wrongly or unreachable (not: a wrong password)."""


@dataclass(frozen=True)
class Grant:
    """What membership in one directory group means in Lotse."""

    municipality: str
    role: str
    office: str | None = None


@dataclass(frozen=True)
class Identity:
    """A person as the directory (LDAP or OpenID Connect) vouches for them."""

    username: str
    display_name: str
    email: str | None
    groups: frozenset[str] = field(default_factory=frozenset)
    source: str = "ldap"


def grants_from_config(raw: dict[str, Any]) -> dict[str, list[Grant]]:
    """The group mapping of the configuration: group -> list of {municipality, office, role}."""
    mapping: dict[str, list[Grant]] = {}
    for group, entries in raw.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            if entry.get("role") not in ROLES:
                raise DirectoryError(f"group '{group}': unknown role {entry.get('role')!r}")
            mapping.setdefault(group.lower(), []).append(
                Grant(entry["municipality"], entry["role"], entry.get("office")))
    return mapping


def ldap_identity(config: dict[str, Any], username: str, password: str) -> Identity | None:
    """Check the password by binding as the user and read their groups; None for wrong credentials."""
    if ldap3 is None:
        raise DirectoryError("LDAP is configured but the ldap3 package is not installed")
    if not password or not username:
        return None  # an empty password would be an anonymous bind, which always "succeeds"
    server = ldap3.Server(config["url"], connect_timeout=int(config.get("timeout", 5)))
    try:
        search = ldap3.Connection(server, config.get("bind_dn"), config.get("bind_password"),
                                  receive_timeout=int(config.get("timeout", 5)))
        try:  # not `with`: a connection bound before entering is left open by its __exit__
            search.bind()
            search.search(config["user_base"], config.get("user_filter", "(uid={username})").format(
                username=escape_filter_chars(username)), attributes=["cn", "displayName", "mail"])
            if len(search.entries) != 1:
                return None
            entry = search.entries[0]
            user_dn = entry.entry_dn
            search.search(config["group_base"], config.get("group_filter", "(member={user_dn})").format(
                user_dn=escape_filter_chars(user_dn)), attributes=["cn"])
            groups = frozenset(group.entry_dn.lower() for group in search.entries)
        finally:
            search.unbind()
        user = ldap3.Connection(server, user_dn, password, receive_timeout=int(config.get("timeout", 5)))
        try:
            if not user.bind():
                return None
        finally:
            user.unbind()  # closes the socket also after a refused bind
    except LDAPException as exc:
        raise DirectoryError(f"the directory did not answer as configured: {type(exc).__name__}") from exc
    display = entry.displayName.value if "displayName" in entry else (entry.cn.value if "cn" in entry else username)
    mail = entry.mail.value if "mail" in entry else None
    return Identity(username=username, display_name=str(display or username), email=mail, groups=groups)


def provision(session: Session, identity: Identity, mapping: dict[str, list[Grant]], *, now: Any) -> User | None:
    """The local account for a directory identity, its memberships set from the groups; None when no group maps.

    The memberships are those of the first municipality the groups name (a person works for one). Flushes;
    audited as 'directory_sign_in' with the roles granted.
    """
    grants = [grant for group in sorted(identity.groups) for grant in mapping.get(group.lower(), [])]
    if not grants:
        return None
    slug = grants[0].municipality
    municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise DirectoryError(f"the group mapping names municipality '{slug}', which does not exist")
    wanted: set[tuple[str, int | None]] = set()
    for grant in grants:
        if grant.municipality != slug:
            continue
        office = find_office(session, municipality.id, grant.office) if grant.office else None
        if grant.office and office is None:
            raise DirectoryError(f"the group mapping names office '{grant.office}', not found in '{slug}'")
        wanted.add((grant.role, office.id if office else None))
    user = session.scalar(select(User).where(User.username == identity.username))
    if user is None:
        user = User(municipality_id=municipality.id, username=identity.username, created_at=now,
                    display_name=identity.display_name, email=identity.email, password_hash=None)
        session.add(user)
        session.flush()
    elif user.municipality_id != municipality.id or user.password_hash:
        # A local account of the same name, or one of another municipality: never taken over by a directory.
        raise DirectoryError(f"the account '{identity.username}' exists locally; it cannot sign in by directory")
    if not user.active:
        return None
    user.display_name, user.email = identity.display_name, identity.email
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    for role, office_id in sorted(wanted, key=lambda item: (item[0], item[1] or 0)):
        session.add(Membership(municipality_id=municipality.id, user_id=user.id, office_id=office_id, role=role))
    session.flush()
    session.expire(user, ["memberships"])
    audit.record(session, municipality_id=municipality.id, kind="directory_sign_in", actor=user.username, at=now,
                 element_id=user.username, details={"source": identity.source,
                                                    "roles": sorted(f"{r}@{o or '-'}" for r, o in wanted)})
    return user
