"""Normalize and lint a BPMN tree in place before SpiffWorkflow sees it.

JUEL becomes python, bare ISO timer literals become python string literals, and
every expression or script is checked against the sandbox whitelist. Anything
Lotse would silently ignore or cannot run safely becomes a Problem.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable

from lxml import etree

from app.engine import parsing_normalize as normalize
from app.engine import parsing_timers as timers
from app.engine.expressions import ExpressionError, check_expression, check_script
from app.engine.juel import normalize_condition
from app.engine.model import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}

# Task spec names SpiffWorkflow creates itself; a model element with such an id collides.
RESERVED_IDS = {"Start", "Root", "StartEventSplit", "StartEventJoin"}
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")

PYTHON_SCRIPT_FORMATS = {"", "python", "python3", "text/python", "text/x-python"}
CONDITION_LANGUAGES = {"", "python", "juel", "javascript:juel"}
IMPLEMENTATION_ATTRS = ("class", "delegateExpression", "expression", "type")
FLOW_NODES = {
    "process",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_JUEL_NAME = re.compile(r"^\$\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}$")
_WRAPPERS = ("EventDefinition", "LoopCharacteristics")
_EXPRESSION_TAGS = {
    "conditionExpression", "completionCondition", "loopCondition", "loopCardinality", "condition",
    "timeDuration", "timeDate", "timeCycle", "formalExpression", "messagePath", "script",
    "extensionElements",
}


def local(el: etree._Element) -> str:
    """Local name of an element's tag."""
    return etree.QName(el).localname


def camunda(name: str) -> str:
    """Clark notation of a camunda attribute name."""
    return f"{{{CAMUNDA_NS}}}{name}"


