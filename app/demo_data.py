"""Sample answers for every user task of the reference pathways P1–P5 (valid for their forms).

The demo completes tasks with these answers; the pathway tests use them too, so a form change that breaks
the demo also breaks a test. `answer(element_id, **changes)` returns a fresh copy with changes applied.
"""
from __future__ import annotations

import copy
from typing import Any

PERSON = {"name": "Haddad", "vorname": "Amina", "geburtsdatum": "1991-04-17"}

ANSWERS: dict[str, dict[str, Any]] = {
    # P5 Einwilligung & Datenfreigabe
    "p5_zweck": {"ds_zweck": "KIM-Case-Management (Beratung und Begleitung)",
                 "ds_empfaenger": ["Sozialamt", "Jobcenter", "Kommunales Integrationszentrum"],
                 "ds_datenkategorien": ["Stammdaten", "Aufenthalt", "Leistungen"],
                 "ds_rechtsgrundlage": "keine (Einwilligung nötig)", "ds_sperrgrund": "keiner"},
    "p5_aufklaerung": {"ds_sprache": "Arabisch", "ds_dolmetschung": True, "ds_info_zweck": True,
                       "ds_info_empfaenger": True, "ds_info_folgen": True, "ds_info_widerruf": True,
                       "ds_einwilligung": "erteilt", "ds_erteilt_durch": "Amina Haddad", "ds_form": "schriftlich",
                       "ds_erteilt_am": "2026-03-03", "ds_gueltig_bis": "2027-03-03"},
    "p5_dsk_pruefung": {"ds_pruefung": "bestätigt",
                        "ds_pruefung_begruendung": "Ausdrückliche, schriftliche Einwilligung je Zweck liegt vor."},
    # P1 Ankommen & Erstorientierung
    "p1_fall_anlegen": {**PERSON, "geschlecht": "weiblich", "staatsangehoerigkeit": "syrisch",
                        "sprachen": "Arabisch, Englisch", "dolmetscherbedarf": True,
                        "zugang": "Zuweisung durch das Land", "unterkunft": "Übergangsheim Lindenstraße 4",
                        "zuweisung_datum": "2026-02-26", "wohnsitzauflage": True,
                        "aufenthaltsdokument": "Aufenthaltsgestattung", "dokument_gueltig_bis": "2026-08-31"},
    "p1_anonyme_beratung": {"beratungsthemen": ["Aufenthalt", "Existenzsicherung"],
                            "weiterverwiesen_an": "Migrationsberatung der Caritas"},
    "p1_meldestatus": {"gemeldet": True, "einzugsdatum": "2026-02-27", "wohnungsgeberbestaetigung": True,
                       "anmeldung_am": "2026-03-04"},
    "p1_clearing": {"themen": ["Aufenthalt", "Existenzsicherung", "Kinder (Schule, Kita)", "Sprache"],
                    "aufenthaltsstatus": "Aufenthaltsgestattung", "unbegleitet_minderjaehrig": False,
                    "erwerbsfaehig": True, "rechtskreis": "AsylbLG", "kinder_schulpflichtig": 1, "kinder_unter_6": 1},
    "p1_leistungsantrag": {"antrag_datum": "2026-03-05", "haushaltsgroesse": 3, "nachweise_vollstaendig": True},
    "p1_sprachzugang": {"sprachniveau": "A1", "alphabetisierung_noetig": False, "berechtigung_vorhanden": False,
                        "sprachkurs_bedarf": True},
    "p1_gesundheit": {"versorgung": "eGK", "ausgegeben_am": "2026-03-09", "impfangebot": True},
    "p1_schulberatung": {"kinder": [{"name": "Karim Haddad", "geburtsdatum": "2016-09-02", "schuljahre": 3,
                                     "sprachniveau": "keine Kenntnisse"}],
                         "empfohlene_schulform": "Grundschule", "anfrage_am": "2026-03-10"},
    "p1_schulplatz": {"schule": "Gemeinschaftsgrundschule Am Park", "aufnahme_am": "2026-03-23"},
    "p1_schulplatz_nachhalten": {"ursache": "keine Kapazität",
                                 "massnahme": "Schulamt prüft Mehrklasse; Rückmeldung bis Freitag."},
    "p1_kita": {"betreuungsumfang": "35 Stunden", "platz_zugesagt": True, "kita": "Kita Sonnenblume",
                "beginn": "2026-04-01"},
    "p1_integrationsplan": {"ziele": [{"ziel": "Integrationskurs bis Sommer beginnen", "stelle": "KIM-Case-Management",
                                       "termin": "2026-06-30"},
                                      {"ziel": "Schulplatz für Karim", "stelle": "Schulamt", "termin": "2026-04-15"}],
                            "vereinbart_am": "2026-03-20"},
    "p1_plan_review": {"ziele_erreicht": False, "blockade": False, "zielstatus": "Kurs beginnt im Mai."},
    "p1_fallkonferenz": {"teilnehmende_stellen": ["KIM-Case-Management", "Schulamt"],
                         "ergebnis": "Schulamt richtet Vorbereitungsklasse ein.", "generatives_thema": False},
    "p1_generatives_thema": {"thema": "Zu wenige Plätze in Vorbereitungsklassen",
                             "betroffene_stellen": ["Schulamt", "Kommunales Integrationszentrum"],
                             "vorschlag": "Zusätzliche Vorbereitungsklasse zum Halbjahr.", "gemeldet_am": "2026-05-04"},
    "p1_abschluss": {"abschlussgrund": "Übergabe an das Regelsystem",
                     "uebergabe_an": "Migrationsberatung für Erwachsene",
                     "abschluss_am": "2026-09-30"},
    # P2 Aufenthalt & Leistungsbezug
    "p2_zustaendigkeit": {"rechtskreis": "AsylbLG", "eingangsdatum": "2026-03-05"},
    "p2_asylblg_bewilligen": {"leistung_bewilligt": True, "bescheid_datum": "2026-03-12",
                              "leistungsbeginn": "2026-03-01", "einreisedatum": "2026-02-10",
                              "unterkunft": "Gemeinschaftsunterkunft"},
    "p2_sgb12_bewilligen": {"leistung_bewilligt": True, "bescheid_datum": "2026-03-12",
                            "leistungsart": "Grundsicherung im Alter und bei Erwerbsminderung"},
    "p2_untaetigkeit": {"ursache": "Nachweise der Unterkunft fehlten.", "entscheidung_bis": "2026-08-20"},
    "p2_erwerb_asylblg": {"arbeitgeber": "Bäckerei Schulte", "beschaeftigungsbeginn": "2026-06-01",
                          "wochenstunden": 20, "bruttolohn": 1100, "meldung_am": "2026-06-02"},
    "p2_analogleistungen": {"voraufenthalt_monate": 36, "rechtsmissbrauch": False, "analog_ab": "2029-02-01"},
    "p2_rechtsberatung": {"zugestellt_am": "2026-04-02", "klagefrist": "2 Wochen",
                          "beratungsstelle": "Flüchtlingsberatung der Diakonie", "vermittelt_am": "2026-04-03"},
    "p2_ae_erteilen": {"aufenthaltstitel": "§ 25 Abs. 2 Satz 1 Alt. 1 AufenthG (Flüchtlingsschutz)",
                       "fiktionsbescheinigung": True, "titel_gueltig_bis": "2029-04-14",
                       "wiedervorlage_verlaengerung": "2029-01-14"},
    "p2_asylblg_einstellen": {"einstellung_zum": "2026-04-30", "erstattungsanspruch": False, "akte_uebergeben": True},
    "p2_wohnsitz": {"wohnsitzregelung": "Verpflichtung auf Musterstadt", "entschieden_am": "2026-04-20"},
    "p2_verlaengerung": {"antrag_am": "2029-01-20", "fiktionsbescheinigung": False, "neu_gueltig_bis": "2032-04-14"},
    "p2_sgb2_antrag": {"antrag_am": "2026-04-16", "personen_bg": 3, "kdu_angemessen": True},
    "p2_sgb2_bewilligen": {"leistung_bewilligt": True, "bescheid_datum": "2026-04-28", "bewilligt_ab": "2026-04-01",
                           "bewilligungszeitraum": "12 Monate"},
    "p2_einkommen": {"einkommen_ab": "2026-09-01", "hilfebeduerftig": True, "aenderungsbescheid_am": "2026-09-10"},
    "p2_weiterbewilligung": {"weiter_bewilligt": True, "bewilligt_bis": "2028-03-31"},
    # P3 Unbegleitete minderjährige Ausländer
    "p3_inobhutnahme": {"name": "Ahmadi", "vorname": "Jawad", "geburtsdatum_angabe": "2010-05-01",
                        "herkunftsland": "Afghanistan", "sprache": "Dari", "aufgriffsort": "Hauptbahnhof Musterstadt",
                        "aufgriff_am": "2026-03-02", "einrichtung": "Clearinghaus Am Wall",
                        "vertrauensperson_benachrichtigt": True, "verwandte_im_inland": False,
                        "aufenthaltsstatus": "Ankunftsnachweis", "kim_fall_bekannt": False},
    "p3_alterseinschaetzung": {"alter_ergebnis": "minderjährig", "vier_augen": True, "ausweisdokument": False,
                               "identitaetszweifel": False,
                               "begruendung": "Äußeres Erscheinungsbild und Entwicklungsstand stimmig mit 15 Jahren."},
    "p3_aerztliche_untersuchung": {"einwilligung_untersuchung": True, "untersucht_am": "2026-03-06",
                                   "alter_ergebnis": "minderjährig"},
    "p3_bescheid_volljaehrig": {"bescheid_am": "2026-03-06", "aufenthaltsstatus": "Aufenthaltsgestattung",
                                "rechtskreis": "AsylbLG"},
    "p3_ed_behandlung": {"ed_am": "2026-03-04", "identitaet_geklaert": True},
    "p3_screening": {"kindeswohl_gefaehrdet": False, "gesundheit_steht_entgegen": False, "verwandte_im_inland": False,
                     "geschwister": False},
    "p3_meldung_landesstelle": {"gemeldet_am": "2026-03-09", "ausschluss_angezeigt": False},
    "p3_uebergabe": {"zugewiesenes_jugendamt": "Jugendamt Beispielkreis", "uebergabe_am": "2026-03-20",
                     "akte_uebermittelt": True},
    "p3_vormundschaft": {"familiengericht": "Amtsgericht Musterstadt", "angeregt_am": "2026-03-20"},
    "p3_vormund_nachhalten": {"vormund": "Vormundschaftsverein Musterstadt e. V.", "bestellt_am": "2026-04-08"},
    "p3_perspektive": {"schutzbedarf": True, "asylantrag_am": "2026-04-14",
                       "aufenthaltsstatus": "Aufenthaltsgestattung"},
    "p3_hilfeplan": {"hilfeart": "Heimerziehung, betreute Wohnform (§ 34 SGB VIII)", "schulpflichtig": True,
                     "hilfeende_geplant": "2028-05-01", "wiedervorlage_uebergang": "2027-05-01"},
    "p3_schulplatz": {"schule": "Gesamtschule Nord (Vorbereitungsklasse)", "aufnahme_am": "2026-05-11"},
    "p3_uebergang": {"hilfe_junge_volljaehrige": True, "aufenthaltsstatus": "Aufenthaltserlaubnis",
                     "rechtskreis": "SGB II"},
    # P4 Sprache, Arbeitsmarktintegration & Anerkennung
    "p4_kompetenzen": {"schulabschluss": "Hochschulreife", "auslaendischer_abschluss": False,
                       "berufserfahrung_jahre": 4, "sprachniveau": "A1", "alphabetisierung_noetig": False,
                       "kinderbetreuung_noetig": True, "kursberechtigung_durch": "Ausländerbehörde"},
    "p4_potenzialanalyse": {"schulabschluss": "mittlerer Abschluss", "auslaendischer_abschluss": False,
                            "berufserfahrung_jahre": 6, "sprachniveau": "A2", "kursberechtigung_durch": "Jobcenter"},
    "p4_berechtigung": {"schein_art": "Berechtigung", "ausgestellt_am": "2026-03-24", "gueltig_bis": "2027-03-24"},
    "p4_kursanmeldung": {"kurstraeger": "Volkshochschule Musterstadt", "angemeldet_am": "2026-03-30",
                         "einstufungstest_am": "2026-04-02"},
    "p4_kursbeginn": {"kursnummer": "VHS-IK-2026-07", "kursbeginn": "2026-04-27"},
    "p4_kurszugang_klaeren": {"ursache": "kein Kursplatz", "massnahme": "BAMF-Regionalkoordination vermittelt Platz."},
    "p4_kursergebnis": {"testergebnis": "B1", "test_am": "2026-11-20"},
    "p4_anschlussfoerderung": {"foerderung": "Berufssprachkurs", "beginn": "2027-01-11"},
    "p4_anerkennungsberatung": {"anerkennungsstelle": "IHK FOSA", "unterlagen_vollstaendig": True,
                                "antrag_am": "2026-12-01"},
    "p4_anerkennung_eingang": {"eingangsbestaetigung_am": "2026-12-15", "nachforderung": False},
    "p4_anerkennung_bescheid": {"anerkennung_ergebnis": "teilweise gleichwertig", "bescheid_am": "2027-02-20"},
    "p4_anpassung": {"massnahme": "Anpassungslehrgang Elektrotechnik", "foerderung": "Bildungsgutschein"},
    "p4_kooperationsplan": {"arbeitsaufnahme": True, "foerderung_beenden": False,
                            "arbeitgeber": "Stadtwerke Musterstadt",
                            "beschaeftigungsbeginn": "2027-04-01", "wochenstunden": 39, "bruttolohn": 2900},
    "p4_vermittlung": {"arbeitsaufnahme": True, "foerderung_beenden": False, "arbeitgeber": "Pflegedienst Lindenhof",
                       "beschaeftigungsbeginn": "2027-04-01", "wochenstunden": 30, "bruttolohn": 2100},
    "p4_ba_zustimmung": {"zustimmung": "erteilt", "entschieden_am": "2027-03-10"},
    "p4_beschaeftigungserlaubnis": {"erlaubnis_erteilt": True, "erteilt_am": "2027-03-15"},
}
for _alias in ("p4_zulassung_bamf", "p4_verpflichtung_jc", "p4_berechtigung_abh"):
    ANSWERS[_alias] = ANSWERS["p4_berechtigung"]


def answer(element_id: str, **changes: Any) -> dict[str, Any]:
    """A fresh copy of the sample answer of a task, with changes applied (None removes a field)."""
    data = copy.deepcopy(ANSWERS[element_id])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
