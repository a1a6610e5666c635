"""External service tasks: workers fetch and lock jobs by topic, complete them, fail them; the documented worker."""
from __future__ import annotations

import re
from pathlib import Path

from tests.engine.parsing_helpers import model

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
OFFICE = 'camunda:candidateGroups="Ausländerbehörde"'
MODEL = model('<bpmn:serviceTask id="Melderegister" camunda:type="external" camunda:topic="meldeabfrage"/>',
              f'<bpmn:userTask id="Pruefen" name="Prüfen" {OFFICE}/>')


def _setup(api, count=1):
    assert api.as_("designer").upload("/api/definitions", MODEL).status_code == 201
    return [api.start("P", f"AZ-E{n}", {"name": f"Person {n}"}).get_json() for n in range(count)]


def fetch(api, worker="w1", lock=60000, variables=None):
    response = api.as_("admin").post("/api/external-task/fetchAndLock", {
        "workerId": worker, "maxTasks": 10,
        "topics": [{"topicName": "meldeabfrage", "lockDuration": lock, "variables": variables or []}]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_fetch_lock_and_complete_moves_the_case_on(api):
    [case] = _setup(api)
    [job] = fetch(api, variables=["name"])
    assert job["activityId"] == "Melderegister" and job["businessKey"] == "AZ-E0"
    assert job["variables"] == {"name": {"value": "Person 0"}}
    assert fetch(api, worker="w2") == []  # locked
    done = api.as_("admin").post(f"/api/external-task/{job['id']}/complete",
                                 {"workerId": "w1", "variables": {"gemeldet": {"value": True}}})
    assert done.status_code == 204, done.get_json()
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert [t["element_id"] for t in detail["active_tasks"]] == ["Pruefen"]
    assert api.as_("admin").post(f"/api/external-task/{job['id']}/complete", {"workerId": "w1"}).status_code == 404


def test_an_expired_lock_returns_the_job_and_the_old_worker_cannot_complete(api, clock):
    _setup(api)
    [job] = fetch(api, lock=1000)
    clock.advance(seconds=2)
    [again] = fetch(api, worker="w2")
    assert again["id"] == job["id"]
    assert api.as_("admin").post(f"/api/external-task/{job['id']}/complete", {"workerId": "w1"}).status_code == 409


def test_failures_retry_after_the_timeout_and_zero_retries_raise_an_incident(api, clock):
    [case] = _setup(api)
    [job] = fetch(api)
    failed = api.as_("admin").post(f"/api/external-task/{job['id']}/failure", {
        "workerId": "w1", "errorMessage": "Melderegister nicht erreichbar", "retries": 1, "retryTimeout": 30000})
    assert failed.status_code == 204
    assert fetch(api) == []
    clock.advance(seconds=31)
    [job] = fetch(api)
    assert job["retries"] == 1 and job["errorMessage"] == "Melderegister nicht erreichbar"
    api.as_("admin").post(f"/api/external-task/{job['id']}/failure",
                          {"workerId": "w1", "errorMessage": "wieder", "retries": 0})
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "incident" and fetch(api) == []


def test_workers_need_an_admin_token_of_the_municipality(api):
    _setup(api)
    response = api.as_("abh").post("/api/external-task/fetchAndLock", {
        "workerId": "w", "topics": [{"topicName": "meldeabfrage", "lockDuration": 1000}]})
    assert response.status_code == 403
    assert api.as_("fremd_admin").post("/api/external-task/fetchAndLock", {
        "workerId": "w", "topics": [{"topicName": "meldeabfrage", "lockDuration": 1000}]}).get_json() == []


def test_the_documented_worker_completes_and_fails_jobs(api):
    cases = _setup(api, count=2)
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 30
    namespace: dict = {"__name__": "worker"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation's example

    def post(path, body):
        response = api.as_("admin").post("/api" + path, body)
        assert response.status_code in (200, 204), response.get_json()
        return response.get_json() if response.status_code == 200 else None

    def handle(variables):
        if variables["name"] == "Person 1":
            raise RuntimeError("unbekannt im Melderegister")
        return {"gemeldet": True}

    namespace["work_once"](post, handle)
    first = api.as_("super").get(f"/api/instances/{cases[0]['id']}").get_json()
    assert [t["element_id"] for t in first["active_tasks"]] == ["Pruefen"]
    second = api.as_("super").get(f"/api/instances/{cases[1]['id']}").get_json()
    assert second["active_tasks"] == [] and second["status"] == "running"


def test_a_cancelled_case_leaves_no_job_behind(api, session):
    from sqlalchemy import func, select

    from app.external.models import ExternalJob

    [case] = _setup(api)
    [job] = fetch(api)
    assert api.as_("super").post(f"/api/instances/{case['id']}/cancel", {"reason": "Test"}).status_code == 200
    assert session.scalar(select(func.count()).select_from(ExternalJob)) == 0
    assert api.as_("admin").post(f"/api/external-task/{job['id']}/complete", {"workerId": "w1"}).status_code == 404
