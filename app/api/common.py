"""Shared pieces of the REST layer: auth, the unit of work, errors, paging."""
from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException

from app.clock import Clock
from app.directory.service import Principal, authenticate_token
from app.errors import DomainError, Unauthorized
from app.extensions import db

PUBLIC_API_PATHS = ("/api/openapi.json", "/api/docs")


def clock() -> Clock:
    """The app's clock (a FakeClock in tests)."""
    return current_app.extensions["lotse_clock"]


def principal() -> Principal:
    """The authenticated caller of this request."""
    current = g.get("principal")
    if current is None:
        raise Unauthorized("missing bearer token (Authorization: Bearer …)")
    return current


def authenticate() -> None:
    """before_request: resolve the bearer token, if any; endpoints decide whether they need it."""
    if not request.path.startswith("/api") or request.path.startswith(PUBLIC_API_PATHS):
        return
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    g.principal = authenticate_token(db.session(), token.strip())


def error_response(status: int, code: str, message: str | None, details: Any = None):
    """The one JSON error shape: {code, message, details}."""
    response = jsonify({"code": code, "message": message, "details": details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lotse"'
    return response


def handle_domain_error(exc: DomainError):
    """Map a domain error to HTTP; keep the incident when the error says so."""
    if getattr(exc, "keep_changes", False):
        db.session.commit()
    else:
        db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.details)


def handle_http_error(exc: HTTPException):
    """Werkzeug/webargs errors in our JSON shape; validation errors list the fields."""
    db.session.rollback()
    details = None
    data = getattr(exc, "data", None)
    if data and "messages" in data:
        details = {"fields": data["messages"]}
    codes = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid"}
    code = codes.get(exc.code or 500, "error")
    message = exc.description if not details else "request validation failed"
    return error_response(exc.code or 500, code, message, details)


def commit_on_success(response):
    """after_request: the request is the unit of work; commit what the services flushed."""
    if request.path.startswith("/api") and response.status_code < 400:
        db.session.commit()
    return response


class PageArgs(Schema):
    """limit/offset paging."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


def page(items: list[Any], total: int) -> dict[str, Any]:
    """A collection in the API's shape."""
    return {"items": items, "total": total}


class ErrorSchema(Schema):
    """Error body."""

    code = fields.String()
    message = fields.String()
    details = fields.Raw(allow_none=True)
