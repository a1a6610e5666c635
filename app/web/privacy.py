"""Data-protection screens: a person's consents (withdraw one) and the Art. 30 record draft (admins)."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from app.casefile import consents
from app.casefile.records import records_of_processing
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.web import unit_of_work
from app.web.auth import current_principal, roles_required
from app.web.clerk import clock
from app.web.nav import NavItem, register_nav

bp = Blueprint("privacy", __name__, url_prefix="/datenschutz")
CONSENT_ROLES = ("clerk", "lead", "admin")
RECORD_ROLES = ("admin",)


def register(app: Flask) -> None:
    """Add the consent register and the record of processing, with their navigation entries."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("privacy.consent_list", lazy_gettext("Consents"), CONSENT_ROLES, order=45))
    register_nav(app, NavItem("privacy.record", lazy_gettext("Record of processing"), RECORD_ROLES, order=55))


@bp.get("/einwilligungen")
@roles_required(*CONSENT_ROLES)
def consent_list():
    """A person's consents by case reference: purpose, recipients, categories, state; withdraw one."""
    key = request.args.get("fall", "").strip()
    rows = consents.list_consents(db.session(), actor=current_principal(), business_key=key) if key else []
    now = clock().now()
    return render_template("privacy/consents.html", key=key, now=now, errors={},
                           items=[{"consent": c, "state": consents.consent_state(c, now)} for c in rows])


@bp.post("/einwilligungen/<int:consent_id>/widerruf")
@roles_required(*CONSENT_ROLES)
def withdraw(consent_id: int):
    """Record a withdrawal with its reason; recipients are notified, released data becomes unreadable."""
    key = request.form.get("fall", "")
    try:
        consents.withdraw(db.session(), actor=current_principal(), consent_id=consent_id,
                          reason=request.form.get("grund", ""), now=clock().now(),
                          notifier=current_app.extensions["lotse_notifier"])
    except Invalid:
        unit_of_work.discard()
        flash(gettext("Please give the reason for the withdrawal."), "error")
    except (Conflict, Forbidden, NotFound) as exc:
        unit_of_work.discard()
        flash(exc.message, "error")
    else:
        flash(gettext("The consent was withdrawn. The recipient offices were notified."), "success")
    return redirect(url_for("privacy.consent_list", fall=key))


@bp.get("/verzeichnis")
@roles_required(*RECORD_ROLES)
def record():
    """The draft record of processing activities per office, from the deployed models and forms."""
    actor = current_principal()
    draft = records_of_processing(db.session(), municipality_id=actor.municipality_id, now=clock().now())
    return render_template("privacy/record.html", record=draft)
