"""The stored state is what SpiffWorkflow's own serializer writes for a workflow, minus the spec."""
from __future__ import annotations

from pathlib import Path

from app.engine import runtime, stepping
from app.engine.parsing import parse_bpmn

from bench.harness import PATHWAY_START, answer

# The benchmark pathway: lanes, gateways, a parallel split and a boundary timer.
PATHWAY = Path(__file__).resolve().parents[2] / "bench" / "models" / "pathway12.bpmn"


def _full_minus_spec(engine: runtime.EngineDefinition, wf) -> dict:
    full = engine.serializer.to_dict(wf)
    full.pop("spec")
    full.pop("subprocess_specs")
    full["serializer_version"] = engine.serializer.VERSION
    return full


def test_dump_state_equals_the_engines_serialization_without_the_spec_at_every_step():
    parsed = parse_bpmn(PATHWAY.read_bytes())
    engine = runtime.EngineDefinition(parsed.dialect, runtime.EngineDefinition.spec_document(
        parsed.dialect, parsed.spec, parsed.subprocess_specs), parsed.main_process_id)
    wf = engine.new_workflow(dict(PATHWAY_START))
    stepping.run_steps(wf)
    steps = 0
    while True:
        assert runtime.state_document(engine.dump_state(wf)) == _full_minus_spec(engine, wf)
        restored = engine.restore(engine.dump_state(wf))
        assert runtime.state_document(engine.dump_state(restored)) == _full_minus_spec(engine, wf)
        ready = runtime.ready_user_tasks(wf)
        if not ready or steps > 30:
            break
        runtime.complete_user_task(wf, ready[0].engine_id, answer(ready[0].element_id))
        stepping.run_steps(wf)
        steps += 1
    assert wf.completed and steps >= 10
