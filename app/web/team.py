"""Leads and supervisors act: an office's open (or overdue) tasks with "assign to", and absences with substitutes."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from app.directory import absence as absences
from app.directory.models import User
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.tasks import service as tasks
from app.tasks.assign import assign, may_assign
from app.web import task_views, unit_of_work
from app.web.auth import current_principal, roles_required, safe_next
from app.web.clerk import clock
from app.web.formatting import din_date
from app.web.nav import NavItem, register_nav

bp = Blueprint("team", __name__)
LEAD_ROLES = ("lead", "supervisor", "admin")
ABSENCE_ROLES = ("clerk", "lead", "admin")
PAGE_SIZE = 100


def register(app: Flask) -> None:
    """Add the office drill-down, assignment and absence screens."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("team.absences_page", lazy_gettext("Absence"), ABSENCE_ROLES, order=45))


def _office(office_id: int):
    actor = current_principal()
    office = next((o for o in task_views.office_names(db.session(), actor.municipality_id).items()
                   if o[0] == office_id), None)
    if office is None or not (actor.has("supervisor", "admin") or office_id in actor.office_ids):
        abort(404)
    return office


@bp.get("/aufsicht/aemter/<int:office_id>")
@roles_required(*LEAD_ROLES)
def office(office_id: int):
    """An office's open tasks (or only the overdue ones), overdue first, each with "assign to"."""
    actor = current_principal()
    _, name = _office(office_id)
    only_overdue = request.args.get("nur") == "ueberfaellig"
    now = clock().now()
    rows, total = tasks.list_tasks(db.session(), actor=actor, now=now, office=name, overdue=only_overdue,
                                   sort_by="due_at", limit=PAGE_SIZE)
    items = task_views.task_views(db.session(), rows, actor=actor, now=now)
    members = absences.office_members(db.session(), actor.municipality_id, office_id)
    return render_template("supervisor/office.html", office_id=office_id, office=name, items=items, total=total,
                           only_overdue=only_overdue, members=members,
                           may_assign={i.task.id: may_assign(actor, i.task) for i in items})


@bp.post("/aufsicht/aufgaben/<int:task_id>/zuweisen")
@roles_required(*LEAD_ROLES)
def assign_task(task_id: int):
    """Assign a task to a clerk of its office; audited, the clerk is notified."""
    actor = current_principal()
    username = request.form.get("bearbeiter", "")
    back = safe_next(request.form.get("next")) or url_for("supervisor.overview")
    try:
        task = assign(db.session(), actor=actor, task_id=task_id, assignee=username, clock=clock(),
                      notifier=current_app.extensions["lotse_notifier"])
    except (Conflict, Forbidden, Invalid, NotFound) as exc:
        unit_of_work.discard()
        message = {Conflict: gettext("The task is no longer open."),
                   Forbidden: gettext("You may not assign this task."),
                   Invalid: gettext("Please choose a clerk of the task's office.")}.get(type(exc))
        if message is None:
            raise
        flash(message, "error")
        return redirect(back, 303)
    name = absences.display_names(db.session(), actor.municipality_id).get(username, username)
    flash(gettext("“%(task)s” (%(case)s) is now assigned to %(user)s.", task=task.name, case=task.business_key,
                  user=name), "success")
    return redirect(back, 303)


def _parse_day(value: str) -> date | None:
    value = (value or "").strip()
    for parse in (date.fromisoformat, lambda v: date(int(v[6:10]), int(v[3:5]), int(v[0:2]))):
        try:
            return parse(value)
        except (ValueError, IndexError):
            continue
    return None


def _absence_page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200):
    actor = current_principal()
    today = absences.berlin_today(clock())
    people = absences.colleagues(db.session(), actor)
    me = db.session.get(User, actor.user_id)
    settable = [u for u in people if absences.may_set_for(db.session(), actor, u)] or ([me] if me else [])
    listed = absences.list_absences(db.session(), actor=actor, today=today)
    return render_template("team/absences.html", absences=listed,
                           people=settable, substitutes=people, errors=errors or {}, values=values or {},
                           din_date=din_date, today=today), status


@bp.get("/abwesenheit")
@roles_required(*ABSENCE_ROLES)
def absences_page():
    """Current and coming absences, and the form to enter one (for oneself; leads for their office)."""
    return _absence_page()


@bp.post("/abwesenheit")
@roles_required(*ABSENCE_ROLES)
def add_absence():
    """Enter an absence with its substitute."""
    actor = current_principal()
    values = {k: request.form.get(k, "") for k in ("person", "vertretung", "von", "bis")}
    starts, ends = _parse_day(values["von"]), _parse_day(values["bis"])
    errors = {}
    if starts is None:
        errors["von"] = gettext("Please enter a date, e.g. 09.03.2026.")
    if ends is None:
        errors["bis"] = gettext("Please enter a date, e.g. 13.03.2026.")
    if not values["vertretung"]:
        errors["vertretung"] = gettext("Please choose who stands in.")
    if not errors:
        try:
            absences.set_absence(db.session(), actor=actor, username=values["person"] or actor.username,
                                 substitute=values["vertretung"], starts_on=starts, ends_on=ends, clock=clock())
        except Invalid as exc:
            unit_of_work.discard()
            fields = (exc.details or {}).get("fields", {}) if isinstance(exc.details, dict) else {}
            if "ends_on" in fields:
                before = fields["ends_on"] == "before starts_on"
                errors["bis"] = (gettext("The absence ends before it starts.") if before
                                 else gettext("The absence lies in the past."))
            else:
                errors["vertretung"] = gettext("Please choose someone else: the substitute must work in the same "
                                               "office.")
        except (Forbidden, NotFound):
            unit_of_work.discard()
            errors["person"] = gettext("You may enter absences only for yourself or, as a lead, for your office.")
    if errors:
        return _absence_page(errors, values, 422)
    flash(gettext("The absence was saved."), "success")
    return redirect(url_for("team.absences_page"), 303)


@bp.post("/abwesenheit/<int:absence_id>/loeschen")
@roles_required(*ABSENCE_ROLES)
def remove_absence(absence_id: int):
    """Withdraw an absence."""
    try:
        absences.end_absence(db.session(), actor=current_principal(), absence_id=absence_id, clock=clock())
    except (Forbidden, NotFound):
        unit_of_work.discard()
        abort(404)
    flash(gettext("The absence was withdrawn."), "success")
    return redirect(url_for("team.absences_page"), 303)
