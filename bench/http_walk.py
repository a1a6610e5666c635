"""Walking pathway cases over the REST API: which task is next, and completing it as the right clerk."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bench.harness import World, answer, start_case


@dataclass
class Case:
    """A case being walked over HTTP: its pending tasks (id -> (office, element)) and what was completed."""

    instance_id: int
    pending: dict[int, tuple[str, str]] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)

    def next_task(self) -> tuple[int, str, str] | None:
        """The next pending task (lowest id first), or None when the case has no open task left."""
        if not self.pending:
            return None
        task_id = min(self.pending)
        office, element_id = self.pending.pop(task_id)
        return task_id, office, element_id

    def learn(self, body: dict[str, Any] | None) -> None:
        """Add the open tasks a completion response names (next_tasks) that are new."""
        for task in (body or {}).get("next_tasks", []):
            if task["id"] not in self.done and task["status"] == "open":
                self.pending[task["id"]] = (task["office"], task["element_id"])


def start_cases(session, world: World, count: int, clock, prefix: str) -> list[Case]:
    """Start pathway cases through the service layer and note their first open tasks."""
    from bench.harness import PATHWAY_START
    from app.tasks.models import HumanTask

    office_names = {office_id: name for name, office_id in world.office_ids.items()}
    cases = []
    for index in range(count):
        cases.append(Case(start_case(session, world, "bench_pathway", f"{prefix}-{index:05d}", dict(PATHWAY_START),
                                     clock)))
    by_id = {case.instance_id: case for case in cases}
    rows = session.execute(select(HumanTask.id, HumanTask.instance_id, HumanTask.office_id, HumanTask.element_id)
                           .where(HumanTask.status == "open", HumanTask.instance_id.in_(list(by_id))))
    for task_id, instance_id, office_id, element_id in rows:
        by_id[instance_id].pending[task_id] = (office_names[office_id], element_id)
    session.commit()
    return cases


def complete_next(client, world: World, case: Case) -> tuple[int, float] | None:
    """POST the next task's completion as its office's clerk; (HTTP status, seconds) or None when done."""
    task = case.next_task()
    if task is None:
        return None
    task_id, office, element_id = task
    token = world.tokens[world.clerk_names[office]]
    started = time.perf_counter()
    status, body = client.request("POST", f"/api/tasks/{task_id}/complete", {"data": answer(element_id)}, token=token)
    seconds = time.perf_counter() - started
    if status == 200:
        case.done.add(task_id)
        case.learn(body)
    return status, seconds


def health(client) -> float:
    """Round-trip seconds of GET /healthz (the baseline: HTTP + Flask without database or engine)."""
    started = time.perf_counter()
    status, _ = client.request("GET", "/healthz")
    seconds = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"/healthz answered {status}")
    return seconds
