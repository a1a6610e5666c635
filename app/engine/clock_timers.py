"""Timers on the legal calendar: a timer with lotse: clock properties is armed by the case's clock, not Spiff's.

SpiffWorkflow arms a duration timer by adding the duration to the arming instant (no § 193 BGB, no Werktage,
months of 28–31 days). When a step runs with an `arming` hook (app/deadlines/clocks.py sets one), a timer the hook
knows is armed at the instant the hook returns; every other timer keeps SpiffWorkflow's arithmetic.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
)

# A timer bound to a case clock that has already run out must not fire again when a loop re-arms it.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)

Arm = Callable[[str, dict[str, Any]], datetime | None]
Fired = Callable[[str], None]
_hook: contextvars.ContextVar[tuple[Arm, Fired] | None] = contextvars.ContextVar("lotse_timer_arming", default=None)
_spiff_has_fired = DurationTimerEventDefinition.has_fired


@contextlib.contextmanager
def arming(arm: Arm, fired: Fired) -> Iterator[None]:
    """Within the block, `arm(element_id, data)` decides a timer's due instant (None: SpiffWorkflow's own)."""
    token = _hook.set((arm, fired))
    try:
        yield
    finally:
        _hook.reset(token)


def _has_fired(self: Any, my_task: Any) -> bool:
    hook = _hook.get()
    element_id = getattr(my_task.task_spec, "bpmn_id", None) or my_task.task_spec.name
    if hook is not None and my_task._get_internal_data("event_value") is None:
        due = hook[0](element_id, my_task.data)
        if due is not None:
            my_task._set_internal_data(event_value=due.isoformat())
    fired = _spiff_has_fired(self, my_task)
    if fired and hook is not None:
        hook[1](element_id)
    return fired


DurationTimerEventDefinition.has_fired = _has_fired


def is_never(value: datetime) -> bool:
    """True for the due instant of a timer that will not fire again (see NEVER)."""
    return value.year >= NEVER.year