def owner_id(el: etree._Element) -> str | None:
    """Id of the BPMN element a problem in el should be reported against."""
    node = el
    while node is not None:
        if isinstance(node.tag, str):
            name = local(node)
            if (node.get("id") and name not in _EXPRESSION_TAGS and not name.endswith(_WRAPPERS)
                    and etree.QName(node).namespace == BPMN_NS):
                return node.get("id")
        node = node.getparent()
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Linter:
    """Collects problems for one document while normalizing it in place."""

    def __init__(self, root: etree._Element, *, origin: str = "") -> None:
        self.root = root
        self.prefix = f"{origin}: " if origin else ""
        self.problems: list[Problem] = []
        self.external_topics: dict[str, str] = {}

    def xpath(self, path: str, **variables: str) -> list:
        """Evaluate an XPath with the bpmn/camunda/spiffworkflow prefixes."""
        return self.root.xpath(path, namespaces=NSMAP, **variables)

    def add(self, el: etree._Element, code: str, message: str) -> None:
        """Record a problem located at el."""
        self.problems.append(Problem(owner_id(el), self.prefix + message, el.sourceline, code))

    def run(self) -> list[Problem]:
        """Apply every check; return the problems found."""
        # Rewrites first, so that the checks below see (and check) the gateways and flows they add.
        self.problems.extend(Problem(p.element_id, self.prefix + p.message, p.line, p.code)
                             for p in normalize.link_events(self.root))
        normalize.implicit_gateways(self.root)
        self.external_topics, external_problems = normalize.external_tasks(self.root)
        self.problems.extend(Problem(p.element_id, self.prefix + p.message, p.line, p.code)
                             for p in external_problems)
        for check in (
            self.zeebe, self.missing_ids, self.reserved_ids, self.conditions, self.timers, self.scripts,
            self.multi_instance, self.payloads, self.unsupported_tasks, self.camunda_extensions,
            self.call_activities,
        ):
            check()
        return self.problems

    # -- helpers -----------------------------------------------------------
    def expression(self, el: etree._Element, label: str, raw: str | None,
                   setter: Callable[[str], None] | None = None) -> str | None:
        """Translate JUEL, check against the whitelist, write back; None on failure."""
        if raw is None or not raw.strip():
            return None
        try:
            text = normalize_condition(raw)
            check_expression(text)
        except (ExpressionError, ValueError) as exc:
            self.add(el, "expression", f"{label} '{_short(raw)}' is not allowed: {exc}")
            return None
        (setter or (lambda value: setattr(el, "text", value)))(text)
        return text

    def script(self, el: etree._Element, label: str) -> None:
        """Check a script body (only `name = expression` lines) and dedent it."""
        raw = el.text or ""
        text = textwrap.dedent(raw).strip("\n")
        if not text.strip():
            self.add(el, "expression", f"{label} is empty")
            return
        try:
            check_script(text)
        except ExpressionError as exc:
            self.add(el, "expression", f"{label} is not allowed: {exc}")
            return
        el.text = text

    # -- checks ------------------------------------------------------------
    def missing_ids(self) -> None:
        """Flow nodes need ids; SpiffWorkflow silently drops sequence flows without one, so name them."""
        taken = set(self.xpath("//@id"))
        for number, flow in enumerate(self.xpath("//bpmn:sequenceFlow[not(@id)]"), start=1):
            flow_id = f"Flow_lotse_{number}"
            while flow_id in taken:
                flow_id += "_"
            taken.add(flow_id)
            flow.set("id", flow_id)
        for el in self.xpath("//bpmn:process[not(@id)] | //bpmn:process//bpmn:*[not(@id)]"):
            if local(el) in FLOW_NODES:
                self.add(el, "structure", f"bpmn:{local(el)} has no id")

    def reserved_ids(self) -> None:
        """Element ids that collide with task specs SpiffWorkflow creates internally."""
        for el in self.xpath("//bpmn:*[@id]"):
            element_id = el.get("id")
            if element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES):
                self.problems.append(Problem(
                    element_id,
                    f"{self.prefix}element id '{element_id}' is reserved by the engine; rename it",
                    el.sourceline, "reserved_id"))

    def conditions(self) -> None:
        """Sequence-flow, loop, multi-instance and conditional-event conditions."""
        for el in self.xpath("//bpmn:conditionExpression"):
            self.condition_source(el)
            language = (el.get("language") or "").strip().lower()
            if language not in CONDITION_LANGUAGES:
                self.add(el, "unsupported", f"condition language '{el.get('language')}' is not supported; "
                         "write a JUEL ${...} or python condition")
            elif el.get(camunda("resource")):
                self.add(el, "unsupported", "external condition scripts (camunda:resource) are not supported")
            else:
                self.expression(el, "condition", el.text)
        for tag, label in (("completionCondition", "completion condition"),
                           ("loopCondition", "loop condition"),
                           ("loopCardinality", "loop cardinality"),
                           ("condition", "event condition")):
            for el in self.xpath(f"//bpmn:{tag}"):
                self.expression(el, label, el.text)

    def condition_source(self, el: etree._Element) -> None:
        """SpiffWorkflow ignores conditions on flows that do not leave an exclusive/inclusive gateway."""
        flow = el.getparent()
        if local(flow) != "sequenceFlow":
            return
        source = self.xpath("//bpmn:*[@id=$ref]", ref=flow.get("sourceRef") or "")
        if source and local(source[0]) not in ("exclusiveGateway", "inclusiveGateway"):
            self.add(el, "unsupported", f"the condition on a flow leaving a {local(source[0])} would be "
                     "ignored; put an exclusive or inclusive gateway before the branches")

    def zeebe(self) -> None:
        """Camunda 8 models use FEEL and job workers, none of which Lotse runs."""
        if self.xpath("//*[namespace-uri()=$ns] | //@*[namespace-uri()=$ns]", ns=ZEEBE_NS):
            self.add(self.root, "unsupported", "Camunda 8 (Zeebe) models are not supported; "
                     "model for Camunda Platform 7 or bpmn-js-spiffworkflow")

    def timers(self) -> None:
        """Timer definitions: quote ISO literals, translate JUEL, check expressions."""
        for tag, kind in timers.TIMER_KINDS.items():
            for el in self.xpath(f"//bpmn:timerEventDefinition/bpmn:{tag}"):
                # Timers inside camunda:taskListener are reported as unsupported listeners.
                if etree.QName(el.getparent().getparent()).namespace == BPMN_NS:
                    self.timer(el, tag, kind)

    def timer(self, el: etree._Element, tag: str, kind: str) -> None:
        """Normalize one timeDuration/timeDate/timeCycle element."""
        raw = (el.text or "").strip()
        if not raw:
            self.add(el, "timer", f"{tag} is empty (e.g. {timers.example(kind)})")
            return
        literal = timers.quoted_literal(raw)
        if literal is None and timers.looks_like_literal(raw):
            literal = raw
        if literal is not None:
            error = timers.literal_error(kind, literal.strip())
            if error:
                self.add(el, "timer", f"{tag}: {error}")
            else:
                el.text = timers.quote(literal.strip())
            return
        try:
            text = normalize_condition(raw)
            check_expression(text)
        except (ExpressionError, ValueError) as exc:
            self.add(el, "expression", f"{tag} '{_short(raw)}' is neither an ISO 8601 {kind} literal "
                     f"(e.g. {timers.example(kind)}) nor an allowed expression: {exc}")
            return
        literal = timers.quoted_literal(text)
        error = timers.literal_error(kind, literal) if literal is not None else None
        if error:
            self.add(el, "timer", f"{tag}: {error}")
            return
        el.text = text

    def scripts(self) -> None:
        """Script tasks and spiffworkflow pre/post scripts."""
        for task in self.xpath("//bpmn:scriptTask"):
            fmt = (task.get("scriptFormat") or "").strip().lower()
            if fmt not in PYTHON_SCRIPT_FORMATS:
                self.add(task, "unsupported", f"scriptFormat '{task.get('scriptFormat')}' is not supported; "
                         "only simple python assignments (name = expression) run in Lotse")
                continue
            if task.get(camunda("resource")):
                self.add(task, "unsupported", "external scripts (camunda:resource) are not supported")
                continue
            if task.get(camunda("resultVariable")):
                self.add(task, "unsupported", "camunda:resultVariable on a script task is not supported; "
                         "assign the variable in the script (name = expression)")
            bodies = task.xpath("./bpmn:script", namespaces=NSMAP)
            if not bodies:
                self.add(task, "structure", "script task has no script")
            for body in bodies:
                self.script(body, "script")
        for tag in ("preScript", "postScript"):
            for el in self.xpath(f"//spiffworkflow:{tag}"):
                if (el.text or "").strip():
                    self.script(el, tag)

    def multi_instance(self) -> None:
        """Camunda multi-instance collection and element variable."""
        for loop in self.xpath("//bpmn:multiInstanceLoopCharacteristics"):
            collection = loop.get(camunda("collection"))
            if collection is not None:
                match = _JUEL_NAME.match(collection.strip())
                name = match.group(1) if match else collection.strip()
                if _IDENTIFIER.match(name):
                    loop.set(camunda("collection"), name)
                else:
                    self.add(loop, "expression", f"camunda:collection '{_short(collection)}' must be a "
                             "variable name or ${name}")
            element_var = loop.get(camunda("elementVariable"))
            if element_var is not None and not _IDENTIFIER.match(element_var.strip()):
                self.add(loop, "expression", f"camunda:elementVariable '{_short(element_var)}' must be "
                         "a plain variable name")

    def payloads(self) -> None:
        """Message payloads, correlation retrieval expressions, spiff service-task parameters."""
        for tag in ("messagePayload", "payloadExpression"):
            for el in self.xpath(f"//spiffworkflow:{tag}"):
                self.expression(el, "message payload", el.text)
        for el in self.xpath("//spiffworkflow:processVariableCorrelation/spiffworkflow:expression"):
            self.expression(el, "correlation expression", el.text)
        for el in self.xpath("//bpmn:correlationPropertyRetrievalExpression/*"):
            self.expression(el, "correlation retrieval expression", el.text)
        for el in self.xpath("//spiffworkflow:serviceTaskOperator/spiffworkflow:parameter[@value]"):
            self.expression(el, f"service parameter '{el.get('id')}'", el.get("value"),
                            functools.partial(el.set, "value"))
        for el in self.xpath("//bpmn:messageEventDefinition[@camunda:expression]"):
            self.expression(el, "message payload (camunda:expression)", el.get(camunda("expression")),
                            functools.partial(el.set, camunda("expression")))

    def unsupported_tasks(self) -> None:
        """Task types and implementations Lotse cannot run."""
        for el in self.xpath("//bpmn:businessRuleTask"):
            self.add(el, "unsupported", "DMN decisions are not supported yet (business rule task; "
                     "camunda:decisionRef)")
        for el in self.xpath("//bpmn:serviceTask | //bpmn:sendTask"):
            self.implementation(el, IMPLEMENTATION_ATTRS)
            if el.xpath("./bpmn:extensionElements/camunda:connector", namespaces=NSMAP):
                self.add(el, "unsupported", "camunda:connector is not supported")
        for el in self.xpath("//bpmn:sendTask"):
            has_message = el.get("messageRef") or el.xpath("./bpmn:messageEventDefinition", namespaces=NSMAP)
            if not has_message:
                self.add(el, "unsupported", "a send task without a message would do nothing; "
                         "reference a bpmn:message (messageRef)")
        for el in self.xpath("//bpmn:messageEventDefinition"):
            self.implementation(el, ("class", "delegateExpression", "type"))

    def implementation(self, el: etree._Element, attrs: tuple[str, ...]) -> None:
        """Report Camunda Java/external implementations on el."""
        for attr in attrs:
            value = el.get(camunda(attr))
            if value is not None:
                self.add(el, "unsupported", f"camunda:{attr}='{_short(value)}' is not supported: Lotse runs "
                         "no Java delegates, expressions or external workers; compute values in a script task "
                         "(name = expression) or let a clerk do the step in a user task")

    def camunda_extensions(self) -> None:
        """Listeners and input/output mappings, which would silently do nothing."""
        for tag in ("executionListener", "taskListener"):
            for el in self.xpath(f"//camunda:{tag}"):
                impl = next((f" ({a}='{_short(el.get(a), 60)}')" for a in ("class", "expression",
                             "delegateExpression") if el.get(a)), "")
                if not impl and el.xpath("./camunda:script", namespaces=NSMAP):
                    impl = " (script)"
                self.add(el, "unsupported", f"camunda:{tag}{impl} is not supported: the listener would "
                         "silently do nothing; model the step as a script task in the flow instead")
        for el in self.xpath("//camunda:inputOutput"):
            self.add(el, "unsupported", "camunda:inputOutput mappings are not supported: they would be "
                     "silently ignored")

    def call_activities(self) -> None:
        """Dynamic call targets and variable mappings other than 'all'."""
        for el in self.xpath("//bpmn:callActivity"):
            called = (el.get("calledElement") or "").strip()
            if not called:
                self.add(el, "structure", "call activity has no calledElement")
            elif "${" in called or "#{" in called:
                self.add(el, "unsupported", f"dynamic calledElement '{_short(called)}' is not supported")
            for mapping in el.xpath("./bpmn:extensionElements/camunda:in | "
                                    "./bpmn:extensionElements/camunda:out", namespaces=NSMAP):
                if mapping.get("variables") != "all" or len(mapping.attrib) > 1:
                    self.add(mapping, "unsupported", f"camunda:{local(mapping)} mappings other than "
                             "variables=\"all\" are not supported (all variables are always passed)")
