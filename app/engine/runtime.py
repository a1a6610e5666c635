"""Running SpiffWorkflow: build, restore, save and query workflows (stepping.py steps them); no Flask, no SQL.

The spec of a definition version is restored once per process and shared by every instance of that
version; an instance's stored state leaves the spec out (it is ~60% of a full document).
"""
from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessageEventDefinition
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from app.engine import clock_timers
from app.engine.parsing import apply_engine_patches
from app.engine.script_engine import make_script_engine

# Restoring processes (web workers, schedulers) need the loop-stall fix as much as the parser does.
apply_engine_patches()


_current_clock: contextvars.ContextVar[Any] = contextvars.ContextVar("lotse_engine_clock", default=None)


class _ClockedDatetime(datetime):
    """datetime whose now() asks the clock of the running step, so timers follow a fake clock in tests."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - mirrors datetime.now
        clock = _current_clock.get()
        if clock is None:
            return datetime.now(tz)
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


# SpiffWorkflow reads the time from its timer module's `datetime` name; route it through our clock.
_timer_module.datetime = _ClockedDatetime


@contextlib.contextmanager
def engine_clock(clock: Any) -> Iterator[None]:
    """Run engine code with `clock` as the source of the current time."""
    token = _current_clock.set(clock)
    try:
        yield
    finally:
        _current_clock.reset(token)


_SERIALIZERS: dict[str, BpmnWorkflowSerializer] = {}


def serializer_for(dialect: str) -> BpmnWorkflowSerializer:
    """The serializer matching the parser that produced a spec (Spiff and Camunda differ)."""
    if dialect not in _SERIALIZERS:
        config = CAMUNDA_CONFIG if dialect == "camunda" else SPIFF_CONFIG
        _SERIALIZERS[dialect] = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return _SERIALIZERS[dialect]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"value of type {type(value).__name__} cannot be stored in case data")


def dumps(value: Any) -> str:
    """Compact JSON used for engine state and spec documents."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


STATE_PREFIX = "z1:"


def encode_state(document: str) -> str:
    """zlib + base64 behind a version prefix: the JSON is repetitive (ids, type names) and shrinks ~4x."""
    return STATE_PREFIX + base64.b64encode(zlib.compress(document.encode(), 6)).decode("ascii")


def state_document(state: str) -> dict[str, Any]:
    """The engine state as a dict, whether stored compressed or (older rows) as plain JSON."""
    if state.startswith(STATE_PREFIX):
        return json.loads(zlib.decompress(base64.b64decode(state[len(STATE_PREFIX):])))
    return json.loads(state)


@dataclass
class ReadyUserTask:
    """A user task the engine has made READY, as the orchestration layer needs it."""

    engine_id: str
    element_id: str
    name: str
    lane: str | None
    process_id: str
    data: dict[str, Any]
    caller_lane: str | None = None


@dataclass(frozen=True)
class Waits:
    """What a workflow waits for from outside: its READY user tasks and the messages it can catch."""

    ready_task_ids: frozenset[str]
    message_names: list[str]

    @classmethod
    def of(cls, wf: BpmnWorkflow) -> Waits:
        """Read off a workflow (before a step, to compare with after it)."""
        ready = frozenset(str(t.id) for t in ready_tasks(wf) if t.task_spec.manual)
        return cls(ready, waiting_message_names(wf))


class NotWaiting(Exception):
    """The workflow does not wait for what the caller tried to deliver (task not ready, no catch event)."""


