"""Read what the orchestrator needs (user tasks, timers, lanes, messages) from a normalized tree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import isodate
from lxml import etree

from app.engine import bounds
from app.engine import parsing_clocks as clocks
from app.engine import parsing_timers as timers
from app.engine.juel_dates import date_expression_error
from app.engine.model import Problem, TimerInfo, UserTaskInfo
from app.engine.parsing_casefile import CASEFILE_PROPERTIES
from app.engine.parsing_lint import BPMN_NS, NSMAP, camunda, local

CALENDARS = ("kalendertage", "werktage-nrw")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_OWNER = re.compile(r"^(user|group)\(([^)]*)\)$")
_JUEL_VARIABLE = re.compile(r"^[$#]\{\s*[A-Za-z][A-Za-z0-9_]*\s*\}$")
DURATION_PROPERTIES = {"lotse:dueIn": "due_in", "lotse:remindBefore": "remind_before",
                       "lotse:followUpIn": "follow_up_in"}
TEXT_PROPERTIES = {"lotse:calendar": "calendar", "lotse:legalSource": "legal_source"}
FORM_PROPERTIES = ("lotse:formKey", "formKey")
KNOWN_PROPERTIES = {*DURATION_PROPERTIES, *TEXT_PROPERTIES, *clocks.CLOCK_PROPERTIES, "lotse:formKey",
                    *CASEFILE_PROPERTIES}
# Elements whose children run in their own SpiffWorkflow (sub)workflow spec.
CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}


@dataclass
class Extracted:
    """Facts gathered from one or more documents."""

    user_tasks: list[UserTaskInfo] = field(default_factory=list)
    timers: list[TimerInfo] = field(default_factory=list)
    lanes: list[str] = field(default_factory=list)
    message_names: list[str] = field(default_factory=list)
    called_elements: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _append_unique(target: list[str], values: list) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


def container_id(el: etree._Element) -> str | None:
    """Id of the process or subprocess whose spec holds el (SpiffWorkflow's spec name)."""
    for ancestor in el.iterancestors():
        if etree.QName(ancestor).namespace == BPMN_NS and local(ancestor) in CONTAINERS:
            return ancestor.get("id")
    return None


def _lane_index(root: etree._Element) -> dict[str, str | None]:
    # Same rule as SpiffWorkflow's document index: flowNodeRef text -> enclosing lane's name.
    return {ref.text: ref.getparent().get("name")
            for ref in root.xpath("//bpmn:flowNodeRef", namespaces=NSMAP) if ref.text is not None}


def effective_lane(el: etree._Element, lanes: dict[str, str | None]) -> str | None:
    """Lane as SpiffWorkflow assigns it: an embedded subprocess passes its lane down."""
    chain = [el] + [a for a in el.iterancestors()
                    if local(a) in CONTAINERS - {"process"} and etree.QName(a).namespace == BPMN_NS]
    lane = None
    for node in reversed(chain):
        if lane is None:
            lane = lanes.get(node.get("id"))
    return lane


def duration_ok(text: str) -> bool:
    """True for a positive-direction ISO 8601 duration isodate can parse (e.g. P14D, PT4H)."""
    if not timers.duration_pattern_ok(text):
        return False
    try:
        isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError):
        return False
    return True


