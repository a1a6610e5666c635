"""Form definitions (JSON Schema + UI hints): deploying, finding, validating submissions."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.casefile.catalogue import categories
from app.clock import Clock
from app.directory.service import Principal
from app.errors import Forbidden, Invalid
from app.forms.models import FormDefinition

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
MAX_FORM_BYTES = 500_000


def normalize_form_key(raw: str | None) -> str | None:
    """camunda:formKey may read 'embedded:app:forms/x.json' or 'x'; the key is the bare name."""
    if not raw:
        return None
    key = raw.strip().rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    for suffix in (".json", ".form", ".html"):
        key = key.removesuffix(suffix)
    return key or None


def parse_form_document(raw: bytes) -> dict[str, Any]:
    """Check a form file: {key, title, schema (JSON Schema object), ui?}; raise Invalid naming the problem."""
    if len(raw) > MAX_FORM_BYTES:
        raise Invalid(f"form file is larger than {MAX_FORM_BYTES} bytes")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"form file is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise Invalid("form file must be a JSON object with key, title and schema")
    key = doc.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise Invalid("form 'key' is missing or invalid (letters, digits, '_', '-', '.')")
    schema = doc.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise Invalid(f"form '{key}': 'schema' must be a JSON Schema of type object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(map(str, exc.path)) or "root"
        raise Invalid(f"form '{key}': invalid JSON Schema at {where}: {exc.message}") from exc
    check_categories(key, schema)
    return doc


def check_categories(key: str, schema: dict[str, Any]) -> None:
    """Every field of a form names a data category of the catalogue; 422 naming form and field otherwise."""
    known = categories()
    problems = {}
    for name, prop in (schema.get("properties") or {}).items():
        category = prop.get("category") if isinstance(prop, dict) else None
        if not category:
            problems[name] = f"field '{name}' has no data category (set \"category\": one of {', '.join(known)})"
        elif category not in known:
            problems[name] = f"field '{name}' names the unknown data category '{category}' (one of {', '.join(known)})"
    if problems:
        raise Invalid(f"form '{key}': " + "; ".join(problems.values()), details={"form": key, "fields": problems})


def field_categories(form: FormDefinition | None) -> dict[str, str]:
    """Field name → data category of a deployed form (empty for no form)."""
    if form is None:
        return {}
    properties = (form.schema.get("schema") or {}).get("properties") or {}
    return {name: prop["category"] for name, prop in properties.items()
            if isinstance(prop, dict) and prop.get("category")}


def deploy_form(session: Session, *, actor: Principal, raw: bytes, clock: Clock) -> tuple[FormDefinition, bool]:
    """Store a new form version; an identical re-upload is not a new version."""
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins deploy forms")
    doc = parse_form_document(raw)
    sha = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    current = latest_form(session, actor.municipality_id, doc["key"])
    if current is not None and current.sha256 == sha:
        return current, False
    form = FormDefinition(municipality_id=actor.municipality_id, key=doc["key"],
                          version=(current.version + 1) if current else 1, title=doc.get("title") or doc["key"],
                          schema=doc, sha256=sha, deployed_by=actor.username, deployed_at=clock.now())
    session.add(form)
    session.flush()
    audit.record(session, municipality_id=actor.municipality_id, kind="form_deployed", actor=actor.username,
                 at=clock.now(), element_id=form.key, details={"form_id": form.id, "version": form.version})
    return form, True


def latest_form(session: Session, municipality_id: int, key: str) -> FormDefinition | None:
    """The newest version of a form key."""
    return session.scalar(select(FormDefinition).where(
        FormDefinition.municipality_id == municipality_id, FormDefinition.key == key,
    ).order_by(FormDefinition.version.desc()).limit(1))


def list_forms(session: Session, *, actor: Principal) -> list[FormDefinition]:
    """All form versions of the caller's municipality."""
    return list(session.scalars(select(FormDefinition).where(FormDefinition.municipality_id == actor.municipality_id)
                                .order_by(FormDefinition.key, FormDefinition.version.desc())))


def field_errors(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Validation errors per field name ('_form' for errors not tied to one field)."""
    errors: dict[str, str] = {}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else "_form"
            errors.setdefault(missing, "required")
        elif error.validator == "additionalProperties":
            errors.setdefault("_form", error.message)
        else:
            name = str(error.path[0]) if error.path else "_form"
            errors.setdefault(name, error.message)
    return errors


def validate_submission(session: Session, *, municipality_id: int, form_key: str,
                        data: dict[str, Any]) -> dict[str, Any]:
    """Validate task data against its form; 422 naming the fields. Unknown forms do not block work."""
    return checked_submission(session, municipality_id=municipality_id, form_key=form_key, data=data)[0]


def checked_submission(session: Session, *, municipality_id: int, form_key: str,
                       data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Validate as `validate_submission`; also the form's field categories (None when the form is unknown)."""
    form = latest_form(session, municipality_id, normalize_form_key(form_key) or form_key)
    if form is None:
        return data, None
    errors = field_errors(form.schema["schema"], data)
    if errors:
        raise Invalid("the form has errors in: " + ", ".join(sorted(errors)), details={"fields": errors})
    return data, field_categories(form)
