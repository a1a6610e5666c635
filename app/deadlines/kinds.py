"""Legal deadline or internal target: the marking every due date carries in views, API and escalations."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext

LABELS = {"legal": lazy_gettext("gesetzliche Frist"), "internal": lazy_gettext("interne Zielvorgabe")}


def deadline_kind(task: Any) -> str | None:
    """'legal' when the model marked it so or names a legal source, 'internal' otherwise; None without a due date."""
    if getattr(task, "due_at", None) is None:
        return None
    legal = getattr(task, "legal", None)
    if legal is None:
        legal = bool(getattr(task, "legal_source", None))
    return "legal" if legal else "internal"


def due_from_text(task: Any) -> str | None:
    """'Frist läuft seit 02.03.2026 (Zustellung des Bescheids)', or None when the clock starts with the task."""
    if getattr(task, "due_from", None) is None:
        return None
    label = f" ({task.due_from_label})" if task.due_from_label else ""
    return f"Frist läuft seit {task.due_from.strftime('%d.%m.%Y')}{label}"
