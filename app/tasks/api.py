"""REST: /api/tasks — the office inbox."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.common import clock, page, principal
from app.audit.access import record_read
from app.extensions import db
from app.instances.models import ProcessInstance
from app.orchestration import office_name
from app.tasks import service
from app.tasks.schemas import (
    AssignSchema,
    CompletedSchema,
    CompleteSchema,
    DueDateSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskSchema,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="Office inboxes: claim, release, complete")


def present(task):
    """A task row with its office name for the schema."""
    task.office = office_name(db.session(), task.office_id)
    return task


@blp.route("")
class Tasks(MethodView):
    """The inbox."""

    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """List tasks of the caller's offices (supervisors: the whole municipality)."""
        rows, total = service.list_tasks(db.session(), actor=principal(), now=clock().now(), **args)
        return page([present(t) for t in rows], total)


@blp.route("/<int:task_id>")
class TaskItem(MethodView):
    """One task."""

    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """Show a task (the read is written to the access log)."""
        actor = principal()
        task = service.get_task(db.session(), actor=actor, task_id=task_id)
        record_read(db.session(), reader=actor, action="task_detail", at=clock().now(), instance_id=task.instance_id,
                    task_id=task.id)
        return present(task)

    @blp.arguments(DueDateSchema)
    @blp.response(200, TaskSchema)
    def patch(self, body, task_id):
        """Move the task's due date (leads of its office, supervisors, admins); audited with old and new value."""
        from app.deadlines.service import move_due_date

        return present(move_due_date(db.session(), actor=principal(), task_id=task_id, due_at=body["due_at"],
                                     clock=clock(), reason=body["reason"], confirm_past=body["confirm_past"]))


@blp.route("/<int:task_id>/assign")
class Assign(MethodView):
    """Assign."""

    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSchema)
    def post(self, body, task_id):
        """Assign the task to a clerk of its office (leads of the office, supervisors, admins); audited, notified."""
        from flask import current_app

        from app.tasks.assign import assign

        return present(assign(db.session(), actor=principal(), task_id=task_id, assignee=body["assignee"],
                              clock=clock(), notifier=current_app.extensions["lotse_notifier"]))


@blp.route("/<int:task_id>/claim")
class Claim(MethodView):
    """Claim."""

    @blp.response(200, TaskSchema)
    @blp.alt_response(409, description="claimed by someone else or no longer open")
    def post(self, task_id):
        """Claim a task for yourself."""
        return present(service.claim(db.session(), actor=principal(), task_id=task_id, clock=clock()))


@blp.route("/<int:task_id>/unclaim")
class Unclaim(MethodView):
    """Release."""

    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Give the task back to the office queue."""
        return present(service.unclaim(db.session(), actor=principal(), task_id=task_id, clock=clock()))


@blp.route("/<int:task_id>/complete")
class Complete(MethodView):
    """Complete."""

    @blp.arguments(CompleteSchema)
    @blp.response(200, CompletedSchema)
    @blp.alt_response(409, description="already completed or claimed by someone else")
    @blp.alt_response(422, description="form errors (details.fields) or a failed step (incident)")
    def post(self, body, task_id):
        """Complete a task with its form data; the case moves on to the next office."""
        task, following = service.complete_and_follow(db.session(), actor=principal(), task_id=task_id,
                                                      data=body["data"], clock=clock())
        instance = db.session.get(ProcessInstance, task.instance_id)
        return {"task": present(task), "next_tasks": [present(t) for t in following],
                "instance_status": instance.status}
