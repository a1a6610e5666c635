"""Designer screens: upload BPMN models and forms, the validation report on the drawn diagram, versions with
what changed, and starting a test case from a version."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext

from app.definitions import migration
from app.definitions import service as definitions
from app.definitions.diff import version_changes
from app.definitions.models import ProcessDefinition
from app.engine.problem_texts import german
from app.errors import Invalid, NotFound
from app.extensions import db
from app.forms import service as forms
from app.instances import service as instances
from app.instances.models import ProcessInstance
from app.orchestration import IncidentRaised
from app.web import diagram, forms_render, model_texts, start_form, task_views, unit_of_work
from app.web.auth import current_principal, roles_required
from app.web.clerk import clock
from app.web.formatting import calendar_label
from app.web.history import element_names
from app.web.nav import NavItem, register_nav
from app.web.ui import is_htmx

bp = Blueprint("designer", __name__, url_prefix="/modelle")
DESIGNER_ROLES = ("designer", "admin")
MAX_VERSIONS = 200
REPORT_SHOWN = 10  # problems listed before the rest is folded under "+N weitere"


def register(app: Flask) -> None:
    """Add the designer screens and their navigation entry."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("designer.index", lazy_gettext("Process models"), DESIGNER_ROLES, order=20))


def _latest_forms() -> list[Any]:
    seen: dict[str, Any] = {}
    for form in forms.list_forms(db.session(), actor=current_principal()):
        seen.setdefault(form.key, form)  # newest version first per key
    return list(seen.values())


def _index_context() -> dict[str, Any]:
    actor = current_principal()
    latest, _ = definitions.list_definitions(db.session(), actor=actor, latest_only=True, limit=500)
    warning_counts = {d.key: len(model_texts.split_warnings(d.summary or {}, model_texts.callers_of(d.key, latest))[0])
                      for d in latest}
    return {"processes": sorted(latest, key=lambda d: d.name.casefold()), "forms": _latest_forms(),
            "warning_counts": warning_counts}


@bp.get("")
@roles_required(*DESIGNER_ROLES)
def index():
    """The deployed processes and forms, with the upload forms."""
    return render_template("designer/index.html", **_index_context())


def _report(data: bytes, filename: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """The validation report: each problem in words, and the uploaded diagram with the problems marked."""
    drawing = diagram.drawable(data)
    names = element_names(drawing.xml or "") if drawing.xml else {}
    german_ui = str(get_locale() or "de").startswith("de")
    rows = [{"number": number, "element_id": p.get("element_id"), "name": names.get(p.get("element_id") or ""),
             "line": p.get("line"), "kind": model_texts.problem_kind(p.get("code")),
             "message": (p.get("message_de") or german(p.get("message") or "")) if german_ui else p.get("message"),
             "lang": "de" if german_ui else "en"}
            for number, p in enumerate(problems, start=1)]
    return {"filename": filename, "problems": rows, "shown": REPORT_SHOWN, "drawing": drawing,
            "needs_confirmation": any(p.get("code") == "confirm" for p in problems),
            "marks": diagram.problem_marks(problems)}


def _upload_failed(report: dict[str, Any] | None, message: str | None = None):
    if is_htmx():
        return render_template("designer/_upload_report.html", report=report, upload_error=message), 422
    return render_template("designer/index.html", report=report, upload_error=message, **_index_context()), 422


@bp.post("/hochladen")
@roles_required(*DESIGNER_ROLES)
def upload():
    """Deploy a BPMN file: on success the version page, else the report with the problems on the diagram."""
    upload_file = request.files.get("datei")
    if upload_file is None or not upload_file.filename:
        return _upload_failed(None, gettext("Please choose a BPMN file."))
    limit = current_app.config["MAX_BPMN_BYTES"]
    data = upload_file.read(limit + 1)
    try:
        definition, created = definitions.deploy(db.session(), actor=current_principal(), data=data, clock=clock(),
                                                 max_bytes=limit, confirm=request.form.get("bestaetigen") == "ja")
    except Invalid as exc:
        unit_of_work.discard()
        problems = (exc.details or {}).get("problems") if isinstance(exc.details, dict) else None
        problems = problems or [{"element_id": None, "message": exc.message, "line": None, "code": "invalid"}]
        return _upload_failed(_report(data, upload_file.filename, problems))
    if created:
        flash(gettext("“%(name)s” was deployed as version %(version)d.", name=definition.name,
                      version=definition.version), "success")
    else:
        flash(gettext("Unchanged: identical to version %(version)d of “%(name)s”. No new version was created.",
                      version=definition.version, name=definition.name), "info")
    target = url_for("designer.version", key=definition.key, version=definition.version)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)


