"""Shared pieces of the `lotse` commands."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext

from app.errors import DomainError
from app.extensions import db


def unit_of_work(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command as one transaction: commit on success, roll back and exit 1 on a domain error."""

    @functools.wraps(func)
    @with_appcontext
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            db.session.commit()
            return result
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc

    return wrapper
