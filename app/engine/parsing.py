"""Parse, lint and load uploaded BPMN (Camunda Modeler or bpmn-js-spiffworkflow) into SpiffWorkflow specs."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskIterator

from app.engine import join_merge
from app.engine.model import ModelInvalid, ParsedModel, Problem
from app.engine.parsing_camunda import LotseCamundaParser
from app.engine.parsing_extract import extract
from app.engine.parsing_lint import BPMN_NS, CAMUNDA_NS, NSMAP, SPIFF_NS, Linter, owner_id
from app.engine.problem_texts import engine_problem_text
from app.engine.xmlsafe import DEFAULT_MAX_BYTES, XmlError, parse_xml

MAX_CALLED_MODELS = 50
MAIN_FILENAME = "model.bpmn"
PATCHED_MAX_DEPTH = 10**9
# (class, defaults SpiffWorkflow 3.2.0 ships); anything else means the library changed under us.
_ITERATOR_DEFAULTS = (
    (TaskIterator, (None, 1000, True, None)),
    (BpmnTaskIterator, (None, 1000, True, False, None)),
)
_patch_lock = threading.Lock()
_xsd_lock = threading.Lock()  # an XMLSchema's error_log is per object, so validate one at a time
Resolver = Callable[[str], "bytes | None"]


def apply_engine_patches() -> None:
    """Patch SpiffWorkflow (idempotent): a higher task-iterator max_depth (long loops do not stall silently), and
    joins that apply each branch's changes instead of the last copy (app/engine/join_merge.py)."""
    with _patch_lock:
        for cls, shipped in _ITERATOR_DEFAULTS:
            init = cls.__init__
            names = [p.name for p in inspect.signature(init).parameters.values() if p.default is not p.empty]
            current = init.__defaults__
            if names[1:2] != ["max_depth"] or current is None or len(current) != len(shipped):
                raise RuntimeError(f"SpiffWorkflow {cls.__name__}.__init__ changed; re-check the max_depth patch")
            if current[1] == PATCHED_MAX_DEPTH:
                continue
            if current != shipped:
                raise RuntimeError(f"unexpected {cls.__name__} defaults {current!r}; re-check the max_depth patch")
            init.__defaults__ = (current[0], PATCHED_MAX_DEPTH, *current[2:])
        join_merge.apply()


@functools.cache
def _camunda_validator() -> BpmnValidator:
    return BpmnValidator()


def _validator(dialect: str) -> BpmnValidator:
    return _camunda_validator() if dialect == "camunda" else SPIFF_VALIDATOR


def detect_dialect(root: etree._Element) -> str:
    """'camunda' if the camunda namespace is used (or only declared), else 'spiff' (also for plain BPMN)."""
    used: set[str] = set()
    for el in root.iter():
        if isinstance(el.tag, str):
            used.add(etree.QName(el).namespace or "")
            used.update(etree.QName(name).namespace or "" for name in el.attrib)
    if SPIFF_NS in used and CAMUNDA_NS not in used:
        return "spiff"
    if CAMUNDA_NS in used or CAMUNDA_NS in root.nsmap.values():
        return "camunda"
    return "spiff"


def _short_xsd_message(message: str) -> str:
    for ns, prefix in ((BPMN_NS, "bpmn"), (CAMUNDA_NS, "camunda"), (SPIFF_NS, "spiffworkflow")):
        message = message.replace(f"{{{ns}}}", f"{prefix}:")
    return message


def xsd_problems(tree: etree._ElementTree, dialect: str) -> list[Problem]:
    """Validate against the BPMN (+ spiffworkflow) XSD; one Problem per schema error."""
    root = tree.getroot()
    validator = _validator(dialect)
    document = root
    if root.xpath("//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression", namespaces=NSMAP):
        # SpiffWorkflow's preprocess renames these in place; do that on a copy only.
        document = copy.deepcopy(root)
        validator.preprocess(document)
    with _xsd_lock:
        valid = validator.validator.validate(document)
        errors = [] if valid else list(validator.validator.error_log)
    by_line: dict[int, etree._Element] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            by_line.setdefault(el.sourceline, el)
    problems = []
    for error in errors:
        el = by_line.get(error.line)
        problems.append(Problem(owner_id(el) if el is not None else None,
                                _short_xsd_message(error.message), error.line or None, "xsd"))
    return problems


def _top_processes(root: etree._Element) -> list[etree._Element]:
    return root.xpath("/bpmn:definitions/bpmn:process", namespaces=NSMAP)


def _called(root: etree._Element) -> list[tuple[str, etree._Element]]:
    return [((el.get("calledElement") or "").strip(), el)
            for el in root.xpath("//bpmn:callActivity[@calledElement]", namespaces=NSMAP)]


