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
from app.engine.model import ModelInvalid, ParsedModel, Problem
from app.engine.parsing import parse_bpmn
from app.engine.parsing_casefile import CasefileFacts, facts_of
from app.engine.problem_texts import german
from app.engine.runtime import EngineDefinition
from app.errors import Forbidden, Invalid, NotFound
from app.forms.service import latest_form, normalize_form_key

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


def _casefile_facts(parsed: ParsedModel) -> CasefileFacts:
    """Hand-offs, senders, lanes and retention of the model and the processes it calls; ModelInvalid on problems."""
    facts = facts_of(parsed)
    if facts.retention:
        try:
            parse_retention(facts.retention.strip().upper())
        except Invalid as exc:
            facts.problems.append(Problem(parsed.main_process_id, f"lotse:retention: {exc.message}", None, "property"))
        facts.retention = facts.retention.strip().upper()
    if facts.problems:
        raise ModelInvalid(facts.problems)
    return facts


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as the API answers them: element id, line, code, and the message in English and German."""
    return [{**asdict(p), "message_de": german(p.message)} for p in problems]


def model_invalid(problems: list[Problem]) -> Invalid:
    """The 422 for a rejected model: every problem in details, the first few in the message with the count."""
    listed = problem_dicts(problems)
    shown = "; ".join(f"{p['element_id'] or 'line ' + str(p['line'] or '?')}: {p['message']}" for p in listed[:5])
    more = f"; and {len(listed) - 5} more (see details.problems)" if len(listed) > 5 else ""
    return Invalid(f"the model has {len(listed)} problem(s): {shown}{more}", details={"problems": listed})


def latest(session: Session, municipality_id: int, key: str) -> ProcessDefinition | None:
    """The newest version of a process key."""
    return session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.municipality_id == municipality_id, ProcessDefinition.key == key,
    ).order_by(ProcessDefinition.version.desc()).limit(1))


def deploy(session: Session, *, actor: Principal, data: bytes, clock: Clock, max_bytes: int = 5_000_000,
           confirm: bool = True) -> tuple[ProcessDefinition, bool]:
    """Validate and store a BPMN file as a new version; (definition, created). Identical re-uploads are no-ops.

    With confirm=False (a designer's upload) a task whose lane names no office or whose form is not deployed is a
    problem until the designer confirms; programmatic deployments (demo, tests) confirm.
    """
    if not actor.has("designer", "admin"):
        raise Forbidden("only designers and admins deploy process models")
    mid = actor.municipality_id

    def resolve_called(process_id: str) -> bytes | None:
        called = latest(session, mid, process_id)
        return called.normalized_xml.encode() if called else None

    try:
        parsed = parse_bpmn(data, resolve_called=resolve_called, max_bytes=max_bytes)
        # A collaboration: every executable process no call activity calls is deployed, each as its own process.
        models = [parsed] + [parse_bpmn(data, resolve_called=resolve_called, max_bytes=max_bytes, process_id=pid)
                             for pid in parsed.participants if pid != parsed.main_process_id]
        facts = [_casefile_facts(model) for model in models]
    except ModelInvalid as exc:
        raise model_invalid(exc.problems) from exc
    sha = hashlib.sha256(data).hexdigest()
    offices = {o.name.casefold() for o in list_offices(session, mid)}
    if not confirm:
        _require_confirmation(session, mid, models, offices, sha)
    stored = [_store(session, actor, model, casefile, data, sha, offices, clock)
              for model, casefile in zip(models, facts, strict=True)]
    return stored[0][0], any(created for _, created in stored)


def _require_confirmation(session: Session, mid: int, models: list[ParsedModel], offices: set[str],
                          sha: str) -> None:
    """Raise Invalid listing what the designer must confirm (tasks that would wait in no inbox, missing forms)."""
    problems: list[Problem] = []
    for parsed in models:
        current = latest(session, mid, parsed.main_process_id)
        if current is not None and current.sha256 == sha:
            continue
        problems += [Problem(w["element_id"], w["message"] + "; confirm to deploy anyway", None, "confirm")
                     for w in _summary(parsed, offices)["warnings"]]
        for task in parsed.user_tasks:
            key = normalize_form_key(task.form_key)
            if key and latest_form(session, mid, key) is None:
                problems.append(Problem(task.element_id, f"user task '{task.element_id}' names the form '{key}', "
                                        "which is not deployed; deploy the form first or confirm to deploy anyway",
                                        None, "confirm"))
    if problems:
        error = model_invalid(problems)
        error.message = (f"{len(problems)} thing(s) need your confirmation: " + "; ".join(
            f"{p.element_id}: {p.message}" for p in problems[:5]) + " — upload again with confirm=true")
        error.details["needs_confirmation"] = True
        raise error


def _store(session: Session, actor: Principal, parsed: ParsedModel, casefile: CasefileFacts, data: bytes, sha: str,
           offices: set[str], clock: Clock) -> tuple[ProcessDefinition, bool]:
    """One process of an uploaded file as a new version of its key (unless the file is unchanged); audited."""
    mid = actor.municipality_id
    key = parsed.main_process_id
    current = latest(session, mid, key)
    if current is not None and current.sha256 == sha:
        return current, False
    summary = _summary(parsed, offices)
    summary["collaboration"] = [pid for pid in parsed.participants if pid != key]
    # Starting a case of one pool starts the other pools that have a start event without trigger (same case).
    summary["co_starts"] = [pid for pid in parsed.plain_starts if pid != key] if key in parsed.plain_starts else []
    definition = ProcessDefinition(
        municipality_id=mid, key=key, version=(current.version + 1) if current else 1,
        name=parsed.process_name or key, dialect=parsed.dialect, sha256=sha,
        bpmn_xml=data.decode("utf-8", errors="replace"), normalized_xml=parsed.normalized_xml.decode(),
        spec_document=EngineDefinition.spec_document(parsed.dialect, parsed.spec, parsed.subprocess_specs),
        summary={**summary, "casefile": casefile.summary()}, deployed_by=actor.username, deployed_at=clock.now(),
        # A new version keeps the retention period (it follows the kind of case) unless the model names one.
        retention=casefile.retention or (current.retention if current else None),
    )
    session.add(definition)
    session.flush()
    audit.record(session, municipality_id=mid, kind="definition_deployed", actor=actor.username, at=clock.now(),
                 element_id=key, details={"definition_id": definition.id, "version": definition.version,
                                          "sha256": sha, "collaboration": summary["collaboration"]})
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
