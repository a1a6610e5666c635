"""P3 Unbegleitete minderjährige Ausländer: from P1's report through distribution to the way into adulthood."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.engine.calendar import working_days_between
from tests.pathways.conftest import kinds

KEY = "MS-2026-0003"


def _created(task):
    return datetime.fromisoformat(task["created_at"])


def test_minor_reported_by_kim_stays_gets_a_guardian_and_returns_to_p1_as_adult(pathways, clock):
    pathways.start_p1(KEY)
    pathways.walk(KEY, "p1_fall_anlegen", "p5_zweck", "p5_aufklaerung", "p1_meldestatus")
    pathways.complete(KEY, "p1_clearing", unbegleitet_minderjaehrig=True, rechtskreis="keiner",
                      kinder_schulpflichtig=0, kinder_unter_6=0)
    assert set(pathways.instances(KEY)) == {"p1_ankommen", "p3_uma"}
    first = pathways.task(KEY, "p3_inobhutnahme")
    assert first["office"] == "Jugendamt"
    assert datetime.fromisoformat(first["due_at"]) == _created(first) + timedelta(hours=24)
    pathways.complete(KEY, "p3_inobhutnahme", kim_fall_bekannt=True)
    pathways.complete(KEY, "p3_alterseinschaetzung", identitaetszweifel=True)
    assert pathways.task(KEY, "p3_ed_behandlung")["office"] == "Ausländerbehörde"
    clock.advance(days=1)
    pathways.complete(KEY, "p3_screening")
    report = pathways.task(KEY, "p3_meldung_landesstelle")
    assert report["office"] == "Jugendamt" and report["calendar"] == "werktage-nrw"
    assert report["legal_source"] == "§ 42a Abs. 4 SGB VIII"
    # § 42a Abs. 4: 7 Werktage from the start of provisional custody (aufgriff_am, Mon 2 Mar), not from this task
    due = datetime.fromisoformat(report["due_at"])
    assert report["due_from"] == "2026-03-02" and report["due_from_label"] == "Beginn der vorläufigen Inobhutnahme"
    assert due == datetime.fromisoformat("2026-03-11T23:59:59.999999+01:00")
    assert working_days_between(datetime.fromisoformat("2026-03-02T12:00:00+01:00"), due) == 7
    pathways.complete(KEY, "p3_meldung_landesstelle")
    assert pathways.send("Verteilentscheidung", KEY, {"verteilung": "Verbleib"}, user="ja")["started"] is False
    pathways.walk(KEY, "p3_vormundschaft", "p3_vormund_nachhalten", "p3_perspektive", "p3_ed_behandlung")
    handover = (clock.now() + timedelta(days=30)).date()
    # § 41 SGB VIII: transition planning starts one year before the planned end of help (lotse:dueIn -P1Y).
    pathways.complete(KEY, "p3_hilfeplan", hilfeende_geplant=handover.replace(year=handover.year + 1).isoformat())
    assert pathways.task(KEY, "p3_schulplatz")["office"] == "Schulamt"
    pathways.complete(KEY, "p3_schulplatz")
    pathways.tick(datetime.fromisoformat(f"{handover + timedelta(days=1)}T10:00:00+01:00"))
    assert pathways.task(KEY, "p3_uebergang")["office"] == "Jugendamt"
    assert pathways.complete(KEY, "p3_uebergang")["instance_status"] == "completed"

    # P1 waited for the Jugendamt; as an adult the person now gets a benefit claim (SGB II) from KIM
    assert pathways.task(KEY, "p1_leistungsantrag")["office"] == "KIM-Case-Management"
    p1_trail = pathways.audit(pathways.instances(KEY)["p1_ankommen"]["id"])
    assert [e["details"]["message"] for e in p1_trail if e["kind"] == "message_correlated"] == ["Volljaehrigkeit"]
    p3_trail = pathways.audit(pathways.instances(KEY)["p3_uma"]["id"])
    assert [e["details"]["message"] for e in p3_trail if e["kind"] == "message_sent"] == ["Volljaehrigkeit"]
    assert "instance_completed" in kinds(p3_trail)


def test_one_month_without_distribution_excludes_it_and_late_report_escalates(pathways, clock):
    assert pathways.send("UMA_erkannt", KEY, {"aufgriffsort": "Polizeiwache Mitte"}, user="ja")["started"] is True
    first = pathways.task(KEY, "p3_inobhutnahme")
    assert pathways.tick(_created(first) + timedelta(hours=25)).escalated == 1
    assert [n["kind"] for n in pathways.notifications("ja_lead")] == ["escalation"]
    pathways.walk(KEY, "p3_inobhutnahme", "p3_alterseinschaetzung", "p3_screening")
    start = clock.now()
    report = pathways.task(KEY, "p3_meldung_landesstelle")
    assert pathways.tick(datetime.fromisoformat(report["due_at"]) + timedelta(minutes=1)).escalated == 1
    pathways.tick(start + timedelta(days=31, minutes=1))  # March has 31 days: one month is 31 days here
    assert pathways.task(KEY, "p3_vormundschaft")["office"] == "Jugendamt"
    assert "p3_meldung_landesstelle" not in [t["element_id"] for t in pathways.tasks(KEY)]
    trail = pathways.audit(pathways.instances(KEY)["p3_uma"]["id"])
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == ["p3_timer_monatsfrist"]
    assert [e["element_id"] for e in trail if e["kind"] == "task_cancelled"] == ["p3_meldung_landesstelle"]
    assert [e["element_id"] for e in trail if e["kind"] == "escalated"] == ["p3_inobhutnahme",
                                                                            "p3_meldung_landesstelle"]


def test_doubt_goes_to_the_health_office_and_an_adult_continues_in_p2(pathways):
    pathways.send("UMA_erkannt", KEY, {}, user="ja")
    pathways.complete(KEY, "p3_inobhutnahme")
    pathways.complete(KEY, "p3_alterseinschaetzung", alter_ergebnis="Zweifel: ärztliche Untersuchung")
    assert pathways.task(KEY, "p3_aerztliche_untersuchung")["office"] == "Gesundheitsamt"
    pathways.complete(KEY, "p3_aerztliche_untersuchung", alter_ergebnis="volljährig")
    pathways.complete(KEY, "p3_alterseinschaetzung", alter_ergebnis="volljährig")
    pathways.complete(KEY, "p3_bescheid_volljaehrig")
    # no P1 case waits for this person, so the message starts P2 (message start event)
    assert set(pathways.instances(KEY)) == {"p3_uma", "p2_leistungsbezug"}
    assert pathways.task(KEY, "p2_asylblg_bewilligen")["office"] == "Sozialamt"
