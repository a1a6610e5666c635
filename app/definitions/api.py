"""REST: /api/definitions."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.common import clock, page, principal
from app.definitions import migration, service
from app.definitions.schemas import (
    DefinitionPageSchema,
    DefinitionPatchSchema,
    DefinitionQuerySchema,
    DefinitionSchema,
    MigrationQuerySchema,
    MigrationSchema,
    UploadSchema,
)
from app.errors import Invalid
from app.extensions import db

blp = Blueprint("definitions", __name__, url_prefix="/api/definitions", description="Deploy and list BPMN models")


@blp.route("")
class Definitions(MethodView):
    """Collection of definitions."""

    @blp.arguments(DefinitionQuerySchema, location="query")
    @blp.response(200, DefinitionPageSchema)
    def get(self, args):
        """List deployed definitions (newest version first per key)."""
        rows, total = service.list_definitions(db.session(), actor=principal(), key=args.get("key"),
                                               latest_only=args["latest"], limit=args["limit"], offset=args["offset"])
        return page(rows, total)

    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, DefinitionSchema)
    @blp.alt_response(200, schema=DefinitionSchema, description="identical file: the existing version")
    @blp.alt_response(422, description="the model cannot run: details.problems lists each element id and reason")
    def post(self, files):
        """Deploy a BPMN file (multipart field `file`) as a new version of its process key.

        A task whose lane names no office or whose form is not deployed makes the upload fail (422, each problem
        with code `confirm`) unless the form field `confirm=true` is sent.
        """
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("multipart field 'file' is required")
        data = upload.read(current_app.config["MAX_BPMN_BYTES"] + 1)
        confirm = request.form.get("confirm", "").strip().lower() in ("1", "true", "yes", "on")
        definition, created = service.deploy(db.session(), actor=principal(), data=data, clock=clock(),
                                             max_bytes=current_app.config["MAX_BPMN_BYTES"], confirm=confirm)
        return definition, 201 if created else 200


@blp.route("/<int:definition_id>")
class DefinitionItem(MethodView):
    """One definition."""

    @blp.response(200, DefinitionSchema)
    def get(self, definition_id):
        """Show a definition version."""
        return service.get_definition(db.session(), actor=principal(), definition_id=definition_id)

    @blp.arguments(DefinitionPatchSchema)
    @blp.response(200, DefinitionSchema)
    def patch(self, body, definition_id):
        """Set the retention period of a version (designers, admins): its cases' personal data is erased then."""
        return service.set_retention(db.session(), actor=principal(), definition_id=definition_id,
                                     retention=body["retention"], clock=clock())


@blp.route("/<int:definition_id>/xml")
class DefinitionXml(MethodView):
    """The BPMN file as uploaded."""

    @blp.response(200)
    def get(self, definition_id):
        """Download the uploaded BPMN XML."""
        definition = service.get_definition(db.session(), actor=principal(), definition_id=definition_id)
        return current_app.response_class(definition.bpmn_xml, mimetype="application/xml")


@blp.route("/<int:definition_id>/migration")
class DefinitionMigration(MethodView):
    """Moving running cases of a version to another version of the same process."""

    @blp.arguments(MigrationQuerySchema, location="query")
    @blp.response(200)
    def get(self, args, definition_id):
        """Dry run: per running case, whether it can move to the target (default: next) version and what changes."""
        return migration.dry_run(db.session(), actor=principal(), definition_id=definition_id,
                                 target_id=args.get("target_id"))

    @blp.arguments(MigrationSchema)
    @blp.response(200)
    def post(self, body, definition_id):
        """Move the given running cases (default: all); the cases that cannot move are listed with the reason."""
        return migration.migrate(db.session(), actor=principal(), definition_id=definition_id, clock=clock(),
                                 target_id=body.get("target_id"), instance_ids=body.get("instance_ids"))
