"""REST: the consent register (/api/consents) and the case file's catalogues (/api/casefile/catalogues)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.common import clock, page, principal
from app.casefile import consents
from app.casefile.catalogue import categories, legal_bases
from app.extensions import db

blp = Blueprint("casefile", __name__, url_prefix="/api", description="Consent register and case-file catalogues")


class ConsentSchema(Schema):
    """A consent in the register."""

    id = fields.Integer()
    business_key = fields.String(metadata={"description": "the person's case reference"})
    purpose = fields.String()
    recipients = fields.List(fields.String())
    categories = fields.List(fields.String())
    given_by = fields.String()
    legal_representative = fields.String(allow_none=True)
    informed_purpose = fields.Boolean()
    informed_recipients = fields.Boolean()
    informed_withdrawal = fields.Boolean()
    form = fields.String()
    given_at = fields.DateTime()
    valid_until = fields.DateTime(allow_none=True)
    recorded_by = fields.String()
    withdrawn_at = fields.DateTime(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "valid | withdrawn | expired"})


class ConsentPageSchema(Schema):
    """A person's consents."""

    items = fields.List(fields.Nested(ConsentSchema))
    total = fields.Integer()


class ConsentQuerySchema(Schema):
    """Query of GET /api/consents."""

    business_key = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WithdrawSchema(Schema):
    """Body of POST /api/consents/{id}/withdraw."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _present(consent):
    consent.state = consents.consent_state(consent, clock().now())
    return consent


@blp.route("/consents")
class Consents(MethodView):
    """A person's consents."""

    @blp.arguments(ConsentQuerySchema, location="query")
    @blp.response(200, ConsentPageSchema)
    def get(self, args):
        """The consents of a person (business key) the caller may see: recording or recipient office, admins."""
        rows = consents.list_consents(db.session(), actor=principal(), business_key=args["business_key"])
        return page([_present(c) for c in rows], len(rows))


@blp.route("/consents/<int:consent_id>/withdraw")
class ConsentWithdraw(MethodView):
    """Withdrawal."""

    @blp.arguments(WithdrawSchema)
    @blp.response(200, ConsentSchema)
    @blp.alt_response(409, description="already withdrawn")
    def post(self, body, consent_id):
        """Withdraw a consent: what was released under it becomes unreadable, recipients are notified."""
        notifier = current_app.extensions["lotse_notifier"]
        consent = consents.withdraw(db.session(), actor=principal(), consent_id=consent_id, reason=body["reason"],
                                    now=clock().now(), notifier=notifier)
        return _present(consent)


@blp.route("/casefile/catalogues")
class Catalogues(MethodView):
    """Catalogues."""

    @blp.response(200)
    def get(self):
        """The data categories and legal bases models name (shipped with Lotse, versioned)."""
        principal()
        return {"categories": [vars(c) for c in categories().values()],
                "legal_bases": [{**vars(b), "categories": list(b.categories),
                                 "recipients": list(b.recipients) if b.recipients is not None else None,
                                 "excluded_categories": list(b.excluded_categories)}
                                for b in legal_bases().values()]}


class OfficeEraseSchema(Schema):
    """Body of POST /api/casefile/erase."""

    business_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    office = fields.String(required=True, validate=validate.Length(min=1, max=200))
    mode = fields.String(load_default="erase", validate=validate.OneOf(["erase", "restrict"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@blp.route("/casefile/erase")
class OfficeErase(MethodView):
    """Erasure or restriction of one office's entries."""

    @blp.arguments(OfficeEraseSchema)
    @blp.response(200)
    @blp.alt_response(409, description="erasure of a case that still runs (restrict instead)")
    def post(self, body):
        """Erase one office's entries of an ended case, or restrict them (§ 84 SGB X) in any case (admins)."""
        from app.casefile.erasure import erase_office_entries

        return erase_office_entries(db.session(), actor=principal(), now=clock().now(), **body)
