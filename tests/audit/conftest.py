"""Shared pieces of the audit tests: a deployed two-office process, walked cases, an attacker with DBA rights."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import text

from tests.factories import BPMN_DIR

FORM = (BPMN_DIR.parent / "forms" / "pruefung.json").read_bytes()
GOOD = {"aufenthalt_gesichert": True, "antrag_vollstaendig": True, "aufenthaltsstatus": "Aufenthaltserlaubnis"}
PROCESS = "aufenthalt_leistung"


@pytest.fixture
def deployed(api):
    """handoff.bpmn (Ausländerbehörde -> Jobcenter) and its form, deployed in Musterstadt."""
    definition = api.deploy("handoff.bpmn")
    response = api.client.post("/api/forms", data=FORM, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.world.tokens['designer']}"})
    assert response.status_code == 201, response.get_json()
    return definition


def walk(api, business_key: str, *, applicant: str = "A. Beispiel", finish: bool = True) -> dict:
    """Start a case and complete the Ausländerbehörde task; with `finish`, the Jobcenter task too."""
    started = api.start(PROCESS, business_key, {"antragsteller": applicant})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    first = case["active_tasks"][0]
    done = api.as_("abh").post(f"/api/tasks/{first['id']}/complete", {"data": GOOD})
    assert done.status_code == 200, done.get_json()
    if finish:
        [nxt] = done.get_json()["next_tasks"]
        finished = api.as_("jc").post(f"/api/tasks/{nxt['id']}/complete", {"data": {"bewilligt": True}})
        assert finished.status_code == 200, finished.get_json()
    return case


def trail(api, instance_id: int, user: str = "abh") -> list[dict]:
    """The audit trail of a case as the API shows it (to the Ausländerbehörde, which wrote its first entries)."""
    response = api.as_(user).get(f"/api/instances/{instance_id}/audit")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@contextlib.contextmanager
def attacker(session):
    """Run raw SQL as someone with DBA rights: on PostgreSQL the append-only triggers are switched off."""
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # Transaction-local: the pooled connection gets its triggers back on commit.
        session.execute(text("SET LOCAL session_replication_role = replica"))
    yield lambda sql, **params: session.execute(text(sql), params)
    session.commit()
