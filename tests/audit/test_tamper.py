"""Tampering with the stored trail is detected, with the chain and position of the first broken link."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.jobs import seal_all
from app.audit.verify import verify, verify_instance
from app.cli import cli
from app.directory.models import Municipality
from app.instances.models import ProcessInstance
from tests.audit.conftest import attacker, walk


@pytest.fixture
def case(api, deployed, session, clock):
    """A completed case (7 events) next to a second one, both sealed into the ledger."""
    case = walk(api, "AZ-T-1")
    walk(api, "AZ-T-2", applicant="B. Beispiel")
    seals = seal_all(session, clock=clock)
    # Musterstadt: its own chain and two cases; Beispielstadt: its own chain (users and tokens).
    assert sorted(s.entries for s in seals) == [1, 3]
    return case


def _instance(session, instance_id):
    session.expire_all()
    return session.get(ProcessInstance, instance_id)


def _town(session):
    return session.scalar(select(Municipality).where(Municipality.slug == "musterstadt"))


def _only_problem(report):
    assert not report.ok
    [problem] = report.problems
    return problem


def test_an_untouched_trail_verifies(session, case):
    report = verify_instance(session, _instance(session, case["id"]))
    assert report.ok and report.events == 7 and report.sealed_seq == 7
    whole = verify(session)
    assert whole.ok, whole.problems
    assert whole.seals == 2 and set(whole.ledger_heads) == {"musterstadt", "beispielstadt"}


def test_an_edited_field_is_detected_where_it_was_edited(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_event SET actor = 'mallory' WHERE instance_id = :i AND seq = 3", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert (problem.instance_id, problem.seq) == (case["id"], 3)
    assert "hash does not match the event's content" in problem.message
    assert str(problem).startswith(f"instance {case['id']}, seq 3:")


def test_a_deleted_row_is_detected(session, case):
    with attacker(session) as sql:
        sql("DELETE FROM audit_event WHERE instance_id = :i AND seq = 4", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert (problem.seq, problem.message) == (4, "event missing (the next stored event has seq 5)")


def test_a_deleted_last_row_is_detected_against_the_head_on_the_instance(session, case):
    with attacker(session) as sql:
        sql("DELETE FROM audit_event WHERE instance_id = :i AND seq = 7", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert problem.seq == 7 and "missing" in problem.message


def test_swapped_rows_are_detected(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_event SET seq = -1 WHERE instance_id = :i AND seq = 2", i=case["id"])
        sql("UPDATE audit_event SET seq = 2 WHERE instance_id = :i AND seq = 3", i=case["id"])
        sql("UPDATE audit_event SET seq = 3 WHERE instance_id = :i AND seq = -1", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert problem.seq == 2 and problem.message == "prev_hash does not match the hash of seq 1"


def test_an_event_moved_to_another_instance_is_detected(session, case):
    other = session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == "AZ-T-2"))
    with attacker(session) as sql:
        sql("UPDATE audit_event SET instance_id = :o, seq = 99 WHERE instance_id = :i AND seq = 7",
            o=other, i=case["id"])
    report = verify(session)
    chains = {p.instance_id: p for p in report.problems}
    assert set(chains) == {case["id"], other}
    assert (chains[other].seq, chains[other].message) == (8, "event missing (the next stored event has seq 99)")
    assert chains[case["id"]].seq == 7


def test_deleting_a_whole_chain_with_its_head_is_caught_by_the_ledger(session, case):
    with attacker(session) as sql:
        sql("DELETE FROM audit_event WHERE instance_id = :i", i=case["id"])
        sql("DELETE FROM audit_payload WHERE instance_id = :i", i=case["id"])
        sql("UPDATE process_instance SET audit_seq = 0, audit_head = '' WHERE id = :i", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert (problem.instance_id, problem.seq) == (case["id"], 1)
    assert problem.message == "missing: ledger seal 1 sealed this chain up to seq 7, but it ends at seq 0"
    assert [p.instance_id for p in verify(session).problems] == [case["id"]]


def test_an_edited_ledger_entry_is_detected(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_seal_entry SET seq = 6 WHERE instance_id = :i", i=case["id"])
    report = verify(session)
    ledger = [p for p in report.problems if p.chain == "municipality musterstadt ledger"]
    assert ledger and ledger[0].seq == 1
    assert "sealed chain heads do not match the seal" in ledger[0].message


def test_an_edited_seal_is_detected(session, case, clock):
    with attacker(session) as sql:
        sql("UPDATE audit_seal SET sealed_at = :t WHERE seq = 1", t=clock.now().replace(year=2025))
    problem = _only_problem(verify(session, municipality=_town(session)))
    assert (problem.chain, problem.seq) == ("municipality musterstadt ledger", 1)
    assert problem.message == "hash does not match the seal's content (changed after it was written)"


def test_a_removed_seal_in_the_middle_is_detected(api, session, case, clock):
    walk(api, "AZ-T-3")
    assert len(seal_all(session, clock=clock)) == 1
    walk(api, "AZ-T-4")
    assert len(seal_all(session, clock=clock)) == 1
    with attacker(session) as sql:
        sql("DELETE FROM audit_seal_entry WHERE seal_id IN (SELECT id FROM audit_seal WHERE seq = 2)")
        sql("DELETE FROM audit_seal WHERE seq = 2")
    problem = _only_problem(verify(session, municipality=_town(session)))
    assert problem.seq == 2 and problem.message == "seal 2 is missing (the next stored seal is 3)"


def test_an_edited_payload_is_detected(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_payload SET content = :c WHERE instance_id = :i AND id = "
            "(SELECT min(id) FROM audit_payload WHERE instance_id = :i)", c='{"antragsteller": "X"}', i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert problem.seq == 1 and "payload does not match its hash" in problem.message


def test_a_payload_wiped_outside_the_erasure_path_is_detected(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_payload SET content = NULL, salt = NULL WHERE instance_id = :i", i=case["id"])
    problem = _only_problem(verify_instance(session, _instance(session, case["id"])))
    assert problem.seq == 1 and problem.message == "payload erased without an 'erased' event in the chain"


def test_the_municipality_chain_is_checked_too(session, case):
    with attacker(session) as sql:
        sql("UPDATE audit_event SET element_id = 'someone-else' WHERE instance_id IS NULL AND seq = 2 "
            "AND municipality_id = (SELECT id FROM municipality WHERE slug = 'musterstadt')")
    problem = _only_problem(verify(session))
    assert (problem.chain, problem.instance_id, problem.seq) == ("municipality musterstadt chain", None, 2)


def test_cli_verify_exits_non_zero_and_names_the_first_broken_link(app, session, case):
    runner = app.test_cli_runner()
    intact = runner.invoke(cli, ["audit", "verify", "--municipality", "musterstadt"])
    assert intact.exit_code == 0, intact.output
    assert "OK: the audit trail is intact" in intact.output and "ledger head of musterstadt" in intact.output
    with attacker(session) as sql:
        sql("UPDATE audit_event SET details = :d WHERE instance_id = :i AND seq = 5", d="{}", i=case["id"])
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"BROKEN instance {case['id']}, seq 5: hash does not match" in broken.output
    single = runner.invoke(cli, ["audit", "verify", "--instance", str(case["id"])])
    assert single.exit_code == 1 and f"instance {case['id']}, seq 5" in single.output
    other = runner.invoke(cli, ["audit", "verify", "--municipality", "beispielstadt"])
    assert other.exit_code == 0, other.output
