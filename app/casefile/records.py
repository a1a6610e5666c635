"""A draft of the Art. 30 DSGVO record of processing activities (Verzeichnis von Verarbeitungstätigkeiten), per
controller (office), drafted from the deployed models and forms: purposes, categories of data and persons,
recipients (the hand-offs), legal bases, retention, model versions. A draft for the data-protection officer,
who adds what models cannot know (technical and organisational measures, transfers to third countries).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.casefile.catalogue import catalogue_versions, category_label, legal_bases
from app.definitions.models import ProcessDefinition
from app.directory.models import Municipality
from app.directory.service import offices_of
from app.forms.models import FormDefinition
from app.forms.service import field_categories

PERSONS = "Ratsuchende und Leistungsberechtigte (zugewanderte Personen) und ihre Haushaltsangehörigen"
MINORS = "unbegleitete minderjährige Ausländerinnen und Ausländer"


def _newest_forms(session: Session, municipality_id: int) -> dict[str, FormDefinition]:
    newest: dict[str, FormDefinition] = {}
    for form in session.scalars(select(FormDefinition).where(FormDefinition.municipality_id == municipality_id)
                                .order_by(FormDefinition.key, FormDefinition.version)):
        newest[form.key] = form
    return newest


def _definitions(session: Session, municipality_id: int) -> dict[str, list[ProcessDefinition]]:
    by_key: dict[str, list[ProcessDefinition]] = {}
    for definition in session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.municipality_id == municipality_id).order_by(ProcessDefinition.key,
                                                                           ProcessDefinition.version)):
        by_key.setdefault(definition.key, []).append(definition)
    return by_key


def _fold(name: str | None) -> str:
    return (name or "").strip().casefold()


def records_of_processing(session: Session, *, municipality_id: int, now: datetime) -> dict[str, Any]:
    """The draft record: one entry per office, one processing activity per process it takes part in."""
    municipality = session.get_one(Municipality, municipality_id)
    forms = _newest_forms(session, municipality_id)
    bases = legal_bases()
    controllers = []
    processes = _definitions(session, municipality_id)
    for office in offices_of(session, municipality_id):
        activities = []
        for versions in processes.values():
            activity = _activity(office.name, versions, forms, bases)
            if activity is not None:
                activities.append(activity)
        controllers.append({"controller": office.name, "activities": activities})
    return {"municipality": municipality.name, "slug": municipality.slug, "generated_at": now.isoformat(),
            "catalogues": catalogue_versions(), "controllers": controllers}


def _activity(office: str, versions: list[ProcessDefinition], forms: dict[str, FormDefinition],
              bases: dict[str, Any]) -> dict[str, Any] | None:
    """What one office does in one process (None when it has no step in it)."""
    newest = versions[-1]
    summary = newest.summary or {}
    casefile = summary.get("casefile") or {}
    tasks = [t for t in (summary.get("user_tasks") or {}).values() if _fold(t.get("lane")) == _fold(office)]
    receives = [name for name, lane in (casefile.get("message_lanes") or {}).items() if _fold(lane) == _fold(office)]
    starts = _fold(casefile.get("start_lane")) == _fold(office)
    if not tasks and not receives and not starts:
        return None
    own = sorted({c for t in tasks for c in field_categories(forms.get(t.get("form_key") or "")).values()})
    handoffs = casefile.get("handoffs") or {}
    received = [h for h in handoffs.values() if _fold(h.get("lane")) == _fold(office)]
    # Recipients: other offices whose steps read categories this office writes.
    sent = [h for h in handoffs.values() if _fold(h.get("lane")) != _fold(office) and set(h["reads"]) & set(own)]
    recipients = sorted({(h["lane"], h.get("legal_basis") or "", h.get("consent") or "") for h in sent})
    used_bases = sorted({h["legal_basis"] for h in [*received, *sent] if h.get("legal_basis")})
    sources = sorted({t["legal_source"] for t in tasks if t.get("legal_source")})
    persons = [PERSONS] + ([MINORS] if "uma" in newest.key or "minderj" in newest.name.casefold() else [])
    return {
        "process": newest.key, "name": newest.name,
        "purpose": f"{newest.name}: " + ", ".join(t.get("name") or t["element_id"] for t in tasks)
                   if tasks else newest.name,
        "categories_of_data": [{"id": c, "label": category_label(c)} for c in own],
        "categories_of_persons": persons,
        "received_from_others": [{"categories": h["reads"], "legal_basis": h.get("legal_basis"),
                                  "consent": h.get("consent")} for h in received],
        "recipients": [{"office": lane, "legal_basis": basis or None,
                        "legal_basis_title": bases[basis].title if basis in bases else None,
                        "consent": consent or None} for lane, basis, consent in recipients],
        "legal_bases": [{"id": b, "title": bases[b].title, "source": bases[b].source} for b in used_bases
                        if b in bases],
        "legal_sources_of_steps": sources,
        "retention": newest.retention,
        "versions": [{"version": v.version, "deployed_at": v.deployed_at.isoformat(), "sha256": v.sha256[:12]}
                     for v in versions],
    }


def render_markdown(record: dict[str, Any]) -> str:
    """The record as Markdown (German headings: it goes to a municipal data-protection officer)."""
    lines = [f"# Verzeichnis von Verarbeitungstätigkeiten (Entwurf) — {record['municipality']}", "",
             f"Erstellt am {record['generated_at']} aus den bereitgestellten Modellen und Formularen "
             f"(Art. 30 Abs. 1 DSGVO). Kataloge: " + ", ".join(f"{k} {v}" for k, v in record["catalogues"].items())
             + ". Ergänzen: Kontaktdaten, technische und organisatorische Maßnahmen (Art. 32 DSGVO), Drittlandbezug.",
             ""]
    for controller in record["controllers"]:
        lines += [f"## Verantwortliche Stelle: {controller['controller']}", ""]
        if not controller["activities"]:
            lines += ["Keine Verarbeitung in den bereitgestellten Modellen.", ""]
        for activity in controller["activities"]:
            recipients = "; ".join(
                f"{r['office']} ({r['legal_basis_title'] or ('Einwilligung: ' + (r['consent'] or ''))})"
                for r in activity["recipients"]) or "—"
            lines += [f"### {activity['name']} (`{activity['process']}`)", "",
                      f"- Zweck: {activity['purpose']}",
                      f"- Kategorien betroffener Personen: {'; '.join(activity['categories_of_persons'])}",
                      "- Datenkategorien: " + (", ".join(c["label"] for c in activity["categories_of_data"]) or "—"),
                      f"- Empfänger (Übergaben): {recipients}",
                      "- Rechtsgrundlagen der Übermittlungen: "
                      + (", ".join(b["title"] for b in activity["legal_bases"]) or "—"),
                      "- Rechtsgrundlagen der Schritte: " + ("; ".join(activity["legal_sources_of_steps"]) or "—"),
                      f"- Löschfrist nach Fallende: {activity['retention'] or 'nicht festgelegt'}",
                      "- Modellversionen: " + ", ".join(f"v{v['version']} ({v['deployed_at'][:10]}, {v['sha256']})"
                                                        for v in activity["versions"]), ""]
    return "\n".join(lines)


@click.command("records-of-processing")
@click.option("--municipality", "slug", required=True, help="The municipality's slug.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@with_appcontext
def records_command(slug: str, fmt: str) -> None:
    """Draft the Art. 30 DSGVO record of processing activities per office from the deployed models."""
    from app.extensions import db

    session = db.session()
    municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if municipality is None:
        raise click.ClickException(f"no municipality '{slug}'")
    record = records_of_processing(session, municipality_id=municipality.id,
                                   now=current_app.extensions["lotse_clock"].now())
    click.echo(json.dumps(record, ensure_ascii=False, indent=2) if fmt == "json" else render_markdown(record))
