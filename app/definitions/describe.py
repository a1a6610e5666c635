"""`lotse describe`: a pathway as a table of steps, offices, deadlines, legal sources and timers.

`describe()` is a pure function over what `parse_bpmn` returns (the normalized XML of the model and of the
processes it calls); the click command around it only reads files and prints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import click
from lxml import etree

from app.engine import parsing_timers
from app.engine.calendar import DeadlineError, parse_duration
from app.engine.model import ModelInvalid, ParsedModel, TimerInfo, UserTaskInfo
from app.engine.parsing import parse_bpmn
from app.engine.parsing_casefile import facts_of, handoff_text
from app.engine.parsing_lint import NSMAP, local

STEP_TAGS = ("userTask", "callActivity", "subProcess")
UNITS = (("years", "year", "years"), ("months", "month", "months"), ("weeks", "week", "weeks"),
         ("days", "day", "days"), ("hours", "hour", "hours"), ("minutes", "minute", "minutes"))
HEADERS = ("Step", "Office", "Deadline", "Legal source", "Reads from other offices (basis)", "Escalation and timers")


@dataclass
class Step:
    """One row of the description: a user task, a call activity or an embedded subprocess."""

    element_id: str
    name: str
    office: str
    deadline: str = "—"
    legal_source: str = "—"
    reads: str = "—"
    timers: list[str] = field(default_factory=list)
    process_id: str = ""


@dataclass
class Description:
    """A described pathway: its steps and the messages it starts on, sends and waits for."""

    process_id: str
    name: str
    steps: list[Step]
    starts_on: list[str]
    sends: list[str]
    receives: list[str]
    retention: str | None = None


def humanize(duration: str | None, calendar: str | None = None) -> str:
    """'P7D' + werktage-nrw -> '7 working days (NRW)'; anything unparsable is returned as written."""
    if not duration:
        return "—"
    try:
        parsed = parse_duration(duration)
    except DeadlineError:
        return duration
    parts = []
    for attr, one, many in UNITS:
        value = getattr(parsed, attr)
        if value:
            unit = many if value != 1 else one
            if attr == "days" and calendar == "werktage-nrw":
                unit = "working day" if value == 1 else "working days"
            parts.append(f"{value} {unit}")
    text = ", ".join(parts) or "immediately"
    return f"{text} (NRW)" if calendar == "werktage-nrw" else text


def _timer_text(timer: TimerInfo) -> str:
    literal = parsing_timers.quoted_literal(timer.expression)
    if literal is not None:
        return f"at {literal}" if timer.kind == "date" else humanize(literal)
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'|\"[^\"]*\"", "", timer.expression))
    variables = ", ".join(n for n in names if n not in ("True", "False", "None"))
    return f"on the date in {variables}" if timer.kind == "date" and variables else timer.expression


class _Document:
    """Lookups over one normalized BPMN document."""

    def __init__(self, xml: bytes) -> None:
        self.root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        self.by_id = {el.get("id"): el for el in self.root.iter() if isinstance(el.tag, str) and el.get("id")}
        self.lanes = {ref.text: ref.getparent().get("name")
                      for ref in self.root.xpath("//bpmn:flowNodeRef", namespaces=NSMAP) if ref.text}
        self.messages = {m.get("id"): m.get("name") for m in self.root.xpath("//bpmn:message", namespaces=NSMAP)}

    def name(self, element_id: str | None) -> str:
        """An element's name, else its id."""
        el = self.by_id.get(element_id or "")
        return (el.get("name") if el is not None else None) or (element_id or "?")

    def targets(self, element_id: str) -> list[str]:
        """Targets of the sequence flows leaving an element."""
        return [f.get("targetRef") for f in self.root.xpath("//bpmn:sequenceFlow[@sourceRef=$id]",
                                                            namespaces=NSMAP, id=element_id)]

    def sources(self, element_id: str) -> list[str]:
        """Sources of the sequence flows entering an element."""
        return [f.get("sourceRef") for f in self.root.xpath("//bpmn:sequenceFlow[@targetRef=$id]",
                                                            namespaces=NSMAP, id=element_id)]

    def lane(self, el: etree._Element) -> str | None:
        """The lane of an element; elements of an embedded subprocess take the subprocess's lane."""
        for node in [*reversed(list(el.iterancestors())), el]:
            if node.get("id") in self.lanes:
                return self.lanes[node.get("id")]
        return None

    def message_events(self, tag: str) -> list[str]:
        """Names of the messages that events of this kind (e.g. startEvent) refer to."""
        names = []
        for definition in self.root.xpath(f"//bpmn:{tag}/bpmn:messageEventDefinition", namespaces=NSMAP):
            name = self.messages.get(definition.get("messageRef"), definition.get("messageRef"))
            if name and name not in names:
                names.append(name)
        return names


def _timer_lines(doc: _Document, element_id: str, timers: list[TimerInfo]) -> list[str]:
    lines = []
    for timer in timers:
        if timer.attached_to == element_id:
            kind = "interrupts" if timer.interrupting else "warns"
            target = ", ".join(doc.name(t) for t in doc.targets(timer.element_id)) or "—"
            lines.append(f"{kind} after {_timer_text(timer)}: {doc.name(timer.element_id)} → {target}")
    for source in doc.sources(element_id):
        waiting = next((t for t in timers if t.element_id == source and t.attached_to is None), None)
        if waiting is not None:
            lines.append(f"starts after timer {_timer_text(waiting)} ({doc.name(source)})")
    return lines


