"""P1 Ankommen & Erstorientierung: the KIM case hands off to P2 and P4 and tracks school, day care and health."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.engine.calendar import due_at
from tests.pathways.conftest import kinds

KEY = "MS-2026-0001"


def _created(task):
    return datetime.fromisoformat(task["created_at"])


def test_main_path_hands_off_to_benefits_and_language(pathways, clock):
    case = pathways.start_p1(KEY)
    first = case["active_tasks"][0]
    assert (first["element_id"], first["office"]) == ("p1_fall_anlegen", "KIM-Case-Management")
    assert datetime.fromisoformat(first["due_at"]) == due_at(_created(first), "P2D", "werktage-nrw")

    pathways.complete(KEY, "p1_fall_anlegen")
    # P5 is called; its "Anfragende Stelle" lane is no office, so the task works for the calling KIM lane
    assert pathways.task(KEY, "p5_zweck")["office"] == "KIM-Case-Management"
    pathways.walk(KEY, "p5_zweck", "p5_aufklaerung")
    offices = {t["element_id"]: t["office"] for t in pathways.tasks(KEY)}
    assert offices == {"p1_clearing": "KIM-Case-Management", "p1_meldestatus": "Bürgerbüro"}
    melde = pathways.task(KEY, "p1_meldestatus")
    assert datetime.fromisoformat(melde["due_at"]) == due_at(_created(melde), "P14D")
    assert melde["legal_source"] == "§ 17 Abs. 1 BMG"

    pathways.walk(KEY, "p1_clearing", "p1_meldestatus")
    clock.advance(days=1)
    pathways.complete(KEY, "p1_leistungsantrag")
    cases = pathways.instances(KEY)
    assert set(cases) == {"p1_ankommen", "p2_leistungsbezug"}
    assert cases["p2_leistungsbezug"]["started_by"] == "system"
    offices = {t["element_id"]: t["office"] for t in pathways.tasks(KEY)}
    assert offices == {"p2_asylblg_bewilligen": "Sozialamt", "p1_sprachzugang": "KIM-Case-Management",
                       "p1_gesundheit": "Sozialamt", "p1_schulberatung": "Kommunales Integrationszentrum",
                       "p1_kita": "Jugendamt"}

    pathways.complete(KEY, "p1_sprachzugang")
    assert "p4_sprache_arbeit" in pathways.instances(KEY)
    assert pathways.task(KEY, "p4_kompetenzen")["office"] == "KIM-Case-Management"
    pathways.walk(KEY, "p1_gesundheit", "p1_schulberatung")
    assert pathways.task(KEY, "p1_schulplatz")["office"] == "Schulamt"
    pathways.walk(KEY, "p1_schulplatz", "p1_kita", "p1_integrationsplan")
    pathways.complete(KEY, "p1_plan_review", blockade=True)
    pathways.complete(KEY, "p1_fallkonferenz", generatives_thema=True)
    assert pathways.task(KEY, "p1_generatives_thema")["office"] == "KIM-Koordination"
    pathways.complete(KEY, "p1_generatives_thema")
    pathways.complete(KEY, "p1_plan_review", ziele_erreicht=True)
    result = pathways.complete(KEY, "p1_abschluss")
    assert result["instance_status"] == "completed"

    p1 = pathways.instances(KEY)["p1_ankommen"]
    trail = pathways.audit(p1["id"])
    sent = [e["details"]["message"] for e in trail if e["kind"] == "message_sent"]
    assert sent == ["Leistungsantrag", "Sprachzugang"]
    assert kinds(trail)[0] == "instance_started" and kinds(trail)[-1] == "instance_completed"
    assert {e["office"] for e in trail if e["kind"] == "task_completed"} >= {
        "KIM-Case-Management", "Bürgerbüro", "Sozialamt", "Kommunales Integrationszentrum", "Schulamt",
        "Jugendamt", "KIM-Koordination"}
    p2_trail = pathways.audit(pathways.instances(KEY)["p2_leistungsbezug"]["id"])
    assert "message_correlated" in kinds(p2_trail)


def test_missed_registration_escalates_and_open_school_place_warns_the_coordination(pathways, clock):
    pathways.start_p1(KEY)
    pathways.walk(KEY, "p1_fall_anlegen", "p5_zweck", "p5_aufklaerung")
    melde = pathways.task(KEY, "p1_meldestatus")
    pathways.complete(KEY, "p1_clearing", rechtskreis="keiner", kinder_unter_6=0)
    assert pathways.tick(datetime.fromisoformat(melde["due_at"]) + timedelta(hours=1)).escalated == 1
    [note] = pathways.notifications("bb_lead")
    assert note["kind"] == "escalation" and "§ 17 Abs. 1 BMG" in note["body"]
    pathways.complete(KEY, "p1_meldestatus")
    pathways.complete(KEY, "p1_sprachzugang", sprachkurs_bedarf=False)
    pathways.complete(KEY, "p1_schulberatung")
    place = pathways.task(KEY, "p1_schulplatz")
    pathways.tick(_created(place) + timedelta(days=21, minutes=1))
    warning = pathways.task(KEY, "p1_schulplatz_nachhalten")
    assert warning["office"] == "KIM-Koordination"
    assert pathways.task(KEY, "p1_schulplatz")["id"] == place["id"]  # the warning does not interrupt
    trail = pathways.audit(pathways.instances(KEY)["p1_ankommen"]["id"])
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == ["p1_timer_schulplatz"]
    escalation = [e for e in trail if e["kind"] == "escalated"][0]
    assert (escalation["office"], escalation["element_id"]) == ("Bürgerbüro", "p1_meldestatus")
    assert set(pathways.instances(KEY)) == {"p1_ankommen"}  # no benefit claim, no language course
