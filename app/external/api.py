"""REST: /api/external-task — Camunda 7's external task endpoints for workers (fetchAndLock, complete, failure)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from app.api.common import clock, principal
from app.errors import Invalid
from app.extensions import db
from app.external import service

blp = Blueprint("external_tasks", __name__, url_prefix="/api/external-task",
                description="External tasks: workers fetch, lock and complete jobs by topic (Camunda 7 shape)")


class _Loose(Schema):
    class Meta:
        unknown = EXCLUDE


class ExternalTopicSchema(_Loose):
    """One topic a worker fetches."""

    topicName = fields.String(required=True)
    lockDuration = fields.Integer(required=True, metadata={"description": "milliseconds"})
    variables = fields.List(fields.String(), load_default=None, metadata={"description": "variables to return"})


class ExternalFetchSchema(_Loose):
    """Body of fetchAndLock."""

    workerId = fields.String(required=True)
    maxTasks = fields.Integer(load_default=10)
    topics = fields.List(fields.Nested(ExternalTopicSchema), required=True)


class ExternalCompleteSchema(_Loose):
    """Body of complete."""

    workerId = fields.String(required=True)
    variables = fields.Dict(load_default=dict, metadata={"description": "{name: {value: ...}}"})


class ExternalFailureSchema(_Loose):
    """Body of failure."""

    workerId = fields.String(required=True)
    errorMessage = fields.String(load_default="")
    retries = fields.Integer(required=True)
    retryTimeout = fields.Integer(load_default=0, metadata={"description": "milliseconds"})


@blp.route("/fetchAndLock")
class FetchAndLock(MethodView):
    """Lock jobs for a worker."""

    @blp.arguments(ExternalFetchSchema)
    @blp.response(200)
    def post(self, body):
        """Lock up to maxTasks free jobs of the given topics for lockDuration ms; returns them (Camunda 7 shape)."""
        if not 1 <= body["maxTasks"] <= 100:
            raise Invalid("maxTasks must be between 1 and 100")
        return service.fetch_and_lock(db.session(), actor=principal(), worker_id=body["workerId"],
                                      topics=body["topics"], max_tasks=body["maxTasks"], clock=clock())


@blp.route("/<int:job_id>/complete")
class Complete(MethodView):
    """Finish a locked job."""

    @blp.arguments(ExternalCompleteSchema)
    @blp.response(204)
    def post(self, body, job_id):
        """Complete the job with variables; the case steps on."""
        service.complete(db.session(), actor=principal(), job_id=job_id, worker_id=body["workerId"],
                         variables=body["variables"], clock=clock())


@blp.route("/<int:job_id>/failure")
class Failure(MethodView):
    """Report a failed attempt."""

    @blp.arguments(ExternalFailureSchema)
    @blp.response(204)
    def post(self, body, job_id):
        """Retry after retryTimeout ms while retries > 0; at 0 the case gets an incident."""
        service.failure(db.session(), actor=principal(), job_id=job_id, worker_id=body["workerId"],
                        error_message=body["errorMessage"], retries=body["retries"],
                        retry_timeout_ms=body["retryTimeout"], clock=clock())


@blp.route("/<int:job_id>/bpmnError")
class BpmnError(MethodView):
    """Not supported yet: said so, not ignored."""

    @blp.response(422)
    def post(self, job_id):
        """BPMN errors from workers are not supported yet; report a failure instead."""
        raise Invalid("bpmnError is not supported yet: report a failure (retries 0 raises an incident)")
