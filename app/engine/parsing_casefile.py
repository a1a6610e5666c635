"""Case-file facts of a model: hand-offs (`lotse:reads` + `lotse:legalBasis` / `lotse:consent`) on user tasks,
`lotse:senders` on message catch elements, `lotse:retention` on the process, and the lane of every flow node.

Checked against the catalogues (app/casefile/catalogues): a read of other offices' data needs a legal basis that
permits every category read (and the receiving office), or a consent purpose; data confided to the Jugendamt
(§ 65 SGB VIII) moves only under § 65 itself. Problems name the element, in German and English.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from app.casefile.catalogue import CONFIDED, categories, legal_bases
from app.engine.model import ParsedModel, Problem
from app.engine.parsing_lint import BPMN_NS, NSMAP, local
from app.engine.xmlsafe import parse_xml

CASEFILE_PROPERTIES = {"lotse:reads", "lotse:legalBasis", "lotse:consent", "lotse:senders", "lotse:retention",
                       "lotse:recordsConsent", "lotse:anonymize"}
_CATCHING = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")


@dataclass
class CasefileFacts:
    """What the case file needs from a model (stored in the definition's summary under 'casefile')."""

    handoffs: dict[str, dict[str, Any]] = field(default_factory=dict)  # user task id → reads, basis, consent, lane
    senders: dict[str, list[str]] = field(default_factory=dict)         # message name → offices allowed to send
    element_lanes: dict[str, str] = field(default_factory=dict)         # flow node id → lane name
    message_lanes: dict[str, str] = field(default_factory=dict)         # message name → lane of its catch element
    start_lane: str | None = None
    retention: str | None = None
    records_consent: list[str] = field(default_factory=list)          # user tasks whose completion records a consent
    anonymize: dict[str, list[str]] = field(default_factory=dict)      # user task → categories removed when it starts
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON form for the definition summary."""
        return {"handoffs": self.handoffs, "senders": self.senders, "element_lanes": self.element_lanes,
                "message_lanes": self.message_lanes, "start_lane": self.start_lane, "retention": self.retention,
                "records_consent": self.records_consent, "anonymize": self.anonymize}


def _properties(el: etree._Element) -> dict[str, tuple[str, etree._Element]]:
    found = {}
    for prop in el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property | "
                         "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NSMAP):
        if prop.get("name"):
            found[prop.get("name").strip()] = ((prop.get("value") or "").strip(), prop)
    return found


def _message_name(el: etree._Element, messages: dict[str, str]) -> str | None:
    ref = el.get("messageRef")
    if ref is None:
        definitions = el.xpath("./bpmn:messageEventDefinition", namespaces=NSMAP)
        ref = definitions[0].get("messageRef") if definitions else None
    return messages.get(ref or "") if ref else None


def _bilingual(de: str, en: str) -> str:
    return f"{de} / {en}"


class _Reader:
    def __init__(self, facts: CasefileFacts, prefix: str) -> None:
        self.facts, self.prefix = facts, prefix

    def problem(self, el: etree._Element, de: str, en: str, at: etree._Element | None = None) -> None:
        line = (at if at is not None else el).sourceline
        self.facts.problems.append(Problem(el.get("id"), self.prefix + _bilingual(de, en), line, "handoff"))

    def handoff(self, task: etree._Element, lane: str | None) -> None:
        props = _properties(task)
        reads_text = props.get("lotse:reads", ("", None))[0]
        basis_id = props.get("lotse:legalBasis", ("", None))[0] or None
        consent = props.get("lotse:consent", ("", None))[0] or None
        if not reads_text:
            if basis_id or consent:
                self.problem(task, "lotse:legalBasis/lotse:consent ohne lotse:reads: welche Kategorien werden gelesen?",
                             "lotse:legalBasis/lotse:consent without lotse:reads: which categories are read?")
            return
        at = props["lotse:reads"][1]
        reads = reads_text.replace(",", " ").split()
        known = categories()
        unknown = [c for c in reads if c not in known]
        if unknown:
            self.problem(task, f"unbekannte Datenkategorie {', '.join(unknown)} in lotse:reads",
                         f"unknown data category {', '.join(unknown)} in lotse:reads "
                         f"(known: {', '.join(known)})", at)
            return
        if not basis_id and not consent:
            self.problem(task, "Lesen von Daten anderer Stellen ohne Rechtsgrundlage oder Einwilligung "
                         "(lotse:legalBasis oder lotse:consent fehlt)",
                         "reading other offices' data without a legal basis or consent "
                         "(lotse:legalBasis or lotse:consent missing)", at)
            return
        basis = legal_bases().get(basis_id) if basis_id else None
        if basis_id and basis is None:
            self.problem(task, f"unbekannte Rechtsgrundlage '{basis_id}'",
                         f"unknown legal basis '{basis_id}' (known: {', '.join(legal_bases())})", at)
            return
        if CONFIDED in reads and (basis is None or CONFIDED not in basis.categories):
            self.problem(task, "Anvertraute Daten (§ 65 SGB VIII) dürfen nur nach § 65 SGB VIII weitergegeben werden",
                         "data confided to the Jugendamt (§ 65 SGB VIII) may flow only under § 65 SGB VIII", at)
            return
        if basis is not None:
            refused = [c for c in reads if c not in basis.categories or c in basis.excluded_categories]
            if refused and not (consent and CONFIDED not in reads):
                self.problem(task, f"{basis.title} erlaubt die Kategorie(n) {', '.join(refused)} nicht",
                             f"{basis.title} does not permit the categor{'y' if len(refused) == 1 else 'ies'} "
                             f"{', '.join(refused)}", at)
                return
            if not basis.permits_recipient(lane):
                self.problem(task, f"{basis.title} erlaubt keine Übermittlung an '{lane or 'ohne Stelle'}'",
                             f"{basis.title} does not permit a transfer to '{lane or 'no office'}' "
                             f"(only to {', '.join(basis.recipients or ())})", at)
                return
            if basis.requires_consent and not consent:
                self.problem(task, f"{basis.title} verlangt eine Einwilligung (lotse:consent)",
                             f"{basis.title} requires a consent (lotse:consent)", at)
                return
        self.facts.handoffs[task.get("id")] = {"reads": reads, "legal_basis": basis_id, "consent": consent,
                                               "lane": lane}

    def catcher(self, el: etree._Element, messages: dict[str, str]) -> None:
        name = _message_name(el, messages)
        props = _properties(el)
        senders_text = props.get("lotse:senders", ("", None))[0]
        if name and senders_text:
            offices = [s.strip() for s in senders_text.split(",") if s.strip()]
            self.facts.senders.setdefault(name, [])
            self.facts.senders[name] += [o for o in offices if o not in self.facts.senders[name]]
        elif senders_text:
            self.problem(el, "lotse:senders steht an einem Element, das keine Nachricht empfängt",
                         "lotse:senders is set on an element that catches no message", props["lotse:senders"][1])


def extract_casefile(documents: list[tuple[etree._Element, str]], main_process_id: str) -> CasefileFacts:
    """Gather hand-offs, senders, lanes and retention from (root, origin) pairs; problems collected, not raised."""
    facts = CasefileFacts()
    for root, origin in documents:
        reader = _Reader(facts, f"{origin}: " if origin else "")
        lanes = {ref.text: ref.getparent().get("name")
                 for ref in root.xpath("//bpmn:flowNodeRef", namespaces=NSMAP) if ref.text is not None}
        facts.element_lanes.update({k: v for k, v in lanes.items() if v})
        messages = {m.get("id"): m.get("name") for m in root.xpath("//bpmn:message", namespaces=NSMAP)}
        for task in root.xpath("//bpmn:userTask", namespaces=NSMAP):
            reader.handoff(task, lanes.get(task.get("id")))
            props = _properties(task)
            if props.get("lotse:recordsConsent", ("",))[0].lower() == "true":
                facts.records_consent.append(task.get("id"))
            if "lotse:anonymize" in props:
                wanted = props["lotse:anonymize"][0].replace(",", " ").split()
                unknown = [c for c in wanted if c not in categories()]
                if unknown or not wanted:
                    reader.problem(task, f"lotse:anonymize nennt unbekannte Kategorien {', '.join(unknown)}",
                                   f"lotse:anonymize names unknown categories {', '.join(unknown) or '(none)'}",
                                   props["lotse:anonymize"][1])
                else:
                    facts.anonymize[task.get("id")] = wanted
        for el in root.iter():
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS or local(el) not in _CATCHING:
                continue
            reader.catcher(el, messages)
            name = _message_name(el, messages)
            if name and lanes.get(el.get("id")):
                facts.message_lanes.setdefault(name, lanes[el.get("id")])
        for process in root.xpath("/bpmn:definitions/bpmn:process", namespaces=NSMAP):
            if process.get("id") != main_process_id:
                continue
            retention = _properties(process).get("lotse:retention")
            if retention:
                facts.retention = retention[0] or None
            for start in process.xpath("./bpmn:startEvent", namespaces=NSMAP):
                if not start.xpath("./bpmn:*[local-name()!='incoming' and local-name()!='outgoing' and "
                                   "contains(local-name(), 'EventDefinition')]", namespaces=NSMAP):
                    facts.start_lane = lanes.get(start.get("id")) or facts.start_lane
    return facts


def facts_of(parsed: ParsedModel) -> CasefileFacts:
    """The case-file facts of a parsed model and the processes it calls (problems collected, not raised)."""
    documents = [(parse_xml(xml if isinstance(xml, bytes) else xml.encode()).getroot(), origin)
                 for origin, xml in [("", parsed.normalized_xml), *parsed.called_xml.items()]]
    return extract_casefile(documents, parsed.main_process_id)


def handoff_text(handoff: dict[str, Any] | None) -> str:
    """'Stammdaten, Aufenthalt (§ 71 Abs. 2 SGB X)' or '… (consent: <purpose>)'; '—' without a hand-off."""
    if not handoff:
        return "—"
    basis = legal_bases().get(handoff.get("legal_basis") or "")
    why = [basis.title] if basis else []
    if handoff.get("consent"):
        why.append(f"consent: {handoff['consent']}")
    return f"{', '.join(handoff['reads'])} ({'; '.join(why)})"
