"""The REST API: blueprints, error mapping, local Swagger UI."""
from __future__ import annotations

from flask import Flask, send_from_directory
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.api import common
from app.api.guard import init_guard
from app.errors import DomainError
from app.extensions import api, db


def _stale(exc: Exception):
    db.session.rollback()
    return common.error_response(409, "conflict", "the object was changed by someone else meanwhile; reload and retry")


def _integrity(exc: IntegrityError):
    db.session.rollback()
    return common.error_response(409, "conflict", "the change conflicts with existing data (a concurrent request?)")


def init_api(app: Flask) -> None:
    """Register the API blueprints and error handlers."""
    from app.audit.api import blp as audit
    from app.casefile.api import blp as casefile
    from app.deadlines.api import blp as deadlines
    from app.definitions.api import blp as definitions
    from app.external.api import blp as external_tasks
    from app.forms.api import blp as forms
    from app.instances.api import blp as instances
    from app.tasks.api import blp as tasks

    app.config.setdefault("API_SPEC_OPTIONS", {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "info": {"description": "Lotse: BPMN orchestration for municipal integration management. "
                                "Errors are {code, message, details}; collections are {items, total}."},
    })
    api.ERROR_SCHEMA = common.ErrorSchema  # the documented error responses are the ones we send
    init_guard(app)  # first before_request: nothing unchecked reaches authentication or a view
    api.init_app(app)
    for blueprint in (definitions, instances, tasks, forms, deadlines, audit, casefile, external_tasks):
        api.register_blueprint(blueprint)
    app.before_request(common.authenticate)
    app.after_request(common.commit_on_success)
    app.register_error_handler(DomainError, common.handle_domain_error)
    app.register_error_handler(HTTPException, common.handle_http_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(IntegrityError, _integrity)

    import swagger_ui_bundle

    @app.route("/api/docs/static/<path:filename>")
    def swagger_static(filename: str):
        """Swagger UI assets served from the installed package (no CDN)."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)