def _spiff_problem(exc: Exception, origin: str) -> Problem:
    prefix = f"{origin}: " if origin else ""
    if isinstance(exc, ValidationException):
        message = str(exc.args[0]) if exc.args else str(exc)
        if "RecursionError" in message:
            return Problem(exc.id or None, f"{prefix}the flow is too long for the engine to parse (hundreds of "
                           "elements in a row); split it", exc.line_number or None, "structure")
        text, embedded = engine_problem_text(exc)
        return Problem(embedded or exc.id or None, prefix + text, exc.line_number or None, "structure")
    text, embedded = engine_problem_text(exc)
    if embedded is None:
        text = text.replace("the engine could not read this element", "the engine could not read the model")
    return Problem(embedded, prefix + text, None, "structure")


class _Loader:
    """Resolves called processes and feeds every document to one SpiffWorkflow parser."""

    def __init__(self, tree: etree._ElementTree, dialect: str, resolve: Resolver | None, max_bytes: int):
        self.dialect, self.resolve, self.max_bytes = dialect, resolve, max_bytes
        # (tree, origin shown in problem messages, filename handed to SpiffWorkflow)
        self.documents: list[tuple[etree._ElementTree, str, str]] = [(tree, "", MAIN_FILENAME)]
        self.called_xml: dict[str, bytes] = {}
        self.problems: list[Problem] = []
        self.parser = LotseCamundaParser() if dialect == "camunda" else SpiffBpmnParser()

    def resolve_calls(self) -> None:
        """Fetch every call-activity target not defined in the uploaded file, transitively."""
        root = self.documents[0][0].getroot()
        known = {p.get("id") for p in _top_processes(root)}
        pending = _called(root)
        while pending:
            target, call = pending.pop(0)
            if not target or target in known or "${" in target or "#{" in target:
                continue
            callers = [c for t, c in pending if t == target] + [call]
            pending = [(t, c) for t, c in pending if t != target]
            known.add(target)
            tree = self._fetch(target, callers)
            if tree is None:
                continue
            known.update(p.get("id") for p in _top_processes(tree.getroot()))
            pending.extend(_called(tree.getroot()))

    def _fetch(self, target: str, callers: list[etree._Element]) -> etree._ElementTree | None:
        def fail(message: str) -> None:
            self.problems.extend(Problem(c.get("id"), message, c.sourceline, "call_target") for c in callers)

        if len(self.called_xml) >= MAX_CALLED_MODELS:
            fail(f"called process '{target}' not loaded: more than {MAX_CALLED_MODELS} called models")
            return None
        data = self.resolve(target) if self.resolve is not None else None
        if data is None:
            fail(f"called process '{target}' is not deployed")
            return None
        try:
            tree = parse_xml(data, max_bytes=self.max_bytes)
        except XmlError as exc:
            fail(f"called process '{target}' could not be read: {exc}")
            return None
        root = tree.getroot()
        if target not in {p.get("id") for p in _top_processes(root)}:
            fail(f"the model deployed for '{target}' has no process with id '{target}'")
            return None
        origin = f"called process '{target}'"
        self.problems.extend(Linter(root, origin=origin).run())
        self.called_xml[target] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
        self.documents.append((tree, origin, f"{target}.bpmn"))
        return tree

    def load(self, process_ids: list[str], main: str) -> tuple[object, dict]:
        """Hand the documents to SpiffWorkflow; returns (spec, subprocess_specs) or (None, {})."""
        with warnings.catch_warnings():
            # spiff warns (DeprecationWarning) about an older messagePayload location it still reads.
            warnings.simplefilter("ignore", DeprecationWarning)
            origins = {filename: origin for _, origin, filename in self.documents}
            for tree, origin, filename in self.documents:
                try:
                    self.parser.add_bpmn_xml(tree, filename=filename)
                except Exception as exc:  # noqa: BLE001 - any parser failure is a model problem
                    self.problems.append(_spiff_problem(exc, origin))
                    return None, {}
            specs = {}
            for pid in [*process_ids, *self.called_xml]:
                try:
                    specs[pid] = self.parser.get_spec(pid)
                except Exception as exc:  # noqa: BLE001
                    self.problems.append(_spiff_problem(exc, origins.get(getattr(exc, "file_name", ""), "")))
            if main not in specs:
                return None, {}
            try:
                subprocess_specs = self.parser.get_subprocess_specs(main, require_call_activity_specs=False)
            except Exception as exc:  # noqa: BLE001
                self.problems.append(_spiff_problem(exc, ""))
                return None, {}
        return specs[main], {k: v for k, v in subprocess_specs.items() if v is not None}


def _select_main(root: etree._Element, wanted: str | None = None) -> tuple[list[str], str | None, list[str]]:
    """(executable process ids, the one to load, the participants: executable processes no call activity calls)."""
    executable = [p.get("id") for p in _top_processes(root) if p.get("isExecutable") == "true" and p.get("id")]
    called = {target for target, _ in _called(root)}
    participants = [pid for pid in executable if pid not in called] or executable
    if wanted is not None:
        return executable, (wanted if wanted in executable else None), participants
    return executable, (participants[0] if participants else None), participants


