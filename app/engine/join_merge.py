"""No lost updates where parallel branches meet: each branch's changes since the split are applied.

SpiffWorkflow merges the branches' full copies of the data at a join (and a parallel multi-instance's
children into their parent), the branch that finished last winning every key, also the keys it never
touched: a value another office changed meanwhile silently went back to its old value. Here a join takes
the data at the split as its base and applies, branch by branch in completion order, only the keys a
branch changed; two branches changing the same key to different values is a conflict, reported to the
running step (see `collecting`) and recorded by the orchestrator — the later branch's value stands.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
)
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

_MISSING = object()
_BASE = "lotse_merge_base"
_CHANGED = "lotse_merge_changed"


@dataclass
class Conflict:
    """Two branches changed the same key differently since their split."""

    join_element_id: str
    key: str
    first: dict[str, Any]   # element_id, lane, value of the branch that changed it first
    second: dict[str, Any]  # ... and of the branch whose change came later (its value stands)


_collected: contextvars.ContextVar[list[Conflict] | None] = contextvars.ContextVar("lotse_conflicts", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[list[Conflict]]:
    """Collect the conflicts of the engine steps run inside the block."""
    conflicts: list[Conflict] = []
    token = _collected.set(conflicts)
    try:
        yield conflicts
    finally:
        _collected.reset(token)


def _report(conflict: Conflict) -> None:
    target = _collected.get()
    if target is not None:
        target.append(conflict)


def _who(task: Any) -> dict[str, Any]:
    spec = task.task_spec
    return {"element_id": spec.name, "lane": getattr(spec, "lane", None)}


def _changes(data: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if base.get(k, _MISSING) != v}


def merge_branches(join_id: str, base: dict[str, Any], branches: list[Any]) -> dict[str, Any]:
    """The base with each branch's changes applied in order (branches: the last task of each branch)."""
    merged = deepcopy(base)
    changed_by: dict[str, Any] = {}
    for branch in branches:
        for key, value in _changes(branch.data, base).items():
            earlier = changed_by.get(key)
            if earlier is not None and earlier.data.get(key) != value:
                _report(Conflict(join_id, key, {**_who(earlier), "value": earlier.data.get(key)},
                                 {**_who(branch), "value": value}))
            merged[key] = deepcopy(value)
            changed_by[key] = branch
    return merged


def _common_ancestor(tasks: list[Any]) -> Any | None:
    """The lowest task all given tasks descend from (or are): the split of their branches."""
    def chain(task: Any) -> list[Any]:
        found = []
        while task is not None:
            found.append(task)
            task = task.parent
        return found

    chains = [chain(t) for t in tasks]
    others = [{id(t) for t in c} for c in chains[1:]]
    return next((t for t in chains[0] if all(id(t) in ids for ids in others)), None)


def _join_run_hook(self: Any, my_task: Any) -> bool:
    others = [t for t in my_task.workflow.tasks.values()
              if t.task_spec == self and t.has_state(TaskState.FINISHED_MASK) and not my_task.is_descendant_of(t)]
    ordered = sorted(others, key=lambda t: t.last_state_change)
    branches = [t.parent for t in (*ordered, my_task) if t.parent is not None]
    split = _common_ancestor(branches) if len(branches) > 1 else None
    for task in ordered:
        # As SpiffWorkflow does: a branch reset inside a parallel section must not leave stale descendants.
        if task.has_state(TaskState.COMPLETED):
            task._drop_children(force=True)
    if split is None:
        my_task._inherit_data()
        return True
    my_task.data = merge_branches(self.name, split.data, branches)
    return True


_original_mi_merge = MultiInstanceTask.merge_child


def _mi_merge_child(self: Any, workflow: Any, child: Any) -> None:
    if not isinstance(self, ParallelMultiInstanceTask) or (self.data_output is not None
                                                           and self.output_item is not None):
        _original_mi_merge(self, workflow, child)
        return
    parent = child.parent
    base = parent.internal_data.get(_BASE)
    if base is None:
        base = parent.internal_data[_BASE] = deepcopy(parent.data)
    changed = parent.internal_data.setdefault(_CHANGED, {})
    for key, value in _changes(child.data, base).items():
        if key in changed and changed[key]["value"] != value:
            _report(Conflict(self.name, key, {"element_id": child.task_spec.name, "lane": changed[key]["lane"],
                                              "value": changed[key]["value"], "instance": changed[key]["instance"]},
                             {**_who(child), "value": value, "instance": child.internal_data.get("key_or_index")}))
        parent.data[key] = deepcopy(value)
        changed[key] = {"value": deepcopy(value), "lane": getattr(child.task_spec, "lane", None),
                        "instance": child.internal_data.get("key_or_index")}
    parent.internal_data["merged"].append(str(child.id))


def apply() -> None:
    """Install the three-way merge on SpiffWorkflow's joins and parallel multi-instance tasks (idempotent)."""
    UnstructuredJoin._run_hook = _join_run_hook
    MultiInstanceTask.merge_child = _mi_merge_child
