"""What a completion answers as `next_tasks`: the case's open tasks after it, as the inbox shows them."""
from __future__ import annotations

from tests.pathways.conftest import CLERKS, answer

KEY = "MS-2026-0042"
# P1's main path up to the hand-offs: sequential steps, a call into P5, a parallel split (clearing and
# registration open side by side), one branch finishing while the other stays open, and the join.
STEPS = ("p1_fall_anlegen", "p5_zweck", "p5_aufklaerung", "p1_meldestatus", "p1_clearing", "p1_leistungsantrag",
         "p1_sprachzugang", "p1_gesundheit")


def test_next_tasks_are_the_cases_open_tasks_created_with_or_after_the_completed_one(pathways):
    pathways.start_p1(KEY)
    seen_parallel = seen_carried = False
    for element_id in STEPS:
        task = pathways.task(KEY, element_id)
        before = {t["id"] for t in pathways.tasks(KEY) if t["instance_id"] == task["instance_id"]}
        response = pathways.api.as_(CLERKS[task["office"]]).post(f"/api/tasks/{task['id']}/complete",
                                                                 {"data": answer(element_id)})
        assert response.status_code == 200, response.get_json()
        answered = [t["id"] for t in response.get_json()["next_tasks"]]
        inbox = sorted(t["id"] for t in pathways.tasks(KEY)
                       if t["instance_id"] == task["instance_id"] and t["id"] > task["id"])
        assert answered == inbox, element_id
        assert all(t["status"] == "open" and t["instance_id"] == task["instance_id"]
                   for t in response.get_json()["next_tasks"])
        seen_parallel |= len(set(inbox) - before) > 1
        seen_carried |= bool(set(inbox) & before)
    # the walk went through both kinds of step: two tasks created at once, and a task that stayed open
    assert seen_parallel and seen_carried
