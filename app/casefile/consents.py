"""The consent register (§ 67b Abs. 2 SGB X): recording from a model's consent step, listing, withdrawing.

A consent names one purpose, its recipient offices and data categories. It is refused unless the person
was told the purpose, the recipients and the right to withdraw. Releases that rely on a consent check it
when they happen (app/casefile/service.py); a withdrawal revokes what was released under it, notifies the
recipient offices in-app and is audited.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.casefile.catalogue import categories
from app.casefile.models import CaseRelease, Consent
from app.deadlines.notifier import InAppNotifier, Message, Notifier
from app.directory.models import Membership, User
from app.directory.service import Principal, offices_of
from app.engine.calendar import BERLIN
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.instances.locks import lock_instance
from app.instances.models import ProcessInstance

GIVEN = "erteilt"
# Below this age Lotse asks for the legal representative's consent too; capacity to consent is judged per case
# (orientation: Art. 8 Abs. 1 DSGVO; § 36 SGB I lets minors from 15 act in social-benefit matters themselves).
REPRESENTATIVE_BELOW_AGE = 16
READERS = ("clerk", "lead", "admin")


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_submission(variables: dict[str, Any], data: dict[str, Any], *, today: date) -> None:
    """Refuse (422) a given consent without information on purpose, recipients and withdrawal, or without the
    legal representative of a young minor."""
    merged = {**variables, **data}
    if merged.get("ds_einwilligung") != GIVEN:
        return
    missing = [field for field in ("ds_info_zweck", "ds_info_empfaenger", "ds_info_widerruf") if not merged.get(field)]
    if missing:
        raise Invalid("a consent is valid only when the person was informed about purpose, recipients and "
                      "withdrawal (§ 67b Abs. 2 SGB X) / Einwilligung nur wirksam nach Aufklärung über Zweck, "
                      "Empfänger und Widerruf", details={"fields": dict.fromkeys(missing, "required")})
    born = _as_date(merged.get("geburtsdatum") or merged.get("geburtsdatum_angabe"))
    age = _age(born, _as_date(merged.get("ds_erteilt_am")) or today)
    if age is not None and age < REPRESENTATIVE_BELOW_AGE and not merged.get("ds_vertreten_durch"):
        raise Invalid("the person is a minor: the legal representative must consent too / bei Minderjährigen "
                      "willigt auch die gesetzliche Vertretung ein",
                      details={"fields": {"ds_vertreten_durch": "required"}})


def record_from_step(session: Session, *, instance: ProcessInstance, variables: dict[str, Any], office_id: int | None,
                     actor: Principal, now: datetime) -> Consent | None:
    """Put the consent a model's consent step documented into the register (None when none was given)."""
    if variables.get("ds_einwilligung") != GIVEN:
        return None
    known = categories()
    given_on = _as_date(variables.get("ds_erteilt_am")) or now.astimezone(BERLIN).date()
    until = _as_date(variables.get("ds_gueltig_bis"))
    consent = Consent(
        municipality_id=instance.municipality_id, business_key=instance.business_key,
        purpose=str(variables.get("ds_zweck") or "unbestimmt"), recipients=list(variables.get("ds_empfaenger") or []),
        categories=[c for c in variables.get("ds_datenkategorien") or [] if c in known],
        given_by=str(variables.get("ds_erteilt_durch") or "betroffene Person"),
        legal_representative=variables.get("ds_vertreten_durch") or None,
        informed_purpose=bool(variables.get("ds_info_zweck")),
        informed_recipients=bool(variables.get("ds_info_empfaenger")),
        informed_withdrawal=bool(variables.get("ds_info_widerruf")),
        form=str(variables.get("ds_form") or "schriftlich"),
        given_at=datetime.combine(given_on, time(), tzinfo=BERLIN),
        # valid through the whole last day (Berlin time)
        valid_until=datetime.combine(until + timedelta(days=1), time(), tzinfo=BERLIN) if until else None,
        recorded_by=actor.username, office_id=office_id)
    session.add(consent)
    session.flush()
    audit.record(session, municipality_id=instance.municipality_id, kind="consent_recorded", actor=actor.audit_name,
                 at=now, instance=instance, details={"consent_id": consent.id, "purpose": consent.purpose,
                                                     "recipients": consent.recipients,
                                                     "categories": consent.categories,
                                                     "valid_until": consent.valid_until.isoformat()
                                                     if consent.valid_until else None})
    return consent


