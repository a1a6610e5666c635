"""The chains: one per instance, one per municipality for instance-less events; heads sealed into the ledger."""
from __future__ import annotations

from datetime import timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from app.audit import service as audit
from app.audit.jobs import add_jobs, seal_all, seal_job
from app.audit.ledger import ledger_head, seal_municipality
from app.audit.models import AuditEvent, AuditPayload, AuditSealEntry
from app.audit.verify import verify
from app.cli import cli
from tests.audit.conftest import walk


def test_instance_less_events_form_a_chain_per_municipality(session, world):
    for municipality_id in (world.municipality_id, world.other_municipality_id):
        own = session.scalars(select(AuditEvent).where(AuditEvent.municipality_id == municipality_id,
                                                       AuditEvent.instance_id.is_(None))
                              .order_by(AuditEvent.seq)).all()
        assert [e.seq for e in own] == list(range(1, len(own) + 1))
        assert own[0].prev_hash == "" and all(b.prev_hash == a.hash for a, b in zip(own, own[1:]))
    created = session.scalar(select(AuditEvent).where(AuditEvent.kind == "user_created",
                                                      AuditEvent.element_id == "abh"))
    assert created.office == "Ausländerbehörde" and created.details["role"] == "clerk"
    # the display name is personal: stored as an erasable payload, only its hash is chained
    payload = session.scalar(select(AuditPayload).where(AuditPayload.sha256 == created.details["payload_sha256"]))
    assert payload.content == {"display_name": "abh"} and payload.instance_id is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "token_created",
                                                   AuditEvent.element_id == "abh")) is not None


def test_record_hashes_what_the_database_gives_back(session, world, clock):
    berlin_time = clock.now().astimezone(timezone(timedelta(hours=1)))
    event = audit.record(session, municipality_id=world.municipality_id, kind="definition_deployed", actor="x",
                         at=berlin_time, details={"when": clock.now(), "n": 1.5, "text": "ä"})
    session.commit()
    session.expire_all()
    stored = session.scalar(select(AuditEvent).where(AuditEvent.municipality_id == world.municipality_id,
                                                     AuditEvent.instance_id.is_(None), AuditEvent.seq == event.seq))
    assert stored.hash == event.hash
    assert stored.details["when"] == clock.now().isoformat()
    assert audit.event_hash(stored) == stored.hash
    assert verify(session).ok


def test_sealing_is_incremental(api, deployed, session, clock):
    case = walk(api, "AZ-L-1", finish=False)
    first = seal_all(session, clock=clock)
    assert {s.municipality_id: s.entries for s in first} == {api.world.municipality_id: 2,
                                                             api.world.other_municipality_id: 1}
    assert seal_all(session, clock=clock) == []  # nothing grew
    [task] = api.as_("jc").tasks()
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/complete", {"data": {}}).status_code == 200
    [second] = seal_all(session, clock=clock)
    assert (second.seq, second.entries) == (2, 1)
    entries = session.scalars(select(AuditSealEntry).where(AuditSealEntry.instance_id == case["id"])
                              .order_by(AuditSealEntry.seq)).all()
    assert [e.seq for e in entries] == [5, 7]
    head = ledger_head(session, api.world.municipality_id)
    assert head.seq == 2 and head.hash == second.hash
    assert verify(session).ok


def test_a_seal_holds_at_most_max_entries_and_the_rest_follows(api, deployed, session, clock):
    for number in range(3):
        api.start("aufenthalt_leistung", f"AZ-L-M{number}")
    mid = api.world.municipality_id
    sizes = []
    while (seal := seal_municipality(session, municipality_id=mid, at=clock.now(), max_entries=2)) is not None:
        sizes.append(seal.entry_count)
    session.commit()
    assert sizes == [2, 2]  # the municipality chain and three cases
    assert verify(session).ok


def test_the_scheduler_seals_and_the_cli_too(app, api, deployed, session, clock):
    walk(api, "AZ-L-2")
    session.commit()
    seal_job(app)
    assert ledger_head(session, api.world.municipality_id).seq == 1
    walk(api, "AZ-L-3")
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["audit", "seal", "--municipality", "musterstadt"])
    assert result.exit_code == 0 and ": seal 2 with 1 head(s)" in result.output
    assert "nothing to seal" in runner.invoke(cli, ["audit", "seal"]).output
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"audit_seal", "retention", "access_log_prune"}
    assert jobs["audit_seal"].trigger.interval.total_seconds() == app.config["AUDIT_SEAL_SECONDS"] == 300
