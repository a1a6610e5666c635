"""P2 Aufenthalt & Leistungsbezug: AsylbLG, the BAMF decision, the switch to SGB II and its hand-off to P4."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.engine.calendar import due_at
from tests.pathways.conftest import kinds

KEY = "MS-2026-0002"
ANTRAG = {"name": "Haddad", "vorname": "Amina", "rechtskreis": "AsylbLG", "aufenthaltsstatus": "Aufenthaltsgestattung",
          "uebermittlung": "Einwilligung vom 2026-03-02"}


def test_recognition_switches_from_asylblg_to_sgb2_and_starts_language_and_work(pathways, clock):
    started = pathways.send("Leistungsantrag", KEY, ANTRAG, user="kim")
    assert started["started"] is True
    task = pathways.task(KEY, "p2_asylblg_bewilligen")
    assert task["office"] == "Sozialamt"
    assert datetime.fromisoformat(task["due_at"]) == due_at(datetime.fromisoformat(task["created_at"]), "P14D")
    pathways.complete(KEY, "p2_asylblg_bewilligen")
    assert pathways.tasks(KEY) == []  # waiting for the BAMF, a job, or the 36-month check

    clock.advance(days=40)
    pathways.send("Asylbescheid", KEY, {"bamf_entscheidung": "Flüchtlingsschutz"}, user="abh")
    assert pathways.task(KEY, "p2_ae_erteilen")["office"] == "Ausländerbehörde"
    pathways.complete(KEY, "p2_ae_erteilen")
    offices = {t["element_id"]: t["office"] for t in pathways.tasks(KEY)}
    assert offices == {"p2_wohnsitz": "Ausländerbehörde", "p2_asylblg_einstellen": "Sozialamt",
                       "p2_sgb2_antrag": "Jobcenter"}
    pathways.walk(KEY, "p2_sgb2_antrag", "p2_asylblg_einstellen", "p2_wohnsitz")
    pathways.complete(KEY, "p2_sgb2_bewilligen")

    # the Jobcenter's approval starts P4 for the same person, with the new status
    cases = pathways.instances(KEY)
    assert set(cases) == {"p2_leistungsbezug", "p4_sprache_arbeit"}
    assert pathways.task(KEY, "p4_potenzialanalyse")["office"] == "Jobcenter"
    # the start payload is an entry of the Jobcenter (the lane of the message start): the Jobcenter reads it
    p4 = pathways.api.as_("jc").get(f"/api/instances/{cases['p4_sprache_arbeit']['id']}").get_json()
    assert p4["data"]["aufenthaltsstatus"] == "Aufenthaltserlaubnis" and p4["data"]["rechtskreis"] == "SGB II"

    pathways.send("Arbeitsaufnahme", KEY, {"arbeitgeber": "Stadtwerke", "beschaeftigungsbeginn": "2026-06-01",
                                           "wochenstunden": 39, "bruttolohn": 2900}, user="jc")
    pathways.complete(KEY, "p2_einkommen", hilfebeduerftig=False)
    p2 = pathways.instances(KEY)["p2_leistungsbezug"]
    assert p2["status"] == "running"  # the residence title is still watched
    pathways.tick(datetime.fromisoformat("2029-01-14T09:00:00+01:00"))
    renewal = pathways.task(KEY, "p2_verlaengerung")
    assert renewal["office"] == "Ausländerbehörde" and "§ 81 Abs. 4 AufenthG" in renewal["legal_source"]
    # Invited 3 months before the title expires (Sun 14 Jan 2029 -> Fri 12 Jan); due with the expiry day itself.
    assert renewal["due_from"] == "2029-04-14" and renewal["against"] == "person"
    assert datetime.fromisoformat(renewal["due_at"]) == datetime.fromisoformat("2029-04-14T23:59:59.999999+02:00")
    assert pathways.complete(KEY, "p2_verlaengerung")["instance_status"] == "completed"

    trail = pathways.audit(p2["id"])
    assert [e["details"]["message"] for e in trail if e["kind"] == "message_correlated"] == [
        "Leistungsantrag", "Asylbescheid", "Arbeitsaufnahme"]
    assert [e["details"]["message"] for e in trail if e["kind"] == "message_sent"] == ["SGBII_bewilligt"]
    assert "p2_timer_verlaengerung" in [e["element_id"] for e in trail if e["kind"] == "timer_fired"]
    assert kinds(trail)[-1] == "instance_completed"


def test_slow_decision_escalates_warns_before_inaction_suit_and_refusal_gets_legal_advice(pathways, clock):
    pathways.send("Leistungsantrag", KEY, ANTRAG, user="kim")
    task = pathways.task(KEY, "p2_asylblg_bewilligen")
    run = pathways.tick(datetime.fromisoformat(task["due_at"]) + timedelta(minutes=5))
    assert run.escalated == 1
    assert [n["kind"] for n in pathways.notifications("soz_lead")] == ["escalation"]

    pathways.tick(clock.now() + timedelta(days=160))
    warning = pathways.task(KEY, "p2_untaetigkeit")
    assert warning["office"] == "Sozialamt" and warning["legal_source"] == "§ 88 Abs. 1 SGG (6 Monate)"
    assert pathways.task(KEY, "p2_asylblg_bewilligen")["id"] == task["id"]
    pathways.walk(KEY, "p2_untaetigkeit", "p2_asylblg_bewilligen")

    pathways.send("Asylbescheid", KEY, {"bamf_entscheidung": "Ablehnung als offensichtlich unbegründet"})
    advice = pathways.task(KEY, "p2_rechtsberatung")
    assert advice["office"] == "KIM-Case-Management"
    created = datetime.fromisoformat(advice["created_at"])
    assert datetime.fromisoformat(advice["due_at"]) == created + timedelta(hours=48)
    assert pathways.tick(clock.now() + timedelta(hours=49)).escalated == 1
    assert [n["kind"] for n in pathways.notifications("kim_lead")] == ["escalation"]
    pathways.complete(KEY, "p2_rechtsberatung")
    # back to waiting: a court decision arrives as the next Asylbescheid
    pathways.send("Asylbescheid", KEY, {"bamf_entscheidung": "subsidiärer Schutz"})
    assert pathways.task(KEY, "p2_ae_erteilen")["office"] == "Ausländerbehörde"
    trail = pathways.audit(pathways.instances(KEY)["p2_leistungsbezug"]["id"])
    escalated = [e["element_id"] for e in trail if e["kind"] == "escalated"]
    assert escalated == ["p2_asylblg_bewilligen", "p2_rechtsberatung"]
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == ["p2_timer_untaetigkeit"]
