"""Rewrite BPMN constructs the engine lacks into equivalent ones it runs, before SpiffWorkflow sees the tree.

- Several outgoing flows on an activity (BPMN: each unconditional flow is taken, each conditional one when its
  condition holds, the default flow when none did) become an explicit inclusive gateway after the activity, or a
  parallel gateway when no flow has a condition.
- A service task with camunda:type="external" and a topic waits for a worker: it becomes a receive task for the
  message `external:<topic>:<element id>`, which app/external delivers when a worker completes the job.
- A link throw event and its link catch event (same scope, matched by the catch's name or the throw's target)
  become one sequence flow between two pass-through events.
"""
from __future__ import annotations

from lxml import etree

from app.engine.model import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction"}
CONTAINERS = {"process", "subProcess", "transaction"}


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


class _Ids:
    """Fresh element ids that collide with nothing in the document."""

    def __init__(self, root: etree._Element) -> None:
        self.taken = set(root.xpath("//@id"))

    def new(self, wanted: str) -> str:
        candidate = wanted
        while candidate in self.taken:
            candidate += "_"
        self.taken.add(candidate)
        return candidate


def _flows_from(container: etree._Element, source: str) -> list[etree._Element]:
    return [f for f in container.iterchildren(_q("sequenceFlow")) if f.get("sourceRef") == source]


def implicit_gateways(root: etree._Element) -> None:
    """Give every activity with several outgoing flows an explicit gateway carrying its branches."""
    ids = _Ids(root)
    for container in root.iter(*(_q(t) for t in CONTAINERS)):
        for activity in list(container):
            if not isinstance(activity.tag, str) or etree.QName(activity).namespace != BPMN_NS:
                continue
            if _local(activity) not in ACTIVITIES or not activity.get("id"):
                continue
            outgoing = _flows_from(container, activity.get("id"))
            if len(outgoing) < 2:
                continue
            _split(container, activity, outgoing, ids)


def _split(container: etree._Element, activity: etree._Element, outgoing: list[etree._Element], ids: _Ids) -> None:
    activity_id = activity.get("id")
    default = activity.get("default")
    conditional = default is not None or any(f.find(_q("conditionExpression")) is not None for f in outgoing)
    gateway = etree.SubElement(container, _q("inclusiveGateway" if conditional else "parallelGateway"))
    gateway.set("id", ids.new(f"{activity_id}_lotse_split"))
    gateway.set("name", activity.get("name") or activity_id)
    if default is not None:
        gateway.set("default", default)
        del activity.attrib["default"]
    link = etree.SubElement(container, _q("sequenceFlow"))
    link.set("id", ids.new(f"{activity_id}_lotse_to_split"))
    link.set("sourceRef", activity_id)
    link.set("targetRef", gateway.get("id"))
    for flow in outgoing:
        flow.set("sourceRef", gateway.get("id"))
        if conditional and flow.get("id") != default and flow.find(_q("conditionExpression")) is None:
            # An unconditional flow leaving an activity is always taken.
            always = etree.SubElement(flow, _q("conditionExpression"))
            always.text = "True"
    for ref in activity.iterchildren(_q("outgoing")):
        activity.remove(ref)


def _link_catches(container: etree._Element) -> tuple[dict[str, etree._Element], dict[str, etree._Element]]:
    """The link catch events of one scope: by link name, and by the id of their link definition."""
    by_name: dict[str, etree._Element] = {}
    by_definition: dict[str, etree._Element] = {}
    for event in container.iterchildren(_q("intermediateCatchEvent")):
        for definition in event.iterchildren(_q("linkEventDefinition")):
            by_name[(definition.get("name") or event.get("name") or "").strip()] = event
            if definition.get("id"):
                by_definition[definition.get("id")] = event
    return by_name, by_definition


def link_events(root: etree._Element) -> list[Problem]:
    """Replace each pair of link throw/catch events by a sequence flow; unmatched links are problems."""
    ids = _Ids(root)
    problems: list[Problem] = []
    for container in root.iter(*(_q(t) for t in CONTAINERS)):
        by_name, by_definition = _link_catches(container)
        for event in list(container.iterchildren(_q("intermediateThrowEvent"))):
            definition = event.find(_q("linkEventDefinition"))
            if definition is None:
                continue
            name = (definition.get("name") or event.get("name") or "").strip()
            targets = [by_definition[t.text.strip()] for t in definition.iterchildren(_q("target"))
                       if t.text and t.text.strip() in by_definition]
            catch = targets[0] if targets else by_name.get(name)
            if catch is None:
                problems.append(Problem(event.get("id"), f"link throw event '{name}' has no link catch event of "
                                        "the same name in its (sub)process", event.sourceline, "structure"))
                continue
            flow = etree.SubElement(container, _q("sequenceFlow"))
            flow.set("id", ids.new(f"{event.get('id')}_lotse_link"))
            flow.set("sourceRef", event.get("id"))
            flow.set("targetRef", catch.get("id"))
            event.remove(definition)
        for catch in by_name.values():
            for definition in catch.findall(_q("linkEventDefinition")):
                catch.remove(definition)
            # A catch event without a trigger is not valid BPMN; a none throw event passes the token on.
            catch.tag = _q("intermediateThrowEvent")
    return problems


CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
EXTERNAL_PREFIX = "external:"


def external_message(topic: str, element_id: str) -> str:
    """The message an external task waits for: its topic and element id."""
    return f"{EXTERNAL_PREFIX}{topic}:{element_id}"


def external_tasks(root: etree._Element) -> tuple[dict[str, str], list[Problem]]:
    """Turn external service tasks into receive tasks; ({element id: topic}, problems)."""
    ids = _Ids(root)
    topics: dict[str, str] = {}
    problems: list[Problem] = []
    for task in root.iter(_q("serviceTask"), _q("sendTask")):
        if (task.get(f"{{{CAMUNDA_NS}}}type") or "").strip() != "external":
            continue
        topic = (task.get(f"{{{CAMUNDA_NS}}}topic") or "").strip()
        if _local(task) != "serviceTask" or not topic or ":" in topic:
            problems.append(Problem(task.get("id"), "an external task needs a camunda:topic (without ':') on a "
                                    "service task", task.sourceline, "unsupported"))
            continue
        message = etree.Element(_q("message"))
        message.set("id", ids.new(f"{task.get('id')}_lotse_external"))
        message.set("name", external_message(topic, task.get("id")))
        first_process = root.find(_q("process"))
        if first_process is not None:
            first_process.addprevious(message)
        else:
            root.append(message)
        for attr in ("type", "topic", "taskPriority"):
            task.attrib.pop(f"{{{CAMUNDA_NS}}}{attr}", None)
        task.tag = _q("receiveTask")
        task.set("messageRef", message.get("id"))
        topics[task.get("id")] = topic
    return topics, problems
