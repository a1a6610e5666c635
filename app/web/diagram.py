"""What the BPMN viewer (static/diagram.js) gets: a drawable XML and the marks to put on elements.

A mark is {"id": element id, "kind": problem | done | current | focus | heat-N, "badge": short text or
None, "label": what a screen reader hears}. The page also lists every mark as text, so nothing is conveyed
by the drawing alone.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, gettext, ngettext
from lxml import etree

from app.engine.xmlsafe import XmlError, parse_xml
from app.web.diagram_layout import BPMN, add_layout, has_diagram

HEAT_LEVELS = 4


@dataclass(frozen=True)
class Drawable:
    """A model ready for the viewer (`xml` None: it cannot be drawn, `reason` says why)."""

    xml: str | None
    generated_layout: bool = False
    reason: str | None = None


def drawable(source: str | bytes | None) -> Drawable:
    """Parse a model safely; add a generated layout when it carries no diagram; None when it is not BPMN XML."""
    if not source:
        return Drawable(None, reason=gettext("The file is empty."))
    data = source.encode() if isinstance(source, str) else source
    try:
        root = parse_xml(data).getroot()
    except XmlError as exc:
        return Drawable(None, reason=gettext("The file is not readable XML (%(detail)s).", detail=str(exc)))
    if etree.QName(root).localname != "definitions":
        return Drawable(None, reason=gettext("The file is not a BPMN model (no bpmn:definitions element)."))
    if has_diagram(root):
        return Drawable(data.decode("utf-8", errors="replace"))
    try:
        add_layout(root)
    except (ValueError, TypeError, KeyError):
        return Drawable(None, reason=gettext("The model has no diagram, and none could be generated."))
    return Drawable(etree.tostring(root, encoding="unicode"), generated_layout=True)


def problem_marks(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One mark per problem with an element id, numbered as in the problem list."""
    return [{"id": p["element_id"], "kind": "problem", "badge": str(number),
             "label": gettext("Problem %(number)d", number=number)}
            for number, p in enumerate(problems, start=1) if p.get("element_id")]


def start_and_end_events(xml: str | bytes | None) -> tuple[list[str], list[str]]:
    """Ids of the start events of the executable processes (top level) and of all end events."""
    if not xml:
        return [], []
    try:
        root = parse_xml(xml.encode() if isinstance(xml, str) else xml).getroot()
    except XmlError:
        return [], []
    starts = [el.get("id") for process in root.findall(f"{{{BPMN}}}process") if process.get("isExecutable") == "true"
              for el in process.findall(f"{{{BPMN}}}startEvent") if el.get("id")]
    ends = [el.get("id") for el in root.iter(f"{{{BPMN}}}endEvent") if el.get("id")]
    return starts, ends


def _walked(done: dict[str, None], decided: set[str], chosen: set[str], flows: dict[str, dict[str, str]],
            ends: set[str], finished: bool) -> None:
    """Add the flows and pass-through nodes (joins, events without an audit event) the case must have taken.

    A flow counts as taken when its source is done and its target reached, unless the source is a decision
    (then only the recorded flow counts); a node between a taken flow and a reached node was passed through.
    """
    incoming: dict[str, list[tuple[str, str]]] = {}
    for source, targets in flows.items():
        for target, flow in targets.items():
            incoming.setdefault(target, []).append((source, flow))

    def entered(node: str) -> bool:
        """True when a taken flow leads into the node."""
        return any(flow in chosen or (source in done and source not in decided)
                   for source, flow in incoming.get(node, []))

    changed = True
    while changed:
        changed = False
        for node in incoming:
            if node in done:
                continue
            leads_on = any(target in done for target in flows.get(node, {}))
            if entered(node) and (leads_on or (finished and node in ends)):
                done[node] = None
                changed = True
    for source, targets in flows.items():
        if source in done and source not in decided:
            for target, flow in targets.items():
                if target in done:
                    done.setdefault(flow, None)


