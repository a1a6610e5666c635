"""Forms from forms/*.json (JSON Schema + UI hints) as HTML field descriptors, and submitted values back as data.

A form document is {key, title, schema, ui?}. Each schema property becomes one field:

- "title" is the label, "description" the help text under it;
- "enum" (or "oneOf" of {"const", "title"}) is a select, or radio buttons with ui.widgets[name] = "radio";
- "boolean" is a ja/nein radio pair when required (a decision must be made), else a checkbox;
  ui.widgets[name] = "checkbox" or "radio" overrides that;
- "string" with "format": "date" is a date input; "integer"/"number" are text inputs with a numeric keyboard
  (German decimal commas are accepted); other strings are text inputs, or a textarea when maxLength > 200 or
  ui.widgets[name] = "textarea";
- "array" of enum strings is a group of checkboxes.

ui.order lists field names first; the other properties follow in schema order. Properties of other types
(objects, free arrays) are not rendered: such data comes from the process, not from a clerk.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from app.forms.service import field_errors

PREFIX = "data."
FORM_ERROR = "_form"
TEXTAREA_FROM = 200
_INT_RE = re.compile(r"^[+-]?\d+$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_DIN_DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Field:
    """One rendered form field: what the template needs, nothing more."""

    name: str
    label: str
    kind: str  # text | textarea | select | radio | checkbox | yesno | date | integer | number | multi
    required: bool = False
    help: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None  # the string shown (bool for checkbox, list for multi)
    error: str = ""
    maxlength: int | None = None
    index: int = 0

    @property
    def input_name(self) -> str:
        """The name of the HTML control (prefixed so it never clashes with csrf_token)."""
        return PREFIX + self.name

    @property
    def id(self) -> str:
        """A valid, unique HTML id for the control (or the fieldset of a group)."""
        return f"field-{self.index}-" + re.sub(r"[^A-Za-z0-9_-]", "_", self.name)

    @property
    def anchor(self) -> str:
        """Where an error summary link jumps: the control, or the first option of a group."""
        return self.id + "-1" if self.is_group else self.id

    @property
    def is_group(self) -> bool:
        """Radio and checkbox groups are fieldsets with a legend instead of a label."""
        return self.kind in ("radio", "yesno", "multi")


def _type(prop: Mapping[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def _choices(prop: Mapping[str, Any]) -> list[tuple[Any, str]] | None:
    if isinstance(prop.get("enum"), list):
        return [(v, str(v)) for v in prop["enum"] if v is not None]
    one_of = prop.get("oneOf")
    if isinstance(one_of, list) and one_of and all(isinstance(o, dict) and "const" in o for o in one_of):
        return [(o["const"], str(o.get("title", o["const"]))) for o in one_of]
    return None


def _kind(name: str, prop: Mapping[str, Any], required: bool, widgets: Mapping[str, str]) -> str | None:
    widget = widgets.get(name)
    kind = _type(prop)
    if _choices(prop) is not None:
        return "radio" if widget == "radio" else "select"
    if kind == "boolean":
        if widget in ("checkbox", "radio"):
            return "checkbox" if widget == "checkbox" else "yesno"
        return "yesno" if required else "checkbox"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        if prop.get("format") == "date":
            return "date"
        if widget == "textarea" or (widget != "text" and (prop.get("maxLength") or 0) > TEXTAREA_FROM):
            return "textarea"
        return "text"
    if kind == "array" and isinstance(prop.get("items"), dict) and _choices(prop["items"]) is not None:
        return "multi"
    return None


def _ordered_names(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[str]:
    properties = schema.get("properties") or {}
    order = [n for n in (ui.get("order") or []) if n in properties]
    return order + [n for n in properties if n not in order]


def _shown(kind: str, value: Any) -> Any:
    """A stored value as the control shows it."""
    if kind == "checkbox":
        return value is True
    if kind == "multi":
        return [str(v) for v in value] if isinstance(value, list) else []
    if value is None:
        return ""
    if kind == "yesno":
        return {True: "true", False: "false"}.get(value, "")
    if kind == "number" and isinstance(value, float):
        return (f"{value:g}").replace(".", ",")
    return str(value)


def form_fields(doc: Mapping[str, Any], values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, *, raw: bool = False) -> list[Field]:
    """Field descriptors in display order; `values` are stored data, or submitted strings when `raw`."""
    schema = doc.get("schema") or {}
    ui = doc.get("ui") or {}
    widgets = ui.get("widgets") or {}
    required = set(schema.get("required") or [])
    values, errors = values or {}, errors or {}
    result = []
    for index, name in enumerate(_ordered_names(schema, ui)):
        prop = schema["properties"][name]
        if not isinstance(prop, dict):
            continue
        kind = _kind(name, prop, name in required, widgets)
        if kind is None:
            continue
        choices = _choices(prop["items"] if kind == "multi" else prop) or []
        value = values.get(name)
        result.append(Field(
            name=name, label=str(prop.get("title") or name), kind=kind, required=name in required,
            help=str(prop.get("description") or ""), options=[(str(v), label) for v, label in choices],
            value=value if raw and kind not in ("checkbox",) else _shown(kind, value),
            error=errors.get(name, ""), maxlength=prop.get("maxLength"), index=index))
    return result


def _coerce_choice(raw: str, choices: list[tuple[Any, str]]) -> Any:
    for value, _label in choices:
        if str(value) == raw:
            return value
    return raw  # not offered: the schema check names it


def _parse_one(item: Field, prop: Mapping[str, Any], form: Any) -> tuple[Any, str | None]:
    """(value or None when empty, error message or None)."""
    key = item.input_name
    if item.kind == "checkbox":
        return form.get(key) in ("on", "true", "1", "ja"), None
    if item.kind == "multi":
        choices = _choices(prop["items"]) or []
        picked = [_coerce_choice(v, choices) for v in form.getlist(key)]
        return (picked or None), None
    text = (form.get(key) or "").replace("\r\n", "\n").strip()
    if text == "":
        return None, None
    if item.kind == "yesno":
        if text not in ("true", "false"):
            return None, gettext("Please choose yes or no.")
        return text == "true", None
    if item.kind in ("select", "radio"):
        return _coerce_choice(text, _choices(prop) or []), None
    if item.kind == "integer":
        if not _INT_RE.match(text):
            return None, gettext("Please enter a whole number.")
        return int(text), None
    if item.kind == "number":
        if not _NUMBER_RE.match(text):
            return None, gettext("Please enter a number, e.g. 12,5.")
        number = float(text.replace(",", "."))
        return (int(number) if number.is_integer() and "," not in text and "." not in text else number), None
    if item.kind == "date":
        return parse_date(text)
    return text, None


def parse_date(text: str) -> tuple[str | None, str | None]:
    """Date inputs send YYYY-MM-DD; typed DIN dates (05.03.2026) are accepted too. Stored as ISO strings."""
    try:
        din = _DIN_DATE_RE.match(text)
        if din:
            return date(int(din[3]), int(din[2]), int(din[1])).isoformat(), None
        if _ISO_DATE_RE.match(text):
            return date.fromisoformat(text).isoformat(), None
    except ValueError:
        pass
    return None, gettext("Please enter a valid date as DD.MM.YYYY.")


def parse_submission(doc: Mapping[str, Any], form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Submitted form values → (typed data, parse errors per field, raw values for re-display)."""
    schema = doc.get("schema") or {}
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}
    for item in form_fields(doc):
        prop = schema["properties"][item.name]
        if item.kind == "multi":
            raw[item.name] = form.getlist(item.input_name)
        elif item.kind == "checkbox":
            raw[item.name] = form.get(item.input_name) in ("on", "true", "1", "ja")
        else:
            raw[item.name] = form.get(item.input_name, "")
        value, error = _parse_one(item, prop, form)
        if error:
            errors[item.name] = error
        elif value is not None:
            data[item.name] = value
    return data, errors, raw


