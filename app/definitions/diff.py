"""What changed between two versions of a process, computed from their deployment summaries (pure functions)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Task properties compared between versions, in the order changes are listed.
TASK_FIELDS = ("lane", "form_key", "due_in", "calendar", "legal_source", "remind_before", "follow_up_in",
               "camunda_due_date")
DEADLINE_FIELDS = frozenset({"due_in", "calendar", "legal_source", "remind_before", "follow_up_in",
                             "camunda_due_date"})
TIMER_FIELDS = ("kind", "expression", "attached_to", "interrupting")


@dataclass(frozen=True)
class Change:
    """One difference between two versions; `field`, `old` and `new` say what changed."""

    # lane_added, lane_removed, task_added, task_removed, task_renamed, task_changed, timer_added,
    # timer_removed, timer_changed
    kind: str
    element_id: str | None = None
    name: str | None = None
    field: str | None = None
    old: Any = None
    new: Any = None

    @property
    def is_deadline(self) -> bool:
        """True for changes of a task's deadline (dueIn, calendar, legal source, reminders)."""
        return self.kind == "task_changed" and self.field in DEADLINE_FIELDS


def _tasks(summary: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    tasks = (summary or {}).get("user_tasks") or {}
    return {key: value for key, value in tasks.items() if isinstance(value, dict)}


def _timers(summary: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    timers = (summary or {}).get("timers") or []
    return {t["element_id"]: t for t in timers if isinstance(t, dict) and "element_id" in t}


def _name(task: dict[str, Any], element_id: str) -> str:
    return task.get("name") or element_id


def _lane_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    before, after = list((old or {}).get("lanes") or []), list(new.get("lanes") or [])
    added = [Change("lane_added", name=lane) for lane in after if lane not in before]
    removed = [Change("lane_removed", name=lane) for lane in before if lane not in after]
    return added + removed


def _task_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    before, after = _tasks(old), _tasks(new)
    changes = [Change("task_added", element_id=eid, name=_name(task, eid), new=task.get("lane"))
               for eid, task in sorted(after.items()) if eid not in before]
    changes += [Change("task_removed", element_id=eid, name=_name(task, eid), old=task.get("lane"))
                for eid, task in sorted(before.items()) if eid not in after]
    for eid in sorted(set(before) & set(after)):
        was, now = before[eid], after[eid]
        if (was.get("name") or None) != (now.get("name") or None):
            changes.append(Change("task_renamed", element_id=eid, name=_name(now, eid), field="name",
                                  old=_name(was, eid), new=_name(now, eid)))
        for field in TASK_FIELDS:
            if (was.get(field) or None) != (now.get(field) or None):
                changes.append(Change("task_changed", element_id=eid, name=_name(now, eid), field=field,
                                      old=was.get(field) or None, new=now.get(field) or None))
    return changes


def _timer_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    before, after = _timers(old), _timers(new)
    changes = [Change("timer_added", element_id=eid, new=timer.get("expression"))
               for eid, timer in sorted(after.items()) if eid not in before]
    changes += [Change("timer_removed", element_id=eid, old=timer.get("expression"))
                for eid, timer in sorted(before.items()) if eid not in after]
    for eid in sorted(set(before) & set(after)):
        for field in TIMER_FIELDS:
            if before[eid].get(field) != after[eid].get(field):
                changes.append(Change("timer_changed", element_id=eid, field=field, old=before[eid].get(field),
                                      new=after[eid].get(field)))
    return changes


def diff_summaries(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new` (None: `new` is the first version): lanes, user tasks, deadlines, timers."""
    return _lane_changes(old, new) + _task_changes(old, new) + _timer_changes(old, new)


def version_changes(summaries: list[tuple[int, dict[str, Any]]]) -> dict[int, list[Change] | None]:
    """For (version, summary) pairs: each version's changes against the next lower version (None for the first)."""
    ordered = sorted(summaries, key=lambda pair: pair[0])
    result: dict[int, list[Change] | None] = {}
    previous: dict[str, Any] | None = None
    for index, (version, summary) in enumerate(ordered):
        result[version] = None if index == 0 else diff_summaries(previous, summary)
        previous = summary
    return result
