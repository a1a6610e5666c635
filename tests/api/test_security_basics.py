"""Tokens, JSON errors, health and the OpenAPI document."""
from __future__ import annotations

import pytest


def test_requests_without_or_with_a_bad_token_are_401(client, world):
    response = client.get("/api/tasks")
    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert client.get("/api/tasks", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Basic abc"}).status_code == 401


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_openapi_and_local_swagger_ui(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/definitions", "/api/instances", "/api/tasks/{task_id}/complete", "/api/messages",
                 "/api/incidents/{incident_id}/retry", "/api/instances/{instance_id}/audit"):
        assert path in spec["paths"], path
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in page
    assert "//" not in page.split("/api/docs/static/")[0].rsplit("src=", 1)[-1]
    asset = client.get("/api/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.get_data()) > 100_000
    asset.close()


def test_unknown_instance_is_404_json(api):
    response = api.as_("super").get("/api/instances/999999")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_a_token_resolves_to_its_user_roles_and_offices_until_revoked_or_deactivated(session, world, clock):
    from app.directory import service as directory
    from app.directory.models import User
    from app.errors import Unauthorized

    lead = directory.authenticate_token(session, world.tokens["jc_lead"])
    assert (lead.username, lead.municipality_id) == ("jc_lead", world.municipality_id)
    assert lead.roles == {"lead"} and lead.office_names == {"Jobcenter"}
    # the offices read with the token are the municipality's, in the order offices_of reads them
    cached = directory.offices_of(session, world.municipality_id)
    directory.forget_offices(session, world.municipality_id)
    assert cached == directory.offices_of(session, world.municipality_id)
    assert [o.name for o in cached] == ["Ausländerbehörde", "Jobcenter"]
    session.rollback()

    foreign = directory.authenticate_token(session, world.tokens["fremd"])
    assert foreign.municipality_id == world.other_municipality_id and foreign.office_names == {"Ausländerbehörde"}
    assert [o.municipality_id for o in directory.offices_of(session, world.other_municipality_id)] == [
        world.other_municipality_id]
    assert directory.authenticate_token(session, world.tokens["super"]).office_ids == frozenset()
    session.rollback()

    directory.revoke_tokens(session, username="jc_lead", clock=clock)
    session.commit()
    with pytest.raises(Unauthorized, match="revoked"):
        directory.authenticate_token(session, world.tokens["jc_lead"])
    session.rollback()
    session.query(User).filter_by(username="abh").update({"active": False})
    session.commit()
    with pytest.raises(Unauthorized, match="inactive"):
        directory.authenticate_token(session, world.tokens["abh"])
    with pytest.raises(Unauthorized, match="unknown"):
        directory.authenticate_token(session, "lotse_" + "x" * 43)