class EngineDefinition:
    """A deployed definition version restored once: spec objects shared by all its instances."""

    def __init__(self, dialect: str, spec_document: str, main_process_id: str):
        self.dialect = dialect
        self.main_process_id = main_process_id
        self.serializer = serializer_for(dialect)
        registry = self.serializer.registry
        doc = json.loads(spec_document)
        self.spec = registry.restore(doc["spec"])
        self.subprocess_specs = {k: registry.restore(v) for k, v in doc["subprocess_specs"].items()}
        self._converter = BpmnWorkflowConverter(BpmnWorkflow, registry)
        self.script_engine = make_script_engine()

    @staticmethod
    def spec_document(dialect: str, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        """Serialize a parsed spec (with its subprocess specs) once, for storage with the definition."""
        registry = serializer_for(dialect).registry
        return dumps({
            "spec": registry.convert(spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
        })

    def new_workflow(self, data: dict[str, Any] | None = None) -> BpmnWorkflow:
        """A fresh workflow with the initial data on the root task (where scripts see it)."""
        wf = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        if data:
            wf.task_tree.data.update(data)
        return wf

    def dump_state(self, wf: BpmnWorkflow) -> str:
        """Serialize an instance's state without the spec, compressed (see encode_state)."""
        # What BpmnWorkflowConverter.to_dict writes, minus the spec and subprocess specs: converting those
        # on every step only to drop them cost about a third of the dump.
        conv = self._converter
        dct = super(BpmnWorkflowConverter, conv).to_dict(wf)  # type: ignore[misc]  # untyped SpiffWorkflow base
        dct["subprocesses"] = conv.mapping_to_dict(wf.subprocesses)
        dct["bpmn_events"] = self.serializer.registry.convert(wf.bpmn_events)
        dct["typename"] = self.serializer.registry.typenames[type(wf)]
        dct["serializer_version"] = self.serializer.VERSION
        return encode_state(dumps(dct))

    def restore(self, state: str) -> BpmnWorkflow:
        """Rebuild a workflow from stored state, reusing this definition's spec objects."""
        dct = state_document(state)
        dct.pop("serializer_version", None)
        conv = self._converter
        wf = BpmnWorkflow(self.spec, self.subprocess_specs, deserializing=True, script_engine=self.script_engine)
        wf.tasks = conv.mapping_from_dict(dct["tasks"], UUID, workflow=wf)
        wf.task_tree = wf.tasks.get(UUID(dct["root"]))
        conv.set_default_attributes(wf, dct)
        conv.subprocesses_from_dict(dct["subprocesses"], wf)
        wf.bpmn_events = self.serializer.registry.restore(dct.pop("bpmn_events", []))
        return wf


def ready_tasks(wf: BpmnWorkflow) -> list[Any]:
    """The READY tasks of a workflow and its subprocesses, read off their task maps.

    The same tasks as `wf.get_tasks(state=READY)` (every subprocess hangs under a task of the tree, and the
    tree walk descends into each), without walking the tree: a step asks this three times.
    """
    return [task for workflow in (wf, *wf.subprocesses.values()) for task in workflow.tasks.values()
            if task.state == TaskState.READY]


def ready_user_tasks(wf: BpmnWorkflow) -> list[ReadyUserTask]:
    """All READY user/manual tasks, including those inside subprocesses and call activities, in tree order."""
    manual = [task for task in ready_tasks(wf) if task.task_spec.manual]
    if len(manual) > 1:  # the order of the new human task rows is the tree's (a parallel split's branch order)
        manual = wf.get_tasks(state=TaskState.READY, manual=True)
    result = []
    for task in manual:
        spec = task.task_spec
        result.append(ReadyUserTask(
            engine_id=str(task.id), element_id=spec.name, name=spec.bpmn_name or spec.name,
            lane=getattr(spec, "lane", None), process_id=task.workflow.spec.name, data=dict(task.data),
            caller_lane=_caller_lane(wf, task),
        ))
    return result


def _caller_lane(top: BpmnWorkflow, task: Any) -> str | None:
    """The lane of the nearest call activity above a task: a called process works for the calling office."""
    workflow = task.workflow
    while workflow is not top and getattr(workflow, "parent_task_id", None) is not None:
        parent = top.get_task_from_id(workflow.parent_task_id)
        if parent is None:
            return None
        lane = getattr(parent.task_spec, "lane", None)
        if lane:
            return lane
        workflow = parent.workflow
    return None


@dataclass
class ThrownMessage:
    """A message the workflow sent that no element of the same workflow caught."""

    name: str
    payload: dict[str, Any]


def thrown_messages(wf: BpmnWorkflow) -> list[ThrownMessage]:
    """Drain the workflow's outgoing messages (other events are not routed between instances)."""
    messages = []
    for event in wf.get_events():
        event_def = event.event_definition
        if type(event_def).__name__ != "MessageEventDefinition":
            continue
        payload = event.payload
        if (isinstance(event_def, CamundaMessageEventDefinition) and isinstance(payload, dict)
                and "result_var" in payload):
            inner = payload.get("payload")
            payload = inner if isinstance(inner, dict) else {payload.get("result_var") or event_def.name: inner}
        messages.append(ThrownMessage(event_def.name, dict(payload or {})))
    return messages


def _pending(wf: BpmnWorkflow) -> Iterator[tuple[Any, Any]]:
    """(waiting task, event definition) pairs; an event-based gateway waits for each of its events."""
    for task in list(wf.event_manager.tasks.values()):
        event_def = task.task_spec.event_definition
        for inner in getattr(event_def, "event_definitions", None) or [event_def]:
            yield task, inner


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """Earliest due time of the timers the workflow waits for (None when none)."""
    dues = []
    for task, event_def in _pending(wf):
        if not isinstance(event_def, TimerEventDefinition):
            continue
        value = event_def.details(task).value
        if value is None or isinstance(value, dict):
            continue  # not yet armed, or a cycle with no repetitions left
        due = TimerEventDefinition.get_datetime(value)
        if not clock_timers.is_never(due):
            dues.append(due)
    return min(dues).astimezone(UTC) if dues else None


def waiting_message_names(wf: BpmnWorkflow) -> list[str]:
    """Names of the messages the workflow waits for."""
    return sorted({d.name for _t, d in _pending(wf) if type(d).__name__ == "MessageEventDefinition" and d.name})


def task_variables(wf: BpmnWorkflow, engine_id: str) -> tuple[str, dict[str, Any]] | None:
    """(element id, data) of a task by engine id; None when the workflow has no such task."""
    task = wf.get_task_from_id(UUID(engine_id))
    return (task.task_spec.name, dict(task.data)) if task is not None else None


def complete_user_task(wf: BpmnWorkflow, engine_id: str, data: dict[str, Any]) -> None:
    """Merge the submitted data into a READY user task and run it."""
    task = wf.get_task_from_id(UUID(engine_id))
    if task is None or task.state != TaskState.READY:
        raise NotWaiting(f"task {engine_id} is not ready in the engine")
    task.data.update(data)
    task.run()


_MERGE_PAYLOAD = "__lotse_merge_payload__"
_camunda_update_task_data = CamundaMessageEventDefinition.update_task_data


def _merge_or_store(self: Any, my_task: Any) -> None:
    """Camunda messages store the payload under one variable; ours merge it into the case data instead."""
    event_data = my_task.internal_data.get(self.name) or {}
    if event_data.get("result_var") == _MERGE_PAYLOAD:
        my_task.set_data(**(event_data.get("payload") or {}))
    else:
        _camunda_update_task_data(self, my_task)


CamundaMessageEventDefinition.update_task_data = _merge_or_store


def send_message(wf: BpmnWorkflow, name: str, payload: dict[str, Any] | None) -> None:
    """Deliver a message to the catch event waiting for it (payload merged into the data); NotWaiting if none waits."""
    for _task, event_def in _pending(wf):
        if type(event_def).__name__ == "MessageEventDefinition" and event_def.name == name:
            if isinstance(event_def, CamundaMessageEventDefinition):
                wf.send_event(BpmnEvent(event_def, {"payload": payload or {}, "result_var": _MERGE_PAYLOAD}))
            else:
                wf.send_event(BpmnEvent(event_def, payload or {}))
            return
    raise NotWaiting(f"the instance does not wait for message '{name}'")


def workflow_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The case data as seen from the latest task (the data the caller may show)."""
    if wf.completed:
        return dict(wf.data)
    last = wf.last_task or wf.task_tree
    return dict(last.data)
