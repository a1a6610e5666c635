"""The raw engine baseline: SpiffWorkflow in memory on the same normalized spec Lotse runs, no persistence."""
from __future__ import annotations

from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from bench.harness import MODELS, PATHWAY_START, answer


class RawModel:
    """A model parsed once through Lotse's parser (same lint/normalization), with Lotse's sandbox script engine."""

    def __init__(self, filename: str):
        from app.engine.parsing import parse_bpmn
        from app.engine.script_engine import make_script_engine

        parsed = parse_bpmn((MODELS / filename).read_bytes())
        self.spec, self.subprocess_specs = parsed.spec, parsed.subprocess_specs
        self.script_engine = make_script_engine()

    def new_workflow(self, data: dict[str, Any]) -> BpmnWorkflow:
        """A fresh workflow with the start data on its root task, stepped to its first wait."""
        wf = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        wf.task_tree.data.update(data)
        wf.do_engine_steps()
        return wf


def ready_user_tasks(wf: BpmnWorkflow) -> list[Any]:
    """READY user tasks."""
    return wf.get_tasks(state=TaskState.READY, manual=True)


def complete(wf: BpmnWorkflow, task: Any, data: dict[str, Any]) -> None:
    """Complete a READY user task with data and step the engine."""
    task.data.update(data)
    task.run()
    wf.do_engine_steps()


def walk_pathway(model: RawModel, answers: Callable[[str], dict[str, Any]] = answer) -> BpmnWorkflow:
    """Run one pathway case end to end in memory, answering like the service-layer walk (bounded)."""
    wf = model.new_workflow(dict(PATHWAY_START))
    for _ in range(50):
        ready = ready_user_tasks(wf)
        if not ready:
            break
        for task in ready:
            complete(wf, task, answers(task.task_spec.name))
    if not wf.completed:
        raise RuntimeError("raw pathway walk did not finish")
    return wf
