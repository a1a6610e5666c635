"""The five reference pathways deployed into the test municipality, and a driver to walk cases through them."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.deadlines.service import run_deadline_jobs
from app.demo_data import answer
from app.directory import service as directory
from app.extensions import db
from app.instances.messages import deliver_pending
from app.scheduler.service import fire_due_timers

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("p5_einwilligung", "p1_ankommen", "p2_leistungsbezug", "p3_uma", "p4_sprache_arbeit")
# office -> username of its clerk (leads are <clerk>_lead); "abh", "jc" and "jc_lead" come from the world
CLERKS = {
    "KIM-Case-Management": "kim", "Bürgerbüro": "bb", "Sozialamt": "soz", "Ausländerbehörde": "abh",
    "Jobcenter": "jc", "Jugendamt": "ja", "Kommunales Integrationszentrum": "ki", "Gesundheitsamt": "ga",
    "Schulamt": "sa", "Agentur für Arbeit": "aa", "KIM-Koordination": "koord", "Datenschutz-Koordination": "dsk",
}


class Pathways:
    """Walks cases through the deployed pathways via the REST API, as the clerks of each office."""

    def __init__(self, api, app, clock):
        self.api, self.app, self.clock = api, app, clock

    def start_p1(self, key: str, data: dict | None = None) -> dict[str, Any]:
        """A KIM case manager opens a P1 case."""
        response = self.api.start("p1_ankommen", key, data or {}, user="kim")
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def tasks(self, key: str) -> list[dict[str, Any]]:
        """Open tasks of every case with this business key (as the supervisor sees them)."""
        return self.api.as_("super").tasks(business_key=key, limit=500)

    def task(self, key: str, element_id: str) -> dict[str, Any]:
        """The one open task of this element for the business key."""
        found = [t for t in self.tasks(key) if t["element_id"] == element_id]
        assert len(found) == 1, (element_id, [(t["element_id"], t["office"]) for t in self.tasks(key)])
        return found[0]

    def complete(self, key: str, element_id: str, data: dict | None = None, **changes: Any) -> dict[str, Any]:
        """Complete a task as a clerk of the office it landed in, with the sample answer (plus changes)."""
        task = self.task(key, element_id)
        payload = data if data is not None else answer(element_id, **changes)
        response = self.api.as_(CLERKS[task["office"]]).post(f"/api/tasks/{task['id']}/complete", {"data": payload})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def walk(self, key: str, *element_ids: str) -> None:
        """Complete several tasks with their sample answers, in order."""
        for element_id in element_ids:
            self.complete(key, element_id)

    def send(self, name: str, key: str, payload: dict | None = None, user: str = "abh") -> dict[str, Any]:
        """A clerk enters a message from an outside party (BAMF, Landesstelle, police)."""
        response = self.api.as_(user).post("/api/messages", {"name": name, "business_key": key,
                                                             "payload": payload or {}})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def instances(self, key: str) -> dict[str, dict[str, Any]]:
        """The cases of this business key by process key."""
        items = self.api.as_("super").get("/api/instances", query_string={"business_key": key}).get_json()["items"]
        return {item["process_key"]: item for item in items}

    def audit(self, instance_id: int) -> list[dict[str, Any]]:
        """The audit trail of a case."""
        response = self.api.as_("super").get(f"/api/instances/{instance_id}/audit")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def tick(self, moment: datetime | None = None) -> Any:
        """Move the clock (optionally), then run what the scheduler runs: timers, pending messages, deadlines."""
        if moment is not None:
            self.clock.set(moment)
        fire_due_timers(db.session, clock=self.clock)
        deliver_pending(db.session, clock=self.clock)
        return run_deadline_jobs(db.session, clock=self.clock, notifier=self.app.extensions["lotse_notifier"])

    def notifications(self, user: str) -> list[dict[str, Any]]:
        """In-app notifications of a user."""
        return self.api.as_(user).get("/api/notifications").get_json()["items"]


@pytest.fixture
def pathways(app, api, session, clock, world) -> Pathways:
    """All offices with a clerk and a lead, the pathway forms and models (P5 first) deployed."""
    town = directory.get_municipality(session, "musterstadt")
    for office, clerk in CLERKS.items():
        if directory.find_office(session, town.id, office) is None:
            directory.create_office(session, municipality=town, name=office)
        for username, role in ((clerk, "clerk"), (f"{clerk}_lead", "lead")):
            if username not in world.tokens:
                directory.create_user(session, municipality=town, username=username, role=role, office_name=office,
                                      clock=clock)
                world.tokens[username] = directory.create_token(session, username=username, clock=clock)
    session.commit()
    designer = api.as_("designer")
    for path in sorted((ROOT / "forms").glob("*.json")):
        response = designer.upload("/api/forms", path.read_bytes(), path.name)
        assert response.status_code in (200, 201), (path.name, response.get_json())
    for key in MODELS:
        data = (ROOT / "processes" / f"{key}.bpmn").read_bytes()
        response = designer.upload("/api/definitions", data, f"{key}.bpmn")
        assert response.status_code == 201, (key, response.get_json())
        assert response.get_json()["key"] == key
    return Pathways(api, app, clock)


def kinds(trail: list[dict[str, Any]]) -> list[str]:
    """The event kinds of an audit trail, in order."""
    return [event["kind"] for event in trail]
