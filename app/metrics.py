"""Prometheus metrics: timer lag and escalations observed in this process, backlog read from the database."""
from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime

from flask import Flask, Response, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select

TIMER_LAG = Histogram(
    "lotse_timer_lag_seconds", "How late a BPMN timer fired (fire time minus due time)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600), registry=None)
ESCALATIONS = Counter("lotse_escalations", "Tasks escalated by this process", ["level"], registry=None)
REMINDERS = Counter("lotse_reminders", "Reminders sent by this process", registry=None)


class BacklogCollector:
    """Gauges computed at scrape time from indexed queries (no personal data, counts only)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        """Due timers waiting to fire, open and overdue tasks, per municipality."""
        from app.directory.models import Municipality
        from app.extensions import db
        from app.instances.models import ProcessInstance
        from app.tasks.models import HumanTask

        now = datetime.now(UTC)
        by_town = ["municipality"]
        due = GaugeMetricFamily("lotse_due_timer_backlog", "Running instances whose next timer is due", labels=by_town)
        open_tasks = GaugeMetricFamily("lotse_open_tasks", "Open human tasks", labels=by_town)
        overdue = GaugeMetricFamily("lotse_overdue_tasks", "Open human tasks past their due date", labels=by_town)
        escalated = GaugeMetricFamily("lotse_escalated_open_tasks", "Open tasks that were escalated", labels=by_town)
        with self.app.app_context():
            try:
                slugs = dict(db.session.execute(select(Municipality.id, Municipality.slug)).all())
                for mid, count in db.session.execute(select(ProcessInstance.municipality_id, func.count()).where(
                        ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
                        .group_by(ProcessInstance.municipality_id)):
                    due.add_metric([slugs.get(mid, str(mid))], count)
                for mid, total, late, esc in db.session.execute(select(
                        HumanTask.municipality_id, func.count(), func.count().filter(HumanTask.due_at < now),
                        func.count().filter(HumanTask.escalated_at.is_not(None))).where(HumanTask.status == "open")
                        .group_by(HumanTask.municipality_id)):
                    label = [slugs.get(mid, str(mid))]
                    open_tasks.add_metric(label, total)
                    overdue.add_metric(label, late)
                    escalated.add_metric(label, esc)
            finally:
                db.session.remove()
        yield from (due, open_tasks, overdue, escalated)


def process_registry() -> CollectorRegistry:
    """The per-process metrics (for `lotse scheduler --metrics-port`)."""
    registry = CollectorRegistry()
    for collector in (TIMER_LAG, ESCALATIONS, REMINDERS):
        registry.register(collector)
    return registry


def _loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def init_metrics(app: Flask) -> None:
    """GET /metrics in Prometheus text format, for holders of METRICS_TOKEN or (METRICS_LOOPBACK) local clients.

    Any other client gets 401/403 and sees nothing, municipality slugs included. Behind a reverse proxy on
    the same host every client looks local: set METRICS_TOKEN and METRICS_LOOPBACK=0 there (docs/auth.md).
    """
    registry = process_registry()
    registry.register(BacklogCollector(app))

    @app.get("/metrics")
    def metrics():
        """Prometheus scrape endpoint."""
        token = app.config.get("METRICS_TOKEN") or ""
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        if not given and app.config.get("METRICS_LOOPBACK", True) and _loopback(request.remote_addr):
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        if token:
            return Response("metrics need the METRICS_TOKEN (Authorization: Bearer ...)\n", status=401,
                            mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="lotse-metrics"'})
        return Response("metrics are served to local clients only (or set METRICS_TOKEN)\n", status=403,
                        mimetype="text/plain")
