"""Audit, verification, erasure and access-log schemas (the API and the export share AuditEventSchema)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.common import PageArgs


class AuditEventSchema(Schema):
    """One audit event: the hashed fields (enough to re-check the hash), its payload, and its hash."""

    municipality_id = fields.Integer()
    instance_id = fields.Integer(allow_none=True)
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    office = fields.String(allow_none=True)
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    details = fields.Dict()
    payload = fields.Dict(allow_none=True, metadata={"description": "personal content; null once erased"})
    payload_erased = fields.Boolean()
    prev_hash = fields.String()
    hash = fields.String()


class AuditPageSchema(Schema):
    """The trail of an instance."""

    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()


class ProblemSchema(Schema):
    """The first broken link of a chain."""

    chain = fields.String()
    instance_id = fields.Integer(allow_none=True)
    seq = fields.Integer(allow_none=True)
    message = fields.String()


class VerifyResultSchema(Schema):
    """Result of verifying an instance's chain."""

    ok = fields.Boolean()
    instance_id = fields.Integer()
    events = fields.Integer()
    sealed_seq = fields.Integer(allow_none=True, metadata={"description": "last sequence number in the ledger"})
    problems = fields.List(fields.Nested(ProblemSchema))


class EraseSchema(Schema):
    """Body of POST /api/privacy/erase."""

    business_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class ErasedInstanceSchema(Schema):
    """What erasure did to one instance."""

    instance_id = fields.Integer()
    payloads = fields.Integer()
    messages = fields.Integer(metadata={"description": "outbox messages whose payload was cleared or withdrawn"})


class ErasureResultSchema(Schema):
    """What erasure did to a case."""

    business_key = fields.String()
    instances = fields.List(fields.Nested(ErasedInstanceSchema))
    payloads_erased = fields.Integer()
    messages_erased = fields.Integer()


class AccessLogQuerySchema(PageArgs):
    """Filters for GET /api/access-log."""

    instance_id = fields.Integer()
    actor = fields.String()
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)


class AccessLogEntrySchema(Schema):
    """One read of case data."""

    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor = fields.String()
    office = fields.String(allow_none=True)
    action = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    details = fields.Dict()


class AccessLogPageSchema(Schema):
    """A page of the access log."""

    items = fields.List(fields.Nested(AccessLogEntrySchema))
    total = fields.Integer()
