"""REST: /api/forms."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.common import clock, page, principal
from app.errors import Invalid
from app.extensions import db
from app.forms import service

blp = Blueprint("forms", __name__, url_prefix="/api/forms", description="Form definitions (JSON Schema + UI hints)")


class FormSchema(Schema):
    """A form version."""

    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    title = fields.String()
    schema = fields.Dict()
    deployed_by = fields.String()
    deployed_at = fields.DateTime()


class FormPageSchema(Schema):
    """Forms."""

    items = fields.List(fields.Nested(FormSchema))
    total = fields.Integer()


@blp.route("")
class Forms(MethodView):
    """Forms."""

    @blp.response(200, FormPageSchema)
    def get(self):
        """List form versions."""
        rows = service.list_forms(db.session(), actor=principal())
        return page(rows, len(rows))

    @blp.response(201, FormSchema)
    @blp.alt_response(200, schema=FormSchema, description="identical form: the existing version")
    def post(self):
        """Deploy a form: multipart field `file` or a JSON body {key, title, schema, ui}."""
        upload = request.files.get("file")
        raw = upload.read() if upload is not None else request.get_data()
        if not raw:
            raise Invalid("send the form as multipart field 'file' or as a JSON body")
        form, created = service.deploy_form(db.session(), actor=principal(), raw=raw, clock=clock())
        return form, 201 if created else 200
