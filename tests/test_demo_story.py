"""The demo tells a story: every login the README names has work waiting, nothing is dated in the future."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cli import cli
from app.tasks.models import HumanTask


def _tokens(output: str) -> dict[str, str]:
    return {line.split()[0]: line.split()[-1] for line in output.splitlines() if line.startswith("  ")}


@pytest.mark.parametrize("days_after_start", [0, 3000], ids=["sample-day", "eight-years-later"])
def test_every_readme_login_has_something_to_do(app, session, clock, days_after_start):
    # Seeded on any day, the demo tells the same story: its sample dates move with the day of seeding.
    clock.set(clock.now() + timedelta(days=days_after_start))
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    tokens = _tokens(result.output)
    client = app.test_client()

    def get(user: str, path: str, **params):
        response = client.get(path, query_string=params, headers={"Authorization": f"Bearer {tokens[user]}"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    mine = get("abh.mueller", "/api/tasks", assignee="me", overdue="true")
    assert mine["total"] >= 1  # the README's clerk opens an overdue task of his own
    for clerk in ("kim.becker", "soz.wagner"):
        assert get(clerk, "/api/tasks")["total"] >= 1, clerk
    offices = get("aufsicht", "/api/overdue")["offices"]
    assert sum(o["overdue"] for o in offices) >= 5
    assert get("modellierung", "/api/definitions", latest="true")["total"] >= 5
    assert get("abh.leitung", "/api/notifications", unread="true")["total"] >= 1  # the overdue task escalated

    now = clock.now()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.occurred_at > now)) == 0
    assert session.scalar(select(func.count()).select_from(HumanTask).where(
        (HumanTask.escalated_at > now) | (HumanTask.created_at > now) | (HumanTask.completed_at > now))) == 0
