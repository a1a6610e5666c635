"""REST: /api/overdue (supervisor summary) and /api/notifications."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from app.api.common import PageArgs, clock, page, principal
from app.deadlines import service
from app.deadlines.models import Notification
from app.errors import NotFound
from app.extensions import db

blp = Blueprint("deadlines", __name__, url_prefix="/api", description="Overdue work, escalations, notifications")


class OverdueSchema(Schema):
    """Supervisor summary."""

    generated_at = fields.String()
    offices = fields.List(fields.Dict())
    activities = fields.List(fields.Dict())
    timer_lag_seconds = fields.Float()
    due_timer_backlog = fields.Integer()


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