def _properties(task: etree._Element) -> dict[str, tuple[str, etree._Element]]:
    props: dict[str, tuple[str, etree._Element]] = {}
    for prop in task.xpath("./bpmn:extensionElements/camunda:properties/camunda:property | "
                           "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                           namespaces=NSMAP):
        if prop.get("name"):
            props[prop.get("name").strip()] = ((prop.get("value") or "").strip(), prop)
    return props


def _form_key(task: etree._Element, props: dict[str, tuple[str, etree._Element]]) -> str | None:
    schema = task.xpath("./bpmn:extensionElements/spiffworkflow:formJsonSchemaFilename/text()",
                        namespaces=NSMAP)
    candidates = (task.get(camunda("formKey")), *(props.get(name, ("",))[0] for name in FORM_PROPERTIES),
                  schema[0].strip() if schema else None, task.get(camunda("formRef")))
    return next((key for key in candidates if key), None)


def _performer(task: etree._Element, tag: str) -> str:
    """The formal expression of a BPMN humanPerformer / potentialOwner of a task ('' when there is none)."""
    texts = task.xpath(f"./bpmn:{tag}/bpmn:resourceAssignmentExpression/bpmn:formalExpression/text()",
                       namespaces=NSMAP)
    return " ".join(t.strip() for t in texts if t.strip())


def _documentation(el: etree._Element) -> str | None:
    docs = el.xpath("./bpmn:documentation/text()", namespaces=NSMAP)
    return docs[0].strip() if docs and docs[0].strip() else None


class _Extractor:
    def __init__(self, root: etree._Element, prefix: str, out: Extracted) -> None:
        self.root, self.prefix, self.out = root, prefix, out
        self.lanes = _lane_index(root)

    def problem(self, el: etree._Element, code: str, message: str, at: etree._Element | None = None) -> None:
        line = (at if at is not None else el).sourceline
        self.out.problems.append(Problem(el.get("id"), self.prefix + message, line, code))

    def user_task(self, task: etree._Element) -> UserTaskInfo:
        props = _properties(task)
        info = UserTaskInfo(
            element_id=task.get("id"), name=task.get("name"), process_id=container_id(task) or "",
            lane=effective_lane(task, self.lanes), form_key=_form_key(task, props),
            camunda_due_date=task.get(camunda("dueDate")),
            camunda_follow_up_date=task.get(camunda("followUpDate")),
            documentation=_documentation(task),
        )
        self.dates(task)
        self.assignee(task, info)
        groups = task.get(camunda("candidateGroups"))
        if groups and ("${" in groups or "#{" in groups):
            self.problem(task, "unsupported", f"dynamic camunda:candidateGroups '{groups}' are not "
                         "supported; list the groups (comma separated) or use lanes")
        elif groups:
            info.candidate_groups = [g.strip() for g in groups.split(",") if g.strip()]
        for name, (value, prop) in props.items():
            if name.startswith("lotse:") and name not in KNOWN_PROPERTIES:
                self.problem(task, "property", f"unknown property '{name}' (known: "
                             f"{', '.join(sorted(KNOWN_PROPERTIES))})", prop)
            elif name in DURATION_PROPERTIES:
                if too_long := bounds.duration_problem(value):
                    self.problem(task, "property", f"{name}: {too_long}", prop)
                elif duration_ok(value) or (name == "lotse:dueIn" and clocks.signed_duration_ok(value, props)):
                    setattr(info, DURATION_PROPERTIES[name], value)
                else:
                    self.problem(task, "property", f"{name} '{value}' is not an ISO 8601 duration "
                                 "(e.g. P14D, P1M, PT4H)", prop)
            elif name in TEXT_PROPERTIES:
                setattr(info, TEXT_PROPERTIES[name], value or None)
        if info.calendar is not None and info.calendar not in CALENDARS:
            self.problem(task, "property", f"lotse:calendar '{info.calendar}' is unknown; use one of "
                         f"{', '.join(CALENDARS)}", props["lotse:calendar"][1])
            info.calendar = None
        if info.remind_before and not (info.due_in or info.camunda_due_date):
            self.problem(task, "property", "lotse:remindBefore needs a deadline (lotse:dueIn or camunda:dueDate)")
        info.clock = clocks.read(props, self.root, lambda msg, at: self.problem(task, "property", msg, at),
                                 legal_source=info.legal_source, due_in=info.due_in, calendar=info.calendar)
        return info

    def dates(self, task: etree._Element) -> None:
        """camunda:dueDate / followUpDate that Lotse cannot evaluate are problems, not silently no deadline."""
        for attr in ("dueDate", "followUpDate"):
            error = date_expression_error(task.get(camunda(attr)))
            if error:
                self.problem(task, "property", f"camunda:{attr}: {error}")

    def assignee(self, task: etree._Element, info: UserTaskInfo) -> None:
        """camunda:assignee / candidateUsers: one user (a username or ${variable}) the task goes to."""
        assignee = (task.get(camunda("assignee")) or "").strip() or _performer(task, "humanPerformer")
        users = [u.strip() for u in (task.get(camunda("candidateUsers")) or "").split(",") if u.strip()]
        # BPMN potentialOwner: "user(kermit), group(sales)" or plain group names.
        for item in filter(None, (i.strip() for i in _performer(task, "potentialOwner").split(","))):
            match = _OWNER.match(item)
            kind, name = (match.group(1), match.group(2).strip()) if match else ("group", item)
            (users if kind == "user" else info.candidate_groups).append(name)
        if len(users) > 1:
            self.problem(task, "unsupported", f"camunda:candidateUsers '{', '.join(users)}' names several users; "
                         "Lotse gives a task to one user or to an office: use camunda:assignee or a lane")
            return
        value = assignee or (users[0] if users else "")
        if not value:
            return
        if _USERNAME.match(value) or _JUEL_VARIABLE.match(value):
            info.assignee = value
        else:
            self.problem(task, "unsupported", f"the assignee '{value}' is neither a username nor ${{variable}}")

    def timer(self, definition: etree._Element) -> TimerInfo | None:
        event = definition.getparent()
        for child in definition:
            if not isinstance(child.tag, str) or local(child) not in timers.TIMER_KINDS:
                continue
            interrupting = None
            if local(event) == "boundaryEvent":
                interrupting = event.get("cancelActivity", "true").lower() != "false"
            elif local(event) == "startEvent" and event.getparent().get("triggeredByEvent") == "true":
                interrupting = event.get("isInterrupting", "true").lower() != "false"
            info = TimerInfo(element_id=event.get("id"), process_id=container_id(event) or "",
                             kind=timers.TIMER_KINDS[local(child)], expression=(child.text or "").strip(),
                             attached_to=event.get("attachedToRef"), interrupting=interrupting)
            def report(msg: str, at: etree._Element, ev: etree._Element = event) -> None:
                self.problem(ev, "timer", msg, at)

            info.clock = clocks.read_timer(event, info, _properties(event), self.root, report)
            return info
        self.problem(event, "timer", "timer has no timeDuration, timeDate or timeCycle")
        return None

    def run(self) -> None:
        out = self.out
        for task in self.root.xpath("//bpmn:userTask", namespaces=NSMAP):
            out.user_tasks.append(self.user_task(task))
        for definition in self.root.xpath("//bpmn:timerEventDefinition", namespaces=NSMAP):
            if etree.QName(definition.getparent()).namespace == BPMN_NS:
                info = self.timer(definition)
                if info is not None:
                    out.timers.append(info)
        _append_unique(out.lanes, self.root.xpath("//bpmn:lane/@name", namespaces=NSMAP))
        _append_unique(out.message_names, self.root.xpath("//bpmn:message/@name", namespaces=NSMAP))
        _append_unique(out.called_elements,
                       [c.strip() for c in self.root.xpath("//bpmn:callActivity/@calledElement",
                                                           namespaces=NSMAP)])


def extract(documents: list[tuple[etree._Element, str]]) -> Extracted:
    """Gather user tasks, timers, lanes, messages and call targets from (root, origin) pairs."""
    out = Extracted()
    for root, origin in documents:
        _Extractor(root, f"{origin}: " if origin else "", out).run()
    return out
