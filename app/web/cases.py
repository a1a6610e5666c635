"""Case screens for supervisors, leads, designers and admins: the case list, a case with its path on the diagram
and its audit trail, and the actions on it (cancel, retry an incident, move a due date)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from app.audit.export import FORMATS as EXPORT_FORMATS
from app.audit.service import instance_events, payloads_by_hash
from app.audit.verify import verify_instance
from app.casefile.access import read_case
from app.casefile.views import conflicts_for
from app.deadlines import pause as pausing
from app.deadlines import service as deadlines
from app.definitions import service as definitions
from app.definitions.models import ProcessDefinition
from app.engine.calendar import BERLIN
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.instances import incidents as incident_service
from app.instances import service as instances
from app.instances.models import INSTANCE_STATUSES, ProcessInstance
from app.orchestration import IncidentRaised
from app.tasks.models import HumanTask
from app.web import diagram, exports, task_views, unit_of_work
from app.web.auth import current_principal, login_required, roles_required
from app.web.clerk import clock
from app.web.designer import parse_json_object
from app.web.nav import NavItem, register_nav

bp = Blueprint("cases", __name__, url_prefix="/faelle")
CASE_ROLES = ("lead", "supervisor", "designer", "admin")
PAGE_SIZE = 50


def register(app: Flask) -> None:
    """Add the case screens and their navigation entry."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("cases.index", lazy_gettext("Cases"), CASE_ROLES, order=40))


def status_labels() -> dict[str, str]:
    """The case statuses in words."""
    return {"running": gettext("running"), "incident": gettext("incident"), "completed": gettext("completed"),
            "cancelled": gettext("cancelled")}


def _definitions_by_id(ids: set[int]) -> dict[int, ProcessDefinition]:
    if not ids:
        return {}
    return {d.id: d for d in db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.id.in_(ids)))}


@bp.get("")
@roles_required(*CASE_ROLES)
def index():
    """Cases the user may see, newest first, filtered by status, process and case reference."""
    actor = current_principal()
    status = request.args.get("status", "")
    status = status if status in INSTANCE_STATUSES else ""
    process = request.args.get("prozess", "").strip()
    key = request.args.get("aktenzeichen", "").strip()
    tests = request.args.get("testfaelle", "")
    tests = tests if tests in ("ohne", "nur") else ""
    page = max(request.args.get("seite", 1, type=int) or 1, 1)
    rows, total = instances.list_instances(db.session(), actor=actor, status=status or None,
                                           process_key=process or None, business_key=key or None, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE,
                                           is_test={"ohne": False, "nur": True}.get(tests))
    latest, _ = definitions.list_definitions(db.session(), actor=actor, latest_only=True, limit=500)
    return render_template("cases/index.html", rows=rows, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
                           definitions=_definitions_by_id({r.definition_id for r in rows}),
                           processes=sorted(latest, key=lambda d: d.name.casefold()), statuses=status_labels(),
                           filters={"status": status, "prozess": process, "aktenzeichen": key, "testfaelle": tests})


def _cancel_reason(instance: ProcessInstance, events: list[Any]) -> str | None:
    sha = next(((e.details or {}).get("payload_sha256") for e in events if e.kind == "instance_cancelled"), None)
    if not sha:
        return None
    row = payloads_by_hash(db.session(), instance.municipality_id, [sha]).get(sha)
    return (row.content or {}).get("reason") if row is not None and row.content else None


def _case_context(instance_id: int, **extra: Any) -> dict[str, Any]:
    actor = current_principal()
    now = clock().now()
    instance = instances.get_instance(db.session(), actor=actor, instance_id=instance_id)
    details = instances.instance_details(db.session(), instance)
    definition = details["definition"]
    events = instance_events(db.session(), instance.id)
    open_tasks = details["active_tasks"]
    views = task_views.task_views(db.session(), open_tasks, actor=actor, now=now)
    starts, ends = diagram.start_and_end_events(definition.bpmn_xml)
    marks = diagram.path_marks(events, [t.element_id for t in open_tasks],
                               flows=(definition.summary or {}).get("flows"), starts=starts, ends=ends,
                               finished=instance.status == "completed")
    context = {
        "instance": instance, "definition": definition, "status": status_labels().get(instance.status),
        "tasks": [{"view": v, "may_move": deadlines.may_move_due(actor, v.task),
                   "due_local": _local_input(v.task.due_at)} for v in views],
        "incidents": details["incidents"],
        "retryable": {i.id for i in details["incidents"] if incident_service.may_retry(actor, i)},
        "may_cancel": instances.may_cancel(actor, instance),
        "history": task_views.history(db.session(), instance, definition),
        "drawing": diagram.drawable(definition.bpmn_xml), "marks": marks,
        "done_count": sum(1 for m in marks if m["kind"] == "done"), "cancel_reason": _cancel_reason(instance, events),
        "due_errors": {}, "due_values": {}, "integrity": verify_instance(db.session(), instance),
    }
    # The case file through the read rule, which writes the access log.
    context["case_file"] = read_case(db.session(), actor=actor, instance=instance, action="instance_detail", at=now)
    context["conflicts"] = conflicts_for(db.session(), actor=actor, instance=instance)
    context.update(extra)
    return context


