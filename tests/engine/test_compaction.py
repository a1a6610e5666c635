"""Compacting finished history keeps long loops fast and unstalled without changing what a case does."""
from __future__ import annotations

from pathlib import Path

from app.engine import runtime, stepping
from app.engine.parsing import parse_bpmn

MODEL = (Path(__file__).parent / "bpmn" / "loop_parallel.bpmn").read_bytes()


def _engine() -> runtime.EngineDefinition:
    parsed = parse_bpmn(MODEL)
    return runtime.EngineDefinition(parsed.dialect, runtime.EngineDefinition.spec_document(
        parsed.dialect, parsed.spec, parsed.subprocess_specs), parsed.main_process_id)


def _walk(rounds: int, compact_above: int | None) -> tuple[dict, int]:
    """Run the loop `rounds` times with a save/restore around every step, then finish the side branch."""
    engine = _engine()
    wf = engine.new_workflow({"runde": 0, "ziel": rounds})
    stepping.run_steps(wf)
    state, largest = engine.dump_state(wf), 0
    for _ in range(rounds):
        wf = engine.restore(state)
        [task] = [t for t in runtime.ready_user_tasks(wf) if t.element_id == "ut"]
        runtime.complete_user_task(wf, task.engine_id, {})
        stepping.run_steps(wf)
        if compact_above is not None:
            stepping.compact_history(wf, above=compact_above)
        largest = max(largest, len(wf.tasks))
        state = engine.dump_state(wf)
    wf = engine.restore(state)
    assert [t.element_id for t in runtime.ready_user_tasks(wf)] == ["ut_neben"]
    [side] = runtime.ready_user_tasks(wf)
    runtime.complete_user_task(wf, side.engine_id, {"neben": "erledigt"})
    stepping.run_steps(wf)
    assert wf.completed
    return dict(wf.data), largest


def test_compacted_and_full_history_end_the_same_way():
    full, full_size = _walk(60, compact_above=None)
    compact, compact_size = _walk(60, compact_above=20)
    assert compact == full
    assert full_size > 200 and compact_size < 40


def test_a_thousand_iterations_do_not_stall_and_the_tree_stays_bounded():
    # Without compaction SpiffWorkflow stops seeing tasks at a tree depth of 1000 (~250 iterations here).
    # The tree stays bounded, so each step's work does not grow with the history (speed: bench/).
    data, largest = _walk(1000, compact_above=stepping.COMPACT_ABOVE)
    assert data["neben"] == "erledigt"
    assert largest <= stepping.COMPACT_ABOVE + 10
