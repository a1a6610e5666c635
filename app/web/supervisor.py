"""Supervisor screens: the overview per office (open, overdue, escalated, hand-off times, timers) and a process
heatmap (waiting tasks and median time per activity on the diagram, with a table of the same numbers)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask_babel import format_decimal, gettext, lazy_gettext

from app.deadlines.service import overdue_summary
from app.definitions import service as definitions
from app.errors import NotFound
from app.extensions import db
from app.insights import service as insights
from app.web import diagram, formatting, task_views
from app.web.auth import current_principal, roles_required
from app.web.clerk import clock
from app.web.nav import NavItem, register_nav

bp = Blueprint("supervisor", __name__, url_prefix="/aufsicht")
SUPERVISOR_ROLES = ("lead", "supervisor", "admin")


def register(app: Flask) -> None:
    """Add the supervisor screens and their navigation entry."""
    app.register_blueprint(bp)
    register_nav(app, NavItem("supervisor.overview", lazy_gettext("Overview"), SUPERVISOR_ROLES, order=30))


def _office_rows(summary: dict[str, Any], times: list[insights.OfficeTimes],
                 ids: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    """One row per office: today's queue from the overdue summary, the median time of the last 90 days."""
    no_office = gettext("(no office)")
    rows: dict[str, dict[str, Any]] = {}
    for entry in summary["offices"]:
        name = entry["office"] if entry["office"] != "(ohne Amt)" else no_office
        oldest = entry["oldest_overdue"]
        if oldest:  # overdue in the deadline's own unit, as on every other screen
            oldest = {**oldest, "left": formatting.time_left(now, datetime.fromisoformat(oldest["due_at"]),
                                                             oldest.get("calendar"))["text"]}
        rows[name] = {"office": name, "office_id": ids.get(entry["office"]), "open": entry["open"],
                      "overdue": entry["overdue"], "escalated": entry["escalated"], "oldest": oldest, "completed": 0,
                      "median": None}
    for times_row in times:
        name = times_row.office or no_office
        row = rows.setdefault(name, {"office": name, "office_id": ids.get(times_row.office or ""), "open": 0,
                                     "overdue": 0, "escalated": 0, "oldest": None})
        row["completed"], row["median"] = times_row.completed, times_row.median_hours
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["open"], r["office"].casefold()))


@bp.get("")
@roles_required(*SUPERVISOR_ROLES)
def overview():
    """Where cases wait: per office open/overdue/escalated tasks, hand-off times, escalations, timers."""
    actor = current_principal()
    now = clock().now()
    summary = overdue_summary(db.session(), actor=actor, now=now)
    ids = {name: office_id for office_id, name in task_views.office_names(db.session(), actor.municipality_id).items()}
    offices = _office_rows(summary, insights.office_times(db.session(), actor=actor, now=now), ids, now)
    escalated = insights.recent_escalations(db.session(), actor=actor, now=now)
    escalations = task_views.task_views(db.session(), escalated, actor=actor, now=now)
    processes, _ = definitions.list_definitions(db.session(), actor=actor, latest_only=True, limit=500)
    totals = {key: sum(row[key] for row in offices) for key in ("open", "overdue", "escalated")}
    return render_template("supervisor/overview.html", now=now, offices=offices, totals=totals,
                           escalations=escalations, processes=sorted(processes, key=lambda d: d.name.casefold()),
                           timer_lag=summary["timer_lag_seconds"], timer_backlog=summary["due_timer_backlog"],
                           hours_text=diagram.hours_text, window=insights.WINDOW_DAYS)


def _legend(stats: dict[str, insights.ActivityStats], by: str) -> list[dict[str, Any]]:
    top = max((diagram.heat_value(s, by) or 0 for s in stats.values()), default=0)
    if not top:
        return []
    step = top / diagram.HEAT_LEVELS
    if by == "overdue":
        return [{"level": level, "text": gettext("up to %(num)s overdue", num=format_decimal(round(step * level, 1)))}
                for level in range(1, diagram.HEAT_LEVELS + 1)]
    return [{"level": level, "text": gettext("up to %(time)s", time=diagram.hours_text(round(step * level, 1)))}
            for level in range(1, diagram.HEAT_LEVELS + 1)]


@bp.get("/prozesse/<key>")
@roles_required(*SUPERVISOR_ROLES)
def process(key: str):
    """A process as a heatmap: per activity the tasks waiting now and the median time spent (last 90 days)."""
    actor = current_principal()
    now = clock().now()
    versions, _ = definitions.list_definitions(db.session(), actor=actor, key=key, limit=200)
    if not versions:
        raise NotFound(f"process {key} not found")
    chosen = request.args.get("version", type=int)
    definition = next((d for d in versions if d.version == chosen), None) if chosen else None
    stats = insights.activity_stats(db.session(), actor=actor, process_key=key, now=now,
                                    definition_id=definition.id if definition else None)
    shown = definition or versions[0]
    by = "overdue" if request.args.get("farbe") == "ueberfaellig" else "median"
    top = max((diagram.heat_value(s, by) or 0 for s in stats.values()), default=0)
    rows = sorted(stats.values(), key=lambda s: (-(diagram.heat_value(s, by) or 0), -s.waiting, s.name.casefold()))
    return render_template("supervisor/process.html", definition=shown, versions=versions,
                           only_version=definition is not None, drawing=diagram.drawable(shown.bpmn_xml),
                           marks=diagram.heat_marks(stats, by), legend=_legend(stats, by), by=by,
                           focus=diagram.busiest(stats, by),
                           rows=[{"stats": s, "level": diagram.heat_level(diagram.heat_value(s, by), top)}
                                 for s in rows],
                           hours_text=diagram.hours_text, window=insights.WINDOW_DAYS)
