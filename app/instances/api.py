"""REST: /api/instances, /api/messages, /api/incidents."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.common import clock, page, principal
from app.casefile.access import case_content, read_case, read_trail
from app.casefile.views import entry_record
from app.definitions.models import ProcessDefinition
from app.extensions import db
from app.instances import incidents, messages, service
from app.instances.schemas import (
    AuditPageSchema,
    CancelSchema,
    IncidentPageSchema,
    IncidentQuerySchema,
    IncidentSchema,
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    MessageResultSchema,
    MessageSchema,
    RetrySchema,
    StartSchema,
)
from app.tasks.api import present

blp = Blueprint("instances", __name__, url_prefix="/api", description="Cases, messages and incidents")


def _with_definition(instance):
    definition = db.session.get(ProcessDefinition, instance.definition_id)
    instance.process_key, instance.definition_version = definition.key, definition.version
    return instance


def _detail(instance, actor, *, log: bool = True):
    details = service.instance_details(db.session(), instance)
    _with_definition(instance)
    instance.active_tasks = [present(t) for t in details["active_tasks"]]
    # A start answers with what the starter just sent (not a read of others' data): not logged.
    content = (read_case(db.session(), actor=actor, instance=instance, action="instance_detail", at=clock().now())
               if log else case_content(db.session(), actor=actor, instance=instance))
    instance.incidents, instance.data = details["incidents"], content.data
    instance.entries = [entry_record(view) for view in content.entries]
    return instance


@blp.route("/instances")
class Instances(MethodView):
    """Cases."""

    @blp.arguments(InstanceQuerySchema, location="query")
    @blp.response(200, InstancePageSchema)
    def get(self, args):
        """List the cases the caller may see."""
        rows, total = service.list_instances(db.session(), actor=principal(), **args)
        return page([_with_definition(i) for i in rows], total)

    @blp.arguments(StartSchema)
    @blp.response(201, InstanceDetailSchema)
    @blp.alt_response(422, description="a failed first step (the case is kept with an incident)")
    def post(self, body):
        """Start a case on the newest version of a process."""
        actor = principal()
        instance = service.start_instance(db.session(), actor=actor, clock=clock(), **body)
        return _detail(instance, actor, log=False)


@blp.route("/instances/<int:instance_id>")
class InstanceItem(MethodView):
    """One case."""

    @blp.response(200, InstanceDetailSchema)
    def get(self, instance_id):
        """Status, active tasks, incidents, and the entries and data the caller may read (access-logged)."""
        actor = principal()
        instance = service.get_instance(db.session(), actor=actor, instance_id=instance_id)
        return _detail(instance, actor)


@blp.route("/instances/<int:instance_id>/cancel")
class InstanceCancel(MethodView):
    """Cancel."""

    @blp.arguments(CancelSchema)
    @blp.response(200, InstanceSchema)
    def post(self, body, instance_id):
        """Cancel a running case (supervisors, admins)."""
        instance = service.cancel_instance(db.session(), actor=principal(), instance_id=instance_id, clock=clock(),
                                           reason=body.get("reason"))
        return _with_definition(instance)


@blp.route("/instances/<int:instance_id>/audit")
class InstanceAudit(MethodView):
    """The audit trail of a case."""

    @blp.response(200, AuditPageSchema)
    def get(self, instance_id):
        """All audit events of a case in chain order; payloads only as far as the caller may read them (logged)."""
        actor = principal()
        instance = service.get_instance(db.session(), actor=actor, instance_id=instance_id)
        events = read_trail(db.session(), actor=actor, instance=instance, action="audit_trail", at=clock().now())
        return page(events, len(events))


@blp.route("/messages")
class Messages(MethodView):
    """Message correlation."""

    @blp.arguments(MessageSchema)
    @blp.response(200, MessageResultSchema)
    @blp.alt_response(404, description="nothing waits for this message")
    @blp.alt_response(409, description="more than one instance or process matches")
    def post(self, body):
        """Deliver a message to the waiting case (by business key or instance id) or start a case."""
        return messages.correlate(db.session(), actor=principal(), clock=clock(), **body)


@blp.route("/incidents")
class Incidents(MethodView):
    """Incidents."""

    @blp.arguments(IncidentQuerySchema, location="query")
    @blp.response(200, IncidentPageSchema)
    def get(self, args):
        """List incidents on cases the caller may see."""
        status = None if args["status"] == "all" else args["status"]
        rows, total = incidents.list_incidents(db.session(), actor=principal(), status=status,
                                               instance_id=args.get("instance_id"), limit=args["limit"],
                                               offset=args["offset"])
        return page(rows, total)


@blp.route("/incidents/<int:incident_id>/retry")
class IncidentRetry(MethodView):
    """Retry."""

    @blp.arguments(RetrySchema)
    @blp.response(200, IncidentSchema)
    def post(self, body, incident_id):
        """Run the failed step again (admins), optionally with corrected data."""
        return incidents.retry_incident(db.session(), actor=principal(), incident_id=incident_id, clock=clock(),
                                        data=body["data"])
