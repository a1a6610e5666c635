"""REST: verifying and exporting a case's trail, erasing personal data, reading the access log."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.common import clock, page, principal
from app.audit import access, erasure
from app.audit.export import MIMETYPES, iter_text
from app.audit.schemas import (
    AccessLogPageSchema,
    AccessLogQuerySchema,
    AuditEventSchema,
    EraseSchema,
    ErasureResultSchema,
    VerifyResultSchema,
)
from app.audit.verify import verify_instance
from app.casefile.access import read_trail
from app.errors import Forbidden
from app.extensions import db
from app.instances.service import get_instance

blp = Blueprint("audit", __name__, url_prefix="/api", description="Audit trail verification, export, erasure, "
                                                                  "access log")
VERIFIERS = ("supervisor", "admin")


class ExportArgs(Schema):
    """Query of GET /api/instances/{id}/audit/export."""

    format = fields.String(load_default="jsonl", validate=validate.OneOf(["jsonl", "csv"]))


@blp.route("/instances/<int:instance_id>/audit/verify")
class InstanceAuditVerify(MethodView):
    """Verification of a case's chain."""

    @blp.response(200, VerifyResultSchema)
    def get(self, instance_id):
        """Check the hash chain, payloads and sealed heads of a case (supervisors, admins)."""
        actor = principal()
        instance = get_instance(db.session(), actor=actor, instance_id=instance_id)
        if not actor.has(*VERIFIERS):
            raise Forbidden("only supervisors and admins verify audit chains")
        report = verify_instance(db.session(), instance)
        return {"ok": report.ok, "instance_id": instance.id, "events": report.events,
                "sealed_seq": report.sealed_seq, "problems": report.problems}


@blp.route("/instances/<int:instance_id>/audit/export")
class InstanceAuditExport(MethodView):
    """A case's trail as a file."""

    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, content_type="application/x-ndjson", description="JSONL, or CSV (text/csv) with format=csv")
    def get(self, args, instance_id):
        """The trail of a case as JSONL (default) or CSV, the same records as GET …/audit; logged as an export."""
        actor = principal()
        instance = get_instance(db.session(), actor=actor, instance_id=instance_id)
        trail = read_trail(db.session(), actor=actor, instance=instance, action="audit_export", at=clock().now(),
                           details={"format": args["format"]})
        records = [AuditEventSchema().dump(view) for view in trail]
        response = current_app.response_class("".join(iter_text(records, args["format"])),
                                              mimetype=MIMETYPES[args["format"]])
        response.headers["Content-Disposition"] = (f'attachment; filename="instance-{instance.id}-audit.'
                                                   f'{args["format"]}"')
        return response


@blp.route("/privacy/erase")
class PrivacyErase(MethodView):
    """Erasure of a case's personal data."""

    @blp.arguments(EraseSchema)
    @blp.response(200, ErasureResultSchema)
    @blp.alt_response(409, description="the case still runs")
    def post(self, body):
        """Tombstone an ended case's personal payloads and its messages' (admins); the trail keeps who did what."""
        return erasure.erase_case(db.session(), actor=principal(), business_key=body["business_key"], clock=clock(),
                                  reason=body.get("reason"))


@blp.route("/access-log")
class AccessLog(MethodView):
    """Who read which case data."""

    @blp.arguments(AccessLogQuerySchema, location="query")
    @blp.response(200, AccessLogPageSchema)
    def get(self, args):
        """Reads of case data in the caller's municipality, newest first (admins; data-protection control only)."""
        rows, total = access.list_access(db.session(), actor=principal(), instance_id=args.get("instance_id"),
                                         username=args.get("actor"), since=args.get("since"),
                                         until=args.get("until"), limit=args["limit"], offset=args["offset"])
        return page(rows, total)
