"""Retention: per definition after a case ends, erased by a job; the access log has its own, shorter one."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.jobs import erase_expired, prune_access, retention_job
from app.audit.models import AccessLogEntry, AuditEvent
from app.audit.verify import verify
from app.cli import cli
from tests.audit.conftest import trail, walk


def _set_retention(api, definition_id, value, user="designer"):
    return api.as_(user).patch(f"/api/definitions/{definition_id}", {"retention": value})


def test_designers_set_the_retention_period_of_a_definition(api, deployed, session):
    response = _set_retention(api, deployed["id"], "p30d")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["retention"] == "P30D"
    assert _set_retention(api, deployed["id"], "P10Y", user="admin").get_json()["retention"] == "P10Y"
    assert _set_retention(api, deployed["id"], "P1Y", user="abh").status_code == 403
    assert _set_retention(api, deployed["id"], "P1Y", user="fremd_designer").status_code == 404
    bad = _set_retention(api, deployed["id"], "zehn Jahre")
    assert bad.status_code == 422 and "ISO 8601" in bad.get_json()["message"]
    assert _set_retention(api, deployed["id"], "PT0S").status_code == 422
    assert api.as_("designer").get(f"/api/definitions/{deployed['id']}").get_json()["retention"] == "P10Y"
    changes = session.scalars(select(AuditEvent).where(AuditEvent.kind == "retention_changed")
                              .order_by(AuditEvent.seq)).all()
    assert [(e.details["old"], e.details["new"], e.actor) for e in changes] == [
        (None, "P30D", "designer"), ("P30D", "P10Y", "admin")]
    assert all(e.instance_id is None for e in changes)  # the municipality chain
    assert _set_retention(api, deployed["id"], None).get_json()["retention"] is None


def test_a_new_version_keeps_the_retention_period(api, deployed):
    _set_retention(api, deployed["id"], "P6M")
    xml = api.as_("designer").get(f"/api/definitions/{deployed['id']}/xml").data
    changed = xml.replace(b'name="Aufenthalt und Leistung"', b'name="Aufenthalt und Leistung (v2)"')
    second = api.as_("designer").upload("/api/definitions", changed, "handoff.bpmn").get_json()
    assert second["version"] == 2 and second["retention"] == "P6M"


def test_the_retention_job_erases_cases_past_their_period_and_reports_it(api, deployed, session, clock):
    _set_retention(api, deployed["id"], "P30D")
    ended = walk(api, "AZ-R-1")
    running = walk(api, "AZ-R-2", finish=False)
    clock.advance(days=29)
    assert erase_expired(session, clock=clock) == []
    clock.advance(days=2)
    assert [d["instance_id"] for d in erase_expired(session, clock=clock, dry_run=True)] == [ended["id"]]
    assert trail(api, ended["id"])[0]["payload"] is not None  # a dry run erases nothing
    done = erase_expired(session, clock=clock)
    assert [(d["instance_id"], d["business_key"], d["payloads"]) for d in done] == [(ended["id"], "AZ-R-1", 3)]
    last = trail(api, ended["id"])[-1]
    assert (last["kind"], last["actor"], last["details"]["reason"]) == ("erased", "system", "retention")
    assert trail(api, running["id"])[0]["payload"] is not None
    assert erase_expired(session, clock=clock) == []  # erased once
    assert verify(session).ok


def test_retention_runs_as_a_scheduler_job_and_from_the_cli(app, api, deployed, session, clock):
    _set_retention(api, deployed["id"], "P1D")
    first = walk(api, "AZ-R-3")
    clock.advance(days=2)
    session.commit()
    retention_job(app)
    assert trail(api, first["id"])[-1]["kind"] == "erased"
    walk(api, "AZ-R-4")
    clock.advance(days=2)
    result = app.test_cli_runner().invoke(cli, ["privacy", "expire"])
    assert result.exit_code == 0, result.output
    assert "erased instance" in result.output and "(case AZ-R-4" in result.output
    assert "1 case(s) erased" in result.output


def test_the_access_log_is_pruned_after_its_own_retention(app, api, deployed, session, clock):
    case = api.start("aufenthalt_leistung", "AZ-R-5").get_json()
    api.as_("abh").get(f"/api/instances/{case['id']}")
    clock.advance(days=100)
    api.as_("abh").get(f"/api/instances/{case['id']}")
    clock.advance(days=100)  # the first read is now older than six months, the second is not
    assert prune_access(session, clock=clock, retention=app.config["ACCESS_LOG_RETENTION"]) == 1
    assert session.query(AccessLogEntry).count() == 1
    clock.advance(days=100)
    result = app.test_cli_runner().invoke(cli, ["privacy", "prune-access-log"])
    assert result.exit_code == 0 and "removed 1 access-log entry" in result.output
    assert session.query(AccessLogEntry).count() == 0
    # the process trail is untouched by pruning
    assert len(trail(api, case["id"])) == 2