def path_marks(events: Iterable[Any], open_element_ids: Iterable[str], *,
               flows: dict[str, dict[str, str]] | None = None, starts: list[str] | None = None,
               ends: list[str] | None = None, finished: bool = False) -> list[dict[str, Any]]:
    """The path a case took (from its audit trail and the model's flows) and where it is now (its open tasks)."""
    # Recorded: completed tasks, decisions and the flows they chose, timers, messages. Inferred from the model's
    # sequence flows: the single start event, flows between reached elements, joins passed through, and the end
    # event of a finished case.
    done: dict[str, None] = {}
    decided, chosen = set(), set()
    for event in events:
        if event.kind in ("task_completed", "gateway_decided", "timer_fired", "message_correlated") \
                and event.element_id:
            done[event.element_id] = None
        if event.kind == "gateway_decided" and event.element_id:
            decided.add(event.element_id)
            for taken in (event.details or {}).get("taken") or []:
                if isinstance(taken, dict) and taken.get("flow"):
                    chosen.add(taken["flow"])
    current = list(dict.fromkeys(open_element_ids))
    if starts and len(starts) == 1:
        done = {starts[0]: None, **done}
    reached = {**done, **dict.fromkeys(current)}
    _walked(reached, decided, chosen, flows or {}, set(ends or ()), finished)
    reached.update(dict.fromkeys(chosen))
    marks = [{"id": eid, "kind": "current", "badge": gettext("now"), "label": gettext("Current step")}
             for eid in current]
    flow_ids = {flow for targets in (flows or {}).values() for flow in targets.values()} | chosen
    # Flows get the thick frame only: a check mark on every arrow would clutter the drawing.
    marks += [{"id": eid, "kind": "done", "badge": None if eid in flow_ids else "✓", "label": gettext("Done")}
              for eid in reached if eid not in current]
    return marks


def heat_level(hours: float | None, top: float | None) -> int:
    """1 (short) … HEAT_LEVELS (longest) for a median time relative to the longest one; 0 without data."""
    if hours is None or not top:
        return 0
    return max(1, min(HEAT_LEVELS, int(hours / top * HEAT_LEVELS + 0.999)))


def hours_text(hours: float | None) -> str:
    """Hours as people read them: "5 Std." below two days, else "3,5 Tage"."""
    if hours is None:
        return "—"
    if hours < 48:
        return ngettext("%(count)s hour", "%(count)s hours", 1 if hours == 1 else 2, count=_decimal(hours))
    days = hours / 24
    return ngettext("%(count)s day", "%(count)s days", 1 if days == 1 else 2, count=_decimal(days))


def _decimal(value: float) -> str:
    return format_decimal(round(value, 1), format="#,##0.#")


def heat_value(entry: Any, by: str) -> float | None:
    """What colours an activity: its median time (hours) or, `by="overdue"`, its number of overdue tasks."""
    return (entry.overdue or None) if by == "overdue" else entry.median_hours


def busiest(stats: dict[str, Any], by: str = "median", count: int = 3) -> list[str]:
    """The activities a heatmap opens on: most tasks waiting (then the colouring value), at most `count`."""
    ranked = sorted((s for s in stats.values() if s.waiting or heat_value(s, by)),
                    key=lambda s: (-s.waiting, -(heat_value(s, by) or 0), s.element_id))
    return [s.element_id for s in ranked[:count]]


def heat_marks(stats: dict[str, Any], by: str = "median") -> list[dict[str, Any]]:
    """Per activity: fill and frame by median time (or overdue count), a badge with the tasks waiting (none for 0)."""
    top = max((heat_value(s, by) or 0 for s in stats.values()), default=0)
    marks = []
    for element_id, entry in stats.items():
        text = ngettext("%(num)d waiting", "%(num)d waiting", entry.waiting)
        if entry.overdue:
            text += " · " + ngettext("%(num)d overdue", "%(num)d overdue", entry.overdue)
        if entry.median_hours is not None:
            text += " · " + gettext("median %(time)s", time=hours_text(entry.median_hours))
        # The badge stays short so that large processes stay readable; the full text is its tooltip and
        # stands in the table below the diagram.
        marks.append({"id": element_id, "kind": f"heat-{heat_level(heat_value(entry, by), top)}",
                      "badge": str(entry.waiting) if entry.waiting else None, "label": f"{entry.name}: {text}"})
    return marks
