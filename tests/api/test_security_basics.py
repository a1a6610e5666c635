"""Tokens, JSON errors, health and the OpenAPI document."""
from __future__ import annotations


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