def consent_state(consent: Consent, now: datetime) -> str:
    """valid | withdrawn | expired."""
    if consent.withdrawn_at is not None:
        return "withdrawn"
    if consent.valid_until is not None and consent.valid_until <= now:
        return "expired"
    return "valid"


def _may_read(actor: Principal, consent: Consent) -> bool:
    if consent.municipality_id != actor.municipality_id or not actor.has(*READERS):
        return False
    if actor.has("admin"):
        return True
    return consent.office_id in actor.office_ids or bool(
        {r.casefold() for r in consent.recipients} & {n.casefold() for n in actor.office_names})


def list_consents(session: Session, *, actor: Principal, business_key: str) -> list[Consent]:
    """A person's consents the caller may see (recording or recipient office; admins), newest first."""
    rows = session.scalars(select(Consent).where(Consent.municipality_id == actor.municipality_id,
                                                 Consent.business_key == business_key.strip())
                           .order_by(Consent.id.desc()))
    return [c for c in rows if _may_read(actor, c)]


def get_consent(session: Session, *, actor: Principal, consent_id: int) -> Consent:
    """One consent the caller may see (404 otherwise)."""
    consent = session.get(Consent, consent_id)
    if consent is None or not _may_read(actor, consent):
        raise NotFound(f"consent {consent_id} not found")
    return consent


def withdraw(session: Session, *, actor: Principal, consent_id: int, reason: str, now: datetime,
             notifier: Notifier | None = None) -> Consent:
    """Withdraw a consent (clerks and leads of the recording office, admins): releases under it are revoked at
    once, every recipient office is notified in-app, each affected case's trail records it."""
    consent = get_consent(session, actor=actor, consent_id=consent_id)
    if not (actor.has("admin") or (actor.has("clerk", "lead") and consent.office_id in actor.office_ids)):
        raise Forbidden("only the office that recorded a consent (or an admin) records its withdrawal")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a withdrawal needs a reason", details={"fields": {"reason": "required"}})
    if consent.withdrawn_at is not None:
        raise Conflict(f"consent {consent_id} was already withdrawn")
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawn_reason = now, actor.username, reason
    releases = list(session.scalars(select(CaseRelease).where(CaseRelease.consent_id == consent.id,
                                                              CaseRelease.revoked_at.is_(None))))
    for release in releases:
        release.revoked_at, release.revoked_reason = now, "consent withdrawn"
    affected = sorted({r.instance_id for r in releases})
    for instance_id in affected:
        instance = lock_instance(session, instance_id, consent.municipality_id)
        audit.record(session, municipality_id=consent.municipality_id, kind="consent_withdrawn",
                     actor=actor.audit_name, at=now, instance=instance,
                     details={"consent_id": consent.id, "releases_revoked": [r.id for r in releases
                                                                             if r.instance_id == instance_id]},
                     payload={"reason": reason})
    audit.record(session, municipality_id=consent.municipality_id, kind="consent_withdrawn", actor=actor.audit_name,
                 at=now, details={"consent_id": consent.id, "instances": affected})
    _notify(session, consent, notifier or InAppNotifier(), now=now)
    session.flush()
    return consent


def _notify(session: Session, consent: Consent, notifier: Notifier, *, now: datetime) -> None:
    wanted = {r.casefold() for r in consent.recipients}
    office_ids = [o.id for o in offices_of(session, consent.municipality_id) if o.name.casefold() in wanted]
    if not office_ids:
        return
    users = list(session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.office_id.in_(office_ids), Membership.role.in_(("clerk", "lead")), User.active.is_(True))
        .distinct().order_by(User.id)))
    notifier.notify(session, users, Message(
        kind="consent_withdrawn", municipality_id=consent.municipality_id,
        subject=f"Einwilligung widerrufen: {consent.purpose}",
        body=(f"Die Einwilligung Nr. {consent.id} (Fall {consent.business_key}, Zweck „{consent.purpose}“) wurde "
              "widerrufen. Was unter ihr freigegeben wurde, ist ab sofort nicht mehr lesbar.")), now=now)
