"""Domain errors raised by services; the web and API layers map them to HTTP."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: a message for people and optional structured details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The object does not exist or the caller may not see it."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the object but not do this with it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state (claimed, completed, changed meanwhile)."""

    status = 409
    code = "conflict"


class Invalid(DomainError):
    """The input is well-formed but not acceptable (invalid model, form errors)."""

    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    """No or an unknown credential."""

    status = 401
    code = "unauthorized"
