"""Test data builders shared by the suite."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.directory import service as directory

BPMN_DIR = Path(__file__).resolve().parent / "bpmn"

USERS = {
    # username: (role, office)
    "abh": ("clerk", "Ausländerbehörde"),
    "abh2": ("clerk", "Ausländerbehörde"),
    "jc": ("clerk", "Jobcenter"),
    "jc_lead": ("lead", "Jobcenter"),
    "super": ("supervisor", None),
    "designer": ("designer", None),
    "admin": ("admin", None),
}


@dataclass
class World:
    """Ids and tokens of the standard test municipality."""

    municipality_id: int
    other_municipality_id: int
    tokens: dict[str, str] = field(default_factory=dict)


def build_world(session, clock) -> World:
    """Musterstadt with Ausländerbehörde and Jobcenter, all roles; Beispielstadt as a foreign tenant."""
    town = directory.create_municipality(session, slug="musterstadt", name="Stadt Musterstadt", clock=clock)
    for office in ("Ausländerbehörde", "Jobcenter"):
        directory.create_office(session, municipality=town, name=office)
    world = World(municipality_id=town.id, other_municipality_id=0)
    for username, (role, office) in USERS.items():
        directory.create_user(session, municipality=town, username=username, role=role, office_name=office,
                              password="geheim-123", clock=clock)
        world.tokens[username] = directory.create_token(session, username=username, clock=clock)
    other = directory.create_municipality(session, slug="beispielstadt", name="Beispielstadt", clock=clock)
    directory.create_office(session, municipality=other, name="Ausländerbehörde")
    for username, role in (("fremd", "clerk"), ("fremd_admin", "admin"), ("fremd_designer", "designer")):
        directory.create_user(session, municipality=other, username=username, role=role,
                              office_name="Ausländerbehörde" if role == "clerk" else None, clock=clock)
        world.tokens[username] = directory.create_token(session, username=username, clock=clock)
    world.other_municipality_id = other.id
    session.commit()
    return world


class ApiCaller:
    """A tiny client wrapper that adds the bearer token of a named test user."""

    def __init__(self, client, world: World, user: str = "admin"):
        self.client, self.world, self.user = client, world, user

    def as_(self, user: str) -> ApiCaller:
        """The same client acting as another user."""
        return ApiCaller(self.client, self.world, user)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.tokens[self.user]}"}

    def get(self, path: str, **kwargs: Any):
        """GET with the user's token."""
        return self.client.get(path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        """POST JSON with the user's token."""
        return self.client.post(path, json=json if json is not None else {}, headers=self._headers(), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        """PATCH JSON with the user's token."""
        return self.client.patch(path, json=json or {}, headers=self._headers(), **kwargs)

    def upload(self, path: str, content: bytes, filename: str = "model.bpmn", confirm: bool = True):
        """multipart upload of one file in field `file` (models: confirming lanes without office, missing forms)."""
        data = {"file": (io.BytesIO(content), filename)}
        if confirm and path.endswith("/definitions"):
            data["confirm"] = "true"
        return self.client.post(path, data=data, headers=self._headers(), content_type="multipart/form-data")

    def deploy(self, name: str) -> dict[str, Any]:
        """Deploy a BPMN fixture from tests/bpmn as the designer; assert it was accepted."""
        response = self.as_("designer").upload("/api/definitions", (BPMN_DIR / name).read_bytes(), name)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    def start(self, process_key: str, business_key: str, data: dict | None = None, user: str = "abh"):
        """Start a case as a clerk."""
        return self.as_(user).post("/api/instances", {"process_key": process_key, "business_key": business_key,
                                                       "data": data or {}})

    def tasks(self, **params: Any) -> list[dict[str, Any]]:
        """The caller's inbox items."""
        response = self.get("/api/tasks", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]


def case_variables(instance_id: int) -> dict[str, Any]:
    """The engine's variables of a case (what gateways and scripts see; people see entries through the read rule)."""
    from app import orchestration
    from app.definitions.models import ProcessDefinition
    from app.engine import runtime
    from app.extensions import db
    from app.instances.models import ProcessInstance

    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance_id)
    definition = db.session.get(ProcessDefinition, instance.definition_id)
    return runtime.workflow_data(orchestration.engine_for(definition).restore(instance.state))
