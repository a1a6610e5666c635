"""Real scheduler processes: exactly-once firing on PostgreSQL, a single scheduler on SQLite."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.scheduler.runner import SchedulerRefused, build
from app.tasks.models import HumanTask
from tests.conftest import PG_SCHEMA

LOTSE = str(Path(sys.executable).with_name("lotse"))


def test_a_second_scheduler_on_sqlite_refuses_to_start(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL allows many schedulers")
    first = build(app, blocking=False)
    try:
        with pytest.raises(SchedulerRefused, match="already running"):
            build(app, blocking=False)
    finally:
        app.extensions.pop("lotse_scheduler_lock").close()
        del first


def test_four_scheduler_processes_fire_each_timer_exactly_once(app, api, backend, session, clock, tmp_path):
    if backend != "postgresql":
        pytest.skip("several schedulers need PostgreSQL (SKIP LOCKED)")
    api.deploy("wait_timer.bpmn")
    count = 120
    # The scheduler processes run on the real clock: start the cases on a fake clock set a quarter of a century
    # back, so every timer is due for them on any day this suite may run.
    clock.set(datetime(2001, 1, 8, 8, 0, tzinfo=timezone.utc))
    ids = [api.start("wartefrist", f"AZ-P{n}", user="jc").get_json()["id"] for n in range(count)]
    session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"] + f"?options=-csearch_path%3D{PG_SCHEMA}"
    env = dict(os.environ, LOTSE_DATABASE_URL=url, LOTSE_INSTANCE_PATH=str(tmp_path))
    procs = [subprocess.Popen([LOTSE, "scheduler", "--exit-when-idle"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    fired_counts = [int(out.split("fired timers of ")[1].split()[0]) for out, _err in outputs]
    assert sum(fired_counts) == count
    session.expire_all()
    per_instance = dict(session.execute(select(AuditEvent.instance_id, func.count()).where(
        AuditEvent.kind == "timer_fired").group_by(AuditEvent.instance_id)).all())
    assert per_instance == {i: 1 for i in ids}
    tasks = dict(session.execute(select(HumanTask.instance_id, func.count()).where(
        HumanTask.element_id == "ut_nach").group_by(HumanTask.instance_id)).all())
    assert tasks == {i: 1 for i in ids}
