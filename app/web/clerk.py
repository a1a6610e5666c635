"""Clerk screens: "Meine Aufgaben" (mine + the office queue), a task with its case and form, the hand-off."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext

from app.casefile.access import read_case
from app.casefile.views import refusals, release_views
from app.clock import Clock
from app.directory.absence import display_names
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.forms.service import latest_form, normalize_form_key
from app.instances import service as instances
from app.orchestration import IncidentRaised
from app.tasks import service as tasks
from app.tasks.models import HumanTask
from app.web import forms_render, task_views, unit_of_work
from app.web.auth import current_principal, roles_required, safe_next
from app.web.nav import NavItem, register_nav
from app.web.people import label_people
from app.web.ui import is_htmx

bp = Blueprint("clerk", __name__, url_prefix="/aufgaben")
CLERK_ROLES = ("clerk", "lead", "admin")
PAGE_SIZE = 50
# ?zeige=…: "" mine + the unassigned queue (default), "meine" mine only, "offen" unassigned, "amt" whole office.
FILTERS: dict[str, dict[str, Any]] = {
    "": {"assignee": "me", "or_unassigned": True},
    "meine": {"assignee": "me"},
    "offen": {"unassigned": True},
    "amt": {},
}


def register(app: Flask) -> None:
    """Add the clerk screens and their navigation entry."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("clerk.inbox", lazy_gettext("My tasks"), CLERK_ROLES, order=10))


def clock() -> Clock:
    """The app's clock (a FakeClock in tests)."""
    return current_app.extensions["lotse_clock"]


def _filter_labels() -> list[tuple[str, str]]:
    return [("", gettext("Mine and unassigned")), ("meine", gettext("Only mine")),
            ("offen", gettext("Unassigned")), ("amt", gettext("Whole office"))]


@bp.get("")
@roles_required(*CLERK_ROLES)
def inbox():
    """The inbox: overdue first (earliest due date first), then by due date; undated last."""
    actor = current_principal()
    show = request.args.get("zeige", "")
    show = show if show in FILTERS else ""
    page = max(request.args.get("seite", 1, type=int) or 1, 1)
    now = clock().now()
    absent = task_views.standing_in_for(db.session(), actor, now)
    rows, total = tasks.list_tasks(db.session(), actor=actor, now=now, sort_by="due_at", limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE, standing_in_for=absent, **FILTERS[show])
    items = task_views.task_views(db.session(), rows, actor=actor, now=now)
    label_people(db.session(), actor, items)
    overdue = sum(1 for item in items if item.overdue)
    names = display_names(db.session(), actor.municipality_id)
    return render_template("clerk/inbox.html", items=items, total=total, show=show, filters=_filter_labels(),
                           page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), overdue=overdue,
                           standing_in=[names.get(u, u) for u in absent])


def _form_doc(task: HumanTask) -> dict[str, Any] | None:
    if not task.form_key:
        return None
    form = latest_form(db.session(), task.municipality_id, normalize_form_key(task.form_key) or task.form_key)
    return form.schema if form else None


def _detail_context(task: HumanTask, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                    raw: bool = False) -> dict[str, Any]:
    actor = current_principal()
    now = clock().now()
    instance = instances.get_instance(db.session(), actor=actor, instance_id=task.instance_id)
    details = instances.instance_details(db.session(), instance)
    definition = details["definition"]
    doc = _form_doc(task)
    # The case content through the read rule (logged there); the form is prefilled only with what may be read.
    content = read_case(db.session(), actor=actor, instance=instance, action="task_detail", at=now, task_id=task.id)
    data = content.data
    props = {**task_views.form_properties(db.session(), task.municipality_id),
             **{name: prop for name, prop in ((doc or {}).get("schema", {}).get("properties") or {}).items()
                if isinstance(prop, dict)}}
    errors = errors or {}
    fields = forms_render.form_fields(doc, values if values is not None else data, errors, raw=raw) if doc else []
    view = task_views.task_views(db.session(), [task], actor=actor, now=now)[0]
    label_people(db.session(), actor, [view])
    return {"item": view, "instance": instance, "definition": definition, "form_doc": doc, "fields": fields,
            "entries": content.entries, "releases": release_views(content), "refusals": refusals(db.session(), task),
            "errors": errors, "form_error": errors.get(forms_render.FORM_ERROR),
            "history": task_views.history(db.session(), instance, definition),
            "facts": task_views.case_facts(data, props), "incidents": details["incidents"]}


@bp.get("/<int:task_id>")
@roles_required(*CLERK_ROLES)
def task(task_id: int):
    """A task: its case, deadline, history, and the form to complete it."""
    actor = current_principal()
    found = tasks.get_task(db.session(), actor=actor, task_id=task_id)
    context = _detail_context(found)  # reads the case through the read rule, which logs the read
    return render_template("clerk/task.html", **context)


