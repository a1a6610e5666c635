"""Erasing a case's personal data: tombstones, an `erased` event, a chain that still verifies, others untouched."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditPayload
from app.audit.verify import verify
from app.cli import cli
from app.instances.models import Incident, ProcessInstance
from tests.audit.conftest import attacker, trail, walk


def _erase(api, business_key, user="admin", **extra):
    return api.as_(user).post("/api/privacy/erase", {"business_key": business_key, **extra})


def test_erasure_replaces_payloads_with_tombstones_and_the_chain_still_verifies(api, deployed, session):
    erased = walk(api, "AZ-E-1", applicant="Erika Mustermann")
    kept = walk(api, "AZ-E-2", applicant="Max Mustermann")
    response = _erase(api, "AZ-E-1", reason="Antrag nach Art. 17 DSGVO")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"business_key": "AZ-E-1", "payloads_erased": 3, "messages_erased": 0,
                                   "instances": [{"instance_id": erased["id"], "payloads": 3, "messages": 0}]}
    events = trail(api, erased["id"])
    with_payload = [e for e in events if "payload_sha256" in e["details"]]
    assert len(with_payload) == 3 and all(e["payload"] is None and e["payload_erased"] for e in with_payload)
    last = events[-1]
    assert (last["kind"], last["actor"], last["details"]) == (
        "erased", "admin", {"payloads": 3, "messages": 0, "reason": "Antrag nach Art. 17 DSGVO"})
    # who did what when stays
    assert [e["actor"] for e in events if e["kind"] == "task_completed"] == ["abh", "jc"]
    assert "Erika" not in str(events)
    assert api.as_("super").get(f"/api/instances/{erased['id']}/audit/verify").get_json()["ok"] is True
    assert api.as_("abh").get(f"/api/instances/{erased['id']}").get_json()["data"] == {}
    # the other case keeps its data
    assert trail(api, kept["id"])[0]["payload"] == {"antragsteller": "Max Mustermann"}
    assert api.as_("abh").get(f"/api/instances/{kept['id']}").get_json()["data"]["antragsteller"] == "Max Mustermann"
    assert verify(session).ok


def test_equal_content_in_two_cases_is_stored_twice_so_erasing_one_keeps_the_other(api, deployed, session):
    first = walk(api, "AZ-E-3", applicant="Gleich")
    second = walk(api, "AZ-E-4", applicant="Gleich")
    assert _erase(api, "AZ-E-3").status_code == 200
    assert trail(api, first["id"])[0]["payload"] is None
    assert trail(api, second["id"])[0]["payload"] == {"antragsteller": "Gleich"}
    assert verify(session).ok


def test_erasure_is_for_admins_and_for_ended_cases(api, deployed):
    walk(api, "AZ-E-5", finish=False)
    assert _erase(api, "AZ-E-5", user="super").status_code == 403
    running = _erase(api, "AZ-E-5")
    assert running.status_code == 409 and "still runs" in running.get_json()["message"]
    assert _erase(api, "AZ-UNBEKANNT").status_code == 404
    assert _erase(api, "AZ-E-5", user="fremd_admin").status_code == 404
    assert api.as_("admin").post("/api/privacy/erase", {}).status_code == 422


def test_erasing_again_changes_nothing(api, deployed):
    case = walk(api, "AZ-E-6")
    assert _erase(api, "AZ-E-6").get_json()["payloads_erased"] == 3
    again = _erase(api, "AZ-E-6")
    assert again.status_code == 200 and again.get_json()["payloads_erased"] == 0
    assert [e["kind"] for e in trail(api, case["id"])].count("erased") == 1


def test_a_cancelled_case_with_an_incident_loses_the_incidents_data_too(api, session):
    api.deploy("failing.bpmn")
    case = api.start("quote_berechnen", "AZ-E-7", {"name": "Privat"}, user="jc").get_json()
    task = case["active_tasks"][0]
    assert api.as_("jc").post(f"/api/tasks/{task['id']}/complete", {"data": {"betrag": 100, "anzahl": 0}}
                              ).status_code == 422
    assert api.as_("super").post(f"/api/instances/{case['id']}/cancel", {"reason": "Dublette"}).status_code == 200
    # start data and the cancellation reason; the failed completion was rolled back with its payload
    assert _erase(api, "AZ-E-7").get_json()["payloads_erased"] == 2
    incident = session.scalar(select(Incident).where(Incident.instance_id == case["id"]))
    assert "data" not in incident.operation and incident.operation["kind"] == "complete"
    assert verify(session).ok


def test_cli_erases_a_case(app, api, deployed, session):
    case = walk(api, "AZ-E-8")
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["privacy", "erase", "--municipality", "musterstadt", "--business-key", "AZ-E-8"])
    assert result.exit_code == 0, result.output
    assert "case AZ-E-8: 3 payload(s), 0 message(s) erased" in result.output
    session.expire_all()
    assert session.get(ProcessInstance, case["id"]).erased_at is not None
    assert trail(api, case["id"])[-1]["actor"].startswith("cli:")
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    missing = runner.invoke(cli, ["privacy", "erase", "--municipality", "musterstadt", "--business-key", "AZ-X"])
    assert missing.exit_code == 1 and "no case with business key 'AZ-X'" in missing.output


def test_payload_rows_can_only_become_tombstones_on_postgresql(api, deployed, session, backend):
    case = walk(api, "AZ-E-9")
    session.commit()
    row = session.scalar(select(AuditPayload).where(AuditPayload.instance_id == case["id"]).limit(1))
    statement = "UPDATE audit_payload SET content = '{\"antragsteller\": \"X\"}' WHERE id = :i"
    if backend == "postgresql":
        with pytest.raises(DBAPIError, match="payloads can only be erased"):
            session.execute(text(statement), {"i": row.id})
        session.rollback()
        with pytest.raises(DBAPIError, match="payloads can only be erased"):
            session.execute(text("DELETE FROM audit_payload WHERE id = :i"), {"i": row.id})
        session.rollback()
    else:
        with attacker(session) as sql:
            sql(statement, i=row.id)
        assert not verify(session).ok


def _handoff(api, business_key: str, antrag: dict) -> dict:
    """A sender case (Ausländerbehörde) that throws its `antrag` to the receiving pathway of the same case."""
    case = api.start("erstorientierung", business_key).get_json()
    done = api.as_("abh").post(f"/api/tasks/{case['active_tasks'][0]['id']}/complete", {"data": {"antrag": antrag}})
    assert done.status_code == 200, done.get_json()
    return case


def test_erasure_clears_the_payloads_of_the_cases_messages(api, session):
    from app.instances.models import PendingMessage

    api.deploy("handoff_receiver.bpmn")
    api.deploy("handoff_sender.bpmn")
    sender = _handoff(api, "AZ-E-10", {"leistungsart": "SGB II", "antragsteller": "Erika Mustermann"})
    other = _handoff(api, "AZ-E-11", {"leistungsart": "SGB XII", "antragsteller": "Max Mustermann"})
    for received in api.as_("jc").tasks():
        if received["business_key"] == "AZ-E-10":
            assert api.as_("jc").post(f"/api/tasks/{received['id']}/complete", {"data": {}}).status_code == 200
    response = _erase(api, "AZ-E-10")
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    mine = session.scalar(select(PendingMessage).where(PendingMessage.source_instance_id == sender["id"]))
    theirs = session.scalar(select(PendingMessage).where(PendingMessage.source_instance_id == other["id"]))
    assert (mine.status, mine.payload) == ("delivered", {})
    assert theirs.payload["antragsteller"] == "Max Mustermann"
    result = response.get_json()
    assert result["messages_erased"] == 1
    assert sum(item["messages"] for item in result["instances"]) == 1
    # neither office that worked on the case reads the name any more
    seen = [api.as_(user).get(f"/api/instances/{i['instance_id']}/audit").get_json()
            for i in result["instances"] for user in ("abh", "jc")]
    assert "Erika" not in str(seen)
    erased = [e for e in trail(api, sender["id"]) if e["kind"] == "erased"]
    assert erased[0]["details"]["messages"] == 1
    again = _erase(api, "AZ-E-10").get_json()
    assert again["messages_erased"] == 0 and again["payloads_erased"] == 0
    assert verify(session).ok


def test_erasure_withdraws_a_message_the_case_sent_that_was_never_delivered(app, api, session, clock):
    from app.instances.messages import deliver_pending
    from app.instances.models import PendingMessage

    api.deploy("handoff_sender.bpmn")
    case = _handoff(api, "AZ-E-12", {"antragsteller": "Erika Mustermann"})
    erased = _erase(api, "AZ-E-12")
    session.expire_all()
    message = session.scalar(select(PendingMessage).where(PendingMessage.source_instance_id == case["id"]))
    assert (message.status, message.payload) == ("erased", {})
    assert erased.get_json()["messages_erased"] == 1
    # the receiving process exists now, but the erased case's hand-off is never delivered
    api.deploy("handoff_receiver.bpmn")
    assert deliver_pending(session, clock=clock) == 0
    assert api.as_("jc").tasks() == []
