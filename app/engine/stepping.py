"""Stepping a workflow: run engine steps, report gateway decisions and fired timers, compact history.

Nothing here knows Flask or SQL; `runtime` restores and saves the workflows these functions step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from app.engine import runtime

GATEWAY_SPEC_TYPES = {"ExclusiveGateway", "InclusiveGateway"}


@dataclass
class Decision:
    """A gateway decision taken during a step: which outgoing elements were activated."""

    element_id: str
    targets: list[str]


@dataclass
class StepReport:
    """What happened during engine steps, for the audit trail."""

    decisions: list[Decision] = field(default_factory=list)
    fired_timers: list[str] = field(default_factory=list)


# Specs the engine adds around a task with boundary events; they stand for the task itself.
_INTERNAL_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin")


def element_id(spec: Any) -> str:
    """The BPMN element id a task spec stands for (engine-internal helper specs map to their task)."""
    name = spec.name
    for suffix in _INTERNAL_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def run_steps(wf: BpmnWorkflow, *, refresh_timers: bool = False) -> StepReport:
    """Run engine steps until only user tasks or waiting events remain; report decisions and timers."""
    report = StepReport()

    def did_complete(task: Any) -> None:
        spec = task.task_spec
        kind = type(spec).__name__
        if kind in GATEWAY_SPEC_TYPES:
            targets = [element_id(c.task_spec) for c in task.children if c.state != TaskState.CANCELLED
                       and c.state not in (TaskState.MAYBE, TaskState.LIKELY, TaskState.FUTURE)]
            report.decisions.append(Decision(spec.name, targets))
        event_def = getattr(spec, "event_definition", None)
        if isinstance(event_def, TimerEventDefinition):
            report.fired_timers.append(spec.name)
        elif kind == "EventBasedGateway" and event_def is not None:  # its spec holds the event definitions
            fired = [element_id(c.task_spec) for c in task.children
                     if c.state not in (TaskState.CANCELLED, TaskState.MAYBE)]
            report.decisions.append(Decision(spec.name, fired))
            for seen in task.internal_data.get("seen_events", []):
                if isinstance(seen.event_definition, TimerEventDefinition):
                    index = event_def.event_definitions.index(seen.event_definition)
                    report.fired_timers.append(spec.outputs[index].name)

    cycles_before = _waiting_cycle_values(wf) if refresh_timers else {}
    if refresh_timers:
        wf.refresh_timers()
    wf.do_engine_steps(did_complete_task=did_complete)
    # A cycle timer fires without completing: it stays WAITING with its next due time advanced.
    for task_id, (name, value) in cycles_before.items():
        task = wf.get_task_from_id(task_id)
        after = task._get_internal_data("event_value") if task is not None else None
        if isinstance(value, dict) and isinstance(after, dict):
            report.fired_timers.extend([name] * abs(value["cycles"] - after["cycles"]))
        elif isinstance(value, dict) and task is not None and task._get_internal_data("event_fired"):
            report.fired_timers.extend([name] * max(value["cycles"], 0))
    # do_engine_steps refreshes timers only at its end; a timer that became due needs one more pass.
    while _has_ready_engine_tasks(wf):
        wf.do_engine_steps(did_complete_task=did_complete)
    return report


def _waiting_cycle_values(wf: BpmnWorkflow) -> dict[Any, tuple[str, Any]]:
    values = {}
    for task in wf.get_tasks(state=TaskState.WAITING):
        if type(getattr(task.task_spec, "event_definition", None)).__name__ == "CycleTimerEventDefinition":
            value = task._get_internal_data("event_value")
            values[task.id] = (task.task_spec.name, dict(value) if isinstance(value, dict) else value)
    return values


# Above this many tasks a workflow's finished history is compacted (see compact_history). Every step restores,
# walks and serializes the whole tree, so a small tree is what keeps a step cheap: at 20 a pathway case's
# completion makes 8% fewer Python calls than at 60; the pass itself is one walk over the tasks.
COMPACT_ABOVE = 20
# Finished tasks of these kinds carry nothing the engine reads again once their successor exists.
SPLICEABLE = {"UserTask", "ManualTask", "ScriptTask", "ServiceTask", "NoneTask", "SendTask", "ReceiveTask",
              "ExclusiveGateway", "IntermediateCatchEvent", "IntermediateThrowEvent", "StartEvent"}


def compact_history(wf: BpmnWorkflow, above: int | None = None) -> int:
    """Splice finished pass-through tasks out of the tree; return how many were removed.

    SpiffWorkflow keeps every task ever run as a chain, so a case that loops gets slower with each
    iteration (every step walks and serializes the whole tree) and stalls at a tree depth of 1000. The
    audit trail keeps the history; the engine does not need it. A completed task with exactly one child
    is removed and its child hung under its parent, unless the child is a join (joins read their
    parents) or the task is structural (splits, boundary-event parents, subprocesses, multi-instance).
    Ancestor relations between the remaining tasks are unchanged, and every task holds its full data,
    so the delta encoding simply refers to the new parent.
    """
    limit = COMPACT_ABOVE if above is None else above
    removed = 0
    for workflow in [wf, *wf.subprocesses.values()]:
        if len(workflow.tasks) <= limit:
            continue
        for task in list(workflow.tasks.values()):
            if (task.state != TaskState.COMPLETED or task._parent is None or len(task._children) != 1
                    or type(task.task_spec).__name__ not in SPLICEABLE):
                continue
            child = workflow.tasks.get(task._children[0])
            parent = workflow.tasks.get(task._parent)
            if child is None or parent is None or isinstance(child.task_spec, Join):
                continue
            parent._children[parent._children.index(task.id)] = child.id
            child._parent = parent.id
            del workflow.tasks[task.id]
            if workflow.last_task is task:
                workflow.last_task = child
            removed += 1
    return removed


def _has_ready_engine_tasks(wf: BpmnWorkflow) -> bool:
    return any(not t.task_spec.manual for t in runtime.ready_tasks(wf))