def _local_input(moment: datetime | None) -> str:
    """A datetime-local value in Berlin time, e.g. 2026-03-16T23:59."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M") if moment else ""


@bp.get("/<int:instance_id>")
@roles_required(*CASE_ROLES)
def case(instance_id: int):
    """A case: status, its path on the diagram, open tasks, incidents and the audit trail in words."""
    context = _case_context(instance_id)  # reads the case file through the read rule, which logs the read
    return render_template("cases/case.html", **context)


@bp.get("/<int:instance_id>/verlauf")
@login_required
def export_trail(instance_id: int):
    """The case's audit trail as a JSONL or CSV file, for whoever may read the case (the API's rule); logged."""
    fmt = request.args.get("format", "jsonl")
    if fmt not in EXPORT_FORMATS:
        abort(400)
    actor = current_principal()
    instance = instances.get_instance(db.session(), actor=actor, instance_id=instance_id)
    name = f"verlauf-{exports.safe_name(instance.business_key)}-fall-{instance.id}-{exports.today()}.{fmt}"
    return exports.download(reader=actor, fmt=fmt, filename=name, municipality_id=instance.municipality_id,
                            instance_id=instance.id)


@bp.route("/<int:instance_id>/abbrechen", methods=["GET", "POST"])
@roles_required(*instances.CANCELLERS)
def cancel(instance_id: int):
    """Cancel a case: a confirmation page with a reason first; the reason goes into the audit trail."""
    instance = instances.get_instance(db.session(), actor=current_principal(), instance_id=instance_id)
    if instance.status in instances.ENDED:
        flash(gettext("The case is %(status)s and can no longer be cancelled.",
                      status=status_labels().get(instance.status)), "error")
        return redirect(url_for("cases.case", instance_id=instance_id), 303)
    reason = request.form.get("grund", "").strip()
    if request.method == "GET" or not reason:
        error = gettext("Please give a reason.") if request.method == "POST" else None
        return render_template("cases/cancel.html", instance=instance, error=error,
                               reason=reason), 422 if error else 200
    try:
        instances.cancel_instance(db.session(), actor=current_principal(), instance_id=instance_id, clock=clock(),
                                  reason=reason)
    except Conflict:
        unit_of_work.discard()
        flash(gettext("Someone else changed this meanwhile. Please reload the page and try again."), "error")
        return redirect(url_for("cases.case", instance_id=instance_id), 303)
    flash(gettext("The case %(case)s was cancelled.", case=instance.business_key), "success")
    return redirect(url_for("cases.case", instance_id=instance_id), 303)


@bp.post("/<int:instance_id>/stoerungen/<int:incident_id>/wiederholen")
@roles_required(*incident_service.RETRIERS)
def retry(instance_id: int, incident_id: int):
    """Retry the failed step of an incident (admins)."""
    actor = current_principal()
    instances.get_instance(db.session(), actor=actor, instance_id=instance_id)
    found, _ = incident_service.list_incidents(db.session(), actor=actor, status=None, instance_id=instance_id)
    if incident_id not in {i.id for i in found}:
        abort(404)
    data, error = parse_json_object(request.form.get("daten", ""))
    if error:
        flash(gettext("The step was not retried: %(reason)s", reason=error), "error")
        return redirect(url_for("cases.case", instance_id=instance_id) + "#stoerungen", 303)
    try:
        incident_service.retry_incident(db.session(), actor=actor, incident_id=incident_id, clock=clock(),
                                        data=data or None)
        flash(gettext("The step was retried successfully."), "success")
    except IncidentRaised as exc:
        unit_of_work.keep_incident(gettext("The step failed again: %(reason)s", reason=exc.message))
    except Conflict:
        unit_of_work.discard()
        flash(gettext("This incident has already been dealt with."), "error")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#stoerungen", 303)


def _parse_local(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=BERLIN) if moment.tzinfo is None else moment


@bp.post("/<int:instance_id>/aufgaben/<int:task_id>/frist")
@roles_required(*deadlines.DUE_MOVERS)
def move_due(instance_id: int, task_id: int):
    """Move the due date of an open task (leads of its office, supervisors, admins); audited."""
    actor = current_principal()
    instances.get_instance(db.session(), actor=actor, instance_id=instance_id)
    task = db.session.get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        abort(404)
    raw = request.form.get("frist", "")
    reason = request.form.get("grund", "").strip()
    confirmed = request.form.get("vergangenheit") == "ja"
    due = _parse_local(raw)
    errors: dict[str, str] = {}
    if due is None:
        errors["frist"] = gettext("Please enter a date and time, e.g. 20.03.2026, 16:00.")
    if not reason:
        errors["grund"] = gettext("Please give a reason for the new deadline.")
    if due is not None and due <= clock().now() and not confirmed:
        errors["past"] = gettext("%(due)s lies in the past: the task will be overdue at once. Tick the box to "
                                 "confirm.", due=due.strftime("%d.%m.%Y, %H:%M"))
    if errors or due is None:
        context = _case_context(instance_id, due_errors={task_id: errors},
                                due_values={task_id: {"frist": raw, "grund": reason}})
        return render_template("cases/case.html", **context), 422
    try:
        deadlines.move_due_date(db.session(), actor=actor, task_id=task_id, due_at=due, clock=clock(), reason=reason,
                                confirm_past=confirmed)
    except (Conflict, Forbidden) as exc:
        unit_of_work.discard()
        flash(gettext("The deadline was not changed: the task is no longer open.") if isinstance(exc, Conflict)
              else gettext("You may not change this deadline."), "error")
        return redirect(url_for("cases.case", instance_id=instance_id), 303)
    flash(gettext("The deadline of “%(task)s” is now %(due)s.", task=task.name,
                  due=due.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M")), "success")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#aufgaben", 303)


def _open_task_of(instance_id: int, task_id: int) -> HumanTask:
    instances.get_instance(db.session(), actor=current_principal(), instance_id=instance_id)
    task = db.session.get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        abort(404)
    return task


@bp.post("/<int:instance_id>/aufgaben/<int:task_id>/hemmung")
@roles_required("lead", "supervisor", "admin")
def pause_due(instance_id: int, task_id: int):
    """Pause a task's deadline (Hemmung or Unterbrechung) with a reason; audited."""
    task = _open_task_of(instance_id, task_id)
    try:
        pausing.pause(db.session(), actor=current_principal(), task_id=task_id, mode=request.form.get("art", ""),
                      reason=request.form.get("grund", ""), clock=clock())
    except (Conflict, Forbidden, Invalid) as exc:
        unit_of_work.discard()
        flash(gettext("Please give a reason for pausing the deadline.") if isinstance(exc, Invalid)
              else gettext("You may not change this deadline.") if isinstance(exc, Forbidden)
              else gettext("The deadline was not paused: it is paused already or the task is no longer open."), "error")
        return redirect(url_for("cases.case", instance_id=instance_id) + "#aufgaben", 303)
    flash(gettext("The deadline of “%(task)s” is paused.", task=task.name), "success")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#aufgaben", 303)


@bp.post("/<int:instance_id>/aufgaben/<int:task_id>/fortsetzen")
@roles_required("lead", "supervisor", "admin")
def resume_due(instance_id: int, task_id: int):
    """Let a paused deadline run again; audited."""
    task = _open_task_of(instance_id, task_id)
    try:
        pausing.resume(db.session(), actor=current_principal(), task_id=task_id, clock=clock())
    except (Conflict, Forbidden) as exc:
        unit_of_work.discard()
        flash(gettext("You may not change this deadline.") if isinstance(exc, Forbidden)
              else gettext("The deadline was not resumed: it is not paused or the task is no longer open."), "error")
        return redirect(url_for("cases.case", instance_id=instance_id) + "#aufgaben", 303)
    flash(gettext("The deadline of “%(task)s” runs again, now due %(due)s.", task=task.name,
                  due=task.due_at.astimezone(BERLIN).strftime("%d.%m.%Y") if task.due_at else "—"), "success")
    return redirect(url_for("cases.case", instance_id=instance_id) + "#aufgaben", 303)
