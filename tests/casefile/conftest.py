"""Case-file fixtures: the test world plus a Jugendamt with a clerk and an Ausländerbehörde lead."""
from __future__ import annotations

import json

import pytest

from app.directory import service as directory
from app.directory.models import Municipality


@pytest.fixture
def casefile_world(session, clock, world, api):
    """Adds the Jugendamt (clerk 'ja'), a lead of the Ausländerbehörde ('abh_lead') and the test form."""
    town = session.get(Municipality, world.municipality_id)
    directory.create_office(session, municipality=town, name="Jugendamt")
    for username, role, office in (("ja", "clerk", "Jugendamt"), ("abh_lead", "lead", "Ausländerbehörde")):
        directory.create_user(session, municipality=town, username=username, role=role, office_name=office,
                              password="geheim-123", clock=clock)
        world.tokens[username] = directory.create_token(session, username=username, clock=clock)
    session.commit()
    from tests.casefile.models import FORM

    response = api.as_("designer").client.post("/api/forms", data=json.dumps(FORM), content_type="application/json",
                                               headers={"Authorization": f"Bearer {world.tokens['designer']}"})
    assert response.status_code == 201, response.get_json()
    return world


def deploy(api, content: bytes, name: str = "model.bpmn"):
    """Upload a model as the designer; the response."""
    return api.as_("designer").upload("/api/definitions", content, name)


def complete(api, user: str, task_id: int, data: dict):
    """Complete a task as a user; assert it worked; the response body."""
    response = api.as_(user).post(f"/api/tasks/{task_id}/complete", {"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()