def validate(doc: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, str]:
    """Server-side validation (app.forms.service.field_errors) with messages people understand."""
    return explain_errors(doc, data, field_errors(doc.get("schema") or {}, dict(data)))


def explain_errors(doc: Mapping[str, Any], data: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, str]:
    """Turn the service's per-field errors ("required", jsonschema messages) into localized messages."""
    schema = doc.get("schema") or {}
    properties = schema.get("properties") or {}
    kinds = {f.name: f.kind for f in form_fields(doc)}
    explained: dict[str, str] = {}
    for name, message in errors.items():
        if name not in properties:
            explained[FORM_ERROR] = gettext("The form could not be accepted: %(reason)s", reason=message)
            continue
        if message == "required" or name not in data:
            choose = kinds.get(name) in ("select", "radio", "yesno", "multi")
            explained[name] = gettext("Please choose an option.") if choose else gettext("Please fill in this field.")
            continue
        explained[name] = _explain(properties[name], data[name], kinds.get(name))
    return explained


def _explain(prop: Mapping[str, Any], value: Any, kind: str | None) -> str:
    try:
        first = next(iter(Draft202012Validator(prop, format_checker=FormatChecker()).iter_errors(value)), None)
    except (SchemaError, LookupError, TypeError):  # $ref into the root schema and the like: stay generic
        first = None
    keyword = first.validator if first is not None else None
    if keyword in ("enum", "const", "oneOf", "anyOf"):
        return gettext("Please choose one of the offered options.")
    if keyword == "type":
        return {"integer": gettext("Please enter a whole number."), "number": gettext("Please enter a number."),
                "yesno": gettext("Please choose yes or no.")}.get(kind or "", gettext("This value has the wrong type."))
    if keyword == "format":
        return gettext("Please enter a valid date as DD.MM.YYYY.")
    if keyword == "maxLength":
        return gettext("Please use at most %(num)d characters.", num=prop["maxLength"])
    if keyword == "minLength":
        return gettext("Please enter at least %(num)d characters.", num=prop["minLength"])
    if keyword in ("minimum", "exclusiveMinimum"):
        return gettext("The value must be at least %(limit)s.", limit=prop[keyword])
    if keyword in ("maximum", "exclusiveMaximum"):
        return gettext("The value must be at most %(limit)s.", limit=prop[keyword])
    if keyword == "pattern":
        return gettext("This value does not have the expected format.")
    if keyword in ("minItems", "maxItems"):
        return gettext("Please choose a different number of options.")
    return gettext("Please check this value.")
