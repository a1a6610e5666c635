"""Task API schemas."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.common import PageArgs
from app.deadlines.kinds import deadline_kind


class TaskSchema(Schema):
    """A human task as clerks see it."""

    id = fields.Integer()
    name = fields.String()
    element_id = fields.String()
    office = fields.String(allow_none=True)
    instance_id = fields.Integer()
    process_key = fields.String()
    business_key = fields.String()
    assignee = fields.String(allow_none=True)
    status = fields.String()
    form_key = fields.String(allow_none=True)
    calendar = fields.String(allow_none=True)
    legal_source = fields.String(allow_none=True)
    # Legal clocks (app/deadlines/clocks.py): where the clock started and what kind of deadline it is.
    due_from = fields.Date(allow_none=True)
    due_from_label = fields.String(allow_none=True)
    deadline_kind = fields.Function(lambda t: deadline_kind(t), metadata={
        "description": "legal (with legal_source), internal (a target), or null without a due date"})
    against = fields.String(allow_none=True, metadata={"description": "'person': the clock runs against the person"})
    paused = fields.Function(lambda t: t.paused_at is not None, metadata={"description": "gehemmt (clock paused)"})
    pause_mode = fields.String(allow_none=True, metadata={"description": "hemmung or unterbrechung"})
    pause_reason = fields.String(allow_none=True)
    paused_due_at = fields.DateTime(allow_none=True, metadata={"description": "the end the clock had when paused"})
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    follow_up_at = fields.DateTime(allow_none=True)
    escalated_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    revision = fields.Integer()


class TaskPageSchema(Schema):
    """A page of tasks."""

    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()


class TaskQuerySchema(PageArgs):
    """Inbox filters (Camunda's GET /task, in snake_case)."""

    status = fields.String(load_default="open", validate=validate.OneOf(["open", "completed", "cancelled", "all"]))
    assignee = fields.String(metadata={"description": "a username, or 'me'"})
    unassigned = fields.Boolean(load_default=False)
    process_key = fields.String()
    business_key = fields.String()
    office = fields.String()
    instance_id = fields.Integer()
    due_before = fields.AwareDateTime(default_timezone=None)
    due_after = fields.AwareDateTime(default_timezone=None)
    overdue = fields.Boolean(load_default=False)
    sort_by = fields.String(load_default="due_at", validate=validate.OneOf(["due_at", "created_at", "id"]))
    sort_order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))


class CompleteSchema(Schema):
    """Body of POST /api/tasks/{id}/complete."""

    data = fields.Dict(keys=fields.String(), load_default=dict)


class CompletedSchema(Schema):
    """Result of a completion: the task and where the case went."""

    task = fields.Nested(TaskSchema)
    next_tasks = fields.List(fields.Nested(TaskSchema))
    instance_status = fields.String()


class DueDateSchema(Schema):
    """Body of PATCH /api/tasks/{id}."""

    due_at = fields.AwareDateTime(required=True, default_timezone=None)
    reason = fields.String(load_default="", validate=validate.Length(max=2000),
                           metadata={"description": "why the deadline moves (required; kept as erasable payload)"})
    confirm_past = fields.Boolean(load_default=False, metadata={"description": "required for a date in the past"})


class AssignSchema(Schema):
    """Body of POST /api/tasks/{id}/assign."""

    assignee = fields.String(required=True, metadata={"description": "username of a clerk of the task's office"})
