"""The notification bell (count in the header) and the list of the signed-in user's notifications."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from app.deadlines import notifications as service
from app.extensions import db
from app.web.auth import current_principal, login_required
from app.web.clerk import clock
from app.web.ui import is_web_request

bp = Blueprint("notifications", __name__, url_prefix="/benachrichtigungen")


def register(app: Flask) -> None:
    """Add the list and the bell's count to every page."""
    app.register_blueprint(bp)
    app.context_processor(_bell)


def _bell() -> dict:
    if not is_web_request() or not current_user.is_authenticated:
        return {}
    return {"notification_count": service.unread_count(db.session(), actor=current_principal())}


@bp.get("")
@login_required
def index():
    """My notifications, newest first, unread marked."""
    rows, total = service.list_notifications(db.session(), actor=current_principal(), limit=100)
    return render_template("notifications/index.html", notes=rows, total=total)


@bp.post("/<int:notification_id>/gelesen")
@login_required
def read(notification_id: int):
    """Mark one notification read."""
    service.mark_read(db.session(), actor=current_principal(), notification_id=notification_id, clock=clock())
    return redirect(url_for("notifications.index"), 303)


@bp.post("/alle-gelesen")
@login_required
def read_all():
    """Mark all notifications read."""
    from flask import flash

    count = service.mark_all_read(db.session(), actor=current_principal(), clock=clock())
    flash(gettext("%(num)d notifications marked as read.", num=count), "success")
    return redirect(url_for("notifications.index"), 303)
