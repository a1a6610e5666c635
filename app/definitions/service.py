"""Deploying and listing process definitions."""
from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.retention import parse_retention
from app.clock import Clock
from app.definitions.models import ProcessDefinition
from app.directory.service import Principal, list_offices
from app.engine.model import ModelInvalid, ParsedModel
from app.engine.parsing import parse_bpmn
from app.engine.runtime import EngineDefinition
from app.errors import Forbidden, Invalid, NotFound
from app.forms.service import normalize_form_key

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _flows(xml: bytes) -> dict[str, dict[str, str]]:
    """source element id -> {target element id: sequence flow id}, for naming the flow a gateway took."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    flows: dict[str, dict[str, str]] = {}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef"), {})[flow.get("targetRef")] = flow.get("id")
    return flows


def _all_flows(parsed: ParsedModel) -> dict[str, dict[str, str]]:
    """The flows of the model and of the processes it calls (element ids are unique across them)."""
    flows: dict[str, dict[str, str]] = {}
    for xml in [*parsed.called_xml.values(), parsed.normalized_xml]:
        for source, targets in _flows(xml if isinstance(xml, bytes) else xml.encode()).items():
            flows.setdefault(source, {}).update(targets)
    return flows


def _message_starts(parsed: ParsedModel) -> list[str]:
    names = set()
    for spec in parsed.spec.task_specs.values():
        event_def = getattr(spec, "event_definition", None)
        if (type(spec).__name__ == "StartEvent" and event_def is not None
                and type(event_def).__name__ == "MessageEventDefinition"):
            names.add(event_def.name)
    return sorted(names)


def _summary(parsed: ParsedModel, office_names: set[str]) -> dict[str, Any]:
    user_tasks = {t.element_id: asdict(t) for t in parsed.user_tasks}
    for info in user_tasks.values():
        info["form_key"] = normalize_form_key(info.get("form_key"))
    warnings = []
    for task in parsed.user_tasks:
        candidates = [task.lane, *task.candidate_groups]
        if not any(c and c.strip().casefold() in office_names for c in candidates):
            where = f"lane '{task.lane}'" if task.lane else "no lane or candidate group"
            warnings.append({"element_id": task.element_id,
                             "message": f"user task '{task.element_id}' has {where} naming an office of this "
                                        "municipality; it will wait in no office inbox"})
    return {
        "processes": parsed.process_ids, "lanes": parsed.lanes, "user_tasks": user_tasks,
        "timers": [asdict(t) for t in parsed.timers], "messages": parsed.message_names,
        "message_starts": _message_starts(parsed), "called_elements": parsed.called_elements,
        "flows": _all_flows(parsed), "warnings": warnings,
    }


def latest(session: Session, municipality_id: int, key: str) -> ProcessDefinition | None:
    """The newest version of a process key."""
    return session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.municipality_id == municipality_id, ProcessDefinition.key == key,
    ).order_by(ProcessDefinition.version.desc()).limit(1))


def deploy(session: Session, *, actor: Principal, data: bytes, clock: Clock,
           max_bytes: int = 5_000_000) -> tuple[ProcessDefinition, bool]:
    """Validate and store a BPMN file as a new version; (definition, created). Identical re-uploads are no-ops."""
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins deploy process models")
    mid = actor.municipality_id

    def resolve_called(process_id: str) -> bytes | None:
        called = latest(session, mid, process_id)
        return called.normalized_xml.encode() if called else None

    try:
        parsed = parse_bpmn(data, resolve_called=resolve_called, max_bytes=max_bytes)
    except ModelInvalid as exc:
        problems = [asdict(p) for p in exc.problems]
        raise Invalid(f"the model has {len(problems)} problem(s): " + "; ".join(
            f"{p['element_id'] or 'model'}: {p['message']}" for p in problems[:5]),
            details={"problems": problems}) from exc
    sha = hashlib.sha256(data).hexdigest()
    key = parsed.main_process_id
    current = latest(session, mid, key)
    if current is not None and current.sha256 == sha:
        return current, False
    offices = {o.name.casefold() for o in list_offices(session, mid)}
    definition = ProcessDefinition(
        municipality_id=mid, key=key, version=(current.version + 1) if current else 1,
        name=parsed.process_name or key, dialect=parsed.dialect, sha256=sha,
        bpmn_xml=data.decode("utf-8", errors="replace"), normalized_xml=parsed.normalized_xml.decode(),
        spec_document=EngineDefinition.spec_document(parsed.dialect, parsed.spec, parsed.subprocess_specs),
        summary=_summary(parsed, offices), deployed_by=actor.username, deployed_at=clock.now(),
        # A new version of the same process keeps the retention period: it follows the kind of case.
        retention=current.retention if current else None,
    )
    session.add(definition)
    session.flush()
    audit.record(session, municipality_id=mid, kind="definition_deployed", actor=actor.username, at=clock.now(),
                 element_id=key, details={"definition_id": definition.id, "version": definition.version,
                                          "sha256": sha})
    return definition, True


def list_definitions(session: Session, *, actor: Principal, key: str | None = None, latest_only: bool = False,
                     limit: int = 100, offset: int = 0) -> tuple[list[ProcessDefinition], int]:
    """Definitions of the caller's municipality, newest first."""
    query = select(ProcessDefinition).where(ProcessDefinition.municipality_id == actor.municipality_id)
    if key:
        query = query.where(ProcessDefinition.key == key)
    if latest_only:
        newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
                  .where(ProcessDefinition.municipality_id == actor.municipality_id)
                  .group_by(ProcessDefinition.key).subquery())
        query = query.join(newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
                           .limit(limit).offset(offset))
    return list(rows), total or 0


def get_definition(session: Session, *, actor: Principal, definition_id: int) -> ProcessDefinition:
    """One definition of the caller's municipality."""
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None or definition.municipality_id != actor.municipality_id:
        raise NotFound(f"definition {definition_id} not found")
    return definition


def set_retention(session: Session, *, actor: Principal, definition_id: int, retention: str | None,
                  clock: Clock) -> ProcessDefinition:
    """Set (or clear) how long after a case's end its personal data is kept (designers, admins); audited."""
    definition = get_definition(session, actor=actor, definition_id=definition_id)
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins set retention periods")
    retention = retention.strip().upper() if retention else None
    if retention:
        parse_retention(retention)
    old = definition.retention
    if old != retention:
        definition.retention = retention
        audit.record(session, municipality_id=definition.municipality_id, kind="retention_changed",
                     actor=actor.username, at=clock.now(), element_id=definition.key,
                     details={"definition_id": definition.id, "version": definition.version, "old": old,
                              "new": retention})
        session.flush()
    return definition