def _plain_starts(root: etree._Element, participants: list[str]) -> list[str]:
    """Participants with a start event without trigger: starting the collaboration starts them."""
    return [p.get("id") for p in _top_processes(root) if p.get("id") in participants and p.xpath(
        "./bpmn:startEvent[not(*[contains(local-name(), 'EventDefinition')])]", namespaces=NSMAP)]


def _idle_processes(root: etree._Element, executable: list[str]) -> list[Problem]:
    """Processes with a start event that Lotse would silently not run, next to ones it runs."""
    if not executable:
        return []
    return [Problem(p.get("id"), f"process '{p.get('id')}' is not executable: set isExecutable=\"true\" on "
                    "the process Lotse should run (or remove the pool's content)", p.sourceline, "structure")
            for p in _top_processes(root) if p.get("id") not in executable
            and p.xpath("./bpmn:startEvent", namespaces=NSMAP)]


def _no_executable_process(root: etree._Element) -> list[Problem]:
    """One problem per process that Lotse would not run, named by its id (the fix: isExecutable)."""
    processes = _top_processes(root)
    if not processes:
        return [Problem(None, "no executable process: the file contains no bpmn:process (a collaboration needs "
                        "at least one pool with a process)", root.sourceline, "structure")]
    return [Problem(p.get("id"), f"process '{p.get('id') or '(no id)'}' is not executable: set "
                    "isExecutable=\"true\" on the process Lotse should run", p.sourceline, "structure")
            for p in processes]


def _process_name(root: etree._Element, process_id: str) -> str | None:
    for process in _top_processes(root):
        if process.get("id") == process_id and process.get("name"):
            return process.get("name")
    names = root.xpath("//bpmn:participant[@processRef=$pid]/@name", namespaces=NSMAP, pid=process_id)
    return names[0] if names else None


def _locate(problems: list[Problem], root: etree._Element) -> list[Problem]:
    """Every problem names an element or at least a line: a quoted id of the document, else the root's line."""
    ids = {el.get("id"): el.sourceline for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    located = []
    for problem in problems:
        if problem.element_id is None:
            named = next((i for i in re.findall(r"'([^']+)'", problem.message) if i in ids), None)
            if named is not None:
                problem = Problem(named, problem.message, problem.line or ids[named], problem.code)
            elif problem.line is None:
                problem = Problem(None, problem.message, root.sourceline, problem.code)
        located.append(problem)
    return located


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    flagged = {p.element_id for p in problems if p.code != "structure" and p.element_id}
    result = []
    for problem in problems:
        key = (problem.element_id, problem.message, problem.code)
        # The engine's own parse error for an element already reported is noise.
        engine_noise = problem.code == "structure" and (problem.element_id in flagged or (
            problem.element_id is None and "attribute '" in problem.message and any(
                problem.message.split("'")[1] in other.message for other in problems if other is not problem)))
        if key in seen or engine_noise:
            continue
        seen.add(key)
        result.append(problem)
    return result


def parse_bpmn(data: bytes, *, resolve_called: Resolver | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               process_id: str | None = None) -> ParsedModel:
    """Parse, lint and load a BPMN document (for one participant of a collaboration: process_id).

    Raises ModelInvalid listing every problem found.
    """
    apply_engine_patches()
    try:
        tree = parse_xml(data, max_bytes=max_bytes)
    except XmlError as exc:
        raise ModelInvalid([Problem(None, exc.message, exc.line, "xml")]) from None
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise ModelInvalid([Problem(None, f"not a BPMN 2.0 document (root element is "
                                    f"'{etree.QName(root).localname}', expected bpmn:definitions)",
                                    root.sourceline, "xml")])
    dialect = detect_dialect(root)
    problems = xsd_problems(tree, dialect)
    schema_valid = not problems
    problems += Linter(root).run()
    process_ids, main, participants = _select_main(root, process_id)
    if main is None:
        problems += _no_executable_process(root)
    problems += _idle_processes(root, process_ids)
    loader = _Loader(tree, dialect, resolve_called, max_bytes)
    loader.resolve_calls()
    problems += loader.problems
    normalized_xml = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    spec: Any = None
    subprocess_specs: dict[str, Any] = {}
    if schema_valid and main is not None:
        loader.problems = []
        spec, subprocess_specs = loader.load(process_ids, main)
        problems += loader.problems
    facts = extract([(t.getroot(), origin) for t, origin, _ in loader.documents])
    problems += facts.problems
    if problems or spec is None or main is None:  # no main process always comes with a problem
        found = _locate(_dedupe(problems), root)
        raise ModelInvalid(found or [Problem(None, "model could not be loaded", root.sourceline, "structure")])
    return ParsedModel(
        dialect=dialect, main_process_id=main, process_ids=process_ids, participants=participants,
        plain_starts=_plain_starts(root, participants),
        process_name=_process_name(root, main), spec=spec, subprocess_specs=subprocess_specs,
        lanes=facts.lanes, user_tasks=facts.user_tasks, timers=facts.timers,
        message_names=facts.message_names, called_elements=facts.called_elements,
        normalized_xml=normalized_xml, called_xml=loader.called_xml,
    )
