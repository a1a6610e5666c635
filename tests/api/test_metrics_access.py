"""/metrics: local scrapers or holders of the token; nobody else learns municipality slugs or counts."""
from __future__ import annotations


def _scrape(client, remote: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})


def test_a_remote_client_without_the_token_sees_nothing(app, client, world, monkeypatch):
    refused = _scrape(client, "203.0.113.7")
    assert refused.status_code == 403 and "musterstadt" not in refused.get_data(as_text=True)
    assert _scrape(client, "127.0.0.1").status_code == 200
    assert _scrape(client, "::1").status_code == 200
    monkeypatch.setitem(app.config, "METRICS_LOOPBACK", False)
    assert _scrape(client, "127.0.0.1").status_code == 403


def test_the_token_opens_metrics_from_anywhere(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret")
    assert _scrape(client, "203.0.113.7").status_code == 401
    assert _scrape(client, "203.0.113.7", "wrong").status_code == 401
    assert _scrape(client, "127.0.0.1", "wrong").status_code == 401  # a wrong token is never let through
    scraped = _scrape(client, "203.0.113.7", "scrape-secret")
    assert scraped.status_code == 200 and "lotse_open_tasks" in scraped.get_data(as_text=True)
