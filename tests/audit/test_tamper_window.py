"""The tamper window: the newest events are sealed within seconds; TRUNCATE, the app role and an outside anchor."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app.audit.hashing import EVENT_FIELDS, event_hash
from app.audit.models import AuditEvent, AuditSeal, AuditSealEntry
from app.audit.sealer import Sealer
from app.cli import cli
from app.directory.models import Municipality
from tests.audit.conftest import attacker, walk


def _rewrite_newest_event(session, instance_id: int) -> None:
    """What a DBA would do: change the newest event, recompute its hash and move the instance's head along."""
    newest = session.scalar(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                            .order_by(AuditEvent.seq.desc()).limit(1))
    forged = SimpleNamespace(**{name: getattr(newest, name) for name in EVENT_FIELDS})
    forged.actor = "mallory"
    new_hash = event_hash(forged)
    with attacker(session) as sql:
        sql("UPDATE audit_event SET actor = 'mallory', hash = :h WHERE id = :id", h=new_hash, id=newest.id)
        sql("UPDATE process_instance SET audit_head = :h WHERE id = :i", h=new_hash, i=instance_id)


def _town_id(session) -> int:
    return session.scalar(select(Municipality.id).where(Municipality.slug == "musterstadt"))


def test_a_commit_queues_its_municipality_and_an_edit_to_the_newest_event_is_detected_once_sealed(
        app, api, deployed, session):
    sealer: Sealer = app.extensions["lotse_sealer"]
    sealer.seal_pending()  # whatever earlier tests left
    case = walk(api, "AZ-W-1")
    assert _town_id(session) in sealer.pending  # the commits told the sealer; the thread seals after the delay
    session.rollback()  # the test's own read must not hold SQLite's write lock against the sealer
    sealer.seal_pending()  # what the background thread does AUDIT_SEAL_DELAY_SECONDS later
    _rewrite_newest_event(session, case["id"])
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"instance {case['id']}, seq 7: hash differs from the one sealed in ledger seal" in result.output


def test_the_background_sealer_seals_shortly_after_a_commit(app, api, deployed, session, monkeypatch):
    sealer = Sealer(app, delay=0.0, background=True)
    monkeypatch.setitem(app.extensions, "lotse_sealer", sealer)
    case = walk(api, "AZ-W-2", finish=False)
    head = session.scalar(select(AuditEvent.seq).where(AuditEvent.instance_id == case["id"])
                          .order_by(AuditEvent.seq.desc()).limit(1))
    session.rollback()
    sealed = None
    try:
        while sealed != head:  # each run seals what the commits before it wrote; the last one reaches the head
            assert sealer.sealed.wait(timeout=60), "the sealer thread did not run"
            sealer.sealed.clear()
            sealed = session.scalar(select(AuditSealEntry.seq).where(AuditSealEntry.instance_id == case["id"])
                                    .order_by(AuditSealEntry.seq.desc()).limit(1))
            session.rollback()
    finally:
        sealer.stop()  # no thread outlives the test


@pytest.fixture
def postgresql_only(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE triggers and roles are PostgreSQL's")


def test_truncate_of_the_trail_is_refused(api, deployed, session, postgresql_only):
    walk(api, "AZ-W-3", finish=False)
    session.commit()
    for table in ("audit_event", "audit_payload", "audit_seal", "audit_seal_entry", "access_log"):
        with pytest.raises(Exception, match="TRUNCATE on .* is not allowed"):
            session.execute(text(f"TRUNCATE {table} CASCADE"))
        session.rollback()
    assert session.scalar(select(AuditEvent.id).limit(1)) is not None


def test_the_app_role_can_write_rows_but_not_undo_the_protections(app, api, deployed, session, postgresql_only):
    from tests.conftest import PG_SCHEMA

    walk(api, "AZ-W-4", finish=False)
    session.commit()
    owner, app_role = f"lotse_owner_{os.getpid()}", f"lotse_app_{os.getpid()}"
    printed = app.test_cli_runner().invoke(cli, ["db", "create-roles", "--owner", owner, "--app-role", app_role,
                                                 "--schema", PG_SCHEMA])
    assert printed.exit_code == 0 and f"TO {app_role}" in printed.output
    done = app.test_cli_runner().invoke(cli, ["db", "create-roles", "--owner", owner, "--app-role", app_role,
                                              "--schema", PG_SCHEMA, "--execute"])
    assert done.exit_code == 0, done.output
    try:
        as_app = [f"SET LOCAL ROLE {app_role}"]
        allowed = ["INSERT INTO access_log (municipality_id, occurred_at, actor, action, details) "
                   f"VALUES ({_town_id(session)}, now(), 'x', 'instance_detail', '{{}}')",
                   "UPDATE process_instance SET revision = revision",
                   "SELECT count(*) FROM audit_event"]
        for statement in allowed:
            for prefix in as_app:
                session.execute(text(prefix))
            session.execute(text(statement))
            session.rollback()
        refused = ["UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_seal", "TRUNCATE audit_event",
                   "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only", "DROP TABLE audit_seal_entry",
                   "DELETE FROM audit_payload"]
        for statement in refused:
            session.execute(text(as_app[0]))
            with pytest.raises(Exception, match="permission denied|must be owner"):
                session.execute(text(statement))
            session.rollback()
    finally:
        session.rollback()
        for statement in (f"REASSIGN OWNED BY {owner} TO CURRENT_USER", f"DROP OWNED BY {app_role}",
                          f"DROP OWNED BY {owner}", f"DROP ROLE {app_role}", f"DROP ROLE {owner}"):
            session.execute(text(statement))
        session.commit()


def test_an_outside_anchor_catches_a_ledger_cut_back_and_rewritten(app, api, deployed, session, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_KEY", "kept-in-the-vault")
    case = walk(api, "AZ-W-5")
    anchor = tmp_path / "anchor.json"
    runner = app.test_cli_runner()
    made = runner.invoke(cli, ["audit", "anchor", "--output", str(anchor)])
    assert made.exit_code == 0, made.output
    assert "anchored musterstadt: seal 1" in made.output
    assert runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)]).exit_code == 0
    # A DBA removes the newest seal (and its entries), then rewrites the newest event: the database agrees.
    session.commit()
    with attacker(session) as sql:
        seal_id = session.scalar(select(AuditSeal.id).where(AuditSeal.municipality_id == _town_id(session)))
        sql("DELETE FROM audit_seal_entry WHERE seal_id = :s", s=seal_id)
        sql("DELETE FROM audit_sealed_head")
        sql("DELETE FROM audit_seal WHERE id = :s", s=seal_id)
    _rewrite_newest_event(session, case["id"])
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0  # nothing inside the database disagrees
    result = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 1
    assert "musterstadt ledger, seal 1" in result.output and "missing (the ledger was cut back)" in result.output


def test_a_forged_or_unsigned_anchor_is_refused(app, session, tmp_path, monkeypatch):
    runner = app.test_cli_runner()
    assert "AUDIT_ANCHOR_KEY is not set" in runner.invoke(cli, ["audit", "anchor", "--output",
                                                                str(tmp_path / "a.json")]).output
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_KEY", "kept-in-the-vault")
    anchor = tmp_path / "anchor.json"
    assert runner.invoke(cli, ["audit", "anchor", "--output", str(anchor)]).exit_code == 0
    document = json.loads(anchor.read_text())
    document["created_at"] = "2020-01-01T00:00:00+00:00"
    anchor.write_text(json.dumps(document))
    result = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code != 0 and "signature does not match" in result.output
