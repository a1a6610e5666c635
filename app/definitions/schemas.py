"""Definition API schemas."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.common import PageArgs


class DefinitionSchema(Schema):
    """A deployed definition version with what was found in it."""

    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    dialect = fields.String()
    sha256 = fields.String()
    deployed_by = fields.String()
    deployed_at = fields.DateTime()
    processes = fields.Function(lambda d: d.summary.get("processes", []))
    lanes = fields.Function(lambda d: d.summary.get("lanes", []))
    user_tasks = fields.Function(lambda d: list(d.summary.get("user_tasks", {}).values()))
    timers = fields.Function(lambda d: d.summary.get("timers", []))
    messages = fields.Function(lambda d: d.summary.get("messages", []))
    message_starts = fields.Function(lambda d: d.summary.get("message_starts", []))
    warnings = fields.Function(lambda d: d.summary.get("warnings", []))
    collaboration = fields.Function(lambda d: d.summary.get("collaboration", []), metadata={
        "description": "the other processes deployed from the same file (a collaboration's pools)"})
    retention = fields.String(allow_none=True, metadata={"description": "ISO 8601 duration after a case's end"})


class DefinitionPatchSchema(Schema):
    """Body of PATCH /api/definitions/{id}."""

    retention = fields.String(required=True, allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": "e.g. P10Y; null keeps the data until erased by hand"})


class DefinitionPageSchema(Schema):
    """A page of definitions."""

    items = fields.List(fields.Nested(DefinitionSchema))
    total = fields.Integer()


class DefinitionQuerySchema(PageArgs):
    """Filters for GET /api/definitions."""

    key = fields.String()
    latest = fields.Boolean(load_default=False)


class UploadSchema(Schema):
    """multipart/form-data upload of one BPMN file."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class MigrationQuerySchema(Schema):
    """Query of the migration dry run."""

    target_id = fields.Integer(metadata={"description": "definition id to move to (default: the next version)"})


class MigrationSchema(Schema):
    """Body of POST /api/definitions/{id}/migration."""

    target_id = fields.Integer(metadata={"description": "definition id to move to (default: the next version)"})
    instance_ids = fields.List(fields.Integer(), metadata={"description": "the cases to move (default: all)"})
