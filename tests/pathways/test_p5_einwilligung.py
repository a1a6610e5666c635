"""P5 Einwilligung & Datenfreigabe, called from P1: legal basis, hard blocks, consent and its deadline."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.factories import case_variables

KEY = "MS-2026-0005"


def _open(pathways):
    return {t["element_id"]: t["office"] for t in pathways.tasks(KEY)}


def _release(pathways):
    """The outcome P5 hands back to P1: variables the engine computed (no office's entry)."""
    return case_variables(pathways.instances(KEY)["p1_ankommen"]["id"])


def test_statutory_basis_needs_no_consent(pathways):
    pathways.start_p1(KEY)
    pathways.complete(KEY, "p1_fall_anlegen")
    pathways.complete(KEY, "p5_zweck", ds_rechtsgrundlage="§ 69 SGB X")
    assert _open(pathways) == {"p1_clearing": "KIM-Case-Management", "p1_meldestatus": "Bürgerbüro"}
    data = _release(pathways)
    assert (data["ds_freigabe"], data["ds_rechtsgrundlage_tag"]) == ("gesetzlich", "gesetzlich: § 69 SGB X")


def test_school_data_never_go_to_the_foreigners_office(pathways):
    pathways.start_p1(KEY)
    pathways.complete(KEY, "p1_fall_anlegen")
    pathways.complete(KEY, "p5_zweck", ds_rechtsgrundlage="§ 87 AufenthG", ds_empfaenger=["Ausländerbehörde"],
                      ds_sperrgrund="Schule/Kita an Ausländerbehörde")
    assert _open(pathways) == {"p1_anonyme_beratung": "KIM-Case-Management"}
    assert _release(pathways)["ds_freigabe"] == "gesperrt"


def test_health_data_need_a_check_by_data_protection_coordination(pathways):
    pathways.start_p1(KEY)
    pathways.complete(KEY, "p1_fall_anlegen")
    pathways.complete(KEY, "p5_zweck", ds_sperrgrund="Gesundheitsdaten (Art. 9 DSGVO)")
    pathways.complete(KEY, "p5_aufklaerung")
    check = pathways.task(KEY, "p5_dsk_pruefung")
    assert check["office"] == "Datenschutz-Koordination" and check["calendar"] == "werktage-nrw"
    pathways.complete(KEY, "p5_dsk_pruefung")
    assert "p1_clearing" in _open(pathways)
    assert _release(pathways)["ds_freigabe"] == "einwilligung"


def test_refusal_and_missing_consent_limit_the_case_to_anonymous_counselling(pathways, clock):
    pathways.start_p1(KEY)
    pathways.walk(KEY, "p1_fall_anlegen", "p5_zweck")
    consent = pathways.task(KEY, "p5_aufklaerung")
    assert consent["office"] == "KIM-Case-Management"
    created = datetime.fromisoformat(consent["created_at"])
    # 5 days from Monday 2 March end on Saturday; § 193 BGB moves the deadline to Monday 9 March
    due = datetime.fromisoformat(consent["due_at"])
    assert due == datetime.fromisoformat("2026-03-09T23:59:59.999999+01:00")
    assert pathways.tick(due + timedelta(minutes=1)).escalated == 1
    pathways.tick(created + timedelta(days=14, minutes=1))
    assert _open(pathways) == {"p1_anonyme_beratung": "KIM-Case-Management"}
    assert _release(pathways)["ds_freigabe"] == "keine Einwilligung"
    trail = pathways.audit(pathways.instances(KEY)["p1_ankommen"]["id"])
    assert [e["element_id"] for e in trail if e["kind"] == "timer_fired"] == ["p5_timer_einwilligung"]
    assert [e["element_id"] for e in trail if e["kind"] == "task_cancelled"] == ["p5_aufklaerung"]

    other = "MS-2026-0006"
    pathways.start_p1(other)
    pathways.walk(other, "p1_fall_anlegen", "p5_zweck")
    pathways.complete(other, "p5_aufklaerung", ds_einwilligung="verweigert", ds_form=None, ds_erteilt_am=None,
                      ds_gueltig_bis=None)
    assert [t["element_id"] for t in pathways.tasks(other)] == ["p1_anonyme_beratung"]
