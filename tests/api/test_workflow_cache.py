"""The per-process cache of restored workflows: reused between steps, never used once another writer moved on.

The model counts its rounds in a script task. A step applied to an outdated workflow either finds its
task not ready (409) or loses a count, so the final counter proves every step saw the latest state.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app import workflow_cache
from tests.conftest import PG_SCHEMA
from tests.factories import case_variables

LOTSE = str(Path(sys.executable).with_name("lotse"))


def _open_task(api, case_id):
    tasks = api.as_("abh").tasks(instance_id=case_id)
    assert len(tasks) == 1, tasks
    return tasks[0]


def _complete(caller, task_id, weiter):
    response = caller.post(f"/api/tasks/{task_id}/complete", {"data": {"weiter": weiter}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _counter(api, case_id):
    return case_variables(case_id)["zaehler"]  # a script's variable: the engine's, no office's entry


def test_consecutive_steps_reuse_the_restored_workflow(api, session):
    api.deploy("counter_loop.bpmn")
    case = api.start("zaehlschleife", "AZ-CACHE-1", {"zaehler": 0}).get_json()
    cache = workflow_cache.cache_for(session)
    hits_before = cache.hits
    for _ in range(4):
        _complete(api.as_("abh"), _open_task(api, case["id"])["id"], True)
    assert cache.hits - hits_before >= 4
    assert _counter(api, case["id"]) == 4


def test_a_rolled_back_step_leaves_nothing_in_the_cache(api, session, world):
    api.deploy("counter_loop.bpmn")
    case = api.start("zaehlschleife", "AZ-CACHE-2", {"zaehler": 0}).get_json()
    task = _open_task(api, case["id"])
    from app.directory.service import authenticate_token
    from app.tasks.service import complete

    clerk = authenticate_token(session, world.tokens["abh"])
    complete(session, actor=clerk, task_id=task["id"], data={"weiter": True},
             clock=api.client.application.extensions["lotse_clock"])
    assert case["id"] in session.info.get(workflow_cache._PENDING_KEY, {})
    session.rollback()  # the request failed after the step: nothing of it may be reused
    assert case["id"] not in session.info.get(workflow_cache._PENDING_KEY, {})
    cache = workflow_cache.cache_for(session)
    misses = cache.misses
    _complete(api.as_("abh"), task["id"], True)
    assert cache.misses == misses + 1
    assert _counter(api, case["id"]) == 1


def test_a_second_app_on_the_same_database_makes_the_first_ones_entry_stale(app, api, session, clock):
    """Two apps = two processes' caches; each writes in turn, neither may step an outdated workflow."""
    from app import create_app

    api.deploy("counter_loop.bpmn")
    case = api.start("zaehlschleife", "AZ-CACHE-3", {"zaehler": 0}).get_json()
    session.commit()
    config = {"TESTING": True, "INSTANCE_PATH": app.instance_path, "CLOCK": clock,
              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "SQLALCHEMY_ENGINE_OPTIONS": app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    other = create_app(config)
    other_api = type(api)(other.test_client(), api.world, "abh")
    first_cache = workflow_cache.cache_for(session)
    try:
        for round_number in range(1, 7):
            caller = api.as_("abh") if round_number % 2 else other_api
            misses = first_cache.misses
            _complete(caller, _open_task(api, case["id"])["id"], round_number < 6)
            if round_number % 2 and round_number > 1:
                # The first app's own entry was written before the other app's step: it must be refused.
                assert first_cache.misses == misses + 1
    finally:
        with other.app_context():
            from app.extensions import db
            db.session.remove()
            db.engine.dispose()
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "completed"
    assert case_variables(detail["id"])["zaehler"] == 6
    verify = api.as_("super").get(f"/api/instances/{case['id']}/audit/verify").get_json()
    assert verify["ok"] is True, verify


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(port: int, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _wait_until_serving(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not start")


def test_two_server_processes_alternating_on_one_case(app, api, backend, session, tmp_path):
    api.deploy("counter_loop.bpmn")
    case = api.start("zaehlschleife", "AZ-CACHE-4", {"zaehler": 0}).get_json()
    session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if backend == "postgresql":
        url += f"?options=-csearch_path%3D{PG_SCHEMA}"
    env = dict(os.environ, LOTSE_DATABASE_URL=url, LOTSE_INSTANCE_PATH=str(tmp_path), LOTSE_EMBEDDED_SCHEDULER="0",
               LOTSE_SECRET_KEY="test-two-processes")
    ports = [_free_port(), _free_port()]
    logs = [open(tmp_path / f"server-{port}.log", "w") for port in ports]  # noqa: SIM115 - closed below
    procs = [subprocess.Popen([LOTSE, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload",
                               "--without-threads"], env=env, stdout=log, stderr=subprocess.STDOUT)
             for port, log in zip(ports, logs)]
    token = api.world.tokens["abh"]
    try:
        for port, proc in zip(ports, procs):
            _wait_until_serving(port, proc)
        rounds = 8
        for number in range(rounds):
            # A, A, B, B, A, A, B, B: each server steps its own cached workflow once, then a stale one.
            port = ports[(number // 2) % 2]
            status, page = _call(port, "GET", f"/api/tasks?instance_id={case['id']}", token)
            assert status == 200 and page["total"] == 1, page
            status, body = _call(port, "POST", f"/api/tasks/{page['items'][0]['id']}/complete", token,
                                 {"data": {"weiter": number < rounds - 1}})
            assert status == 200, body
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
    session.expire_all()
    detail = api.as_("super").get(f"/api/instances/{case['id']}").get_json()
    assert detail["status"] == "completed"
    assert case_variables(detail["id"])["zaehler"] == rounds
    trail = api.as_("super").get(f"/api/instances/{case['id']}/audit").get_json()["items"]
    assert [e["kind"] for e in trail].count("task_completed") == rounds


def test_a_cache_size_of_zero_restores_every_step(app, api, session):
    api.deploy("counter_loop.bpmn")
    case = api.start("zaehlschleife", "AZ-CACHE-5", {"zaehler": 0}).get_json()
    engine = session.get_bind()
    previous = workflow_cache.cache_for(session)
    workflow_cache.configure(engine, 0)
    try:
        for _ in range(3):
            _complete(api.as_("abh"), _open_task(api, case["id"])["id"], True)
        cache = workflow_cache.cache_for(session)
        assert cache.hits == 0 and len(cache) == 0
        assert _counter(api, case["id"]) == 3
    finally:
        workflow_cache._caches[engine] = previous


def test_an_office_added_by_another_process_is_found_by_a_session_that_cached_the_offices(app, session, world):
    """Offices are read once per session; a lane naming an office created since re-reads them once."""
    from sqlalchemy import text

    from app.directory.service import offices_of
    from app.orchestration import _Offices

    assert "Sozialamt" not in {o.name for o in offices_of(session, world.municipality_id)}
    session.commit()  # the cached list outlives the transaction (a scheduler tick, a request's later steps)
    with session.get_bind().connect() as other:  # another process's transaction
        other.execute(text("INSERT INTO office (municipality_id, slug, name) VALUES (:m, 'sozialamt', 'Sozialamt')"),
                      {"m": world.municipality_id})
        other.commit()
    offices = _Offices(session, world.municipality_id)
    found = offices.resolve({}, "Sozialamt", None)
    assert found is not None and found.name == "Sozialamt"
    assert offices.resolve({}, "Gibt es nicht", None) is None