@bp.post("/formulare")
@roles_required(*DESIGNER_ROLES)
def upload_form():
    """Deploy a form file (JSON); a new version unless it is identical to the newest one."""
    upload_file = request.files.get("formular")
    if upload_file is None or not upload_file.filename:
        return _form_failed(gettext("Please choose a form file (JSON)."))
    try:
        form, created = forms.deploy_form(db.session(), actor=current_principal(), raw=upload_file.read(
            forms.MAX_FORM_BYTES + 1), clock=clock())
    except Invalid as exc:
        unit_of_work.discard()
        return _form_failed(gettext("The form was not deployed: %(reason)s", reason=exc.message))
    if created:
        flash(gettext("Form “%(key)s” was deployed as version %(version)d.", key=form.key, version=form.version),
              "success")
    else:
        flash(gettext("Unchanged: form “%(key)s” is identical to version %(version)d.", key=form.key,
                      version=form.version), "info")
    return redirect(url_for("designer.index") + "#formulare", 303)


def _form_failed(message: str):
    return render_template("designer/index.html", form_error=message, **_index_context()), 422


def _versions(key: str) -> list[ProcessDefinition]:
    rows, _ = definitions.list_definitions(db.session(), actor=current_principal(), key=key, limit=MAX_VERSIONS)
    if not rows:
        raise NotFound(f"process {key} not found")
    return rows


def _find_version(key: str, version: int) -> tuple[ProcessDefinition, list[ProcessDefinition]]:
    rows = _versions(key)
    found = next((d for d in rows if d.version == version), None)
    if found is None:
        raise NotFound(f"process {key} has no version {version}")
    return found, rows


@bp.get("/<key>")
@roles_required(*DESIGNER_ROLES)
def versions(key: str):
    """All versions of a process, each with what changed against the one before."""
    rows = _versions(key)
    changes = version_changes([(d.version, d.summary or {}) for d in rows])
    names = element_names(rows[0].bpmn_xml)
    entries = []
    for definition in rows:
        listed = changes.get(definition.version)
        groups: dict[str, list[str]] = {}
        for change in listed or []:
            groups.setdefault(model_texts.change_group(change), []).append(model_texts.change_text(change, names))
        entries.append({"definition": definition, "first": listed is None, "groups": groups})
    return render_template("designer/versions.html", key=key, latest=rows[0], entries=entries)


def _version_context(definition: ProcessDefinition, rows: list[ProcessDefinition], **extra: Any) -> dict[str, Any]:
    summary = definition.summary or {}
    names = element_names(definition.bpmn_xml)
    tasks = sorted((summary.get("user_tasks") or {}).values(), key=lambda t: (t.get("lane") or "", t.get("name") or ""))
    timers = [{**t, "name": names.get(t.get("element_id") or "") or t.get("element_id"),
               "host": names.get(t.get("attached_to") or "") or t.get("attached_to")}
              for t in summary.get("timers") or []]
    latest, _ = definitions.list_definitions(db.session(), actor=current_principal(), latest_only=True, limit=500)
    callers = model_texts.callers_of(definition.key, latest)
    kept, resolved = model_texts.split_warnings(summary, callers)
    warnings = [model_texts.warning_text(w, summary) for w in kept]
    context = {"definition": definition, "versions": rows, "tasks": tasks, "timers": timers, "warnings": warnings,
               "callers": callers or [definition.name], "caller_lanes": resolved,
               "caller_lanes_text": ", ".join(f"„{lane}“" for lane in resolved),
               "drawing": diagram.drawable(definition.bpmn_xml),
               "marks": [{"id": w.get("element_id"), "kind": "problem", "badge": "!", "label": gettext("Warning")}
                         for w in kept if w.get("element_id")],
               "duration_text": model_texts.duration_text, "calendar_label": calendar_label, "errors": {},
               "values": {}}
    doc = _start_doc(definition)
    context["start_fields"] = forms_render.form_fields(doc, extra.get("start_values") or {},
                                                       extra.get("start_errors") or {}, raw=True)
    context.update(extra)
    return context


