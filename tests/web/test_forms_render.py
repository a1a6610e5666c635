"""JSON Schema forms: fields for the template, typed data from submitted strings, errors people understand."""
from __future__ import annotations

import json
from pathlib import Path

from werkzeug.datastructures import MultiDict

from app.web.forms_render import FORM_ERROR, form_fields, parse_submission, validate

PRUEFUNG = json.loads((Path(__file__).resolve().parents[1] / "forms" / "pruefung.json").read_text())
MIXED = {
    "key": "mixed", "title": "Mixed",
    "schema": {
        "type": "object", "required": ["anzahl", "entscheidung"], "additionalProperties": False,
        "properties": {
            "anzahl": {"type": "integer", "title": "Anzahl", "minimum": 1, "description": "Personen im Haushalt"},
            "betrag": {"type": "number", "title": "Betrag"},
            "entscheidung": {"type": "boolean", "title": "Entscheidung"},
            "stufe": {"type": "integer", "title": "Stufe", "enum": [1, 2, 3]},
            "sprachen": {"type": "array", "title": "Sprachen", "items": {"enum": ["de", "ar", "uk"]}},
            "art": {"type": "string", "title": "Art", "oneOf": [{"const": "a", "title": "Antrag"},
                                                                 {"const": "w", "title": "Widerspruch"}]},
            "kanal": {"type": "string", "title": "Kanal", "enum": ["Post", "E-Mail"]},
            "notiz": {"type": "string", "title": "Notiz"},
            "intern": {"type": "object", "title": "nicht darstellbar"},
        },
    },
    "ui": {"order": ["entscheidung", "anzahl"], "widgets": {"kanal": "radio", "notiz": "textarea"}},
}


def _by_name(fields):
    return {f.name: f for f in fields}


def test_fields_follow_ui_order_and_pick_widgets_from_the_schema():
    fields = form_fields(PRUEFUNG)
    assert [f.name for f in fields] == ["aufenthaltsstatus", "aufenthalt_gesichert", "antrag_vollstaendig",
                                        "pruefdatum", "bemerkung"]
    kinds = {f.name: f.kind for f in fields}
    assert kinds == {"aufenthaltsstatus": "select", "aufenthalt_gesichert": "yesno", "antrag_vollstaendig": "yesno",
                     "pruefdatum": "date", "bemerkung": "textarea"}
    status = fields[0]
    assert status.label == "Aufenthaltsstatus" and status.required
    assert ("Duldung", "Duldung") in status.options
    mixed = _by_name(form_fields(MIXED))
    assert [f.name for f in form_fields(MIXED)][:2] == ["entscheidung", "anzahl"]
    assert "intern" not in mixed
    assert mixed["anzahl"].kind == "integer" and mixed["anzahl"].help == "Personen im Haushalt"
    assert mixed["betrag"].kind == "number"
    assert mixed["stufe"].kind == "select" and mixed["stufe"].options == [("1", "1"), ("2", "2"), ("3", "3")]
    assert mixed["sprachen"].kind == "multi" and mixed["sprachen"].is_group
    assert mixed["art"].options == [("a", "Antrag"), ("w", "Widerspruch")]
    assert mixed["kanal"].kind == "radio" and mixed["notiz"].kind == "textarea"
    assert mixed["entscheidung"].kind == "yesno"


def test_optional_booleans_are_checkboxes_and_ids_are_valid():
    doc = {"schema": {"type": "object", "properties": {"mit Dolmetscher": {"type": "boolean"}}}}
    [field] = form_fields(doc, {"mit Dolmetscher": True})
    assert field.kind == "checkbox" and field.value is True and field.label == "mit Dolmetscher"
    assert field.id == "field-0-mit_Dolmetscher" and field.input_name == "data.mit Dolmetscher"


def test_stored_values_prefill_the_controls():
    fields = _by_name(form_fields(PRUEFUNG, {"aufenthalt_gesichert": False, "pruefdatum": "2026-03-05"}))
    assert fields["aufenthalt_gesichert"].value == "false"
    assert fields["pruefdatum"].value == "2026-03-05"
    assert fields["aufenthaltsstatus"].value == ""


def test_submitted_strings_become_typed_data():
    form = MultiDict([("data.entscheidung", "true"), ("data.anzahl", " 3 "), ("data.betrag", "12,5"),
                      ("data.stufe", "2"), ("data.sprachen", "de"), ("data.sprachen", "uk"),
                      ("data.notiz", "Zeile 1\r\nZeile 2"), ("data.kanal", ""), ("csrf_token", "x")])
    data, errors, raw = parse_submission(MIXED, form)
    assert errors == {}
    assert data == {"entscheidung": True, "anzahl": 3, "betrag": 12.5, "stufe": 2, "sprachen": ["de", "uk"],
                    "notiz": "Zeile 1\nZeile 2"}
    assert raw["anzahl"] == " 3 " and raw["sprachen"] == ["de", "uk"]


def test_checkboxes_are_false_when_unticked_and_dates_accept_din():
    doc = {"schema": {"type": "object", "properties": {"eilig": {"type": "boolean"},
                                                       "am": {"type": "string", "format": "date"}}}}
    data, errors, _raw = parse_submission(doc, MultiDict([("data.am", "05.03.2026")]))
    assert data == {"eilig": False, "am": "2026-03-05"} and errors == {}


def test_unparseable_values_are_named_in_german(german):
    form = MultiDict([("data.anzahl", "drei"), ("data.betrag", "1.2.3"), ("data.entscheidung", "vielleicht")])
    data, errors, _raw = parse_submission(MIXED, form)
    assert data == {}
    assert errors == {"anzahl": "Bitte geben Sie eine ganze Zahl ein.",
                      "betrag": "Bitte geben Sie eine Zahl ein, z. B. 12,5.",
                      "entscheidung": "Bitte wählen Sie „ja“ oder „nein“."}
    doc = {"schema": {"type": "object", "properties": {"am": {"type": "string", "format": "date"}}}}
    assert parse_submission(doc, MultiDict([("data.am", "31.02.2026")]))[1] == {
        "am": "Bitte geben Sie ein gültiges Datum im Format TT.MM.JJJJ ein."}


def test_server_validation_explains_each_field(german):
    errors = validate(PRUEFUNG, {"aufenthaltsstatus": "Visum", "bemerkung": "x" * 2001})
    assert errors == {
        "aufenthaltsstatus": "Bitte wählen Sie eine der angebotenen Optionen.",
        "aufenthalt_gesichert": "Bitte wählen Sie eine Option aus.",
        "antrag_vollstaendig": "Bitte wählen Sie eine Option aus.",
        "bemerkung": "Bitte verwenden Sie höchstens 2000 Zeichen.",
    }
    assert validate(MIXED, {"anzahl": 0, "entscheidung": True}) == {"anzahl": "Der Wert muss mindestens 1 betragen."}
    assert validate(MIXED, {"anzahl": 1, "entscheidung": True, "fremd": 1})[FORM_ERROR].startswith(
        "Das Formular konnte nicht angenommen werden")
    assert validate(PRUEFUNG, {"aufenthaltsstatus": "Duldung", "aufenthalt_gesichert": False,
                               "antrag_vollstaendig": True}) == {}


def test_messages_in_english(english):
    assert validate(PRUEFUNG, {})["aufenthaltsstatus"] == "Please choose an option."
