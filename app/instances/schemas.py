"""Instance, message and incident API schemas."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.common import PageArgs
from app.audit.schemas import AuditEventSchema, AuditPageSchema  # noqa: F401 - re-exported for the instance API
from app.casefile.views import EntrySchema
from app.tasks.schemas import TaskSchema


class StartSchema(Schema):
    """Body of POST /api/instances."""

    process_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    business_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class IncidentSchema(Schema):
    """A failed step."""

    id = fields.Integer()
    instance_id = fields.Integer()
    element_id = fields.String(allow_none=True)
    message = fields.String()
    status = fields.String()
    operation = fields.Function(lambda i: i.operation.get("kind"))
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class InstanceSchema(Schema):
    """A case in a list."""

    id = fields.Integer()
    business_key = fields.String()
    status = fields.String()
    definition_id = fields.Integer()
    process_key = fields.String()
    definition_version = fields.Integer()
    revision = fields.Integer()
    next_timer_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)


class InstanceDetailSchema(InstanceSchema):
    """A case with its active tasks, incidents, and the entries (and their fold) the caller may read."""

    active_tasks = fields.List(fields.Nested(TaskSchema))
    incidents = fields.List(fields.Nested(IncidentSchema))
    data = fields.Dict(metadata={"description": "the case data as the caller may read it (fold of the entries)"})
    entries = fields.List(fields.Nested(EntrySchema))


class InstancePageSchema(Schema):
    """A page of instances."""

    items = fields.List(fields.Nested(InstanceSchema))
    total = fields.Integer()


class InstanceQuerySchema(PageArgs):
    """Filters for GET /api/instances."""

    status = fields.String(validate=validate.OneOf(["running", "incident", "completed", "cancelled"]))
    process_key = fields.String()
    business_key = fields.String()


class CancelSchema(Schema):
    """Body of POST /api/instances/{id}/cancel."""

    reason = fields.String(load_default=None, validate=validate.Length(max=1000))


class MessageSchema(Schema):
    """Body of POST /api/messages."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    business_key = fields.String(load_default=None)
    instance_id = fields.Integer(load_default=None)
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class MessageResultSchema(Schema):
    """Where a message went."""

    instance_id = fields.Integer()
    started = fields.Boolean()


class IncidentPageSchema(Schema):
    """A page of incidents."""

    items = fields.List(fields.Nested(IncidentSchema))
    total = fields.Integer()


class IncidentQuerySchema(PageArgs):
    """Filters for GET /api/incidents."""

    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "cancelled", "all"]))
    instance_id = fields.Integer()


class RetrySchema(Schema):
    """Body of POST /api/incidents/{id}/retry: optional corrected data."""

    data = fields.Dict(keys=fields.String(), load_default=dict)