def _start_doc(definition: ProcessDefinition) -> dict[str, Any]:
    """The generated start form of a version (app.web.start_form)."""
    municipality_id = current_principal().municipality_id
    docs = {f.key: f.schema for f in forms.list_forms(db.session(), actor=current_principal())}
    return start_form.start_form(definition, task_views.form_properties(db.session(), municipality_id), docs)


@bp.get("/<key>/<int:version>")
@roles_required(*DESIGNER_ROLES)
def version(key: str, version: int):
    """One version: its diagram, user tasks with deadlines, timers, warnings, and the test-case form."""
    definition, rows = _find_version(key, version)
    return render_template("designer/version.html", **_version_context(definition, rows))


def parse_json_object(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """Optional JSON object from a textarea: (data, None) or (None, what is wrong)."""
    if not raw.strip():
        return {}, None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, gettext("The data is not valid JSON (line %(line)d, column %(column)d).", line=exc.lineno,
                             column=exc.colno)
    if not isinstance(data, dict):
        return None, gettext("The data must be a JSON object, e.g. {\"name\": \"Beispiel\"}.")
    return data, None


@bp.post("/<key>/<int:version>/testfall")
@roles_required(*DESIGNER_ROLES)
def start_test_case(key: str, version: int):
    """Start a test case on exactly this version; then show the case."""
    definition, rows = _find_version(key, version)
    business_key = request.form.get("aktenzeichen", "").strip()
    raw = request.form.get("daten", "")
    extra, data_error = parse_json_object(raw)
    doc = _start_doc(definition)
    typed, field_errors, start_values = forms_render.parse_submission(doc, request.form)
    errors = {}
    if not business_key:
        errors["aktenzeichen"] = gettext("Please enter a case reference.")
    if data_error:
        errors["daten"] = data_error
    if errors or field_errors:
        context = _version_context(definition, rows, errors=errors,
                                   values={"aktenzeichen": business_key, "daten": raw},
                                   start_values=start_values, start_errors=field_errors)
        return render_template("designer/version.html", **context), 422
    # The generated form's fields first; the optional JSON adds what the form does not ask for.
    data = {**(extra or {}), **{k: v for k, v in typed.items() if v not in (None, "", [])}}
    actor = current_principal()
    try:
        instance = instances.start_instance(db.session(), actor=actor, process_key=key, business_key=business_key,
                                            data=data, clock=clock(), definition_id=definition.id)
        instance.is_test = True  # marked everywhere, counted nowhere (docs/ui.md, "Test cases")
    except IncidentRaised as exc:
        failed = db.session.get(ProcessInstance, (exc.details or {}).get("instance_id") or -1)
        if failed is not None:
            failed.is_test = True
        unit_of_work.keep_incident(gettext("The test case %(case)s was started, but a step failed: %(reason)s",
                                           case=business_key, reason=exc.message))
        return redirect(url_for("cases.case", instance_id=(exc.details or {}).get("instance_id")), 303)
    flash(gettext("Test case %(case)s was started on version %(version)d.", case=business_key,
                  version=definition.version), "success")
    return redirect(url_for("cases.case", instance_id=instance.id), 303)


@bp.get("/<key>/<int:version>/umzug")
@roles_required(*DESIGNER_ROLES)
def migration_plan(key: str, version: int):
    """Dry run: what moving each running case of this version to the next one changes."""
    definition, _ = _find_version(key, version)
    plan = migration.dry_run(db.session(), actor=current_principal(), definition_id=definition.id)
    return render_template("designer/migration.html", definition=definition, plan=plan, result=None)


@bp.post("/<key>/<int:version>/umzug")
@roles_required(*DESIGNER_ROLES)
def migrate(key: str, version: int):
    """Move one case (field `fall`) or all movable cases to the next version; then the plan again."""
    definition, _ = _find_version(key, version)
    one = request.form.get("fall", "").strip()
    result = migration.migrate(db.session(), actor=current_principal(), definition_id=definition.id, clock=clock(),
                               instance_ids=[int(one)] if one.isdigit() else None)
    plan = migration.dry_run(db.session(), actor=current_principal(), definition_id=definition.id)
    return render_template("designer/migration.html", definition=definition, plan=plan, result=result)
