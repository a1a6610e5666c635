"""The test-case start form, generated from the model: who the case is about (name, first name, date of birth) and
the variables the model's conditions read that none of its own forms asks for. Field types come from the
municipality's forms where one defines the variable; otherwise a text field."""
from __future__ import annotations

import ast
from typing import Any

from flask_babel import gettext

from app.engine.expressions import FUNCTIONS, ExpressionError
from app.engine.juel import normalize_condition
from app.engine.xmlsafe import XmlError, parse_xml

IDENTITY = ("name", "vorname", "geburtsdatum")


def _kind(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """What a variable's use in a condition says about its type: boolean, number or string."""
    parent = parents.get(node)
    if parent is None or isinstance(parent, (ast.BoolOp, ast.UnaryOp)):
        return "boolean"
    if isinstance(parent, ast.Compare):
        for other in [parent.left, *parent.comparators]:
            if isinstance(other, ast.Constant) and other is not node:
                if isinstance(other.value, bool):
                    return "boolean"
                if isinstance(other.value, (int, float)):
                    return "number"
    return "string"


def condition_variables(bpmn_xml: str) -> dict[str, str]:
    """Variable names the model's conditions read (document order) with the type their use suggests."""
    try:
        root = parse_xml(bpmn_xml.encode()).getroot()
    except XmlError:
        return {}
    names: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.endswith("conditionExpression") or not element.text:
            continue
        try:
            tree = ast.parse(normalize_condition(element.text), mode="eval")
        except (ExpressionError, SyntaxError, ValueError):
            continue
        parents = {child: node for node in ast.walk(tree.body) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree.body):
            if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in names:
                names[node.id] = _kind(node, parents)
    return names


def _identity_props() -> dict[str, dict[str, Any]]:
    return {"name": {"type": "string", "title": gettext("Surname"), "maxLength": 200},
            "vorname": {"type": "string", "title": gettext("First name"), "maxLength": 200},
            "geburtsdatum": {"type": "string", "format": "date", "title": gettext("Date of birth")}}


def start_form(definition: Any, props: dict[str, dict[str, Any]], forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A form document (forms/*.json shape) for a test case's start data on this version of a model.

    `props`: field name → JSON Schema property over the municipality's forms; `forms`: form key → document.
    """
    written: set[str] = set()
    for task in ((definition.summary or {}).get("user_tasks") or {}).values():
        doc = forms.get(task.get("form_key") or "") or {}
        written.update((doc.get("schema") or {}).get("properties") or {})
    properties = _identity_props()
    for name, kind in condition_variables(definition.bpmn_xml).items():
        if name in written or name in properties:
            continue
        prop = dict(props.get(name) or {"type": kind, "title": name.replace("_", " ").capitalize()})
        prop["description"] = gettext("Read by a condition of the model before any of its forms asks for it.")
        properties[name] = prop
    return {"key": "_start", "title": gettext("Start data"),
            "schema": {"type": "object", "properties": properties}, "ui": {"order": list(properties)}}
