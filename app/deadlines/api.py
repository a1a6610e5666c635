"""REST: /api/overdue (supervisor summary) and /api/notifications."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from app.api.common import PageArgs, clock, page, principal
from app.deadlines import pause as pausing
from app.deadlines import service
from app.deadlines.models import Notification
from app.errors import NotFound
from app.extensions import db
from app.tasks.api import present
from app.tasks.schemas import TaskSchema

blp = Blueprint("deadlines", __name__, url_prefix="/api", description="Overdue work, escalations, notifications")


class OverdueSchema(Schema):
    """Supervisor summary."""

    generated_at = fields.String()
    offices = fields.List(fields.Dict())
    activities = fields.List(fields.Dict())
    timer_lag_seconds = fields.Float()
    due_timer_backlog = fields.Integer()


class PauseSchema(Schema):
    """Pause a task's deadline."""

    mode = fields.String(load_default="hemmung", metadata={
        "description": "hemmung (resume keeps the time left) or unterbrechung (resume restarts the period)"})
    reason = fields.String(required=True)


class CaseClockSchema(Schema):
    """A clock bound to the case (lotse:clock): counted once, kept when the model loops."""

    name = fields.String()
    element_id = fields.String()
    due_from = fields.Date(allow_none=True)
    due_from_label = fields.String(allow_none=True)
    due_at = fields.DateTime()
    legal_source = fields.String(allow_none=True)
    deadline_kind = fields.Function(lambda c: "legal" if c.legal else "internal")
    against = fields.String(allow_none=True)
    armed_at = fields.DateTime()
    fired_at = fields.DateTime(allow_none=True)


class NotificationSchema(Schema):
    """An in-app notification."""

    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    task_id = fields.Integer(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationPageSchema(Schema):
    """A page of notifications."""

    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()


class NotificationQuerySchema(PageArgs):
    """Filters for GET /api/notifications."""

    unread = fields.Boolean(load_default=False)


@blp.route("/overdue")
class Overdue(MethodView):
    """Overdue summary."""

    @blp.response(200, OverdueSchema)
    def get(self):
        """Per office open/overdue/escalated tasks and the oldest overdue; per activity the longest waits."""
        return service.overdue_summary(db.session(), actor=principal(), now=clock().now())


@blp.route("/notifications")
class Notifications(MethodView):
    """My notifications."""

    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args):
        """Escalations and reminders addressed to the caller, newest first."""
        actor = principal()
        query = select(Notification).where(Notification.recipient_id == actor.user_id)
        if args["unread"]:
            query = query.where(Notification.read_at.is_(None))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = db.session.scalars(query.order_by(Notification.id.desc()).limit(args["limit"]).offset(args["offset"]))
        return page(list(rows), total)


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    """Mark read."""

    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of the caller's notifications as read."""
        actor = principal()
        note = db.session.get(Notification, notification_id)
        if note is None or note.recipient_id != actor.user_id:
            raise NotFound(f"notification {notification_id} not found")
        note.read_at = note.read_at or clock().now()
        return note


@blp.route("/tasks/<int:task_id>/pause")
class TaskPause(MethodView):
    """Pause a deadline."""

    @blp.arguments(PauseSchema)
    @blp.response(200, TaskSchema)
    def post(self, body, task_id):
        """Pause the task's clock with a reason (leads of its office, supervisors, admins); audited."""
        return present(pausing.pause(db.session, actor=principal(), task_id=task_id, mode=body["mode"],
                                     reason=body["reason"], clock=clock()))


@blp.route("/tasks/<int:task_id>/resume")
class TaskResume(MethodView):
    """Resume a deadline."""

    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Let the clock run again: after a Hemmung with the time it had left, after an Unterbrechung anew."""
        return present(pausing.resume(db.session, actor=principal(), task_id=task_id, clock=clock()))


@blp.route("/instances/<int:instance_id>/clocks")
class InstanceClocks(MethodView):
    """The case's bound clocks."""

    @blp.response(200, CaseClockSchema(many=True))
    def get(self, instance_id):
        """Clocks bound to the case (e.g. § 2 AsylbLG's 36 months), with trigger, end and source."""
        from app.deadlines.models import CaseClock
        from app.instances.service import get_instance

        instance = get_instance(db.session(), actor=principal(), instance_id=instance_id)
        return list(db.session.scalars(select(CaseClock).where(CaseClock.instance_id == instance.id)
                                       .order_by(CaseClock.due_at, CaseClock.id)))