@bp.post("/<int:task_id>")
@roles_required(*CLERK_ROLES)
def complete(task_id: int):
    """Complete with the form's data, validated on the server; on success show where the case went."""
    actor = current_principal()
    found = tasks.get_task(db.session(), actor=actor, task_id=task_id)
    doc = _form_doc(found)
    data: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    if doc:
        data, parse_errors, raw = forms_render.parse_submission(doc, request.form)
        errors = {**forms_render.validate(doc, data), **parse_errors}
        if errors:
            return _with_errors(found, raw, errors)
    try:
        tasks.complete(db.session(), actor=actor, task_id=task_id, data=data, clock=clock())
    except IncidentRaised as exc:  # the task stays open
        unit_of_work.keep_incident(gettext(
            "The case could not move on: a step failed and was recorded as an incident (%(reason)s).",
            reason=exc.message))
        return redirect(url_for("clerk.task", task_id=task_id), 303)
    except Invalid as exc:
        unit_of_work.discard()
        fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
        if doc and fields:
            return _with_errors(found, raw, forms_render.explain_errors(doc, data, fields))
        raise
    except (Conflict, Forbidden) as exc:
        unit_of_work.discard()
        flash(_conflict_message(task_id, exc), "error")
        return redirect(url_for("clerk.task", task_id=task_id), 303)
    return redirect(url_for("clerk.done", task_id=task_id), 303)


def _with_errors(found: HumanTask, raw: dict[str, Any], errors: dict[str, str]):
    unit_of_work.discard()
    context = _detail_context(found, values=raw, errors=errors, raw=True)
    return render_template("clerk/task.html", **context), 422


@bp.get("/<int:task_id>/erledigt")
@roles_required(*CLERK_ROLES)
def done(task_id: int):
    """After "Abschließen": where the case went (next offices) or that it is finished."""
    actor = current_principal()
    found = tasks.get_task(db.session(), actor=actor, task_id=task_id)
    if found.status == "open":
        return redirect(url_for("clerk.task", task_id=task_id))
    instance = instances.get_instance(db.session(), actor=actor, instance_id=found.instance_id)
    following = task_views.task_views(db.session(), tasks.next_tasks(db.session(), found), actor=actor,
                                      now=clock().now())
    offices = sorted({item.office for item in following})
    return render_template("clerk/done.html", task=found, instance=instance, following=following, offices=offices)


def _conflict_message(task_id: int, exc: Exception) -> str:
    """Say what happened meanwhile, in words (the service's message is technical)."""
    if isinstance(exc, Forbidden):
        return gettext("Only clerks of the task's office can work on it.")
    current = db.session.get(HumanTask, task_id)
    if current is not None and current.status != "open":
        return gettext("This task has already been completed.")
    if current is not None and current.assignee and current.assignee != current_principal().username:
        name = display_names(db.session(), current.municipality_id).get(current.assignee, current.assignee)
        return gettext("%(user)s has taken over this task meanwhile.", user=name)
    return gettext("Someone else changed this meanwhile. Please reload the page and try again.")


def _claim_action(task_id: int, action: Callable, success: str):
    """Claim or release; htmx gets the updated row or card, plain forms a redirect with a message."""
    actor = current_principal()
    status, category, message = 200, "success", success
    try:
        action(db.session(), actor=actor, task_id=task_id, clock=clock())
    except (Conflict, Forbidden) as exc:
        unit_of_work.discard()
        status, category, message = exc.status, "error", _conflict_message(task_id, exc)
    found = tasks.get_task(db.session(), actor=actor, task_id=task_id)
    if is_htmx():
        item = task_views.task_views(db.session(), [found], actor=actor, now=clock().now())[0]
        label_people(db.session(), actor, [item])
        template = "clerk/_row.html" if request.form.get("ansicht") == "zeile" else "clerk/_claim.html"
        return render_template(template, item=item, message=message, category=category, oob=True), status
    flash(message, category)
    return redirect(safe_next(request.form.get("next")) or url_for("clerk.task", task_id=task_id), 303)


@bp.post("/<int:task_id>/uebernehmen")
@roles_required(*CLERK_ROLES)
def claim(task_id: int):
    """Übernehmen: take the task."""
    return _claim_action(task_id, tasks.claim, gettext("You have taken over the task."))


@bp.post("/<int:task_id>/freigeben")
@roles_required(*CLERK_ROLES)
def release(task_id: int):
    """Freigeben: give the task back to the office queue."""
    return _claim_action(task_id, tasks.unclaim, gettext("The task is back in the office queue."))