def _task_step(doc: _Document, info: UserTaskInfo, office: str, timers: list[TimerInfo]) -> Step:
    step = Step(info.element_id, info.name or info.element_id, office, process_id=info.process_id)
    if info.due_in:
        step.deadline = humanize(info.due_in, info.calendar)
    elif info.camunda_due_date:
        step.deadline = info.camunda_due_date
    step.legal_source = info.legal_source or "—"
    if info.remind_before:
        step.timers.append(f"reminder {humanize(info.remind_before)} before")
    if info.follow_up_in:
        step.timers.append(f"follow-up after {humanize(info.follow_up_in, info.calendar)}")
    step.timers.extend(_timer_lines(doc, info.element_id, timers))
    return step


def describe(parsed: ParsedModel) -> Description:
    """The steps of a parsed model in document order; called processes' tasks follow their call activity."""
    casefile = facts_of(parsed)
    main = _Document(parsed.normalized_xml)
    called = {pid: _Document(xml) for pid, xml in parsed.called_xml.items()}
    own = {t.element_id: t for t in parsed.user_tasks if t.process_id not in parsed.called_xml}
    steps: list[Step] = []
    for el in main.root.iter(*(f"{{{NSMAP['bpmn']}}}{tag}" for tag in STEP_TAGS)):
        lane = main.lane(el) or "—"
        element_id = el.get("id")
        if local(el) == "userTask":
            if element_id in own:
                steps.append(_task_step(main, own[element_id], lane, parsed.timers))
            continue
        target = (el.get("calledElement") or "").strip()
        label = f"calls {target}" if local(el) == "callActivity" else "subprocess"
        step = Step(element_id, f"{main.name(element_id)} ({label})", lane)
        step.timers = _timer_lines(main, element_id, parsed.timers)
        steps.append(step)
        if target in called:
            sub = called[target]
            for info in (t for t in parsed.user_tasks if t.process_id == target):
                office = f"{info.lane or '—'} (called from {lane})"
                steps.append(_task_step(sub, info, office, parsed.timers))
    for step in steps:
        step.reads = handoff_text(casefile.handoffs.get(step.element_id))
    return Description(parsed.main_process_id, parsed.process_name or parsed.main_process_id, steps,
                       main.message_events("startEvent"),
                       main.message_events("intermediateThrowEvent") + main.message_events("endEvent"),
                       main.message_events("intermediateCatchEvent") + main.message_events("boundaryEvent"),
                       casefile.retention)


def _row(step: Step) -> tuple[str, ...]:
    return (step.name, step.office, step.deadline, step.legal_source, step.reads, "; ".join(step.timers) or "—")


def render_text(description: Description) -> str:
    """A plain table with aligned columns, for the terminal."""
    rows = [HEADERS, *(_row(s) for s in description.steps)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [f"{description.name} ({description.process_id})", ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.extend(_message_lines(description))
    lines.append("An overdue task escalates to the leads of its office, later to the coordination office.")
    return "\n".join(lines)


def _message_lines(description: Description) -> list[str]:
    def listed(names: list[str]) -> str:
        return ", ".join(f"`{n}`" for n in names) or "—"

    kept = humanize(description.retention) if description.retention else "—"
    return [f"Starts on message: {listed(description.starts_on)}",
            f"Sends: {listed(description.sends)}",
            f"Waits for: {listed(description.receives)}",
            f"Personal data kept after the case ends: {kept}"]


def render_markdown(description: Description) -> str:
    """A Markdown section with one table row per step."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"## {description.name}", "", f"Process id `{description.process_id}`.", ""]
    lines.extend(f"- {line}" for line in _message_lines(description))
    lines += ["", "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for step in description.steps:
        lines.append("| " + " | ".join(cell(c) for c in _row(step)) + " |")
    return "\n".join(lines) + "\n"


def _resolver(directory: Path):
    """Find called processes among the BPMN files next to the described one."""
    index: dict[str, bytes] = {}
    for path in sorted(directory.glob("*.bpmn")):
        data = path.read_bytes()
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        for process in root.xpath("//bpmn:process", namespaces=NSMAP):
            index.setdefault(process.get("id"), data)
    return index.get


MARKDOWN_INTRO = ("# Reference pathways\n\n"
                  "Generated by `lotse describe --markdown` from the models in `processes/`; do not edit by hand.\n"
                  "Deadlines are set per task (`lotse:dueIn`); an overdue task escalates to the leads of its office "
                  "and later to the coordination office. Lanes that are not offices (such as \"Anfragende Stelle\") "
                  "take the office of the calling lane. A step that shows another office's data names what it reads "
                  "and why (a legal basis from the catalogue or a consent purpose); see docs/case-file.md.\n")


@click.command("describe")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--markdown", is_flag=True, help="Print Markdown (as in docs/pathways.md) instead of a plain table.")
def describe_command(files: tuple[Path, ...], markdown: bool) -> None:
    """Print each pathway FILE as a table: step, office, deadline, legal source, escalation and timers."""
    if markdown:
        click.echo(MARKDOWN_INTRO)
    for path in files:
        try:
            parsed = parse_bpmn(path.read_bytes(), resolve_called=_resolver(path.resolve().parent))
        except ModelInvalid as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        description = describe(parsed)
        click.echo(render_markdown(description) if markdown else render_text(description) + "\n")
