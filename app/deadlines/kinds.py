"""Legal deadline or internal target: the marking every due date carries in views, API and escalations."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext


def deadline_kind(task: Any) -> str | None:
    """'legal' when the model marked it so or names a legal source, 'internal' otherwise; None without a due date."""
    if getattr(task, "due_at", None) is None and getattr(task, "paused_due_at", None) is None:
        return None
    legal = getattr(task, "legal", None)
    if legal is None:
        legal = bool(getattr(task, "legal_source", None))
    return "legal" if legal else "internal"


def deadline_label(task: Any) -> str:
    """How views and escalations name a due date: legal deadline (against the person) or internal target."""
    kind = deadline_kind(task)
    if kind is None:
        return "—"
    text = gettext("legal deadline") if kind == "legal" else gettext("internal target")
    if getattr(task, "against", None) == "person":
        text += ", " + gettext("runs against the person")
    return text

