"""P4 Sprache, Arbeitsmarktintegration & Anerkennung: course from one issuer, recognition with consent, work."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from app.engine.calendar import BERLIN
from tests.factories import case_variables
from tests.pathways.conftest import kinds

KEY = "MS-2026-0004"
SPRACHZUGANG = {"name": "Haddad", "vorname": "Amina", "aufenthaltsstatus": "Aufenthaltsgestattung",
                "rechtskreis": "AsylbLG", "sprachniveau": "A1"}


def test_course_recognition_and_job_report_the_job_to_p2_when_it_waits(pathways, clock):
    assert pathways.send("Sprachzugang", KEY, SPRACHZUGANG, user="kim")["started"] is True
    assert pathways.task(KEY, "p4_kompetenzen")["office"] == "KIM-Case-Management"
    pathways.complete(KEY, "p4_kompetenzen", auslaendischer_abschluss=True, referenzberuf="Elektronikerin")
    assert pathways.task(KEY, "p4_berechtigung_abh")["office"] == "Ausländerbehörde"
    pathways.walk(KEY, "p4_berechtigung_abh", "p4_kursanmeldung")
    start = pathways.task(KEY, "p4_kursbeginn")
    assert datetime.fromisoformat(start["due_at"]).date() == (
        datetime.fromisoformat(start["created_at"]) + timedelta(weeks=6)).date()
    pathways.walk(KEY, "p4_kursbeginn", "p4_kursergebnis")
    # recognition needs consent (P5): its tasks work for the calling Kommunales Integrationszentrum
    assert pathways.task(KEY, "p5_zweck")["office"] == "Kommunales Integrationszentrum"
    pathways.walk(KEY, "p5_zweck", "p5_aufklaerung", "p4_anerkennungsberatung")
    assert pathways.task(KEY, "p4_anerkennung_eingang")["legal_source"].startswith("§ 6 Abs. 2 BQFG")
    pathways.walk(KEY, "p4_anerkennung_eingang", "p4_anerkennung_bescheid")
    assert pathways.task(KEY, "p4_anpassung")["office"] == "Agentur für Arbeit"
    pathways.walk(KEY, "p4_anpassung", "p4_vermittlung")
    assert pathways.task(KEY, "p4_ba_zustimmung")["office"] == "Agentur für Arbeit"
    pathways.complete(KEY, "p4_ba_zustimmung")
    assert pathways.complete(KEY, "p4_beschaeftigungserlaubnis")["instance_status"] == "completed"

    # nobody waits for "Arbeitsaufnahme" yet: the message stays pending and is retried
    p4_trail = pathways.audit(pathways.instances(KEY)["p4_sprache_arbeit"]["id"])
    assert [e["details"]["message"] for e in p4_trail if e["kind"] == "message_sent"] == ["Arbeitsaufnahme"]
    pathways.send("Leistungsantrag", KEY, {**SPRACHZUGANG}, user="kim")
    pathways.complete(KEY, "p2_asylblg_bewilligen")
    pathways.tick(clock.now() + timedelta(minutes=1))
    job = pathways.task(KEY, "p2_erwerb_asylblg")
    assert job["office"] == "Sozialamt" and job["legal_source"] == "§ 8a AsylbLG"
    # the message payload is an entry of the Sozialamt (the lane of the catching event): the Sozialamt reads it
    p2 = pathways.api.as_("soz").get(f"/api/instances/{pathways.instances(KEY)['p2_leistungsbezug']['id']}")
    assert p2.get_json()["data"]["arbeitgeber"] == "Pflegedienst Lindenhof"


def test_late_course_warns_coordination_and_silent_employment_agency_counts_as_consent(pathways, clock):
    pathways.send("SGBII_bewilligt", KEY, {**SPRACHZUGANG, "aufenthaltsstatus": "Duldung", "rechtskreis": "SGB II"},
                  user="jc")
    assert pathways.task(KEY, "p4_potenzialanalyse")["office"] == "Jobcenter"
    pathways.complete(KEY, "p4_potenzialanalyse")
    issued = clock.now().astimezone(BERLIN).date()
    pathways.complete(KEY, "p4_verpflichtung_jc", ausgestellt_am=issued.isoformat())
    pathways.complete(KEY, "p4_kursanmeldung")
    course = pathways.task(KEY, "p4_kursbeginn")
    created = datetime.fromisoformat(course["created_at"])
    assert pathways.tick(created + timedelta(weeks=6, days=1)).escalated == 1
    # The local 8 weeks count from the entitlement (lotse:dueFrom) and end with their last day (24:00 Berlin).
    last_day_end = datetime.combine(issued + timedelta(weeks=8), time.max, tzinfo=BERLIN)
    pathways.tick(last_day_end)
    assert "p4_kurszugang_klaeren" not in [t["element_id"] for t in pathways.tasks(KEY)]
    pathways.tick(last_day_end + timedelta(minutes=1))
    assert pathways.task(KEY, "p4_kurszugang_klaeren")["office"] == "KIM-Koordination"
    pathways.complete(KEY, "p4_kursbeginn")
    pathways.complete(KEY, "p4_kursergebnis", testergebnis="A2")
    pathways.complete(KEY, "p4_anschlussfoerderung")
    pathways.complete(KEY, "p4_kooperationsplan", arbeitsaufnahme=False, arbeitgeber=None,
                      beschaeftigungsbeginn=None, wochenstunden=None, bruttolohn=None)
    assert "p4_kooperationsplan" not in [t["element_id"] for t in pathways.tasks(KEY)]
    pathways.tick(clock.now() + timedelta(days=93))
    assert pathways.task(KEY, "p4_kooperationsplan")["office"] == "Jobcenter"
    pathways.complete(KEY, "p4_kooperationsplan")
    consent = pathways.task(KEY, "p4_ba_zustimmung")
    assert consent["legal_source"].endswith("(Zustimmungsfiktion nach 2 Wochen)")
    # § 36 Abs. 2 BeschV: the two weeks end with their last day, so the fiction holds from the next midnight.
    fourteenth = datetime.fromisoformat(consent["created_at"]).astimezone(BERLIN).date() + timedelta(days=14)
    pathways.tick(datetime.combine(fourteenth, time(23, 0), tzinfo=BERLIN))
    assert pathways.task(KEY, "p4_ba_zustimmung")["office"] == "Agentur für Arbeit"
    pathways.tick(datetime.combine(fourteenth + timedelta(days=1), time(0, 1), tzinfo=BERLIN))
    assert pathways.task(KEY, "p4_beschaeftigungserlaubnis")["office"] == "Ausländerbehörde"
    case = pathways.instances(KEY)["p4_sprache_arbeit"]
    assert case_variables(case["id"])["ba_zustimmung"] == "fingiert (§ 36 Abs. 2 BeschV)"  # set by the engine
    trail = pathways.audit(case["id"])
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == [
        "p4_timer_kurszugang", "p4_timer_wiedervorlage", "p4_timer_zustimmung"]
    assert [e["element_id"] for e in trail if e["kind"] == "task_cancelled"] == ["p4_ba_zustimmung"]
    assert "escalated" in kinds(trail)
